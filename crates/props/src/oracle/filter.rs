//! "Does this contact match this `$filter`?" — a filter AST, its OData rendering, and
//! its evaluation on a contact as the server returned it (Q-FILTER, Q-FILTER-ANY).
//!
//! Evaluation is three-valued: where SPEC.md leaves the answer open (comparisons
//! with a `null` or empty value, case-insensitive comparison of non-ASCII text), the
//! result is `Unknown`, combined with Kleene logic, and an entity whose result is
//! `Unknown` is neither required nor forbidden in the response.

use super::values::{parse_date, parse_returned_instant};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use std::cmp::Ordering;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `eq`
    Eq,
    /// `ne`
    Ne,
    /// `gt`
    Gt,
    /// `ge`
    Ge,
    /// `lt`
    Lt,
    /// `le`
    Le,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Ne => "ne",
            Op::Gt => "gt",
            Op::Ge => "ge",
            Op::Lt => "lt",
            Op::Le => "le",
        }
    }
    fn holds(self, o: Ordering) -> bool {
        match self {
            Op::Eq => o == Ordering::Equal,
            Op::Ne => o != Ordering::Equal,
            Op::Gt => o == Ordering::Greater,
            Op::Ge => o != Ordering::Less,
            Op::Lt => o == Ordering::Less,
            Op::Le => o != Ordering::Greater,
        }
    }
}

/// A literal.
#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    /// `null`
    Null,
    /// A single-quoted string.
    Str(String),
    /// An unquoted DateTimeOffset.
    Instant(DateTime<Utc>),
    /// An unquoted Date.
    Date(NaiveDate),
}

impl Lit {
    fn render(&self) -> String {
        match self {
            Lit::Null => "null".into(),
            Lit::Str(s) => format!("'{}'", s.replace('\'', "''")),
            Lit::Instant(t) => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            Lit::Date(d) => d.format("%Y-%m-%d").to_string(),
        }
    }
}

/// A collection that `any` ranges over (Q-FILTER-ANY).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnyOver {
    /// `EmailAddresses/any(a:a/Address eq 'x')`
    EmailAddress,
    /// `Phones/any(p:p/Number eq 'x')`
    PhoneNumber,
    /// `Children/any(c:c eq 'x')`
    Child,
}

/// A `$filter` expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `Property op literal`; the property is a path such as `Flag/FlagStatus`.
    Cmp(&'static str, Op, Lit),
    /// `(a) and (b)`
    And(Box<Filter>, Box<Filter>),
    /// `(a) or (b)`
    Or(Box<Filter>, Box<Filter>),
    /// `not (a)`
    Not(Box<Filter>),
    /// A lambda `any` with `eq` on one member.
    Any(AnyOver, String),
}

impl Filter {
    /// The OData text of the filter.
    pub fn render(&self) -> String {
        match self {
            Filter::Cmp(p, op, lit) => format!("{p} {} {}", op.as_str(), lit.render()),
            Filter::And(a, b) => format!("({}) and ({})", a.render(), b.render()),
            Filter::Or(a, b) => format!("({}) or ({})", a.render(), b.render()),
            Filter::Not(a) => format!("not ({})", a.render()),
            Filter::Any(o, v) => {
                let v = Lit::Str(v.clone()).render();
                match o {
                    AnyOver::EmailAddress => format!("EmailAddresses/any(a:a/Address eq {v})"),
                    AnyOver::PhoneNumber => format!("Phones/any(p:p/Number eq {v})"),
                    AnyOver::Child => format!("Children/any(c:c eq {v})"),
                }
            }
        }
    }
}

/// A three-valued truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tri {
    /// Certainly matches.
    True,
    /// Certainly does not match.
    False,
    /// SPEC.md leaves it open.
    Unknown,
}

impl Tri {
    fn from(b: bool) -> Tri {
        if b { Tri::True } else { Tri::False }
    }
    fn and(self, o: Tri) -> Tri {
        match (self, o) {
            (Tri::False, _) | (_, Tri::False) => Tri::False,
            (Tri::True, Tri::True) => Tri::True,
            _ => Tri::Unknown,
        }
    }
    fn or(self, o: Tri) -> Tri {
        match (self, o) {
            (Tri::True, _) | (_, Tri::True) => Tri::True,
            (Tri::False, Tri::False) => Tri::False,
            _ => Tri::Unknown,
        }
    }
    fn not(self) -> Tri {
        match self {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            Tri::Unknown => Tri::Unknown,
        }
    }
}

/// Case-insensitive order of two strings where SPEC.md fixes it: both ASCII
/// (SPEC.md §0: order checks use ASCII keys); `None` otherwise.
pub fn ci_cmp(a: &str, b: &str) -> Option<Ordering> {
    (a.is_ascii() && b.is_ascii()).then(|| a.to_ascii_lowercase().cmp(&b.to_ascii_lowercase()))
}

