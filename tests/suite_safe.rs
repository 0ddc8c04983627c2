//! SUITE-SAFE: fill user A's mailbox on the reference server with contacts before a
//! run, run the whole catalogue, then check every one of them is still there with the
//! same ChangeKey, that nothing the run created is left behind, and that the
//! pre-existing data failed no case (SPEC.md §0: lists are limited to the case's marker).

use contactspec_suite::case::load_catalogue;
use contactspec_suite::outcome::CaseStatus;
use contactspec_suite::runner::{RunConfig, Runner};
use contactspec_suite::schema::Schemas;
use contactspec_suite::select::Selection;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;

async fn call(
    c: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut rb = c.request(method, url).bearer_auth("token-a");
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let r = rb.send().await.expect("request");
    let status = r.status().as_u16();
    let text = r.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_run_leaves_pre_existing_contacts_untouched() {
    let server =
        contactspec_server::spawn(contactspec_server::ServerConfig::default()).expect("server");
    let base = server.base_url();
    let c = reqwest::Client::builder()
        .tcp_nodelay(true)
        .build()
        .unwrap();

    // Folders of user A: default and every other top-level folder, plus children.
    let (_, folders) = call(
        &c,
        reqwest::Method::GET,
        &format!("{base}/me/contactfolders"),
        None,
    )
    .await;
    let mut folder_ids: Vec<String> = folders["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["Id"].as_str().unwrap().to_string())
        .collect();
    for f in folder_ids.clone() {
        let (_, kids) = call(
            &c,
            reqwest::Method::GET,
            &format!("{base}/me/contactfolders/{f}/childfolders"),
            None,
        )
        .await;
        folder_ids.extend(
            kids["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k["Id"].as_str().unwrap().to_string()),
        );
    }
    assert!(folder_ids.len() >= 3, "{folder_ids:?}");

    // 40 pre-existing contacts spread over the folders, with names that sort and
    // filter like the suite's own (so a careless case would touch them).
    let mut before: BTreeMap<String, String> = BTreeMap::new();
    for i in 0..40 {
        let folder = &folder_ids[i % folder_ids.len()];
        let body = json!({
            "GivenName": format!("Pre{i:02}"),
            "Surname": if i % 2 == 0 { "Existing".to_string() } else { format!("cs{i}") },
            "EmailAddresses": [{"Address": format!("pre{i}@example.com")}],
            "Categories": ["keep"],
        });
        let (st, v) = call(
            &c,
            reqwest::Method::POST,
            &format!("{base}/me/contactfolders/{folder}/contacts"),
            Some(body),
        )
        .await;
        assert_eq!(st, 201, "{v}");
        before.insert(
            v["Id"].as_str().unwrap().to_string(),
            v["ChangeKey"].as_str().unwrap().to_string(),
        );
    }

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let schemas = Schemas::load(&root.join("schemas")).expect("schemas");
    let catalogue = load_catalogue(&root.join("cases"), Some(&schemas.names())).expect("catalogue");
    let runner = Runner::new(
        RunConfig::new(&base, "token-a", Some("token-b"), 20_261_127),
        schemas,
        Selection::default(),
    )
    .await
    .expect("runner");
    assert!(runner.discovery.unreachable.is_none());
    let outcomes = runner.run_all(&catalogue).await;
    assert_eq!(outcomes.len(), catalogue.cases.len());

    // Every pre-existing contact is still there, unchanged.
    for (id, ck) in &before {
        let (st, v) = call(
            &c,
            reqwest::Method::GET,
            &format!("{base}/me/contacts/{id}"),
            None,
        )
        .await;
        assert_eq!(st, 200, "pre-existing contact {id} is gone: {v}");
        assert_eq!(
            v["ChangeKey"].as_str(),
            Some(ck.as_str()),
            "pre-existing contact {id} was changed: {v}"
        );
    }
    // Nothing the run created is left: each folder holds exactly its pre-existing contacts.
    let mut total = 0;
    for f in &folder_ids {
        let (st, v) = call(
            &c,
            reqwest::Method::GET,
            &format!("{base}/me/contactfolders/{f}/contacts/$count"),
            None,
        )
        .await;
        assert_eq!(st, 200);
        let n: usize = v
            .as_u64()
            .map(|n| n as usize)
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            .expect("a count");
        total += n;
    }
    assert_eq!(total, before.len(), "the run left contacts behind");
    assert!(
        runner.registry.pending().is_empty(),
        "{:?}",
        runner.registry.pending()
    );
    // User B's mailbox is empty again too.
    let r = c
        .get(format!("{base}/me/contacts/$count"))
        .bearer_auth("token-b")
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap().trim(), "0");

    // The pre-existing data failed no case.
    let failed: Vec<String> = outcomes
        .iter()
        .filter(|o| o.status == CaseStatus::Failed)
        .map(|o| o.report.clone())
        .collect();
    assert!(
        failed.is_empty(),
        "{} case(s) failed with pre-existing data:\n{}",
        failed.len(),
        failed.join("\n")
    );
    server.shutdown();
}

/// Ctrl-C in the middle of `contactspec run`: the run stops sending, deletes what it
/// created, and exits 130; the target is left as it was.
#[test]
fn an_interrupted_run_cleans_up() {
    let server =
        contactspec_server::spawn(contactspec_server::ServerConfig::default()).expect("server");
    let base = server.base_url();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_contactspec"))
        .args([
            "run",
            "-q",
            "--test-threads",
            "1",
            "--target",
            &base,
            "--token",
            "token-a",
            "--second-token",
            "token-b",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("contactspec runs");
    // Let it create some contacts, then interrupt it.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let c = reqwest::Client::new();
    let count = |token: &'static str| {
        let c = c.clone();
        let base = base.clone();
        async move {
            let (_, folders) = {
                let r = c
                    .get(format!("{base}/me/contactfolders"))
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap();
                (r.status(), r.json::<Value>().await.unwrap())
            };
            let mut ids: Vec<String> = folders["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["Id"].as_str().unwrap().to_string())
                .collect();
            for f in ids.clone() {
                let r = c
                    .get(format!("{base}/me/contactfolders/{f}/childfolders"))
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap();
                let v: Value = r.json().await.unwrap();
                ids.extend(
                    v["value"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|k| k["Id"].as_str().unwrap().to_string()),
                );
            }
            let mut total = 0;
            for f in ids {
                let r = c
                    .get(format!("{base}/me/contactfolders/{f}/contacts/$count"))
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap();
                total += r.text().await.unwrap().trim().parse::<usize>().unwrap();
            }
            total
        }
    };
    let started = std::time::Instant::now();
    let mut seen_work = false;
    while started.elapsed() < std::time::Duration::from_secs(20) {
        std::thread::sleep(std::time::Duration::from_millis(20));
        if rt.block_on(count("token-a")) > 0 {
            seen_work = true;
            break;
        }
    }
    assert!(seen_work, "the run never created anything");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("interrupted; deleting what the run created"),
        "{stderr}"
    );
    assert_eq!(
        rt.block_on(count("token-a")),
        0,
        "user A's mailbox is not empty after the interrupted run"
    );
    assert_eq!(
        rt.block_on(count("token-b")),
        0,
        "user B's mailbox is not empty after the interrupted run"
    );
    server.shutdown();
}
