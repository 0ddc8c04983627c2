//! What running a case produced.

use crate::client::Exchange;
use contactspec_model::Level;
use std::time::Duration;

/// One failed expectation.
#[derive(Debug, Clone)]
pub struct Failure {
    /// Rule IDs it breaks, most specific first (empty: not a rule failure, e.g. the
    /// target is unreachable or a case could not be built).
    pub rules: Vec<String>,
    /// MUST fails the case; SHOULD warns (unless `--strict`).
    pub level: Level,
    /// Which step (`step 2 "create"`).
    pub step: String,
    /// What was expected and what came back.
    pub message: String,
    /// The exchange that showed it, if any.
    pub exchange: Option<Box<Exchange>>,
}

/// How a case ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseStatus {
    /// Every checked expectation held.
    Passed,
    /// Only SHOULD expectations failed (and not `--strict`).
    Warned,
    /// A MUST expectation failed, or a SHOULD one under `--strict`, or the case could not run.
    Failed,
    /// A prerequisite is missing on the target.
    Ignored(String),
}

/// The result of one case.
#[derive(Debug, Clone)]
pub struct CaseOutcome {
    /// `<area>::<file>::<case>`.
    pub name: String,
    /// The rules the case checks.
    pub rules: Vec<String>,
    /// How it ended.
    pub status: CaseStatus,
    /// Rules of the failures (deduplicated, in order).
    pub failed_rules: Vec<String>,
    /// Wall time.
    pub duration: Duration,
    /// Requests sent by the case.
    pub requests: u64,
    /// The failures.
    pub failures: Vec<Failure>,
    /// The human-readable report (empty when passed).
    pub report: String,
}
