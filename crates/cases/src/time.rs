//! The two date-time forms case expectations use (`$instant`, `$wall`), shared by the
//! validator (which checks literal values in case files) and the runner's matchers.

use chrono::{DateTime, FixedOffset, NaiveDateTime};

/// Parses an RFC 3339 instant (DateTimeOffset).
pub fn parse_instant(s: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(s).ok()
}

/// Parses a wall time without offset, with any number of fractional digits.
pub fn parse_wall(s: &str) -> Option<NaiveDateTime> {
    if s.ends_with('Z') || s.ends_with('z') {
        return None;
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok()
}
