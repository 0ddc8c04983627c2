//! Invalid payloads that each break exactly one named rule, paired with the status
//! and error codes that rule requires.

use super::contact::MARKER_PROPERTY;
use super::text::awkward_short;
use contactspec_model::ErrorCode;
use contactspec_model::properties::CONTACT_PROPERTIES;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// The marker placeholder generated bodies carry; the property replaces it with the
/// run's marker before sending, and case files keep it as the `{{marker}}` template.
pub const MARKER: &str = "{{marker}}";

/// How the defect is put into a body.
#[derive(Debug, Clone, PartialEq)]
pub enum Defect {
    /// Members added to (or replacing members of) a valid body.
    Members(Vec<(String, Value)>),
    /// The whole body, as raw text (malformed JSON, duplicate members, not an object).
    Text(String),
}

/// A payload that breaks exactly one rule.
#[derive(Debug, Clone, PartialEq)]
pub struct InvalidPayload {
    /// The rule it breaks.
    pub rule: &'static str,
    /// What is wrong, for a person.
    pub what: String,
    /// The defect.
    pub defect: Defect,
    /// Whether the same defect in a PATCH body breaks the same rule.
    pub applies_to_patch: bool,
    /// The status the rule requires.
    pub status: u16,
    /// The codes the rule allows.
    pub codes: Vec<ErrorCode>,
}

impl InvalidPayload {
    /// The POST body text: a valid `{"GivenName", marker}` contact with the defect.
    pub fn post_body(&self, given: &str) -> String {
        match &self.defect {
            Defect::Text(t) => t.clone(),
            Defect::Members(ms) => {
                let mut m = Map::new();
                m.insert("GivenName".into(), json!(given));
                m.insert(MARKER_PROPERTY.into(), json!(MARKER));
                for (k, v) in ms {
                    m.insert(k.clone(), v.clone());
                }
                Value::Object(m).to_string()
            }
        }
    }
    /// The PATCH body text: only the defect.
    pub fn patch_body(&self) -> String {
        match &self.defect {
            Defect::Text(t) => t.clone(),
            Defect::Members(ms) => Value::Object(ms.iter().cloned().collect()).to_string(),
        }
    }
}

const RBR: &[ErrorCode] = &[ErrorCode::RequestBodyRead];
const ARG: &[ErrorCode] = &[ErrorCode::ErrorInvalidArgument];
const DATE: &[ErrorCode] = &[ErrorCode::RequestBodyRead, ErrorCode::ErrorInvalidArgument];
const SET: &[ErrorCode] = &[ErrorCode::ErrorInvalidPropertySet];

fn members(
    rule: &'static str,
    what: String,
    ms: Vec<(&str, Value)>,
    patch: bool,
    codes: &[ErrorCode],
) -> InvalidPayload {
    InvalidPayload {
        rule,
        what,
        defect: Defect::Members(ms.into_iter().map(|(k, v)| (k.to_string(), v)).collect()),
        applies_to_patch: patch,
        status: 400,
        codes: codes.to_vec(),
    }
}

fn text(rule: &'static str, what: &str, t: String) -> InvalidPayload {
    InvalidPayload {
        rule,
        what: what.to_string(),
        defect: Defect::Text(t),
        applies_to_patch: true,
        status: 400,
        codes: RBR.to_vec(),
    }
}

fn names(kind: fn(&contactspec_model::PropKind) -> bool) -> Vec<&'static str> {
    CONTACT_PROPERTIES
        .iter()
        .filter(|p| p.writable && p.name != MARKER_PROPERTY && kind(&p.kind))
        .map(|p| p.name)
        .collect()
}

