//! Runs one property: N generated inputs from a seeded RNG, shrinking of a failure
//! to a minimal input, cleanup of everything created, and the report (minimal input,
//! seed, requests, curl commands, case file).

use crate::casefile::{self, CaseBuilder};
use crate::check::{CheckError, CheckResult, Checker, Violation, fail};
use crate::client::{Body, Client, Exchange, Request, encode_id};
use crate::generators::invalid::MARKER;
use proptest::strategy::Strategy;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use serde_json::Value;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How to run the properties.
#[derive(Debug, Clone)]
pub struct Options {
    /// Generated inputs per property (`--cases`, default 32).
    pub cases: u32,
    /// The seed every generated value derives from (`--seed`).
    pub seed: u64,
    /// Fail on broken SHOULD rules too.
    pub strict: bool,
    /// Where to write shrunk failures as case files (`--save-failures`).
    pub save_failures: Option<PathBuf>,
    /// Upper bound on shrink steps per failure.
    pub max_shrink_iters: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            cases: 32,
            seed: 0,
            strict: false,
            save_failures: None,
            max_shrink_iters: 512,
        }
    }
}

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The 32-byte ChaCha seed of one property: derived from the run's seed and the
/// property's name only, so it does not depend on which other properties run, in
/// which order, or on how many threads (SUITE-DETERMINISTIC).
pub fn rng_seed(seed: u64, name: &str) -> [u8; 32] {
    let mut st = seed ^ fnv(name);
    let mut out = [0u8; 32];
    for chunk in out.chunks_mut(8) {
        chunk.copy_from_slice(&splitmix(&mut st).to_le_bytes());
    }
    out
}

/// A proptest runner seeded for one property.
pub fn runner(opts: &Options, name: &str) -> TestRunner {
    let config = Config {
        cases: opts.cases,
        failure_persistence: None,
        max_shrink_iters: opts.max_shrink_iters,
        max_shrink_time: 60_000,
        max_global_rejects: 64,
        ..Config::default()
    };
    TestRunner::new_with_rng(
        config,
        TestRng::from_seed(RngAlgorithm::ChaCha, &rng_seed(opts.seed, name)),
    )
}

/// The run's marker prefix: letters and digits, different on every run so that
/// leftovers of an interrupted run never mix in (the generated values themselves
/// depend on the seed alone; case files use the `{{marker}}` template).
pub fn run_marker(seed: u64) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "csp{:06x}{:05x}",
        seed & 0xff_ffff,
        (u64::from(nanos) ^ u64::from(std::process::id())) & 0xf_ffff
    )
}

/// What one run of a property's test sees: the client, the checker and the marker.
pub struct Ctx<'a> {
    /// The HTTP client.
    pub client: &'a Client,
    /// The strictness policy.
    pub checker: &'a Checker,
    /// This iteration's marker.
    pub marker: String,
    created: RefCell<Vec<String>>,
}

impl<'a> Ctx<'a> {
    /// A context with a marker.
    pub fn new(client: &'a Client, checker: &'a Checker, marker: String) -> Self {
        Ctx {
            client,
            checker,
            marker,
            created: RefCell::new(Vec::new()),
        }
    }

    /// Replaces the `{{marker}}` placeholder in text.
    pub fn subst(&self, s: &str) -> String {
        s.replace(MARKER, &self.marker)
    }

