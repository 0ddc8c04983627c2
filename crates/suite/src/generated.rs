//! Cases with generated inputs (`"generate"`), run as properties: N instantiations
//! with literal values drawn by `contactspec_props::case_props::run_generated_case`
//! from the run's seed (SUITE-DETERMINISTIC), each run by the ordinary runner as a
//! literal case; a failure is shrunk and reported with its minimal inputs, and
//! optionally written out as a ready-to-commit case file.
//!
//! The property driver is synchronous; it runs on its own thread and hands each
//! instantiation to the async side over a channel, so nothing ever blocks inside
//! the runtime, whoever calls [`crate::runner::Runner::run_case`].

use crate::case::{LoadedCase, parse_case_file};
use crate::outcome::{CaseOutcome, CaseStatus};
use crate::runner::Runner;
use contactspec_props::case_props::{GenerateError, GeneratedOutcome, run_generated_case_escaped};
use serde_json::{Value, json};
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// An instantiation to run and where to send its verdict.
type Job = (Value, oneshot::Sender<Result<(), String>>);

/// The text of a case file holding one literal case (as `--save-failures` writes it).
pub fn case_file_text(case: &Value) -> String {
    let file = json!({"$schema": "../../schemas/case.schema.json", "cases": [case]});
    serde_json::to_string_pretty(&file).unwrap_or_default() + "\n"
}

/// A literal instantiation of `case` as a loaded case (validated like a case file).
pub fn literal_case(case: &LoadedCase, literal: &Value) -> Result<LoadedCase, String> {
    let text = case_file_text(literal);
    let mut file = parse_case_file(&case.file, &text, None).map_err(|errs| {
        let msgs: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        format!(
            "the generated values do not make a valid literal case: {}",
            msgs.join("; ")
        )
    })?;
    let def = file.cases.pop().ok_or("no case")?;
    Ok(LoadedCase {
        id: case.id.clone(),
        area: case.area.clone(),
        file: case.file.clone(),
        exclusive: case.exclusive,
        raw: literal.clone(),
        def,
    })
}

/// Writes the minimal case to `dir/<area>-<case name>.json`; returns the path.
fn save(dir: &Path, case: &LoadedCase, minimal: &Value) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("{}-{}.json", case.area, case.def.name));
    std::fs::write(&path, case_file_text(minimal))?;
    Ok(path)
}

