//! Contact bodies of POST and PATCH (CT-TYPES, CT-READONLY, CT-UNKNOWN-PROPERTY,
//! CT-BIRTHDAY, CT-DATE-RANGE, CT-LIMITS) and the follow-up flag rules (§7).
//!
//! Decisions where SPEC.md leaves room:
//! * Annotations: any member whose name contains `@` (`@odata.type`,
//!   `GivenName@odata.type`) is ignored, at the top level and inside complex
//!   values (SDKs send `@odata.type` inside EmailAddress); it is not stored.
//! * Inside complex values a member sent as `null` is kept as `null`.
//! * Strings longer than 4,096 UTF-16 code units are accepted (CT-LIMITS only
//!   requires accepting up to 4,096).
//! * Out-of-range and impossible dates are `RequestBodyRead`; flag rule
//!   violations, unparsable flag date-times and unknown zones are
//!   `ErrorInvalidArgument`; a flag date value of the wrong JSON type is
//!   `RequestBodyRead`.

use chrono::{DateTime, Datelike, NaiveTime, Utc};
use contactspec_model::properties::{
    ADDRESS_TYPES, FLAG_STATUSES, MAX_ADDRESSES, PHONE_TYPES, WEBSITE_TYPES, contact_property,
};
use contactspec_model::{ErrorCode, PropKind};
use serde_json::{Map, Value};

use super::ParseError;
use super::datetime::{
    format_instant, format_wall, parse_date, parse_instant, parse_wall, resolve_zone, wall_to_utc,
};
use super::json::parse_json_strict;

/// Whether a body creates a contact (POST) or updates one (PATCH).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteMode {
    /// POST: `ChangeKey` is read-only.
    Create,
    /// PATCH: `ChangeKey` is a concurrency check (CT-CONFLICT-BODY).
    Update,
}