    /// Replaces the placeholder in every string of a JSON value.
    pub fn subst_json(&self, v: &Value) -> Value {
        match v {
            Value::String(s) => Value::String(self.subst(s)),
            Value::Array(a) => Value::Array(a.iter().map(|x| self.subst_json(x)).collect()),
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, x)| (k.clone(), self.subst_json(x)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// Sends a request.
    pub fn send(&self, req: Request) -> CheckResult<Exchange> {
        let ex = self.client.send(req)?;
        if ex.status >= 500 {
            return Err(fail(
                "GEN-NO-5XX",
                format!("{} {} answered {}", ex.method, ex.url, ex.status),
            ));
        }
        Ok(ex)
    }

    /// POSTs a body to a contacts collection, remembering any created id for cleanup.
    pub fn create(&self, path: &str, body: Body) -> CheckResult<Exchange> {
        let ex = self.send(Request::new("POST", path).body(body))?;
        if ex.status == 201
            && let Some(id) = ex
                .json()
                .and_then(|j| j.get("Id")?.as_str().map(str::to_string))
        {
            self.created.borrow_mut().push(id);
        }
        Ok(ex)
    }

    /// Records a contact id for cleanup.
    pub fn track(&self, id: &str) {
        self.created.borrow_mut().push(id.to_string());
    }

    /// Deletes every contact this context created (SUITE-SAFE); 404 is fine.
    pub fn cleanup(&self) {
        for id in self.created.borrow_mut().drain(..) {
            let _ = self.client.send_quiet(Request::new(
                "DELETE",
                format!("me/contacts/{}", encode_id(&id)),
            ));
        }
    }

    /// Requires one of the statuses.
    pub fn status(&self, ex: &Exchange, allowed: &[u16], rule: &'static str) -> CheckResult {
        if allowed.contains(&ex.status) {
            Ok(())
        } else {
            Err(fail(
                rule,
                format!(
                    "{} {} answered {}, expected {:?}: {}",
                    ex.method,
                    ex.url,
                    ex.status,
                    allowed,
                    String::from_utf8_lossy(&ex.resp_body)
                        .chars()
                        .take(300)
                        .collect::<String>()
                ),
            ))
        }
    }

    /// Requires an error response with `status` and one of `codes` (ERR-SHAPE, ERR-CODE).
    pub fn error(
        &self,
        ex: &Exchange,
        status: u16,
        codes: &[contactspec_model::ErrorCode],
        rule: &'static str,
    ) -> CheckResult {
        self.status(ex, &[status], rule)?;
        let code = ex.error_code();
        let Some(code) = code else {
            return Err(fail(
                "ERR-SHAPE",
                format!("{} error body has no error.code", ex.status),
            ));
        };
        if codes.iter().any(|c| c.as_str() == code) {
            Ok(())
        } else {
            self.checker.violation(Violation {
                rule: "ERR-CODE",
                message: format!("{rule}: error code {code}, expected one of {codes:?}"),
            })
        }
    }

    /// The JSON body of a response, or a failure of `rule`.
    pub fn json(&self, ex: &Exchange, rule: &'static str) -> CheckResult<Value> {
        ex.json()
            .ok_or_else(|| fail(rule, format!("{} {}: body is not JSON", ex.method, ex.url)))
    }

    /// `$filter` text restricting a list to this iteration's contacts.
    pub fn marker_filter(&self) -> String {
        format!(
            "{} eq '{}'",
            crate::generators::contact::MARKER_PROPERTY,
            self.marker
        )
    }
}

/// A property's name and the rules it checks.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// kebab-case name (`create-echo`).
    pub name: &'static str,
    /// The rules it checks.
    pub rules: &'static [&'static str],
    /// One line on what it asserts.
    pub about: &'static str,
}

/// A property's failure after shrinking.
#[derive(Debug)]
pub struct Failure {
    /// The broken rule.
    pub rule: &'static str,
    /// Why.
    pub message: String,
    /// The shrunk input, for a person.
    pub minimal_input: String,
    /// The requests of the rerun of the shrunk input.
    pub exchanges: Vec<Exchange>,
    /// The shrunk failure as a case file.
    pub case_file: Value,
    /// Where the case file was written.
    pub saved: Option<PathBuf>,
}

/// The outcome of one property.
#[derive(Debug)]
pub struct Report {
    /// The property.
    pub spec: Spec,
    /// The run's seed.
    pub seed: u64,
    /// Inputs tried (before shrinking).
    pub cases: u32,
    /// The failure, if any.
    pub failure: Option<Failure>,
    /// Broken SHOULD rules (not failures unless strict).
    pub warnings: Vec<Violation>,
    /// Wall time.
    pub elapsed: Duration,
}

impl Report {
    /// Whether the property held.
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.passed() { "ok" } else { "FAILED" };
        writeln!(
            f,
            "property {} [{}]: {verdict} ({} cases, seed {}, {:.2}s)",
            self.spec.name,
            self.spec.rules.join(", "),
            self.cases,
            self.seed,
            self.elapsed.as_secs_f64()
        )?;
        for w in &self.warnings {
            writeln!(f, "  warning (SHOULD) {w}")?;
        }
        if let Some(fl) = &self.failure {
            writeln!(f, "  rule: {} — {}", fl.rule, fl.message)?;
            writeln!(
                f,
                "  seed: {} (repeat: contactspec props --seed {} --only {})",
                self.seed, self.seed, self.spec.name
            )?;
            writeln!(f, "  minimal input: {}", fl.minimal_input)?;
            write_evidence(f, &fl.exchanges, fl.saved.as_deref(), &fl.case_file)?;
        }
        Ok(())
    }
}

