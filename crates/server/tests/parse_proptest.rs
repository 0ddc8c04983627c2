//! Property tests: no parser panics on any input, and every filter that parses
//! prints to a canonical form that parses back to the same tree.

use chrono::{TimeZone, Utc};
use contactspec_server::parse::{
    EntityKind, WriteMode, parse_contact_write, parse_count, parse_filter, parse_instant,
    parse_orderby, parse_prefer, parse_query, parse_select, parse_skip, parse_top, parse_wall,
    resolve_zone, validate_flag,
};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

const KINDS: [EntityKind; 2] = [EntityKind::Contact, EntityKind::Folder];

fn sample() -> Map<String, Value> {
    match json!({
        "GivenName": "Bob", "Surname": null, "CreatedDateTime": "2018-03-01T10:00:00Z",
        "WeddingAnniversary": "2010-06-01", "Children": ["a"],
        "EmailAddresses": [{"Address": "x"}], "Phones": [{"Number": "1", "Type": "Home"}],
        "Flag": {"FlagStatus": "Flagged", "StartDateTime": {"DateTime": "2017-12-22T08:00:00.0000000", "TimeZone": "UTC"}}
    }) {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Fragments that make random strings look like filters often enough to reach
/// deep parser states.
fn filterish() -> impl Strategy<Value = String> {
    let atom = prop_oneof![
        Just("GivenName".to_owned()),
        Just("givenname".to_owned()),
        Just("Flag/FlagStatus".to_owned()),
        Just("Flag/DueDateTime/DateTime".to_owned()),
        Just("CreatedDateTime".to_owned()),
        Just("WeddingAnniversary".to_owned()),
        Just("EmailAddresses/any(a:a/Address eq 'x')".to_owned()),
        Just("Children/any(c:".to_owned()),
        Just("c".to_owned()),
        Just(" eq ".to_owned()),
        Just(" ne ".to_owned()),
        Just(" lt ".to_owned()),
        Just(" and ".to_owned()),
        Just(" or ".to_owned()),
        Just("not ".to_owned()),
        Just("(".to_owned()),
        Just(")".to_owned()),
        Just("null".to_owned()),
        Just("'O''Brien'".to_owned()),
        Just("'2017-12-22T08:00:00'".to_owned()),
        Just("2017-01-01T00:00:00Z".to_owned()),
        Just("2017-01-01T00:00:00+14:00".to_owned()),
        Just("0001-01-01T00:00:00+01:00".to_owned()),
        Just("2010-06-01".to_owned()),
        Just("5".to_owned()),
        Just("contains(".to_owned()),
        Just("/".to_owned()),
        Just(",".to_owned()),
        "[ -~]{0,3}",
        "\\PC{0,2}",
    ];
    prop::collection::vec(atom, 0..14).prop_map(|v| v.concat())
}

/// Random valid filters (for the contact type), built from the grammar.
fn valid_filter() -> impl Strategy<Value = String> {
    let text = "[a-zA-Z' é]{0,6}".prop_map(|s| format!("'{}'", s.replace('\'', "''")));
    let op = prop_oneof![
        Just("eq"),
        Just("ne"),
        Just("gt"),
        Just("ge"),
        Just("lt"),
        Just("le"),
        Just("EQ")
    ];
    let instant = (
        2000i32..2030,
        1u32..13,
        1u32..29,
        0u32..24,
        -14i32..15,
        0u32..1_000_000_000,
    )
        .prop_map(|(y, mo, d, h, off, ns)| {
            let sign = if off < 0 { '-' } else { '+' };
            format!(
                "{y:04}-{mo:02}-{d:02}T{h:02}:00:00.{ns:09}{sign}{:02}:00",
                off.abs()
            )
        });
    let leaf = prop_oneof![
        (
            prop_oneof![
                Just("GivenName"),
                Just("surname"),
                Just("Flag/FlagStatus"),
                Just("Flag/StartDateTime/TimeZone")
            ],
            op.clone(),
            text.clone()
        )
            .prop_map(|(p, o, t)| format!("{p} {o} {t}")),
        (op.clone(), text.clone()).prop_map(|(o, t)| format!("{t} {o} DisplayName")),
        (
            prop_oneof![
                Just("CreatedDateTime"),
                Just("Birthday"),
                Just("Flag/DueDateTime/DateTime")
            ],
            op.clone(),
            instant
        )
            .prop_map(|(p, o, t)| format!("{p} {o} {t}")),
        (op.clone(), 1601i32..9999, 1u32..13, 1u32..29)
            .prop_map(|(o, y, m, d)| format!("WeddingAnniversary {o} {y:04}-{m:02}-{d:02}")),
        (
            prop_oneof![
                Just("JobTitle"),
                Just("Flag/CompletedDateTime"),
                Just("Flag"),
                Just("Birthday")
            ],
            op.clone()
        )
            .prop_map(|(p, o)| format!("{p} {o} null")),
        text.clone()
            .prop_map(|t| format!("EmailAddresses/any(a:a/Address eq {t})")),
        text.clone()
            .prop_map(|t| format!("Phones/any(p: p/Type eq {t} or p/Number ne {t})")),
        text.clone()
            .prop_map(|t| format!("Children/all(c:c ne {t})")),
        Just("Children/any()".to_owned()),
        (text.clone(), text.clone()).prop_map(|(t, u)| format!(
            "EmailAddresses/all(x: not (x/Name eq {t} and x/Address ne {u}) or GivenName eq {u})"
        )),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(|v| v.join(" and ")),
            prop::collection::vec(inner.clone(), 2..4).prop_map(|v| v.join(" or ")),
            inner.clone().prop_map(|f| format!("({f})")),
            inner.clone().prop_map(|f| format!("not ({f})")),
            inner.prop_map(|f| format!("not {f}")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn string_parsers_never_panic(s in "\\PC{0,40}", t in "[ -~]{0,40}") {
        for input in [&s, &t] {
            let _ = parse_query(Some(input));
            let _ = parse_top(input);
            let _ = parse_skip(input);
            let _ = parse_count(input);
            let _ = parse_prefer([input.as_str(), "odata.maxpagesize=3"]);
            let _ = parse_instant(input);
            let _ = parse_wall(input);
            let _ = resolve_zone(input);
            for kind in KINDS {
                let _ = parse_select(input, kind);
                let _ = parse_orderby(input, kind);
                if let Ok(f) = parse_filter(input, kind) {
                    let _ = f.matches(&sample());
                }
            }
        }
    }

    #[test]
    fn filter_round_trips(s in filterish()) {
        for kind in KINDS {
            if let Ok(f) = parse_filter(&s, kind) {
                let printed = f.to_string();
                let again = parse_filter(&printed, kind);
                prop_assert_eq!(again.as_ref(), Ok(&f), "{} printed as {}", s, printed);
                prop_assert_eq!(again.unwrap().matches(&sample()), f.matches(&sample()));
            }
        }
    }

    #[test]
    fn valid_filters_parse_and_round_trip(s in valid_filter()) {
        let f = parse_filter(&s, EntityKind::Contact);
        prop_assert!(f.is_ok(), "{} → {:?}", s, f);
        let f = f.unwrap();
        let printed = f.to_string();
        prop_assert_eq!(parse_filter(&printed, EntityKind::Contact), Ok(f.clone()), "{} printed as {}", s, printed);
        let _ = f.matches(&sample());
    }

    #[test]
    fn orderby_round_trips(s in "[A-Za-z/ ,]{0,30}") {
        for kind in KINDS {
            if let Ok(o) = parse_orderby(&s, kind) {
                prop_assert_eq!(parse_orderby(&o.to_string(), kind), Ok(o));
            }
        }
    }

    #[test]
    fn body_parser_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64), s in "\\PC{0,60}") {
        let now = Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap();
        for mode in [WriteMode::Create, WriteMode::Update] {
            let _ = parse_contact_write(&bytes, mode, now);
            let _ = parse_contact_write(s.as_bytes(), mode, now);
            let wrapped = format!("{{\"GivenName\":\"x\",\"Flag\":{{\"FlagStatus\":\"Flagged\",\"StartDateTime\":{{\"DateTime\":{s:?},\"TimeZone\":\"UTC\"}}}},\"Birthday\":{s:?}}}");
            let _ = parse_contact_write(wrapped.as_bytes(), mode, now);
        }
    }

    #[test]
    fn flag_validation_never_panics(
        status in prop_oneof![Just("NotFlagged"), Just("Flagged"), Just("Complete"), Just("x")],
        dt in prop_oneof!["\\PC{0,30}", "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,9})?"],
        tz in prop_oneof![
            Just("UTC".to_owned()),
            Just("Pacific Standard Time".to_owned()),
            Just("Pacific/Kiritimati".to_owned()),
            Just("Etc/GMT+12".to_owned()),
            "\\PC{0,10}",
        ],
        member in prop_oneof![Just("StartDateTime"), Just("DueDateTime"), Just("CompletedDateTime")],
    ) {
        let now = Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap();
        let flag = json!({"FlagStatus": status, member: {"DateTime": dt, "TimeZone": tz}});
        let _ = validate_flag(&flag, now);
    }
}
