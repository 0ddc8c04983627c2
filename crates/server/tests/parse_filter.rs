//! Table-driven tests of `$filter` and `$orderby`: errors, matching, ordering and
//! the Display round trip. Each row names the SPEC.md rule it checks.

use std::cmp::Ordering;

use contactspec_model::ErrorCode;
use contactspec_server::parse::{EntityKind, MatchOptions, parse_filter, parse_orderby};
use serde_json::{Map, Value, json};

fn entity(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!("test entities are objects"),
    }
}

fn bob() -> Map<String, Value> {
    entity(json!({
        "Id": "AAA=",
        "GivenName": "Bob",
        "Surname": "O'Brien",
        "DisplayName": null,
        "CreatedDateTime": "2018-03-01T10:00:00Z",
        "Birthday": "1974-07-22T00:00:00Z",
        "WeddingAnniversary": "2010-06-01",
        "EmailAddresses": [{"Name": "Bob", "Address": "Bob@Example.com"}],
        "Phones": [{"Number": "555-1", "Type": "Mobile"}],
        "Children": ["Ann", "Tim"],
        "Categories": ["Red"],
        "Flag": {
            "FlagStatus": "Flagged",
            "StartDateTime": {"DateTime": "2017-12-22T08:00:00.0000000", "TimeZone": "UTC"},
            "DueDateTime": {"DateTime": "2017-12-23T08:00:00.0000000", "TimeZone": "UTC"}
        }
    }))
}

