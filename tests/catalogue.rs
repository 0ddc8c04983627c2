//! `cargo test --test catalogue`: runs the whole case catalogue against the embedded
//! reference server, one libtest-mimic trial per case (filter, `--exact`, `--skip`,
//! `--list`, `--ignored` work as usual), strictly (a broken SHOULD fails), plus
//! `rule-coverage`: every MUST and SHOULD rule of SPEC.md has a case.
//!
//! `CONTACTSPEC_SEED` fixes the seed; otherwise it is derived from the clock and printed.

use contactspec_model::RULES;
use contactspec_suite::case::{Catalogue, load_catalogue};
use contactspec_suite::runner::{RunConfig, Runner, stable_hash};
use contactspec_suite::schema::Schemas;
use contactspec_suite::select::Selection;
use contactspec_suite::trials;
use libtest_mimic::{Arguments, Failed, Trial};
use std::path::Path;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

fn coverage(catalogue: &Catalogue) -> Result<(), Failed> {
    let missing: Vec<&str> = RULES
        .iter()
        .filter(|r| catalogue.cases_for_rule(r.id).is_empty())
        .map(|r| r.id)
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} rule(s) without a case: {}",
            missing.len(),
            missing.join(", ")
        )
        .into())
    }
}

/// Every case file also validates against `schemas/case.schema.json`, the schema
/// editors use: the runner's loader and the editor schema agree.
fn files_match_case_schema(root: &Path, schemas: &Schemas) -> Result<(), Failed> {
    let mut problems = Vec::new();
    let mut files = 0;
    for area in std::fs::read_dir(root.join("cases")).map_err(|e| e.to_string())? {
        let area = area.map_err(|e| e.to_string())?.path();
        if !area.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&area).map_err(|e| e.to_string())? {
            let f = f.map_err(|e| e.to_string())?.path();
            if f.extension().is_none_or(|x| x != "json") {
                continue;
            }
            files += 1;
            let text = std::fs::read_to_string(&f).map_err(|e| e.to_string())?;
            let v: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", f.display()))?;
            if let Err(errs) = schemas.validate("case", &v) {
                problems.push(format!("{}: {}", f.display(), errs.join("; ")));
            }
        }
    }
    if files == 0 {
        return Err("no case files found".into());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n").into())
    }
}

fn main() -> ExitCode {
    let mut args = Arguments::from_args();
    // Cases wait on the network, not the CPU: run 8 at once unless told otherwise.
    args.test_threads = args.test_threads.or(Some(8));
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let schemas = match Schemas::load(&root.join("schemas")) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let schema_check = files_match_case_schema(root, &schemas);
    let catalogue = match load_catalogue(&root.join("cases"), Some(&schemas.names())) {
        Ok(c) => c,
        Err(errors) => {
            for e in &errors {
                eprintln!("{e}");
            }
            return ExitCode::from(2);
        }
    };
    let seed = std::env::var("CONTACTSPEC_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64);
            stable_hash(t, "seed") % 1_000_000_000
        });
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let server = contactspec_server::spawn(contactspec_server::ServerConfig::default())
        .expect("the embedded reference server starts");
    let config = RunConfig::new(&server.base_url(), "token-a", Some("token-b"), seed);
    let selection = Selection {
        strict: true,
        ..Selection::default()
    };
    let runner = Arc::new(
        rt.block_on(Runner::new(config, schemas, selection))
            .expect("client"),
    );
    if let Some(why) = &runner.discovery.unreachable {
        eprintln!("the embedded server is unreachable: {why}");
        return ExitCode::from(2);
    }
    eprintln!(
        "catalogue: {} cases, seed {seed} (set CONTACTSPEC_SEED to repeat)",
        catalogue.cases.len()
    );
    let outcomes: trials::Outcomes = Arc::new(Mutex::new(Vec::new()));
    let mut all = trials::trials(
        runner.clone(),
        rt.handle().clone(),
        &catalogue,
        outcomes.clone(),
    );
    let cat = catalogue.clone();
    all.push(Trial::test("rule-coverage", move || coverage(&cat)).with_kind("coverage"));
    all.push(
        Trial::test("case-files-match-case-schema", move || schema_check).with_kind("coverage"),
    );
    let started = std::time::Instant::now();
    let conclusion = libtest_mimic::run(&args, all);
    rt.block_on(runner.cleanup_all());
    if !args.list {
        let outcomes = outcomes.lock().map(|o| o.clone()).unwrap_or_default();
        eprint!(
            "{}",
            trials::summary(
                &outcomes,
                &runner.selection,
                seed,
                runner.client.requests_sent(),
                started.elapsed()
            )
        );
    }
    conclusion.exit_code()
}
