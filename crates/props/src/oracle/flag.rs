//! "Is this flag valid, and what is stored?" — the rules of SPEC.md §7 as a pure
//! function.

use super::zones::{WallError, is_must_zone, parse_wall, resolve_zone, wall_to_utc};
use chrono::{DateTime, NaiveDate, Utc};
use contactspec_model::ErrorCode;
use contactspec_model::properties::{DTTZ_MEMBERS, FLAG_MEMBERS, FLAG_STATUSES};
use serde_json::Value;

/// A rule the value breaks, with the error codes that rule allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The rule ID.
    pub rule: &'static str,
    /// The status it requires.
    pub status: u16,
    /// The codes it allows.
    pub codes: Vec<ErrorCode>,
}

impl Broken {
    pub(crate) fn new(rule: &'static str, codes: &[ErrorCode]) -> Self {
        Broken {
            rule,
            status: 400,
            codes: codes.to_vec(),
        }
    }
}

const RBR: &[ErrorCode] = &[ErrorCode::RequestBodyRead];
const ARG: &[ErrorCode] = &[ErrorCode::ErrorInvalidArgument];
const ARG_OR_RBR: &[ErrorCode] = &[ErrorCode::ErrorInvalidArgument, ErrorCode::RequestBodyRead];

/// What a valid flag's completion date is stored as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completed {
    /// The given date, at midnight UTC (FL-COMPLETE).
    Date(NaiveDate),
    /// The UTC date of the request, at midnight (FL-COMPLETE-NOW).
    Today,
}

/// What the server stores for a valid flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedFlag {
    /// `FlagStatus`.
    pub status: String,
    /// `StartDateTime` as an instant (Flagged only; FL-FLAGGED).
    pub start: Option<DateTime<Utc>>,
    /// `DueDateTime` as an instant (Flagged only).
    pub due: Option<DateTime<Utc>>,
    /// `CompletedDateTime` (Complete only).
    pub completed: Option<Completed>,
    /// Whether the flag sent start or due dates that a Complete flag should drop
    /// (FL-COMPLETE-DROPS).
    pub dropped_dates: bool,
}

/// The oracle's verdict on a `Flag` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlagVerdict {
    /// Accepted; this is what is stored.
    Valid(ExpectedFlag),
    /// Rejected; every rule the value breaks (a server may answer for any of them).
    Invalid(Vec<Broken>),
}

/// Whether every zone the flag names is one a server MUST know (FL-ZONES).
pub fn uses_only_must_zones(flag: &Value) -> bool {
    let Some(o) = flag.as_object() else {
        return true;
    };
    ["StartDateTime", "DueDateTime", "CompletedDateTime"]
        .iter()
        .filter_map(|m| o.get(*m)?.get("TimeZone")?.as_str())
        .all(|z| is_must_zone(z) || resolve_zone(z).is_none())
}

fn date_member(
    o: &serde_json::Map<String, Value>,
    name: &str,
    broken: &mut Vec<Broken>,
) -> Option<DateTime<Utc>> {
    let v = o.get(name)?;
    if v.is_null() {
        return None;
    }
    let Some(d) = v.as_object() else {
        broken.push(Broken::new("CT-TYPES", RBR));
        return None;
    };
    if d.keys()
        .any(|k| !DTTZ_MEMBERS.contains(&k.as_str()) && !k.starts_with("@odata."))
    {
        broken.push(Broken::new("CT-UNKNOWN-PROPERTY", RBR));
    }
    let wall = match d.get("DateTime") {
        Some(Value::String(s)) => match parse_wall(s) {
            Ok(w) => Some(w),
            Err(_) => {
                broken.push(Broken::new("FL-DATETIME", ARG_OR_RBR));
                None
            }
        },
        Some(Value::Null) | None => {
            broken.push(Broken::new("FL-DATETIME", ARG_OR_RBR));
            None
        }
        Some(_) => {
            broken.push(Broken::new("CT-TYPES", RBR));
            None
        }
    };
    let tz = match d.get("TimeZone") {
        Some(Value::String(z)) => match resolve_zone(z) {
            Some(tz) => Some(tz),
            None => {
                broken.push(Broken::new("FL-DATETIME", ARG_OR_RBR));
                None
            }
        },
        Some(Value::Null) | None => {
            broken.push(Broken::new("FL-DATETIME", ARG_OR_RBR));
            None
        }
        Some(_) => {
            broken.push(Broken::new("CT-TYPES", RBR));
            None
        }
    };
    match wall_to_utc(wall?, tz?) {
        Ok(t) => Some(t),
        Err(WallError::Nonexistent) => {
            broken.push(Broken::new("FL-DST", ARG));
            None
        }
        Err(_) => None,
    }
}

