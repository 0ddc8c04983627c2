//! Property paths of `$filter` and `$orderby` (`GivenName`, `Flag/FlagStatus`,
//! `Flag/DueDateTime/DateTime`) and the typed values they compare.

use std::cmp::Ordering;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use contactspec_model::PropKind;
use serde_json::{Map, Value};

use super::datetime::{parse_instant, parse_wall};
use super::{EntityKind, ParseError};

/// The type of the value a property path names, which decides the literals it
/// accepts and how values compare.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ValueType {
    /// A string, compared case-insensitively.
    String,
    /// An enum member stored as a string (`Flag/FlagStatus`), compared like a string.
    Enum,
    /// A DateTimeOffset, compared as an instant.
    DateTimeOffset,
    /// A `YYYY-MM-DD` date.
    Date,
    /// A wall-clock time of a DateTimeTimeZone (`Flag/DueDateTime/DateTime`).
    Wall,
    /// The whole `Flag`.
    Flag,
    /// A whole DateTimeTimeZone (`Flag/StartDateTime`).
    DateTimeTimeZone,
}

/// A resolved property path: canonical segment names and the value type.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct PropPath {
    /// Canonical spellings, outermost first (`["Flag", "FlagStatus"]`).
    pub segments: Vec<&'static str>,
    /// The type of the value it names.
    pub ty: ValueType,
}

const FLAG_DATES: [&str; 3] = ["StartDateTime", "DueDateTime", "CompletedDateTime"];

fn find_ci(names: &[&'static str], name: &str) -> Option<&'static str> {
    names.iter().copied().find(|n| n.eq_ignore_ascii_case(name))
}

impl PropPath {
    /// Resolves `segments` (as written, any case) against the entity type.
    ///
    /// A name that matches no property, a property that is not filterable, or a
    /// sub-property that does not exist → `ErrorInvalidProperty` (Q-FILTER-BAD).
    pub fn resolve(segments: &[&str], kind: EntityKind) -> Result<PropPath, ParseError> {
        let Some(first) = segments.first() else {
            return Err(ParseError::property("empty property path"));
        };
        let Some(prop) = kind.property_ci(first) else {
            return Err(ParseError::property(format!("unknown property '{first}'")));
        };
        if !prop.filterable {
            return Err(ParseError::property(format!(
                "property '{}' cannot be used in a query",
                prop.name
            )));
        }
        let too_deep = || {
            ParseError::property(format!(
                "'{}' has no sub-property '{}'",
                prop.name,
                segments[1..].join("/")
            ))
        };
        let (names, ty): (Vec<&'static str>, ValueType) = match prop.kind {
            PropKind::Flag => match &segments[1..] {
                [] => (vec![], ValueType::Flag),
                [m] => {
                    if let Some(n) = find_ci(&["FlagStatus"], m) {
                        (vec![n], ValueType::Enum)
                    } else if let Some(n) = find_ci(&FLAG_DATES, m) {
                        (vec![n], ValueType::DateTimeTimeZone)
                    } else {
                        return Err(too_deep());
                    }
                }
                [m, d] => {
                    let Some(n) = find_ci(&FLAG_DATES, m) else {
                        return Err(too_deep());
                    };
                    if let Some(dn) = find_ci(&["DateTime"], d) {
                        (vec![n, dn], ValueType::Wall)
                    } else if let Some(dn) = find_ci(&["TimeZone"], d) {
                        (vec![n, dn], ValueType::String)
                    } else {
                        return Err(too_deep());
                    }
                }
                _ => return Err(too_deep()),
            },
            other => {
                if segments.len() > 1 {
                    return Err(too_deep());
                }
                let ty = match other {
                    PropKind::ServerDateTime | PropKind::DateTimeOffset => {
                        ValueType::DateTimeOffset
                    }
                    PropKind::Date => ValueType::Date,
                    _ => ValueType::String,
                };
                (vec![], ty)
            }
        };
        let mut all = vec![prop.name];
        all.extend(names);
        Ok(PropPath { segments: all, ty })
    }

    /// The value at this path in a stored entity; `None` when absent or `null`.
    pub fn lookup<'a>(&self, entity: &'a Map<String, Value>) -> Option<&'a Value> {
        let (first, rest) = self.segments.split_first()?;
        let mut v = entity.get(*first)?;
        for seg in rest {
            v = v.as_object()?.get(*seg)?;
        }
        (!v.is_null()).then_some(v)
    }

    /// The comparable key of the value at this path.
    pub(crate) fn key(&self, entity: &Map<String, Value>, case_sensitive: bool) -> Key {
        Key::of(self.ty, self.lookup(entity), case_sensitive)
    }
}