/// Runs a property: `test` on `opts.cases` inputs from `strategy`, shrinking a failure.
pub fn run_property<S, T, C, D>(
    client: &Client,
    opts: &Options,
    spec: Spec,
    strategy: S,
    show: D,
    test: T,
    to_case: C,
) -> Report
where
    S: Strategy,
    S::Value: Clone,
    T: Fn(&Ctx, &S::Value) -> CheckResult,
    C: Fn(&S::Value, &CheckError) -> CaseBuilder,
    D: Fn(&S::Value) -> String,
{
    let started = Instant::now();
    let checker = Checker::new(opts.strict);
    let prefix = run_marker(opts.seed);
    let iteration = Cell::new(0u32);
    let attempt = |v: &S::Value| -> CheckResult {
        let n = iteration.get();
        iteration.set(n + 1);
        let ctx = Ctx::new(client, &checker, format!("{prefix}n{n}"));
        client.take_log();
        let r = test(&ctx, v);
        ctx.cleanup();
        r
    };
    let mut runner = runner(opts, spec.name);
    let result = runner.run(&strategy, |v| {
        if crate::interrupt::stop_requested() {
            return Err(TestCaseError::reject("interrupted"));
        }
        attempt(&v).map_err(|e| TestCaseError::fail(e.to_string()))
    });
    let failure = match result {
        Ok(()) => None,
        Err(TestError::Abort(_)) if crate::interrupt::stop_requested() => None,
        Err(TestError::Abort(reason)) => Some(Failure {
            rule: "SUITE-DETERMINISTIC",
            message: format!("generation aborted: {reason}"),
            minimal_input: String::new(),
            exchanges: Vec::new(),
            case_file: Value::Null,
            saved: None,
        }),
        Err(TestError::Fail(reason, minimal)) => {
            let rerun = attempt(&minimal);
            let exchanges = client.take_log();
            let (rule, message, err) = match rerun {
                Err(e) => (e.rule(), e.to_string(), e),
                Ok(()) => {
                    let e = fail(
                        "SUITE-DETERMINISTIC",
                        format!("{reason} (did not fail again on rerun: flaky)"),
                    );
                    ("SUITE-DETERMINISTIC", e.to_string(), e)
                }
            };
            let case = to_case(&minimal, &err);
            let saved = opts.save_failures.as_ref().and_then(|dir| {
                casefile::write(dir, &format!("{}-seed{}", spec.name, opts.seed), &case).ok()
            });
            Some(Failure {
                rule,
                message,
                minimal_input: show(&minimal),
                exchanges,
                case_file: case.to_file(),
                saved,
            })
        }
    };
    Report {
        spec,
        seed: opts.seed,
        cases: opts.cases,
        failure,
        warnings: checker.take_warnings(),
        elapsed: started.elapsed(),
    }
}

/// Writes what every shrunk failure shows after its message: the requests in order,
/// one `curl` per request, and the case file (its path when saved, else inline).
pub fn write_evidence(
    f: &mut std::fmt::Formatter<'_>,
    exchanges: &[crate::client::Exchange],
    saved: Option<&std::path::Path>,
    case_file: &serde_json::Value,
) -> std::fmt::Result {
    writeln!(f, "  requests:")?;
    for (i, ex) in exchanges.iter().enumerate() {
        writeln!(f, "    {}. {}", i + 1, ex.summary())?;
    }
    writeln!(f, "  curl:")?;
    for ex in exchanges {
        writeln!(f, "    {}", ex.curl())?;
    }
    match saved {
        Some(p) => writeln!(f, "  case file: {}", p.display()),
        None => writeln!(
            f,
            "  case file:\n{}",
            serde_json::to_string_pretty(case_file).unwrap_or_default()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generated(seed: u64) -> Vec<serde_json::Map<String, Value>> {
        let client = Client::new(crate::client::Target {
            base: "http://127.0.0.1:9/api/beta".into(),
            token: "t".into(),
        })
        .unwrap();
        let seen = RefCell::new(Vec::new());
        let opts = Options {
            cases: 12,
            seed,
            ..Options::default()
        };
        let spec = Spec {
            name: "create-echo",
            rules: &["CT-ECHO"],
            about: "",
        };
        let r = run_property(
            &client,
            &opts,
            spec,
            crate::generators::contact::valid_contact(false),
            |_| String::new(),
            |_, v| {
                seen.borrow_mut().push(v.clone());
                Ok(())
            },
            |_, _| CaseBuilder::new("x", &["CT-ECHO"]),
        );
        assert!(r.passed());
        seen.into_inner()
    }

    #[test]
    fn same_seed_same_values_on_any_thread() {
        let here = generated(5);
        let there = std::thread::spawn(|| generated(5)).join().unwrap();
        assert_eq!(here.len(), 12);
        assert_eq!(here, there);
        assert_ne!(here, generated(6));
    }

    #[test]
    fn seeds_depend_on_seed_and_name_only() {
        assert_eq!(rng_seed(7, "a"), rng_seed(7, "a"));
        assert_ne!(rng_seed(7, "a"), rng_seed(8, "a"));
        assert_ne!(rng_seed(7, "a"), rng_seed(7, "b"));
        let m = run_marker(42);
        assert!(m.chars().all(|c| c.is_ascii_alphanumeric()), "{m}");
    }
}
