//! "What does CT-ECHO allow back for this value?" — comparison of a sent property
//! with the one a server returns, with the normalisations of CT-ECHO, CT-BIRTHDAY and
//! §7, and comparison of values that must not have changed.

use super::flag::{Completed, ExpectedFlag, FlagVerdict, judge_flag};
use super::values::{judge_birthday, parse_returned_instant};
use super::zones::parse_wall;
use crate::check::Violation;
use chrono::{DateTime, NaiveDate, Utc};
use contactspec_model::PropKind;
use contactspec_model::properties::contact_property;
use serde_json::Value;

fn v(rule: &'static str, message: String) -> Violation {
    Violation { rule, message }
}

fn show(x: Option<&Value>) -> String {
    match x {
        None => "<absent>".into(),
        Some(v) => {
            let s = v.to_string();
            if s.chars().count() > 200 {
                format!(
                    "{}… ({} chars)",
                    s.chars().take(200).collect::<String>(),
                    s.chars().count()
                )
            } else {
                s
            }
        }
    }
}

/// Whether a returned string equals a sent one (`""` may come back as `null`).
fn string_echoes(sent: &Value, got: Option<&Value>) -> bool {
    match (sent, got) {
        (Value::Null, Some(Value::Null) | None) => true,
        (Value::String(s), Some(Value::Null) | None) => s.is_empty(),
        (a, Some(b)) => a == b,
        _ => false,
    }
}

/// Whether a member of a complex value echoes: members sent must come back equal;
/// members not sent may be absent or null.
fn complex_echoes(sent: &Value, got: &Value, name_defaults_to_address: bool) -> bool {
    let (Some(s), Some(g)) = (sent.as_object(), got.as_object()) else {
        return false;
    };
    for (k, sv) in s {
        if k.starts_with("@odata.") {
            continue;
        }
        if sv.is_null() {
            if !g.get(k).is_none_or(Value::is_null) {
                return false;
            }
            continue;
        }
        if !string_echoes(sv, g.get(k)) {
            return false;
        }
    }
    for (k, gv) in g {
        if s.contains_key(k) || gv.is_null() || k.starts_with("@odata.") {
            continue;
        }
        if name_defaults_to_address && k == "Name" && Some(gv) == s.get("Address") {
            continue;
        }
        if gv.as_str() == Some("") {
            continue;
        }
        return false;
    }
    true
}

/// Matches every sent element to a distinct returned element (a multiset match).
fn multiset_match(sent: &[Value], got: &[Value]) -> bool {
    fn go(i: usize, sent: &[Value], got: &[Value], used: &mut Vec<bool>) -> bool {
        if i == sent.len() {
            return true;
        }
        for j in 0..got.len() {
            if !used[j] && complex_echoes(&sent[i], &got[j], false) {
                used[j] = true;
                if go(i + 1, sent, got, used) {
                    return true;
                }
                used[j] = false;
            }
        }
        false
    }
    sent.len() == got.len() && go(0, sent, got, &mut vec![false; got.len()])
}

/// The UTC dates that "today" may be during a request (FL-COMPLETE-NOW).
#[derive(Debug, Clone, Copy)]
pub struct Today {
    /// The UTC date when the request was sent.
    pub first: NaiveDate,
    /// The UTC date when the response arrived.
    pub last: NaiveDate,
}

impl Today {
    /// Today's dates around now.
    pub fn around_now() -> Self {
        let d = Utc::now().date_naive();
        Today {
            first: d.pred_opt().unwrap_or(d),
            last: d.succ_opt().unwrap_or(d),
        }
    }
}

fn dttz(got: Option<&Value>) -> Option<(String, String)> {
    let o = got?.as_object()?;
    Some((
        o.get("DateTime")?.as_str()?.to_string(),
        o.get("TimeZone")?.as_str()?.to_string(),
    ))
}

fn utc_instant(got: Option<&Value>) -> Option<DateTime<Utc>> {
    let (dt, tz) = dttz(got)?;
    (tz == "UTC").then_some(())?;
    parse_wall(&dt).ok().map(|w| w.and_utc())
}

fn seven_digits(got: Option<&Value>) -> bool {
    dttz(got).is_some_and(|(dt, _)| dt.len() == 27 && dt.as_bytes()[19] == b'.')
}

