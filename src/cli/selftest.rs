//! `contactspec selftest`: runs the suite against the faultless reference server and
//! against the server with each injected fault, and prints the kill matrix
//! (SUITE-KILLS). Exit 0 only when every fault is killed and the faultless run passes.

use crate::selftest::{self, Options};
use contactspec_server::Fault;
use std::path::PathBuf;
use std::process::ExitCode;

/// Flags of `contactspec selftest`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Also write the matrix as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Only these faults (repeat or comma-separate; see `contactspec faults`). Default: all.
    #[arg(long = "fault", value_name = "NAME", value_delimiter = ',')]
    pub faults: Vec<String>,
    /// Faults run at once, each on a server of its own.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: u16,
    /// Cases run at once against one server.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..))]
    pub concurrency: u16,
    /// Generated inputs per property (0 leaves the properties out).
    #[arg(long, default_value_t = 8)]
    pub property_cases: u32,
    /// Seed of markers and generated values.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Run every case and property for every fault instead of stopping at the first kill.
    #[arg(long)]
    pub exhaustive: bool,
    /// The case catalogue directory.
    #[arg(long, value_name = "DIR", default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/cases"))]
    pub cases: PathBuf,
    /// The JSON Schema directory.
    #[arg(long, value_name = "DIR", default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas"))]
    pub schemas: PathBuf,
}

/// Runs the sub-command: 0 all killed and the faultless run passed, 1 otherwise, 2 on
/// usage errors (unknown fault name, catalogue that does not load).
pub fn main(args: Args) -> ExitCode {
    let faults = if args.faults.is_empty() {
        Fault::ALL.to_vec()
    } else {
        let mut out = Vec::new();
        for name in args
            .faults
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
        {
            match Fault::from_name(name) {
                Some(f) if !out.contains(&f) => out.push(f),
                Some(_) => {}
                None => {
                    eprintln!(
                        "contactspec selftest: unknown fault {name:?} (see `contactspec faults`)"
                    );
                    return ExitCode::from(2);
                }
            }
        }
        out
    };
    let options = Options {
        cases_dir: args.cases,
        schemas_dir: args.schemas,
        faults,
        jobs: usize::from(args.jobs),
        concurrency: usize::from(args.concurrency),
        seed: args.seed,
        property_cases: args.property_cases,
        exhaustive: args.exhaustive,
    };
    let matrix = match selftest::run_blocking(options) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("contactspec selftest: {e}");
            return ExitCode::from(2);
        }
    };
    println!("{matrix}");
    if let Some(path) = &args.json {
        let text = match serde_json::to_string_pretty(&matrix) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("contactspec selftest: cannot serialise the matrix: {e}");
                return ExitCode::from(1);
            }
        };
        if let Err(e) = std::fs::write(path, text + "\n") {
            eprintln!("contactspec selftest: cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    if matrix.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
