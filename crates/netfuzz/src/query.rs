//! Query strings for collection GETs: valid `$select`, `$filter`, `$orderby`, `$top`,
//! `$skip`, `$count` combinations, with at most one defect and SPEC.md's verdict.

use crate::text::{self, one_in, weighted};
use arbitrary::{Result, Unstructured};
use contactspec_model::{CONTACT_PROPERTIES, FOLDER_PROPERTIES, PropKind, Property};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Which entity type the collection holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    /// Contacts.
    Contact,
    /// Contact folders.
    Folder,
}

/// What SPEC.md says a conforming server does with the query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryVerdict {
    /// Valid: 200.
    Valid,
    /// Exactly one defect the named MUST rule rejects with 400.
    Reject(&'static str),
    /// Server's choice (a SHOULD rule or unspecified): no status expectation.
    Either,
}

/// A generated query string (already percent-encoded, without `?`).
#[derive(Debug, Clone)]
pub struct Query {
    /// The raw query string.
    pub raw: String,
    /// The verdict.
    pub verdict: QueryVerdict,
    /// Short description of the defect (`"none"`).
    pub defect: &'static str,
    /// `$top` when the query sets a valid one (page-size oracle).
    pub top: Option<usize>,
}

/// Characters left as-is inside values; everything else is percent-encoded.
const VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'$')
    .remove(b'\'')
    .remove(b',')
    .remove(b'(')
    .remove(b')')
    .remove(b':')
    .remove(b'/')
    .remove(b'*');

/// Encodes a value; spaces as `%20` or `+` (both mean a space, GEN-QUERY-DECODE).
pub(crate) fn enc(u: &mut Unstructured<'_>, v: &str) -> Result<String> {
    let e = utf8_percent_encode(v, VALUE).to_string();
    Ok(if u.arbitrary()? {
        e.replace("%20", "+")
    } else {
        e
    })
}

fn props(entity: Entity) -> &'static [Property] {
    match entity {
        Entity::Contact => CONTACT_PROPERTIES,
        Entity::Folder => FOLDER_PROPERTIES,
    }
}

/// Filterable scalar properties (usable in `$orderby` too).
fn sortable(entity: Entity) -> Vec<&'static Property> {
    props(entity)
        .iter()
        .filter(|p| p.filterable && p.kind != PropKind::Flag)
        .collect()
}

/// An OData string literal (quotes doubled).
pub(crate) fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A valid comparison on one filterable property.
fn atom(u: &mut Unstructured<'_>, entity: Entity) -> Result<String> {
    let p = *u.choose(&sortable(entity))?;
    let op = *u.choose(&["eq", "ne", "gt", "ge", "lt", "le"])?;
    let lit = match p.kind {
        PropKind::String => {
            if (op == "eq" || op == "ne") && one_in(u, 6)? {
                "null".to_string()
            } else {
                quote(&text::text(u)?)
            }
        }
        PropKind::ServerDateTime | PropKind::DateTimeOffset => {
            format!(
                "{}T{}Z",
                text::fmt_date(text::date(u, 1990..=2030)?),
                text::time(u)?
            )
        }
        PropKind::Date => text::fmt_date(text::date(u, 1990..=2030)?),
        _ => "null".to_string(),
    };
    if entity == Entity::Contact && one_in(u, 8)? {
        let st = *u.choose(contactspec_model::properties::FLAG_STATUSES)?;
        return Ok(format!("Flag/FlagStatus eq '{st}'"));
    }
    Ok(format!("{} {op} {lit}", p.name))
}

/// A valid filter expression of up to a few atoms.
fn filter(u: &mut Unstructured<'_>, entity: Entity, depth: u8) -> Result<String> {
    if depth >= 3 {
        return atom(u, entity);
    }
    Ok(match u.int_in_range(0..=4u8)? {
        0 | 1 => atom(u, entity)?,
        2 => format!(
            "{} and {}",
            filter(u, entity, depth + 1)?,
            filter(u, entity, depth + 1)?
        ),
        3 => format!(
            "({} or {})",
            filter(u, entity, depth + 1)?,
            filter(u, entity, depth + 1)?
        ),
        _ => format!("not ({})", filter(u, entity, depth + 1)?),
    })
}

