//! Table-driven tests of contact bodies, the follow-up flag rules and the date and
//! time-zone helpers. Each row names the SPEC.md rule it checks.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use contactspec_model::ErrorCode;
use contactspec_server::parse::{
    WriteMode, flag_in_zone, format_instant, format_wall, parse_contact_write, parse_instant,
    parse_wall, resolve_zone, validate_flag, wall_to_utc,
};
use serde_json::{Value, json};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 5, 17, 23, 30, 0).unwrap()
}

fn write(body: &str, mode: WriteMode) -> Result<Vec<(&'static str, Value)>, ErrorCode> {
    parse_contact_write(body.as_bytes(), mode, now())
        .map(|w| w.properties)
        .map_err(|e| e.code)
}

#[test]
fn accepted_bodies() {
    use WriteMode::{Create, Update};
    let rows: &[(&str, WriteMode, &str, Value)] = &[
        (
            "CT-CREATE",
            Create,
            r#"{"GivenName":"Pavel","Surname":null}"#,
            json!({"GivenName":"Pavel","Surname":null}),
        ),
        ("CT-CREATE", Create, "{}", json!({})),
        (
            "CT-UNKNOWN-PROPERTY",
            Create,
            r##"{"@odata.type":"#Microsoft.OutlookServices.Contact","GivenName":"a","GivenName@odata.type":"String"}"##,
            json!({"GivenName":"a"}),
        ),
        (
            "CT-ECHO",
            Create,
            r#"{"Categories":["b","a",""],"ImAddresses":[]}"#,
            json!({"Categories":["b","a",""],"ImAddresses":[]}),
        ),
        (
            "CT-ECHO",
            Create,
            r#"{"EmailAddresses":[{"@odata.type":"x","Address":"a@b.c","Name":null}]}"#,
            json!({"EmailAddresses":[{"Address":"a@b.c","Name":null}]}),
        ),
        (
            "CT-ECHO",
            Create,
            r#"{"Phones":[{"Number":"1","Type":"HomeFax"},{}]}"#,
            json!({"Phones":[{"Number":"1","Type":"HomeFax"},{}]}),
        ),
        (
            "CT-ECHO",
            Create,
            r#"{"PostalAddresses":[{"Type":"Business","Street":"1 Way","City":"X","State":null,"CountryOrRegion":"Y","PostalCode":"9"}]}"#,
            json!({"PostalAddresses":[{"Type":"Business","Street":"1 Way","City":"X","State":null,"CountryOrRegion":"Y","PostalCode":"9"}]}),
        ),
        (
            "CT-ECHO",
            Create,
            r#"{"Websites":[{"Type":"Blog","Address":"http://x","DisplayName":"x"}]}"#,
            json!({"Websites":[{"Type":"Blog","Address":"http://x","DisplayName":"x"}]}),
        ),
        (
            "CT-BIRTHDAY",
            Create,
            r#"{"Birthday":"1974-07-22"}"#,
            json!({"Birthday":"1974-07-22T00:00:00Z"}),
        ),
        (
            "CT-BIRTHDAY",
            Create,
            r#"{"Birthday":"1974-07-22T23:00:00-02:00"}"#,
            json!({"Birthday":"1974-07-23T01:00:00Z"}),
        ),
        (
            "CT-BIRTHDAY",
            Create,
            r#"{"Birthday":"1974-07-22T00:00:00.5Z"}"#,
            json!({"Birthday":"1974-07-22T00:00:00.500Z"}),
        ),
        (
            "CT-BIRTHDAY",
            Create,
            r#"{"Birthday":null}"#,
            json!({"Birthday":null}),
        ),
        (
            "CT-DATE-RANGE",
            Create,
            r#"{"Birthday":"1601-01-01","WeddingAnniversary":"9999-12-31"}"#,
            json!({"Birthday":"1601-01-01T00:00:00Z","WeddingAnniversary":"9999-12-31"}),
        ),
        (
            "CT-DATE-RANGE",
            Create,
            r#"{"WeddingAnniversary":"2020-02-29"}"#,
            json!({"WeddingAnniversary":"2020-02-29"}),
        ),
        (
            "CT-LIMITS",
            Create,
            r#"{"EmailAddresses":[{"Address":"1"},{"Address":"2"},{"Address":"3"}],"ImAddresses":["a","b","c"]}"#,
            json!({"EmailAddresses":[{"Address":"1"},{"Address":"2"},{"Address":"3"}],"ImAddresses":["a","b","c"]}),
        ),
        (
            "CT-UPDATE",
            Update,
            r#"{"ChangeKey":"ck1","Surname":"x"}"#,
            json!({"Surname":"x"}),
        ),
        (
            "FL-DEFAULT",
            Create,
            r#"{"Flag":{"FlagStatus":"NotFlagged"}}"#,
            json!({"Flag":{"FlagStatus":"NotFlagged"}}),
        ),
    ];
    for (rule, mode, body, want) in rows {
        let got = write(body, *mode).unwrap_or_else(|e| panic!("{rule}: {body} → {e}"));
        let got: serde_json::Map<String, Value> =
            got.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        assert_eq!(Value::Object(got), *want, "{rule}: {body}");
    }
    let w = parse_contact_write(br#"{"ChangeKey":"ck1"}"#, WriteMode::Update, now()).unwrap();
    assert_eq!(w.change_key.as_deref(), Some("ck1"));
    // Body order is kept.
    let names: Vec<&str> = write(
        r#"{"Surname":"a","GivenName":"b","Categories":[]}"#,
        WriteMode::Create,
    )
    .unwrap()
    .into_iter()
    .map(|(k, _)| k)
    .collect();
    assert_eq!(names, ["Surname", "GivenName", "Categories"]);
    // CT-LIMITS: long strings are accepted.
    let long = "é".repeat(10_000);
    assert!(
        write(
            &format!(r#"{{"PersonalNotes":"{long}"}}"#),
            WriteMode::Create
        )
        .is_ok()
    );
}

#[test]
fn rejected_bodies() {
    use ErrorCode::{
        ErrorInvalidArgument as Arg, ErrorInvalidPropertySet as Set, RequestBodyRead as Read,
    };
    use WriteMode::{Create, Update};
    let deep = format!(
        "{{\"Categories\":{}{}}}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let rows: Vec<(&str, WriteMode, &str, ErrorCode)> = vec![
        ("CT-TYPES", Create, "", Read),
        ("CT-TYPES", Create, "   ", Read),
        ("CT-TYPES", Create, "{", Read),
        ("CT-TYPES", Create, "[]", Read),
        ("CT-TYPES", Create, "null", Read),
        ("CT-TYPES", Create, "\"GivenName\"", Read),
        ("CT-TYPES", Create, r#"{"GivenName":"a"} {}"#, Read),
        (
            "CT-TYPES",
            Create,
            r#"{"GivenName":"a","GivenName":"b"}"#,
            Read,
        ),
        (
            "CT-TYPES",
            Create,
            r#"{"EmailAddresses":[{"Address":"a","Address":"b"}]}"#,
            Read,
        ),
        (
            "CT-TYPES",
            Create,
            r#"{"Flag":{"FlagStatus":"Flagged","FlagStatus":"Flagged"}}"#,
            Read,
        ),
        (
            "CT-TYPES",
            Create,
            r#"{"@odata.type":"a","@odata.type":"b"}"#,
            Read,
        ),
        ("CT-TYPES", Create, r#"{"GivenName":5}"#, Read),
        ("CT-TYPES", Create, r#"{"GivenName":"\ud800"}"#, Read),
        ("CT-TYPES", Create, r#"{"GivenName":["a"]}"#, Read),
        ("CT-TYPES", Create, r#"{"Categories":null}"#, Read),
        ("CT-TYPES", Create, r#"{"Categories":"a"}"#, Read),
        ("CT-TYPES", Create, r#"{"Categories":["a",null]}"#, Read),
        ("CT-TYPES", Create, r#"{"Children":[1]}"#, Read),
        ("CT-TYPES", Create, r#"{"EmailAddresses":null}"#, Read),
        ("CT-TYPES", Create, r#"{"EmailAddresses":[null]}"#, Read),
        ("CT-TYPES", Create, r#"{"EmailAddresses":["a@b.c"]}"#, Read),
        (
            "CT-TYPES",
            Create,
            r#"{"EmailAddresses":[{"Address":5}]}"#,
            Read,
        ),
        (
            "CT-TYPES",
            Create,
            r#"{"EmailAddresses":[{"address":"a"}]}"#,
            Read,
        ),
        (
            "CT-TYPES",
            Create,
            r#"{"Phones":[{"Number":"1","Type":"business"}]}"#,
            Read,
        ),
        (
            "CT-TYPES",
            Create,
            r#"{"Phones":[{"Number":"1","Type":"Fax"}]}"#,
            Read,
        ),
        (
            "CT-TYPES",
            Create,
            r#"{"PostalAddresses":[{"Type":"Work"}]}"#,
            Read,
        ),
        (
            "CT-TYPES",
            Create,
            r#"{"Websites":[{"Type":"Personal"}]}"#,
            Read,
        ),
        ("CT-TYPES", Create, r#"{"Websites":{"Type":"Blog"}}"#, Read),
        ("CT-TYPES", Create, &deep, Read),
        ("CT-UNKNOWN-PROPERTY", Create, r#"{"givenName":"a"}"#, Read),
        ("CT-UNKNOWN-PROPERTY", Create, r#"{"Nickname":"a"}"#, Read),
        ("CT-UNKNOWN-PROPERTY", Create, r#"{"Photo":{}}"#, Read),
        ("CT-READONLY", Create, r#"{"Id":"x"}"#, Set),
        ("CT-READONLY", Update, r#"{"Id":null}"#, Set),
        (
            "CT-READONLY",
            Create,
            r#"{"CreatedDateTime":"2017-01-01T00:00:00Z"}"#,
            Set,
        ),
        (
            "CT-READONLY",
            Update,
            r#"{"LastModifiedDateTime":"2017-01-01T00:00:00Z"}"#,
            Set,
        ),
        ("CT-READONLY", Create, r#"{"ParentFolderId":"x"}"#, Set),
        ("CT-READONLY", Update, r#"{"IsFavorite":false}"#, Set),
        ("CT-READONLY", Create, r#"{"ChangeKey":"x"}"#, Set),
        ("CT-TYPES", Update, r#"{"ChangeKey":5}"#, Read),
        (
            "CT-BIRTHDAY",
            Create,
            r#"{"Birthday":"1974-07-22T00:00:00"}"#,
            Read,
        ),
        ("CT-BIRTHDAY", Create, r#"{"Birthday":"yesterday"}"#, Read),
        ("CT-BIRTHDAY", Create, r#"{"Birthday":19740722}"#, Read),
        (
            "CT-DATE-RANGE",
            Create,
            r#"{"Birthday":"1600-12-31"}"#,
            Read,
        ),
        (
            "CT-DATE-RANGE",
            Create,
            r#"{"Birthday":"2019-02-29T00:00:00Z"}"#,
            Read,
        ),
        (
            "CT-DATE-RANGE",
            Create,
            r#"{"Birthday":"1601-01-01T00:00:00+01:00"}"#,
            Read,
        ),
        (
            "CT-DATE-RANGE",
            Create,
            r#"{"WeddingAnniversary":"2019-02-29"}"#,
            Read,
        ),
        (
            "CT-DATE-RANGE",
            Create,
            r#"{"WeddingAnniversary":"1600-06-01"}"#,
            Read,
        ),
        (
            "CT-DATE-RANGE",
            Create,
            r#"{"WeddingAnniversary":"2010-06-01T00:00:00Z"}"#,
            Read,
        ),
        (
            "CT-DATE-RANGE",
            Create,
            r#"{"WeddingAnniversary":"2010-6-1"}"#,
            Read,
        ),
        (
            "CT-LIMITS",
            Create,
            r#"{"EmailAddresses":[{},{},{},{}]}"#,
            Arg,
        ),
        (
            "CT-LIMITS",
            Create,
            r#"{"ImAddresses":["a","b","c","d"]}"#,
            Arg,
        ),
        ("FL-SHAPE", Create, r#"{"Flag":null}"#, Read),
        ("FL-SHAPE", Create, r#"{"Flag":{}}"#, Read),
        ("FL-SHAPE", Create, r#"{"Flag":{"FlagStatus":null}}"#, Read),
        ("FL-SHAPE", Create, r#"{"Flag":"Flagged"}"#, Read),
        (
            "FL-SHAPE",
            Create,
            r#"{"Flag":{"FlagStatus":"flagged"}}"#,
            Read,
        ),
        (
            "FL-SHAPE",
            Create,
            r#"{"Flag":{"FlagStatus":"Flagged","Importance":"High"}}"#,
            Read,
        ),
    ];
    for (rule, mode, body, want) in rows {
        let short: String = body.chars().take(80).collect();
        assert_eq!(write(body, mode).map(|_| ()), Err(want), "{rule}: {short}");
    }
}

fn dttz(dt: &str, tz: &str) -> Value {
    json!({"DateTime": dt, "TimeZone": tz})
}

#[test]
fn flag_rules() {
    let utc = |s: &str| dttz(s, "UTC");
    let ok: Vec<(&str, Value, Value)> = vec![
        (
            "FL-DEFAULT",
            json!({"FlagStatus":"NotFlagged"}),
            json!({"FlagStatus":"NotFlagged"}),
        ),
        (
            "FL-DATETIME",
            json!({"FlagStatus":"NotFlagged","StartDateTime":null,"DueDateTime":null}),
            json!({"FlagStatus":"NotFlagged"}),
        ),
        (
            "FL-FLAGGED",
            json!({"FlagStatus":"Flagged"}),
            json!({"FlagStatus":"Flagged"}),
        ),
        (
            "FL-FLAGGED",
            json!({"FlagStatus":"Flagged","StartDateTime":dttz("2017-12-22T08:00:00","Pacific Standard Time"),"DueDateTime":dttz("2017-12-23T08:00:00.1234567","America/Los_Angeles")}),
            json!({"FlagStatus":"Flagged","StartDateTime":utc("2017-12-22T16:00:00.0000000"),"DueDateTime":utc("2017-12-23T16:00:00.1234567")}),
        ),
        (
            "FL-FLAGGED",
            json!({"FlagStatus":"Flagged","StartDateTime":dttz("2017-12-22T08:00:00","W. Europe Standard Time")}),
            json!({"FlagStatus":"Flagged","StartDateTime":utc("2017-12-22T07:00:00.0000000")}),
        ),
        (
            "FL-ORDER",
            json!({"FlagStatus":"Flagged","StartDateTime":utc("2017-12-22T08:00:00"),"DueDateTime":utc("2017-12-22T08:00:00")}),
            json!({"FlagStatus":"Flagged","StartDateTime":utc("2017-12-22T08:00:00.0000000"),"DueDateTime":utc("2017-12-22T08:00:00.0000000")}),
        ),
        // Due 09:00 Tokyo is 00:00 UTC, after start 23:00 UTC the day before.
        (
            "FL-ORDER",
            json!({"FlagStatus":"Flagged","StartDateTime":utc("2017-12-21T23:00:00"),"DueDateTime":dttz("2017-12-22T09:00:00","Tokyo Standard Time")}),
            json!({"FlagStatus":"Flagged","StartDateTime":utc("2017-12-21T23:00:00.0000000"),"DueDateTime":utc("2017-12-22T00:00:00.0000000")}),
        ),
        (
            "FL-COMPLETE",
            json!({"FlagStatus":"Complete","CompletedDateTime":dttz("2018-02-05T18:00:00","Pacific Standard Time")}),
            json!({"FlagStatus":"Complete","CompletedDateTime":utc("2018-02-06T00:00:00.0000000")}),
        ),
        (
            "FL-COMPLETE-DROPS",
            json!({"FlagStatus":"Complete","StartDateTime":utc("2018-01-01T00:00:00"),"DueDateTime":utc("2018-01-02T00:00:00"),"CompletedDateTime":utc("2018-02-05T18:00:00")}),
            json!({"FlagStatus":"Complete","CompletedDateTime":utc("2018-02-05T00:00:00.0000000")}),
        ),
        (
            "FL-COMPLETE-NOW",
            json!({"FlagStatus":"Complete"}),
            json!({"FlagStatus":"Complete","CompletedDateTime":utc("2020-05-17T00:00:00.0000000")}),
        ),
        // 2018-11-04T01:30 exists twice in Los Angeles: the earlier offset (PDT, -7).
        (
            "FL-DST",
            json!({"FlagStatus":"Flagged","StartDateTime":dttz("2018-11-04T01:30:00","Pacific Standard Time")}),
            json!({"FlagStatus":"Flagged","StartDateTime":utc("2018-11-04T08:30:00.0000000")}),
        ),
        (
            "FL-SHAPE",
            json!({"@odata.type":"x","FlagStatus":"NotFlagged"}),
            json!({"FlagStatus":"NotFlagged"}),
        ),
    ];
    for (rule, flag, want) in ok {
        let got = validate_flag(&flag, now()).unwrap_or_else(|e| panic!("{rule}: {flag} → {e}"));
        assert_eq!(got, want, "{rule}: {flag}");
    }
    use ErrorCode::{ErrorInvalidArgument as Arg, RequestBodyRead as Read};
    let bad: Vec<(&str, Value, ErrorCode)> = vec![
        (
            "FL-NOTFLAGGED",
            json!({"FlagStatus":"NotFlagged","StartDateTime":utc("2017-12-22T08:00:00")}),
            Arg,
        ),
        (
            "FL-NOTFLAGGED",
            json!({"FlagStatus":"NotFlagged","CompletedDateTime":utc("2017-12-22T08:00:00")}),
            Arg,
        ),
        (
            "FL-NO-COMPLETED-WHEN-FLAGGED",
            json!({"FlagStatus":"Flagged","CompletedDateTime":utc("2017-12-22T08:00:00")}),
            Arg,
        ),
        (
            "FL-DUE-NEEDS-START",
            json!({"FlagStatus":"Flagged","DueDateTime":utc("2017-12-22T08:00:00")}),
            Arg,
        ),
        (
            "FL-DUE-NEEDS-START",
            json!({"FlagStatus":"Complete","DueDateTime":utc("2017-12-22T08:00:00")}),
            Arg,
        ),
        (
            "FL-ORDER",
            json!({"FlagStatus":"Flagged","StartDateTime":utc("2017-12-22T08:00:00"),"DueDateTime":utc("2017-12-22T07:59:59.9999999")}),
            Arg,
        ),
        (
            "FL-ORDER",
            json!({"FlagStatus":"Complete","StartDateTime":utc("2017-12-22T08:00:00"),"DueDateTime":utc("2017-12-21T08:00:00")}),
            Arg,
        ),
        // Start 08:00 UTC; due 09:00 Berlin = 08:00 UTC minus... 07:00 → wrong order as instants.
        (
            "FL-ORDER",
            json!({"FlagStatus":"Flagged","StartDateTime":utc("2017-12-22T08:00:00"),"DueDateTime":dttz("2017-12-22T08:30:00","Europe/Berlin")}),
            Arg,
        ),
        (
            "FL-DATETIME",
            json!({"FlagStatus":"Flagged","StartDateTime":utc("2017-12-22T08:00:00Z")}),
            Arg,
        ),
        (
            "FL-DATETIME",
            json!({"FlagStatus":"Flagged","StartDateTime":utc("2017-12-22T08:00:00+01:00")}),
            Arg,
        ),
        (
            "FL-DATETIME",
            json!({"FlagStatus":"Flagged","StartDateTime":utc("2017-12-22T08:00:00.12345678")}),
            Arg,
        ),
        (
            "FL-DATETIME",
            json!({"FlagStatus":"Flagged","StartDateTime":utc("tomorrow")}),
            Arg,
        ),
        (
            "FL-DATETIME",
            json!({"FlagStatus":"Flagged","StartDateTime":utc("2017-02-30T08:00:00")}),
            Arg,
        ),
        (
            "FL-DATETIME",
            json!({"FlagStatus":"Flagged","StartDateTime":dttz("2017-12-22T08:00:00","Mars Standard Time")}),
            Arg,
        ),
        (
            "FL-DATETIME",
            json!({"FlagStatus":"Flagged","StartDateTime":{"DateTime":"2017-12-22T08:00:00"}}),
            Arg,
        ),
        (
            "FL-DATETIME",
            json!({"FlagStatus":"Flagged","StartDateTime":{"TimeZone":"UTC"}}),
            Arg,
        ),
        (
            "FL-DATETIME",
            json!({"FlagStatus":"Flagged","StartDateTime":{"DateTime":"2017-12-22T08:00:00","TimeZone":null}}),
            Arg,
        ),
        (
            "FL-DATETIME",
            json!({"FlagStatus":"Flagged","StartDateTime":{"DateTime":5,"TimeZone":"UTC"}}),
            Read,
        ),
        (
            "FL-DATETIME",
            json!({"FlagStatus":"Flagged","StartDateTime":"2017-12-22T08:00:00Z"}),
            Read,
        ),
        (
            "FL-DATETIME",
            json!({"FlagStatus":"Flagged","StartDateTime":{"DateTime":"2017-12-22T08:00:00","TimeZone":"UTC","Extra":1}}),
            Read,
        ),
        (
            "FL-DST",
            json!({"FlagStatus":"Flagged","StartDateTime":dttz("2018-03-11T02:30:00","Pacific Standard Time")}),
            Arg,
        ),
        ("FL-SHAPE", json!(null), Read),
        (
            "FL-SHAPE",
            json!({"StartDateTime":utc("2017-12-22T08:00:00")}),
            Read,
        ),
        ("FL-SHAPE", json!({"FlagStatus":"Completed"}), Read),
        ("FL-SHAPE", json!({"FlagStatus":1}), Read),
    ];
    for (rule, flag, want) in bad {
        assert_eq!(
            validate_flag(&flag, now()).map_err(|e| e.code),
            Err(want),
            "{rule}: {flag}"
        );
    }
}

#[test]
fn zones_and_times() {
    // FL-ZONES: the required zones, Windows and IANA.
    for z in [
        "UTC",
        "Pacific Standard Time",
        "Eastern Standard Time",
        "W. Europe Standard Time",
        "Tokyo Standard Time",
        "America/Los_Angeles",
        "Europe/Berlin",
        "Asia/Tokyo",
        "India Standard Time",
        "Etc/GMT+5",
    ] {
        assert!(resolve_zone(z).is_some(), "FL-ZONES: {z}");
    }
    for z in ["", "Mars Standard Time", "utc ", "Nowhere/City"] {
        assert!(resolve_zone(z).is_none(), "FL-ZONES: {z:?} is unknown");
    }
    assert_eq!(
        resolve_zone("Tokyo Standard Time").unwrap().to_string(),
        "Asia/Tokyo"
    );

    // Instants: Z or offset, seconds optional, up to 9 fractional digits.
    let t = |s: &str| parse_instant(s).map(format_instant);
    assert_eq!(
        t("2017-01-01T00:00:00Z").as_deref(),
        Some("2017-01-01T00:00:00Z")
    );
    assert_eq!(
        t("2017-01-01T01:30:00+01:30").as_deref(),
        Some("2017-01-01T00:00:00Z")
    );
    assert_eq!(
        t("2017-01-01T00:00Z").as_deref(),
        Some("2017-01-01T00:00:00Z")
    );
    assert_eq!(
        t("2017-01-01T00:00:00.1234567Z").as_deref(),
        Some("2017-01-01T00:00:00.123456700Z")
    );
    for bad in [
        "2017-01-01T00:00:00",
        "2017-01-01",
        "2017-01-01T24:00:00Z",
        "2017-01-01T00:00:60Z",
        "2017-01-01T00:00:00+24:00",
        "2017-1-01T00:00:00Z",
        "2017-01-01T00:00:00.Z",
        "",
        "Z",
    ] {
        assert_eq!(parse_instant(bad), None, "{bad}");
    }

    // Wall times: 0–7 fractional digits, no offset.
    let w = parse_wall("2017-12-22T08:00:00.1234567").unwrap();
    assert_eq!(format_wall(w), "2017-12-22T08:00:00.1234567");
    assert_eq!(
        format_wall(parse_wall("2017-12-22T08:00:00").unwrap()),
        "2017-12-22T08:00:00.0000000"
    );
    assert_eq!(
        format_wall(parse_wall("2017-12-22T08:00:00.5").unwrap()),
        "2017-12-22T08:00:00.5000000"
    );
    for bad in [
        "2017-12-22T08:00:00Z",
        "2017-12-22T08:00:00.12345678",
        "2017-12-22",
        "2017-12-22T08:00:00 ",
    ] {
        assert_eq!(parse_wall(bad), None, "{bad}");
    }

    // FL-DST: a gap is an error, an overlap takes the earlier offset.
    let la = resolve_zone("America/Los_Angeles").unwrap();
    let gap = NaiveDate::from_ymd_opt(2018, 3, 11)
        .unwrap()
        .and_hms_opt(2, 30, 0)
        .unwrap();
    assert!(wall_to_utc(gap, la).is_err());
    let overlap = NaiveDate::from_ymd_opt(2018, 11, 4)
        .unwrap()
        .and_hms_opt(1, 30, 0)
        .unwrap();
    assert_eq!(
        format_instant(wall_to_utc(overlap, la).unwrap()),
        "2018-11-04T08:30:00Z"
    );

    // FL-TIMEZONE-PREFER: stored UTC dates shown in the requested zone, labelled as sent.
    let stored =
        json!({"FlagStatus":"Flagged","StartDateTime":dttz("2017-12-22T16:00:00.0000000","UTC")});
    let shown = flag_in_zone(
        &stored,
        "Pacific Standard Time",
        resolve_zone("Pacific Standard Time").unwrap(),
    );
    assert_eq!(
        shown,
        json!({"FlagStatus":"Flagged","StartDateTime":dttz("2017-12-22T08:00:00.0000000","Pacific Standard Time")})
    );
    assert_eq!(flag_in_zone(&json!(null), "UTC", la), json!(null));
}
