//! `contactspec props`: runs the generated properties and the model-based test
//! against a target (the embedded reference server by default, optionally with
//! injected faults).

use contactspec_props::client::{Client, Target};
use contactspec_props::model_test;
use contactspec_props::properties::{self, Options};
use contactspec_server::{FaultSet, ServerConfig};
use std::path::PathBuf;
use std::process::ExitCode;

/// Flags of `contactspec props`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Base URL of the target (e.g. http://127.0.0.1:8080/api/beta); without it an
    /// embedded reference server is started.
    #[arg(long)]
    pub target: Option<String>,
    /// User A's bearer token on the target.
    #[arg(long, default_value = "token-a")]
    pub token: String,
    /// Generated inputs (or sequences) per property.
    #[arg(long, default_value_t = 32)]
    pub cases: u32,
    /// The seed of every generated value; printed at the start (random when absent).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Write each shrunk failure as a case file into this directory.
    #[arg(long, value_name = "DIR")]
    pub save_failures: Option<PathBuf>,
    /// Run the model-based state-machine test instead of the properties.
    #[arg(long)]
    pub model: bool,
    /// Run the properties and the model-based test.
    #[arg(long, conflicts_with = "model")]
    pub all: bool,
    /// Run only this property (repeatable; `--list` shows the names).
    #[arg(long, value_name = "NAME")]
    pub only: Vec<String>,
    /// List the properties and exit.
    #[arg(long)]
    pub list: bool,
    /// Fail on broken SHOULD rules too.
    #[arg(long)]
    pub strict: bool,
    /// Longest operation sequence of the model test.
    #[arg(long, default_value_t = 30)]
    pub max_len: usize,
    /// Inject a fault into the embedded server (repeatable; `contactspec faults`).
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<String>,
}

fn random_seed() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    (t ^ u64::from(std::process::id()).rotate_left(32)) % 1_000_000_000
}

/// Runs the sub-command.
pub fn main(args: Args) -> ExitCode {
    if args.list {
        for p in properties::all() {
            println!(
                "{:<18} {}  [{}]",
                p.spec.name,
                p.spec.about,
                p.spec.rules.join(", ")
            );
        }
        println!(
            "{:<18} random sequences checked against an in-memory model (--model)",
            "model"
        );
        return ExitCode::SUCCESS;
    }
    let known: Vec<&str> = properties::all().iter().map(|p| p.spec.name).collect();
    if let Some(bad) = args.only.iter().find(|o| !known.contains(&o.as_str())) {
        eprintln!(
            "contactspec props: unknown property {bad:?}; known: {}",
            known.join(", ")
        );
        return ExitCode::from(2);
    }
    let faults = match FaultSet::from_names(args.faults.iter().map(String::as_str)) {
        Ok(f) => f,
        Err(bad) => {
            eprintln!("contactspec props: {bad}");
            return ExitCode::from(2);
        }
    };
    if args.target.is_some() && !faults.is_empty() {
        eprintln!("contactspec props: --fault applies to the embedded server only");
        return ExitCode::from(2);
    }
    let mut _server = None;
    let base = match &args.target {
        Some(t) => t.trim_end_matches('/').to_string(),
        None => {
            let config = ServerConfig {
                faults,
                ..ServerConfig::default()
            };
            match contactspec_server::spawn(config) {
                Ok(s) => {
                    let b = s.base_url();
                    _server = Some(s);
                    b
                }
                Err(e) => {
                    eprintln!("contactspec props: cannot start the embedded server: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
    };
    let client = match Client::new(Target {
        base: base.clone(),
        token: args.token.clone(),
    }) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("contactspec props: {e}");
            return ExitCode::FAILURE;
        }
    };
    std::thread::spawn(|| {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        if rt.block_on(tokio::signal::ctrl_c()).is_ok() {
            eprintln!("contactspec props: interrupted; deleting what this run created");
            contactspec_props::interrupt::request_stop();
        }
    });
    let seed = args.seed.unwrap_or_else(random_seed);
    println!(
        "contactspec props: target {base}, seed {seed}, {} cases",
        args.cases
    );
    let opts = Options {
        cases: args.cases,
        seed,
        strict: args.strict,
        save_failures: args.save_failures.clone(),
        ..Options::default()
    };
    let mut failed = 0;
    let mut passed = 0;
    if !args.model {
        for r in properties::run(&client, &opts, &args.only) {
            print!("{r}");
            if r.passed() { passed += 1 } else { failed += 1 }
        }
    }
    if args.model || args.all {
        let r = model_test::run(&client, &opts, args.max_len);
        print!("{r}");
        if r.passed() { passed += 1 } else { failed += 1 }
    }
    println!("props: {passed} passed, {failed} failed (seed {seed})");
    if contactspec_props::interrupt::stop_requested() {
        return ExitCode::from(130);
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
