//! The model-based state-machine test: random sequences of create, update, delete,
//! set photo, get, list, page walk, sync round and conditional update, checked after
//! every step against an in-memory model of SPEC.md; a failure shrinks to the
//! shortest failing sequence (proptest-state-machine) and is shown as the list of
//! operations, the requests, curl commands and a case file.

pub mod case;
pub mod exec;
pub mod ops;

use crate::check::{CheckResult, Checker, Violation, fail};
use crate::client::{Client, Exchange};
use crate::properties::harness::{Ctx, Options, run_marker, runner, write_evidence};
use ops::{Op, RefState};
use proptest::strategy::{Just, Strategy};
use proptest::test_runner::{TestCaseError, TestError};
use proptest_state_machine::strategy::Sequential;
use serde_json::Value;
use std::cell::Cell;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The shrunk failure of the model test.
#[derive(Debug)]
pub struct ModelFailure {
    /// The broken rule.
    pub rule: &'static str,
    /// Why.
    pub message: String,
    /// The shortest failing sequence found.
    pub sequence: Vec<Op>,
    /// Index of the failing operation in `sequence`.
    pub failed_at: Option<usize>,
    /// The requests of the rerun of that sequence.
    pub exchanges: Vec<Exchange>,
    /// The sequence as a case file.
    pub case_file: Value,
    /// Where the case file was written.
    pub saved: Option<PathBuf>,
}

/// The outcome of the model test.
#[derive(Debug)]
pub struct ModelReport {
    /// The run's seed.
    pub seed: u64,
    /// Sequences tried (before shrinking).
    pub cases: u32,
    /// Operations executed in all (shrinking included).
    pub ops: u64,
    /// HTTP requests sent in all.
    pub requests: u64,
    /// Wall time.
    pub elapsed: Duration,
    /// The failure, if any.
    pub failure: Option<ModelFailure>,
    /// Broken SHOULD rules.
    pub warnings: Vec<Violation>,
}

impl ModelReport {
    /// Whether every sequence matched the model.
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
    /// Operations per second.
    pub fn ops_per_sec(&self) -> f64 {
        self.ops as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

impl fmt::Display for ModelReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "model test: {} ({} sequences, {} operations, {} requests, {:.2}s, {:.0} ops/s, seed {})",
            if self.passed() { "ok" } else { "FAILED" },
            self.cases,
            self.ops,
            self.requests,
            self.elapsed.as_secs_f64(),
            self.ops_per_sec(),
            self.seed
        )?;
        for w in &self.warnings {
            writeln!(f, "  warning (SHOULD) {w}")?;
        }
        if let Some(fl) = &self.failure {
            writeln!(f, "  rule: {} — {}", fl.rule, fl.message)?;
            writeln!(
                f,
                "  seed: {} (repeat: contactspec props --model --seed {})",
                self.seed, self.seed
            )?;
            writeln!(
                f,
                "  shortest failing sequence ({} operations):",
                fl.sequence.len()
            )?;
            for (i, op) in fl.sequence.iter().enumerate() {
                let mark = if Some(i) == fl.failed_at {
                    "  <- fails here"
                } else {
                    ""
                };
                writeln!(f, "    {}. {op:?}{mark}", i + 1)?;
            }
            write_evidence(f, &fl.exchanges, fl.saved.as_deref(), &fl.case_file)?;
        }
        Ok(())
    }
}

/// The sequence strategy: 1 to `max_len` operations valid in the reference state.
pub fn sequences(
    max_len: usize,
) -> Sequential<
    RefState,
    Op,
    proptest::strategy::BoxedStrategy<RefState>,
    proptest::strategy::BoxedStrategy<Op>,
> {
    Sequential::new(
        (1..=max_len.max(1)).into(),
        || Just(RefState::default()).boxed(),
        ops::precondition_holds,
        ops::transitions,
        ops::apply,
    )
}

/// Runs `ops` against the target; returns the index of the failing operation.
fn execute(
    ctx: &Ctx,
    ops: &[Op],
    seen: Option<&Arc<AtomicUsize>>,
    counter: &Cell<u64>,
) -> (CheckResult, Option<usize>) {
    let mut m = exec::Machine::new(ctx);
    let ops = ops::normalise(ops);
    for (i, op) in ops.iter().enumerate() {
        if crate::interrupt::stop_requested() {
            break;
        }
        if let Some(s) = seen {
            s.fetch_add(1, Ordering::SeqCst);
        }
        counter.set(counter.get() + 1);
        if let Err(e) = m.step(op) {
            return (Err(e), Some(i));
        }
    }
    (Ok(()), None)
}

