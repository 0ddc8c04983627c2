//! §1 and §9 over real HTTP: base path, auth, headers, routing, methods, content type,
//! body limit, key forms, users path, `@odata.id`, trailing slash, error shape.

mod common;

use common::{Api, Req, enc, id_of, person};
use serde_json::json;

#[tokio::test]
async fn auth_required_and_scheme_case_insensitive() {
    let api = Api::start().await;
    for (token_header, ok) in [
        (None, false),
        (Some("Bearer token-a"), true),
        (Some("bearer token-a"), true),
        (Some("BEARER token-a"), true),
        (Some("Bearer token-x"), false),
        (Some("Basic dG9rZW4tYTo="), false),
        (Some("Bearer"), false),
        (Some("token-a"), false),
    ] {
        let mut req = Req::new("GET", "me/contacts").token(None);
        if let Some(h) = token_header {
            req = req.header("Authorization", h);
        }
        let r = api.send(req).await;
        if ok {
            assert_eq!(r.status, 200, "{token_header:?}");
        } else {
            assert_eq!(r.status, 401, "{token_header:?}");
            assert!(r.header("www-authenticate").unwrap().starts_with("Bearer"));
        }
    }
}

#[tokio::test]
async fn auth_comes_before_404_and_405() {
    let api = Api::start().await;
    for (m, p) in [
        ("GET", "me/nothing"),
        ("DELETE", "me/contactfolders"),
        ("GET", "me/contacts/nope"),
    ] {
        let r = api.send(Req::new(m, p).token(None)).await;
        assert_eq!(r.status, 401, "{m} {p}");
    }
}

#[tokio::test]
async fn every_response_has_odata_version_and_request_ids() {
    let api = Api::start().await;
    for req in [
        Req::new("GET", "me/contacts"),
        Req::new("GET", "me/nothing"),
        Req::new("GET", "me/contacts").token(None),
        Req::new("PUT", "me/contacts"),
    ] {
        let r = api.send(req.header("client-request-id", "abc-123")).await;
        assert_eq!(r.header("odata-version"), Some("4.0"));
        assert!(!r.header("request-id").unwrap_or("").is_empty());
        assert_eq!(r.header("client-request-id"), Some("abc-123"));
    }
}

#[tokio::test]
async fn unknown_paths_404_and_methods_405() {
    let api = Api::start().await;
    let c = api.create(person("Ann", "Lee")).await;
    let id = enc(&id_of(&c));
    for p in [
        "me/events",
        "me",
        "me/contacts/x/y/z",
        "me/contactfolders/x/events",
        "foo",
    ] {
        api.send(Req::new("GET", p))
            .await
            .expect(404, Some("ErrorInvalidRequest"));
    }
    let (def, _, _) = api.folders().await;
    for (m, p) in [
        ("PUT", "me/contacts".to_string()),
        ("DELETE", "me/contacts".to_string()),
        ("POST", format!("me/contacts/{id}")),
        ("PUT", format!("me/contacts/{id}")),
        ("POST", "me/contactfolders".to_string()),
        ("PATCH", format!("me/contactfolders/{def}")),
        ("DELETE", format!("me/contactfolders/{def}")),
        ("POST", format!("me/contactfolders/{def}/childfolders")),
        ("DELETE", format!("me/contacts/{id}/photo/$value")),
        ("PUT", format!("me/contacts/{id}/photo")),
        ("POST", "me/contacts/$count".to_string()),
    ] {
        let r = api.send(Req::new(m, &p).json(&json!({}))).await;
        r.expect(405, Some("ErrorInvalidRequest"));
        assert!(r.header("allow").is_some());
    }
    // Unknown resource answers 404 whatever the method.
    api.send(Req::new("DELETE", "me/contactfolders/nope"))
        .await
        .expect(404, Some("ErrorItemNotFound"));
    api.send(Req::new("DELETE", "me/contacts/nope"))
        .await
        .expect(404, Some("ErrorItemNotFound"));
}

#[tokio::test]
async fn resource_names_case_insensitive_trailing_slash_and_key_forms() {
    let api = Api::start().await;
    let c = api
        .create(json!({"GivenName": "Key", "Surname": "Forms"}))
        .await;
    let id = id_of(&c);
    for p in [
        format!("me/contacts/{}", enc(&id)),
        format!("me/contacts/{id}"),
        format!("Me/Contacts/{}", enc(&id)),
        format!("ME/CONTACTS('{}')", enc(&id)),
        format!("me/contacts('{id}')"),
        format!("me/contacts/{}/", enc(&id)),
    ] {
        let r = api.get(&p).await;
        r.expect(200, None);
        assert_eq!(r.json()["Id"], id.as_str(), "{p}");
    }
    api.get("me/ContactFolders/").await.expect(200, None);
}

#[tokio::test]
async fn users_path_and_odata_id_are_routed() {
    let api = Api::start().await;
    let c = api.create(person("Odata", "Id")).await;
    let odata_id = c["@odata.id"].as_str().unwrap().to_string();
    assert!(odata_id.starts_with(&api.base));
    let r = api.get(&odata_id).await;
    r.expect(200, None);
    assert_eq!(r.json()["Id"], c["Id"]);
    // users/{user} as written in @odata.id.
    let user = odata_id
        .split("Users('")
        .nth(1)
        .unwrap()
        .split("')")
        .next()
        .unwrap()
        .to_string();
    let r = api
        .get(&format!("users/{user}/contacts/{}", enc(&id_of(&c))))
        .await;
    r.expect(200, None);
    // PATCH and DELETE through @odata.id.
    let r = api
        .send(Req::new("PATCH", &odata_id).json(&json!({"JobTitle": "x"})))
        .await;
    r.expect(200, None);
    assert_eq!(r.json()["JobTitle"], "x");
    api.send(Req::new("DELETE", &odata_id))
        .await
        .expect(204, None);
    api.get(&odata_id)
        .await
        .expect(404, Some("ErrorItemNotFound"));
    // Another user's users/{user} path → 404 ErrorItemNotFound.
    let r = api
        .send(Req::new("GET", &format!("users/{user}/contacts")).token(Some("token-b")))
        .await;
    r.expect(404, Some("ErrorItemNotFound"));
}