#[test]
fn filter_matches() {
    let e = bob();
    let rows: &[(&str, &str, bool)] = &[
        ("Q-FILTER", "GivenName eq 'Bob'", true),
        ("Q-FILTER", "GivenName eq 'bob'", true),
        ("Q-FILTER", "GivenName ne 'bob'", false),
        ("Q-FILTER", "GivenName gt 'Alice'", true),
        ("Q-FILTER", "GivenName lt 'alice'", false),
        (
            "Q-FILTER",
            "GivenName ge 'BOB' and GivenName le 'bob'",
            true,
        ),
        ("Q-FILTER", "Surname eq 'O''Brien'", true),
        ("Q-FILTER", "DisplayName eq null", true),
        ("Q-FILTER", "DisplayName ne null", false),
        ("Q-FILTER", "JobTitle eq null", true),
        ("Q-FILTER", "GivenName eq null", false),
        ("Q-FILTER", "null eq GivenName", false),
        ("Q-FILTER", "DisplayName gt 'a'", false),
        ("Q-FILTER", "DisplayName ge null", true),
        ("Q-FILTER", "'Alice' lt GivenName", true),
        ("Q-FILTER", "'Zed' gt GivenName", true),
        ("Q-FILTER", "'Alice' le GivenName", true),
        ("Q-FILTER", "'Bob' gt GivenName", false),
        ("Q-FILTER", "not GivenName eq 'Bob'", false),
        (
            "Q-FILTER",
            "not (GivenName eq 'Ann' or Surname eq 'x')",
            true,
        ),
        (
            "Q-FILTER",
            "GivenName eq 'Ann' or GivenName eq 'Bob' and Surname eq 'x'",
            false,
        ),
        (
            "Q-FILTER",
            "(GivenName eq 'Ann' or GivenName eq 'Bob') and Surname ne 'x'",
            true,
        ),
        ("Q-FILTER", "CreatedDateTime gt 2017-01-01T00:00:00Z", true),
        (
            "Q-FILTER",
            "CreatedDateTime eq 2018-03-01T11:00:00+01:00",
            true,
        ),
        (
            "Q-FILTER",
            "CreatedDateTime lt 2018-03-01T10:00:00.001Z",
            true,
        ),
        ("Q-FILTER", "CreatedDateTime ge 2018-03-01T10:00:01Z", false),
        ("Q-FILTER", "Birthday eq 1974-07-22T00:00:00Z", true),
        ("Q-FILTER", "WeddingAnniversary eq 2010-06-01", true),
        ("Q-FILTER", "WeddingAnniversary gt 2010-06-01", false),
        ("Q-FILTER", "Flag/FlagStatus eq 'flagged'", true),
        ("Q-FILTER", "Flag/FlagStatus eq 'Complete'", false),
        (
            "Q-FILTER",
            "Flag/DueDateTime/DateTime gt '2017-12-22T09:00:00'",
            true,
        ),
        (
            "Q-FILTER",
            "Flag/StartDateTime/DateTime eq 2017-12-22T08:00:00Z",
            true,
        ),
        ("Q-FILTER", "Flag/StartDateTime/TimeZone eq 'utc'", true),
        ("Q-FILTER", "Flag/CompletedDateTime eq null", true),
        ("Q-FILTER", "Flag ne null", true),
        (
            "Q-PROPERTY-CASE",
            "givenname EQ 'bob' AND flag/flagstatus eq 'FLAGGED'",
            true,
        ),
        (
            "Q-FILTER-ANY",
            "EmailAddresses/any(a:a/Address eq 'bob@example.com')",
            true,
        ),
        (
            "Q-FILTER-ANY",
            "EmailAddresses/any(a: a/Address eq 'nobody@example.com')",
            false,
        ),
        (
            "Q-FILTER-ANY",
            "emailaddresses/ANY(x:x/address eq 'BOB@EXAMPLE.COM')",
            true,
        ),
        ("Q-FILTER-ANY", "Phones/any(p:p/Number eq '555-1')", true),
        (
            "Q-FILTER-ANY",
            "Phones/any(p:p/Type eq 'mobile' and p/Number ne '1')",
            true,
        ),
        ("Q-FILTER-ANY", "Children/any(c:c eq 'tim')", true),
        ("Q-FILTER-ANY", "Children/any(c:c eq 'Zed')", false),
        ("Q-FILTER-ANY", "Children/all(c:c ne 'Zed')", true),
        ("Q-FILTER-ANY", "Children/any()", true),
        (
            "Q-FILTER-ANY",
            "EmailAddresses/any(a:a/Address eq 'bob@example.com' and GivenName eq 'bob')",
            true,
        ),
    ];
    for (rule, f, want) in rows {
        let parsed =
            parse_filter(f, EntityKind::Contact).unwrap_or_else(|e| panic!("{rule}: {f} → {e}"));
        assert_eq!(parsed.matches(&e), *want, "{rule}: {f} (parsed {parsed:?})");
        // The canonical form means the same thing.
        let again = parse_filter(&parsed.to_string(), EntityKind::Contact).unwrap();
        assert_eq!(again, parsed, "{rule}: round trip of {f} via {parsed}");
    }
    // An entity missing every property: lambdas see empty collections.
    let empty = Map::new();
    for f in [
        "Children/any()",
        "EmailAddresses/any(a:a/Address eq 'x')",
        "GivenName eq 'Bob'",
    ] {
        assert!(
            !parse_filter(f, EntityKind::Contact)
                .unwrap()
                .matches(&empty),
            "{f}"
        );
    }
    assert!(
        parse_filter("Children/all(c:c eq 'x')", EntityKind::Contact)
            .unwrap()
            .matches(&empty)
    );
}

#[test]
fn filter_case_sensitive_fault_option() {
    let e = bob();
    let f = parse_filter("GivenName eq 'bob'", EntityKind::Contact).unwrap();
    assert!(f.matches(&e));
    assert!(!f.matches_with(
        &e,
        MatchOptions {
            case_sensitive_strings: true
        }
    ));
}

