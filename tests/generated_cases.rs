//! Cases with generated inputs (`"generate"`): the loader locates a bad generator
//! name, and a generated case catches a fault only generated inputs reach
//! (`long-complex-member-truncated`), shrinks it, and writes a minimal case file
//! that the loader accepts and that fails again on the faulty server alone.

use contactspec_server::{FaultSet, ServerConfig};
use contactspec_suite::case::{LoadedCase, load_file, parse_case_file};
use contactspec_suite::outcome::CaseStatus;
use contactspec_suite::runner::{RunConfig, Runner};
use contactspec_suite::schema::Schemas;
use contactspec_suite::select::Selection;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn bad_generator_name_is_located() {
    let text = r#"{
  "cases": [
    {
      "name": "g",
      "rules": ["CT-ECHO"],
      "generate": {"contact": "no-such-generator"},
      "steps": [{"request": {"method": "POST", "path": "me/contacts", "json": "{{gen.contact}}"}}]
    }
  ]
}"#;
    let errs = parse_case_file(Path::new("cases/x/bad.json"), text, None).unwrap_err();
    let msgs: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    assert!(
        msgs[0].starts_with("cases/x/bad.json:6:31: expected a generator name"),
        "{msgs:?}"
    );
    assert!(msgs[0].contains("valid-contact"), "{msgs:?}");
    // An undeclared generated input is an unknown template.
    let undeclared = text.replace("{{gen.contact}}", "{{gen.other}}");
    let errs = parse_case_file(Path::new("b.json"), &undeclared, None).unwrap_err();
    assert!(
        errs.iter()
            .any(|e| e.to_string().contains("`{{gen.other}}`")),
        "{errs:?}"
    );
    // A declared one is accepted.
    let good = text.replace("no-such-generator", "valid-contact");
    assert!(parse_case_file(Path::new("g.json"), &good, None).is_ok());
}

fn run_one(
    rt: &tokio::runtime::Runtime,
    base: &str,
    case: &LoadedCase,
    gen_cases: u32,
    save: Option<PathBuf>,
) -> contactspec_suite::outcome::CaseOutcome {
    let schemas = Schemas::load(&root().join("schemas")).expect("schemas");
    let mut config = RunConfig::new(base, "token-a", Some("token-b"), 20_261_127);
    config.gen_cases = gen_cases;
    config.save_failures = save;
    let runner = rt
        .block_on(Runner::new(config, schemas, Selection::default()))
        .expect("runner");
    let outcome = rt.block_on(runner.run_case(case));
    rt.block_on(runner.cleanup_all());
    outcome
}

