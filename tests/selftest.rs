//! SUITE-KILLS under `cargo test`: the whole kill matrix (every fault of the reference
//! server, the cases and the properties in strict mode with every basis) must show
//! the faultless run passing and every fault killed. A change that weakens the suite
//! (a case removed or loosened) or a new fault nothing catches fails this test, which
//! names the survivors.

use contactspec::selftest::{self, Options};
use contactspec_server::Fault;
use std::path::Path;
use std::time::Instant;

fn checkout() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn every_fault_is_killed_and_the_faultless_run_passes() {
    let t0 = Instant::now();
    let matrix = selftest::run_blocking(Options::for_checkout(checkout())).expect("selftest runs");
    eprintln!("{matrix}");
    eprintln!("selftest wall time: {:.1}s", t0.elapsed().as_secs_f64());
    assert_eq!(matrix.total, Fault::ALL.len(), "every fault was tried");
    let mut problems = Vec::new();
    if !matrix.baseline.passed {
        let failed: Vec<String> = matrix
            .baseline
            .failures
            .iter()
            .map(|c| format!("{} [{}]: {}", c.name, c.rules.join(","), c.message))
            .chain(matrix.baseline.error.iter().cloned())
            .collect();
        problems.push(format!(
            "the faultless run failed:\n  {}",
            failed.join("\n  ")
        ));
    }
    let survivors = matrix.survivors();
    if !survivors.is_empty() {
        problems.push(format!(
            "{} fault(s) survived (the fix is a better case, never a weaker fault): {}",
            survivors.len(),
            survivors.join(", ")
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(matrix.passed());
}

/// The engine itself: with a catalogue of one file that checks only OData-Version and
/// request ids, and no properties, `no-odata-version` dies and `etag-unquoted` must be
/// reported as a survivor (so the matrix cannot claim kills it did not make).
#[test]
fn a_fault_no_case_checks_is_reported_as_survivor() {
    let dir = std::env::temp_dir().join(format!("contactspec-selftest-{}", std::process::id()));
    let area = dir.join("general");
    std::fs::create_dir_all(&area).expect("temp dir");
    std::fs::copy(
        checkout().join("cases/general/headers.json"),
        area.join("headers.json"),
    )
    .expect("copy a case file");
    let mut options = Options::for_checkout(checkout());
    options.cases_dir = dir.clone();
    options.faults = vec![Fault::NoOdataVersion, Fault::EtagUnquoted];
    options.property_cases = 0;
    let matrix = selftest::run_blocking(options).expect("selftest runs");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(matrix.baseline.passed, "{matrix}");
    assert_eq!(matrix.total, 2);
    assert_eq!(matrix.killed, 1, "{matrix}");
    assert_eq!(matrix.survivors(), vec!["etag-unquoted"], "{matrix}");
    assert!(!matrix.passed());
    let killed = &matrix.faults[0];
    assert!(killed.killed && killed.on_target, "{matrix}");
    assert!(
        killed
            .caught_by
            .iter()
            .all(|c| c.name.starts_with("general::headers::")),
        "{matrix}"
    );
    let json = serde_json::to_value(&matrix).expect("serialises");
    assert_eq!(json["faults"][1]["killed"], false);
    assert_eq!(json["faults"][0]["fault"], "no-odata-version");
}

/// `contactspec selftest` refuses an unknown fault name with exit code 2 before
/// running anything, and runs one named fault with exit code 0 when it is killed.
#[test]
fn cli_exit_codes() {
    let bin = env!("CARGO_BIN_EXE_contactspec");
    let bad = std::process::Command::new(bin)
        .args(["selftest", "--fault", "no-such-fault"])
        .output()
        .expect("runs");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no-such-fault"));
    let json =
        std::env::temp_dir().join(format!("contactspec-selftest-{}.json", std::process::id()));
    let one = std::process::Command::new(bin)
        .args([
            "selftest",
            "--fault",
            "no-odata-version",
            "--property-cases",
            "0",
            "--json",
        ])
        .arg(&json)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&one.stdout);
    assert_eq!(one.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("killed 1 of 1 faults"), "{stdout}");
    let data: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("json written")).expect("json");
    let _ = std::fs::remove_file(&json);
    assert_eq!(data["killed"], 1);
    assert_eq!(data["faults"][0]["fault"], "no-odata-version");
    assert_eq!(data["baseline"]["passed"], true);
}
