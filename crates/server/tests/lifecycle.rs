//! The server's entry points: `spawn` (background runtime, sync callers), `start` and
//! graceful `shutdown`, and `router` driven without TCP.

use contactspec_server::{Fault, FaultSet, ServerConfig, ServerError};
use std::io::{Read, Write};

fn raw_get(addr: std::net::SocketAddr, path: &str, token: &str) -> String {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn spawn_serves_from_a_sync_caller_and_stops() {
    let server = contactspec_server::spawn(ServerConfig {
        tokens: vec!["alpha".into()],
        ..ServerConfig::default()
    })
    .unwrap();
    let addr = server.local_addr();
    assert_eq!(server.base_url(), format!("http://{addr}/api/beta"));
    let ok = raw_get(addr, "/api/beta/me/contactfolders", "alpha");
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    assert!(
        ok.contains(&format!("http://{addr}/api/beta/$metadata#")),
        "{ok}"
    );
    let denied = raw_get(addr, "/api/beta/me/contactfolders", "token-a");
    assert!(denied.starts_with("HTTP/1.1 401"), "{denied}");
    server.shutdown();
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "still listening"
    );
}

#[test]
fn spawn_refuses_bad_config() {
    let err = contactspec_server::spawn(ServerConfig {
        tokens: vec![],
        ..ServerConfig::default()
    });
    assert!(matches!(err, Err(ServerError::NoTokens)));
    let err = contactspec_server::spawn(ServerConfig {
        tokens: vec!["has space".into()],
        ..ServerConfig::default()
    });
    assert!(matches!(err, Err(ServerError::BadToken(t)) if t == "has space"));
}

#[tokio::test]
async fn start_and_graceful_shutdown() {
    let server = contactspec_server::start(ServerConfig::default())
        .await
        .unwrap();
    let addr = server.local_addr();
    let client = reqwest::Client::builder()
        .tcp_nodelay(true)
        .build()
        .unwrap();
    let r = client
        .get(format!("{}/me/contacts", server.base_url()))
        .bearer_auth("token-b")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    drop(client);
    server.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn router_answers_without_tcp() {
    use tower::ServiceExt;
    let app = contactspec_server::router(ServerConfig {
        faults: [Fault::NoOdataVersion].into_iter().collect::<FaultSet>(),
        ..ServerConfig::default()
    });
    let req = axum::http::Request::builder()
        .uri("/api/beta/me/contacts")
        .header("Host", "example.test")
        .header("Authorization", "Bearer token-a")
        .body(axum::body::Body::empty())
        .unwrap();
    let res = app.oneshot(req).await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("odata-version").is_none());
    let body = http_body_util::BodyExt::collect(res.into_body())
        .await
        .unwrap()
        .to_bytes();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert!(
        v["@odata.context"]
            .as_str()
            .unwrap()
            .starts_with("http://example.test/api/beta/$metadata#")
    );
}

#[tokio::test]
async fn shutdown_does_not_wait_forever_for_a_stalled_upload() {
    use tokio::io::AsyncWriteExt;
    let server = contactspec_server::start(ServerConfig::default())
        .await
        .unwrap();
    let mut s = tokio::net::TcpStream::connect(server.local_addr())
        .await
        .unwrap();
    s.write_all(
        b"POST /api/beta/me/contacts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer token-a\r\n\
          Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"GivenName\":",
    )
    .await
    .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let t0 = std::time::Instant::now();
    server.shutdown().await;
    let waited = t0.elapsed();
    assert!(
        waited < contactspec_server::SHUTDOWN_GRACE + std::time::Duration::from_secs(2),
        "{waited:?}"
    );
    drop(s);
}
