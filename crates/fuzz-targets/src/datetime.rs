//! The DateTimeTimeZone parts: wall times, instants, zone names, wall → UTC.

use contactspec_server::parse::{
    format_instant, format_wall, parse_instant, parse_wall, resolve_zone, wall_to_utc,
};

/// Oracle: nothing panics; a wall time that parses prints (7 fractional digits) to a
/// form that parses to the same time; an instant likewise; a zone resolves again
/// from its own IANA name to the same zone; a wall time converted to UTC converts
/// back to the same wall time (or a later one, for an ambiguous time: never a
/// different wall time outside the fold).
pub fn datetime(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (a, b) = text.split_once('|').unwrap_or((text, "UTC"));
    if let Some(t) = parse_wall(a) {
        let printed = format_wall(t);
        assert_eq!(
            parse_wall(&printed),
            Some(t),
            "wall {a:?} -> {printed:?} does not round-trip"
        );
        if let Some(tz) = resolve_zone(b)
            && let Ok(utc) = wall_to_utc(t, tz)
        {
            let back = utc.with_timezone(&tz).naive_local();
            assert_eq!(back, t, "{a:?} in {b:?} -> {utc} -> {back}");
        }
    }
    if let Some(t) = parse_instant(a) {
        let printed = format_instant(t);
        assert_eq!(
            parse_instant(&printed),
            Some(t),
            "instant {a:?} -> {printed:?} does not round-trip"
        );
    }
    if let Some(tz) = resolve_zone(a) {
        assert_eq!(
            resolve_zone(tz.name()),
            Some(tz),
            "zone {a:?} -> {} does not resolve again",
            tz.name()
        );
    }
}