fn ci_eq(a: &str, b: &str) -> Tri {
    if a.is_ascii() && b.is_ascii() {
        return Tri::from(a.eq_ignore_ascii_case(b));
    }
    match (
        a.eq_ignore_ascii_case(b),
        a.to_lowercase() == b.to_lowercase(),
    ) {
        (true, true) => Tri::True,
        (false, false) => Tri::False,
        _ => Tri::Unknown,
    }
}

fn lookup<'a>(c: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('/').try_fold(c, |v, seg| v.get(seg))
}

fn cmp_value(value: Option<&Value>, op: Op, lit: &Lit) -> Tri {
    let value = value.filter(|v| !v.is_null());
    match (value, lit) {
        (None, Lit::Null) => match op {
            Op::Eq => Tri::True,
            Op::Ne => Tri::False,
            _ => Tri::Unknown,
        },
        (Some(Value::String(s)), Lit::Null) if s.is_empty() => Tri::Unknown,
        (Some(_), Lit::Null) => match op {
            Op::Eq => Tri::False,
            Op::Ne => Tri::True,
            _ => Tri::Unknown,
        },
        (None, _) => Tri::Unknown,
        (Some(Value::String(s)), Lit::Str(l)) => {
            if s.is_empty() || l.is_empty() {
                return Tri::Unknown;
            }
            match op {
                Op::Eq => ci_eq(s, l),
                Op::Ne => ci_eq(s, l).not(),
                _ => match ci_cmp(s, l) {
                    Some(o) => Tri::from(op.holds(o)),
                    None => Tri::Unknown,
                },
            }
        }
        (Some(Value::String(s)), Lit::Instant(t)) => match parse_returned_instant(s) {
            Some(v) => Tri::from(op.holds(v.cmp(t))),
            None => Tri::Unknown,
        },
        (Some(Value::String(s)), Lit::Date(d)) => match parse_date(s) {
            Some(v) => Tri::from(op.holds(v.cmp(d))),
            None => Tri::Unknown,
        },
        _ => Tri::Unknown,
    }
}

/// Evaluates a filter on a contact as returned by the server.
pub fn eval(f: &Filter, c: &Value) -> Tri {
    match f {
        Filter::Cmp(p, op, lit) => cmp_value(lookup(c, p), *op, lit),
        Filter::And(a, b) => eval(a, c).and(eval(b, c)),
        Filter::Or(a, b) => eval(a, c).or(eval(b, c)),
        Filter::Not(a) => eval(a, c).not(),
        Filter::Any(over, want) => {
            let (coll, member) = match over {
                AnyOver::EmailAddress => ("EmailAddresses", Some("Address")),
                AnyOver::PhoneNumber => ("Phones", Some("Number")),
                AnyOver::Child => ("Children", None),
            };
            let items = c
                .get(coll)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            items.iter().fold(Tri::False, |acc, it| {
                let v = match member {
                    Some(m) => it.get(m),
                    None => Some(it),
                };
                let t = match v.and_then(Value::as_str) {
                    Some(s) if !s.is_empty() && !want.is_empty() => ci_eq(s, want),
                    Some(_) => Tri::Unknown,
                    None => Tri::False,
                };
                acc.or(t)
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_and_evaluates() {
        let f = Filter::And(
            Box::new(Filter::Cmp("GivenName", Op::Eq, Lit::Str("o'brien".into()))),
            Box::new(Filter::Not(Box::new(Filter::Cmp(
                "Flag/FlagStatus",
                Op::Eq,
                Lit::Str("flagged".into()),
            )))),
        );
        assert_eq!(
            f.render(),
            "(GivenName eq 'o''brien') and (not (Flag/FlagStatus eq 'flagged'))"
        );
        let c = json!({"GivenName": "O'Brien", "Flag": {"FlagStatus": "NotFlagged"}});
        assert_eq!(eval(&f, &c), Tri::True);
        let c2 = json!({"GivenName": "O'Brien", "Flag": {"FlagStatus": "Flagged"}});
        assert_eq!(eval(&f, &c2), Tri::False);
        let n = Filter::Cmp("Surname", Op::Gt, Lit::Str("a".into()));
        assert_eq!(eval(&n, &json!({"Surname": null})), Tri::Unknown);
        assert_eq!(
            eval(
                &Filter::Cmp("Surname", Op::Eq, Lit::Null),
                &json!({"Surname": null})
            ),
            Tri::True
        );
        let a = Filter::Any(AnyOver::EmailAddress, "b@example.com".into());
        assert_eq!(
            eval(
                &a,
                &json!({"EmailAddresses": [{"Address": "B@Example.com"}]})
            ),
            Tri::True
        );
        let b = Filter::Cmp(
            "Birthday",
            Op::Ge,
            Lit::Instant("1974-07-22T00:00:00Z".parse().unwrap()),
        );
        assert_eq!(
            eval(&b, &json!({"Birthday": "1980-01-01T06:30:00Z"})),
            Tri::True
        );
        assert_eq!(b.render(), "Birthday ge 1974-07-22T00:00:00Z");
    }
}