fn wrong_type() -> BoxedStrategy<InvalidPayload> {
    use contactspec_model::PropKind as K;
    let string_props = names(|k| matches!(k, K::String));
    let array_props = names(|k| {
        matches!(
            k,
            K::StringArray | K::EmailAddresses | K::Phones | K::PostalAddresses | K::Websites
        )
    });
    let not_string = prop::sample::select(vec![
        json!(42),
        json!(true),
        json!({"a": 1}),
        json!(["x"]),
        json!(1.5),
    ]);
    let not_array = prop::sample::select(vec![
        json!("x"),
        json!(7),
        json!({"Address": "a@b"}),
        json!(false),
    ]);
    prop_oneof![
        (prop::sample::select(string_props), not_string).prop_map(|(p, v)| members(
            "CT-TYPES",
            format!("{p} is {v}, not a string"),
            vec![(p, v)],
            true,
            RBR
        )),
        (prop::sample::select(array_props.clone()), not_array).prop_map(|(p, v)| members(
            "CT-TYPES",
            format!("{p} is {v}, not an array"),
            vec![(p, v)],
            true,
            RBR
        )),
        prop::sample::select(array_props).prop_map(|p| members(
            "CT-TYPES",
            format!("{p} is null"),
            vec![(p, Value::Null)],
            true,
            RBR
        )),
        prop::sample::select(vec!["Categories", "Children", "ImAddresses"]).prop_map(|p| members(
            "CT-TYPES",
            format!("{p} holds null"),
            vec![(p, json!(["a", null]))],
            true,
            RBR
        )),
        Just(members(
            "CT-TYPES",
            "Birthday is a number".into(),
            vec![("Birthday", json!(19740722))],
            true,
            RBR
        )),
        Just(members(
            "CT-TYPES",
            "Flag is a string".into(),
            vec![("Flag", json!("Flagged"))],
            true,
            RBR
        )),
    ]
    .boxed()
}

/// Changes the case of one letter of `s` so that it is no longer any property's name.
fn recase(s: &str, i: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    let i = i % chars.len().max(1);
    chars
        .iter()
        .enumerate()
        .map(|(j, c)| {
            if j == i {
                if c.is_uppercase() {
                    c.to_ascii_lowercase()
                } else {
                    c.to_ascii_uppercase()
                }
            } else {
                *c
            }
        })
        .collect()
}

fn bad_enum() -> BoxedStrategy<InvalidPayload> {
    let cases = |vals: &'static [&'static str]| {
        (prop::sample::select(vals), any::<bool>()).prop_map(|(v, upper)| {
            if upper {
                v.to_ascii_uppercase()
            } else {
                v.to_ascii_lowercase()
            }
        })
    };
    use contactspec_model::properties::{ADDRESS_TYPES, PHONE_TYPES, WEBSITE_TYPES};
    prop_oneof![
        cases(PHONE_TYPES).prop_map(|t| members(
            "CT-TYPES",
            format!("PhoneType {t:?}"),
            vec![("Phones", json!([{"Number": "1", "Type": t}]))],
            true,
            RBR
        )),
        cases(ADDRESS_TYPES).prop_map(|t| members(
            "CT-TYPES",
            format!("PhysicalAddress Type {t:?}"),
            vec![("PostalAddresses", json!([{"Type": t, "City": "X"}]))],
            true,
            RBR
        )),
        cases(WEBSITE_TYPES).prop_map(|t| members(
            "CT-TYPES",
            format!("WebsiteType {t:?}"),
            vec![("Websites", json!([{"Type": t, "Address": "https://x"}]))],
            true,
            RBR
        )),
        prop::sample::select(vec!["flagged", "FLAGGED", "Completed", "Unflagged", ""]).prop_map(
            |t| members(
                "CT-TYPES",
                format!("FlagStatus {t:?}"),
                vec![("Flag", json!({"FlagStatus": t}))],
                true,
                RBR
            )
        ),
    ]
    .boxed()
}

