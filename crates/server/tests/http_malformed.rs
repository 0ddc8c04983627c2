//! Malformed and hostile requests never panic the server and never get a 5xx
//! (GEN-NO-5XX): one table of raw HTTP/1.1 requests, each sent over its own TCP
//! connection, with the status each must (or may) get.

mod common;

use common::{Api, enc, id_of, person};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Sends raw bytes, returns the status code of the answer (0 if none arrived).
async fn raw(api: &Api, request: Vec<u8>) -> u16 {
    let mut s = tokio::net::TcpStream::connect(api.server.local_addr())
        .await
        .unwrap();
    let _ = s.write_all(&request).await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), s.read_to_end(&mut out)).await;
    let text = String::from_utf8_lossy(&out);
    text.strip_prefix("HTTP/1.1 ")
        .and_then(|r| r.get(..3))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// A request with a body (or none) and the usual headers.
fn req(method: &str, target: &str, headers: &[(&str, &[u8])], body: Option<&[u8]>) -> Vec<u8> {
    let mut v = format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n")
        .into_bytes();
    let mut has_auth = false;
    for (k, val) in headers {
        has_auth |= k.eq_ignore_ascii_case("authorization");
        v.extend_from_slice(k.as_bytes());
        v.extend_from_slice(b": ");
        v.extend_from_slice(val);
        v.extend_from_slice(b"\r\n");
    }
    if !has_auth {
        v.extend_from_slice(b"Authorization: Bearer token-a\r\n");
    }
    if let Some(b) = body {
        v.extend_from_slice(format!("Content-Length: {}\r\n\r\n", b.len()).as_bytes());
        v.extend_from_slice(b);
    } else {
        v.extend_from_slice(b"\r\n");
    }
    v
}

fn json_post(target: &str, body: &[u8]) -> Vec<u8> {
    req(
        "POST",
        target,
        &[("Content-Type", b"application/json")],
        Some(body),
    )
}

fn lcg_bytes(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) as u8
        })
        .collect()
}

