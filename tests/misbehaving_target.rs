//! Targets that misbehave — refuse connections, hang, reset, answer non-JSON, answer
//! a 100 MB body — fail the affected cases with a clear message within the
//! per-request timeout; the runner never panics or hangs. Also the CLI's exit codes
//! (0 / 1 / 2) for such targets and for invalid case files.

use contactspec_suite::case::{Catalogue, LoadedCase, parse_case_file};
use contactspec_suite::outcome::{CaseOutcome, CaseStatus};
use contactspec_suite::runner::{RunConfig, Runner};
use contactspec_suite::schema::Schemas;
use contactspec_suite::select::Selection;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const CASES: &str = r#"{"cases": [
  {"name": "list", "rules": ["CT-LIST"], "steps": [
    {"request": {"path": "me/contacts"}, "expect": {"status": 200, "json": {"value": {"$type": "array"}}}}]},
  {"name": "create", "rules": ["CT-CREATE"], "steps": [
    {"request": {"method": "POST", "path": "me/contacts", "json": {"GivenName": "A", "Surname": "{{marker}}"}},
     "expect": {"status": 201}, "capture": {"id": "/Id"}}]},
  {"name": "walk", "rules": ["Q-NEXTLINK"], "steps": [
    {"walk": {"path": "me/contacts", "query": "$filter=Surname eq '{{marker}}'", "page_size": 2}}]}
]}"#;

fn catalogue() -> Catalogue {
    let file = parse_case_file(Path::new("mem/fake.json"), CASES, None).expect("valid cases");
    Catalogue {
        cases: file
            .cases
            .into_iter()
            .map(|def| LoadedCase {
                id: format!("fake::fake::{}", def.name),
                area: "fake".into(),
                file: "mem/fake.json".into(),
                exclusive: def.steps.iter().any(|s| s.walk.is_some()),
                raw: serde_json::Value::Null,
                def,
            })
            .collect(),
    }
}

/// Runs the small catalogue against `base` with a 1 s timeout.
async fn run(base: &str) -> (Runner, Vec<CaseOutcome>, Duration) {
    let t0 = Instant::now();
    let mut config = RunConfig::new(base, "token-a", None, 7);
    config.timeout = Duration::from_secs(1);
    let runner = Runner::new(config, Schemas::default(), Selection::default())
        .await
        .expect("client");
    let outcomes = runner.run_all(&catalogue()).await;
    (runner, outcomes, t0.elapsed())
}

fn assert_all_failed(outcomes: &[CaseOutcome], needle: &str) {
    assert_eq!(outcomes.len(), 3);
    for o in outcomes {
        assert_eq!(o.status, CaseStatus::Failed, "{}: {:?}", o.name, o.status);
        assert!(
            o.report.contains(needle),
            "{}: expected {needle:?} in the report:\n{}",
            o.name,
            o.report
        );
    }
}

#[tokio::test]
async fn refused_connections() {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    let (runner, outcomes, took) = run(&format!("http://{addr}/api/beta")).await;
    let why = runner.discovery.unreachable.clone().expect("unreachable");
    assert!(why.contains("cannot connect"), "{why}");
    assert_all_failed(&outcomes, "cannot connect to the target");
    assert!(took < Duration::from_secs(5), "{took:?}");
}

/// What a fake target does with each connection.
#[derive(Clone, Copy)]
enum Behaviour {
    Hang,
    Reset,
    Html,
    Huge,
}

/// Reads one request head (and its body, by Content-Length).
async fn read_request(s: &mut tokio::net::TcpStream) -> bool {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let Ok(n) = s.read(&mut chunk).await else {
            return false;
        };
        if n == 0 {
            return false;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            let mut have = buf.len() - end - 4;
            while have < len {
                match s.read(&mut chunk).await {
                    Ok(0) | Err(_) => return false,
                    Ok(n) => have += n,
                }
            }
            return true;
        }
    }
}

async fn fake_target(b: Behaviour) -> String {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = l.accept().await else {
                return;
            };
            let _ = s.set_nodelay(true);
            tokio::spawn(async move {
                match b {
                    Behaviour::Hang => {
                        let _ = read_request(&mut s).await;
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                    }
                    Behaviour::Reset => {
                        let _ = read_request(&mut s).await;
                        let _ = s.set_zero_linger();
                        drop(s);
                    }
                    Behaviour::Html => {
                        while read_request(&mut s).await {
                            let body = "<html><body>Welcome to nginx!</body></html>";
                            let resp = format!(
                                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n{body}",
                                body.len()
                            );
                            if s.write_all(resp.as_bytes()).await.is_err() {
                                return;
                            }
                        }
                    }
                    Behaviour::Huge => {
                        if read_request(&mut s).await {
                            // 100 MB, close-delimited (no Content-Length), so only
                            // the runner's streaming cap can stop it.
                            let _ = s
                                .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n[")
                                .await;
                            let chunk = vec![b'0'; 64 * 1024];
                            for _ in 0..(100 * 1024 * 1024 / chunk.len()) {
                                if s.write_all(&chunk).await.is_err() {
                                    return;
                                }
                            }
                        }
                    }
                }
            });
        }
    });
    format!("http://{addr}/api/beta")
}

