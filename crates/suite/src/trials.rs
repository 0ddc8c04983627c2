//! The libtest-mimic front end: every selected case is a trial, so the familiar
//! filter, `--exact`, `--skip`, `--list`, `--test-threads` and `--ignored` work.
//! Trials are synchronous and block on a shared tokio runtime. A case whose
//! prerequisite the target lacks is ignored at run time, with the reason printed.

use crate::case::Catalogue;
use crate::outcome::{CaseOutcome, CaseStatus};
use crate::runner::Runner;
use crate::select::Selection;
use contactspec_model::RULES;
use libtest_mimic::{Completion, Failed, Trial};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};

/// Outcomes collected while the trials run.
pub type Outcomes = Arc<Mutex<Vec<CaseOutcome>>>;

/// One trial per selected case of the catalogue.
pub fn trials(
    runner: Arc<Runner>,
    handle: tokio::runtime::Handle,
    catalogue: &Catalogue,
    outcomes: Outcomes,
) -> Vec<Trial> {
    catalogue
        .cases
        .iter()
        .filter(|c| runner.selection.selects(c))
        .map(|case| {
            let case = case.clone();
            let kind = case.area.clone();
            let runner = runner.clone();
            let handle = handle.clone();
            let outcomes = outcomes.clone();
            Trial::ignorable_test(case.id.clone(), move || {
                let outcome = handle.block_on(runner.run_case(&case));
                let result = match &outcome.status {
                    CaseStatus::Passed | CaseStatus::Warned => Ok(Completion::Completed),
                    CaseStatus::Ignored(why) => Ok(Completion::ignored_with(why)),
                    CaseStatus::Failed => Err(Failed::from(outcome.report.clone())),
                };
                outcomes
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(outcome);
                result
            })
            .with_kind(kind)
        })
        .collect()
}

/// Per-rule status over a run (SUITE-TRACE): `fail`, `warn`, `pass` or `not run`.
/// A rule the selection does not check is `not run` even if a case naming it ran.
pub fn rule_status(
    outcomes: &[CaseOutcome],
    selection: &Selection,
) -> BTreeMap<&'static str, &'static str> {
    let mut m = BTreeMap::new();
    for r in RULES {
        let broke = |st: CaseStatus| {
            outcomes
                .iter()
                .any(|o| o.status == st && o.failed_rules.iter().any(|x| x == r.id))
        };
        let passed = outcomes.iter().any(|o| {
            matches!(o.status, CaseStatus::Passed | CaseStatus::Warned)
                && o.rules.iter().any(|x| x == r.id)
                && !o.failed_rules.iter().any(|x| x == r.id)
        });
        let st = if !selection.checks_rule(r.id) {
            "not run"
        } else if broke(CaseStatus::Failed) {
            "fail"
        } else if broke(CaseStatus::Warned) {
            "warn"
        } else if passed {
            "pass"
        } else {
            "not run"
        };
        m.insert(r.id, st);
    }
    m
}

/// The closing summary: warnings, failures by rule, and rule coverage of the run.
pub fn summary(
    outcomes: &[CaseOutcome],
    selection: &Selection,
    seed: u64,
    requests: u64,
    elapsed: std::time::Duration,
) -> String {
    let mut s = String::new();
    let warned: Vec<&CaseOutcome> = outcomes
        .iter()
        .filter(|o| o.status == CaseStatus::Warned)
        .collect();
    if !warned.is_empty() {
        let _ = writeln!(
            s,
            "\nwarnings (SHOULD rules broken; they fail the run only with --strict):\n"
        );
        for o in &warned {
            let _ = writeln!(s, "WARNING {}", o.report);
        }
    }
    let failed: Vec<&CaseOutcome> = outcomes
        .iter()
        .filter(|o| o.status == CaseStatus::Failed)
        .collect();
    let count = |st: &str| {
        rule_status(outcomes, selection)
            .values()
            .filter(|v| **v == st)
            .count()
    };
    let _ = writeln!(
        s,
        "contactspec: {} cases: {} passed, {} warned, {} failed, {} ignored; {} requests in {:.2?}; seed {seed}",
        outcomes.len(),
        outcomes
            .iter()
            .filter(|o| o.status == CaseStatus::Passed)
            .count(),
        warned.len(),
        failed.len(),
        outcomes
            .iter()
            .filter(|o| matches!(o.status, CaseStatus::Ignored(_)))
            .count(),
        requests,
        elapsed,
    );
    let statuses = rule_status(outcomes, selection);
    let _ = writeln!(
        s,
        "rules: {} pass, {} warn, {} fail, {} not run",
        count("pass"),
        count("warn"),
        count("fail"),
        count("not run")
    );
    for st in ["fail", "warn"] {
        let ids: Vec<&str> = statuses
            .iter()
            .filter(|(_, v)| **v == st)
            .map(|(k, _)| *k)
            .collect();
        if !ids.is_empty() {
            let _ = writeln!(s, "  {st}: {}", ids.join(", "));
        }
    }
    if !failed.is_empty() {
        let _ = writeln!(
            s,
            "failed cases (rerun one with its name and --exact --seed {seed}):"
        );
        for o in failed {
            let _ = writeln!(s, "  {} [{}]", o.name, o.failed_rules.join(", "));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn rule_statuses() {
        let o = |rules: &[&str], status, failed: &[&str]| CaseOutcome {
            name: "x".into(),
            rules: rules.iter().map(|s| s.to_string()).collect(),
            status,
            failed_rules: failed.iter().map(|s| s.to_string()).collect(),
            duration: Duration::ZERO,
            requests: 0,
            failures: Vec::new(),
            report: String::new(),
        };
        let outcomes = vec![
            o(&["CT-CREATE", "CT-ECHO"], CaseStatus::Failed, &["CT-ECHO"]),
            o(&["CT-CREATE"], CaseStatus::Passed, &[]),
            o(&["CT-ECHO-ORDER"], CaseStatus::Warned, &["CT-ECHO-ORDER"]),
            o(&["AUTH-ISOLATION"], CaseStatus::Ignored("no b".into()), &[]),
        ];
        let st = rule_status(&outcomes, &Selection::default());
        assert_eq!(st["CT-ECHO"], "fail");
        assert_eq!(st["CT-CREATE"], "pass");
        assert_eq!(st["CT-ECHO-ORDER"], "warn");
        assert_eq!(st["AUTH-ISOLATION"], "not run");
        assert_eq!(st["GEN-BASE"], "not run");
        let s = summary(
            &outcomes,
            &Selection::default(),
            7,
            10,
            Duration::from_millis(5),
        );
        assert!(
            s.contains("4 cases: 1 passed, 1 warned, 1 failed, 1 ignored"),
            "{s}"
        );
        assert!(s.contains("fail: CT-ECHO"), "{s}");
    }
}
