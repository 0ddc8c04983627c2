//! Which cases run and which expectations inside them are checked
//! (`--level`, `--basis`, `--rule`, `--tag`, `--strict`).

use crate::case::LoadedCase;
use contactspec_model::{Basis, Level, rule};
use std::collections::BTreeSet;

/// A selection of rules and cases.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Levels to check (`None`: all).
    pub levels: Option<BTreeSet<Level>>,
    /// Bases to check (`None`: all).
    pub bases: Option<BTreeSet<Basis>>,
    /// Only cases naming one of these rules run (`None`: all).
    pub rules: Option<BTreeSet<String>>,
    /// Only cases with one of these tags run (`None`: all).
    pub tags: Option<BTreeSet<String>>,
    /// SHOULD failures fail the case instead of warning.
    pub strict: bool,
}

/// A selection flag that names nothing known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectionError {
    /// Bad `--level`.
    #[error("unknown level {0:?} (expected must or should)")]
    Level(String),
    /// Bad `--basis`.
    #[error("unknown basis {0:?} (expected seed, doc, observed, decided)")]
    Basis(String),
    /// Bad `--rule`.
    #[error("unknown rule ID {0:?} (see `contactspec rules`)")]
    Rule(String),
}

fn split(values: &[String]) -> impl Iterator<Item = &str> {
    values
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

impl Selection {
    /// Builds a selection from comma-separated or repeated flag values.
    pub fn from_flags(
        levels: &[String],
        bases: &[String],
        rules: &[String],
        tags: &[String],
        strict: bool,
    ) -> Result<Selection, SelectionError> {
        let levels = if levels.is_empty() {
            None
        } else {
            Some(
                split(levels)
                    .map(|l| Level::parse(l).ok_or_else(|| SelectionError::Level(l.to_string())))
                    .collect::<Result<_, _>>()?,
            )
        };
        let bases = if bases.is_empty() {
            None
        } else {
            Some(
                split(bases)
                    .map(|b| Basis::parse(b).ok_or_else(|| SelectionError::Basis(b.to_string())))
                    .collect::<Result<_, _>>()?,
            )
        };
        let rules = if rules.is_empty() {
            None
        } else {
            Some(
                split(rules)
                    .map(|r| match rule(r) {
                        Some(x) => Ok(x.id.to_string()),
                        None => Err(SelectionError::Rule(r.to_string())),
                    })
                    .collect::<Result<_, _>>()?,
            )
        };
        let tags = if tags.is_empty() {
            None
        } else {
            Some(split(tags).map(str::to_string).collect())
        };
        Ok(Selection {
            levels,
            bases,
            rules,
            tags,
            strict,
        })
    }

    /// Whether expectations attributed to this rule are checked (level and basis).
    pub fn checks_rule(&self, id: &str) -> bool {
        let Some(r) = rule(id) else {
            return false;
        };
        self.levels.as_ref().is_none_or(|l| l.contains(&r.level))
            && self.bases.as_ref().is_none_or(|b| b.contains(&r.basis))
    }

    /// Whether a case runs: one of its rules is checked and, when given, named by
    /// `--rule`, and one of its tags is among `--tag`.
    pub fn selects(&self, case: &LoadedCase) -> bool {
        let rules = &case.def.rules;
        rules.iter().any(|r| self.checks_rule(r))
            && self
                .rules
                .as_ref()
                .is_none_or(|want| rules.iter().any(|r| want.contains(r)))
            && self
                .tags
                .as_ref()
                .is_none_or(|want| case.def.tags.iter().any(|t| want.contains(t)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags() {
        let s = Selection::from_flags(
            &["must".into()],
            &["seed,doc".into(), "observed".into()],
            &[],
            &[],
            false,
        )
        .unwrap();
        assert!(s.checks_rule("CT-CREATE")); // MUST seed
        assert!(!s.checks_rule("ERR-CODE")); // decided
        assert!(!s.checks_rule("GEN-KEY-FORMS")); // SHOULD
        assert!(!s.checks_rule("NOPE"));
        assert_eq!(
            Selection::from_flags(&[], &[], &["CT-NOPE".into()], &[], false).unwrap_err(),
            SelectionError::Rule("CT-NOPE".into())
        );
        assert!(Selection::from_flags(&["may".into()], &[], &[], &[], false).is_err());
        assert!(Selection::from_flags(&[], &["vibes".into()], &[], &[], false).is_err());
    }
}