/// Runs the model test: `opts.cases` sequences of up to `max_len` operations.
pub fn run(client: &Client, opts: &Options, max_len: usize) -> ModelReport {
    let started = Instant::now();
    let checker = Checker::new(opts.strict);
    let prefix = run_marker(opts.seed);
    let iteration = Cell::new(0u32);
    let counter = Cell::new(0u64);
    let requests = Cell::new(0u64);
    let attempt = |ops: &[Op], seen: Option<&Arc<AtomicUsize>>| {
        let n = iteration.get();
        iteration.set(n + 1);
        let ctx = Ctx::new(client, &checker, format!("{prefix}m{n}"));
        client.take_log();
        let r = execute(&ctx, ops, seen, &counter);
        ctx.cleanup();
        requests.set(requests.get() + client.take_log().len() as u64);
        r
    };
    // Sequences are cheap to replay and shrink step by step: allow 4× the budget.
    let shrink_opts = Options {
        max_shrink_iters: opts.max_shrink_iters.saturating_mul(4),
        ..opts.clone()
    };
    let mut runner = runner(&shrink_opts, "model");
    let result = runner.run(&sequences(max_len), |(_, ops, seen)| {
        if crate::interrupt::stop_requested() {
            return Err(TestCaseError::reject("interrupted"));
        }
        attempt(&ops, seen.as_ref())
            .0
            .map_err(|e| TestCaseError::fail(e.to_string()))
    });
    let failure = match result {
        Ok(()) => None,
        Err(TestError::Abort(_)) if crate::interrupt::stop_requested() => None,
        Err(TestError::Abort(reason)) => Some(ModelFailure {
            rule: "SUITE-DETERMINISTIC",
            message: format!("generation aborted: {reason}"),
            sequence: vec![],
            failed_at: None,
            exchanges: vec![],
            case_file: Value::Null,
            saved: None,
        }),
        Err(TestError::Fail(reason, (_, ops, _))) => {
            let n = iteration.get();
            iteration.set(n + 1);
            let ctx = Ctx::new(client, &checker, format!("{prefix}m{n}"));
            client.take_log();
            let ops = ops::normalise(&ops);
            let (r, at) = execute(&ctx, &ops, None, &counter);
            let exchanges = client.take_log();
            ctx.cleanup();
            let err = r.err().unwrap_or_else(|| {
                fail(
                    "SUITE-DETERMINISTIC",
                    format!("{reason} (did not fail again on rerun: flaky)"),
                )
            });
            let sequence: Vec<Op> = match at {
                Some(i) => ops[..=i].to_vec(),
                None => ops.clone(),
            };
            let case = case::to_case(&sequence, err.rule());
            let saved = opts.save_failures.as_ref().and_then(|d| {
                crate::casefile::write(d, &format!("model-seed{}", opts.seed), &case).ok()
            });
            Some(ModelFailure {
                rule: err.rule(),
                message: err.to_string(),
                sequence,
                failed_at: at,
                exchanges,
                case_file: case.to_file(),
                saved,
            })
        }
    };
    ModelReport {
        seed: opts.seed,
        cases: opts.cases,
        ops: counter.get(),
        requests: requests.get(),
        elapsed: started.elapsed(),
        failure,
        warnings: checker.take_warnings(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::ValueTree;

    #[test]
    fn sequences_respect_preconditions_and_generate_quickly() {
        let opts = Options {
            seed: 11,
            ..Options::default()
        };
        let mut r = runner(&opts, "model");
        let started = Instant::now();
        let mut total = 0;
        for _ in 0..32 {
            let (_, ops, _) = sequences(30).new_tree(&mut r).unwrap().current();
            let mut s = RefState::default();
            for op in &ops {
                assert!(ops::precondition_holds(&s, op), "{op:?}");
                s = ops::apply(s, op);
            }
            total += ops.len();
        }
        eprintln!("generated {total} operations in {:?}", started.elapsed());
        assert!(total > 32);
    }
}
