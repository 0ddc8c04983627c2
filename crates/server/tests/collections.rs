//! Collection GETs over real HTTP: paging with every option, next links with awkward
//! characters, keyset behaviour while entities are created and deleted, `$count`,
//! folder collections, CT-LIST-DEFAULT. Each test names the SPEC.md rules it checks.

use contactspec_server::{RunningServer, ServerConfig, start};
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use std::collections::HashSet;

struct Api {
    server: RunningServer,
    http: Client,
    token: &'static str,
}

impl Api {
    async fn new() -> Api {
        let server = start(ServerConfig::default()).await.expect("server starts");
        let http = Client::builder().tcp_nodelay(true).build().unwrap();
        Api {
            server,
            http,
            token: "token-a",
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{}", self.server.base_url(), path)
    }

    async fn get_url(&self, url: &str, prefer: &[&str]) -> Response {
        let mut rb = self.http.get(url).bearer_auth(self.token);
        for p in prefer {
            rb = rb.header("Prefer", *p);
        }
        rb.send().await.unwrap()
    }

    async fn get(&self, path: &str) -> Response {
        self.get_url(&self.url(path), &[]).await
    }

    async fn json(&self, url: &str, prefer: &[&str]) -> Value {
        let res = self.get_url(url, prefer).await;
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, StatusCode::OK, "{url}: {body}");
        body
    }

