//! The JSON-subset match of docs/case-format.md, with its `$` matchers.

use super::compare::{is_utc_instant, parse_instant, parse_wall};
use crate::case::MATCHERS_LIST;
use serde_json::Value;

/// Where and how an actual value departs from the expected one.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    /// JSON pointer of the offending value, relative to the matched root.
    pub path: String,
    /// What was expected.
    pub expected: String,
    /// What was found (`absent` when missing).
    pub found: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = if self.path.is_empty() {
            "/"
        } else {
            &self.path
        };
        write!(
            f,
            "at {at}: expected {}, found {}",
            self.expected, self.found
        )
    }
}

fn show(v: Option<&Value>) -> String {
    match v {
        None => "absent".to_string(),
        Some(v) => {
            let s = v.to_string();
            if s.len() > 300 {
                format!("{}…", &s[..crate::expect::floor_boundary(&s, 300)])
            } else {
                s
            }
        }
    }
}

/// If `v` is a one-member `$` matcher object, its name and argument.
pub fn as_matcher(v: &Value) -> Option<(&str, &Value)> {
    let o = v.as_object()?;
    if o.len() != 1 {
        return None;
    }
    let (k, x) = o.iter().next()?;
    MATCHERS_LIST
        .contains(&k.as_str())
        .then_some((k.as_str(), x))
}

/// Matches `actual` (None = absent) against `expected`.
pub fn matches(expected: &Value, actual: Option<&Value>) -> Result<(), Mismatch> {
    at(expected, actual, String::new())
}

fn miss(path: &str, expected: impl Into<String>, actual: Option<&Value>) -> Mismatch {
    Mismatch {
        path: path.to_string(),
        expected: expected.into(),
        found: show(actual),
    }
}

fn at(expected: &Value, actual: Option<&Value>, path: String) -> Result<(), Mismatch> {
    if let Some((name, arg)) = as_matcher(expected) {
        return matcher(name, arg, actual, path);
    }
    let Some(a) = actual else {
        return Err(miss(&path, show(Some(expected)), None));
    };
    match expected {
        Value::Object(eo) => {
            let Some(ao) = a.as_object() else {
                return Err(miss(&path, "an object", Some(a)));
            };
            for (k, ev) in eo {
                let p = format!("{path}/{}", k.replace('~', "~0").replace('/', "~1"));
                at(ev, ao.get(k), p)?;
            }
            Ok(())
        }
        Value::Array(ea) => {
            let Some(aa) = a.as_array() else {
                return Err(miss(&path, "an array", Some(a)));
            };
            if ea.len() != aa.len() {
                return Err(miss(
                    &path,
                    format!(
                        "an array of {} elements like {}",
                        ea.len(),
                        show(Some(expected))
                    ),
                    Some(a),
                ));
            }
            for (i, (e, x)) in ea.iter().zip(aa).enumerate() {
                at(e, Some(x), format!("{path}/{i}"))?;
            }
            Ok(())
        }
        Value::Number(en) => match a.as_number() {
            Some(an) if an == en || an.as_f64() == en.as_f64() => Ok(()),
            _ => Err(miss(&path, en.to_string(), Some(a))),
        },
        _ if expected == a => Ok(()),
        _ => Err(miss(&path, show(Some(expected)), Some(a))),
    }
}

fn matcher(name: &str, arg: &Value, actual: Option<&Value>, path: String) -> Result<(), Mismatch> {
    match name {
        "$absent" => match actual {
            None => Ok(()),
            Some(_) => Err(miss(&path, "absent", actual)),
        },
        "$null_or_absent" => match actual {
            None | Some(Value::Null) => Ok(()),
            Some(_) => Err(miss(&path, "null or absent", actual)),
        },
        "$present" => match actual {
            Some(_) => Ok(()),
            None => Err(miss(&path, "present", None)),
        },
        "$instant" => {
            let want = arg.as_str().and_then(parse_instant);
            match actual.and_then(Value::as_str) {
                Some(s) if is_utc_instant(s) && parse_instant(s) == want && want.is_some() => {
                    Ok(())
                }
                _ => Err(miss(
                    &path,
                    format!("the instant {arg} written with Z or a zero offset"),
                    actual,
                )),
            }
        }
        "$wall" => {
            let want = arg.as_str().and_then(parse_wall);
            match actual.and_then(Value::as_str).and_then(parse_wall) {
                Some(w) if Some(w) == want => Ok(()),
                _ => Err(miss(&path, format!("the wall time {arg}"), actual)),
            }
        }
        "$regex" => {
            let re = arg.as_str().and_then(|r| regex::Regex::new(r).ok());
            match (re, actual.and_then(Value::as_str)) {
                (Some(re), Some(s)) if re.is_match(s) => Ok(()),
                _ => Err(miss(&path, format!("a string matching {arg}"), actual)),
            }
        }
        "$ci" => match (arg.as_str(), actual.and_then(Value::as_str)) {
            (Some(w), Some(s)) if w.eq_ignore_ascii_case(s) => Ok(()),
            _ => Err(miss(&path, format!("{arg} ignoring ASCII case"), actual)),
        },
        "$type" => {
            let ok = match (arg.as_str(), actual) {
                (Some("string"), Some(Value::String(_))) => true,
                (Some("number"), Some(Value::Number(_))) => true,
                (Some("integer"), Some(Value::Number(n))) => n.is_i64() || n.is_u64(),
                (Some("boolean"), Some(Value::Bool(_))) => true,
                (Some("null"), Some(Value::Null)) => true,
                (Some("array"), Some(Value::Array(_))) => true,
                (Some("object"), Some(Value::Object(_))) => true,
                _ => false,
            };
            if ok {
                Ok(())
            } else {
                Err(miss(&path, format!("a value of type {arg}"), actual))
            }
        }
        "$one_of" => {
            let options = arg.as_array().map(Vec::as_slice).unwrap_or_default();
            if options.iter().any(|o| at(o, actual, path.clone()).is_ok()) {
                Ok(())
            } else {
                Err(miss(&path, format!("one of {arg}"), actual))
            }
        }
        "$unordered" => {
            let want = arg.as_array().map(Vec::as_slice).unwrap_or_default();
            let Some(got) = actual.and_then(Value::as_array) else {
                return Err(miss(
                    &path,
                    format!("an array with the elements of {arg} in any order"),
                    actual,
                ));
            };
            if got.len() == want.len() && multiset_match(want, got) {
                Ok(())
            } else {
                Err(miss(
                    &path,
                    format!("an array with the elements of {arg} in any order"),
                    actual,
                ))
            }
        }
        _ => Err(miss(&path, format!("a known matcher, not {name}"), actual)),
    }
}