fn unknown_property() -> BoxedStrategy<InvalidPayload> {
    let writable: Vec<&'static str> = CONTACT_PROPERTIES
        .iter()
        .filter(|p| p.writable && p.name != MARKER_PROPERTY)
        .map(|p| p.name)
        .collect();
    prop_oneof![
        (prop::sample::select(writable), 0usize..12).prop_map(|(p, i)| {
            let n = recase(p, i);
            InvalidPayload {
                rule: "CT-UNKNOWN-PROPERTY",
                what: format!("wrong-case name {n:?}"),
                defect: Defect::Members(vec![(n, json!("x"))]),
                applies_to_patch: true,
                status: 400,
                codes: RBR.to_vec(),
            }
        }),
        prop::sample::select(vec![
            "Nickname2",
            "FirstName",
            "EmailAddress",
            "Email",
            "Notes",
            "X",
            "Birthday "
        ])
        .prop_map(|n| members(
            "CT-UNKNOWN-PROPERTY",
            format!("unknown property {n:?}"),
            vec![(n, json!("x"))],
            true,
            RBR
        )),
        Just(members(
            "CT-UNKNOWN-PROPERTY",
            "unknown EmailAddress member".into(),
            vec![("EmailAddresses", json!([{"Address": "a@b", "Adress": "x"}]))],
            true,
            RBR
        )),
    ]
    .boxed()
}

fn read_only() -> BoxedStrategy<InvalidPayload> {
    prop_oneof![
        (
            prop::sample::select(vec![
                "Id",
                "CreatedDateTime",
                "LastModifiedDateTime",
                "ParentFolderId",
                "IsFavorite"
            ]),
            prop::sample::select(vec![
                json!("AAMkAGI2AAA="),
                json!("2020-01-01T00:00:00Z"),
                json!(true),
                Value::Null
            ])
        )
            .prop_map(|(p, v)| members(
                "CT-READONLY",
                format!("read-only {p} = {v}"),
                vec![(p, v)],
                true,
                SET
            )),
        Just(members(
            "CT-READONLY",
            "ChangeKey in a POST body".into(),
            vec![("ChangeKey", json!("EQAAABYAAAA"))],
            false,
            SET
        )),
    ]
    .boxed()
}

fn too_many() -> BoxedStrategy<InvalidPayload> {
    (4usize..=6, any::<bool>())
        .prop_map(|(n, email)| {
            if email {
                let v: Vec<Value> = (0..n)
                    .map(|i| json!({"Address": format!("u{i}@example.com")}))
                    .collect();
                members(
                    "CT-LIMITS",
                    format!("{n} EmailAddresses"),
                    vec![("EmailAddresses", json!(v))],
                    true,
                    ARG,
                )
            } else {
                let v: Vec<Value> = (0..n).map(|i| json!(format!("im{i}"))).collect();
                members(
                    "CT-LIMITS",
                    format!("{n} ImAddresses"),
                    vec![("ImAddresses", json!(v))],
                    true,
                    ARG,
                )
            }
        })
        .boxed()
}

