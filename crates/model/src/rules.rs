//! Rule types and look-ups over the catalogue in [`RULES`].

use serde::Serialize;

pub use crate::rule_table::RULES;

/// How binding a rule is (SPEC.md preamble).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Level {
    /// A conforming server never breaks it; a broken MUST fails the run.
    Must,
    /// Recommended; a broken SHOULD fails the run only under `--strict`.
    Should,
}

/// Where a rule comes from (SPEC.md preamble).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Basis {
    /// Stated on the seed page.
    Seed,
    /// Other Microsoft reference pages or the OData standard.
    Doc,
    /// What the real service was seen to do.
    Observed,
    /// Decided by the contract where the documents are silent.
    Decided,
}

/// One rule of SPEC.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// Stable ID such as `CT-CREATE`.
    pub id: &'static str,
    /// MUST or SHOULD.
    pub level: Level,
    /// seed, doc, observed or decided.
    pub basis: Basis,
    /// The SPEC.md section number (1–9).
    pub section: u8,
    /// The rule's text as SPEC.md states it (Markdown).
    pub text: &'static str,
}

/// Looks a rule up by its ID (exact, case-sensitive).
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

impl Level {
    /// `MUST` or `SHOULD`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
        }
    }

    /// Parses `must` / `should` (any case).
    pub fn parse(s: &str) -> Option<Level> {
        match s.to_ascii_lowercase().as_str() {
            "must" => Some(Level::Must),
            "should" => Some(Level::Should),
            _ => None,
        }
    }
}

impl Basis {
    /// The lower-case name used in SPEC.md and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::Seed => "seed",
            Basis::Doc => "doc",
            Basis::Observed => "observed",
            Basis::Decided => "decided",
        }
    }

    /// Parses `seed`, `doc`, `observed` or `decided` (any case).
    pub fn parse(s: &str) -> Option<Basis> {
        match s.to_ascii_lowercase().as_str() {
            "seed" => Some(Basis::Seed),
            "doc" => Some(Basis::Doc),
            "observed" => Some(Basis::Observed),
            "decided" => Some(Basis::Decided),
            _ => None,
        }
    }

    /// Every basis, in SPEC.md order.
    pub const ALL: [Basis; 4] = [Basis::Seed, Basis::Doc, Basis::Observed, Basis::Decided];
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for Basis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_found() {
        for (i, r) in RULES.iter().enumerate() {
            assert!(
                RULES[..i].iter().all(|o| o.id != r.id),
                "duplicate {}",
                r.id
            );
            assert_eq!(rule(r.id).unwrap().id, r.id);
        }
        assert!(rule("NOPE").is_none());
        assert_eq!(rule("CT-CREATE").unwrap().level, Level::Must);
        assert_eq!(rule("GEN-KEY-FORMS").unwrap().level, Level::Should);
    }
}
