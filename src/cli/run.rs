//! `contactspec run`: load the catalogue, reach the target (or start the embedded
//! reference server), run every selected case as a libtest-mimic trial, report.
//!
//! Exit codes: 0 every selected case passed; 1 a case failed; 2 usage error,
//! unreachable target or invalid case file.

use contactspec_suite::case::load_catalogue;
use contactspec_suite::runner::{RunConfig, Runner};
use contactspec_suite::schema::Schemas;
use contactspec_suite::select::Selection;
use contactspec_suite::trials;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Flags of `contactspec run` (plus the libtest flags: filter, `--exact`, `--skip`,
/// `--list`, `--test-threads`, `--ignored`, …).
#[derive(clap::Args, Debug)]
#[command(
    help_template = "{about-with-newline}\nUsage: contactspec run [OPTIONS] [FILTER]\n\n{all-args}{after-help}",
    after_help = "Exit codes: 0 every selected case passed, 1 a case failed, 2 usage error, unreachable target, rejected token or invalid case file."
)]
pub struct Args {
    /// Base URL of the target, e.g. http://127.0.0.1:8080/api/beta. Without it the
    /// embedded reference server is started in-process.
    #[arg(long, env = "CONTACTSPEC_TARGET")]
    pub target: Option<String>,
    /// Bearer token of user A (needed with --target).
    #[arg(long, env = "CONTACTSPEC_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Bearer token of user B (turns on the isolation cases).
    #[arg(long, env = "CONTACTSPEC_SECOND_TOKEN", hide_env_values = true)]
    pub second_token: Option<String>,
    /// Check only rules of these levels (must, should); comma-separated or repeated.
    #[arg(long)]
    pub level: Vec<String>,
    /// Check only rules of these bases (seed, doc, observed, decided).
    #[arg(long)]
    pub basis: Vec<String>,
    /// Run only cases with one of these tags.
    #[arg(long)]
    pub tag: Vec<String>,
    /// Run only cases that check one of these rule IDs.
    #[arg(long)]
    pub rule: Vec<String>,
    /// A broken SHOULD rule fails the run (otherwise it is a warning).
    #[arg(long)]
    pub strict: bool,
    /// Per-request timeout covering connect, headers and body (`10s`, `500ms`, `2`).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Clock tolerance of CT-CLOCK for targets that send no `Date` header.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub clock_skew: Duration,
    /// Seed of markers and generated values (default: random, printed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Write a JUnit XML report to this file.
    #[arg(long)]
    pub junit: Option<PathBuf>,
    /// The case directory (default: `cases/` in the current directory, else the source tree's).
    #[arg(long)]
    pub cases: Option<PathBuf>,
    /// The schema directory (default: `schemas/`, found like `cases/`).
    #[arg(long)]
    pub schemas: Option<PathBuf>,
    /// Instantiations of each case with generated inputs (`"generate"`); the issue's
    /// `--cases N` (`--cases` already names the case directory).
    #[arg(long, value_name = "N", default_value_t = 32)]
    pub gen_cases: u32,
    /// Write the shrunk minimal case of each failed generated case into this directory.
    #[arg(long, value_name = "DIR")]
    pub save_failures: Option<PathBuf>,
    /// After the catalogue, run the model-based state-machine test against the same target.
    #[arg(long)]
    pub model: bool,
    /// Sequences of the model-based test (with --model).
    #[arg(long, value_name = "N", default_value_t = 32)]
    pub model_cases: u32,
    /// libtest flags.
    #[command(flatten)]
    pub libtest: Box<libtest_mimic::Arguments>,
}

