//! In-process fuzzing of the whole application through `router` (no TCP): random
//! methods, paths built from real and hostile segments, query strings, headers and
//! bodies never get a 5xx, and every 4xx other than 401 has the §9 error shape
//! (GEN-NO-5XX, ERR-SHAPE).

use axum::body::Body;
use axum::http::Request;
use contactspec_server::{ServerConfig, app, state};
use http_body_util::BodyExt;
use proptest::prelude::*;
use std::sync::{Arc, OnceLock};
use tower::ServiceExt;

struct Fixture {
    rt: tokio::runtime::Runtime,
    state: Arc<contactspec_server::AppState>,
    contact: String,
    folder: String,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let state = state(&ServerConfig::default());
        let (contact, folder) = rt.block_on(async {
            let req = Request::post("/api/beta/me/contacts")
                .header("Authorization", "Bearer token-a")
                .header("Content-Type", "application/json")
                .body(Body::from(r#"{"GivenName":"Fuzz"}"#))
                .unwrap();
            let res = app::router(state.clone()).oneshot(req).await.unwrap();
            let body = res.into_body().collect().await.unwrap().to_bytes();
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
            (
                v["Id"].as_str().unwrap().to_string(),
                v["ParentFolderId"].as_str().unwrap().to_string(),
            )
        });
        Fixture {
            rt,
            state,
            contact,
            folder,
        }
    })
}

fn segment() -> impl Strategy<Value = String> {
    let f = fixture();
    prop_oneof![
        Just("me".to_string()),
        Just("users".to_string()),
        Just("contacts".to_string()),
        Just("Contacts".to_string()),
        Just("contactfolders".to_string()),
        Just("childfolders".to_string()),
        Just("photo".to_string()),
        Just("$value".to_string()),
        Just("$count".to_string()),
        Just(f.contact.clone()),
        Just(f.folder.clone()),
        Just(format!("contacts('{}')", f.contact)),
        Just(format!("contactfolders('{}')", f.folder)),
        Just("%FF%00".to_string()),
        Just("('".to_string()),
        Just(String::new()),
        "[a-zA-Z0-9%'()=+$.-]{0,12}",
    ]
}

fn path() -> impl Strategy<Value = String> {
    prop::collection::vec(segment(), 0..7).prop_map(|segs| {
        let mut p = "/api/beta".to_string();
        for s in segs {
            p.push('/');
            p.push_str(&s);
        }
        p
    })
}

fn query() -> impl Strategy<Value = String> {
    let part = prop_oneof![
        Just("$top=3".to_string()),
        Just("$top=-1".to_string()),
        Just("$top=99999999999999999999".to_string()),
        Just("$skip=2".to_string()),
        Just("$select=GivenName,Surname".to_string()),
        Just("$select=Flag/FlagStatus".to_string()),
        Just("$filter=GivenName%20eq%20'Fuzz'".to_string()),
        Just("$filter=((((".to_string()),
        Just("$orderby=Surname+desc".to_string()),
        Just("$count=true".to_string()),
        Just("$skiptoken=abc".to_string()),
        Just("$deltatoken=abc".to_string()),
        Just("$search=x".to_string()),
        Just("%24Top=1".to_string()),
        "[a-zA-Z0-9$%=&+']{0,20}",
    ];
    prop::collection::vec(part, 0..4).prop_map(|p| p.join("&"))
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(Vec::new()),
        Just(br#"{"GivenName":"x","Surname":"y"}"#.to_vec()),
        Just(br#"{"Flag":{"FlagStatus":"Flagged","DueDateTime":{"DateTime":"2018-01-01T00:00:00","TimeZone":"UTC"}}}"#.to_vec()),
        Just(br#"{"Birthday":"0000-02-30"}"#.to_vec()),
        Just(br#"{"EmailAddresses":[null]}"#.to_vec()),
        Just(b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[".to_vec()),
        Just(b"\x89PNG\r\n\x1a\n".to_vec()),
        Just(b"\xff\xd8\xff".to_vec()),
        prop::collection::vec(any::<u8>(), 0..64),
        "[ -~]{0,64}".prop_map(String::into_bytes),
    ]
}

fn method() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("GET"),
        Just("POST"),
        Just("PATCH"),
        Just("PUT"),
        Just("DELETE"),
        Just("HEAD"),
        Just("OPTIONS"),
    ]
}

fn content_type() -> impl Strategy<Value = Option<&'static str>> {
    prop_oneof![
        Just(None),
        Just(Some("application/json")),
        Just(Some("image/png")),
        Just(Some("image/jpeg")),
        Just(Some("text/plain")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    #[test]
    fn never_5xx_and_errors_have_the_shape(
        method in method(),
        path in path(),
        query in query(),
        body in body(),
        ct in content_type(),
        token in prop_oneof![Just("token-a"), Just("token-b"), Just("nope")],
        if_match in prop_oneof![Just(None), Just(Some("*")), Just(Some("W/\"x\"")), Just(Some("\u{0}"))],
        prefer in prop_oneof![Just(None), Just(Some("odata.track-changes")), Just(Some("odata.maxpagesize=2")), Just(Some("outlook.timezone=\"Tokyo Standard Time\""))],
    ) {
        let f = fixture();
        let uri = if query.is_empty() { path.clone() } else { format!("{path}?{query}") };
        let Ok(uri) = uri.parse::<axum::http::Uri>() else { return Ok(()); };
        let mut b = Request::builder().method(method).uri(uri).header("Authorization", format!("Bearer {token}"));
        if let Some(ct) = ct { b = b.header("Content-Type", ct); }
        if let Some(m) = if_match.filter(|m| !m.contains('\u{0}')) { b = b.header("If-Match", m); }
        if let Some(p) = prefer { b = b.header("Prefer", p); }
        let req = b.body(Body::from(body)).unwrap();
        let (status, headers, bytes) = f.rt.block_on(async {
            let res = app::router(f.state.clone()).oneshot(req).await.unwrap();
            let status = res.status().as_u16();
            let headers = res.headers().clone();
            let bytes = res.into_body().collect().await.unwrap().to_bytes();
            (status, headers, bytes)
        });
        prop_assert!(status < 500, "{method} {path}?{query}: {status}");
        if status >= 400 && status != 401 && method != "HEAD" {
            let v: serde_json::Value = serde_json::from_slice(&bytes)
                .map_err(|e| TestCaseError::fail(format!("{status} not JSON: {e}")))?;
            prop_assert!(v["error"]["code"].as_str().is_some_and(|c| !c.is_empty()));
            prop_assert!(v["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
            let ct = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
            prop_assert!(ct.starts_with("application/json"), "{ct}");
        }
        if status == 401 {
            prop_assert!(headers.get("www-authenticate").is_some());
        }
    }
}
