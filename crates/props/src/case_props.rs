//! Cases with generated inputs: a case may declare
//! `"generate": {"contact": "valid-contact", "flag": "any-flag"}` and use
//! `"{{gen.contact}}"` in its steps. [`run_generated_case`] then runs it as a
//! property: N instantiations with values drawn from the named generators
//! ([`crate::generators::named`]) by a seeded RNG, and on failure shrinks the values
//! and returns the minimal failing case with literal values, ready to commit.
//!
//! The caller supplies how to run one literal case (the suite's runner), so this
//! module stays independent of it.

use crate::generators::named;
use crate::properties::harness::rng_seed;
use proptest::strategy::{BoxedStrategy, Strategy};
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use serde_json::{Map, Value};
use std::cell::RefCell;

/// Why a case's `generate` member cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenerateError {
    /// `generate` is not an object of names to generator names.
    #[error("`generate` must map input names to generator names")]
    Shape,
    /// A generator name is unknown.
    #[error("unknown generator {0:?} (known: {known})", known = crate::generators::NAMED.join(", "))]
    UnknownGenerator(String),
}

/// The `(input, generator)` pairs a case declares, in order; empty when it declares none.
pub fn generated_inputs(case: &Value) -> Result<Vec<(String, String)>, GenerateError> {
    match case.get("generate") {
        None => Ok(Vec::new()),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| {
                let g = v.as_str().ok_or(GenerateError::Shape)?;
                if named(g).is_none() {
                    return Err(GenerateError::UnknownGenerator(g.to_string()));
                }
                Ok((k.clone(), g.to_string()))
            })
            .collect(),
        Some(_) => Err(GenerateError::Shape),
    }
}

