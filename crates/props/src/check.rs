//! Check outcomes: a broken rule with its reason, and a checker that turns a broken
//! SHOULD into a warning unless the run is strict.

use crate::client::ClientError;
use contactspec_model::{Level, rule};
use std::cell::RefCell;

/// One broken rule: which rule, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{rule}: {message}")]
pub struct Violation {
    /// The SPEC.md rule ID.
    pub rule: &'static str,
    /// What was seen, for a person.
    pub message: String,
}

/// Why a check stopped: a broken rule, or no HTTP response at all.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// A rule was broken.
    #[error(transparent)]
    Violation(#[from] Violation),
    /// The target did not answer.
    #[error(transparent)]
    Transport(#[from] ClientError),
}

impl CheckError {
    /// The rule to report: the violated one, or `GEN-NO-5XX` for a dead connection.
    pub fn rule(&self) -> &'static str {
        match self {
            CheckError::Violation(v) => v.rule,
            CheckError::Transport(_) => "GEN-NO-5XX",
        }
    }
}

/// The result of a check.
pub type CheckResult<T = ()> = Result<T, CheckError>;

/// Whether a rule is a SHOULD (unknown IDs count as MUST).
pub fn is_should(id: &str) -> bool {
    rule(id).is_some_and(|r| r.level == Level::Should)
}

/// Applies the strictness policy: a broken MUST (or any broken rule under `--strict`)
/// fails; a broken SHOULD otherwise becomes a warning.
#[derive(Debug, Default)]
pub struct Checker {
    strict: bool,
    warnings: RefCell<Vec<Violation>>,
}

impl Checker {
    /// A checker; `strict` makes SHOULD rules fail like MUST rules.
    pub fn new(strict: bool) -> Self {
        Checker {
            strict,
            warnings: RefCell::new(Vec::new()),
        }
    }

    /// Fails with `rule` and `message` when `ok` is false (or warns, for a SHOULD).
    pub fn ensure(
        &self,
        ok: bool,
        rule: &'static str,
        message: impl FnOnce() -> String,
    ) -> CheckResult {
        if ok {
            return Ok(());
        }
        self.violation(Violation {
            rule,
            message: message(),
        })
    }

    /// Reports a violation: `Err` for a MUST or under strict, a warning otherwise.
    pub fn violation(&self, v: Violation) -> CheckResult {
        if self.strict || !is_should(v.rule) {
            Err(v.into())
        } else {
            let mut w = self.warnings.borrow_mut();
            if !w.contains(&v) && w.len() < 50 {
                w.push(v);
            }
            Ok(())
        }
    }

    /// Passes a check result through the policy (a SHOULD violation becomes a warning).
    pub fn soften(&self, r: CheckResult) -> CheckResult {
        match r {
            Err(CheckError::Violation(v)) => self.violation(v),
            other => other,
        }
    }

    /// The warnings gathered so far.
    pub fn take_warnings(&self) -> Vec<Violation> {
        std::mem::take(&mut *self.warnings.borrow_mut())
    }
}

/// Builds a violation error.
pub fn fail(rule: &'static str, message: impl Into<String>) -> CheckError {
    CheckError::Violation(Violation {
        rule,
        message: message.into(),
    })
}
