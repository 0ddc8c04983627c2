//! Date and time strategies: Birthday values (date-only, `Z`, offsets), Date values,
//! and DateTimeTimeZone values in many IANA and Windows zones.

use crate::oracle::zones::{
    IANA_ZONES, MUST_ZONES, WINDOWS_ZONES, format_wall, resolve_zone, wall_to_utc,
};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use proptest::prelude::*;
use serde_json::{Value, json};

/// A valid calendar date with a year in `years`.
pub fn date_in(years: std::ops::RangeInclusive<i32>) -> impl Strategy<Value = NaiveDate> {
    (years, 1u32..=12, 1u32..=31).prop_map(|(y, m, d)| {
        NaiveDate::from_ymd_opt(y, m, d)
            .or_else(|| NaiveDate::from_ymd_opt(y, m, 28))
            .unwrap_or_default()
    })
}

/// A `Birthday` value: a date alone, or a date-time with `Z` or an offset, sometimes
/// with fractional seconds. Years stay one away from the range ends so that an
/// offset never moves the instant out of range.
pub fn birthday() -> impl Strategy<Value = String> {
    let offsets = prop::sample::select(
        &[
            "Z", "+00:00", "-08:00", "+05:30", "+05:45", "+14:00", "-12:00", "+09:30", "-03:30",
            "+01:00",
        ][..],
    );
    prop_oneof![
        date_in(1602..=9998).prop_map(|d| d.format("%Y-%m-%d").to_string()),
        (
            date_in(1602..=9998),
            0u32..24,
            0u32..60,
            0u32..60,
            prop::option::of(0u32..1000),
            offsets
        )
            .prop_map(|(d, h, mi, s, ms, off)| {
                let frac = ms.map(|m| format!(".{m:03}")).unwrap_or_default();
                format!("{}T{h:02}:{mi:02}:{s:02}{frac}{off}", d.format("%Y-%m-%d"))
            }),
    ]
}

/// A `WeddingAnniversary` value (`YYYY-MM-DD`, years 1601–9999).
pub fn date_value() -> impl Strategy<Value = String> {
    prop_oneof![
        date_in(1601..=9999),
        Just(NaiveDate::from_ymd_opt(1601, 1, 1).unwrap_or_default()),
        Just(NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or_default()),
        Just(NaiveDate::from_ymd_opt(2020, 2, 29).unwrap_or_default()),
    ]
    .prop_map(|d| d.format("%Y-%m-%d").to_string())
}

/// A zone name: mostly one of the MUST zones (FL-ZONES), sometimes another Windows or
/// IANA name (which a server SHOULD know).
pub fn zone(must_only: bool) -> BoxedStrategy<&'static str> {
    if must_only {
        prop::sample::select(MUST_ZONES).boxed()
    } else {
        prop_oneof![
            3 => prop::sample::select(MUST_ZONES),
            1 => prop::sample::select(WINDOWS_ZONES),
            1 => prop::sample::select(IANA_ZONES),
        ]
        .boxed()
    }
}

/// A wall time in 1990–2040 with a sub-second part of 0–7 digits.
pub fn wall() -> impl Strategy<Value = (NaiveDateTime, u8)> {
    (
        date_in(1990..=2040),
        0u32..24,
        prop::sample::select(&[0u32, 15, 30, 45][..]),
        0u8..=7,
        0u32..10_000_000,
    )
        .prop_map(|(d, h, mi, digits, frac)| {
            let scale = 10u32.pow(7 - u32::from(digits));
            let nanos = if digits == 0 {
                0
            } else {
                (frac / scale) * scale * 100
            };
            let t = NaiveTime::from_hms_nano_opt(h, mi, 0, nanos).unwrap_or_default();
            (NaiveDateTime::new(d, t), digits)
        })
}

/// A DateTimeTimeZone value that exists in its zone, as `(json, wall, zone)`. A wall
/// time in a DST gap is moved to noon.
pub fn dttz(must_only: bool) -> impl Strategy<Value = (Value, NaiveDateTime, &'static str)> {
    (wall(), zone(must_only)).prop_map(|((w, digits), z)| {
        let tz = resolve_zone(z).unwrap_or(chrono_tz::Tz::UTC);
        let w = if wall_to_utc(w, tz).is_ok() {
            w
        } else {
            w.date().and_hms_opt(12, 0, 0).unwrap_or(w)
        };
        (
            json!({"DateTime": format_wall(w, digits), "TimeZone": z}),
            w,
            z,
        )
    })
}
