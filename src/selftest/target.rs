//! Runs parts of the suite against one target: chosen cases (optionally stopping at
//! the first failure) and chosen properties, each result turned into a [`Catch`]
//! when it failed.

use super::matrix::{Catch, CatchKind};
use contactspec_props::client::{Client, Target};
use contactspec_props::model_test;
use contactspec_props::properties::{self, Options, Property};
use contactspec_suite::case::LoadedCase;
use contactspec_suite::outcome::{CaseOutcome, CaseStatus};
use contactspec_suite::runner::Runner;
use std::sync::Arc;
use tokio::task::JoinSet;

/// What running a batch produced.
#[derive(Debug, Default)]
pub struct Batch {
    /// How many were run to the end.
    pub run: usize,
    /// Those that failed.
    pub failed: Vec<Catch>,
    /// Cases not run to the end because the batch stopped early.
    pub rest: Vec<LoadedCase>,
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The catch of a case outcome, or `None` when it counts as passing. Under strict
/// mode a warning is a failure; an ignored case is a failure only when `ignored_fails`.
pub fn case_catch(o: &CaseOutcome, ignored_fails: bool) -> Option<Catch> {
    let message = match &o.status {
        CaseStatus::Passed => return None,
        CaseStatus::Ignored(_) if !ignored_fails => return None,
        CaseStatus::Ignored(why) => format!("ignored: {why}"),
        CaseStatus::Failed | CaseStatus::Warned => o
            .failures
            .first()
            .map(|f| format!("{}: {}", f.step, one_line(&f.message)))
            .unwrap_or_default(),
    };
    Some(Catch {
        kind: CatchKind::Case,
        name: o.name.clone(),
        rules: o.failed_rules.clone(),
        message,
    })
}

/// Runs `cases` on `runner`, `concurrency` at a time. With `stop_early` it starts
/// no new case after the first failure, lets the cases in flight finish (so that
/// they clean up after themselves) and returns the cases never started in
/// [`Batch::rest`], for the caller to go on with when the failure does not count.
pub async fn run_cases(
    runner: &Arc<Runner>,
    cases: Vec<LoadedCase>,
    concurrency: usize,
    stop_early: bool,
    ignored_fails: bool,
) -> Batch {
    let mut batch = Batch::default();
    let mut queue = cases.into_iter();
    let mut set: JoinSet<CaseOutcome> = JoinSet::new();
    let spawn = |set: &mut JoinSet<CaseOutcome>, case: LoadedCase| {
        let runner = Arc::clone(runner);
        set.spawn(async move { runner.run_case(&case).await });
    };
    for case in queue.by_ref().take(concurrency.max(1)) {
        spawn(&mut set, case);
    }
    while let Some(joined) = set.join_next().await {
        batch.run += 1;
        match joined {
            Ok(outcome) => {
                if let Some(c) = case_catch(&outcome, ignored_fails) {
                    batch.failed.push(c);
                }
            }
            Err(e) => batch.failed.push(Catch {
                kind: CatchKind::Case,
                name: "(a case task)".into(),
                rules: Vec::new(),
                message: format!("the case's task ended abnormally: {e}"),
            }),
        }
        if stop_early && !batch.failed.is_empty() {
            continue;
        }
        if let Some(case) = queue.next() {
            spawn(&mut set, case);
        }
    }
    batch.rest = queue.collect();
    batch
}

/// A generated check: one property, or the model-based state-machine test.
#[derive(Clone, Copy)]
pub enum Generated {
    /// A property of `contactspec-props`.
    Property(Property),
    /// The model-based test, with sequences of at most `max_len` operations.
    Model {
        /// Longest operation sequence.
        max_len: usize,
    },
}

impl Generated {
    /// The property's name, or `model`.
    pub fn name(&self) -> &'static str {
        match self {
            Generated::Property(p) => p.spec.name,
            Generated::Model { .. } => "model",
        }
    }

    /// The rules it is written for (the model test checks many; it names none).
    pub fn rules(&self) -> &'static [&'static str] {
        match self {
            Generated::Property(p) => p.spec.rules,
            Generated::Model { .. } => &[],
        }
    }

    /// Every property, then the model test.
    pub fn all(model_max_len: usize) -> Vec<Generated> {
        properties::all()
            .into_iter()
            .map(Generated::Property)
            .chain(std::iter::once(Generated::Model {
                max_len: model_max_len,
            }))
            .collect()
    }
}

/// Runs generated checks one after the other against `base` with user A's `token`
/// (on a thread of its own: the properties' client is blocking). With `stop_early`
/// it stops at the first failure.
pub async fn run_generated(
    base: String,
    token: String,
    checks: Vec<Generated>,
    opts: Options,
    stop_early: bool,
) -> Batch {
    if checks.is_empty() {
        return Batch::default();
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = tx.send(run_generated_blocking(
            base, token, checks, &opts, stop_early,
        ));
    });
    rx.await.unwrap_or_else(|_| Batch {
        run: 0,
        rest: Vec::new(),
        failed: vec![Catch {
            kind: CatchKind::Property,
            name: "(properties)".into(),
            rules: Vec::new(),
            message: "the properties' thread panicked".into(),
        }],
    })
}

fn run_generated_blocking(
    base: String,
    token: String,
    checks: Vec<Generated>,
    opts: &Options,
    stop_early: bool,
) -> Batch {
    let mut batch = Batch::default();
    let client = match Client::new(Target { base, token }) {
        Ok(c) => c,
        Err(e) => {
            batch.failed.push(Catch {
                kind: CatchKind::Property,
                name: "(properties)".into(),
                rules: Vec::new(),
                message: format!("cannot build the properties' client: {e}"),
            });
            return batch;
        }
    };
    for check in checks {
        let failed =
            match check {
                Generated::Property(p) => (p.run)(&client, opts).failure.map(|f| Catch {
                    kind: CatchKind::Property,
                    name: p.spec.name.to_string(),
                    rules: vec![f.rule.to_string()],
                    message: format!(
                        "{} (minimal input: {})",
                        one_line(&f.message),
                        f.minimal_input
                    ),
                }),
                Generated::Model { max_len } => model_test::run(&client, opts, max_len)
                    .failure
                    .map(|f| Catch {
                        kind: CatchKind::Model,
                        name: "model".to_string(),
                        rules: vec![f.rule.to_string()],
                        message: format!(
                            "{} (after {} operations)",
                            one_line(&f.message),
                            f.sequence.len()
                        ),
                    }),
            };
        batch.run += 1;
        if let Some(c) = failed {
            batch.failed.push(c);
            if stop_early {
                break;
            }
        }
    }
    batch
}