/// A validated contact body.
#[derive(Clone, Debug, PartialEq)]
pub struct ContactWrite {
    /// Writable properties with normalised values, canonical names, in body order.
    pub properties: Vec<(&'static str, Value)>,
    /// The `ChangeKey` of a PATCH body, if sent.
    pub change_key: Option<String>,
}

/// Whether a member name is an annotation (ignored everywhere).
fn is_annotation(name: &str) -> bool {
    name.contains('@')
}

/// Years `Birthday` and `WeddingAnniversary` accept (CT-DATE-RANGE).
const YEARS: std::ops::RangeInclusive<i32> = 1601..=9999;

/// Parses and validates a contact body. See the module docs for the decisions.
pub fn parse_contact_write(
    body: &[u8],
    mode: WriteMode,
    now: DateTime<Utc>,
) -> Result<ContactWrite, ParseError> {
    let Value::Object(obj) = parse_json_strict(body)? else {
        return Err(ParseError::body("the body must be a JSON object"));
    };
    let mut out = ContactWrite {
        properties: Vec::new(),
        change_key: None,
    };
    for (name, value) in &obj {
        if is_annotation(name) {
            continue;
        }
        let Some(prop) = contact_property(name) else {
            return Err(ParseError::body(format!(
                "the property '{name}' does not exist on type Contact"
            )));
        };
        if prop.name == "ChangeKey" && mode == WriteMode::Update {
            match value {
                Value::String(s) => out.change_key = Some(s.clone()),
                _ => return Err(ParseError::body("ChangeKey must be a string")),
            }
            continue;
        }
        if !prop.writable {
            return Err(ParseError::new(
                ErrorCode::ErrorInvalidPropertySet,
                format!("the property '{}' is read-only", prop.name),
            ));
        }
        let normalised = match prop.kind {
            PropKind::String => string_or_null(value, prop.name)?,
            PropKind::StringArray => {
                let v = string_array(value, prop.name)?;
                if prop.name == "ImAddresses" {
                    at_most(&v, MAX_ADDRESSES, prop.name)?;
                }
                v
            }
            PropKind::DateTimeOffset => birthday(value)?,
            PropKind::Date => anniversary(value)?,
            PropKind::EmailAddresses => {
                let v = complex_array(value, prop.name, &[("Name", None), ("Address", None)])?;
                at_most(&v, MAX_ADDRESSES, prop.name)?;
                v
            }
            PropKind::Phones => complex_array(
                value,
                prop.name,
                &[("Number", None), ("Type", Some(PHONE_TYPES))],
            )?,
            PropKind::PostalAddresses => complex_array(
                value,
                prop.name,
                &[
                    ("Type", Some(ADDRESS_TYPES)),
                    ("Street", None),
                    ("City", None),
                    ("State", None),
                    ("CountryOrRegion", None),
                    ("PostalCode", None),
                ],
            )?,
            PropKind::Websites => complex_array(
                value,
                prop.name,
                &[
                    ("Type", Some(WEBSITE_TYPES)),
                    ("Address", None),
                    ("DisplayName", None),
                ],
            )?,
            PropKind::Flag => validate_flag(value, now)?,
            // Server-set kinds are never writable; handled above.
            PropKind::ServerString | PropKind::ServerDateTime | PropKind::Boolean => {
                return Err(ParseError::new(
                    ErrorCode::ErrorInvalidPropertySet,
                    format!("the property '{}' is read-only", prop.name),
                ));
            }
        };
        out.properties.push((prop.name, normalised));
    }
    Ok(out)
}

fn wrong_type(what: &str, expected: &str) -> ParseError {
    ParseError::body(format!("{what} must be {expected}"))
}

fn string_or_null(v: &Value, what: &str) -> Result<Value, ParseError> {
    match v {
        Value::Null | Value::String(_) => Ok(v.clone()),
        _ => Err(wrong_type(what, "a string or null")),
    }
}

fn string_array(v: &Value, what: &str) -> Result<Value, ParseError> {
    let Value::Array(items) = v else {
        return Err(wrong_type(what, "an array of strings"));
    };
    if items.iter().all(Value::is_string) {
        Ok(v.clone())
    } else {
        Err(wrong_type(&format!("every item of {what}"), "a string"))
    }
}

fn at_most(v: &Value, max: usize, what: &str) -> Result<(), ParseError> {
    match v.as_array() {
        Some(items) if items.len() > max => Err(ParseError::argument(format!(
            "{what} holds at most {max} items, not {}",
            items.len()
        ))),
        _ => Ok(()),
    }
}

/// A member of a complex type: its name and, for enums, the allowed values.
type Member = (&'static str, Option<&'static [&'static str]>);

/// Validates one complex value: an object whose members are known (exact case),
/// strings or null, enum values exact. Annotations are dropped.
fn complex(v: &Value, what: &str, members: &[Member]) -> Result<Value, ParseError> {
    let Value::Object(obj) = v else {
        return Err(wrong_type(what, "an object"));
    };
    let mut out = Map::new();
    for (name, value) in obj {
        if is_annotation(name) {
            continue;
        }
        let Some((member, allowed)) = members.iter().find(|(m, _)| m == name) else {
            return Err(ParseError::body(format!("{what} has no member '{name}'")));
        };
        match (value, allowed) {
            (Value::Null, _) => {}
            (Value::String(s), Some(allowed)) if !allowed.contains(&s.as_str()) => {
                return Err(ParseError::body(format!(
                    "'{s}' is not a value of {what}.{member} (one of {})",
                    allowed.join(", ")
                )));
            }
            (Value::String(_), _) => {}
            _ => return Err(wrong_type(&format!("{what}.{member}"), "a string or null")),
        }
        out.insert((*member).to_owned(), value.clone());
    }
    Ok(Value::Object(out))
}

fn complex_array(v: &Value, what: &str, members: &[Member]) -> Result<Value, ParseError> {
    let Value::Array(items) = v else {
        return Err(wrong_type(what, "an array"));
    };
    items
        .iter()
        .map(|item| complex(item, what, members))
        .collect::<Result<Vec<_>, _>>()
        .map(Value::Array)
}

/// `Birthday` (CT-BIRTHDAY, CT-DATE-RANGE): a DateTimeOffset (converted to UTC) or
/// a date alone (midnight UTC), or null. A date-time without offset is an error.
pub fn birthday(v: &Value) -> Result<Value, ParseError> {
    let s = match v {
        Value::Null => return Ok(Value::Null),
        Value::String(s) => s,
        _ => return Err(wrong_type("Birthday", "a DateTimeOffset string or null")),
    };
    let instant = if let Some(d) = parse_date(s) {
        d.and_time(NaiveTime::MIN).and_utc()
    } else if let Some(t) = parse_instant(s) {
        t
    } else if parse_wall(s).is_some() {
        return Err(ParseError::body(format!(
            "Birthday '{s}' needs an offset or Z"
        )));
    } else {
        return Err(ParseError::body(format!("Birthday '{s}' is not a date")));
    };
    if !YEARS.contains(&instant.year()) {
        return Err(ParseError::body(format!(
            "Birthday '{s}' is outside the years 1601 to 9999"
        )));
    }
    Ok(Value::String(format_instant(instant)))
}

/// `WeddingAnniversary` (CT-DATE-RANGE): `YYYY-MM-DD` or null.
pub fn anniversary(v: &Value) -> Result<Value, ParseError> {
    let s = match v {
        Value::Null => return Ok(Value::Null),
        Value::String(s) => s,
        _ => return Err(wrong_type("WeddingAnniversary", "a date string or null")),
    };
    match parse_date(s) {
        Some(d) if YEARS.contains(&d.year()) => Ok(Value::String(s.clone())),
        Some(_) => Err(ParseError::body(format!(
            "WeddingAnniversary '{s}' is outside the years 1601 to 9999"
        ))),
        None => Err(ParseError::body(format!(
            "WeddingAnniversary '{s}' is not a YYYY-MM-DD date"
        ))),
    }
}

/// One DateTimeTimeZone of a flag, converted to a UTC instant (FL-DATETIME,
/// FL-DST). `Ok(None)` for `null`.
fn flag_date(v: &Value, what: &str) -> Result<Option<DateTime<Utc>>, ParseError> {
    let obj = match v {
        Value::Null => return Ok(None),
        Value::Object(o) => o,
        _ => return Err(wrong_type(what, "a DateTimeTimeZone object or null")),
    };
    let mut date_time = None;
    let mut zone = None;
    for (name, value) in obj {
        if is_annotation(name) {
            continue;
        }
        let slot = match name.as_str() {
            "DateTime" => &mut date_time,
            "TimeZone" => &mut zone,
            _ => return Err(ParseError::body(format!("{what} has no member '{name}'"))),
        };
        match value {
            Value::Null => {}
            Value::String(s) => *slot = Some(s.as_str()),
            _ => return Err(wrong_type(&format!("{what}.{name}"), "a string")),
        }
    }
    let date_time =
        date_time.ok_or_else(|| ParseError::argument(format!("{what} needs a DateTime")))?;
    let zone = zone.ok_or_else(|| ParseError::argument(format!("{what} needs a TimeZone")))?;
    let wall = parse_wall(date_time).ok_or_else(|| {
        ParseError::argument(format!(
            "{what}.DateTime '{date_time}' is not a date-time without offset"
        ))
    })?;
    let tz = resolve_zone(zone)
        .ok_or_else(|| ParseError::argument(format!("unknown time zone '{zone}'")))?;
    let instant =
        wall_to_utc(wall, tz).map_err(|e| ParseError::argument(format!("{what}: {e}")))?;
    if !(1..=9999).contains(&instant.year()) {
        return Err(ParseError::argument(format!("{what} is out of range")));
    }
    Ok(Some(instant))
}

fn utc_dttz(t: DateTime<Utc>) -> Value {
    let mut m = Map::new();
    m.insert("DateTime".into(), Value::String(format_wall(t.naive_utc())));
    m.insert("TimeZone".into(), Value::String("UTC".into()));
    Value::Object(m)
}

/// Validates a `Flag` value and returns the flag to store (§7): `FlagStatus` plus
/// only the date members that are set, in UTC with 7 fractional digits.
///
/// FL-SHAPE, FL-DATETIME, FL-DST, FL-NOTFLAGGED, FL-NO-COMPLETED-WHEN-FLAGGED,
/// FL-DUE-NEEDS-START, FL-ORDER are checked; FL-FLAGGED, FL-COMPLETE,
/// FL-COMPLETE-DROPS and FL-COMPLETE-NOW normalise. `now` is the request time.
pub fn validate_flag(v: &Value, now: DateTime<Utc>) -> Result<Value, ParseError> {
    let obj = match v {
        Value::Object(o) => o,
        Value::Null => return Err(ParseError::body("Flag cannot be null")),
        _ => return Err(wrong_type("Flag", "a FollowupFlag object")),
    };
    let mut status = None;
    let (mut start, mut due, mut completed) = (None, None, None);
    for (name, value) in obj {
        if is_annotation(name) {
            continue;
        }
        match name.as_str() {
            "FlagStatus" => match value {
                Value::String(s) if FLAG_STATUSES.contains(&s.as_str()) => {
                    status = Some(s.as_str())
                }
                Value::String(s) => {
                    return Err(ParseError::body(format!(
                        "'{s}' is not a FlagStatus (one of {})",
                        FLAG_STATUSES.join(", ")
                    )));
                }
                Value::Null => {}
                _ => return Err(wrong_type("Flag.FlagStatus", "a string")),
            },
            "StartDateTime" => start = flag_date(value, "Flag.StartDateTime")?,
            "DueDateTime" => due = flag_date(value, "Flag.DueDateTime")?,
            "CompletedDateTime" => completed = flag_date(value, "Flag.CompletedDateTime")?,
            _ => return Err(ParseError::body(format!("Flag has no member '{name}'"))),
        }
    }
    let status = status.ok_or_else(|| ParseError::body("Flag needs a FlagStatus"))?;
    if status == "NotFlagged" && (start.is_some() || due.is_some() || completed.is_some()) {
        return Err(ParseError::argument("a NotFlagged flag carries no dates"));
    }
    if status == "Flagged" && completed.is_some() {
        return Err(ParseError::argument(
            "a Flagged flag cannot have a CompletedDateTime",
        ));
    }
    if due.is_some() && start.is_none() {
        return Err(ParseError::argument("a DueDateTime needs a StartDateTime"));
    }
    if let (Some(s), Some(d)) = (start, due)
        && d < s
    {
        return Err(ParseError::argument(
            "DueDateTime is earlier than StartDateTime",
        ));
    }
    let mut out = Map::new();
    out.insert("FlagStatus".into(), Value::String(status.to_owned()));
    match status {
        "Flagged" => {
            if let Some(s) = start {
                out.insert("StartDateTime".into(), utc_dttz(s));
            }
            if let Some(d) = due {
                out.insert("DueDateTime".into(), utc_dttz(d));
            }
        }
        "Complete" => {
            let day = completed.unwrap_or(now).date_naive();
            out.insert(
                "CompletedDateTime".into(),
                utc_dttz(day.and_time(NaiveTime::MIN).and_utc()),
            );
        }
        _ => {}
    }
    Ok(Value::Object(out))
}
