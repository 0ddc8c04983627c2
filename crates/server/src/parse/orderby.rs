//! `$orderby` (Q-ORDERBY, Q-ORDERBY-DETAIL, Q-FILTER-BAD, Q-PROPERTY-CASE).

use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::filter::MatchOptions;
use super::path::PropPath;
use super::{EntityKind, ParseError};

/// One sort key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderKey {
    /// The property path (canonical spelling).
    pub path: PropPath,
    /// `desc` was given.
    pub descending: bool,
}

/// A parsed `$orderby`: one or more keys, most significant first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderBy {
    keys: Vec<OrderKey>,
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '/'
}

/// Parses `$orderby`: comma-separated items `Path`, `Path asc` or `Path desc`
/// (`asc`/`desc` in any case), with spaces around items.
///
/// An unknown or non-filterable property → `ErrorInvalidProperty`; an empty item,
/// a malformed name or anything after the direction → `ErrorInvalidUrlQuery`.
pub fn parse_orderby(s: &str, kind: EntityKind) -> Result<OrderBy, ParseError> {
    let mut keys = Vec::new();
    for item in s.split(',') {
        let mut words = item.split([' ', '\t']).filter(|w| !w.is_empty());
        let Some(name) = words.next() else {
            return Err(ParseError::query("$orderby has an empty item"));
        };
        let descending = match words.next() {
            None => false,
            Some(d) if d.eq_ignore_ascii_case("asc") => false,
            Some(d) if d.eq_ignore_ascii_case("desc") => true,
            Some(d) => {
                return Err(ParseError::query(format!(
                    "$orderby direction must be asc or desc, not '{d}'"
                )));
            }
        };
        if let Some(extra) = words.next() {
            return Err(ParseError::query(format!(
                "unexpected '{extra}' in $orderby"
            )));
        }
        let segments: Vec<&str> = name.split('/').collect();
        if !name.chars().all(is_name_char)
            || segments
                .iter()
                .any(|seg| seg.is_empty() || seg.starts_with(|c: char| c.is_ascii_digit()))
        {
            return Err(ParseError::query(format!(
                "'{name}' is not a property path"
            )));
        }
        keys.push(OrderKey {
            path: PropPath::resolve(&segments, kind)?,
            descending,
        });
    }
    Ok(OrderBy { keys })
}

impl OrderBy {
    /// The keys, most significant first.
    pub fn keys(&self) -> &[OrderKey] {
        &self.keys
    }

    /// Compares two stored entities: strings case-insensitively, `null` (or
    /// absent) first ascending and last descending. Entities equal on every key
    /// compare `Equal`; the caller breaks ties. `Flag` (a complex value, which
    /// SPEC.md lists as filterable) orders by `FlagStatus`, then the start, due
    /// and completion wall times and zones.
    pub fn compare(&self, a: &Map<String, Value>, b: &Map<String, Value>) -> Ordering {
        self.compare_with(a, b, MatchOptions::default())
    }

    /// [`OrderBy::compare`] with explicit options.
    pub fn compare_with(
        &self,
        a: &Map<String, Value>,
        b: &Map<String, Value>,
        opts: MatchOptions,
    ) -> Ordering {
        let cs = opts.case_sensitive_strings;
        for key in &self.keys {
            let o = key.path.key(a, cs).cmp_key(&key.path.key(b, cs));
            let o = if key.descending { o.reverse() } else { o };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    }
}

impl std::fmt::Display for OrderBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, k) in self.keys.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(
                f,
                "{} {}",
                k.path,
                if k.descending { "desc" } else { "asc" }
            )?;
        }
        Ok(())
    }
}