/// Compares a returned `Flag` with what the oracle says is stored.
pub fn check_flag(expected: &ExpectedFlag, got: Option<&Value>, today: Today) -> Vec<Violation> {
    let mut out = Vec::new();
    let Some(g) = got.and_then(Value::as_object) else {
        return vec![v(
            "CT-ECHO",
            format!("Flag is not an object: {}", show(got)),
        )];
    };
    if g.get("FlagStatus").and_then(Value::as_str) != Some(expected.status.as_str()) {
        out.push(v(
            "CT-ECHO",
            format!(
                "FlagStatus {} where {} was stored",
                show(g.get("FlagStatus")),
                expected.status
            ),
        ));
        return out;
    }
    let present = |m: &str| g.get(m).is_some_and(|x| !x.is_null());
    match expected.status.as_str() {
        "Flagged" => {
            for (m, want) in [
                ("StartDateTime", expected.start),
                ("DueDateTime", expected.due),
            ] {
                match want {
                    Some(t) => {
                        if utc_instant(g.get(m)) != Some(t) {
                            out.push(v(
                                "FL-FLAGGED",
                                format!(
                                    "{m} {} is not {} in UTC",
                                    show(g.get(m)),
                                    t.format("%Y-%m-%dT%H:%M:%S%.f")
                                ),
                            ));
                        } else if !seven_digits(g.get(m)) {
                            out.push(v(
                                "FL-FLAGGED",
                                format!("{m} {} lacks 7 fractional digits", show(g.get(m))),
                            ));
                        }
                    }
                    None if present(m) => {
                        out.push(v("CT-ECHO", format!("{m} {} was not sent", show(g.get(m)))));
                    }
                    None => {}
                }
            }
            if present("CompletedDateTime") {
                out.push(v(
                    "CT-ECHO",
                    "a Flagged flag came back with CompletedDateTime".into(),
                ));
            }
        }
        "Complete" => {
            let got_c = utc_instant(g.get("CompletedDateTime"));
            let ok = match (expected.completed, got_c) {
                (Some(Completed::Date(d)), Some(t)) => {
                    t == d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
                }
                (Some(Completed::Today), Some(t)) => {
                    t.time() == chrono::NaiveTime::MIN
                        && t.date_naive() >= today.first
                        && t.date_naive() <= today.last
                }
                _ => false,
            };
            if !ok {
                let rule = match expected.completed {
                    Some(Completed::Today) => "FL-COMPLETE-NOW",
                    _ => "FL-COMPLETE",
                };
                out.push(v(
                    rule,
                    format!(
                        "CompletedDateTime {} where {:?} was expected (UTC midnight)",
                        show(g.get("CompletedDateTime")),
                        expected.completed
                    ),
                ));
            }
            if present("StartDateTime") || present("DueDateTime") {
                out.push(v(
                    "FL-COMPLETE-DROPS",
                    "a Complete flag kept a start or due date".into(),
                ));
            }
        }
        _ => {
            for m in ["StartDateTime", "DueDateTime", "CompletedDateTime"] {
                if present(m) {
                    out.push(v(
                        "FL-DEFAULT",
                        format!("a NotFlagged flag came back with {m}"),
                    ));
                }
            }
        }
    }
    out
}

/// Checks that property `name`, sent as `sent`, came back as `got` (CT-ECHO and its
/// normalisations). Returns every violation found.
pub fn check_echo(name: &str, sent: &Value, got: Option<&Value>, today: Today) -> Vec<Violation> {
    let Some(prop) = contact_property(name) else {
        return vec![];
    };
    let bad = || {
        vec![v(
            "CT-ECHO",
            format!("{name}: sent {} got {}", show(Some(sent)), show(got)),
        )]
    };
    match prop.kind {
        PropKind::String => {
            if string_echoes(sent, got) {
                vec![]
            } else {
                bad()
            }
        }
        PropKind::StringArray => match (sent.as_array(), got.and_then(Value::as_array)) {
            (Some(s), Some(g))
                if s.len() == g.len()
                    && s.iter().zip(g).all(|(a, b)| string_echoes(a, Some(b))) =>
            {
                vec![]
            }
            _ => bad(),
        },
        PropKind::Date => {
            if sent == got.unwrap_or(&Value::Null) {
                vec![]
            } else {
                bad()
            }
        }
        PropKind::DateTimeOffset => match sent.as_str() {
            None => {
                if got.is_none_or(Value::is_null) {
                    vec![]
                } else {
                    bad()
                }
            }
            Some(s) => {
                let want = judge_birthday(s).ok();
                let have = got.and_then(Value::as_str).and_then(parse_returned_instant);
                if want.is_some() && want == have {
                    vec![]
                } else {
                    vec![v(
                        "CT-BIRTHDAY",
                        format!("Birthday: sent {s:?} (instant {want:?}) got {}", show(got)),
                    )]
                }
            }
        },
        PropKind::EmailAddresses => match (sent.as_array(), got.and_then(Value::as_array)) {
            (Some(s), Some(g))
                if s.len() == g.len()
                    && s.iter().zip(g).all(|(a, b)| complex_echoes(a, b, true)) =>
            {
                vec![]
            }
            _ => bad(),
        },
        PropKind::Phones | PropKind::PostalAddresses | PropKind::Websites => {
            match (sent.as_array(), got.and_then(Value::as_array)) {
                (Some(s), Some(g)) if multiset_match(s, g) => {
                    if s.iter().zip(g).all(|(a, b)| complex_echoes(a, b, false)) {
                        vec![]
                    } else {
                        vec![v(
                            "CT-ECHO-ORDER",
                            format!(
                                "{name}: order changed: sent {} got {}",
                                show(Some(sent)),
                                show(got)
                            ),
                        )]
                    }
                }
                _ => bad(),
            }
        }
        PropKind::Flag => match judge_flag(sent) {
            FlagVerdict::Valid(e) => check_flag(&e, got, today),
            FlagVerdict::Invalid(_) => vec![],
        },
        _ => vec![],
    }
}