/// Runs a case with a `generate` member as a property (see the module docs).
pub async fn run_generated(runner: &Runner, case: &LoadedCase) -> CaseOutcome {
    let t0 = Instant::now();
    let (tx, mut rx) = mpsc::channel::<Job>(1);
    let (done_tx, done_rx) = oneshot::channel::<Result<GeneratedOutcome, GenerateError>>();
    let raw = case.raw.clone();
    let seed = runner.config.seed;
    let n = runner.config.gen_cases.max(1);
    let spawned = std::thread::Builder::new()
        .name("generated-case".into())
        .spawn(move || {
            let out = run_generated_case_escaped(
                &raw,
                seed,
                n,
                crate::template::escape_json,
                |literal| {
                    let (reply, verdict) = oneshot::channel();
                    tx.blocking_send((literal.clone(), reply))
                        .map_err(|_| "the runner stopped".to_string())?;
                    verdict
                        .blocking_recv()
                        .unwrap_or_else(|_| Err("the runner stopped".to_string()))
                },
            );
            let _ = done_tx.send(out);
        });
    let mut base = CaseOutcome {
        name: case.id.clone(),
        rules: case.def.rules.clone(),
        status: CaseStatus::Passed,
        failed_rules: Vec::new(),
        duration: Duration::ZERO,
        requests: 0,
        failures: Vec::new(),
        report: String::new(),
    };
    if let Err(e) = spawned {
        base.status = CaseStatus::Failed;
        base.report = format!("{}: cannot start the property driver: {e}\n", case.id);
        return base;
    }
    let mut last: Option<CaseOutcome> = None;
    let mut warned: Option<CaseOutcome> = None;
    let mut requests = 0;
    while let Some((literal, reply)) = rx.recv().await {
        let outcome = match literal_case(case, &literal) {
            Ok(lc) => runner.run_literal_case(&lc).await,
            Err(why) => CaseOutcome {
                status: CaseStatus::Failed,
                report: format!("{}: {why}\n", case.id),
                ..base.clone()
            },
        };
        requests += outcome.requests;
        let verdict = match &outcome.status {
            CaseStatus::Failed => Err(outcome.report.clone()),
            _ => Ok(()),
        };
        if outcome.status == CaseStatus::Warned && warned.is_none() {
            warned = Some(outcome.clone());
        }
        last = Some(outcome);
        let _ = reply.send(verdict);
    }
    base.requests = requests;
    base.duration = t0.elapsed();
    let result = match done_rx.await {
        Ok(r) => r,
        Err(_) => {
            base.status = CaseStatus::Failed;
            base.report = format!("{}: the property driver stopped unexpectedly\n", case.id);
            return base;
        }
    };
    let out = match result {
        Ok(o) => o,
        Err(e) => {
            base.status = CaseStatus::Failed;
            base.report = format!("{}: {e}\n", case.id);
            return base;
        }
    };
    let Some(failure) = out.failure else {
        if let Some(w) = warned {
            return CaseOutcome {
                requests,
                duration: base.duration,
                ..w
            };
        }
        if let Some(CaseOutcome {
            status: CaseStatus::Ignored(why),
            ..
        }) = last
        {
            base.status = CaseStatus::Ignored(why);
        }
        return base;
    };
    // The driver's last call ran the minimal case: its outcome is the report.
    let minimal = last.unwrap_or_else(|| base.clone());
    let mut report = String::new();
    if minimal.status == CaseStatus::Failed {
        report.push_str(&minimal.report);
    } else {
        let _ = writeln!(report, "{}: {}", case.id, failure.message);
    }
    let _ = writeln!(
        report,
        "\ngenerated case: failed within {} instantiation(s), seed {seed}; minimal inputs after shrinking:",
        out.cases
    );
    for (k, v) in &failure.values {
        let _ = writeln!(report, "  {{{{gen.{k}}}}} = {v}");
    }
    let _ = writeln!(
        report,
        "reproduce: contactspec run --seed {seed} --gen-cases {n} --exact {}",
        case.id
    );
    if !failure.minimal_case.is_null() {
        match &runner.config.save_failures {
            Some(dir) => match save(dir, case, &failure.minimal_case) {
                Ok(p) => {
                    let _ = writeln!(report, "minimal case file written to {}", p.display());
                }
                Err(e) => {
                    let _ = writeln!(report, "cannot write the minimal case file: {e}");
                }
            },
            None => {
                let _ = writeln!(
                    report,
                    "minimal case (save it with --save-failures DIR):\n{}",
                    case_file_text(&failure.minimal_case)
                );
            }
        }
    }
    CaseOutcome {
        name: case.id.clone(),
        rules: case.def.rules.clone(),
        status: CaseStatus::Failed,
        failed_rules: minimal.failed_rules,
        duration: t0.elapsed(),
        requests,
        failures: minimal.failures,
        report,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::load_file;
    use crate::template::escape_json;

    #[test]
    fn escaped_literals_load_and_mean_their_text() {
        let v = escape_json(&json!({"GivenName": "{{not-a-template}}", "n": [1, "a{{b"]}));
        assert_eq!(
            v,
            json!({"GivenName": "{{open}}not-a-template}}", "n": [1, "a{{open}}b"]})
        );
        let mut scope = crate::template::Scope::default();
        scope.set("open", json!(crate::template::OPEN));
        assert_eq!(
            scope.expand_json(&v).unwrap(),
            json!({"GivenName": "{{not-a-template}}", "n": [1, "a{{b"]}),
            "the runner sends the generated text"
        );
        let dir = std::env::temp_dir().join(format!("cs-gen-unit-{}", std::process::id()));
        let file = dir.join("g.json");
        let case = json!({"name": "g", "rules": ["CT-ECHO"], "steps": [{"request":
            {"method": "POST", "path": "me/contacts", "json": v}}]});
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(&file, case_file_text(&case)).unwrap();
        let loaded = load_file(&file, "generated", None).expect("an escaped literal case loads");
        assert_eq!(loaded[0].raw, case);
        let lc = literal_case(&loaded[0], &case).expect("validates");
        assert!(lc.def.generate.is_empty());
        // Unescaped, the same value is not a valid case.
        let bad = json!({"name": "g", "rules": ["CT-ECHO"], "steps": [{"request":
            {"method": "POST", "path": "me/contacts", "json": {"x": "{{not-a-template}}"}}}]});
        assert!(literal_case(&loaded[0], &bad).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
