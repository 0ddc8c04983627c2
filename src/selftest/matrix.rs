//! The kill matrix as data: the faultless run, one row per fault, the totals. Every
//! type serialises (`contactspec selftest --json FILE`) and renders as a table.

use serde::Serialize;
use std::fmt::{self, Write};

/// What caught a fault, or what failed on the faultless server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Catch {
    /// `case` or `property`.
    pub kind: CatchKind,
    /// The case's trial name (`area::file::case`) or the property's name.
    pub name: String,
    /// The rules its failures were reported against.
    pub rules: Vec<String>,
    /// The first failure message, one line, for a person.
    pub message: String,
}

/// Whether a catch is a declarative case or a property.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CatchKind {
    /// A case of `cases/`.
    Case,
    /// A property of `contactspec-props`.
    Property,
    /// The model-based state-machine test of `contactspec-props`.
    Model,
}

/// In which part of a fault's run the kill happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Cases whose rules intersect the fault's rules.
    TargetedCases,
    /// Properties whose rules intersect the fault's rules.
    TargetedProperties,
    /// Every other case.
    OtherCases,
    /// Every other property.
    OtherProperties,
}

impl Phase {
    /// A short label.
    pub fn label(self) -> &'static str {
        match self {
            Phase::TargetedCases => "targeted cases",
            Phase::TargetedProperties => "targeted properties",
            Phase::OtherCases => "other cases",
            Phase::OtherProperties => "other properties",
        }
    }
}

/// One fault's row.
#[derive(Debug, Clone, Serialize)]
pub struct FaultRow {
    /// The fault's kebab-case name.
    pub fault: String,
    /// The rules the fault breaks.
    pub fault_rules: Vec<String>,
    /// What the server does wrong.
    pub description: String,
    /// Whether at least one case or property failed.
    pub killed: bool,
    /// The phase that killed it.
    pub phase: Option<Phase>,
    /// The confirmed kills: each failed with the fault, failed again alone on a fresh
    /// server with the fault, and passed alone on a fresh faultless server.
    pub caught_by: Vec<Catch>,
    /// Other failures seen beside the confirmed kill, not confirmed one by one (a
    /// run that stops at the first kill confirms only one).
    pub also_failed: Vec<Catch>,
    /// Failures that did not count: they passed when run again alone with the fault,
    /// or failed on the faultless server too (cases that fail by chance).
    pub unconfirmed: Vec<Catch>,
    /// Whether a failure reported one of the fault's own rules (a kill for the right reason).
    pub on_target: bool,
    /// Cases run before the kill (or in all, when it survived).
    pub cases_run: usize,
    /// Properties run before the kill (or in all).
    pub properties_run: usize,
    /// Wall time of the fault's run, seconds.
    pub seconds: f64,
    /// Set when the run itself broke (server did not start, target unreachable).
    pub error: Option<String>,
}

/// The run against the faultless server.
#[derive(Debug, Clone, Serialize)]
pub struct Baseline {
    /// Every case passed and every property held.
    pub passed: bool,
    /// Cases run.
    pub cases: usize,
    /// Cases that passed.
    pub cases_passed: usize,
    /// Generated checks run (properties and the model test).
    pub properties: usize,
    /// Failed (or warned, or ignored) cases and failed properties.
    pub failures: Vec<Catch>,
    /// Wall time, seconds.
    pub seconds: f64,
    /// Set when the run itself broke.
    pub error: Option<String>,
}

/// The whole self-test.
#[derive(Debug, Clone, Serialize)]
pub struct Matrix {
    /// The faultless run.
    pub baseline: Baseline,
    /// One row per fault, in catalogue order.
    pub faults: Vec<FaultRow>,
    /// Faults killed.
    pub killed: usize,
    /// Faults tried.
    pub total: usize,
    /// Faults run at once.
    pub jobs: usize,
    /// Property inputs per property (0: properties not run).
    pub property_cases: u32,
    /// The seed.
    pub seed: u64,
    /// Wall time of the whole self-test, seconds.
    pub seconds: f64,
}

impl Matrix {
    /// Every fault killed and the faultless run passed (SUITE-KILLS).
    pub fn passed(&self) -> bool {
        self.baseline.passed && self.killed == self.total
    }

    /// The names of the faults that survived.
    pub fn survivors(&self) -> Vec<&str> {
        self.faults
            .iter()
            .filter(|f| !f.killed)
            .map(|f| f.fault.as_str())
            .collect()
    }

    /// The one-paragraph summary printed under the table (and pasted into the README).
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "faultless run: {} ({} of {} cases passed, {} generated checks: properties and the model test, {:.1}s)",
            if self.baseline.passed {
                "PASSED"
            } else {
                "FAILED"
            },
            self.baseline.cases_passed,
            self.baseline.cases,
            self.baseline.properties,
            self.baseline.seconds
        );
        let off = self
            .faults
            .iter()
            .filter(|f| f.killed && !f.on_target)
            .count();
        let _ = writeln!(
            s,
            "killed {} of {} faults ({} by a case naming one of the fault's rules, {} by another rule)",
            self.killed,
            self.total,
            self.killed - off,
            off
        );
        let survivors = self.survivors();
        if !survivors.is_empty() {
            let _ = writeln!(s, "SURVIVED: {}", survivors.join(", "));
        }
        let _ = write!(
            s,
            "total {:.1}s with {} fault(s) at a time, seed {}",
            self.seconds, self.jobs, self.seed
        );
        s
    }
}

fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