/// Whether two returned values of property `name` are the same stored value
/// (`""` and `null` alike; `Phones`, `PostalAddresses`, `Websites` as multisets).
pub fn same_stored(name: &str, a: Option<&Value>, b: Option<&Value>) -> bool {
    let norm = |x: Option<&Value>| -> Value {
        match x {
            None => Value::Null,
            Some(Value::String(s)) if s.is_empty() => Value::Null,
            Some(v) => v.clone(),
        }
    };
    let (a, b) = (norm(a), norm(b));
    if a == b {
        return true;
    }
    match contact_property(name).map(|p| p.kind) {
        Some(PropKind::Phones | PropKind::PostalAddresses | PropKind::Websites) => {
            match (a.as_array(), b.as_array()) {
                (Some(x), Some(y)) => {
                    x.len() == y.len() && multiset_match(x, y) && multiset_match(y, x)
                }
                _ => false,
            }
        }
        Some(PropKind::DateTimeOffset) => {
            let p = |v: &Value| v.as_str().and_then(parse_returned_instant);
            p(&a).is_some() && p(&a) == p(&b)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ok(name: &str, sent: Value, got: Value) -> bool {
        check_echo(name, &sent, Some(&got), Today::around_now()).is_empty()
    }

    #[test]
    fn strings_and_arrays() {
        assert!(ok("GivenName", json!(" a "), json!(" a ")));
        assert!(!ok("GivenName", json!(" a "), json!("a")));
        assert!(ok("GivenName", json!(""), json!(null)));
        assert!(ok("Categories", json!(["b", "a"]), json!(["b", "a"])));
        assert!(!ok("Categories", json!(["b", "a"]), json!(["a", "b"])));
    }

    #[test]
    fn complex_values() {
        let sent = json!([{"Number": "1", "Type": "Home"}, {"Number": "2", "Type": "Pager"}]);
        let swapped = json!([{"Number": "2", "Type": "Pager"}, {"Number": "1", "Type": "Home"}]);
        let r = check_echo("Phones", &sent, Some(&swapped), Today::around_now());
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].rule, "CT-ECHO-ORDER");
        assert!(!ok(
            "Phones",
            sent.clone(),
            json!([{"Number": "1", "Type": "Home"}])
        ));
        assert!(ok(
            "EmailAddresses",
            json!([{"Address": "a@b"}]),
            json!([{"Address": "a@b", "Name": "a@b"}])
        ));
        assert!(!ok(
            "EmailAddresses",
            json!([{"Address": "a@b"}]),
            json!([{"Address": "a@b", "Name": "x"}])
        ));
    }

    #[test]
    fn birthday_and_flag() {
        assert!(ok(
            "Birthday",
            json!("1974-07-22"),
            json!("1974-07-22T00:00:00Z")
        ));
        assert!(!ok(
            "Birthday",
            json!("1974-07-22"),
            json!("1974-07-22T00:00:00+01:00")
        ));
        let f = json!({"FlagStatus": "Flagged", "StartDateTime": {"DateTime": "2018-01-01T10:00:00", "TimeZone": "Tokyo Standard Time"}});
        let good = json!({"FlagStatus": "Flagged", "StartDateTime": {"DateTime": "2018-01-01T01:00:00.0000000", "TimeZone": "UTC"}});
        assert!(ok("Flag", f.clone(), good));
        let bad = json!({"FlagStatus": "Flagged", "StartDateTime": {"DateTime": "2018-01-01T10:00:00.0000000", "TimeZone": "UTC"}});
        assert!(!ok("Flag", f, bad));
    }
}
