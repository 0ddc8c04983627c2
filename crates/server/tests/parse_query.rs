//! Table-driven tests of the query-string, `$top`/`$skip`/`$count`, `$select` and
//! `Prefer` parsers. Each row names the SPEC.md rule it checks.

use contactspec_model::ErrorCode;
use contactspec_server::parse::{
    EntityKind, Preferences, QueryOptions, Selection, parse_count, parse_prefer, parse_query,
    parse_select, parse_skip, parse_top,
};

fn q(raw: &str) -> Result<QueryOptions, ErrorCode> {
    parse_query(Some(raw)).map_err(|e| e.code)
}

#[test]
fn query_strings() {
    use ErrorCode::ErrorInvalidUrlQuery as Bad;
    type Check = fn(&QueryOptions) -> bool;
    let ok: &[(&str, &str, Check)] = &[
        ("GEN-QUERY-DECODE", "%24top=5", |o| {
            o.top.as_deref() == Some("5")
        }),
        ("GEN-QUERY-DECODE", "$orderby=CreatedDateTime+desc", |o| {
            o.orderby.as_deref() == Some("CreatedDateTime desc")
        }),
        (
            "GEN-QUERY-DECODE",
            "$filter=GivenName%20eq%20%27a%2Bb%27",
            |o| o.filter.as_deref() == Some("GivenName eq 'a+b'"),
        ),
        (
            "GEN-QUERY-DECODE",
            "$filter=GivenName+eq+%27%C3%A9%27",
            |o| o.filter.as_deref() == Some("GivenName eq 'é'"),
        ),
        ("GEN-QUERY-DECODE", "$filter=a%zz", |o| {
            o.filter.as_deref() == Some("a%zz")
        }),
        ("GEN-CASE-QUERY", "$Select=GivenName&$deltaToken=x", |o| {
            o.select.as_deref() == Some("GivenName") && o.deltatoken.as_deref() == Some("x")
        }),
        ("GEN-CASE-QUERY", "$SKIPTOKEN=abc%3D", |o| {
            o.skiptoken.as_deref() == Some("abc=")
        }),
        ("Q-UNKNOWN-OPTION", "foo=1&foo=2&top=3", |o| {
            *o == QueryOptions::default()
        }),
        ("Q-UNKNOWN-OPTION", "$count=true&&$skip=2", |o| {
            o.count.as_deref() == Some("true") && o.skip.as_deref() == Some("2")
        }),
        ("Q-SELECT", "$select=", |o| o.select.as_deref() == Some("")),
    ];
    for (rule, raw, check) in ok {
        let got = q(raw).unwrap_or_else(|e| panic!("{rule}: {raw} → {e}"));
        assert!(check(&got), "{rule}: {raw} → {got:?}");
    }
    let bad: &[(&str, &str)] = &[
        ("Q-DUP-OPTION", "$top=1&$top=2"),
        ("Q-DUP-OPTION", "$top=1&%24TOP=2"),
        ("Q-UNKNOWN-OPTION", "$expand=Photo"),
        ("Q-UNKNOWN-OPTION", "$format=json"),
        ("Q-UNKNOWN-OPTION", "$bogus=1"),
        ("Q-SEARCH", "$search=bob"),
        ("Q-SEARCH", "%24SEARCH=bob"),
        ("GEN-QUERY-DECODE", "$filter=%FF"),
        ("GEN-QUERY-DECODE", "%ff=1"),
    ];
    for (rule, raw) in bad {
        assert_eq!(q(raw).map(|_| ()), Err(Bad), "{rule}: {raw}");
    }
    assert_eq!(parse_query(None), Ok(QueryOptions::default()));
}

#[test]
fn top_skip_count() {
    let rows: &[(&str, &str, Option<u64>)] = &[
        ("Q-TOP", "5", Some(5)),
        ("Q-TOP", "0", Some(0)),
        ("Q-TOP", "007", Some(7)),
        ("Q-TOP-BOUNDS", "99999999999999999999999999", Some(u64::MAX)),
        ("Q-TOP-BOUNDS", "-1", None),
        ("Q-TOP-BOUNDS", "1.5", None),
        ("Q-TOP-BOUNDS", "", None),
        ("Q-TOP-BOUNDS", "abc", None),
        ("Q-TOP-BOUNDS", " 5", None),
        ("Q-TOP-BOUNDS", "5x", None),
    ];
    for (rule, s, want) in rows {
        let top = parse_top(s);
        let skip = parse_skip(s);
        match want {
            Some(n) => {
                assert_eq!(top.as_ref().ok(), Some(n), "{rule}: $top={s}");
                assert_eq!(skip.as_ref().ok(), Some(n), "{rule}: $skip={s}");
            }
            None => {
                assert_eq!(
                    top.unwrap_err().code,
                    ErrorCode::ErrorInvalidUrlQuery,
                    "{rule}: {s}"
                );
                assert_eq!(
                    skip.unwrap_err().code,
                    ErrorCode::ErrorInvalidUrlQuery,
                    "{rule}: {s}"
                );
            }
        }
    }
    assert_eq!(parse_count("true"), Ok(true));
    assert_eq!(parse_count("false"), Ok(false));
    assert_eq!(
        parse_count("yes").unwrap_err().code,
        ErrorCode::ErrorInvalidUrlQuery
    );
    assert_eq!(
        parse_count("").unwrap_err().code,
        ErrorCode::ErrorInvalidUrlQuery
    );
}