/// A valid `$select` list (`*` sometimes).
pub(crate) fn select_list(u: &mut Unstructured<'_>, entity: Entity) -> Result<String> {
    if one_in(u, 10)? {
        return Ok("*".into());
    }
    let n = u.int_in_range(1..=4u8)?;
    let mut names = Vec::new();
    for _ in 0..n {
        names.push(u.choose(props(entity))?.name);
    }
    let sep = if u.arbitrary()? { "," } else { ", " };
    Ok(names.join(sep))
}

/// A valid `$orderby` of one or two keys.
pub(crate) fn orderby(u: &mut Unstructured<'_>, entity: Entity) -> Result<String> {
    let n = u.int_in_range(1..=2u8)?;
    let mut keys = Vec::new();
    for _ in 0..n {
        let p = *u.choose(&sortable(entity))?;
        let dir = *u.choose(&["", " asc", " desc"])?;
        keys.push(format!("{}{dir}", p.name));
    }
    Ok(keys.join(","))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QDefect {
    None,
    FilterSyntax,
    FilterUnknown,
    FilterNotFilterable,
    FilterFunction,
    FilterLiteral,
    OrderbyUnknown,
    OrderbySyntax,
    SelectUnknown,
    SelectEmpty,
    SelectSub,
    TopBad,
    SkipBad,
    TopHuge,
    Search,
    Duplicate,
    UnknownOption,
    NameCase,
    PropertyCase,
    BadPercent,
    Lambda,
}

const QDEFECTS: &[(u32, QDefect)] = &[
    (14, QDefect::None),
    (5, QDefect::FilterSyntax),
    (3, QDefect::FilterUnknown),
    (3, QDefect::FilterNotFilterable),
    (2, QDefect::FilterFunction),
    (3, QDefect::FilterLiteral),
    (2, QDefect::OrderbyUnknown),
    (3, QDefect::OrderbySyntax),
    (3, QDefect::SelectUnknown),
    (2, QDefect::SelectEmpty),
    (2, QDefect::SelectSub),
    (2, QDefect::TopBad),
    (2, QDefect::SkipBad),
    (2, QDefect::TopHuge),
    (2, QDefect::Search),
    (1, QDefect::Duplicate),
    (2, QDefect::UnknownOption),
    (3, QDefect::NameCase),
    (2, QDefect::PropertyCase),
    (2, QDefect::BadPercent),
    (1, QDefect::Lambda),
];

/// Generates a query for a collection of `entity`. `count_route` restricts it to what
/// the `$count` routes take (`$filter`).
pub fn query(u: &mut Unstructured<'_>, entity: Entity, count_route: bool) -> Result<Query> {
    let mut opts: Vec<(String, String)> = Vec::new();
    let mut top = None;
    if u.arbitrary()? {
        let f = filter(u, entity, 0)?;
        opts.push(("$filter".into(), enc(u, &f)?));
    }
    if !count_route {
        if u.arbitrary()? {
            let s = select_list(u, entity)?;
            opts.push(("$select".into(), enc(u, &s)?));
        }
        if one_in(u, 3)? {
            let o = orderby(u, entity)?;
            opts.push(("$orderby".into(), enc(u, &o)?));
        }
        if one_in(u, 3)? {
            let t = u.int_in_range(0..=60usize)?;
            top = Some(t);
            opts.push(("$top".into(), t.to_string()));
        }
        if one_in(u, 4)? {
            opts.push(("$skip".into(), u.int_in_range(0..=30u32)?.to_string()));
        }
        if one_in(u, 6)? {
            opts.push(("$count".into(), (*u.choose(&["true", "false"])?).into()));
        }
    }
    let defect = weighted(u, QDEFECTS)?;
    let set = |opts: &mut Vec<(String, String)>, k: &str, v: String| {
        opts.retain(|(n, _)| n != k);
        opts.push((k.to_string(), v));
    };
    use QueryVerdict::*;
    let (verdict, name): (QueryVerdict, &'static str) = match defect {
        QDefect::None => (Valid, "none"),
        QDefect::FilterSyntax => {
            let good = atom(u, entity)?;
            let bad = match u.int_in_range(0..=7u8)? {
                0 => format!("({good}"),
                1 => format!("{good})"),
                2 => format!("{good} and"),
                3 => good.replacen(" ", " eqq ", 1),
                4 => "Surname eq 'unterminated".to_string(),
                5 => "not".to_string(),
                6 => "Surname eq eq 'x'".to_string(),
                _ => format!("{good} {good}"),
            };
            set(&mut opts, "$filter", enc(u, &bad)?);
            (Reject("Q-FILTER-BAD"), "filter syntax error")
        }
        QDefect::FilterUnknown => {
            let name = *u.choose(&["Foo", "GivenNam", "Email", "Contact", "Flag/Status"])?;
            set(&mut opts, "$filter", enc(u, &format!("{name} eq 'x'"))?);
            (Reject("Q-FILTER-BAD"), "filter on unknown property")
        }
        QDefect::FilterNotFilterable => {
            let np: Vec<&Property> = props(entity).iter().filter(|p| !p.filterable).collect();
            let p = *u.choose(&np)?;
            set(&mut opts, "$filter", enc(u, &format!("{} eq 'x'", p.name))?);
            (Reject("Q-FILTER-BAD"), "filter on non-filterable property")
        }
        QDefect::FilterFunction => {
            let f = *u.choose(&["contains", "startswith", "endswith"])?;
            let p = *u.choose(&sortable(entity))?;
            set(
                &mut opts,
                "$filter",
                enc(u, &format!("{f}({},'a')", p.name))?,
            );
            (Reject("Q-FILTER-BAD"), "filter function")
        }
        QDefect::FilterLiteral => {
            let bad = match entity {
                Entity::Contact => *u.choose(&[
                    "CreatedDateTime gt 'yesterday'",
                    "CreatedDateTime eq 5",
                    "WeddingAnniversary eq 'June'",
                    "LastModifiedDateTime lt true",
                    "CreatedDateTime gt 2017-13-45T00:00:00Z",
                ])?,
                Entity::Folder => *u.choose(&[
                    "DisplayName eq 5",
                    "DisplayName eq true",
                    "DisplayName eq 2017-01-01T00:00:00Z",
                ])?,
            };
            set(&mut opts, "$filter", enc(u, bad)?);
            (Reject("Q-FILTER"), "filter literal of the wrong type")
        }
        QDefect::OrderbyUnknown | QDefect::OrderbySyntax if count_route => (Valid, "none"),
        QDefect::OrderbyUnknown => {
            let np: Vec<&str> = props(entity)
                .iter()
                .filter(|p| !p.filterable)
                .map(|p| p.name)
                .chain(["Foo", "GivenNam"])
                .collect();
            let name = *u.choose(&np)?;
            set(&mut opts, "$orderby", enc(u, name)?);
            (
                Reject("Q-FILTER-BAD"),
                "orderby unknown or non-filterable property",
            )
        }
        QDefect::OrderbySyntax => {
            let p = u.choose(&sortable(entity))?.name;
            let bad = match u.int_in_range(0..=3u8)? {
                0 => format!("{p} sideways"),
                1 => format!("{p} asc desc"),
                2 => format!(",{p}"),
                _ => format!("{p},"),
            };
            set(&mut opts, "$orderby", enc(u, &bad)?);
            (Reject("Q-FILTER-BAD"), "orderby syntax error")
        }
        QDefect::SelectUnknown | QDefect::SelectEmpty | QDefect::SelectSub if count_route => {
            (Valid, "none")
        }
        QDefect::SelectUnknown => {
            let good = u.choose(props(entity))?.name;
            let bad = *u.choose(&["Foo", "GivenNam", "Email", "Birthdays"])?;
            set(&mut opts, "$select", enc(u, &format!("{good},{bad}"))?);
            (Reject("Q-SELECT-UNKNOWN"), "select unknown name")
        }
        QDefect::SelectEmpty => {
            let good = u.choose(props(entity))?.name;
            let v = if u.arbitrary()? {
                String::new()
            } else {
                format!("{good},,Id")
            };
            set(&mut opts, "$select", enc(u, &v)?);
            (Reject("Q-SELECT-UNKNOWN"), "select empty item")
        }
        QDefect::SelectSub => {
            let v = match entity {
                Entity::Contact => {
                    *u.choose(&["Flag/FlagStatus", "EmailAddresses/Address", "Phones/Number"])?
                }
                Entity::Folder => "DisplayName/Length",
            };
            set(&mut opts, "$select", enc(u, v)?);
            (
                Reject(if entity == Entity::Contact {
                    "Q-SELECT"
                } else {
                    "Q-SELECT-UNKNOWN"
                }),
                "select sub-property",
            )
        }
        QDefect::TopBad | QDefect::SkipBad | QDefect::TopHuge if count_route => (Valid, "none"),
        QDefect::TopBad | QDefect::SkipBad => {
            let k = if defect == QDefect::TopBad {
                "$top"
            } else {
                "$skip"
            };
            let v = *u.choose(&[
                "-1",
                "1.5",
                "abc",
                "",
                "0x10",
                "1e3",
                "%2D5",
                "-99999999999999999999",
            ])?;
            top = None;
            set(&mut opts, k, v.into());
            (Reject("Q-TOP-BOUNDS"), "negative or non-integer $top/$skip")
        }
        QDefect::TopHuge => {
            let v = *u.choose(&["51", "1000", "2147483648", "99999999999999999999999999999"])?;
            top = None;
            set(&mut opts, "$top", v.into());
            (Valid, "huge $top")
        }
        QDefect::Search => {
            set(&mut opts, "$search", enc(u, "\"ada\"")?);
            (Reject("Q-SEARCH"), "$search")
        }
        QDefect::Duplicate => {
            opts.push(("$top".into(), "1".into()));
            opts.push(("$top".into(), "2".into()));
            top = None;
            (Either, "duplicate option")
        }
        QDefect::UnknownOption => {
            let (k, v) = *u.choose(&[
                ("$expand", "Photo"),
                ("$format", "json"),
                ("$levels", "2"),
                ("foo", "bar"),
                ("$", "x"),
            ])?;
            opts.push((k.into(), v.into()));
            (Either, "unknown option")
        }
        QDefect::NameCase => {
            // GEN-CASE-QUERY, GEN-QUERY-DECODE: same meaning, other spelling.
            for (k, _) in opts.iter_mut() {
                *k = match u.int_in_range(0..=2u8)? {
                    0 => k.to_uppercase(),
                    1 => k.replacen('$', "%24", 1),
                    _ => {
                        let mut c: Vec<char> = k.chars().collect();
                        if c.len() > 1 {
                            c[1] = c[1].to_ascii_uppercase();
                        }
                        c.into_iter().collect()
                    }
                };
            }
            (Valid, "option name case or encoding")
        }
        QDefect::PropertyCase => {
            for (_, v) in opts.iter_mut() {
                *v = v.to_lowercase();
            }
            (Either, "property names in other case")
        }
        QDefect::BadPercent => {
            let bad = *u.choose(&["%zz", "%", "%FF", "%C3%28", "%00"])?;
            opts.retain(|(k, _)| k != "$filter");
            opts.push(("$filter".into(), format!("Surname%20eq%20'{bad}'")));
            (Either, "invalid percent-encoding")
        }
        QDefect::Lambda if entity == Entity::Contact => {
            let f = *u.choose(&[
                "EmailAddresses/any(a:a/Address eq 'ada@example.com')",
                "Phones/any(p:p/Number eq '+1 555 0100')",
                "Children/any(c:c eq 'Bo')",
            ])?;
            set(&mut opts, "$filter", enc(u, f)?);
            (Either, "lambda filter")
        }
        QDefect::Lambda => (Valid, "none"),
    };
    let raw = opts
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    Ok(Query {
        raw,
        verdict,
        defect: name,
        top: if verdict == Valid { top } else { None },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_varied_queries() {
        let mut seen_reject = 0;
        let mut seen_valid = 0;
        for i in 0..400u32 {
            let data: Vec<u8> = (0..512u32)
                .map(|j| ((j * 31 + i * 977) ^ (i >> 2)) as u8)
                .collect();
            let mut u = Unstructured::new(&data);
            let q = query(
                &mut u,
                if i % 3 == 0 {
                    Entity::Folder
                } else {
                    Entity::Contact
                },
                i % 7 == 0,
            )
            .unwrap();
            assert!(!q.raw.contains(' '), "unencoded space in {}", q.raw);
            match q.verdict {
                QueryVerdict::Valid => seen_valid += 1,
                QueryVerdict::Reject(_) => seen_reject += 1,
                QueryVerdict::Either => {}
            }
        }
        assert!(
            seen_reject > 50 && seen_valid > 50,
            "{seen_reject} {seen_valid}"
        );
    }
}