#[tokio::test]
async fn isolation_between_tokens() {
    let api = Api::start().await;
    let c = api.create(person("Only", "Mine")).await;
    let id = enc(&id_of(&c));
    let as_b = |m: &str, p: &str| Req::new(m, p).token(Some("token-b"));
    api.send(as_b("GET", &format!("me/contacts/{id}")))
        .await
        .expect(404, Some("ErrorItemNotFound"));
    api.send(as_b("PATCH", &format!("me/contacts/{id}")).json(&json!({"Surname": "x"})))
        .await
        .expect(404, Some("ErrorItemNotFound"));
    api.send(as_b("DELETE", &format!("me/contacts/{id}")))
        .await
        .expect(404, Some("ErrorItemNotFound"));
    api.send(as_b("GET", &format!("me/contacts/{id}/photo")))
        .await
        .expect(404, Some("ErrorItemNotFound"));
    let (def, _, _) = api.folders().await;
    api.send(as_b("GET", &format!("me/contactfolders/{def}")))
        .await
        .expect(404, Some("ErrorItemNotFound"));
    // Unchanged for A.
    assert_eq!(
        api.get(&format!("me/contacts/{id}")).await.json()["Surname"],
        "Mine"
    );
}

#[tokio::test]
async fn content_type_is_required_for_json_writes() {
    let api = Api::start().await;
    let body = br#"{"GivenName":"CT"}"#.to_vec();
    let r = api
        .send(Req::new("POST", "me/contacts").bytes(body.clone()))
        .await;
    r.expect(415, Some("ErrorUnsupportedMediaType"));
    let r = api
        .send(
            Req::new("POST", "me/contacts")
                .bytes(body.clone())
                .header("Content-Type", "text/plain"),
        )
        .await;
    r.expect(415, Some("ErrorUnsupportedMediaType"));
    let r = api
        .send(Req::new("POST", "me/contacts").bytes(body).header(
            "Content-Type",
            "application/json; charset=utf-8; odata.metadata=minimal",
        ))
        .await;
    r.expect(201, None);
    // Accept never causes 406; a Content-Type on a GET is ignored.
    let r = api
        .send(
            Req::new("GET", "me/contacts")
                .header("Accept", "image/png")
                .header("Content-Type", "text/plain")
                .header("X-AnchorMailbox", "someone"),
        )
        .await;
    r.expect(200, None);
}

#[tokio::test]
async fn body_limit_exact_and_over() {
    let api = Api::start().await;
    const LIMIT: usize = 4_194_304;
    let make = |total: usize| {
        // {"PersonalNotes":"xxx…"} padded to exactly `total` bytes.
        let head = br#"{"GivenName":"Big","PersonalNotes":""#;
        let tail = br#""}"#;
        let mut v = head.to_vec();
        v.resize(total - tail.len(), b'x');
        v.extend_from_slice(tail);
        v
    };
    let r = api
        .send(
            Req::new("POST", "me/contacts")
                .bytes(make(LIMIT))
                .header("Content-Type", "application/json"),
        )
        .await;
    r.expect(201, None);
    let r = api
        .send(
            Req::new("POST", "me/contacts")
                .bytes(make(LIMIT + 1))
                .header("Content-Type", "application/json"),
        )
        .await;
    r.expect(413, Some("ErrorRequestEntityTooLarge"));
}

#[tokio::test]
async fn body_limit_answers_before_the_body_with_expect_continue() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let api = Api::start().await;
    let mut s = tokio::net::TcpStream::connect(api.server.local_addr())
        .await
        .unwrap();
    let head = "POST /api/beta/me/contacts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer token-a\r\n\
                Content-Type: application/json\r\nContent-Length: 5000000\r\nExpect: 100-continue\r\n\r\n";
    s.write_all(head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(std::time::Duration::from_secs(5), s.read(&mut buf))
        .await
        .expect("answer without the body")
        .unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("ErrorRequestEntityTooLarge"), "{text}");
}

#[tokio::test]
async fn chunked_body_over_limit_is_refused() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let api = Api::start().await;
    let s = tokio::net::TcpStream::connect(api.server.local_addr())
        .await
        .unwrap();
    let (mut rd, mut wr) = s.into_split();
    let writer = tokio::spawn(async move {
        let head = "POST /api/beta/me/contacts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer token-a\r\n\
                    Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
        wr.write_all(head.as_bytes()).await?;
        let chunk = vec![b' '; 1024 * 1024];
        for _ in 0..5 {
            wr.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                .await?;
            wr.write_all(&chunk).await?;
            wr.write_all(b"\r\n").await?;
        }
        wr.write_all(b"0\r\n\r\n").await?;
        Ok::<_, std::io::Error>(wr)
    });
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(std::time::Duration::from_secs(10), rd.read(&mut buf))
        .await
        .expect("an answer")
        .unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    let _ = writer.await;
}