/// Judges a `Flag` value as sent in a body.
pub fn judge_flag(flag: &Value) -> FlagVerdict {
    let mut broken = Vec::new();
    let Some(o) = flag.as_object() else {
        let rule = if flag.is_null() {
            "FL-SHAPE"
        } else {
            "CT-TYPES"
        };
        return FlagVerdict::Invalid(vec![Broken::new(rule, RBR)]);
    };
    if o.keys()
        .any(|k| !FLAG_MEMBERS.contains(&k.as_str()) && !k.starts_with("@odata."))
    {
        broken.push(Broken::new("CT-UNKNOWN-PROPERTY", RBR));
    }
    let status = match o.get("FlagStatus") {
        None | Some(Value::Null) => {
            broken.push(Broken::new("FL-SHAPE", RBR));
            None
        }
        Some(Value::String(s)) if FLAG_STATUSES.contains(&s.as_str()) => Some(s.as_str()),
        Some(_) => {
            broken.push(Broken::new("CT-TYPES", RBR));
            None
        }
    };
    let present = |m: &str| o.get(m).is_some_and(|v| !v.is_null());
    let (has_start, has_due, has_completed) = (
        present("StartDateTime"),
        present("DueDateTime"),
        present("CompletedDateTime"),
    );
    let start = date_member(o, "StartDateTime", &mut broken);
    let due = date_member(o, "DueDateTime", &mut broken);
    let completed = date_member(o, "CompletedDateTime", &mut broken);
    if has_due && !has_start {
        broken.push(Broken::new("FL-DUE-NEEDS-START", ARG));
    }
    if let (Some(s), Some(d)) = (start, due)
        && d < s
    {
        broken.push(Broken::new("FL-ORDER", ARG));
    }
    match status {
        Some("NotFlagged") if has_start || has_due || has_completed => {
            broken.push(Broken::new("FL-NOTFLAGGED", ARG));
        }
        Some("Flagged") if has_completed => {
            broken.push(Broken::new("FL-NO-COMPLETED-WHEN-FLAGGED", ARG));
        }
        _ => {}
    }
    if !broken.is_empty() {
        return FlagVerdict::Invalid(broken);
    }
    let status = status.unwrap_or("NotFlagged");
    let expected = match status {
        "Flagged" => ExpectedFlag {
            status: status.into(),
            start,
            due,
            completed: None,
            dropped_dates: false,
        },
        "Complete" => ExpectedFlag {
            status: status.into(),
            start: None,
            due: None,
            completed: Some(match completed {
                Some(t) => Completed::Date(t.date_naive()),
                None => Completed::Today,
            }),
            dropped_dates: has_start || has_due,
        },
        _ => ExpectedFlag {
            status: status.into(),
            start: None,
            due: None,
            completed: None,
            dropped_dates: false,
        },
    };
    FlagVerdict::Valid(expected)
}

/// The flag of a new contact (FL-DEFAULT).
pub fn default_flag() -> ExpectedFlag {
    ExpectedFlag {
        status: "NotFlagged".into(),
        start: None,
        due: None,
        completed: None,
        dropped_dates: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules(v: Value) -> Vec<&'static str> {
        match judge_flag(&v) {
            FlagVerdict::Invalid(b) => b.into_iter().map(|b| b.rule).collect(),
            FlagVerdict::Valid(_) => vec![],
        }
    }

    #[test]
    fn seed_sample_completes_to_next_utc_day() {
        let v = json!({"FlagStatus": "Complete", "CompletedDateTime": {"DateTime": "2018-02-05T18:00:00", "TimeZone": "Pacific Standard Time"}});
        let FlagVerdict::Valid(e) = judge_flag(&v) else {
            panic!("valid")
        };
        assert_eq!(
            e.completed,
            Some(Completed::Date(
                NaiveDate::from_ymd_opt(2018, 2, 6).unwrap()
            ))
        );
    }

    #[test]
    fn each_rule() {
        let d = |t: &str, z: &str| json!({"DateTime": t, "TimeZone": z});
        let a = d("2018-01-01T10:00:00", "UTC");
        let b = d("2018-01-02T10:00:00", "UTC");
        assert_eq!(rules(json!(null)), ["FL-SHAPE"]);
        assert_eq!(rules(json!({})), ["FL-SHAPE"]);
        assert_eq!(
            rules(json!({"FlagStatus": "Flagged", "CompletedDateTime": a})),
            ["FL-NO-COMPLETED-WHEN-FLAGGED"]
        );
        assert_eq!(
            rules(json!({"FlagStatus": "Complete", "DueDateTime": a})),
            ["FL-DUE-NEEDS-START"]
        );
        assert_eq!(
            rules(json!({"FlagStatus": "Flagged", "StartDateTime": b, "DueDateTime": a})),
            ["FL-ORDER"]
        );
        assert_eq!(
            rules(json!({"FlagStatus": "NotFlagged", "StartDateTime": a})),
            ["FL-NOTFLAGGED"]
        );
        assert_eq!(
            rules(
                json!({"FlagStatus": "Flagged", "StartDateTime": d("2018-03-11T02:30:00", "America/Los_Angeles")})
            ),
            ["FL-DST"]
        );
        assert_eq!(
            rules(
                json!({"FlagStatus": "Flagged", "StartDateTime": d("2018-03-11T02:30:00Z", "UTC")})
            ),
            ["FL-DATETIME"]
        );
        assert_eq!(rules(json!({"FlagStatus": "flagged"})), ["CT-TYPES"]);
        assert!(rules(json!({"FlagStatus": "NotFlagged", "StartDateTime": null})).is_empty());
    }
}