    async fn create(&self, path: &str, body: Value) -> Value {
        let res = self
            .http
            .post(self.url(path))
            .bearer_auth(self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        res.json().await.unwrap()
    }

    async fn delete(&self, id: &str) {
        let res = self
            .http
            .delete(self.url(&format!("me/contacts('{id}')")))
            .bearer_auth(self.token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
    }

    async fn folder_id(&self, name: &str) -> String {
        let body = self.json(&self.url("me/contactfolders"), &[]).await;
        let mut all: Vec<Value> = body["value"].as_array().unwrap().clone();
        if name == "Vendors" {
            let finance = all.iter().find(|f| f["DisplayName"] == "Finance").unwrap()["Id"]
                .as_str()
                .unwrap()
                .to_string();
            let kids = self
                .json(
                    &self.url(&format!("me/contactfolders/{finance}/childfolders")),
                    &[],
                )
                .await;
            all = kids["value"].as_array().unwrap().clone();
        }
        all.iter().find(|f| f["DisplayName"] == name).unwrap()["Id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Follows next links from `url`; returns the pages.
    async fn walk(&self, url: &str, prefer: &[&str]) -> Vec<Value> {
        let mut pages = Vec::new();
        let mut next = Some(url.to_string());
        while let Some(u) = next {
            let page = self.json(&u, prefer).await;
            next = page["@odata.nextLink"].as_str().map(str::to_string);
            if next.is_some() {
                assert!(
                    !page["value"].as_array().unwrap().is_empty(),
                    "a page with a next link is never empty"
                );
            }
            pages.push(page);
            assert!(pages.len() < 100, "walk does not end");
        }
        pages
    }
}

fn enc(s: &str) -> String {
    percent_encode(s)
}

fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn names(pages: &[Value], prop: &str) -> Vec<String> {
    pages
        .iter()
        .flat_map(|p| p["value"].as_array().unwrap().clone())
        .map(|c| c[prop].as_str().unwrap_or("").to_string())
        .collect()
}

fn sizes(pages: &[Value]) -> Vec<usize> {
    pages
        .iter()
        .map(|p| p["value"].as_array().unwrap().len())
        .collect()
}

async fn seed(api: &Api, marker: &str, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let c = api
            .create(
                "me/contacts",
                json!({"GivenName": format!("g{i:02}"), "Surname": marker}),
            )
            .await;
        ids.push(c["Id"].as_str().unwrap().to_string());
    }
    ids
}

/// Decoded query parameters of a URL, names lower-cased.
fn query_of(url: &str) -> Vec<(String, String)> {
    let q = url.split_once('?').map_or("", |(_, q)| q);
    form_urlencoded::parse(q.as_bytes())
        .map(|(k, v)| (k.to_ascii_lowercase(), v.into_owned()))
        .collect()
}

#[tokio::test]
async fn default_page_size_and_creation_order() {
    // Q-PAGE-DEFAULT, Q-NEXTLINK, Q-ORDER-STABLE, CT-LIST
    let api = Api::new().await;
    seed(&api, "m1", 23).await;
    let url = api.url(&format!("me/contacts?$filter={}", enc("Surname eq 'm1'")));
    let pages = api.walk(&url, &[]).await;
    assert_eq!(sizes(&pages), [10, 10, 3]);
    let got = names(&pages, "GivenName");
    let want: Vec<String> = (0..23).map(|i| format!("g{i:02}")).collect();
    assert_eq!(got, want);
    for p in &pages {
        let ctx = p["@odata.context"].as_str().unwrap();
        assert!(ctx.ends_with("#Me/Contacts"), "{ctx}");
        for c in p["value"].as_array().unwrap() {
            assert!(c["@odata.id"].as_str().unwrap().starts_with("http://"));
            assert_eq!(
                c["@odata.etag"].as_str().unwrap(),
                format!("W/\"{}\"", c["ChangeKey"].as_str().unwrap())
            );
        }
    }
    let link = pages[0]["@odata.nextLink"].as_str().unwrap();
    assert!(link.starts_with(&api.server.base_url()), "{link}");
}

#[tokio::test]
async fn top_sets_page_size_bounds_and_zero() {
    // Q-TOP, Q-TOP-BOUNDS
    let api = Api::new().await;
    seed(&api, "m2", 9).await;
    let f = enc("Surname eq 'm2'");
    let pages = api
        .walk(&api.url(&format!("me/contacts?$filter={f}&$top=4")), &[])
        .await;
    assert_eq!(sizes(&pages), [4, 4, 1]);
    let zero = api
        .json(&api.url(&format!("me/contacts?$filter={f}&$top=0")), &[])
        .await;
    assert_eq!(zero["value"], json!([]));
    assert!(zero.get("@odata.nextLink").is_none());
    let huge = api
        .json(
            &api.url(&format!(
                "me/contacts?$filter={f}&$top=99999999999999999999999"
            )),
            &[],
        )
        .await;
    assert_eq!(huge["value"].as_array().unwrap().len(), 9);
    assert!(huge.get("@odata.nextLink").is_none());
    for bad in ["-1", "1.5", "abc", ""] {
        let res = api.get(&format!("me/contacts?$top={bad}")).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "$top={bad}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "ErrorInvalidUrlQuery");
    }
}

#[tokio::test]
async fn maxpagesize_preference_applies_echoes_and_sticks_to_links() {
    // Q-MAXPAGESIZE, Q-MAXPAGESIZE-ECHO, Q-MAXPAGESIZE-LINK
    let api = Api::new().await;
    seed(&api, "m3", 7).await;
    let url = api.url(&format!("me/contacts?$filter={}", enc("Surname eq 'm3'")));
    let res = api.get_url(&url, &["odata.maxpagesize=3"]).await;
    let applied = res
        .headers()
        .get("preference-applied")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(applied.contains("odata.maxpagesize=3"), "{applied}");
    let first: Value = res.json().await.unwrap();
    assert_eq!(first["value"].as_array().unwrap().len(), 3);
    // Following without the header keeps 3.
    let rest = api
        .walk(first["@odata.nextLink"].as_str().unwrap(), &[])
        .await;
    assert_eq!(sizes(&rest), [3, 1]);
    // With $top the preference is neither applied nor echoed.
    let res = api
        .get_url(&format!("{url}&$top=5"), &["odata.maxpagesize=2"])
        .await;
    assert!(res.headers().get("preference-applied").is_none());
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["value"].as_array().unwrap().len(), 5);
    // Above the maximum the maximum applies; an invalid value is ignored.
    let body = api.json(&url, &["odata.maxpagesize=0"]).await;
    assert_eq!(body["value"].as_array().unwrap().len(), 7);
}

#[tokio::test]
async fn next_links_reproduce_awkward_filter_select_and_orderby() {
    // Q-NEXTLINK, Q-SELECT, Q-ORDERBY, Q-ORDERBY-DETAIL, GEN-QUERY-DECODE
    let api = Api::new().await;
    let marker = "O'Brien & +50% #1 ü?=/";
    for name in ["b", "C", "a", "B", "c", "A", "b"] {
        api.create("me/contacts", json!({"GivenName": name, "Surname": marker}))
            .await;
    }
    api.create("me/contacts", json!({"GivenName": "z", "Surname": "other"}))
        .await;
    let filter = format!("Surname eq '{}'", marker.replace('\'', "''"));
    let select = "GivenName, Surname";
    let orderby = "GivenName desc";
    let url = api.url(&format!(
        "me/contacts?$filter={}&$select={}&$orderby={}&$top=2",
        enc(&filter),
        enc(select),
        // `+` as a space, as real clients send it (GEN-QUERY-DECODE).
        "GivenName+desc"
    ));
    let pages = api.walk(&url, &[]).await;
    assert_eq!(sizes(&pages), [2, 2, 2, 1]);
    let got: Vec<String> = names(&pages, "GivenName")
        .into_iter()
        .map(|s| s.to_lowercase())
        .collect();
    assert_eq!(got, ["c", "c", "b", "b", "b", "a", "a"]);
    for p in &pages {
        assert!(
            p["@odata.context"]
                .as_str()
                .unwrap()
                .ends_with("#Me/Contacts(GivenName,Surname)")
        );
        for c in p["value"].as_array().unwrap() {
            let keys: HashSet<&str> = c.as_object().unwrap().keys().map(String::as_str).collect();
            let want: HashSet<&str> =
                ["@odata.id", "@odata.etag", "Id", "GivenName", "Surname"].into();
            assert_eq!(keys, want);
            assert_eq!(c["Surname"], marker);
        }
    }
    for p in &pages[..3] {
        let q = query_of(p["@odata.nextLink"].as_str().unwrap());
        let get = |n: &str| q.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        assert_eq!(get("$filter"), Some(filter.as_str()));
        assert_eq!(get("$select"), Some(select));
        assert_eq!(get("$orderby"), Some(orderby));
        assert!(get("$skiptoken").is_some() || get("$skip").is_some());
    }
}

#[tokio::test]
async fn skip_and_count() {
    // Q-SKIP, Q-UNKNOWN-OPTION ($count=true), Q-COUNT
    let api = Api::new().await;
    seed(&api, "m5", 6).await;
    api.create("me/contacts", json!({"GivenName": "x", "Surname": "else"}))
        .await;
    let f = enc("Surname eq 'm5'");
    let body = api
        .json(
            &api.url(&format!("me/contacts?$filter={f}&$skip=4&$count=true")),
            &[],
        )
        .await;
    assert_eq!(
        names(std::slice::from_ref(&body), "GivenName"),
        ["g04", "g05"]
    );
    assert_eq!(body["@odata.count"], 6);
    let past = api
        .json(&api.url(&format!("me/contacts?$filter={f}&$skip=6")), &[])
        .await;
    assert_eq!(past["value"], json!([]));
    assert!(past.get("@odata.nextLink").is_none());
    // $count=true stays on every page.
    let pages = api
        .walk(
            &api.url(&format!("me/contacts?$filter={f}&$top=4&$count=true")),
            &[],
        )
        .await;
    assert!(pages.iter().all(|p| p["@odata.count"] == 6));
    let no = api
        .json(
            &api.url(&format!("me/contacts?$filter={f}&$count=false")),
            &[],
        )
        .await;
    assert!(no.get("@odata.count").is_none());

    let res = api
        .get(&format!("me/contacts/$count?$filter={f}&$top=1&$skip=1"))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert_eq!(res.text().await.unwrap(), "6");
    assert_eq!(
        api.get("me/contacts/$count").await.text().await.unwrap(),
        "7"
    );
    assert_eq!(
        api.get("me/contactfolders/$count")
            .await
            .text()
            .await
            .unwrap(),
        "2"
    );
    let finance = api.folder_id("Finance").await;
    let res = api
        .get(&format!("me/contactfolders/{finance}/childfolders/$count"))
        .await;
    assert_eq!(res.text().await.unwrap(), "1");
    let res = api
        .get(&format!("me/contactfolders/{finance}/contacts/$count"))
        .await;
    assert_eq!(res.text().await.unwrap(), "0");
}

#[tokio::test]
async fn rejected_options() {
    // Q-SEARCH, Q-UNKNOWN-OPTION, Q-DUP-OPTION, Q-FILTER-BAD, Q-SELECT-UNKNOWN
    let api = Api::new().await;
    for (q, code) in [
        ("$search=x", "ErrorInvalidUrlQuery"),
        ("$expand=x", "ErrorInvalidUrlQuery"),
        ("$top=1&$top=2", "ErrorInvalidUrlQuery"),
        ("$count=maybe", "ErrorInvalidUrlQuery"),
        (
            "$filter=contains(DisplayName,'a')",
            "ErrorInvalidUrlQueryFilter",
        ),
        ("$orderby=Title", "ErrorInvalidProperty"),
        ("$select=Nope", "RequestBroker-ParseUri"),
        ("$skiptoken=AAAA", "ErrorInvalidSyncStateData"),
    ] {
        for path in ["me/contacts", "me/contactfolders"] {
            let res = api.get(&format!("{path}?{q}")).await;
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{path}?{q}");
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["error"]["code"], code, "{path}?{q}");
        }
    }
    // Unknown parameters without `$` are ignored.
    assert_eq!(
        api.get("me/contacts?foo=bar").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn tampered_skip_token_is_refused() {
    // Q-NEXTLINK (tokens are ours), GEN-NO-5XX
    let api = Api::new().await;
    seed(&api, "m6", 3).await;
    let first = api.json(&api.url("me/contacts?$top=1"), &[]).await;
    let link = first["@odata.nextLink"].as_str().unwrap().to_string();
    let (head, token) = link.split_once("$skiptoken=").unwrap();
    let mid = token.len() / 2;
    let flip = if &token[mid..=mid] == "A" { "B" } else { "A" };
    let bad = format!(
        "{head}$skiptoken={}{flip}{}",
        &token[..mid],
        &token[mid + 1..]
    );
    let res = api.get_url(&bad, &[]).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // A skip token only works with the $filter and $orderby it was issued for.
    let other = format!("{link}&$orderby=GivenName");
    let res = api.get_url(&other, &[]).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // Unchanged, it works and is replayable.
    let a = api.json(&link, &[]).await;
    let b = api.json(&link, &[]).await;
    assert_eq!(a["value"], b["value"]);
}

#[tokio::test]
async fn keyset_walk_survives_concurrent_creates_and_deletes() {
    // Q-NEXTLINK-LIVE
    let api = Api::new().await;
    let mut ids = Vec::new();
    for name in ["b1", "b3", "b5", "b7", "b9", "c1", "c3"] {
        let c = api
            .create("me/contacts", json!({"GivenName": name, "Surname": "m7"}))
            .await;
        ids.push((name, c["Id"].as_str().unwrap().to_string()));
    }
    let url = api.url(&format!(
        "me/contacts?$filter={}&$orderby=GivenName&$top=2",
        enc("Surname eq 'm7'")
    ));
    let first = api.json(&url, &[]).await;
    assert_eq!(
        names(std::slice::from_ref(&first), "GivenName"),
        ["b1", "b3"]
    );
    // Delete the page's last entity and one not yet visited; create before and after.
    api.delete(&ids[1].1).await;
    api.delete(&ids[5].1).await;
    for name in ["a0", "b2", "b4", "z9"] {
        api.create("me/contacts", json!({"GivenName": name, "Surname": "m7"}))
            .await;
    }
    let rest = api
        .walk(first["@odata.nextLink"].as_str().unwrap(), &[])
        .await;
    let seen = names(&rest, "GivenName");
    for unchanged in ["b5", "b7", "b9", "c3"] {
        assert_eq!(
            seen.iter().filter(|n| *n == unchanged).count(),
            1,
            "{unchanged} in {seen:?}"
        );
    }
    assert!(!seen.contains(&"b1".to_string()) && !seen.contains(&"c1".to_string()));
    // Without $orderby (creation order) the same holds.
    let url = api.url(&format!(
        "me/contacts?$filter={}&$top=3",
        enc("Surname eq 'm7'")
    ));
    let first = api.json(&url, &[]).await;
    let firsts = names(std::slice::from_ref(&first), "GivenName");
    let victim = ids
        .iter()
        .find(|(n, _)| *n == firsts[2].as_str())
        .map(|(_, id)| id.clone());
    if let Some(id) = victim {
        api.delete(&id).await;
    }
    let rest = api
        .walk(first["@odata.nextLink"].as_str().unwrap(), &[])
        .await;
    let mut all = firsts.clone();
    all.extend(names(&rest, "GivenName"));
    let unique: HashSet<&String> = all.iter().collect();
    assert_eq!(unique.len(), all.len(), "{all:?}");
}

#[tokio::test]
async fn contacts_of_the_default_folder_only() {
    // CT-LIST, CT-LIST-DEFAULT
    let api = Api::new().await;
    let finance = api.folder_id("Finance").await;
    let default = api.folder_id("Contacts").await;
    api.create("me/contacts", json!({"GivenName": "home", "Surname": "m8"}))
        .await;
    api.create(
        &format!("me/contactfolders/{finance}/contacts"),
        json!({"GivenName": "away", "Surname": "m8"}),
    )
    .await;
    let mine = api.json(&api.url("me/contacts"), &[]).await;
    assert_eq!(names(std::slice::from_ref(&mine), "GivenName"), ["home"]);
    let same = api
        .json(
            &api.url(&format!("me/contactfolders/{default}/contacts")),
            &[],
        )
        .await;
    assert_eq!(mine["value"], same["value"]);
    let away = api
        .json(
            &api.url(&format!("me/contactfolders/{finance}/contacts")),
            &[],
        )
        .await;
    assert_eq!(names(std::slice::from_ref(&away), "GivenName"), ["away"]);
    assert!(
        away["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with(&format!("#Me/ContactFolders('{finance}')/Contacts"))
    );
}

#[tokio::test]
async fn folder_collections_honour_query_options() {
    // CF-LIST, CF-CHILDREN, CF-QUERY
    let api = Api::new().await;
    let all = api.json(&api.url("me/contactfolders"), &[]).await;
    let mut top = names(&[all], "DisplayName");
    top.sort();
    assert_eq!(top, ["Contacts", "Finance"]);
    let pages = api
        .walk(
            &api.url("me/contactfolders?$orderby=DisplayName desc&$top=1&$select=DisplayName"),
            &[],
        )
        .await;
    assert_eq!(names(&pages, "DisplayName"), ["Finance", "Contacts"]);
    for p in &pages {
        for f in p["value"].as_array().unwrap() {
            let keys: HashSet<&str> = f.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(keys, HashSet::from(["@odata.id", "Id", "DisplayName"]));
        }
    }
    let fin = api
        .json(
            &api.url(&format!(
                "me/contactfolders?$filter={}",
                enc("DisplayName eq 'finance'")
            )),
            &[],
        )
        .await;
    assert_eq!(names(&[fin], "DisplayName"), ["Finance"]);
    let skipped = api.json(&api.url("me/contactfolders?$skip=1"), &[]).await;
    assert_eq!(skipped["value"].as_array().unwrap().len(), 1);
    let finance = api.folder_id("Finance").await;
    let kids = api
        .json(
            &api.url(&format!("me/contactfolders/{finance}/childfolders")),
            &[],
        )
        .await;
    assert_eq!(
        names(std::slice::from_ref(&kids), "DisplayName"),
        ["Vendors"]
    );
    assert_eq!(kids["value"][0]["ParentFolderId"], finance.as_str());
}

#[tokio::test]
async fn next_links_use_the_requests_own_host_and_path() {
    // Q-NEXTLINK (absolute URL from the request's Host), GEN-USERS-PATH, GEN-TRAILING-SLASH
    let api = Api::new().await;
    seed(&api, "m9", 3).await;
    let res = api
        .http
        .get(api.url("me/Contacts/?$top=1"))
        .header("Host", "contacts.example.test:8443")
        .bearer_auth(api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    let link = body["@odata.nextLink"].as_str().unwrap();
    assert!(
        link.starts_with("http://contacts.example.test:8443/api/beta/me/Contacts/?"),
        "{link}"
    );
    // Through users/{user}: the link keeps that path and works.
    let id = body["value"][0]["@odata.id"].as_str().unwrap();
    let user = id
        .split("Users('")
        .nth(1)
        .unwrap()
        .split("')")
        .next()
        .unwrap();
    let pages = api
        .walk(&api.url(&format!("users/{user}/contacts?$top=2")), &[])
        .await;
    assert_eq!(sizes(&pages), [2, 1]);
    assert!(
        pages[0]["@odata.nextLink"]
            .as_str()
            .unwrap()
            .contains(&format!("/users/{user}/contacts?"))
    );
}