/// The case with `{{gen.NAME}}` replaced by the values: a string that is exactly the
/// template becomes the JSON value; inside a longer string the value's text is
/// spliced in (a string as-is, anything else as JSON). The `generate` member is
/// removed, so the result is a plain case with literal values.
pub fn instantiate(case: &Value, values: &Map<String, Value>) -> Value {
    fn go(v: &Value, values: &Map<String, Value>) -> Value {
        match v {
            Value::String(s) => {
                for (k, x) in values {
                    if *s == format!("{{{{gen.{k}}}}}") {
                        return x.clone();
                    }
                }
                let mut out = s.clone();
                for (k, x) in values {
                    let text = x
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| x.to_string());
                    out = out.replace(&format!("{{{{gen.{k}}}}}"), &text);
                }
                Value::String(out)
            }
            Value::Array(a) => Value::Array(a.iter().map(|x| go(x, values)).collect()),
            Value::Object(o) => Value::Object(
                o.iter()
                    .filter(|(k, _)| k.as_str() != "generate")
                    .map(|(k, x)| (k.clone(), go(x, values)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    go(case, values)
}

/// The outcome of a case run as a property.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedOutcome {
    /// Instantiations run before the verdict (shrinking not counted).
    pub cases: u32,
    /// `None` when every instantiation passed; else the shrunk failure.
    pub failure: Option<GeneratedFailure>,
}

/// A shrunk failure of a generated case.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedFailure {
    /// What the runner said about the minimal instantiation.
    pub message: String,
    /// The minimal generated values.
    pub values: Map<String, Value>,
    /// The case with those values as literals.
    pub minimal_case: Value,
}

/// Runs `case` as a property: `cases` instantiations drawn with `seed`, each run by
/// `run` (`Err(message)` when it fails), shrinking a failure to minimal values.
pub fn run_generated_case(
    case: &Value,
    seed: u64,
    cases: u32,
    run: impl Fn(&Value) -> Result<(), String>,
) -> Result<GeneratedOutcome, GenerateError> {
    run_generated_case_escaped(case, seed, cases, Value::clone, run)
}

/// [`run_generated_case`], with each generated value passed through `escape` before
/// it is written into the case (e.g. so that a generated `{{` is not read as a
/// template by the runner). [`GeneratedFailure::values`] holds the unescaped values.
pub fn run_generated_case_escaped(
    case: &Value,
    seed: u64,
    cases: u32,
    escape: impl Fn(&Value) -> Value,
    run: impl Fn(&Value) -> Result<(), String>,
) -> Result<GeneratedOutcome, GenerateError> {
    let inputs = generated_inputs(case)?;
    let names: Vec<String> = inputs.iter().map(|(k, _)| k.clone()).collect();
    let strategies: Vec<BoxedStrategy<Value>> = inputs
        .iter()
        .map(|(_, g)| named(g).ok_or_else(|| GenerateError::UnknownGenerator(g.clone())))
        .collect::<Result<_, _>>()?;
    let to_map = |vals: &[Value]| -> Map<String, Value> {
        names.iter().cloned().zip(vals.iter().cloned()).collect()
    };
    let escaped = |vals: &[Value]| -> Map<String, Value> {
        names
            .iter()
            .cloned()
            .zip(vals.iter().map(&escape))
            .collect()
    };
    let case_name = case
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("case")
        .to_string();
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 4096,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(
        config,
        TestRng::from_seed(RngAlgorithm::ChaCha, &rng_seed(seed, &case_name)),
    );
    let last = RefCell::new(String::new());
    let result = runner.run(&strategies.prop_map(|v| v), |vals| {
        let literal = instantiate(case, &escaped(&vals));
        run(&literal).map_err(|m| {
            *last.borrow_mut() = m.clone();
            TestCaseError::fail(m)
        })
    });
    let failure = match result {
        Ok(()) => None,
        Err(TestError::Abort(r)) => Some(GeneratedFailure {
            message: format!("aborted: {r}"),
            values: Map::new(),
            minimal_case: Value::Null,
        }),
        Err(TestError::Fail(_, vals)) => {
            let values = to_map(&vals);
            let minimal_case = instantiate(case, &escaped(&vals));
            let message = run(&minimal_case)
                .err()
                .unwrap_or_else(|| last.borrow().clone());
            Some(GeneratedFailure {
                message,
                values,
                minimal_case,
            })
        }
    };
    Ok(GeneratedOutcome { cases, failure })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn case() -> Value {
        json!({
            "name": "generated-echo",
            "rules": ["CT-ECHO"],
            "generate": {"contact": "valid-contact", "note": "string"},
            "steps": [{"name": "create", "request": {"method": "POST", "path": "me/contacts", "json": "{{gen.contact}}"},
                        "expect": {"status": 201, "checks": ["echo"]}},
                      {"name": "note", "request": {"path": "me/contacts", "query": "x={{gen.note}}"}}]
        })
    }

    #[test]
    fn instantiates_literals() {
        let mut v = Map::new();
        v.insert("contact".into(), json!({"GivenName": "A"}));
        v.insert("note".into(), json!("n"));
        let c = instantiate(&case(), &v);
        assert!(c.get("generate").is_none());
        assert_eq!(c["steps"][0]["request"]["json"], json!({"GivenName": "A"}));
        assert_eq!(c["steps"][1]["request"]["query"], json!("x=n"));
        assert_eq!(
            generated_inputs(&json!({"generate": {"a": "nope"}})),
            Err(GenerateError::UnknownGenerator("nope".into()))
        );
    }

    #[test]
    fn shrinks_to_a_minimal_literal_case() {
        // A "server" that fails whenever the contact has a Birthday.
        let out = run_generated_case(&case(), 1, 64, |c| {
            if c["steps"][0]["request"]["json"].get("Birthday").is_some() {
                Err("birthday".into())
            } else {
                Ok(())
            }
        })
        .unwrap();
        let f = out.failure.expect("some contact has a Birthday");
        let sent = &f.minimal_case["steps"][0]["request"]["json"];
        assert!(sent.get("Birthday").is_some());
        // Shrunk: nothing but GivenName and the Birthday (or its null) is left.
        assert!(sent.as_object().unwrap().len() <= 2, "{sent}");
        assert_eq!(f.message, "birthday");
        let again = run_generated_case(&case(), 1, 64, |c| {
            if c["steps"][0]["request"]["json"].get("Birthday").is_some() {
                Err("birthday".into())
            } else {
                Ok(())
            }
        })
        .unwrap();
        assert_eq!(
            again.failure.unwrap().minimal_case,
            f.minimal_case,
            "same seed, same minimal case"
        );
    }
}
