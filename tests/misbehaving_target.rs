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
