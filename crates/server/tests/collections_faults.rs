//! Every paging and sync fault changes what the server answers over HTTP, in the way
//! its description says (SUITE-KILLS needs each one to be observable), and only with
//! the fault injected: each scenario is run against the correct server too.

use contactspec_server::{Fault, FaultSet, RunningServer, ServerConfig, start};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

const TRACK: &str = "odata.track-changes";

struct Api {
    server: RunningServer,
    http: Client,
}

impl Api {
    async fn new(fault: Option<Fault>) -> Api {
        let config = ServerConfig {
            faults: fault.into_iter().collect::<FaultSet>(),
            ..ServerConfig::default()
        };
        let server = start(config).await.expect("server starts");
        let http = Client::builder().tcp_nodelay(true).build().unwrap();
        Api { server, http }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{}", self.server.base_url(), path)
    }

    async fn raw(&self, url: &str, prefer: &[&str]) -> (StatusCode, Vec<String>, Value) {
        let mut rb = self.http.get(url).bearer_auth("token-a");
        for p in prefer {
            rb = rb.header("Prefer", *p);
        }
        let res = rb.send().await.unwrap();
        let applied = res
            .headers()
            .get_all("preference-applied")
            .iter()
            .flat_map(|v| v.to_str().unwrap().split(','))
            .map(|s| s.trim().to_string())
            .collect();
        let status = res.status();
        let text = res.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, applied, body)
    }

    async fn get(&self, url: &str, prefer: &[&str]) -> Value {
        let (status, _, body) = self.raw(url, prefer).await;
        assert_eq!(status, StatusCode::OK, "{url}: {body}");
        body
    }

    async fn create_in(&self, path: &str, given: &str, surname: &str) -> String {
        let res = self
            .http
            .post(self.url(path))
            .bearer_auth("token-a")
            .json(&json!({"GivenName": given, "Surname": surname}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let v: Value = res.json().await.unwrap();
        v["Id"].as_str().unwrap().to_string()
    }

    async fn seed(&self, n: usize) -> Vec<String> {
        let mut ids = Vec::new();
        for i in 0..n {
            ids.push(
                self.create_in("me/contacts", &format!("g{i:02}"), "m")
                    .await,
            );
        }
        ids
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

    async fn folder(&self, name: &str) -> String {
        let body = self.get(&self.url("me/contactfolders"), &[]).await;
        body["value"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["DisplayName"] == name)
            .unwrap()["Id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Follows next links; all entity ids in order, and the page sizes.
    async fn walk(&self, url: &str, prefer: &[&str]) -> (Vec<String>, Vec<usize>) {
        let mut ids = Vec::new();
        let mut sizes = Vec::new();
        let mut next = Some(url.to_string());
        while let Some(u) = next {
            let page = self.get(&u, prefer).await;
            let value = page["value"].as_array().unwrap();
            sizes.push(value.len());
            ids.extend(value.iter().map(|c| c["Id"].as_str().unwrap().to_string()));
            next = page["@odata.nextLink"].as_str().map(str::to_string);
            assert!(sizes.len() < 100);
        }
        (ids, sizes)
    }

    /// One sync round from `url` (first request), following every link once
    /// through to the final delta link; ids in order, and each page's
    /// `Preference-Applied`.
    async fn sync_round(&self, url: &str, prefer: &[&str]) -> (Vec<String>, Vec<Vec<String>>) {
        let mut ids = Vec::new();
        let mut applied = Vec::new();
        let mut url = url.to_string();
        let mut first = true;
        loop {
            let (status, a, page) = self.raw(&url, prefer).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            applied.push(a);
            let value = page["value"].as_array().unwrap();
            ids.extend(value.iter().map(|c| c["Id"].as_str().unwrap().to_string()));
            match (
                page["@odata.nextLink"].as_str(),
                page["@odata.deltaLink"].as_str(),
            ) {
                (Some(n), _) => url = n.to_string(),
                (None, Some(d)) if first => url = d.to_string(),
                _ => return (ids, applied),
            }
            first = false;
            assert!(applied.len() < 100);
        }
    }
}

/// Runs `check` against the correct server and against the faulty one; the check
/// returns whether the server behaved correctly.
macro_rules! observable {
    ($fault:expr, |$api:ident| $body:expr) => {{
        let good = {
            let $api = Api::new(None).await;
            $body
        };
        assert!(good, "the correct server fails the scenario of {}", $fault);
        let bad = {
            let $api = Api::new(Some($fault)).await;
            $body
        };
        assert!(!bad, "{} is not observable", $fault);
    }};
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn nextlink_repeats_last_with_orderby() {
    observable!(Fault::NextlinkRepeatsLastWithOrderby, |api| {
        let ids = api.seed(5).await;
        let (got, _) = api
            .walk(&api.url("me/contacts?$orderby=GivenName&$top=2"), &[])
            .await;
        got == ids
    });
}

#[tokio::test]
async fn nextlink_on_full_last_page() {
    observable!(Fault::NextlinkOnFullLastPage, |api| {
        api.seed(4).await;
        let (_, sizes) = api.walk(&api.url("me/contacts?$top=2"), &[]).await;
        sizes == [2, 2]
    });
}

#[tokio::test]
async fn nextlink_plus_unescaped() {
    observable!(Fault::NextlinkPlusUnescaped, |api| {
        for i in 0..3 {
            api.create_in("me/contacts", &format!("p{i}"), "a+b").await;
        }
        let url = api.url(&format!(
            "me/contacts?$top=1&$filter={}",
            enc("Surname eq 'a+b'")
        ));
        let mut next = Some(url);
        let mut n = 0;
        let mut ok = true;
        while let Some(u) = next {
            let (status, _, page) = api.raw(&u, &[]).await;
            if status != StatusCode::OK {
                ok = false;
                break;
            }
            n += page["value"].as_array().unwrap().len();
            next = page["@odata.nextLink"].as_str().map(str::to_string);
        }
        ok && n == 3
    });
}

#[tokio::test]
async fn offset_skiptoken() {
    observable!(Fault::OffsetSkiptoken, |api| {
        let ids = api.seed(6).await;
        let first = api.get(&api.url("me/contacts?$top=2"), &[]).await;
        api.delete(&ids[0]).await;
        let (rest, _) = api
            .walk(first["@odata.nextLink"].as_str().unwrap(), &[])
            .await;
        rest == ids[2..]
    });
}

#[tokio::test]
async fn maxpagesize_ignored_on_nextlink() {
    observable!(Fault::MaxpagesizeIgnoredOnNextlink, |api| {
        api.seed(12).await;
        let first = api
            .get(&api.url("me/contacts"), &["odata.maxpagesize=3"])
            .await;
        let (_, sizes) = api
            .walk(first["@odata.nextLink"].as_str().unwrap(), &[])
            .await;
        sizes.iter().all(|s| *s <= 3)
    });
}

#[tokio::test]
async fn top_above_max_rejected() {
    observable!(Fault::TopAboveMaxRejected, |api| {
        let (status, _, _) = api.raw(&api.url("me/contacts?$top=100000"), &[]).await;
        status == StatusCode::OK
    });
}

#[tokio::test]
async fn count_ignores_filter() {
    observable!(Fault::CountIgnoresFilter, |api| {
        api.seed(3).await;
        let url = api.url(&format!(
            "me/contacts/$count?$filter={}",
            enc("GivenName eq 'g01'")
        ));
        api.get(&url, &[]).await == json!(1)
    });
}

#[tokio::test]
async fn count_annotation_page_size() {
    observable!(Fault::CountAnnotationPageSize, |api| {
        api.seed(5).await;
        let page = api
            .get(&api.url("me/contacts?$top=2&$count=true"), &[])
            .await;
        page["@odata.count"] == 5
    });
}

#[tokio::test]
async fn contacts_list_all_folders() {
    observable!(Fault::ContactsListAllFolders, |api| {
        let finance = api.folder("Finance").await;
        api.create_in(&format!("me/contactfolders/{finance}/contacts"), "x", "y")
            .await;
        let page = api.get(&api.url("me/contacts"), &[]).await;
        page["value"] == json!([])
    });
}

#[tokio::test]
async fn default_page_size_20() {
    observable!(Fault::DefaultPageSize20, |api| {
        api.seed(15).await;
        let page = api.get(&api.url("me/contacts"), &[]).await;
        page["value"].as_array().unwrap().len() <= 10
    });
}

#[tokio::test]
async fn skip_ignored() {
    observable!(Fault::SkipIgnored, |api| {
        let ids = api.seed(3).await;
        let page = api.get(&api.url("me/contacts?$skip=2"), &[]).await;
        page["value"].as_array().unwrap().len() == 1 && page["value"][0]["Id"] == ids[2].as_str()
    });
}

#[tokio::test]
async fn preference_applied_first_sync_page_only() {
    observable!(Fault::PreferenceAppliedFirstSyncPageOnly, |api| {
        api.seed(3).await;
        let (_, applied) = api
            .sync_round(&api.url("me/contacts"), &[TRACK, "odata.maxpagesize=1"])
            .await;
        applied.iter().all(|a| a.iter().any(|p| p == TRACK))
    });
}

#[tokio::test]
async fn sync_first_nextlink() {
    observable!(Fault::SyncFirstNextlink, |api| {
        api.seed(3).await;
        let first = api
            .get(&api.url("me/contacts"), &[TRACK, "odata.maxpagesize=1"])
            .await;
        first.get("@odata.deltaLink").is_some() && first.get("@odata.nextLink").is_none()
    });
}

#[tokio::test]
async fn sync_drops_last_when_page_multiple() {
    observable!(Fault::SyncDropsLastWhenPageMultiple, |api| {
        let ids = api.seed(4).await;
        let (got, _) = api
            .sync_round(&api.url("me/contacts"), &[TRACK, "odata.maxpagesize=2"])
            .await;
        got == ids
    });
}

#[tokio::test]
async fn select_lost_after_first_sync_page() {
    observable!(Fault::SelectLostAfterFirstSyncPage, |api| {
        api.seed(3).await;
        let first = api
            .get(
                &api.url("me/contacts?$select=GivenName"),
                &[TRACK, "odata.maxpagesize=1"],
            )
            .await;
        let second = api
            .get(first["@odata.deltaLink"].as_str().unwrap(), &[TRACK])
            .await;
        second["value"][0].get("Surname").is_none()
    });
}

#[tokio::test]
async fn token_not_bound_to_folder() {
    observable!(Fault::TokenNotBoundToFolder, |api| {
        api.seed(2).await;
        let finance = api.folder("Finance").await;
        let first = api.get(&api.url("me/contacts"), &[TRACK]).await;
        let delta = first["@odata.deltaLink"].as_str().unwrap();
        let query = delta.split_once('?').unwrap().1;
        let other = api.url(&format!("me/contactfolders/{finance}/contacts?{query}"));
        let (status, _, _) = api.raw(&other, &[TRACK]).await;
        status == StatusCode::BAD_REQUEST
    });
}

#[tokio::test]
async fn skip_and_delta_accepted() {
    observable!(Fault::SkipAndDeltaAccepted, |api| {
        api.seed(3).await;
        let first = api
            .get(&api.url("me/contacts"), &[TRACK, "odata.maxpagesize=1"])
            .await;
        let delta = first["@odata.deltaLink"].as_str().unwrap();
        let second = api.get(delta, &[TRACK]).await;
        let next = second["@odata.nextLink"].as_str().unwrap();
        let dq = delta.split_once('?').unwrap().1;
        let (status, _, _) = api.raw(&format!("{next}&{dq}"), &[TRACK]).await;
        status == StatusCode::BAD_REQUEST
    });
}

#[tokio::test]
async fn first_delta_restarts_round() {
    observable!(Fault::FirstDeltaRestartsRound, |api| {
        let ids = api.seed(3).await;
        let (got, _) = api
            .sync_round(&api.url("me/contacts"), &[TRACK, "odata.maxpagesize=2"])
            .await;
        got == ids
    });
}

#[tokio::test]
async fn sync_filter_accepted() {
    observable!(Fault::SyncFilterAccepted, |api| {
        let url = api.url(&format!("me/contacts?$filter={}", enc("GivenName eq 'a'")));
        let (status, _, _) = api.raw(&url, &[TRACK]).await;
        status == StatusCode::BAD_REQUEST
    });
}

#[tokio::test]
async fn tampered_token_500() {
    observable!(Fault::TamperedToken500, |api| {
        let (status, _, _) = api
            .raw(&api.url("me/contacts?$deltatoken=AAAA"), &[TRACK])
            .await;
        status == StatusCode::BAD_REQUEST
    });
}
