//! Synchronization over real HTTP: every SY rule of SPEC.md §6, including tampered,
//! foreign and misplaced tokens. Each test names the rules it checks.

use contactspec_server::{RunningServer, ServerConfig, start};
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};

const TRACK: &str = "odata.track-changes";

struct Api {
    server: RunningServer,
    http: Client,
}

impl Api {
    async fn new() -> Api {
        let server = start(ServerConfig::default()).await.expect("server starts");
        let http = Client::builder().tcp_nodelay(true).build().unwrap();
        Api { server, http }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{}", self.server.base_url(), path)
    }

    async fn send(&self, url: &str, token: &str, prefer: &[&str]) -> Response {
        let mut rb = self.http.get(url).bearer_auth(token);
        for p in prefer {
            rb = rb.header("Prefer", *p);
        }
        rb.send().await.unwrap()
    }

    /// GET as user A; asserts 200 and `Preference-Applied: odata.track-changes`.
    async fn page(&self, url: &str, prefer: &[&str]) -> Value {
        let res = self.send(url, "token-a", prefer).await;
        let status = res.status();
        let applied = applied(&res);
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, StatusCode::OK, "{url}: {body}");
        if !prefer.is_empty() {
            assert!(applied.contains(&TRACK.to_string()), "{url}: {applied:?}");
        }
        body
    }

    async fn create(&self, path: &str, given: &str) -> String {
        let res = self
            .http
            .post(self.url(path))
            .bearer_auth("token-a")
            .json(&json!({"GivenName": given, "Surname": "sync"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let v: Value = res.json().await.unwrap();
        v["Id"].as_str().unwrap().to_string()
    }

    async fn patch(&self, id: &str, body: Value) -> Value {
        let res = self
            .http
            .patch(self.url(&format!("me/contacts/{id}")))
            .bearer_auth("token-a")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    }

    async fn delete(&self, id: &str) {
        let res = self
            .http
            .delete(self.url(&format!("me/contacts/{id}")))
            .bearer_auth("token-a")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
    }

    async fn folders(&self, token: &str) -> HashMap<String, String> {
        let res = self.send(&self.url("me/contactfolders"), token, &[]).await;
        let body: Value = res.json().await.unwrap();
        let mut out = HashMap::new();
        for f in body["value"].as_array().unwrap() {
            out.insert(
                f["DisplayName"].as_str().unwrap().to_string(),
                f["Id"].as_str().unwrap().to_string(),
            );
        }
        out
    }

    /// Runs one whole round from `url` (first request or a delta link): returns the
    /// pages and the delta link that ends it.
    async fn round(&self, url: &str, prefer: &[&str]) -> (Vec<Value>, String) {
        let mut pages = Vec::new();
        let mut url = url.to_string();
        let mut first = !url.contains("token=");
        loop {
            let page = self.page(&url, prefer).await;
            let next = page["@odata.nextLink"].as_str().map(str::to_string);
            let delta = page["@odata.deltaLink"].as_str().map(str::to_string);
            assert!(
                next.is_some() != delta.is_some(),
                "exactly one link: {page}"
            );
            if first {
                // SY-FIRST: the first answer always carries a delta link.
                assert!(
                    delta.is_some(),
                    "first answer must carry a delta link: {page}"
                );
            }
            if next.is_some() {
                assert!(
                    !page["value"].as_array().unwrap().is_empty(),
                    "empty next page"
                );
            }
            pages.push(page);
            assert!(pages.len() < 200, "round does not end");
            match (next, delta) {
                (Some(n), _) => url = n,
                (None, Some(d)) if first => {
                    first = false;
                    url = d;
                }
                (None, Some(d)) => return (pages, d),
                (None, None) => unreachable!(),
            }
        }
    }
}

fn applied(res: &Response) -> Vec<String> {
    res.headers()
        .get_all("preference-applied")
        .iter()
        .flat_map(|v| v.to_str().unwrap().split(','))
        .map(|s| s.trim().to_ascii_lowercase())
        .collect()
}

fn ids(pages: &[Value]) -> Vec<String> {
    pages
        .iter()
        .flat_map(|p| p["value"].as_array().unwrap().clone())
        .map(|c| c["Id"].as_str().unwrap().to_string())
        .collect()
}

fn token_of(link: &str) -> (String, String) {
    let q = link.split_once('?').unwrap().1;
    let (k, v) = form_urlencoded::parse(q.as_bytes()).next().unwrap();
    (k.into_owned(), v.into_owned())
}

async fn error_code(res: Response) -> (StatusCode, String) {
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    (
        status,
        body["error"]["code"].as_str().unwrap_or("").to_string(),
    )
}

#[tokio::test]
async fn a_full_round_then_the_next_round() {
    // SY-ROUND, SY-FIRST, SY-FIRST-PAGE, SY-FOLLOW, SY-COMPLETE, SY-PAGESIZE,
    // SY-PREFER, SY-NEXT-ROUND, SY-NO-TOMBSTONE
    let api = Api::new().await;
    let folders = api.folders("token-a").await;
    let finance = &folders["Finance"];
    let mut created = Vec::new();
    for i in 0..12 {
        created.push(
            api.create(
                &format!("me/contactfolders/{finance}/contacts"),
                &format!("f{i}"),
            )
            .await,
        );
    }
    api.create("me/contacts", "elsewhere").await;
    let prefer = [TRACK, "odata.maxpagesize=5"];
    let start = api.url(&format!("me/contactfolders/{finance}/contacts"));
    let (pages, delta) = api.round(&start, &prefer).await;
    // First page (5) + delta, then 5 + next, then 2 + final delta.
    let sizes: Vec<usize> = pages
        .iter()
        .map(|p| p["value"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, [5, 5, 2]);
    assert_eq!(ids(&pages), created);
    assert!(
        pages[1]["@odata.nextLink"]
            .as_str()
            .unwrap()
            .contains("skiptoken")
    );
    assert!(delta.contains("deltatoken"));
    assert!(delta.starts_with(&api.server.base_url()));

    // Changes before the next round: one new, one deleted, one updated.
    let added = api
        .create(&format!("me/contactfolders/{finance}/contacts"), "new")
        .await;
    api.delete(&created[3]).await;
    let updated = api
        .patch(&created[7], json!({"GivenName": "renamed"}))
        .await;
    let (pages2, _) = api.round(&delta, &prefer).await;
    // A round from a final delta link is answered like SY-FOLLOW: a next link first.
    assert!(pages2[0].get("@odata.nextLink").is_some());
    let got = ids(&pages2);
    let mut want = created.clone();
    want.remove(3);
    want.push(added);
    assert_eq!(got, want);
    let renamed = pages2
        .iter()
        .flat_map(|p| p["value"].as_array().unwrap().clone())
        .find(|c| c["Id"] == created[7].as_str())
        .unwrap();
    assert_eq!(renamed["ChangeKey"], updated["ChangeKey"]);
    assert_eq!(renamed["GivenName"], "renamed");
    for c in pages2
        .iter()
        .flat_map(|p| p["value"].as_array().unwrap().clone())
    {
        assert!(c.get("@removed").is_none() && c.get("reason").is_none());
    }
}

#[tokio::test]
async fn default_page_size_and_one_header_or_several() {
    // SY-PREFER, SY-PAGESIZE, GEN-PREFER-SYNTAX
    let api = Api::new().await;
    for i in 0..25 {
        api.create("me/contacts", &format!("c{i}")).await;
    }
    let (pages, _) = api
        .round(
            &api.url("me/contacts"),
            &["odata.track-changes, odata.maxpagesize=7"],
        )
        .await;
    assert!(
        pages
            .iter()
            .all(|p| p["value"].as_array().unwrap().len() <= 7)
    );
    assert_eq!(ids(&pages).len(), 25);
    let (pages, _) = api
        .round(&api.url("me/contacts"), &[TRACK, "odata.maxpages=1"])
        .await;
    assert_eq!(ids(&pages).len(), 25);
    let unique: HashSet<String> = ids(&pages).into_iter().collect();
    assert_eq!(unique.len(), 25);
}

#[tokio::test]
async fn empty_folder() {
    // SY-EMPTY
    let api = Api::new().await;
    let first = api.page(&api.url("me/contacts"), &[TRACK]).await;
    assert_eq!(first["value"], json!([]));
    assert!(first.get("@odata.nextLink").is_none());
    let delta = first["@odata.deltaLink"].as_str().unwrap();
    let second = api.page(delta, &[TRACK]).await;
    assert_eq!(second["value"], json!([]));
    assert!(second["@odata.deltaLink"].as_str().is_some());
    assert!(second.get("@odata.nextLink").is_none());
}

#[tokio::test]
async fn select_rides_in_the_token() {
    // SY-SELECT
    let api = Api::new().await;
    for i in 0..5 {
        api.create("me/contacts", &format!("s{i}")).await;
    }
    let url = api.url("me/contacts?$select=GivenName");
    let prefer = [TRACK, "odata.maxpagesize=2"];
    let (pages, delta) = api.round(&url, &prefer).await;
    let (pages2, _) = api.round(&delta, &prefer).await;
    for p in pages.iter().chain(&pages2) {
        for c in p["value"].as_array().unwrap() {
            let keys: HashSet<&str> = c.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(
                keys,
                HashSet::from(["@odata.id", "@odata.etag", "Id", "GivenName"]),
                "{c}"
            );
        }
    }
    assert_eq!(ids(&pages2).len(), 5);
}

#[tokio::test]
async fn forbidden_options() {
    // SY-FORBIDDEN, Q-SEARCH
    let api = Api::new().await;
    for q in [
        "$filter=GivenName eq 'a'",
        "$orderby=GivenName",
        "$search=a",
        "$top=1",
        "$skip=1",
        "$count=true",
    ] {
        for path in ["me/contacts", "me/contactfolders"] {
            let res = api
                .send(&api.url(&format!("{path}?{q}")), "token-a", &[TRACK])
                .await;
            assert_eq!(
                error_code(res).await,
                (StatusCode::BAD_REQUEST, "ErrorInvalidUrlQuery".to_string()),
                "{path}?{q}"
            );
        }
    }
    // Also on a later page, and on a token without the Prefer header.
    api.create("me/contacts", "x").await;
    let first = api.page(&api.url("me/contacts"), &[TRACK]).await;
    let delta = first["@odata.deltaLink"].as_str().unwrap();
    let res = api.send(&format!("{delta}&$top=1"), "token-a", &[]).await;
    assert_eq!(error_code(res).await.1, "ErrorInvalidUrlQuery");
}

#[tokio::test]
async fn bad_tokens() {
    // SY-TOKEN-BAD, GEN-NO-5XX, AUTH-ISOLATION
    let api = Api::new().await;
    let folders = api.folders("token-a").await;
    for i in 0..3 {
        api.create("me/contacts", &format!("t{i}")).await;
    }
    let first = api
        .page(&api.url("me/contacts"), &[TRACK, "odata.maxpagesize=1"])
        .await;
    let delta = first["@odata.deltaLink"].as_str().unwrap().to_string();
    let (name, token) = token_of(&delta);
    let bad = |name: &str, t: &str| api.url(&format!("me/contacts?{name}={t}"));

    // One character of the middle third replaced by another letter or digit.
    let third = token.len() / 3;
    for i in [third, token.len() / 2, 2 * third - 1] {
        for repl in ['A', 'z', '7'] {
            let mut chars: Vec<char> = token.chars().collect();
            if chars[i] == repl {
                continue;
            }
            chars[i] = repl;
            let t: String = chars.into_iter().collect();
            let res = api.send(&bad(&name, &t), "token-a", &[TRACK]).await;
            assert_eq!(
                error_code(res).await,
                (StatusCode::BAD_REQUEST, "ErrorInvalidSyncStateData".into())
            );
        }
    }
    // Never issued by this server: junk of every kind, never a 5xx.
    for t in [
        "x",
        "AAAA",
        "%00",
        "eyJ2IjoxfQ",
        "..%2F..",
        "a%20b",
        &"Q".repeat(3000),
    ] {
        for param in ["$deltatoken", "$skiptoken"] {
            let res = api.send(&bad(param, t), "token-a", &[TRACK]).await;
            assert_eq!(
                error_code(res).await,
                (StatusCode::BAD_REQUEST, "ErrorInvalidSyncStateData".into()),
                "{param}={t}"
            );
        }
    }
    // Bytes that are not UTF-8 break the query string itself: still a 400.
    let res = api
        .send(&bad("$deltatoken", "%FF%FE"), "token-a", &[TRACK])
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // Another folder.
    let finance = &folders["Finance"];
    let res = api
        .send(
            &api.url(&format!(
                "me/contactfolders/{finance}/contacts?{name}={token}"
            )),
            "token-a",
            &[TRACK],
        )
        .await;
    assert_eq!(error_code(res).await.1, "ErrorInvalidSyncStateData");
    // A contact token on the folder list.
    let res = api
        .send(
            &api.url(&format!("me/contactfolders?{name}={token}")),
            "token-a",
            &[TRACK],
        )
        .await;
    assert_eq!(error_code(res).await.1, "ErrorInvalidSyncStateData");
    // Another user, on their own default folder.
    let res = api.send(&delta, "token-b", &[TRACK]).await;
    assert_eq!(
        error_code(res).await,
        (StatusCode::BAD_REQUEST, "ErrorInvalidSyncStateData".into())
    );
    // Another user, on user A's folder: not theirs.
    let default_a = &folders["Contacts"];
    let res = api
        .send(
            &api.url(&format!(
                "me/contactfolders/{default_a}/contacts?{name}={token}"
            )),
            "token-b",
            &[TRACK],
        )
        .await;
    let (status, code) = error_code(res).await;
    assert!(
        (status == StatusCode::NOT_FOUND && code == "ErrorItemNotFound")
            || (status == StatusCode::BAD_REQUEST && code == "ErrorInvalidSyncStateData"),
        "{status} {code}"
    );
    // A delta token under the skip token's name.
    let res = api
        .send(&bad("$skiptoken", &token), "token-a", &[TRACK])
        .await;
    assert_eq!(error_code(res).await.1, "ErrorInvalidSyncStateData");
}

#[tokio::test]
async fn tokens_work_on_every_path_of_the_folder_and_without_prefer() {
    // SY-TOKEN-PATH, SY-TOKEN-ONLY, SY-REPLAY, SY-FOLLOW (case-insensitive names)
    let api = Api::new().await;
    let folders = api.folders("token-a").await;
    let default = &folders["Contacts"];
    for i in 0..5 {
        api.create("me/contacts", &format!("p{i}")).await;
    }
    let first = api
        .page(&api.url("me/contacts"), &[TRACK, "odata.maxpagesize=2"])
        .await;
    let delta = first["@odata.deltaLink"].as_str().unwrap().to_string();
    let (name, token) = token_of(&delta);
    let reference = api.page(&delta, &[TRACK]).await;
    // The user segment as the server writes it in @odata.id.
    let odata_id = first["value"][0]["@odata.id"].as_str().unwrap();
    let user = odata_id
        .split("Users('")
        .nth(1)
        .unwrap()
        .split("')")
        .next()
        .unwrap();
    for path in [
        format!("me/contactfolders/{default}/contacts"),
        format!("users/{user}/contacts"),
        format!("users/{user}/contactfolders/{default}/contacts"),
        "me/Contacts/".to_string(),
    ] {
        let url = api.url(&format!("{path}?{name}={token}"));
        let page = api.page(&url, &[TRACK]).await;
        assert_eq!(page["value"], reference["value"], "{path}");
    }
    // Without Prefer (SY-TOKEN-ONLY), with a mixed-case parameter name.
    let upper = api.url(&format!("me/contacts?$DeltaToken={token}"));
    let page = api.page(&upper, &[]).await;
    assert_eq!(page["value"], reference["value"]);
    // Replay (SY-REPLAY): the same link twice, the same page.
    let next = reference["@odata.nextLink"].as_str().unwrap();
    let a = api.page(next, &[TRACK]).await;
    let b = api.page(next, &[TRACK]).await;
    assert_eq!(a, b);
    let (sname, stoken) = token_of(next);
    assert_eq!(sname.to_ascii_lowercase(), "$skiptoken");
    let mixed = api.url(&format!("me/contacts?$SKIPTOKEN={stoken}"));
    assert_eq!(api.page(&mixed, &[TRACK]).await, a);
    // Both tokens together.
    let both = api.url(&format!(
        "me/contacts?$skiptoken={stoken}&$deltatoken={token}"
    ));
    let res = api.send(&both, "token-a", &[TRACK]).await;
    assert_eq!(
        error_code(res).await,
        (StatusCode::BAD_REQUEST, "ErrorInvalidUrlQuery".into())
    );
}

#[tokio::test]
async fn a_round_survives_creates_and_deletes() {
    // SY-COMPLETE-LIVE
    let api = Api::new().await;
    let mut created = Vec::new();
    for i in 0..9 {
        created.push(api.create("me/contacts", &format!("l{i}")).await);
    }
    let prefer = [TRACK, "odata.maxpagesize=3"];
    let first = api.page(&api.url("me/contacts"), &prefer).await;
    let mut seen = ids(std::slice::from_ref(&first));
    // Delete the last one returned and one not yet returned; create two.
    api.delete(&created[2]).await;
    api.delete(&created[6]).await;
    api.create("me/contacts", "late1").await;
    let mut url = first["@odata.deltaLink"].as_str().unwrap().to_string();
    loop {
        let page = api.page(&url, &prefer).await;
        seen.extend(ids(std::slice::from_ref(&page)));
        if let Some(n) = page["@odata.nextLink"].as_str() {
            url = n.to_string();
            api.create("me/contacts", "late2").await;
        } else {
            break;
        }
    }
    for (i, id) in created.iter().enumerate() {
        let n = seen.iter().filter(|s| *s == id).count();
        match i {
            6 => assert_eq!(n, 0),
            2 => assert_eq!(n, 1, "returned before its delete"),
            _ => assert_eq!(n, 1, "contact {i}"),
        }
    }
}

#[tokio::test]
async fn folder_lists_sync_too() {
    // SY-FOLDERS
    let api = Api::new().await;
    let folders = api.folders("token-a").await;
    let (pages, delta) = api
        .round(
            &api.url("me/contactfolders"),
            &[TRACK, "odata.maxpagesize=1"],
        )
        .await;
    let got: HashSet<String> = ids(&pages).into_iter().collect();
    let want: HashSet<String> = [folders["Contacts"].clone(), folders["Finance"].clone()].into();
    assert_eq!(got, want);
    let (again, _) = api.round(&delta, &[TRACK]).await;
    assert_eq!(ids(&again).len(), 2);
    let finance = &folders["Finance"];
    let (kids, _) = api
        .round(
            &api.url(&format!("me/contactfolders/{finance}/childfolders")),
            &[TRACK],
        )
        .await;
    assert_eq!(ids(&kids).len(), 1);
    assert_eq!(kids[0]["value"][0]["DisplayName"], "Vendors");
}