/// Whether every expected element matches a distinct actual element (bipartite
/// matching by augmenting paths; arrays here are small).
pub fn multiset_match(want: &[Value], got: &[Value]) -> bool {
    let n = want.len();
    let m = got.len();
    let ok: Vec<Vec<bool>> = want
        .iter()
        .map(|w| got.iter().map(|g| matches(w, Some(g)).is_ok()).collect())
        .collect();
    let mut owner: Vec<Option<usize>> = vec![None; m];
    fn augment(i: usize, ok: &[Vec<bool>], seen: &mut [bool], owner: &mut [Option<usize>]) -> bool {
        for j in 0..ok[i].len() {
            if ok[i][j] && !seen[j] {
                seen[j] = true;
                if owner[j].is_none_or(|k| augment(k, ok, seen, owner)) {
                    owner[j] = Some(i);
                    return true;
                }
            }
        }
        false
    }
    (0..n).all(|i| {
        let mut seen = vec![false; m];
        augment(i, &ok, &mut seen, &mut owner)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ok(e: Value, a: Value) -> bool {
        matches(&e, Some(&a)).is_ok()
    }

    #[test]
    fn subset_objects_and_arrays() {
        assert!(ok(json!({"a": 1}), json!({"a": 1, "b": 2})));
        assert!(!ok(json!({"a": 1}), json!({"a": 2})));
        assert!(ok(json!({"a": 1.0}), json!({"a": 1})));
        assert!(ok(json!([{"x": 1}, 2]), json!([{"x": 1, "y": 0}, 2])));
        assert!(!ok(json!([1]), json!([1, 2])));
        assert!(!ok(json!({"a": null}), json!({})));
        let e = matches(
            &json!({"a": {"b": [1, "x"]}}),
            Some(&json!({"a": {"b": [1, "y"]}})),
        )
        .unwrap_err();
        assert_eq!(e.path, "/a/b/1");
        assert_eq!(e.found, "\"y\"");
    }

    #[test]
    fn presence_matchers() {
        assert!(ok(json!({"a": {"$absent": true}}), json!({"b": 1})));
        assert!(!ok(json!({"a": {"$absent": true}}), json!({"a": null})));
        assert!(ok(
            json!({"a": {"$null_or_absent": true}}),
            json!({"a": null})
        ));
        assert!(ok(json!({"a": {"$null_or_absent": true}}), json!({})));
        assert!(!ok(
            json!({"a": {"$null_or_absent": true}}),
            json!({"a": 0})
        ));
        assert!(ok(json!({"a": {"$present": true}}), json!({"a": null})));
        assert!(!ok(json!({"a": {"$present": true}}), json!({})));
    }

    #[test]
    fn value_matchers() {
        assert!(ok(
            json!({"$instant": "2018-02-06T00:00:00Z"}),
            json!("2018-02-06T00:00:00.0000000Z")
        ));
        assert!(ok(
            json!({"$instant": "2018-02-06T00:00:00Z"}),
            json!("2018-02-06T00:00:00+00:00")
        ));
        assert!(!ok(
            json!({"$instant": "2018-02-06T00:00:00Z"}),
            json!("2018-02-06T01:00:00+01:00")
        ));
        assert!(ok(
            json!({"$wall": "2018-02-06T00:00:00"}),
            json!("2018-02-06T00:00:00.0000000")
        ));
        assert!(!ok(
            json!({"$wall": "2018-02-06T00:00:00"}),
            json!("2018-02-06T00:00:01")
        ));
        assert!(ok(json!({"$regex": "^W/\""}), json!("W/\"abc\"")));
        assert!(!ok(json!({"$regex": "^W/\""}), json!(3)));
        assert!(ok(json!({"$ci": "Flagged"}), json!("flagged")));
        assert!(ok(json!({"$one_of": ["", null]}), json!(null)));
        assert!(!ok(json!({"$one_of": ["", null]}), json!("x")));
        assert!(ok(json!({"$type": "integer"}), json!(3)));
        assert!(!ok(json!({"$type": "integer"}), json!(3.5)));
    }

    #[test]
    fn unordered_is_a_multiset() {
        let e = json!({"$unordered": [{"T": "a"}, {"T": "a"}, {"T": "b"}]});
        assert!(ok(
            e.clone(),
            json!([{"T": "b"}, {"T": "a", "x": 1}, {"T": "a"}])
        ));
        assert!(!ok(e.clone(), json!([{"T": "b"}, {"T": "b"}, {"T": "a"}])));
        assert!(!ok(e, json!([{"T": "a"}, {"T": "b"}])));
    }
}
