//! Contact payload strategies: valid contacts covering every writable property, PATCH
//! bodies, and "collection" contacts whose values come from small pools so that
//! filters match and order keys tie.

use super::dates::{birthday, date_value};
use super::flag::valid_flag;
use super::text::{any_string, awkward_short, word};
use contactspec_model::properties::{
    ADDRESS_TYPES, CONTACT_PROPERTIES, MAX_ADDRESSES, PHONE_TYPES, WEBSITE_TYPES,
};
use contactspec_model::{PropKind, Property};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// The property every suite-created contact carries the run's marker in; generators
/// never set it.
pub const MARKER_PROPERTY: &str = "PersonalNotes";

/// Writable properties the generators set (all writable ones but the marker's).
pub fn generated_properties() -> Vec<&'static Property> {
    CONTACT_PROPERTIES
        .iter()
        .filter(|p| p.writable && p.name != MARKER_PROPERTY)
        .collect()
}

fn opt_member(
    name: &'static str,
    s: BoxedStrategy<String>,
) -> BoxedStrategy<Option<(&'static str, Value)>> {
    prop::option::weighted(0.8, s)
        .prop_map(move |v| v.map(|v| (name, Value::String(v))))
        .boxed()
}

fn complex(members: Vec<BoxedStrategy<Option<(&'static str, Value)>>>) -> BoxedStrategy<Value> {
    members
        .prop_map(|ms| {
            let mut m = Map::new();
            for (k, v) in ms.into_iter().flatten() {
                m.insert(k.to_string(), v);
            }
            Value::Object(m)
        })
        .boxed()
}

/// An EmailAddress `{Name, Address}` (Address always sent).
pub fn email() -> BoxedStrategy<Value> {
    let addr = prop_oneof![
        (0u32..50).prop_map(|n| format!("user{n}@example.com")),
        Just("O'Brien+tag@example.org".to_string()),
        Just("名前@例え.jp".to_string()),
        awkward_short(),
    ];
    (prop::option::weighted(0.7, any_string()), addr)
        .prop_map(|(name, address)| {
            let mut m = Map::new();
            if let Some(n) = name {
                m.insert("Name".into(), json!(n));
            }
            m.insert("Address".into(), json!(address));
            Value::Object(m)
        })
        .boxed()
}

/// A Phone with any PhoneType.
pub fn phone() -> BoxedStrategy<Value> {
    complex(vec![
        opt_member(
            "Number",
            prop_oneof![Just("+1 425 555 0100".to_string()), any_string()].boxed(),
        ),
        opt_member(
            "Type",
            prop::sample::select(PHONE_TYPES)
                .prop_map(str::to_string)
                .boxed(),
        ),
    ])
}

/// A PhysicalAddress with any Type.
pub fn postal_address() -> BoxedStrategy<Value> {
    complex(vec![
        opt_member(
            "Type",
            prop::sample::select(ADDRESS_TYPES)
                .prop_map(str::to_string)
                .boxed(),
        ),
        opt_member("Street", any_string().boxed()),
        opt_member("City", any_string().boxed()),
        opt_member("State", awkward_short().boxed()),
        opt_member("CountryOrRegion", awkward_short().boxed()),
        opt_member("PostalCode", awkward_short().boxed()),
    ])
}

/// A Website with any WebsiteType.
pub fn website() -> BoxedStrategy<Value> {
    complex(vec![
        opt_member(
            "Type",
            prop::sample::select(WEBSITE_TYPES)
                .prop_map(str::to_string)
                .boxed(),
        ),
        opt_member(
            "Address",
            prop_oneof![Just("https://example.com/a?b=c".to_string()), any_string()].boxed(),
        ),
        opt_member("DisplayName", any_string().boxed()),
    ])
}

/// A valid value for a writable property. `must_zones` restricts flag zones to the
/// ones every server MUST know.
pub fn value_for(p: &Property, must_zones: bool) -> BoxedStrategy<Value> {
    let strings = |max: usize| {
        prop::collection::vec(any_string(), 0..=max)
            .prop_map(|v| json!(v))
            .boxed()
    };
    match p.kind {
        PropKind::String => {
            prop_oneof![9 => any_string().prop_map(Value::String), 1 => Just(Value::Null)].boxed()
        }
        PropKind::StringArray if p.name == "ImAddresses" => strings(MAX_ADDRESSES),
        PropKind::StringArray => strings(4),
        PropKind::DateTimeOffset => {
            prop_oneof![5 => birthday().prop_map(Value::String), 1 => Just(Value::Null)].boxed()
        }
        PropKind::Date => {
            prop_oneof![5 => date_value().prop_map(Value::String), 1 => Just(Value::Null)].boxed()
        }
        PropKind::EmailAddresses => prop::collection::vec(email(), 0..=MAX_ADDRESSES)
            .prop_map(Value::Array)
            .boxed(),
        PropKind::Phones => prop::collection::vec(phone(), 0..=4)
            .prop_map(Value::Array)
            .boxed(),
        PropKind::PostalAddresses => prop::collection::vec(postal_address(), 0..=3)
            .prop_map(Value::Array)
            .boxed(),
        PropKind::Websites => prop::collection::vec(website(), 0..=3)
            .prop_map(Value::Array)
            .boxed(),
        PropKind::Flag => valid_flag(must_zones),
        _ => Just(Value::Null).boxed(),
    }
}

/// A valid contact: `GivenName` always (SPEC.md: the suite sends it in every create
/// but one), each other generated property with probability one half. Shrinks toward
/// `{"GivenName": ""}`.
pub fn valid_contact(must_zones: bool) -> BoxedStrategy<Map<String, Value>> {
    let parts: Vec<BoxedStrategy<Option<(&'static str, Value)>>> = generated_properties()
        .into_iter()
        .filter(|p| p.name != "GivenName")
        .map(|p| {
            let name = p.name;
            prop::option::of(value_for(p, must_zones))
                .prop_map(move |v| v.map(|v| (name, v)))
                .boxed()
        })
        .collect();
    (any_string(), parts)
        .prop_map(|(given, parts)| {
            let mut m = Map::new();
            m.insert("GivenName".into(), json!(given));
            for (k, v) in parts.into_iter().flatten() {
                m.insert(k.to_string(), v);
            }
            m
        })
        .boxed()
}

/// A PATCH body: one to four generated properties with new values (strings may be
/// `null` to clear them; arrays replace the whole array; a Flag replaces the flag).
pub fn patch_body(must_zones: bool) -> BoxedStrategy<Map<String, Value>> {
    let one = prop::sample::select(generated_properties())
        .prop_flat_map(move |p| value_for(p, must_zones).prop_map(move |v| (p.name, v)));
    prop::collection::vec(one, 1..=4)
        .prop_map(|kv| {
            let mut m = Map::new();
            for (k, v) in kv {
                m.insert(k.to_string(), v);
            }
            m
        })
        .boxed()
}

/// Birthdays of collection contacts (a small pool, so filters match and keys tie).
pub const POOL_BIRTHDAYS: &[&str] = &[
    "1974-07-22",
    "1974-07-22T00:00:00Z",
    "1980-01-01T12:00:00+05:30",
    "2001-12-31",
];
/// Wedding anniversaries of collection contacts.
pub const POOL_DATES: &[&str] = &["2010-06-01", "1999-12-31", "2020-02-29"];
/// Email addresses of collection contacts.
pub const POOL_EMAILS: &[&str] = &["a@example.com", "B@Example.com", "c@example.org"];
/// Phone numbers of collection contacts.
pub const POOL_PHONES: &[&str] = &["555-0100", "555-0101", "+44 20 7946 0000"];

/// A contact of a generated collection: ASCII words from a small pool in the
/// filterable string properties, pooled dates, flags and addresses.
pub fn collection_contact() -> BoxedStrategy<Map<String, Value>> {
    let w = || prop::option::of(word());
    (
        word(),
        (w(), w(), w(), w(), w()),
        prop::option::of(prop::sample::select(POOL_BIRTHDAYS)),
        prop::option::of(prop::sample::select(POOL_DATES)),
        prop::sample::select(&["NotFlagged", "Flagged", "Complete"][..]),
        prop::collection::vec(prop::sample::select(POOL_EMAILS), 0..=2),
        prop::collection::vec(prop::sample::select(POOL_PHONES), 0..=2),
        prop::collection::vec(word(), 0..=2),
    )
        .prop_map(
            |(given, (sur, disp, comp, job, dept), bday, wed, flag, emails, phones, children)| {
                let mut m = Map::new();
                m.insert("GivenName".into(), json!(given));
                for (k, v) in [
                    ("Surname", sur),
                    ("DisplayName", disp),
                    ("CompanyName", comp),
                    ("JobTitle", job),
                    ("Department", dept),
                ] {
                    if let Some(v) = v {
                        m.insert(k.into(), json!(v));
                    }
                }
                if let Some(b) = bday {
                    m.insert("Birthday".into(), json!(b));
                }
                if let Some(d) = wed {
                    m.insert("WeddingAnniversary".into(), json!(d));
                }
                m.insert("Flag".into(), json!({"FlagStatus": flag}));
                if !emails.is_empty() {
                    m.insert(
                        "EmailAddresses".into(),
                        json!(
                            emails
                                .iter()
                                .map(|a| json!({"Address": a}))
                                .collect::<Vec<_>>()
                        ),
                    );
                }
                if !phones.is_empty() {
                    m.insert(
                        "Phones".into(),
                        json!(
                            phones
                                .iter()
                                .map(|n| json!({"Number": n, "Type": "Mobile"}))
                                .collect::<Vec<_>>()
                        ),
                    );
                }
                if !children.is_empty() {
                    m.insert("Children".into(), json!(children));
                }
                m
            },
        )
        .boxed()
}