fn syntax() -> BoxedStrategy<InvalidPayload> {
    let valid = format!(r#"{{"GivenName":"Ada","{MARKER_PROPERTY}":"{MARKER}"}}"#);
    let cut = valid.clone();
    prop_oneof![
        (1usize..20).prop_map(move |k| text(
            "CT-TYPES",
            "truncated JSON",
            cut[..cut.len() - k.min(cut.len() - 1)].to_string()
        )),
        Just(text(
            "CT-TYPES",
            "trailing comma",
            format!(r#"{{"GivenName":"Ada","{MARKER_PROPERTY}":"{MARKER}",}}"#)
        )),
        Just(text(
            "CT-TYPES",
            "single quotes",
            format!("{{'GivenName':'Ada','{MARKER_PROPERTY}':'{MARKER}'}}")
        )),
        Just(text("CT-TYPES", "empty body", String::new())),
        prop::sample::select(vec![
            "[]",
            "\"Ada\"",
            "42",
            "null",
            "true",
            "[{\"GivenName\":\"Ada\"}]"
        ])
        .prop_map(|t| text("CT-TYPES", "body is not an object", t.to_string())),
        awkward_short().prop_map(|g| text(
            "CT-TYPES",
            "duplicate member",
            format!(
                r#"{{"GivenName":{},"{MARKER_PROPERTY}":"{MARKER}","GivenName":"dup"}}"#,
                json!(g)
            )
        )),
    ]
    .boxed()
}

fn dates() -> BoxedStrategy<InvalidPayload> {
    prop_oneof![
        prop::sample::select(vec![
            "1974-07-22T10:00:00",
            "1974-07-22T10:00:00.123",
            "2000-01-01T00:00:00"
        ])
        .prop_map(|b| members(
            "CT-BIRTHDAY",
            format!("Birthday {b} has no offset"),
            vec![("Birthday", json!(b))],
            true,
            RBR
        )),
        prop::sample::select(vec![
            "2019-02-29",
            "1974-13-01",
            "1974-07-32",
            "22/07/1974",
            "yesterday"
        ])
        .prop_map(|b| members(
            "CT-TYPES",
            format!("Birthday {b:?} is not a date"),
            vec![("Birthday", json!(b))],
            true,
            DATE
        )),
        prop::sample::select(vec![
            "2019-02-29",
            "2010-00-10",
            "2010-6-1",
            "2010-06-01T00:00:00Z"
        ])
        .prop_map(|b| members(
            "CT-TYPES",
            format!("WeddingAnniversary {b:?} is not a date"),
            vec![("WeddingAnniversary", json!(b))],
            true,
            DATE
        )),
        prop::sample::select(vec!["1600-12-31", "0999-01-01", "1066-10-14"]).prop_map(|b| members(
            "CT-DATE-RANGE",
            format!("Birthday {b} out of range"),
            vec![("Birthday", json!(b))],
            true,
            DATE
        )),
        prop::sample::select(vec!["1600-12-31", "0001-01-01"]).prop_map(|b| members(
            "CT-DATE-RANGE",
            format!("WeddingAnniversary {b} out of range"),
            vec![("WeddingAnniversary", json!(b))],
            true,
            DATE
        )),
    ]
    .boxed()
}

fn flag_defects() -> BoxedStrategy<InvalidPayload> {
    let d = |t: &str, z: &str| json!({"DateTime": t, "TimeZone": z});
    let a = d("2018-01-01T10:00:00", "UTC");
    let b = d("2018-01-02T10:00:00", "Pacific Standard Time");
    let f = |rule: &'static str, what: &str, flag: Value, codes: &[ErrorCode]| {
        members(rule, what.to_string(), vec![("Flag", flag)], true, codes)
    };
    let all = vec![
        f(
            "FL-NO-COMPLETED-WHEN-FLAGGED",
            "Flagged with CompletedDateTime",
            json!({"FlagStatus": "Flagged", "CompletedDateTime": a}),
            ARG,
        ),
        f(
            "FL-NO-COMPLETED-WHEN-FLAGGED",
            "Flagged with start and CompletedDateTime",
            json!({"FlagStatus": "Flagged", "StartDateTime": a, "CompletedDateTime": b}),
            ARG,
        ),
        f(
            "FL-DUE-NEEDS-START",
            "Flagged due without start",
            json!({"FlagStatus": "Flagged", "DueDateTime": b}),
            ARG,
        ),
        f(
            "FL-DUE-NEEDS-START",
            "Complete due without start",
            json!({"FlagStatus": "Complete", "DueDateTime": b}),
            ARG,
        ),
        f(
            "FL-ORDER",
            "Flagged due before start",
            json!({"FlagStatus": "Flagged", "StartDateTime": b, "DueDateTime": a}),
            ARG,
        ),
        f(
            "FL-ORDER",
            "Complete due before start",
            json!({"FlagStatus": "Complete", "StartDateTime": b, "DueDateTime": a, "CompletedDateTime": a}),
            ARG,
        ),
        f(
            "FL-NOTFLAGGED",
            "NotFlagged with start",
            json!({"FlagStatus": "NotFlagged", "StartDateTime": a}),
            ARG,
        ),
        f(
            "FL-NOTFLAGGED",
            "NotFlagged with completion",
            json!({"FlagStatus": "NotFlagged", "CompletedDateTime": a}),
            ARG,
        ),
        f(
            "FL-NOTFLAGGED",
            "NotFlagged with start and due",
            json!({"FlagStatus": "NotFlagged", "StartDateTime": a, "DueDateTime": b}),
            ARG,
        ),
        f(
            "FL-DATETIME",
            "DateTime with Z",
            json!({"FlagStatus": "Flagged", "StartDateTime": d("2018-01-01T10:00:00Z", "UTC")}),
            DATE,
        ),
        f(
            "FL-DATETIME",
            "DateTime with offset",
            json!({"FlagStatus": "Flagged", "StartDateTime": d("2018-01-01T10:00:00+01:00", "W. Europe Standard Time")}),
            DATE,
        ),
        f(
            "FL-DATETIME",
            "DateTime does not parse",
            json!({"FlagStatus": "Complete", "CompletedDateTime": d("next tuesday", "UTC")}),
            DATE,
        ),
        f(
            "FL-DATETIME",
            "impossible DateTime",
            json!({"FlagStatus": "Flagged", "StartDateTime": d("2018-02-30T10:00:00", "UTC")}),
            DATE,
        ),
        f(
            "FL-DATETIME",
            "missing TimeZone",
            json!({"FlagStatus": "Flagged", "StartDateTime": {"DateTime": "2018-01-01T10:00:00"}}),
            DATE,
        ),
        f(
            "FL-DATETIME",
            "unknown TimeZone",
            json!({"FlagStatus": "Flagged", "StartDateTime": d("2018-01-01T10:00:00", "Mars/Olympus")}),
            DATE,
        ),
        f(
            "FL-DST",
            "wall time in the spring-forward gap (Pacific)",
            json!({"FlagStatus": "Flagged", "StartDateTime": d("2018-03-11T02:30:00", "Pacific Standard Time")}),
            ARG,
        ),
        f(
            "FL-DST",
            "wall time in the spring-forward gap (Berlin)",
            json!({"FlagStatus": "Complete", "CompletedDateTime": d("2018-03-25T02:30:00", "Europe/Berlin")}),
            ARG,
        ),
        f("FL-SHAPE", "Flag is null", Value::Null, RBR),
        f(
            "FL-SHAPE",
            "Flag without FlagStatus",
            json!({"StartDateTime": a}),
            RBR,
        ),
        f("FL-SHAPE", "empty Flag", json!({}), RBR),
    ];
    prop::sample::select(all).boxed()
}

/// Any invalid payload, each breaking exactly one rule.
pub fn invalid_payload() -> BoxedStrategy<InvalidPayload> {
    prop_oneof![
        2 => wrong_type(),
        1 => bad_enum(),
        1 => unknown_property(),
        1 => read_only(),
        1 => too_many(),
        2 => syntax(),
        1 => dates(),
        3 => flag_defects(),
    ]
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oracle::flag::{FlagVerdict, judge_flag};
    use proptest::test_runner::TestRunner;

    #[test]
    fn flag_defects_break_their_rule() {
        let mut r = TestRunner::deterministic();
        let s = flag_defects();
        for _ in 0..200 {
            let p = s.new_tree(&mut r).unwrap().current();
            let Defect::Members(ms) = &p.defect else {
                panic!()
            };
            match judge_flag(&ms[0].1) {
                FlagVerdict::Invalid(b) => assert_eq!(
                    b.iter().map(|b| b.rule).collect::<Vec<_>>(),
                    [p.rule],
                    "{}",
                    p.what
                ),
                FlagVerdict::Valid(_) => panic!("{} judged valid", p.what),
            }
        }
    }

    #[test]
    fn date_defects_break_their_rule() {
        use crate::oracle::values::{judge_birthday, judge_date};
        let mut r = TestRunner::deterministic();
        let s = dates();
        for _ in 0..200 {
            let p = s.new_tree(&mut r).unwrap().current();
            let Defect::Members(ms) = &p.defect else {
                panic!()
            };
            let (name, v) = &ms[0];
            let v = v.as_str().unwrap();
            let broken = if name == "Birthday" {
                judge_birthday(v).unwrap_err()
            } else {
                judge_date(v).unwrap_err()
            };
            assert_eq!(broken.rule, p.rule, "{}", p.what);
            assert_eq!(broken.codes, p.codes, "{}", p.what);
        }
    }

    #[test]
    fn recased_names_are_not_properties() {
        for p in CONTACT_PROPERTIES {
            for i in 0..p.name.len() {
                let n = recase(p.name, i);
                assert!(CONTACT_PROPERTIES.iter().all(|q| q.name != n), "{n}");
            }
        }
    }
}