#[tokio::test]
async fn hostile_requests_never_get_5xx() {
    let api = Api::start().await;
    let c = api.create(person("Target", "Of Abuse")).await;
    let id = enc(&id_of(&c));
    let contact = format!("/api/beta/me/contacts/{id}");
    let photo = format!("{contact}/photo/$value");
    let deep_array = "[".repeat(10_000) + &"]".repeat(10_000);
    let deep_object =
        "{\"GivenName\":".to_string() + &"{\"a\":".repeat(10_000) + "1" + &"}".repeat(10_001);
    let five_mb = vec![b'x'; 5 * 1024 * 1024];
    let long_id = "A".repeat(20_000);
    let parens = "(".repeat(5_000) + "GivenName eq 'x'" + &")".repeat(5_000);
    let mut cases: Vec<(&str, Vec<u8>, &[u16])> = vec![
        (
            "unterminated JSON",
            json_post("/api/beta/me/contacts", b"{"),
            &[400],
        ),
        (
            "JSON array",
            json_post("/api/beta/me/contacts", b"[]"),
            &[400],
        ),
        (
            "JSON null",
            json_post("/api/beta/me/contacts", b"null"),
            &[400],
        ),
        (
            "empty body",
            json_post("/api/beta/me/contacts", b""),
            &[400],
        ),
        (
            "deep array",
            json_post("/api/beta/me/contacts", deep_array.as_bytes()),
            &[400],
        ),
        (
            "deep object",
            json_post("/api/beta/me/contacts", deep_object.as_bytes()),
            &[400],
        ),
        (
            "deep PATCH",
            req(
                "PATCH",
                &contact,
                &[("Content-Type", b"application/json")],
                Some(deep_array.as_bytes()),
            ),
            &[400],
        ),
        (
            "invalid UTF-8 body",
            json_post("/api/beta/me/contacts", b"{\"GivenName\":\"\xff\xfe\"}"),
            &[400],
        ),
        (
            "lone surrogate",
            json_post("/api/beta/me/contacts", br#"{"GivenName":"\ud800"}"#),
            &[400, 201],
        ),
        (
            "huge number",
            json_post("/api/beta/me/contacts", br#"{"GivenName":1e999999}"#),
            &[400],
        ),
        (
            "duplicate members",
            json_post(
                "/api/beta/me/contacts",
                br#"{"GivenName":"a","GivenName":"b"}"#,
            ),
            &[400],
        ),
        (
            "NUL in string",
            json_post("/api/beta/me/contacts", b"{\"GivenName\":\"a\\u0000b\"}"),
            &[201, 400],
        ),
        (
            "5 MB body",
            json_post("/api/beta/me/contacts", &five_mb),
            &[413],
        ),
        (
            "5 MB photo",
            req(
                "PUT",
                &photo,
                &[("Content-Type", b"image/jpeg")],
                Some(&five_mb),
            ),
            &[413],
        ),
        (
            "photo junk",
            req(
                "PUT",
                &photo,
                &[("Content-Type", b"image/png")],
                Some(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            ),
            &[400, 200],
        ),
        (
            "photo jpeg junk",
            req(
                "PUT",
                &photo,
                &[("Content-Type", b"image/jpeg")],
                Some(b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01"),
            ),
            &[400, 200],
        ),
        (
            "photo no type",
            req("PUT", &photo, &[], Some(b"abc")),
            &[400, 415],
        ),
        (
            "huge top",
            req(
                "GET",
                "/api/beta/me/contacts?$top=999999999999999999999999999",
                &[],
                None,
            ),
            &[200],
        ),
        (
            "negative top",
            req("GET", "/api/beta/me/contacts?$top=-1", &[], None),
            &[400],
        ),
        (
            "bad percent",
            req("GET", "/api/beta/me/contacts?%ZZ=%G1&$select=%", &[], None),
            &[200, 400],
        ),
        (
            "non-UTF-8 query",
            req("GET", "/api/beta/me/contacts?$select=%FF%FE", &[], None),
            &[400],
        ),
        (
            "separators only",
            req("GET", "/api/beta/me/contacts?&&&===&", &[], None),
            &[200, 400],
        ),
        (
            "deep filter",
            req(
                "GET",
                &format!("/api/beta/me/contacts?$filter={}", enc(&parens)),
                &[],
                None,
            ),
            &[200, 400],
        ),
        (
            "garbage filter",
            req(
                "GET",
                "/api/beta/me/contacts?$filter=%27%27%27%28%29eq",
                &[],
                None,
            ),
            &[400],
        ),
        (
            "garbage orderby",
            req(
                "GET",
                "/api/beta/me/contacts?$orderby=,,,desc%20asc",
                &[],
                None,
            ),
            &[400],
        ),
        (
            "garbage skiptoken",
            req(
                "GET",
                "/api/beta/me/contacts?$skiptoken=%00%01garbage",
                &[],
                None,
            ),
            &[400],
        ),
        (
            "garbage deltatoken",
            req("GET", "/api/beta/me/contacts?$deltatoken=AAAA", &[], None),
            &[400],
        ),
        (
            "both tokens",
            req(
                "GET",
                "/api/beta/me/contacts?$deltatoken=a&$skiptoken=b",
                &[],
                None,
            ),
            &[400],
        ),
        (
            "non-UTF-8 id",
            req("GET", "/api/beta/me/contacts/%FF%FE", &[], None),
            &[400, 404],
        ),
        (
            "very long id",
            req(
                "GET",
                &format!("/api/beta/me/contacts/{long_id}"),
                &[],
                None,
            ),
            &[400, 404],
        ),
        (
            "unclosed key",
            req("GET", "/api/beta/me/contacts('abc", &[], None),
            &[404],
        ),
        (
            "dot segments",
            req("GET", "/api/beta/me/contacts/..%2F..%2Fetc", &[], None),
            &[400, 404],
        ),
        (
            "NUL user",
            req("GET", "/api/beta/users/%00/contacts", &[], None),
            &[404],
        ),
        (
            "garbage prefer",
            req(
                "GET",
                "/api/beta/me/contacts",
                &[(
                    "Prefer",
                    b"odata.maxpagesize=-1, outlook.timezone=\"\\, ,,=;;\"",
                )],
                None,
            ),
            &[200],
        ),
        (
            "garbage if-match",
            req(
                "PATCH",
                &contact,
                &[
                    ("Content-Type", b"application/json"),
                    ("If-Match", b"W/\"\xff"),
                ],
                Some(b"{}"),
            ),
            &[412],
        ),
        (
            "garbage content-type",
            json_post("/api/beta/me/contacts", b"{}")
                .into_iter()
                .collect(),
            &[201],
        ),
        (
            "two auth headers",
            req(
                "GET",
                "/api/beta/me/contacts",
                &[
                    ("Authorization", b"Bearer token-a"),
                    ("Authorization", b"Bearer token-b"),
                ],
                None,
            ),
            &[401, 200],
        ),
        (
            "OPTIONS",
            req("OPTIONS", "/api/beta/me/contacts", &[], None),
            &[405],
        ),
        ("TRACE", req("TRACE", &contact, &[], None), &[405]),
        ("HEAD", req("HEAD", &contact, &[], None), &[200]),
    ];
    for seed in 0..20u64 {
        let mut token = b"Bearer ".to_vec();
        token.extend(
            lcg_bytes(seed, 40)
                .into_iter()
                .filter(|b| *b != b'\r' && *b != b'\n' && *b != 0),
        );
        cases.push((
            "random token",
            req(
                "GET",
                "/api/beta/me/contacts",
                &[("Authorization", Box::leak(token.into_boxed_slice()))],
                None,
            ),
            &[401, 400],
        ));
    }
    let mut failures = Vec::new();
    for (name, bytes, allowed) in cases {
        let status = raw(&api, bytes).await;
        if !allowed.contains(&status) || status >= 500 {
            failures.push(format!("{name}: got {status}, allowed {allowed:?}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    // Still healthy, and the contact is untouched.
    let r = api.get(&format!("me/contacts/{id}")).await;
    r.expect(200, None);
    assert_eq!(r.json()["Surname"], "Of Abuse");
}