#[test]
fn select() {
    let props = |v: &[&'static str]| Ok(Selection::Props(v.to_vec()));
    let rows: &[(&str, EntityKind, &str, Result<Selection, ErrorCode>)] = &[
        (
            "Q-SELECT",
            EntityKind::Contact,
            "GivenName,Surname",
            props(&["GivenName", "Surname"]),
        ),
        (
            "Q-SELECT",
            EntityKind::Contact,
            "GivenName, Surname",
            props(&["GivenName", "Surname"]),
        ),
        (
            "Q-SELECT",
            EntityKind::Contact,
            "GivenName,GivenName",
            props(&["GivenName"]),
        ),
        ("Q-SELECT", EntityKind::Contact, "*", Ok(Selection::All)),
        (
            "Q-SELECT",
            EntityKind::Contact,
            "Flag/FlagStatus",
            Err(ErrorCode::RequestBrokerParseUri),
        ),
        (
            "Q-PROPERTY-CASE",
            EntityKind::Contact,
            "givenname,SURNAME",
            props(&["GivenName", "Surname"]),
        ),
        (
            "Q-SELECT-UNKNOWN",
            EntityKind::Contact,
            "Nope",
            Err(ErrorCode::RequestBrokerParseUri),
        ),
        (
            "Q-SELECT-UNKNOWN",
            EntityKind::Contact,
            "",
            Err(ErrorCode::RequestBrokerParseUri),
        ),
        (
            "Q-SELECT-UNKNOWN",
            EntityKind::Contact,
            "GivenName,,Surname",
            Err(ErrorCode::RequestBrokerParseUri),
        ),
        (
            "Q-SELECT-UNKNOWN",
            EntityKind::Contact,
            "GivenName,",
            Err(ErrorCode::RequestBrokerParseUri),
        ),
        (
            "Q-SELECT-UNKNOWN",
            EntityKind::Folder,
            "GivenName",
            Err(ErrorCode::RequestBrokerParseUri),
        ),
        (
            "CF-QUERY",
            EntityKind::Folder,
            "displayname,WellKnownName",
            props(&["DisplayName", "WellKnownName"]),
        ),
    ];
    for (rule, kind, s, want) in rows {
        assert_eq!(
            &parse_select(s, *kind).map_err(|e| e.code),
            want,
            "{rule}: $select={s}"
        );
    }
    let sel = parse_select("GivenName", EntityKind::Contact).unwrap();
    assert!(sel.includes("GivenName") && !sel.includes("Surname"));
}

#[test]
fn prefer() {
    let p = |headers: &[&str]| parse_prefer(headers.iter().copied());
    let rows: &[(&str, &[&str], Preferences)] = &[
        (
            "SY-PREFER",
            &["odata.track-changes"],
            Preferences {
                track_changes: true,
                ..Default::default()
            },
        ),
        (
            "SY-PREFER",
            &["odata.track-changes, odata.maxpagesize=5"],
            Preferences {
                track_changes: true,
                max_page_size: Some(5),
                ..Default::default()
            },
        ),
        (
            "GEN-PREFER-SYNTAX",
            &["odata.maxpagesize = 7", "ODATA.TRACK-CHANGES"],
            Preferences {
                track_changes: true,
                max_page_size: Some(7),
                ..Default::default()
            },
        ),
        (
            "GEN-PREFER-SYNTAX",
            &["outlook.timezone = \"Pacific Standard Time\""],
            Preferences {
                timezone: Some("Pacific Standard Time".into()),
                ..Default::default()
            },
        ),
        (
            "GEN-PREFER-SYNTAX",
            &["outlook.timezone=\"a, b\\\"c\"; p=1, odata.maxpagesize=\"3\""],
            Preferences {
                timezone: Some("a, b\"c".into()),
                max_page_size: Some(3),
                ..Default::default()
            },
        ),
        (
            "GEN-PREFER-FIRST",
            &["odata.maxpagesize=2", "odata.maxpagesize=9"],
            Preferences {
                max_page_size: Some(2),
                ..Default::default()
            },
        ),
        (
            "GEN-PREFER-FIRST",
            &["odata.maxpagesize=0"],
            Preferences::default(),
        ),
        (
            "GEN-PREFER-FIRST",
            &["odata.maxpagesize=abc"],
            Preferences::default(),
        ),
        (
            "GEN-PREFER-FIRST",
            &["odata.maxpagesize=-3"],
            Preferences::default(),
        ),
        (
            "GEN-PREFER-FIRST",
            &["odata.maxpagesize=99999999999"],
            Preferences {
                max_page_size: Some(u32::MAX),
                ..Default::default()
            },
        ),
        (
            "GEN-PREFER-FIRST",
            &["return=minimal"],
            Preferences {
                return_minimal: true,
                ..Default::default()
            },
        ),
        (
            "SY-ROUND",
            &["odata.maxpages=3, foo, =, ,"],
            Preferences::default(),
        ),
        (
            "GEN-PREFER-SYNTAX",
            &["outlook.timezone=\"unterminated"],
            Preferences::default(),
        ),
    ];
    for (rule, headers, want) in rows {
        assert_eq!(&p(headers), want, "{rule}: {headers:?}");
    }
}