/// Parses `10s`, `500ms`, `1.5s`, `2m` or plain seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let n: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("expected a duration such as 10s or 500ms, found {s:?}"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => return Err(format!("unknown duration unit {unit:?} (ms, s, m)")),
    };
    if !(secs.is_finite() && secs > 0.0 && secs < 86_400.0) {
        return Err(format!(
            "expected a positive duration under a day, found {s:?}"
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// A seed from the clock and the process id.
fn random_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    contactspec_suite::runner::stable_hash(nanos ^ u64::from(std::process::id()), "seed")
        % 1_000_000_000
}

/// `name/` in the current directory if it exists, else in the source tree.
pub fn default_dir(name: &str) -> PathBuf {
    let here = Path::new(name);
    if here.is_dir() {
        return here.to_path_buf();
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
}

fn usage(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("contactspec run: {msg}");
    ExitCode::from(2)
}

/// Runs the sub-command.
pub fn main(args: Args) -> ExitCode {
    let selection =
        match Selection::from_flags(&args.level, &args.basis, &args.rule, &args.tag, args.strict) {
            Ok(s) => s,
            Err(e) => return usage(e),
        };
    let schema_dir = args
        .schemas
        .clone()
        .unwrap_or_else(|| default_dir("schemas"));
    let schemas = match Schemas::load(&schema_dir) {
        Ok(s) => s,
        Err(e) => return usage(e),
    };
    let case_dir = args.cases.clone().unwrap_or_else(|| default_dir("cases"));
    let catalogue = match load_catalogue(&case_dir, Some(&schemas.names())) {
        Ok(c) => c,
        Err(errors) => {
            for e in &errors {
                eprintln!("{e}");
            }
            return usage(format!("{} problem(s) in the case files", errors.len()));
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return usage(format!("cannot start the async runtime: {e}")),
    };
    // The target: the user's, or the embedded reference server.
    let mut _server = None;
    let (base, token_a, token_b) = match &args.target {
        Some(t) => {
            let Some(tok) = args.token.clone() else {
                return usage("--target needs --token (or CONTACTSPEC_TOKEN)");
            };
            (t.clone(), tok, args.second_token.clone())
        }
        None => {
            if args.libtest.list {
                (
                    "http://127.0.0.1:9/api/beta".to_string(),
                    "token-a".to_string(),
                    Some("token-b".to_string()),
                )
            } else {
                match contactspec_server::spawn(contactspec_server::ServerConfig::default()) {
                    Ok(s) => {
                        let base = s.base_url();
                        _server = Some(s);
                        (base, "token-a".to_string(), Some("token-b".to_string()))
                    }
                    Err(e) => {
                        return usage(format!("cannot start the embedded reference server: {e}"));
                    }
                }
            }
        }
    };
    if !contactspec_suite::expect::compare::is_absolute_url(&base) {
        return usage(format!("--target {base:?} is not an absolute URL"));
    }
    let seed = args.seed.unwrap_or_else(random_seed);
    let mut config = RunConfig::new(&base, &token_a, token_b.as_deref(), seed);
    config.timeout = args.timeout;
    config.clock_skew = args.clock_skew;
    config.gen_cases = args.gen_cases;
    config.save_failures = args.save_failures.clone();
    let started = Instant::now();
    let runner = if args.libtest.list {
        Runner::without_discovery(config, schemas, selection)
    } else {
        if !args.libtest.quiet {
            eprintln!(
                "contactspec: target {base}{}, seed {seed}",
                if args.target.is_none() {
                    " (embedded reference server)"
                } else {
                    ""
                }
            );
        }
        rt.block_on(Runner::new(config, schemas, selection))
    };
    let runner = match runner {
        Ok(r) => Arc::new(r),
        Err(e) => return usage(e),
    };
    if let Some(why) = &runner.discovery.unreachable {
        return usage(format!("cannot reach the target {base}: {why}"));
    }
    if let Some(why) = &runner.discovery.token_rejected {
        return usage(format!(
            "the target rejects user A's token ({why}); check --token / CONTACTSPEC_TOKEN"
        ));
    }
    if !args.libtest.list {
        for (name, why) in &runner.discovery.missing {
            eprintln!("contactspec: no {{{{{name}}}}}: {why}");
        }
        // Ctrl-C: delete what the run created, then stop (SUITE-SAFE).
        let r = runner.clone();
        rt.spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("\ncontactspec: interrupted; deleting what the run created");
                r.interrupt().await;
                std::process::exit(130);
            }
        });
    }
    let outcomes: trials::Outcomes = Arc::new(Mutex::new(Vec::new()));
    let trials = trials::trials(
        runner.clone(),
        rt.handle().clone(),
        &catalogue,
        outcomes.clone(),
    );
    // Cases wait on the network, not the CPU: run 8 at once unless told otherwise.
    let mut libtest = (*args.libtest).clone();
    libtest.test_threads = libtest.test_threads.or(Some(8));
    let conclusion = libtest_mimic::run(&libtest, trials);
    if args.libtest.list {
        return ExitCode::SUCCESS;
    }
    rt.block_on(runner.cleanup_all());
    let outcomes = outcomes.lock().map(|o| o.clone()).unwrap_or_default();
    eprint!(
        "{}",
        trials::summary(
            &outcomes,
            &runner.selection,
            seed,
            runner.client.requests_sent() + runner.discovery.requests,
            started.elapsed()
        )
    );
    if let Some(path) = &args.junit {
        match contactspec_suite::junit::render(&outcomes, seed) {
            Ok(xml) => {
                if let Err(e) = std::fs::write(path, xml) {
                    return usage(format!("cannot write {}: {e}", path.display()));
                }
            }
            Err(e) => return usage(format!("cannot render JUnit XML: {e}")),
        }
    }
    let model_failed = args.model && !run_model(&args, &runner.config, seed);
    if conclusion.num_failed > 0 || model_failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Runs the model-based test (`--model`) against the run's target with user A's
/// token; prints its report and returns whether it passed.
fn run_model(args: &Args, config: &RunConfig, seed: u64) -> bool {
    use contactspec_props::client::{Client, Target};
    use contactspec_props::properties::Options;
    let client = match Client::new(Target {
        base: config.base.clone(),
        token: config.token_a.clone(),
    }) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("contactspec: model-based test: {e}");
            return false;
        }
    };
    let opts = Options {
        cases: args.model_cases,
        seed,
        strict: args.strict,
        save_failures: args.save_failures.clone(),
        ..Options::default()
    };
    let report = contactspec_props::model_test::run(&client, &opts, 30);
    eprint!("{report}");
    report.passed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("3h").is_err());
    }
}
