//! Expected ordering for `$orderby` (Q-ORDERBY, Q-ORDERBY-DETAIL): strings
//! case-insensitively, `null` first ascending and last descending, ties in any order.

use super::filter::ci_cmp;
use super::values::{parse_date, parse_returned_instant};
use serde_json::Value;
use std::cmp::Ordering;

/// One `$orderby` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderKey {
    /// The property name.
    pub prop: &'static str,
    /// `desc` when true.
    pub desc: bool,
}

/// The `$orderby` text (`GivenName desc,Birthday`).
pub fn render_orderby(keys: &[OrderKey]) -> String {
    keys.iter()
        .map(|k| {
            if k.desc {
                format!("{} desc", k.prop)
            } else {
                k.prop.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn cmp_one(prop: &str, a: Option<&Value>, b: Option<&Value>) -> Option<Ordering> {
    let norm = |v: Option<&Value>| v.filter(|v| !v.is_null()).cloned();
    match (norm(a), norm(b)) {
        (None, None) => Some(Ordering::Equal),
        (None, Some(Value::String(s))) if s.is_empty() => None,
        (Some(Value::String(s)), None) if s.is_empty() => None,
        (None, Some(_)) => Some(Ordering::Less),
        (Some(_), None) => Some(Ordering::Greater),
        (Some(Value::String(x)), Some(Value::String(y))) => match prop {
            "Birthday" | "CreatedDateTime" | "LastModifiedDateTime" => {
                Some(parse_returned_instant(&x)?.cmp(&parse_returned_instant(&y)?))
            }
            "WeddingAnniversary" => Some(parse_date(&x)?.cmp(&parse_date(&y)?)),
            _ => match (x.is_empty(), y.is_empty()) {
                (true, true) => Some(Ordering::Equal),
                (true, false) => Some(Ordering::Less),
                (false, true) => Some(Ordering::Greater),
                _ => ci_cmp(&x, &y),
            },
        },
        _ => None,
    }
}

/// Compares two contacts under `keys`; `None` where SPEC.md does not fix the order.
pub fn compare(a: &Value, b: &Value, keys: &[OrderKey]) -> Option<Ordering> {
    for k in keys {
        let o = cmp_one(k.prop, a.get(k.prop), b.get(k.prop))?;
        let o = if k.desc { o.reverse() } else { o };
        if o != Ordering::Equal {
            return Some(o);
        }
    }
    Some(Ordering::Equal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nulls_and_case() {
        let k = [OrderKey {
            prop: "Surname",
            desc: false,
        }];
        let d = [OrderKey {
            prop: "Surname",
            desc: true,
        }];
        let n = json!({"Surname": null});
        let a = json!({"Surname": "alpha"});
        let b = json!({"Surname": "Beta"});
        assert_eq!(compare(&n, &a, &k), Some(Ordering::Less));
        assert_eq!(compare(&n, &a, &d), Some(Ordering::Greater));
        assert_eq!(compare(&a, &b, &k), Some(Ordering::Less));
        assert_eq!(
            compare(&json!({"Surname": "ALPHA"}), &a, &k),
            Some(Ordering::Equal)
        );
        assert_eq!(compare(&json!({"Surname": "é"}), &a, &k), None);
        assert_eq!(
            render_orderby(&[
                k[0],
                OrderKey {
                    prop: "Birthday",
                    desc: true
                }
            ]),
            "Surname,Birthday desc"
        );
    }
}
