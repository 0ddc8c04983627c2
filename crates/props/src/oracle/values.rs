//! Value rules of SPEC.md §2: Birthday normalisation (CT-BIRTHDAY, CT-DATE-RANGE),
//! Date values, and DisplayName computation (CT-DISPLAYNAME).

use super::flag::Broken;
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Utc};
use contactspec_model::ErrorCode;
use serde_json::Value;

const DATE_CODES: &[ErrorCode] = &[ErrorCode::RequestBodyRead, ErrorCode::ErrorInvalidArgument];

fn in_range(year: i32) -> bool {
    (1601..=9999).contains(&year)
}

/// Parses a strict `YYYY-MM-DD` date.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// The instant a `Birthday` value is stored as, or the rule it breaks: a date alone
/// is midnight UTC, an offset is converted to UTC, a date-time without offset is
/// `CT-BIRTHDAY`, a year outside 1601–9999 is `CT-DATE-RANGE`.
pub fn judge_birthday(s: &str) -> Result<DateTime<Utc>, Broken> {
    if s.len() == 10 {
        let d = parse_date(s).ok_or_else(|| Broken::new("CT-TYPES", DATE_CODES))?;
        if !in_range(d.year()) {
            return Err(Broken::new("CT-DATE-RANGE", DATE_CODES));
        }
        return Ok(d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
    }
    match DateTime::parse_from_rfc3339(s) {
        Ok(t) => {
            if !in_range(t.year()) {
                return Err(Broken::new("CT-DATE-RANGE", DATE_CODES));
            }
            Ok(t.with_timezone(&Utc))
        }
        Err(_) => {
            if NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").is_ok() {
                Err(Broken::new("CT-BIRTHDAY", &[ErrorCode::RequestBodyRead]))
            } else {
                Err(Broken::new("CT-TYPES", DATE_CODES))
            }
        }
    }
}

/// A `WeddingAnniversary` value, or the rule it breaks.
pub fn judge_date(s: &str) -> Result<NaiveDate, Broken> {
    let d = parse_date(s).ok_or_else(|| Broken::new("CT-TYPES", DATE_CODES))?;
    if !in_range(d.year()) {
        return Err(Broken::new("CT-DATE-RANGE", DATE_CODES));
    }
    Ok(d)
}

/// Parses a DateTimeOffset as returned by a server: it must name an instant with `Z`
/// or an offset of zero (SPEC.md §0).
pub fn parse_returned_instant(s: &str) -> Option<DateTime<Utc>> {
    let t = DateTime::parse_from_rfc3339(s).ok()?;
    (t.offset().local_minus_utc() == 0).then(|| t.with_timezone(&Utc))
}

/// The `DisplayName` values CT-DISPLAYNAME allows for a create that did not send one:
/// `GivenName` and `Surname` joined by one space, either alone when the other is
/// missing, `null` or `""` when both are. An empty string counts as either missing or
/// present (SPEC.md is silent), so both readings are allowed.
pub fn display_name_options(given: Option<&Value>, surname: Option<&Value>) -> Vec<Value> {
    fn readings(v: Option<&Value>) -> Vec<Option<String>> {
        match v.and_then(Value::as_str) {
            None => vec![None],
            Some("") => vec![None, Some(String::new())],
            Some(s) => vec![Some(s.to_string())],
        }
    }
    let mut out = Vec::new();
    for g in readings(given) {
        for s in readings(surname) {
            let v = match (&g, &s) {
                (Some(a), Some(b)) => Value::String(format!("{a} {b}")),
                (Some(a), None) => Value::String(a.clone()),
                (None, Some(b)) => Value::String(b.clone()),
                (None, None) => Value::Null,
            };
            if !out.contains(&v) {
                out.push(v);
            }
        }
    }
    if out.contains(&Value::Null) && !out.contains(&Value::String(String::new())) {
        out.push(Value::String(String::new()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn birthdays() {
        assert_eq!(
            judge_birthday("1974-07-22").unwrap().to_rfc3339(),
            "1974-07-22T00:00:00+00:00"
        );
        assert_eq!(
            judge_birthday("1974-07-22T01:00:00+05:30")
                .unwrap()
                .to_rfc3339(),
            "1974-07-21T19:30:00+00:00"
        );
        assert_eq!(
            judge_birthday("1974-07-22T01:00:00").unwrap_err().rule,
            "CT-BIRTHDAY"
        );
        assert_eq!(
            judge_birthday("1600-07-22").unwrap_err().rule,
            "CT-DATE-RANGE"
        );
        assert_eq!(judge_date("2019-02-29").unwrap_err().rule, "CT-TYPES");
    }

    #[test]
    fn display_names() {
        let g = json!("Ada");
        let s = json!("Lovelace");
        assert_eq!(
            display_name_options(Some(&g), Some(&s)),
            [json!("Ada Lovelace")]
        );
        assert_eq!(display_name_options(Some(&g), None), [json!("Ada")]);
        assert_eq!(display_name_options(None, None), [json!(null), json!("")]);
    }
}
