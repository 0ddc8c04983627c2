//! Time zones and wall times of DateTimeTimeZone values (SPEC.md §7, FL-ZONES,
//! FL-DATETIME, FL-DST), written from SPEC.md.

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use windows_timezones::WindowsTimezone;

/// The zones every server MUST know (FL-ZONES).
pub const MUST_ZONES: &[&str] = &[
    "UTC",
    "Pacific Standard Time",
    "Eastern Standard Time",
    "W. Europe Standard Time",
    "Tokyo Standard Time",
    "America/Los_Angeles",
    "Europe/Berlin",
    "Asia/Tokyo",
];

/// Windows zone names (CLDR windowsZones) the generators use beyond the MUST list;
/// a server SHOULD know them.
pub const WINDOWS_ZONES: &[&str] = &[
    "India Standard Time",
    "Nepal Standard Time",
    "AUS Eastern Standard Time",
    "Lord Howe Standard Time",
    "Chatham Islands Standard Time",
    "Newfoundland Standard Time",
    "Line Islands Standard Time",
    "GMT Standard Time",
    "E. South America Standard Time",
    "Egypt Standard Time",
    "Iran Standard Time",
    "Cen. Australia Standard Time",
    "SA Pacific Standard Time",
    "Romance Standard Time",
    "Dateline Standard Time",
    "UTC-11",
    "UTC+12",
    "Morocco Standard Time",
    "Central Standard Time",
    "Hawaiian Standard Time",
];

/// IANA zone names the generators use beyond the MUST list; a server SHOULD know them.
pub const IANA_ZONES: &[&str] = &[
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "America/St_Johns",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "Europe/London",
    "Europe/Dublin",
    "America/Sao_Paulo",
    "Africa/Cairo",
    "Asia/Tehran",
    "Australia/Adelaide",
    "Etc/GMT+5",
    "America/New_York",
    "Africa/Casablanca",
];

/// Whether a zone name is one a server MUST know.
pub fn is_must_zone(name: &str) -> bool {
    MUST_ZONES.contains(&name)
}

/// Resolves a zone name (a Windows name of the CLDR table, or an IANA name).
pub fn resolve_zone(name: &str) -> Option<Tz> {
    if name == "UTC" {
        return Some(Tz::UTC);
    }
    if let Ok(w) = name.parse::<WindowsTimezone>() {
        return Some(Tz::from(w));
    }
    name.parse::<Tz>().ok()
}

/// Why a `DateTime` wall-time string is not acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WallError {
    /// It does not parse as a wall time without offset (FL-DATETIME).
    Unparsable,
    /// It carries `Z` or an offset (FL-DATETIME).
    HasOffset,
    /// It does not exist in its zone (FL-DST).
    Nonexistent,
}

/// Parses a wall time `YYYY-MM-DDTHH:MM:SS` with 0–7 fractional digits.
pub fn parse_wall(s: &str) -> Result<NaiveDateTime, WallError> {
    let has_offset = s.ends_with('Z')
        || s.ends_with('z')
        || s.get(19..)
            .is_some_and(|t| t.contains('+') || t.contains('-'));
    if has_offset {
        return Err(WallError::HasOffset);
    }
    let frac = s.get(19..).unwrap_or("");
    if !frac.is_empty() {
        let digits = frac.strip_prefix('.').ok_or(WallError::Unparsable)?;
        if digits.is_empty() || digits.len() > 7 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(WallError::Unparsable);
        }
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").map_err(|_| WallError::Unparsable)
}

/// The instant a wall time names in a zone: a time that exists twice takes the
/// earlier instant (FL-DST); a time that does not exist is an error.
pub fn wall_to_utc(wall: NaiveDateTime, tz: Tz) -> Result<DateTime<Utc>, WallError> {
    match tz.from_local_datetime(&wall) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, b) => Ok(a.with_timezone(&Utc).min(b.with_timezone(&Utc))),
        LocalResult::None => Err(WallError::Nonexistent),
    }
}

/// The wall time of an instant in a zone.
pub fn utc_to_wall(t: DateTime<Utc>, tz: Tz) -> NaiveDateTime {
    t.with_timezone(&tz).naive_local()
}

/// Formats a wall time with exactly `digits` fractional digits (0–7).
pub fn format_wall(w: NaiveDateTime, digits: u8) -> String {
    let base = w.format("%Y-%m-%dT%H:%M:%S").to_string();
    if digits == 0 {
        return base;
    }
    let nanos = format!("{:09}", w.and_utc().timestamp_subsec_nanos());
    format!("{base}.{}", &nanos[..usize::from(digits.min(7))])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_resolve() {
        for z in MUST_ZONES.iter().chain(WINDOWS_ZONES).chain(IANA_ZONES) {
            assert!(resolve_zone(z).is_some(), "{z}");
        }
        assert!(resolve_zone("Mars/Olympus").is_none());
    }

    #[test]
    fn walls() {
        assert_eq!(
            parse_wall("2018-02-05T18:00:00Z"),
            Err(WallError::HasOffset)
        );
        assert_eq!(
            parse_wall("2018-02-05T18:00:00+01:00"),
            Err(WallError::HasOffset)
        );
        assert_eq!(
            parse_wall("2018-02-30T18:00:00"),
            Err(WallError::Unparsable)
        );
        assert!(parse_wall("2018-02-05T18:00:00.1234567").is_ok());
        let la = resolve_zone("Pacific Standard Time").unwrap();
        let gap = parse_wall("2018-03-11T02:30:00").unwrap();
        assert_eq!(wall_to_utc(gap, la), Err(WallError::Nonexistent));
        let fold = parse_wall("2018-11-04T01:30:00").unwrap();
        assert_eq!(
            wall_to_utc(fold, la).unwrap().to_rfc3339(),
            "2018-11-04T08:30:00+00:00"
        );
        let w = parse_wall("2018-02-05T18:00:00.5").unwrap();
        assert_eq!(format_wall(w, 7), "2018-02-05T18:00:00.5000000");
    }
}
