//! The network fuzzer against the embedded reference server: it finds injected parser
//! faults within 30 seconds and finds nothing on the faultless server.

use contactspec_netfuzz::{Config, Report};
use contactspec_server::{Fault, FaultSet, ServerConfig};
use std::time::Duration;

fn fuzz(
    faults: &[Fault],
    secs: u64,
    stop_after: Option<usize>,
    save: Option<std::path::PathBuf>,
) -> Report {
    let config = ServerConfig {
        faults: faults.iter().copied().collect::<FaultSet>(),
        ..ServerConfig::default()
    };
    let server = contactspec_server::spawn(config).expect("server starts");
    let mut cfg = Config::new(server.base_url(), "token-a");
    cfg.duration = Duration::from_secs(secs);
    cfg.seed = 7;
    cfg.concurrency = 8;
    cfg.stop_after_findings = stop_after;
    cfg.save = save;
    let report = contactspec_netfuzz::run_blocking(cfg).expect("fuzzer runs");
    server.shutdown();
    report
}

fn describe(r: &Report) -> String {
    r.findings
        .iter()
        .map(|f| format!("{} {} {} {}", f.rule, f.endpoint, f.status, f.detail))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn faultless_server_has_no_findings() {
    let r = fuzz(&[], 4, None, None);
    assert!(r.requests > 500, "too few requests: {}", r.requests);
    assert!(
        r.findings.is_empty(),
        "findings on the faultless server:\n{}",
        describe(&r)
    );
    assert!(r.cleanup_problems.is_empty(), "{:?}", r.cleanup_problems);
}

#[test]
fn finds_500_on_malformed_json_and_saves_a_case() {
    let dir = std::env::temp_dir().join(format!("contactspec-netfuzz-{}", std::process::id()));
    let r = fuzz(&[Fault::MalformedJson500], 30, Some(1), Some(dir.clone()));
    let f = r
        .findings
        .iter()
        .find(|f| f.rule == "GEN-NO-5XX" && f.status == 500);
    assert!(
        f.is_some(),
        "no 500 found in {:?}:\n{}",
        r.elapsed,
        describe(&r)
    );
    assert!(r.elapsed < Duration::from_secs(30));
    let case_path = r.saved.first().expect("the finding was saved");
    let case: serde_json::Value =
        serde_json::from_slice(&std::fs::read(case_path).unwrap()).unwrap();
    let case = &case["cases"][0];
    assert_eq!(case["rules"][0], "GEN-NO-5XX");
    let last = case["steps"].as_array().unwrap().last().unwrap();
    assert!(last["request"]["method"].is_string());
    let statuses = last["expect"]["status"].as_array().unwrap();
    assert!(!statuses.iter().any(|s| s.as_u64().unwrap() >= 500));
    let text = std::fs::read_to_string(case_path).unwrap();
    if let Err(e) = contactspec_suite::case::parse_case_file(case_path, &text, None) {
        panic!("saved case does not load: {e:?}\n{text}");
    }
    let script = std::fs::read_to_string(case_path.with_extension("sh")).unwrap();
    assert!(script.contains("curl"), "{script}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn finds_body_limit_off_by_one() {
    let r = fuzz(&[Fault::BodyLimitOffByOne], 30, Some(1), None);
    assert!(
        r.findings
            .iter()
            .any(|f| f.rule == "GEN-BODY-LIMIT" && f.status == 413),
        "no refused at-limit body found in {:?}:\n{}",
        r.elapsed,
        describe(&r)
    );
}

#[test]
fn finds_partial_write_on_rejected_create() {
    let r = fuzz(&[Fault::PartialWriteOnError], 30, Some(1), None);
    assert!(
        r.findings.iter().any(|f| f.rule == "CT-ATOMIC"),
        "{}",
        describe(&r)
    );
}

#[test]
fn finds_count_ignoring_the_filter_and_saves_a_loadable_case() {
    let dir =
        std::env::temp_dir().join(format!("contactspec-netfuzz-count-{}", std::process::id()));
    let r = fuzz(&[Fault::CountIgnoresFilter], 30, Some(1), Some(dir.clone()));
    let f = r
        .findings
        .iter()
        .find(|f| f.rule == "Q-COUNT" && f.endpoint.contains("$count"));
    assert!(
        f.is_some(),
        "no wrong $count found in {:?}:\n{}",
        r.elapsed,
        describe(&r)
    );
    let case_path = r.saved.first().expect("the finding was saved");
    let text = std::fs::read_to_string(case_path).unwrap();
    if let Err(e) = contactspec_suite::case::parse_case_file(case_path, &text, None) {
        panic!("saved case does not load: {e:?}\n{text}");
    }
    let case: serde_json::Value = serde_json::from_str(&text).unwrap();
    let last = case["cases"][0]["steps"]
        .as_array()
        .unwrap()
        .last()
        .unwrap();
    assert!(
        last["request"]["path"]
            .as_str()
            .unwrap()
            .ends_with("/$count"),
        "{text}"
    );
    assert_eq!(last["expect"]["status"], 200, "{text}");
    assert!(last["expect"]["body"]["text"].is_string(), "{text}");
    let _ = std::fs::remove_dir_all(dir);
}

/// The parsing and validation faults the targeted probes (`contactspec_netfuzz::probes`
/// and the engine's multi-request probes) make findable: each is found within 30 s as
/// its own rule, and its saved case (with the probe's expectations) loads.
#[test]
fn parsing_and_validation_faults_are_found() {
    let faults = [
        Fault::WrongWellKnownName,
        Fault::SkipAndDeltaAccepted,
        Fault::ChangekeyBodyIgnored,
        Fault::IfMatchStrongOnly,
        Fault::ContentTypeIgnored,
        Fault::KeyFormRejected,
        Fault::TrailingSlash404,
        Fault::NotFoundMalformedCode,
        Fault::PhotoTypeFromHeader,
        Fault::BirthdayKeepsOffset,
        Fault::CompletedNotCutToMidnight,
        Fault::CompletedCutBeforeUtc,
        Fault::LongComplexMemberTruncated,
    ];
    let mut missed = Vec::new();
    for fault in faults {
        let dir = std::env::temp_dir().join(format!(
            "contactspec-netfuzz-{}-{}",
            fault.name(),
            std::process::id()
        ));
        let r = fuzz(&[fault], 30, Some(1), Some(dir.clone()));
        let found = r.findings.iter().find(|f| fault.rules().contains(&f.rule));
        eprintln!(
            "{}: {:?}, {} findings",
            fault.name(),
            r.elapsed,
            r.findings.len()
        );
        match found {
            Some(_) if r.elapsed < Duration::from_secs(30) => {
                let case_path = r.saved.first().expect("the finding was saved");
                let text = std::fs::read_to_string(case_path).unwrap();
                if let Err(e) = contactspec_suite::case::parse_case_file(case_path, &text, None) {
                    panic!("{}: saved case does not load: {e:?}\n{text}", fault.name());
                }
            }
            _ => missed.push(format!(
                "{} ({:?}) not found in {:?}:\n{}",
                fault.name(),
                fault.rules(),
                r.elapsed,
                describe(&r)
            )),
        }
        let _ = std::fs::remove_dir_all(dir);
    }
    assert!(missed.is_empty(), "{}", missed.join("\n"));
}
