//! Instants, wall-clock times and time zones (SPEC.md §7, FL-DATETIME, FL-ZONES,
//! FL-DST, FL-TIMEZONE-PREFER).

use chrono::{
    DateTime, Datelike, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime,
    SecondsFormat, TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;
use serde_json::{Map, Value};
use windows_timezones::WindowsTimezone;

/// Resolves a time zone name: `UTC`, any IANA name known to chrono-tz
/// (`America/Los_Angeles`), or any Windows name of the CLDR windowsZones table
/// (`Pacific Standard Time`). Names are matched exactly.
pub fn resolve_zone(name: &str) -> Option<Tz> {
    if name == "UTC" {
        return Some(Tz::UTC);
    }
    if let Ok(tz) = name.parse::<Tz>() {
        return Some(tz);
    }
    name.parse::<WindowsTimezone>().ok().map(Tz::from)
}

/// Parses `YYYY-MM-DD` exactly (four-digit year, two-digit month and day).
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y = digits(&b[0..4])?;
    let m = digits(&b[5..7])?;
    let d = digits(&b[8..10])?;
    NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)
}

/// The value of an all-digit ASCII slice (at most 9 digits).
fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 9 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')))
}

/// Parses `HH:MM`, `HH:MM:SS` or `HH:MM:SS.f…` (1 to `max_frac` digits) at the
/// start of `s`; returns the time and the rest of the string.
fn parse_time_prefix(s: &str, max_frac: usize) -> Option<(NaiveTime, &str)> {
    let b = s.as_bytes();
    if b.len() < 5 || b[2] != b':' {
        return None;
    }
    let h = digits(&b[0..2])?;
    let mi = digits(&b[3..5])?;
    let mut i = 5;
    let mut sec = 0;
    let mut nanos = 0;
    if b.get(i) == Some(&b':') {
        sec = digits(b.get(i + 1..i + 3)?)?;
        i += 3;
        if b.get(i) == Some(&b'.') {
            let start = i + 1;
            let mut end = start;
            while end < b.len() && b[end].is_ascii_digit() {
                end += 1;
            }
            let n = end - start;
            if n == 0 || n > max_frac {
                return None;
            }
            // Keep at most 9 digits (nanoseconds); `max_frac` never exceeds 9.
            let frac = digits(&b[start..end])?;
            nanos = frac * 10u32.pow(9 - u32::try_from(n).ok()?);
            i = end;
        }
    }
    let t = NaiveTime::from_hms_nano_opt(h, mi, sec, nanos)?;
    if sec > 59 || nanos >= 1_000_000_000 {
        return None;
    }
    Some((t, &s[i..]))
}

/// Parses a DateTimeOffset: `2017-01-01T00:00:00Z`, with `Z` or an offset
/// `±HH:MM`, seconds optional, up to 9 fractional digits. Returns it in UTC.
pub fn parse_instant(s: &str) -> Option<DateTime<Utc>> {
    let (wall, rest) = parse_wall_prefix(s, 9)?;
    let offset = match rest.as_bytes() {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let h = digits(&[*h1, *h2])?;
            let m = digits(&[*m1, *m2])?;
            if h > 23 || m > 59 {
                return None;
            }
            let secs = i32::try_from(h * 3600 + m * 60).ok()?;
            if *sign == b'-' { -secs } else { secs }
        }
        _ => return None,
    };
    let fixed = FixedOffset::east_opt(offset)?;
    match fixed.from_local_datetime(&wall) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        _ => None,
    }
}

fn parse_wall_prefix(s: &str, max_frac: usize) -> Option<(NaiveDateTime, &str)> {
    let date = parse_date(s.get(0..10)?)?;
    if !matches!(s.as_bytes().get(10), Some(b'T' | b't')) {
        return None;
    }
    let (time, rest) = parse_time_prefix(s.get(11..)?, max_frac)?;
    Some((date.and_time(time), rest))
}

/// Formats an instant as `2017-01-01T00:00:00Z`; fractional seconds only when
/// non-zero (3, 6 or 9 digits).
pub fn format_instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Parses a wall-clock time of a DateTimeTimeZone: `2017-12-22T08:00:00.0000000`,
/// seconds optional, 0 to 7 fractional digits, no offset and no `Z`.
pub fn parse_wall(s: &str) -> Option<NaiveDateTime> {
    match parse_wall_prefix(s, 7)? {
        (wall, "") => Some(wall),
        _ => None,
    }
}

/// Why a wall-clock time has no instant in its zone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WallError {
    /// The time falls into a gap (a DST jump forward) of the zone (FL-DST).
    #[error("{wall} does not exist in time zone {zone}")]
    Nonexistent {
        /// The wall time as given.
        wall: NaiveDateTime,
        /// The zone's IANA name.
        zone: String,
    },
}

/// Converts a wall time in `tz` to UTC. A time in a DST gap is an error; a time
/// that occurs twice takes the earlier instant, the one with the earlier
/// (pre-transition) offset (FL-DST).
pub fn wall_to_utc(wall: NaiveDateTime, tz: Tz) -> Result<DateTime<Utc>, WallError> {
    match tz.from_local_datetime(&wall) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, b) => Ok(a.with_timezone(&Utc).min(b.with_timezone(&Utc))),
        LocalResult::None => Err(WallError::Nonexistent {
            wall,
            zone: tz.name().to_owned(),
        }),
    }
}

/// Formats a wall time with exactly 7 fractional digits:
/// `2017-12-22T08:00:00.0000000`.
pub fn format_wall(t: NaiveDateTime) -> String {
    let ticks = (t.nanosecond() % 1_000_000_000) / 100;
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:07}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        ticks
    )
}

/// The date members of a FollowupFlag.
pub const FLAG_DATE_MEMBERS: [&str; 3] = ["StartDateTime", "DueDateTime", "CompletedDateTime"];

/// A stored flag (dates as UTC DateTimeTimeZone values) shown in `tz`: each date
/// member's wall time converted to `tz` and its `TimeZone` set to `label` (the
/// zone name as the client sent it, FL-TIMEZONE-PREFER). Members that do not
/// parse are left as they are; a value that is not an object is returned as is.
pub fn flag_in_zone(flag: &Value, label: &str, tz: Tz) -> Value {
    let Some(obj) = flag.as_object() else {
        return flag.clone();
    };
    let mut out = Map::new();
    for (k, v) in obj {
        let converted = FLAG_DATE_MEMBERS
            .contains(&k.as_str())
            .then(|| dttz_in_zone(v, label, tz))
            .flatten();
        out.insert(k.clone(), converted.unwrap_or_else(|| v.clone()));
    }
    Value::Object(out)
}

fn dttz_in_zone(v: &Value, label: &str, tz: Tz) -> Option<Value> {
    let o = v.as_object()?;
    let wall = parse_wall(o.get("DateTime")?.as_str()?)?;
    let from = resolve_zone(o.get("TimeZone")?.as_str()?)?;
    let instant = wall_to_utc(wall, from).ok()?;
    let local = instant.with_timezone(&tz).naive_local();
    let mut out = o.clone();
    out.insert("DateTime".into(), Value::String(format_wall(local)));
    out.insert("TimeZone".into(), Value::String(label.to_owned()));
    Some(Value::Object(out))
}