impl std::fmt::Display for PropPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.segments.join("/"))
    }
}

/// A typed, comparable value. `Null` sorts before everything.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) enum Key {
    Null,
    Str(String),
    Instant(DateTime<Utc>),
    Date(NaiveDate),
    Wall(NaiveDateTime),
    Tuple(Vec<Key>),
}

/// Case folding used for every case-insensitive string comparison.
pub(crate) fn fold(s: &str, case_sensitive: bool) -> String {
    if case_sensitive {
        s.to_owned()
    } else {
        s.to_lowercase()
    }
}

impl Key {
    /// The key of a stored value of type `ty` (`None` = absent or null). Stored
    /// values that do not parse as their type count as null.
    pub(crate) fn of(ty: ValueType, v: Option<&Value>, case_sensitive: bool) -> Key {
        let Some(v) = v.filter(|v| !v.is_null()) else {
            return Key::Null;
        };
        match ty {
            ValueType::String | ValueType::Enum => match v.as_str() {
                Some(s) => Key::Str(fold(s, case_sensitive)),
                None => Key::Null,
            },
            ValueType::DateTimeOffset => v
                .as_str()
                .and_then(parse_instant)
                .map_or(Key::Null, Key::Instant),
            ValueType::Date => v
                .as_str()
                .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
                .map_or(Key::Null, Key::Date),
            ValueType::Wall => v.as_str().and_then(parse_wall).map_or(Key::Null, Key::Wall),
            ValueType::DateTimeTimeZone => {
                let o = v.as_object();
                Key::Tuple(vec![
                    Key::of(
                        ValueType::Wall,
                        o.and_then(|o| o.get("DateTime")),
                        case_sensitive,
                    ),
                    Key::of(
                        ValueType::String,
                        o.and_then(|o| o.get("TimeZone")),
                        case_sensitive,
                    ),
                ])
            }
            ValueType::Flag => {
                let o = v.as_object();
                let mut keys = vec![Key::of(
                    ValueType::Enum,
                    o.and_then(|o| o.get("FlagStatus")),
                    case_sensitive,
                )];
                for d in FLAG_DATES {
                    keys.push(Key::of(
                        ValueType::DateTimeTimeZone,
                        o.and_then(|o| o.get(d)),
                        case_sensitive,
                    ));
                }
                Key::Tuple(keys)
            }
        }
    }

    /// Total order: `Null` first; values of different variants (which a resolved
    /// path never produces) order by variant.
    pub(crate) fn cmp_key(&self, other: &Key) -> Ordering {
        use Key::*;
        match (self, other) {
            (Null, Null) => Ordering::Equal,
            (Null, _) => Ordering::Less,
            (_, Null) => Ordering::Greater,
            (Str(a), Str(b)) => a.cmp(b),
            (Instant(a), Instant(b)) => a.cmp(b),
            (Date(a), Date(b)) => a.cmp(b),
            (Wall(a), Wall(b)) => a.cmp(b),
            (Tuple(a), Tuple(b)) => {
                for (x, y) in a.iter().zip(b) {
                    let o = x.cmp_key(y);
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                a.len().cmp(&b.len())
            }
            _ => self.rank().cmp(&other.rank()),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Key::Null => 0,
            Key::Str(_) => 1,
            Key::Instant(_) => 2,
            Key::Date(_) => 3,
            Key::Wall(_) => 4,
            Key::Tuple(_) => 5,
        }
    }
}