#[test]
fn generated_case_catches_long_complex_member_truncated_and_saves_a_minimal_case() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let file = root().join("cases/generated/create-echo.json");
    let case = load_file(&file, "generated", None)
        .expect("loads")
        .remove(0);
    assert!(!case.def.generate.is_empty());

    // The faultless server passes.
    let good = contactspec_server::spawn(ServerConfig::default()).expect("server");
    let ok = run_one(&rt, &good.base_url(), &case, 32, None);
    assert_eq!(ok.status, CaseStatus::Passed, "{}", ok.report);
    assert!(ok.requests >= 32, "every instantiation sends requests");

    // The faulty one fails, shrunk, with the minimal case written out.
    let faults = FaultSet::from_names(["long-complex-member-truncated"]).expect("known fault");
    let bad = contactspec_server::spawn(ServerConfig {
        faults,
        ..ServerConfig::default()
    })
    .expect("server");
    let dir = std::env::temp_dir().join(format!("contactspec-gen-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let failed = run_one(&rt, &bad.base_url(), &case, 32, Some(dir.clone()));
    assert_eq!(failed.status, CaseStatus::Failed, "{}", failed.report);
    assert!(
        failed.failed_rules.iter().any(|r| r == "CT-ECHO"),
        "{:?}\n{}",
        failed.failed_rules,
        failed.report
    );
    assert!(failed.report.contains("seed 20261127"), "{}", failed.report);
    assert!(
        failed.report.contains("{{gen.contact}} = "),
        "{}",
        failed.report
    );
    let saved = dir.join("generated-create-echoes-a-generated-contact.json");
    assert!(
        failed.report.contains(&saved.display().to_string()),
        "{}",
        failed.report
    );

    // The saved file loads as a literal case, and is minimal: one complex member left.
    let minimal = load_file(&saved, "generated", None).expect("the saved case loads");
    assert_eq!(minimal.len(), 1);
    let m = &minimal[0];
    assert!(m.def.generate.is_empty(), "literal values only");
    let sent = m.raw["steps"][0]["request"]["json"]
        .as_object()
        .expect("a literal contact")
        .clone();
    let complex: Vec<&String> = sent
        .keys()
        .filter(|k| {
            [
                "Websites",
                "Phones",
                "EmailAddresses",
                "PostalAddresses",
                "ImAddresses",
            ]
            .contains(&k.as_str())
        })
        .collect();
    assert_eq!(complex.len(), 1, "shrunk to one complex member: {sent:?}");
    let long = sent[complex[0].as_str()].to_string();
    assert!(
        long.len() > 1000,
        "the member keeps its long string: {long}"
    );
    assert!(sent.len() <= 3, "shrunk: {sent:?}");

    // The minimal case fails on the faulty server and passes on the good one.
    let again = run_one(&rt, &bad.base_url(), m, 32, None);
    assert_eq!(again.status, CaseStatus::Failed, "{}", again.report);
    let fine = run_one(&rt, &good.base_url(), m, 32, None);
    assert_eq!(fine.status, CaseStatus::Passed, "{}", fine.report);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs the `contactspec` binary against a server with `fault`; returns (exit code, stderr+stdout).
fn run_cli(fault: Option<&str>, extra: &[&str]) -> (Option<i32>, String) {
    let faults = FaultSet::from_names(fault).expect("known fault");
    let server = contactspec_server::spawn(ServerConfig {
        faults,
        ..ServerConfig::default()
    })
    .expect("server");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_contactspec"))
        .current_dir(root())
        .args(["run", "--target", &server.base_url(), "--token", "token-a"])
        .args(["--seed", "7", "--exact"])
        .args(extra)
        .env_remove("CONTACTSPEC_SECOND_TOKEN")
        .output()
        .expect("contactspec runs");
    let text =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    (out.status.code(), text)
}

#[test]
fn cli_saves_the_minimal_case_and_model_failure_fails_the_run() {
    let dir = std::env::temp_dir().join(format!("contactspec-gen-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let echo = "generated::create-echo::create-echoes-a-generated-contact";
    let d = dir.display().to_string();
    let (code, text) = run_cli(
        Some("long-complex-member-truncated"),
        &[echo, "--gen-cases", "32", "--save-failures", &d],
    );
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("minimal case file written to"), "{text}");
    let saved = dir.join("generated-create-echoes-a-generated-contact.json");
    let loaded = load_file(&saved, "generated", None).expect("the saved case loads");
    assert!(loaded[0].def.generate.is_empty());
    let _ = std::fs::remove_dir_all(&dir);

    // --model: the model test runs after the catalogue; its failure fails the run.
    let flag = "generated::flag-echo::generated-valid-flag-round-trips";
    let (code, text) = run_cli(
        None,
        &[flag, "--gen-cases", "4", "--model", "--model-cases", "8"],
    );
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("model test: ok"), "{text}");
    let (code, text) = run_cli(
        Some("patch-lost-when-photo-set"),
        &[flag, "--gen-cases", "4", "--model", "--model-cases", "32"],
    );
    assert_eq!(
        code,
        Some(1),
        "the catalogue case passes, the model test fails: {text}"
    );
    assert!(text.contains("1 passed"), "{text}");
    assert!(text.contains("model test: FAILED"), "{text}");
}
