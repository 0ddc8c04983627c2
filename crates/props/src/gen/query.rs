//! Query strategies: page sizes, `$select` lists, `$orderby` keys and `$filter`
//! expressions over the properties of collection contacts.

use super::contact::{POOL_BIRTHDAYS, POOL_DATES, POOL_EMAILS, POOL_PHONES};
use super::text::word;
use crate::oracle::filter::{AnyOver, Filter, Lit, Op};
use crate::oracle::order::OrderKey;
use crate::oracle::values::{judge_birthday, parse_date};
use contactspec_model::properties::CONTACT_PROPERTIES;
use proptest::prelude::*;

/// A page size for `$top` or `odata.maxpagesize`: mostly 1–12 (below every server's
/// maximum), sometimes 50 (the least maximum allowed) or far above any maximum
/// (lowered, never rejected: Q-TOP-BOUNDS).
pub fn page_size() -> impl Strategy<Value = usize> {
    prop_oneof![
        9 => 1usize..=12,
        1 => prop::sample::select(&[50usize, 1000, 1 << 40][..]),
    ]
}

/// How the page size is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageAsk {
    /// `$top=n`
    Top,
    /// `Prefer: odata.maxpagesize=n`
    MaxPageSize,
}

/// `$top` or `odata.maxpagesize`.
pub fn page_ask() -> impl Strategy<Value = PageAsk> {
    prop_oneof![Just(PageAsk::Top), Just(PageAsk::MaxPageSize)]
}

/// A `$select` list: one to five properties of Contact (none of them read-only-only
/// sub-properties), or `None` for no `$select`.
pub fn select_list() -> impl Strategy<Value = Option<Vec<&'static str>>> {
    let names: Vec<&'static str> = CONTACT_PROPERTIES.iter().map(|p| p.name).collect();
    prop::option::of(prop::sample::subsequence(names, 1..=5))
}

/// Properties collection contacts fill that `$orderby` accepts.
pub const ORDERABLE: &[&str] = &[
    "GivenName",
    "Surname",
    "DisplayName",
    "CompanyName",
    "JobTitle",
    "Department",
    "Birthday",
    "WeddingAnniversary",
    "CreatedDateTime",
];

/// Zero to two `$orderby` keys.
pub fn orderby() -> impl Strategy<Value = Vec<OrderKey>> {
    prop::collection::vec(
        (prop::sample::select(ORDERABLE), any::<bool>())
            .prop_map(|(prop, desc)| OrderKey { prop, desc }),
        0..=2,
    )
    .prop_map(|mut v| {
        let mut seen = Vec::new();
        v.retain(|k| {
            let fresh = !seen.contains(&k.prop);
            seen.push(k.prop);
            fresh
        });
        v
    })
}

const STRING_FILTERABLE: &[&str] = &[
    "GivenName",
    "Surname",
    "DisplayName",
    "CompanyName",
    "JobTitle",
    "Department",
];

fn op() -> impl Strategy<Value = Op> {
    prop::sample::select(&[Op::Eq, Op::Eq, Op::Ne, Op::Gt, Op::Ge, Op::Lt, Op::Le][..])
}

fn leaf() -> BoxedStrategy<Filter> {
    let instants: Vec<Lit> = POOL_BIRTHDAYS
        .iter()
        .filter_map(|b| judge_birthday(b).ok())
        .map(Lit::Instant)
        .collect();
    let dates: Vec<Lit> = POOL_DATES
        .iter()
        .filter_map(|d| parse_date(d))
        .map(Lit::Date)
        .collect();
    prop_oneof![
        5 => (prop::sample::select(STRING_FILTERABLE), op(), word()).prop_map(|(p, o, w)| Filter::Cmp(p, o, Lit::Str(w))),
        1 => (prop::sample::select(STRING_FILTERABLE), prop::sample::select(&[Op::Eq, Op::Ne][..]))
            .prop_map(|(p, o)| Filter::Cmp(p, o, Lit::Null)),
        2 => (op(), prop::sample::select(instants)).prop_map(|(o, l)| Filter::Cmp("Birthday", o, l)),
        1 => (op(), prop::sample::select(dates)).prop_map(|(o, l)| Filter::Cmp("WeddingAnniversary", o, l)),
        2 => (prop::sample::select(&[Op::Eq, Op::Ne][..]), prop::sample::select(&["flagged", "NotFlagged", "COMPLETE"][..]))
            .prop_map(|(o, s)| Filter::Cmp("Flag/FlagStatus", o, Lit::Str(s.into()))),
        1 => prop::sample::select(POOL_EMAILS).prop_map(|a| Filter::Any(AnyOver::EmailAddress, a.to_ascii_lowercase())),
        1 => prop::sample::select(POOL_PHONES).prop_map(|n| Filter::Any(AnyOver::PhoneNumber, n.to_string())),
        1 => word().prop_map(|w| Filter::Any(AnyOver::Child, w)),
    ]
    .boxed()
}

/// A `$filter` expression: comparisons combined with `and`, `or`, `not`.
pub fn filter() -> impl Strategy<Value = Filter> {
    leaf().prop_recursive(3, 8, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Filter::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Filter::Or(Box::new(a), Box::new(b))),
            inner.prop_map(|a| Filter::Not(Box::new(a))),
        ]
    })
}