impl fmt::Display for Matrix {
    /// The kill matrix as a fixed-width table, then the baseline failures, then the summary.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let w = self
            .faults
            .iter()
            .map(|r| r.fault.len())
            .max()
            .unwrap_or(5)
            .max(5);
        writeln!(
            f,
            "{:w$}  {:6}  {:>6}  {:>5}  {:30}  caught by",
            "fault", "killed", "time", "run", "rules"
        )?;
        for r in &self.faults {
            let killed = match (r.killed, r.on_target) {
                (true, true) => "yes",
                (true, false) => "yes*",
                (false, _) => "NO",
            };
            let first = r.caught_by.first();
            let rules = first.map(|c| c.rules.join(",")).unwrap_or_default();
            let by = match (first, &r.error) {
                (Some(c), _) => {
                    let others = r.caught_by.len() - 1 + r.also_failed.len();
                    let more = if others > 0 {
                        format!(" (+{others})")
                    } else {
                        String::new()
                    };
                    format!("{}{more}", c.name)
                }
                (None, Some(e)) => format!("error: {}", cut(e, 60)),
                (None, None) => format!("survived; breaks {}", r.fault_rules.join(",")),
            };
            writeln!(
                f,
                "{:w$}  {:6}  {:>5.2}s  {:>5}  {:30}  {}",
                r.fault,
                killed,
                r.seconds,
                r.cases_run + r.properties_run,
                cut(&rules, 30),
                by
            )?;
        }
        if self.faults.iter().any(|r| r.killed && !r.on_target) {
            writeln!(
                f,
                "(yes*: killed, but by a rule the fault does not name: a case for its own rules is missing)"
            )?;
        }
        let chance: Vec<(&str, &Catch)> = self
            .faults
            .iter()
            .flat_map(|r| r.unconfirmed.iter().map(move |c| (r.fault.as_str(), c)))
            .collect();
        if !chance.is_empty() {
            writeln!(
                f,
                "\nfailures that did not count (not reproduced alone with the fault, or failing without it):"
            )?;
            for (fault, c) in chance {
                writeln!(f, "  under {fault}: {}: {}", c.name, cut(&c.message, 200))?;
            }
        }
        if !self.baseline.failures.is_empty() || self.baseline.error.is_some() {
            writeln!(f, "\nfaultless run failures:")?;
            if let Some(e) = &self.baseline.error {
                writeln!(f, "  error: {e}")?;
            }
            for c in &self.baseline.failures {
                writeln!(
                    f,
                    "  {} [{}]: {}",
                    c.name,
                    c.rules.join(","),
                    cut(&c.message, 200)
                )?;
            }
        }
        writeln!(f)?;
        f.write_str(&self.summary())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catch(name: &str, rules: &[&str]) -> Catch {
        Catch {
            kind: CatchKind::Case,
            name: name.into(),
            rules: rules.iter().map(|r| r.to_string()).collect(),
            message: "step 1: expected 204, found 200".into(),
        }
    }

    fn row(fault: &str, killed: bool, on_target: bool) -> FaultRow {
        FaultRow {
            fault: fault.into(),
            fault_rules: vec!["CT-DELETE".into()],
            description: "d".into(),
            killed,
            phase: killed.then_some(Phase::TargetedCases),
            caught_by: if killed {
                vec![catch("contacts::delete::x", &["CT-DELETE"])]
            } else {
                Vec::new()
            },
            also_failed: Vec::new(),
            unconfirmed: Vec::new(),
            on_target,
            cases_run: 3,
            properties_run: 0,
            seconds: 0.5,
            error: None,
        }
    }

    fn matrix(rows: Vec<FaultRow>, baseline_passed: bool) -> Matrix {
        Matrix {
            baseline: Baseline {
                passed: baseline_passed,
                cases: 10,
                cases_passed: if baseline_passed { 10 } else { 9 },
                properties: 8,
                failures: if baseline_passed {
                    Vec::new()
                } else {
                    vec![catch("general::flaky", &["GEN-BASE"])]
                },
                seconds: 1.0,
                error: None,
            },
            killed: rows.iter().filter(|r| r.killed).count(),
            total: rows.len(),
            faults: rows,
            jobs: 2,
            property_cases: 8,
            seed: 0,
            seconds: 2.0,
        }
    }

    #[test]
    fn passes_only_when_all_killed_and_baseline_passed() {
        let all = matrix(vec![row("a", true, true), row("b", true, false)], true);
        assert!(all.passed());
        assert!(all.survivors().is_empty());
        let text = all.to_string();
        assert!(
            text.contains("killed 2 of 2 faults (1 by a case naming"),
            "{text}"
        );
        assert!(text.contains("yes*"), "{text}");

        let survivor = matrix(vec![row("a", true, true), row("b", false, false)], true);
        assert!(!survivor.passed());
        assert_eq!(survivor.survivors(), vec!["b"]);
        let text = survivor.to_string();
        assert!(text.contains("SURVIVED: b"), "{text}");
        assert!(text.contains("survived; breaks CT-DELETE"), "{text}");

        let bad_baseline = matrix(vec![row("a", true, true)], false);
        assert!(!bad_baseline.passed());
        let text = bad_baseline.to_string();
        assert!(text.contains("faultless run: FAILED"), "{text}");
        assert!(text.contains("general::flaky"), "{text}");
    }

    #[test]
    fn serialises_with_stable_names() {
        let m = matrix(vec![row("a", true, true)], true);
        let v = serde_json::to_value(&m).unwrap();
        assert_eq!(v["faults"][0]["phase"], "targeted-cases");
        assert_eq!(v["faults"][0]["caught_by"][0]["kind"], "case");
        assert_eq!(v["baseline"]["passed"], true);
        assert_eq!(v["killed"], 1);
    }
}