#[test]
fn filter_errors() {
    use ErrorCode::{ErrorInvalidProperty as Prop, ErrorInvalidUrlQueryFilter as Filt};
    let rows: &[(&str, EntityKind, &str, ErrorCode)] = &[
        ("Q-FILTER-BAD", EntityKind::Contact, "Nope eq 'x'", Prop),
        ("Q-FILTER-BAD", EntityKind::Contact, "Title eq 'x'", Prop),
        ("Q-FILTER-BAD", EntityKind::Contact, "Id eq 'x'", Prop),
        (
            "Q-FILTER-BAD",
            EntityKind::Contact,
            "Categories/any(c:c eq 'x')",
            Prop,
        ),
        (
            "Q-FILTER-BAD",
            EntityKind::Contact,
            "EmailAddresses eq null",
            Prop,
        ),
        ("Q-FILTER-BAD", EntityKind::Contact, "Children eq 'x'", Prop),
        (
            "Q-FILTER-BAD",
            EntityKind::Contact,
            "Flag/Nope eq 'x'",
            Prop,
        ),
        (
            "Q-FILTER-BAD",
            EntityKind::Contact,
            "GivenName/Length eq 'x'",
            Prop,
        ),
        (
            "Q-FILTER-BAD",
            EntityKind::Contact,
            "EmailAddresses/any(a:a/Nope eq 'x')",
            Prop,
        ),
        ("Q-FILTER-BAD", EntityKind::Folder, "GivenName eq 'x'", Prop),
        (
            "Q-FILTER-BAD",
            EntityKind::Folder,
            "WellKnownName eq 'contacts'",
            Prop,
        ),
        (
            "Q-FILTER-BAD",
            EntityKind::Contact,
            "contains(GivenName,'b')",
            Filt,
        ),
        (
            "Q-FILTER-BAD",
            EntityKind::Contact,
            "startswith(GivenName,'b')",
            Filt,
        ),
        (
            "Q-FILTER-BAD",
            EntityKind::Contact,
            "endswith(GivenName,'b') eq true",
            Filt,
        ),
        (
            "Q-FILTER-BAD",
            EntityKind::Contact,
            "tolower(GivenName) eq 'b'",
            Filt,
        ),
        ("Q-FILTER-BAD", EntityKind::Contact, "GivenName eq", Filt),
        ("Q-FILTER-BAD", EntityKind::Contact, "GivenName 'x'", Filt),
        ("Q-FILTER-BAD", EntityKind::Contact, "GivenName eq 'x", Filt),
        (
            "Q-FILTER-BAD",
            EntityKind::Contact,
            "(GivenName eq 'x'",
            Filt,
        ),
        (
            "Q-FILTER-BAD",
            EntityKind::Contact,
            "GivenName eq 'x')",
            Filt,
        ),
        (
            "Q-FILTER-BAD",
            EntityKind::Contact,
            "GivenName eq 'x' and",
            Filt,
        ),
        (
            "Q-FILTER-BAD",
            EntityKind::Contact,
            "GivenName like 'x'",
            Filt,
        ),
        ("Q-FILTER-BAD", EntityKind::Contact, "", Filt),
        ("Q-FILTER-BAD", EntityKind::Contact, "   ", Filt),
        (
            "Q-FILTER-BAD",
            EntityKind::Contact,
            "GivenName eq Surname",
            Filt,
        ),
        ("Q-FILTER-BAD", EntityKind::Contact, "'a' eq 'a'", Filt),
        (
            "Q-FILTER-BAD",
            EntityKind::Contact,
            "GivenName eq 'x' ; drop",
            Filt,
        ),
        (
            "Q-FILTER-BAD",
            EntityKind::Contact,
            "EmailAddresses/any(a:a eq 'x')",
            Filt,
        ),
        ("Q-FILTER-BAD", EntityKind::Contact, "Children/all()", Filt),
        (
            "Q-FILTER-ANY",
            EntityKind::Contact,
            "Phones/any(p:Phones/any(q:q/Number eq p/Number))",
            Filt,
        ),
        (
            "Q-FILTER-ANY",
            EntityKind::Contact,
            "EmailAddresses/any(a:Children/any())",
            Filt,
        ),
        (
            "Q-FILTER",
            EntityKind::Contact,
            "CreatedDateTime eq 'abc'",
            Filt,
        ),
        (
            "Q-FILTER",
            EntityKind::Contact,
            "CreatedDateTime eq '2017-01-01T00:00:00Z'",
            Filt,
        ),
        (
            "Q-FILTER",
            EntityKind::Contact,
            "CreatedDateTime gt 2017-13-01T00:00:00Z",
            Filt,
        ),
        ("Q-FILTER", EntityKind::Contact, "GivenName eq 5", Filt),
        ("Q-FILTER", EntityKind::Contact, "GivenName eq true", Filt),
        (
            "Q-FILTER",
            EntityKind::Contact,
            "GivenName eq 2017-01-01",
            Filt,
        ),
        (
            "Q-FILTER",
            EntityKind::Contact,
            "WeddingAnniversary eq 2010-06-01T00:00:00Z",
            Filt,
        ),
        (
            "Q-FILTER",
            EntityKind::Contact,
            "WeddingAnniversary eq '2010-06-01'",
            Filt,
        ),
        (
            "Q-FILTER",
            EntityKind::Contact,
            "Birthday eq 2019-02-29",
            Filt,
        ),
        ("Q-FILTER", EntityKind::Contact, "Flag eq 'Flagged'", Filt),
        (
            "Q-FILTER",
            EntityKind::Contact,
            "Flag/DueDateTime/DateTime eq 'soon'",
            Filt,
        ),
        ("Q-FILTER", EntityKind::Contact, "GivenName eq 1x", Filt),
    ];
    for (rule, kind, f, want) in rows {
        match parse_filter(f, *kind) {
            Ok(t) => panic!("{rule}: {f} parsed as {t:?}"),
            Err(e) => assert_eq!(e.code, *want, "{rule}: {f} → {e}"),
        }
    }
}

