//! `contactspec fuzz`: the black-box network fuzzer (`contactspec-netfuzz`) against a
//! target, or against the embedded reference server (with `--fault`s) when no
//! `--target` is given.

use contactspec_netfuzz::{Config, Report};
use contactspec_server::{FaultSet, ServerConfig};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Flags of `contactspec fuzz`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Base URL of the server to fuzz (`http://127.0.0.1:8080/api/beta`); without it
    /// the embedded reference server is started and fuzzed.
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,
    /// Bearer token of the fuzzed user (default with the embedded server: token-a).
    #[arg(long, value_name = "T", env = "CONTACTSPEC_TOKEN")]
    pub token: Option<String>,
    /// How long to fuzz (`500ms`, `30s`, `2m`, `1h`).
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Seed of every generated request (same seed, same requests).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Inject a named fault into the embedded server (repeatable; `contactspec faults`).
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<String>,
    /// Concurrent workers, each on its own keep-alive connection.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// A request without an answer after this long is a finding.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Stop after this many fuzz requests.
    #[arg(long)]
    pub max_requests: Option<u64>,
    /// Save each finding as a case file, a curl script and its body into DIR.
    #[arg(long, value_name = "DIR")]
    pub save: Option<PathBuf>,
    /// Stop as soon as this many distinct findings are known.
    #[arg(long, value_name = "N")]
    pub stop_after: Option<usize>,
    /// Never send the (rare) 4 MB bodies that probe the body limit.
    #[arg(long)]
    pub no_huge: bool,
    /// No progress line.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Parses `500ms`, `30s`, `2m`, `1h` or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration like 30s"))?;
    let secs = match unit.trim() {
        "ms" => n / 1000.0,
        "" | "s" => n,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        u => return Err(format!("unknown unit {u:?} in {s:?} (ms, s, m, h)")),
    };
    if !secs.is_finite() || !(0.0..=1e9).contains(&secs) {
        return Err(format!("{s:?} is out of range"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Prints the summary of a run (a closed stdout, as under `| head`, is not an error).
pub fn print_report(r: &Report) {
    let mut out = std::io::stdout().lock();
    let _ = write_report(&mut out, r);
    for p in &r.cleanup_problems {
        eprintln!("  warning: {p}");
    }
}

/// Writes the summary: fuzz requests and read-backs with their rates, each finding
/// with its rule's level, the saved files and the cleanup.
pub fn write_report(out: &mut impl std::io::Write, r: &Report) -> std::io::Result<()> {
    writeln!(
        out,
        "contactspec fuzz: {} fuzz requests in {:.1}s: {:.0} fuzz requests/s, plus {} read-backs ({:.0}/s); {} requests in all with setup and cleanup; {} finding(s)",
        r.requests,
        r.elapsed.as_secs_f64(),
        r.rate(),
        r.readbacks,
        r.readback_rate(),
        r.total_requests,
        r.findings.len()
    )?;
    for f in &r.findings {
        let level = contactspec_model::rules::rule(f.rule)
            .map(|rule| rule.level.as_str())
            .unwrap_or("?");
        writeln!(
            out,
            "  {} ({level}) {} -> {} ({} hit(s)): {}",
            f.rule,
            f.endpoint,
            if f.status == 0 {
                "no answer".to_string()
            } else {
                f.status.to_string()
            },
            f.hits,
            f.detail
        )?;
    }
    for p in &r.saved {
        writeln!(out, "  saved {}", p.display())?;
    }
    if r.deleted > 0 {
        writeln!(out, "  deleted {} contact(s) the run created", r.deleted)?;
    }
    Ok(())
}

/// Runs the sub-command: exit 0 without findings, 1 with findings, 2 on bad flags or
/// a target the fuzzer cannot set up on.
pub fn main(args: Args) -> ExitCode {
    let mut server = None;
    let (base, token) = match &args.target {
        Some(t) => {
            let Some(token) = args.token.clone() else {
                eprintln!("contactspec fuzz: --token is required with --target");
                return ExitCode::from(2);
            };
            if !args.faults.is_empty() {
                eprintln!(
                    "contactspec fuzz: --fault applies only to the embedded server (no --target)"
                );
                return ExitCode::from(2);
            }
            (t.clone(), token)
        }
        None => {
            let faults = match FaultSet::from_names(args.faults.iter().map(String::as_str)) {
                Ok(f) => f,
                Err(unknown) => {
                    eprintln!("contactspec fuzz: {unknown}");
                    return ExitCode::from(2);
                }
            };
            let config = ServerConfig {
                faults,
                ..ServerConfig::default()
            };
            let token = args
                .token
                .clone()
                .unwrap_or_else(|| config.tokens[0].clone());
            match contactspec_server::spawn(config) {
                Ok(s) => {
                    let base = s.base_url();
                    server = Some(s);
                    (base, token)
                }
                Err(e) => {
                    eprintln!("contactspec fuzz: cannot start the embedded server: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
    };
    let mut cfg = Config::new(base, token);
    cfg.duration = args.duration;
    cfg.seed = args.seed;
    cfg.concurrency = args.concurrency.max(1);
    cfg.timeout = args.timeout;
    cfg.max_requests = args.max_requests;
    cfg.save = args.save.clone();
    cfg.huge = !args.no_huge;
    cfg.stop_after_findings = args.stop_after;
    cfg.progress = !args.quiet;
    let result = contactspec_netfuzz::run_blocking(cfg);
    if let Some(s) = server {
        s.shutdown();
    }
    match result {
        Ok(report) => {
            print_report(&report);
            if report.findings.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("contactspec fuzz: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("7").unwrap(), Duration::from_secs(7));
        assert!(parse_duration("3 weeks").is_err());
        assert!(parse_duration("").is_err());
    }
}