#[tokio::test]
async fn hanging_target_times_out() {
    let base = fake_target(Behaviour::Hang).await;
    let (runner, outcomes, took) = run(&base).await;
    let why = runner.discovery.unreachable.clone().expect("unreachable");
    assert!(why.contains("timeout"), "{why}");
    assert_all_failed(&outcomes, "no complete response within the 1s timeout");
    // Discovery (1 s), then the cases (two at once, then the exclusive walk).
    assert!(took < Duration::from_secs(8), "{took:?}");
}

#[tokio::test]
async fn resetting_target() {
    let base = fake_target(Behaviour::Reset).await;
    let (runner, outcomes, took) = run(&base).await;
    assert!(runner.discovery.unreachable.is_some());
    assert_all_failed(&outcomes, "no response to ");
    for o in &outcomes {
        assert!(o.report.contains("the exchange failed"), "{}", o.report);
    }
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[tokio::test]
async fn non_json_target() {
    let base = fake_target(Behaviour::Html).await;
    let (runner, outcomes, took) = run(&base).await;
    // Reachable, but it has no folders, no user segment.
    assert!(runner.discovery.unreachable.is_none());
    assert!(runner.discovery.default_folder.is_none());
    let by = |n: &str| outcomes.iter().find(|o| o.name.ends_with(n)).unwrap();
    for o in &outcomes {
        assert_eq!(o.status, CaseStatus::Failed, "{}", o.name);
        assert!(
            o.report.contains("Welcome to nginx!"),
            "the report shows the response:\n{}",
            o.report
        );
        assert!(o.report.contains("curl -sS -i"), "{}", o.report);
    }
    assert!(
        by("list").report.contains(
            "expected a JSON body, found 43 bytes that are not JSON (Content-Type text/html)"
        ),
        "{}",
        by("list").report
    );
    assert!(
        by("create")
            .report
            .contains("expected status 201, found 200"),
        "{}",
        by("create").report
    );
    assert!(
        by("walk").report.contains("expected a collection"),
        "{}",
        by("walk").report
    );
    assert_eq!(by("list").failed_rules, vec!["CT-LIST"]);
    assert!(took < Duration::from_secs(3), "{took:?}");
}

#[tokio::test]
async fn hundred_megabyte_body_is_cut() {
    let base = fake_target(Behaviour::Huge).await;
    let (runner, outcomes, took) = run(&base).await;
    let why = runner
        .discovery
        .unreachable
        .clone()
        .expect("discovery gives up");
    assert!(
        why.contains("response body larger than 8388608 bytes"),
        "{why}"
    );
    assert_all_failed(&outcomes, "response body larger than 8388608 bytes");
    assert!(took < Duration::from_secs(8), "{took:?}");
}

// ---- The command line: exit codes 0, 1, 2. ----

fn contactspec(args: &[&str]) -> (i32, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_contactspec"))
        .args(args)
        .env_remove("CONTACTSPEC_TARGET")
        .env_remove("CONTACTSPEC_TOKEN")
        .env_remove("CONTACTSPEC_SECOND_TOKEN")
        .output()
        .expect("the binary runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn temp_cases(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("contactspec-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(dir.join("fake")).unwrap();
    std::fs::write(dir.join("fake").join("fake.json"), text).unwrap();
    dir
}

fn schemas_dir() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schemas")
        .display()
        .to_string()
}

/// A step marked `"level": "SHOULD"` turns its rule failures into warnings (exit 0),
/// which `--strict` makes fail (exit 1); an unmarked step of the same MUST rule fails.
#[test]
fn should_level_steps_warn() {
    let step = |level: &str| {
        format!(
            r#"{{"cases": [{{"name": "x", "rules": ["CF-CHILDREN"], "steps": [
  {{"name": "s", {level} "request": {{"path": "me/contactfolders"}}, "expect": {{"status": 418}}}}]}}]}}"#
        )
    };
    let schemas = schemas_dir();
    let should = temp_cases("should", &step(r#""level": "SHOULD","#));
    let should_s = should.display().to_string();
    let (code, text) = contactspec(&["run", "--cases", &should_s, "--schemas", &schemas]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("1 warned"), "{text}");
    assert!(text.contains("CF-CHILDREN (MUST"), "{text}");
    assert!(text.contains("— SHOULD"), "{text}");
    let (code, text) = contactspec(&[
        "run",
        "--cases",
        &should_s,
        "--schemas",
        &schemas,
        "--strict",
    ]);
    assert_eq!(code, 1, "{text}");
    let must = temp_cases("must", &step(""));
    let (code, text) = contactspec(&[
        "run",
        "--cases",
        &must.display().to_string(),
        "--schemas",
        &schemas,
    ]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("1 failed"), "{text}");
}

#[test]
fn cli_exit_codes() {
    let good = temp_cases("good", CASES);
    let good_s = good.display().to_string();
    let schemas = schemas_dir();

    // 2: usage error.
    let (code, text) = contactspec(&["run", "--level", "maybe", "--cases", &good_s]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("unknown level"), "{text}");

    // 2: an invalid case file, with file:line:column and what was expected.
    let bad = temp_cases(
        "bad",
        "{\"cases\": [\n  {\"name\": \"x\", \"rules\": [\"CT-NOPE\"],\n   \"steps\": []}]}",
    );
    let (code, text) = contactspec(&[
        "run",
        "--cases",
        &bad.display().to_string(),
        "--schemas",
        &schemas,
    ]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("fake.json:2:27: expected a rule ID"),
        "{text}"
    );
    assert!(
        text.contains("fake.json:3:13: expected at least one step"),
        "{text}"
    );

    // 2: an unreachable target.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let closed = rt.block_on(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap()
    });
    let target = format!("http://{closed}/api/beta");
    let (code, text) = contactspec(&[
        "run",
        "--target",
        &target,
        "--token",
        "t",
        "--cases",
        &good_s,
        "--schemas",
        &schemas,
    ]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("cannot reach the target"), "{text}");

    // 2: a token the target rejects.
    let server =
        contactspec_server::spawn(contactspec_server::ServerConfig::default()).expect("server");
    let (code, text) = contactspec(&[
        "run",
        "--token",
        "nope",
        "--target",
        &server.base_url(),
        "--cases",
        &good_s,
        "--schemas",
        &schemas,
    ]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("the target rejects user A's token"), "{text}");
    server.shutdown();

    // 1: a reachable target that fails cases; JUnit names them.
    let html = rt.block_on(fake_target(Behaviour::Html));
    let junit = good.join("junit.xml");
    let (code, text) = contactspec(&[
        "run",
        "--target",
        &html,
        "--token",
        "t",
        "--timeout",
        "1s",
        "--cases",
        &good_s,
        "--schemas",
        &schemas,
        "--junit",
        &junit.display().to_string(),
    ]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("3 failed"), "{text}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("<testcase ").count(), 3, "{xml}");
    assert!(
        xml.contains(r#"<property name="rule" value="CT-LIST"/>"#),
        "{xml}"
    );

    // 0: the embedded reference server passes; filters and --list work.
    let (code, text) = contactspec(&[
        "run",
        "--cases",
        &good_s,
        "--schemas",
        &schemas,
        "--seed",
        "5",
    ]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("3 passed"), "{text}");
    let (code, text) = contactspec(&["run", "--cases", &good_s, "--schemas", &schemas, "--list"]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("fake::fake::walk: test"), "{text}");
    let (code, text) = contactspec(&[
        "run",
        "--cases",
        &good_s,
        "--schemas",
        &schemas,
        "--exact",
        "fake::fake::list",
    ]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("1 passed") && text.contains("2 filtered out"),
        "{text}"
    );

    let _ = std::fs::remove_dir_all(good);
    let _ = std::fs::remove_dir_all(bad);
}

/// A target without a second token: the cases that need one are ignored with the
/// reason, not passed; the others still pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_prerequisites_are_ignored_with_the_reason() {
    let server =
        contactspec_server::spawn(contactspec_server::ServerConfig::default()).expect("server");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let schemas = Schemas::load(&root.join("schemas")).expect("schemas");
    let mut catalogue =
        contactspec_suite::case::load_catalogue(&root.join("cases"), Some(&schemas.names()))
            .expect("catalogue");
    // The cases that need the second token, and a few that do not.
    let needs_b = |c: &LoadedCase| {
        c.def
            .requires
            .contains(&contactspec_suite::case::Requirement::SecondToken)
    };
    let mut plain = 0;
    catalogue.cases.retain(|c| {
        if needs_b(c) {
            return true;
        }
        plain += 1;
        plain <= 5 && !c.exclusive
    });
    let b_cases = catalogue.cases.iter().filter(|c| needs_b(c)).count();
    assert!(b_cases > 0, "the catalogue has isolation cases");
    let runner = Runner::new(
        RunConfig::new(&server.base_url(), "token-a", None, 3),
        schemas,
        Selection::default(),
    )
    .await
    .expect("runner");
    assert!(!runner.discovery.second_token);
    let outcomes = runner.run_all(&catalogue).await;
    for o in &outcomes {
        let case = catalogue.cases.iter().find(|c| c.id == o.name).unwrap();
        if needs_b(case) {
            match &o.status {
                CaseStatus::Ignored(why) => assert!(
                    why.contains("requires second_token: no second token given"),
                    "{why}"
                ),
                other => panic!("{} needs the second token but ended {other:?}", o.name),
            }
            assert_eq!(o.requests, 0, "{}", o.name);
        } else {
            assert_eq!(o.status, CaseStatus::Passed, "{}", o.report);
        }
    }
    server.shutdown();
}