#[test]
fn filter_depth_is_bounded() {
    // Deep nesting is refused, never a stack overflow.
    for n in [101, 5_000, 100_000] {
        let f = format!("{}GivenName eq 'x'{}", "(".repeat(n), ")".repeat(n));
        assert_eq!(
            parse_filter(&f, EntityKind::Contact).unwrap_err().code,
            ErrorCode::ErrorInvalidUrlQueryFilter
        );
        let f = format!("{}GivenName eq 'x'", "not ".repeat(n));
        assert_eq!(
            parse_filter(&f, EntityKind::Contact).unwrap_err().code,
            ErrorCode::ErrorInvalidUrlQueryFilter
        );
    }
    // Nesting up to the limit works and round-trips.
    let f = format!("{}GivenName eq 'bob'{}", "(".repeat(99), ")".repeat(99));
    assert!(
        parse_filter(&f, EntityKind::Contact)
            .unwrap()
            .matches(&bob())
    );
    let f = format!("{}GivenName eq 'bob'", "not ".repeat(100));
    let t = parse_filter(&f, EntityKind::Contact).unwrap();
    assert!(t.matches(&bob()));
    assert_eq!(
        parse_filter(&t.to_string(), EntityKind::Contact).unwrap(),
        t
    );
    // Long flat chains are lists, not deep trees.
    let f = vec!["GivenName eq 'bob'"; 50_000].join(" and ");
    assert!(
        parse_filter(&f, EntityKind::Contact)
            .unwrap()
            .matches(&bob())
    );
}

