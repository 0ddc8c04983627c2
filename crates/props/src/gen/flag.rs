//! Flag strategies: every valid FollowupFlag shape of SPEC.md §7, and arbitrary
//! (valid or invalid) flags for the flag-rule property.

use super::dates::dttz;
use crate::oracle::zones::{format_wall, resolve_zone, utc_to_wall, wall_to_utc};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn obj(pairs: Vec<(&str, Value)>) -> Value {
    let mut m = Map::new();
    for (k, v) in pairs {
        m.insert(k.to_string(), v);
    }
    Value::Object(m)
}

/// A due date `delta_min` minutes after a start, in zone `z`, never before the start.
fn due_after(
    start: &Value,
    start_wall: chrono::NaiveDateTime,
    start_zone: &str,
    z: &'static str,
    delta_min: i64,
) -> Value {
    let (Some(tz0), Some(tz1)) = (resolve_zone(start_zone), resolve_zone(z)) else {
        return start.clone();
    };
    let Ok(s) = wall_to_utc(start_wall, tz0) else {
        return start.clone();
    };
    let due = s + chrono::Duration::minutes(delta_min);
    let w = utc_to_wall(due, tz1);
    match wall_to_utc(w, tz1) {
        Ok(t) if t >= s => json!({"DateTime": format_wall(w, 7), "TimeZone": z}),
        _ => start.clone(),
    }
}

/// Every valid flag shape: NotFlagged (with or without explicit `null` dates),
/// Flagged with no dates, a start, or a start and a later due date, Complete with or
/// without a completion date (and with start/due that it drops).
pub fn valid_flag(must_only: bool) -> BoxedStrategy<Value> {
    let z = super::dates::zone(must_only);
    prop_oneof![
        Just(json!({"FlagStatus": "NotFlagged"})),
        Just(json!({"FlagStatus": "NotFlagged", "StartDateTime": null, "DueDateTime": null, "CompletedDateTime": null})),
        Just(json!({"FlagStatus": "Flagged"})),
        dttz(must_only).prop_map(|(s, _, _)| obj(vec![("FlagStatus", json!("Flagged")), ("StartDateTime", s)])),
        (dttz(must_only), z.clone(), 0i64..200_000).prop_map(|((s, w, sz), dz, d)| {
            let due = due_after(&s, w, sz, dz, d);
            obj(vec![("FlagStatus", json!("Flagged")), ("StartDateTime", s), ("DueDateTime", due)])
        }),
        Just(json!({"FlagStatus": "Complete"})),
        dttz(must_only).prop_map(|(c, _, _)| obj(vec![("FlagStatus", json!("Complete")), ("CompletedDateTime", c)])),
        (dttz(must_only), dttz(must_only), z, 0i64..200_000).prop_map(|((c, _, _), (s, w, sz), dz, d)| {
            let due = due_after(&s, w, sz, dz, d);
            obj(vec![
                ("FlagStatus", json!("Complete")),
                ("CompletedDateTime", c),
                ("StartDateTime", s),
                ("DueDateTime", due),
            ])
        }),
    ]
    .boxed()
}

/// One date member of an arbitrary flag.
fn any_member() -> impl Strategy<Value = Option<Value>> {
    let wall = (0u32..4, 0u32..24).prop_map(|(d, h)| format!("2018-03-{:02}T{h:02}:30:00", 9 + d));
    prop_oneof![
        4 => Just(None),
        1 => Just(Some(Value::Null)),
        5 => (wall.clone(), prop::sample::select(crate::oracle::zones::MUST_ZONES))
            .prop_map(|(w, z)| Some(json!({"DateTime": w, "TimeZone": z}))),
        1 => wall.clone().prop_map(|w| Some(json!({"DateTime": format!("{w}Z"), "TimeZone": "UTC"}))),
        1 => wall.clone().prop_map(|w| Some(json!({"DateTime": w, "TimeZone": "Mars/Olympus"}))),
        1 => wall.prop_map(|w| Some(json!({"DateTime": w}))),
        1 => Just(Some(json!({"DateTime": "2018-03-11T02:30:00", "TimeZone": "Pacific Standard Time"}))),
        1 => Just(Some(json!({"DateTime": "not a time", "TimeZone": "UTC"}))),
    ]
}

/// An arbitrary flag: any status (or none, or a wrong-case one) with any mix of date
/// members, valid or not. The oracle ([`crate::oracle::flag::judge_flag`]) decides.
pub fn any_flag() -> impl Strategy<Value = Value> {
    let status = prop::sample::select(
        &[
            Some("NotFlagged"),
            Some("Flagged"),
            Some("Complete"),
            None,
            Some("flagged"),
        ][..],
    );
    (status, any_member(), any_member(), any_member()).prop_map(|(st, s, d, c)| {
        let mut m = Map::new();
        if let Some(st) = st {
            m.insert("FlagStatus".into(), json!(st));
        }
        for (k, v) in [
            ("StartDateTime", s),
            ("DueDateTime", d),
            ("CompletedDateTime", c),
        ] {
            if let Some(v) = v {
                m.insert(k.into(), v);
            }
        }
        Value::Object(m)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oracle::flag::{FlagVerdict, judge_flag};
    use proptest::test_runner::TestRunner;

    #[test]
    fn valid_flags_are_valid() {
        let mut r = TestRunner::deterministic();
        for must in [true, false] {
            let s = valid_flag(must);
            for _ in 0..300 {
                let v = s.new_tree(&mut r).unwrap().current();
                assert!(matches!(judge_flag(&v), FlagVerdict::Valid(_)), "{v}");
            }
        }
    }
}
