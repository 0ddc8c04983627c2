//! `contactspec rules`: every rule of SPEC.md with its level, basis and the cases that
//! check it (SUITE-TRACE), as text or `--json`.

use contactspec_model::RULES;
use contactspec_suite::case::load_catalogue;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Flags of `contactspec rules`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print JSON: an array of {id, level, basis, section, text, cases}.
    #[arg(long)]
    pub json: bool,
    /// The case directory (default as for `contactspec run`).
    #[arg(long)]
    pub cases: Option<PathBuf>,
}

/// Runs the sub-command.
pub fn main(args: Args) -> ExitCode {
    let dir = args
        .cases
        .clone()
        .unwrap_or_else(|| super::run::default_dir("cases"));
    let catalogue = match load_catalogue(&dir, None) {
        Ok(c) => c,
        Err(errors) => {
            for e in &errors {
                eprintln!("{e}");
            }
            eprintln!(
                "contactspec rules: {} problem(s) in the case files",
                errors.len()
            );
            return ExitCode::from(2);
        }
    };
    if args.json {
        let rows: Vec<serde_json::Value> = RULES
            .iter()
            .map(|r| {
                serde_json::json!({
                    "id": r.id,
                    "level": r.level.as_str(),
                    "basis": r.basis.as_str(),
                    "section": r.section,
                    "text": r.text,
                    "cases": catalogue.cases_for_rule(r.id).iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
                })
            })
            .collect();
        match serde_json::to_string_pretty(&rows) {
            // A closed pipe (`| head`) is not an error worth a panic.
            Ok(s) => {
                let _ = writeln!(std::io::stdout().lock(), "{s}");
            }
            Err(e) => {
                eprintln!("contactspec rules: {e}");
                return ExitCode::from(2);
            }
        }
        return ExitCode::SUCCESS;
    }
    let mut uncovered = 0;
    let mut out = std::io::stdout().lock();
    for r in RULES {
        let cases = catalogue.cases_for_rule(r.id);
        if cases.is_empty() {
            uncovered += 1;
        }
        let _ = writeln!(
            out,
            "{:<28} {:<6} {:<8} §{}  {} case(s)",
            r.id,
            r.level.as_str(),
            r.basis.as_str(),
            r.section,
            cases.len()
        );
        for c in cases {
            let _ = writeln!(out, "    {}", c.id);
        }
    }
    let _ = writeln!(out, "{} rules, {} without a case", RULES.len(), uncovered);
    ExitCode::SUCCESS
}