#[test]
fn orderby() {
    let a = entity(
        json!({"GivenName": "alice", "Surname": "Zed", "CreatedDateTime": "2018-01-01T00:00:00Z"}),
    );
    let b = entity(
        json!({"GivenName": "Bob", "Surname": "Zed", "CreatedDateTime": "2017-01-01T00:00:00Z"}),
    );
    let n = entity(json!({"GivenName": null, "Surname": "Abe"}));
    type Entity = Map<String, Value>;
    let rows: &[(&str, &str, &Entity, &Entity, Ordering)] = &[
        ("Q-ORDERBY", "GivenName", &a, &b, Ordering::Less),
        ("Q-ORDERBY", "GivenName asc", &a, &b, Ordering::Less),
        ("Q-ORDERBY", "GivenName desc", &a, &b, Ordering::Greater),
        ("Q-ORDERBY", "CreatedDateTime", &a, &b, Ordering::Greater),
        (
            "Q-ORDERBY",
            "Surname,CreatedDateTime desc",
            &a,
            &b,
            Ordering::Less,
        ),
        (
            "Q-ORDERBY",
            "Surname, GivenName DESC",
            &a,
            &b,
            Ordering::Greater,
        ),
        ("Q-ORDERBY", "Surname", &a, &b, Ordering::Equal),
        ("Q-ORDERBY-DETAIL", "GivenName", &n, &a, Ordering::Less),
        (
            "Q-ORDERBY-DETAIL",
            "GivenName desc",
            &n,
            &a,
            Ordering::Greater,
        ),
        ("Q-ORDERBY-DETAIL", "JobTitle", &n, &a, Ordering::Equal),
        (
            "Q-PROPERTY-CASE",
            "givenNAME Desc",
            &a,
            &b,
            Ordering::Greater,
        ),
    ];
    for (rule, s, x, y, want) in rows {
        let o =
            parse_orderby(s, EntityKind::Contact).unwrap_or_else(|e| panic!("{rule}: {s} → {e}"));
        assert_eq!(o.compare(x, y), *want, "{rule}: {s}");
        assert_eq!(o.compare(y, x), want.reverse(), "{rule}: {s} reversed");
        assert_eq!(
            parse_orderby(&o.to_string(), EntityKind::Contact).unwrap(),
            o,
            "{rule}: round trip"
        );
    }
    let o = parse_orderby("GivenName", EntityKind::Contact).unwrap();
    assert_eq!(o.keys().len(), 1);
    assert_eq!(o.keys()[0].path.segments, vec!["GivenName"]);
    // "alice" < "Bob" case-insensitively, but not in byte order.
    assert_eq!(
        o.compare_with(
            &a,
            &b,
            MatchOptions {
                case_sensitive_strings: true
            }
        ),
        Ordering::Greater
    );

    use ErrorCode::{ErrorInvalidProperty as Prop, ErrorInvalidUrlQuery as Query};
    let bad: &[(&str, EntityKind, &str, ErrorCode)] = &[
        ("Q-FILTER-BAD", EntityKind::Contact, "Nope", Prop),
        ("Q-FILTER-BAD", EntityKind::Contact, "Title desc", Prop),
        ("Q-FILTER-BAD", EntityKind::Contact, "EmailAddresses", Prop),
        ("Q-FILTER-BAD", EntityKind::Folder, "WellKnownName", Prop),
        ("Q-FILTER-BAD", EntityKind::Contact, "", Query),
        ("Q-FILTER-BAD", EntityKind::Contact, "GivenName,", Query),
        (
            "Q-FILTER-BAD",
            EntityKind::Contact,
            "GivenName sideways",
            Query,
        ),
        (
            "Q-FILTER-BAD",
            EntityKind::Contact,
            "GivenName asc desc",
            Query,
        ),
        ("Q-FILTER-BAD", EntityKind::Contact, "GivenName;", Query),
        (
            "Q-FILTER-BAD",
            EntityKind::Contact,
            "Flag//FlagStatus",
            Query,
        ),
    ];
    for (rule, kind, s, want) in bad {
        assert_eq!(
            parse_orderby(s, *kind).unwrap_err().code,
            *want,
            "{rule}: {s}"
        );
    }
    assert!(parse_orderby("DisplayName desc", EntityKind::Folder).is_ok());
    assert!(
        parse_orderby(
            "Flag/FlagStatus,Flag/DueDateTime/DateTime desc",
            EntityKind::Contact
        )
        .is_ok()
    );
}
