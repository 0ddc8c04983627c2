//! Structure-aware contact bodies: a valid contact (right shape) with at most one
//! thing wrong, and the verdict SPEC.md gives for that one defect.

use crate::json::RawJson;
use crate::text::{self, one_in, weighted};
use arbitrary::{Result, Unstructured};
use contactspec_model::properties::BODY_LIMIT;
use contactspec_model::properties::{
    ADDRESS_TYPES, FLAG_STATUSES, PHONE_TYPES, WEBSITE_TYPES, contact_property,
};
use contactspec_model::{CONTACT_PROPERTIES, PropKind, Property};

/// Whether the body is for a create (POST) or an update (PATCH).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `POST …/contacts`.
    Create,
    /// `PATCH …/contacts/{id}`.
    Update,
}

/// What SPEC.md says a conforming server does with the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A valid body: 201 on create, 200 on update.
    Valid,
    /// Exactly one defect that the named MUST rule rejects with 400.
    Reject(&'static str),
    /// Borderline: the rule lets the server accept or answer 400.
    Either(&'static str),
    /// Over the body limit: 413 (GEN-BODY-LIMIT).
    TooLarge,
    /// A valid body of exactly the limit: accepted (GEN-BODY-LIMIT).
    AtLimit,
    /// A body of exactly the limit that the server may refuse for its content (400)
    /// but never for its size.
    NotTooLarge,
}

/// A generated contact body.
#[derive(Debug, Clone)]
pub struct ContactBody {
    /// The bytes to send.
    pub bytes: Vec<u8>,
    /// What a conforming server does with them.
    pub verdict: Verdict,
    /// A short name of the defect (`"none"` for a valid body), for reports.
    pub defect: &'static str,
}

/// Writable properties other than the two the fuzzer uses as markers.
fn free_props() -> impl Iterator<Item = &'static Property> {
    CONTACT_PROPERTIES
        .iter()
        .filter(|p| p.writable && p.name != "GivenName" && p.name != "Surname")
}

fn pick_prop(
    u: &mut Unstructured<'_>,
    pred: impl Fn(&Property) -> bool,
) -> Result<&'static Property> {
    let props: Vec<&'static Property> = free_props().filter(|p| pred(p)).collect();
    Ok(*u.choose(&props)?)
}

fn dttz(dt: String, zone: &str) -> RawJson {
    RawJson::Obj(vec![
        ("DateTime".into(), RawJson::Str(dt)),
        ("TimeZone".into(), RawJson::str(zone)),
    ])
}

/// A DateTimeTimeZone at noon of a day `days` after a base date, in a known zone.
fn noon(base: (u32, u32, u32), days: i32, frac: &str, zone: &str) -> RawJson {
    let (y, m, d) = shift_days(base, days);
    dttz(format!("{y:04}-{m:02}-{d:02}T12:00:00{frac}"), zone)
}

fn shift_days((mut y, mut m, mut d): (u32, u32, u32), days: i32) -> (u32, u32, u32) {
    if days >= 0 {
        for _ in 0..days {
            d += 1;
            if d > text::days_in_month(y, m) {
                d = 1;
                m += 1;
                if m > 12 {
                    m = 1;
                    y += 1;
                }
            }
        }
    } else {
        for _ in 0..(-days) {
            if d > 1 {
                d -= 1;
            } else {
                if m > 1 {
                    m -= 1;
                } else {
                    m = 12;
                    y -= 1;
                }
                d = text::days_in_month(y, m);
            }
        }
    }
    (y, m, d)
}

/// A valid FollowupFlag.
fn valid_flag(u: &mut Unstructured<'_>) -> Result<RawJson> {
    let status = *u.choose(FLAG_STATUSES)?;
    let mut m = vec![("FlagStatus".to_string(), RawJson::str(status))];
    let base = text::date(u, 2000..=2030)?;
    let frac = text::fraction(u)?;
    match status {
        "Flagged" => {
            if u.arbitrary()? {
                let z1 = *u.choose(text::KNOWN_ZONES)?;
                let z2 = *u.choose(text::KNOWN_ZONES)?;
                let k = u.int_in_range(if z1 == z2 { 0..=40 } else { 1..=40 })?;
                m.push(("StartDateTime".into(), noon(base, 0, &frac, z1)));
                m.push(("DueDateTime".into(), noon(base, k, &frac, z2)));
            }
            if one_in(u, 4)? {
                m.push(("CompletedDateTime".into(), RawJson::Null));
            }
        }
        "Complete" => {
            if u.arbitrary()? {
                let z = *u.choose(text::KNOWN_ZONES)?;
                m.push(("CompletedDateTime".into(), noon(base, 0, &frac, z)));
            }
        }
        _ => {
            if one_in(u, 4)? {
                m.push(("StartDateTime".into(), RawJson::Null));
            }
        }
    }
    Ok(RawJson::Obj(m))
}

fn text_or_null(u: &mut Unstructured<'_>) -> Result<RawJson> {
    Ok(if one_in(u, 8)? {
        RawJson::Null
    } else {
        RawJson::Str(text::text(u)?)
    })
}

/// A valid value for a writable property.
pub fn valid_value(u: &mut Unstructured<'_>, p: &Property) -> Result<RawJson> {
    Ok(match p.kind {
        PropKind::String => text_or_null(u)?,
        PropKind::StringArray => {
            let n = u.int_in_range(0..=3u8)?;
            RawJson::Arr(
                (0..n)
                    .map(|_| text::text(u).map(RawJson::Str))
                    .collect::<Result<_>>()?,
            )
        }
        PropKind::DateTimeOffset => {
            if one_in(u, 8)? {
                RawJson::Null
            } else {
                RawJson::Str(text::birthday(u)?)
            }
        }
        PropKind::Date => {
            if one_in(u, 8)? {
                RawJson::Null
            } else {
                RawJson::Str(text::fmt_date(text::date(u, 1601..=9999)?))
            }
        }
        PropKind::EmailAddresses => {
            let n = u.int_in_range(0..=3u8)?;
            let mut v = Vec::new();
            for _ in 0..n {
                let mut m = vec![("Address".to_string(), RawJson::Str(text::email(u)?))];
                match u.int_in_range(0..=2u8)? {
                    0 => m.push(("Name".into(), RawJson::Str(text::text(u)?))),
                    1 => m.push(("Name".into(), RawJson::Null)),
                    _ => {}
                }
                v.push(RawJson::Obj(m));
            }
            RawJson::Arr(v)
        }
        PropKind::Phones => {
            let n = u.int_in_range(0..=3u8)?;
            let mut v = Vec::new();
            for _ in 0..n {
                v.push(RawJson::Obj(vec![
                    (
                        "Number".into(),
                        RawJson::Str(format!("+1 555 {:04}", u.int_in_range(0..=9999u16)?)),
                    ),
                    ("Type".into(), RawJson::str(*u.choose(PHONE_TYPES)?)),
                ]));
            }
            RawJson::Arr(v)
        }
        PropKind::PostalAddresses => {
            let n = u.int_in_range(0..=2u8)?;
            let mut v = Vec::new();
            for _ in 0..n {
                let mut m = vec![("Type".to_string(), RawJson::str(*u.choose(ADDRESS_TYPES)?))];
                for member in ["Street", "City", "State", "CountryOrRegion", "PostalCode"] {
                    if u.arbitrary()? {
                        m.push((member.into(), RawJson::Str(text::text(u)?)));
                    }
                }
                v.push(RawJson::Obj(m));
            }
            RawJson::Arr(v)
        }
        PropKind::Websites => {
            let n = u.int_in_range(0..=2u8)?;
            let mut v = Vec::new();
            for _ in 0..n {
                v.push(RawJson::Obj(vec![
                    ("Type".into(), RawJson::str(*u.choose(WEBSITE_TYPES)?)),
                    (
                        "Address".into(),
                        RawJson::Str(format!("https://example.com/{}", text::word(u)?)),
                    ),
                    ("DisplayName".into(), RawJson::Str(text::text(u)?)),
                ]));
            }
            RawJson::Arr(v)
        }
        PropKind::Flag => valid_flag(u)?,
        // Read-only kinds: never generated as valid writes.
        PropKind::ServerString | PropKind::ServerDateTime | PropKind::Boolean => RawJson::Null,
    })
}

/// The defects the generator knows, each with its verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Defect {
    None,
    Truncated,
    Malformed,
    Empty,
    NotObject,
    Duplicate,
    WrongType,
    NullArray,
    NullInArray,
    EnumNear,
    BadDate,
    DateRange,
    BirthdayNoOffset,
    Unknown,
    WrongCase,
    ReadOnly,
    DeepNesting,
    HugeNumber,
    BadEscape,
    InvalidUtf8,
    LoneSurrogate,
    Annotation,
    FlagCompletedWhenFlagged,
    FlagDueNoStart,
    FlagOrder,
    FlagNotFlaggedDate,
    FlagOffset,
    FlagZone,
    FlagNoZone,
    FlagDst,
    FlagNull,
    FlagNoStatus,
    TooManyAddresses,
    LongString,
    HugeString,
    AtLimit,
    OverLimit,
}

const DEFECTS: &[(u32, Defect)] = &[
    (12, Defect::None),
    (6, Defect::Truncated),
    (5, Defect::Malformed),
    (2, Defect::Empty),
    (3, Defect::NotObject),
    (5, Defect::Duplicate),
    (8, Defect::WrongType),
    (3, Defect::NullArray),
    (3, Defect::NullInArray),
    (6, Defect::EnumNear),
    (4, Defect::BadDate),
    (3, Defect::DateRange),
    (3, Defect::BirthdayNoOffset),
    (4, Defect::Unknown),
    (4, Defect::WrongCase),
    (4, Defect::ReadOnly),
    (2, Defect::DeepNesting),
    (3, Defect::HugeNumber),
    (3, Defect::BadEscape),
    (3, Defect::InvalidUtf8),
    (2, Defect::LoneSurrogate),
    (2, Defect::Annotation),
    (3, Defect::FlagCompletedWhenFlagged),
    (3, Defect::FlagDueNoStart),
    (3, Defect::FlagOrder),
    (3, Defect::FlagNotFlaggedDate),
    (3, Defect::FlagOffset),
    (3, Defect::FlagZone),
    (2, Defect::FlagNoZone),
    (2, Defect::FlagDst),
    (2, Defect::FlagNull),
    (2, Defect::FlagNoStatus),
    (2, Defect::TooManyAddresses),
    (2, Defect::LongString),
];

/// Generates a contact body: valid members (for a create the per-request `marker` as
/// `GivenName` and the run's `run_marker` as `Surname`), then at most one defect.
/// `huge` allows the rare 4 MB bodies (limit probes).
pub fn contact_body(
    u: &mut Unstructured<'_>,
    mode: Mode,
    marker: &str,
    run_marker: &str,
    huge: bool,
) -> Result<ContactBody> {
    let mut members: Vec<(String, RawJson)> = Vec::new();
    if mode == Mode::Create {
        members.push(("GivenName".into(), RawJson::str(marker)));
        members.push(("Surname".into(), RawJson::str(run_marker)));
    }
    let extra = u.int_in_range(0..=if mode == Mode::Create { 5u8 } else { 3 })?;
    for _ in 0..extra {
        let p = pick_prop(u, |_| true)?;
        if members.iter().any(|(k, _)| k == p.name) {
            continue;
        }
        members.push((p.name.into(), valid_value(u, p)?));
    }
    let defect = if huge && one_in(u, 400)? {
        // A 4 MB string is only ever created (and deleted at once): stored on a
        // contact the fuzzer keeps, it would make every later read-back 4 MB.
        let choices: &[Defect] = if mode == Mode::Create {
            &[Defect::HugeString, Defect::AtLimit, Defect::OverLimit]
        } else {
            &[Defect::AtLimit, Defect::OverLimit]
        };
        *u.choose(choices)?
    } else {
        weighted(u, DEFECTS)?
    };
    apply(u, mode, members, defect)
}

fn obj(members: Vec<(String, RawJson)>) -> Vec<u8> {
    RawJson::Obj(members).to_bytes()
}

fn set(members: &mut Vec<(String, RawJson)>, name: &str, v: RawJson) {
    members.retain(|(k, _)| k != name);
    members.push((name.into(), v));
}

fn apply(
    u: &mut Unstructured<'_>,
    mode: Mode,
    mut m: Vec<(String, RawJson)>,
    defect: Defect,
) -> Result<ContactBody> {
    use Verdict::*;
    let out = |bytes: Vec<u8>, verdict: Verdict, defect: &'static str| {
        Ok(ContactBody {
            bytes,
            verdict,
            defect,
        })
    };
    match defect {
        Defect::None => out(obj(m), Valid, "none"),
        Defect::Truncated => {
            let full = obj(m);
            let cut = u.int_in_range(0..=full.len() - 1)?;
            out(full[..cut].to_vec(), Reject("CT-TYPES"), "truncated body")
        }
        Defect::Malformed => {
            let full = obj(m);
            let inner: &[u8] = &full[1..full.len() - 1];
            let sep: &[u8] = if inner.is_empty() { b"" } else { b"," };
            let bytes: Vec<u8> = match u.int_in_range(0..=6u8)? {
                0 => [&b"{"[..], inner, b",}"].concat(),
                1 => [&b"{"[..], inner, b"}}"].concat(),
                2 => [&full[..], b"x"].concat(),
                3 => [&full[..], b"{}"].concat(),
                4 => [&b"{'GivenName':'x'"[..], sep, inner, b"}"].concat(),
                5 => [&b"{/*c*/"[..], inner, b"}"].concat(),
                _ => [&b"{\"GivenName\" \"x\""[..], sep, inner, b"}"].concat(),
            };
            out(bytes, Reject("CT-TYPES"), "malformed JSON")
        }
        Defect::Empty => out(Vec::new(), Reject("CT-TYPES"), "empty body"),
        Defect::NotObject => {
            let v = match u.int_in_range(0..=4u8)? {
                0 => RawJson::Arr(vec![RawJson::Obj(m)]),
                1 => RawJson::str("GivenName"),
                2 => RawJson::Num("42".into()),
                3 => RawJson::Null,
                _ => RawJson::Bool(true),
            };
            out(v.to_bytes(), Reject("CT-TYPES"), "body not an object")
        }
        Defect::Duplicate => {
            if m.is_empty() {
                let p = pick_prop(u, |_| true)?;
                m.push((p.name.into(), valid_value(u, p)?));
            }
            let i = u.choose_index(m.len())?;
            let (k, v) = m[i].clone();
            let dup = if u.arbitrary()? {
                v
            } else {
                match contact_property(&k) {
                    Some(p) => valid_value(u, p)?,
                    None => v,
                }
            };
            m.push((k, dup));
            out(obj(m), Reject("CT-TYPES"), "duplicate member")
        }
        Defect::WrongType => {
            let p = pick_prop(u, |_| true)?;
            let v = wrong_type(u, p.kind)?;
            set(&mut m, p.name, v);
            out(obj(m), Reject("CT-TYPES"), "wrong JSON type")
        }
        Defect::NullArray => {
            let p = pick_prop(u, |p| is_array(p.kind))?;
            set(&mut m, p.name, RawJson::Null);
            out(obj(m), Reject("CT-TYPES"), "null for an array")
        }
        Defect::NullInArray => {
            let p = pick_prop(u, |p| is_array(p.kind))?;
            let mut items = match valid_value(u, p)? {
                RawJson::Arr(a) => a,
                _ => Vec::new(),
            };
            let at = u.int_in_range(0..=items.len())?;
            items.insert(at, RawJson::Null);
            items.truncate(3);
            if !items.contains(&RawJson::Null) {
                items[0] = RawJson::Null;
            }
            set(&mut m, p.name, RawJson::Arr(items));
            out(obj(m), Reject("CT-TYPES"), "null inside an array")
        }
        Defect::EnumNear => {
            let (prop, values): (&str, &[&str]) = *u.choose(&[
                ("Phones", PHONE_TYPES),
                ("PostalAddresses", ADDRESS_TYPES),
                ("Websites", WEBSITE_TYPES),
                ("Flag", FLAG_STATUSES),
            ])?;
            let good = *u.choose(values)?;
            let bad = near_enum(u, good, values)?;
            let v = match prop {
                "Phones" => RawJson::Arr(vec![RawJson::Obj(vec![
                    ("Number".into(), RawJson::str("+1 555 0100")),
                    ("Type".into(), RawJson::Str(bad)),
                ])]),
                "PostalAddresses" => RawJson::Arr(vec![RawJson::Obj(vec![
                    ("Type".into(), RawJson::Str(bad)),
                    ("City".into(), RawJson::str("Oslo")),
                ])]),
                "Websites" => RawJson::Arr(vec![RawJson::Obj(vec![
                    ("Type".into(), RawJson::Str(bad)),
                    ("Address".into(), RawJson::str("https://example.com/")),
                ])]),
                _ => RawJson::Obj(vec![("FlagStatus".into(), RawJson::Str(bad))]),
            };
            set(&mut m, prop, v);
            out(obj(m), Reject("CT-TYPES"), "enum literal near a valid one")
        }
        Defect::BadDate => {
            let bad = *u.choose(&[
                "2019-02-29",
                "2019-13-01",
                "2019-00-10",
                "2019-04-31",
                "2019-1-1",
                "20190101",
                "yesterday",
                "",
                "2019-02-28T25:00:00Z",
                "2019-02-28T12:60:00Z",
            ])?;
            let prop = if bad.contains('T') || u.arbitrary()? {
                "Birthday"
            } else {
                "WeddingAnniversary"
            };
            set(&mut m, prop, RawJson::str(bad));
            out(obj(m), Reject("CT-TYPES"), "invalid date")
        }
        Defect::DateRange => {
            let bad = *u.choose(&["1600-12-31", "0001-01-01", "1000-06-15", "0000-01-01"])?;
            let prop = *u.choose(&["Birthday", "WeddingAnniversary"])?;
            set(&mut m, prop, RawJson::str(bad));
            out(obj(m), Reject("CT-DATE-RANGE"), "year out of range")
        }
        Defect::BirthdayNoOffset => {
            let v = format!(
                "{}T{}{}",
                text::fmt_date(text::date(u, 1700..=9000)?),
                text::time(u)?,
                text::fraction(u)?
            );
            set(&mut m, "Birthday", RawJson::Str(v));
            out(obj(m), Reject("CT-BIRTHDAY"), "date-time without offset")
        }
        Defect::Unknown => {
            let name = *u.choose(&[
                "Foo",
                "Nickname2",
                "Email",
                "Given Name",
                "",
                "Contact",
                "odata.type",
                "Phones/Number",
            ])?;
            set(&mut m, name, RawJson::str("x"));
            out(obj(m), Reject("CT-UNKNOWN-PROPERTY"), "unknown property")
        }
        Defect::WrongCase => {
            let p = pick_prop(u, |_| true)?;
            let v = valid_value(u, p)?;
            let name = match u.int_in_range(0..=2u8)? {
                0 => p.name.to_lowercase(),
                1 => p.name.to_uppercase(),
                _ => {
                    let mut c = p.name.chars();
                    let first = c.next().map(|f| f.to_ascii_lowercase()).unwrap_or('x');
                    std::iter::once(first).chain(c).collect()
                }
            };
            m.retain(|(k, _)| k != p.name);
            m.push((name, v));
            out(
                obj(m),
                Reject("CT-UNKNOWN-PROPERTY"),
                "wrong-case property name",
            )
        }
        Defect::ReadOnly => {
            let names: &[&str] = if mode == Mode::Create {
                &[
                    "Id",
                    "CreatedDateTime",
                    "LastModifiedDateTime",
                    "ParentFolderId",
                    "IsFavorite",
                    "ChangeKey",
                ]
            } else {
                &[
                    "Id",
                    "CreatedDateTime",
                    "LastModifiedDateTime",
                    "ParentFolderId",
                    "IsFavorite",
                ]
            };
            let name = *u.choose(names)?;
            let v = match u.int_in_range(0..=3u8)? {
                0 => RawJson::str("AAMkAGI2TAAA="),
                1 => RawJson::str("2020-01-01T00:00:00Z"),
                2 => RawJson::Bool(false),
                _ => RawJson::Null,
            };
            set(&mut m, name, v);
            out(obj(m), Reject("CT-READONLY"), "read-only property")
        }
        Defect::DeepNesting => {
            let depth = u.int_in_range(2..=20_000usize)?;
            let p = pick_prop(u, |p| p.kind == PropKind::String)?;
            let mut bytes = Vec::with_capacity(depth * 2);
            bytes.extend(std::iter::repeat_n(b'[', depth));
            bytes.extend(std::iter::repeat_n(b']', depth));
            set(&mut m, p.name, RawJson::Verbatim(bytes));
            out(obj(m), Reject("CT-TYPES"), "deep nesting")
        }
        Defect::HugeNumber => {
            let n = *u.choose(&[
                "1e999999",
                "-1e999999",
                "123456789012345678901234567890123456789",
                "0.0000000000000000000000000000000000001",
                "-0",
                "18446744073709551616",
            ])?;
            let p = pick_prop(u, |p| {
                p.kind == PropKind::String || p.kind == PropKind::Date
            })?;
            set(&mut m, p.name, RawJson::Num(n.into()));
            out(obj(m), Reject("CT-TYPES"), "huge number")
        }
        Defect::BadEscape => {
            let raw: &[u8] = u.choose(&[
                &b"\\q"[..],
                b"\\u12",
                b"\\u12G4",
                b"\\",
                b"\\x41",
                b"a\x01b",
                b"tab\there",
                b"\\U0041",
            ])?;
            let p = pick_prop(u, |p| p.kind == PropKind::String)?;
            set(&mut m, p.name, RawJson::RawStr(raw.to_vec()));
            out(obj(m), Reject("CT-TYPES"), "invalid escape")
        }
        Defect::InvalidUtf8 => {
            let raw: &[u8] = u.choose(&[
                &b"\xff"[..],
                b"\xc3\x28",
                b"\xed\xa0\x80",
                b"\xf4\x90\x80\x80",
                b"\xc0\xaf",
                b"abc\x80",
            ])?;
            let p = pick_prop(u, |p| p.kind == PropKind::String)?;
            set(&mut m, p.name, RawJson::RawStr(raw.to_vec()));
            out(obj(m), Reject("CT-TYPES"), "invalid UTF-8")
        }
        Defect::LoneSurrogate => {
            let raw: &[u8] =
                u.choose(&[&b"\\ud800"[..], b"\\udfff", b"x\\ud83dy", b"\\ude00\\ud83d"])?;
            let p = pick_prop(u, |p| p.kind == PropKind::String)?;
            set(&mut m, p.name, RawJson::RawStr(raw.to_vec()));
            out(obj(m), Either("CT-TYPES"), "lone surrogate escape")
        }
        Defect::Annotation => {
            let name = *u.choose(&["@odata.type", "@odata.etag", "@odata.context", "@odata.id"])?;
            set(
                &mut m,
                name,
                RawJson::str("#Microsoft.OutlookServices.Contact"),
            );
            out(obj(m), Valid, "@odata annotation")
        }
        Defect::FlagCompletedWhenFlagged => {
            let d = text::date(u, 2001..=2029)?;
            let z = *u.choose(text::KNOWN_ZONES)?;
            let mut f = vec![("FlagStatus".to_string(), RawJson::str("Flagged"))];
            if u.arbitrary()? {
                f.push(("StartDateTime".into(), noon(d, 0, "", z)));
                f.push(("DueDateTime".into(), noon(d, 2, "", z)));
            }
            f.push(("CompletedDateTime".into(), noon(d, 1, "", z)));
            set(&mut m, "Flag", RawJson::Obj(f));
            out(
                obj(m),
                Reject("FL-NO-COMPLETED-WHEN-FLAGGED"),
                "Flagged with CompletedDateTime",
            )
        }
        Defect::FlagDueNoStart => {
            let d = text::date(u, 2001..=2029)?;
            let z = *u.choose(text::KNOWN_ZONES)?;
            let f = vec![
                ("FlagStatus".to_string(), RawJson::str("Flagged")),
                ("DueDateTime".into(), noon(d, 0, "", z)),
            ];
            set(&mut m, "Flag", RawJson::Obj(f));
            out(
                obj(m),
                Reject("FL-DUE-NEEDS-START"),
                "DueDateTime without StartDateTime",
            )
        }
        Defect::FlagOrder => {
            let d = text::date(u, 2001..=2029)?;
            let z1 = *u.choose(text::KNOWN_ZONES)?;
            let z2 = *u.choose(text::KNOWN_ZONES)?;
            let k = u.int_in_range(1..=30)?;
            let f = vec![
                ("FlagStatus".to_string(), RawJson::str("Flagged")),
                ("StartDateTime".into(), noon(d, 0, "", z1)),
                ("DueDateTime".into(), noon(d, -k, "", z2)),
            ];
            set(&mut m, "Flag", RawJson::Obj(f));
            out(
                obj(m),
                Reject("FL-ORDER"),
                "DueDateTime before StartDateTime",
            )
        }
        Defect::FlagNotFlaggedDate => {
            let d = text::date(u, 2001..=2029)?;
            let z = *u.choose(text::KNOWN_ZONES)?;
            let member = *u.choose(&["StartDateTime", "CompletedDateTime"])?;
            let f = vec![
                ("FlagStatus".to_string(), RawJson::str("NotFlagged")),
                (member.into(), noon(d, 0, "", z)),
            ];
            set(&mut m, "Flag", RawJson::Obj(f));
            out(obj(m), Reject("FL-NOTFLAGGED"), "NotFlagged with a date")
        }
        Defect::FlagOffset | Defect::FlagZone | Defect::FlagNoZone => {
            let d = text::date(u, 2001..=2029)?;
            let (y, mo, da) = d;
            let date = format!("{y:04}-{mo:02}-{da:02}");
            let bad = match defect {
                Defect::FlagOffset => {
                    let off = *u.choose(&["Z", "+00:00", "-08:00", "+05:30"])?;
                    dttz(format!("{date}T12:00:00{off}"), "UTC")
                }
                Defect::FlagZone => {
                    dttz(format!("{date}T12:00:00"), u.choose(text::UNKNOWN_ZONES)?)
                }
                _ => RawJson::Obj(vec![(
                    "DateTime".into(),
                    RawJson::Str(format!("{date}T12:00:00")),
                )]),
            };
            let f = vec![
                ("FlagStatus".to_string(), RawJson::str("Complete")),
                ("CompletedDateTime".into(), bad),
            ];
            set(&mut m, "Flag", RawJson::Obj(f));
            out(obj(m), Reject("FL-DATETIME"), "bad DateTimeTimeZone")
        }
        Defect::FlagDst => {
            let (dt, z) = *u.choose(&[
                ("2018-03-11T02:30:00", "Pacific Standard Time"),
                ("2018-03-11T02:30:00", "America/Los_Angeles"),
                ("2018-03-25T02:30:00", "W. Europe Standard Time"),
                ("2018-03-25T02:30:00", "Europe/Berlin"),
                ("2019-03-10T02:00:00", "Eastern Standard Time"),
            ])?;
            let f = vec![
                ("FlagStatus".to_string(), RawJson::str("Complete")),
                ("CompletedDateTime".into(), dttz(dt.into(), z)),
            ];
            set(&mut m, "Flag", RawJson::Obj(f));
            out(obj(m), Reject("FL-DST"), "wall time that does not exist")
        }
        Defect::FlagNull => {
            set(&mut m, "Flag", RawJson::Null);
            out(obj(m), Reject("FL-SHAPE"), "Flag null")
        }
        Defect::FlagNoStatus => {
            set(&mut m, "Flag", RawJson::Obj(Vec::new()));
            out(obj(m), Reject("FL-SHAPE"), "Flag without FlagStatus")
        }
        Defect::TooManyAddresses => {
            let n = u.int_in_range(4..=8u8)?;
            let mut v = Vec::new();
            for i in 0..n {
                v.push(RawJson::Obj(vec![(
                    "Address".into(),
                    RawJson::Str(format!("a{i}@example.com")),
                )]));
            }
            set(&mut m, "EmailAddresses", RawJson::Arr(v));
            out(obj(m), Either("CT-LIMITS"), "more than 3 e-mail addresses")
        }
        Defect::LongString => {
            let p = pick_prop(u, |p| p.kind == PropKind::String)?;
            let n = *u.choose(&[4096usize, 4097, 2048])?;
            let s = if u.arbitrary()? {
                "a".repeat(n)
            } else {
                "😀".repeat(n / 2)
            };
            let verdict = if n <= 4096 {
                Valid
            } else {
                Either("CT-LIMITS")
            };
            set(&mut m, p.name, RawJson::Str(s));
            out(obj(m), verdict, "long string")
        }
        Defect::HugeString => {
            let p = pick_prop(u, |p| p.kind == PropKind::String)?;
            set(&mut m, p.name, RawJson::str(""));
            let base = obj(m.clone());
            let fill = BODY_LIMIT - base.len();
            set(&mut m, p.name, RawJson::Str("x".repeat(fill)));
            let bytes = obj(m);
            out(bytes, NotTooLarge, "4 MB string at the body limit")
        }
        Defect::AtLimit | Defect::OverLimit => {
            let mut bytes = obj(m);
            let extra = if defect == Defect::OverLimit {
                u.int_in_range(1..=4096usize)?
            } else {
                0
            };
            let target = BODY_LIMIT + extra;
            let pad = target.saturating_sub(bytes.len());
            // Insert whitespace after the opening brace: still the same valid object.
            let tail = bytes.split_off(1);
            bytes.extend(std::iter::repeat_n(b' ', pad));
            bytes.extend(tail);
            if defect == Defect::OverLimit {
                out(bytes, TooLarge, "body over the limit")
            } else {
                out(bytes, AtLimit, "valid body of exactly the limit")
            }
        }
    }
}

fn is_array(k: PropKind) -> bool {
    matches!(
        k,
        PropKind::StringArray
            | PropKind::EmailAddresses
            | PropKind::Phones
            | PropKind::PostalAddresses
            | PropKind::Websites
    )
}

/// A value of a JSON type the property does not have.
fn wrong_type(u: &mut Unstructured<'_>, kind: PropKind) -> Result<RawJson> {
    let s = || RawJson::str("x");
    let n = || RawJson::Num("5".into());
    Ok(match kind {
        PropKind::String | PropKind::DateTimeOffset | PropKind::Date => u
            .choose(&[
                n(),
                RawJson::Bool(true),
                RawJson::Obj(vec![]),
                RawJson::Arr(vec![]),
                RawJson::Arr(vec![s()]),
            ])?
            .clone(),
        PropKind::StringArray => u
            .choose(&[
                s(),
                n(),
                RawJson::Obj(vec![]),
                RawJson::Arr(vec![n()]),
                RawJson::Arr(vec![RawJson::Arr(vec![s()])]),
            ])?
            .clone(),
        PropKind::EmailAddresses => u
            .choose(&[
                s(),
                RawJson::Arr(vec![s()]),
                RawJson::Obj(vec![("Address".into(), s())]),
                RawJson::Arr(vec![RawJson::Obj(vec![("Address".into(), n())])]),
                RawJson::Arr(vec![RawJson::Obj(vec![
                    ("Address".into(), s()),
                    ("Name".into(), RawJson::Bool(false)),
                ])]),
            ])?
            .clone(),
        PropKind::Phones => u
            .choose(&[
                s(),
                RawJson::Arr(vec![n()]),
                RawJson::Arr(vec![RawJson::Obj(vec![
                    ("Number".into(), n()),
                    ("Type".into(), RawJson::str("Home")),
                ])]),
                RawJson::Arr(vec![RawJson::Obj(vec![
                    ("Number".into(), s()),
                    ("Type".into(), n()),
                ])]),
            ])?
            .clone(),
        PropKind::PostalAddresses => u
            .choose(&[
                s(),
                RawJson::Arr(vec![RawJson::Obj(vec![
                    ("Type".into(), RawJson::str("Home")),
                    ("City".into(), n()),
                ])]),
                RawJson::Arr(vec![RawJson::Obj(vec![(
                    "Type".into(),
                    RawJson::Arr(vec![]),
                )])]),
            ])?
            .clone(),
        PropKind::Websites => u
            .choose(&[
                s(),
                RawJson::Arr(vec![RawJson::Obj(vec![
                    ("Type".into(), RawJson::str("Work")),
                    ("Address".into(), RawJson::Bool(true)),
                ])]),
            ])?
            .clone(),
        PropKind::Flag => u
            .choose(&[
                RawJson::str("Flagged"),
                RawJson::Arr(vec![]),
                n(),
                RawJson::Obj(vec![("FlagStatus".into(), n())]),
                RawJson::Obj(vec![
                    ("FlagStatus".into(), RawJson::str("Complete")),
                    (
                        "CompletedDateTime".into(),
                        RawJson::str("2018-02-05T18:00:00"),
                    ),
                ]),
            ])?
            .clone(),
        PropKind::ServerString | PropKind::ServerDateTime | PropKind::Boolean => n(),
    })
}

/// A string close to `good` that is none of `values` (case change, one edit, padding).
fn near_enum(u: &mut Unstructured<'_>, good: &str, values: &[&str]) -> Result<String> {
    for _ in 0..4 {
        let cand = match u.int_in_range(0..=6u8)? {
            0 => good.to_lowercase(),
            1 => good.to_uppercase(),
            2 => format!("{good} "),
            3 => format!(" {good}"),
            4 => good[..good.len() - 1].to_string(),
            5 => format!("{good}s"),
            _ => String::from("1"),
        };
        if !values.contains(&cand.as_str()) {
            return Ok(cand);
        }
    }
    Ok(format!("{good}X"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bodies(n: usize, seed: u32) -> Vec<ContactBody> {
        let mut out = Vec::new();
        for i in 0..n {
            let data: Vec<u8> = (0..2048u32)
                .map(|j| {
                    ((j.wrapping_mul(2654435761) ^ (i as u32 + seed).wrapping_mul(40503)) >> 7)
                        as u8
                })
                .collect();
            let mut u = Unstructured::new(&data);
            out.push(contact_body(&mut u, Mode::Create, "mk1", "run1", false).unwrap());
        }
        out
    }

    #[test]
    fn valid_bodies_parse_as_objects_with_markers() {
        let mut valid = 0;
        for b in bodies(600, 1) {
            if b.verdict == Verdict::Valid {
                let v: serde_json::Value =
                    serde_json::from_slice(&b.bytes).expect("valid body parses");
                assert_eq!(v["GivenName"], "mk1");
                assert_eq!(v["Surname"], "run1");
                valid += 1;
            }
        }
        assert!(valid > 20, "too few valid bodies: {valid}");
    }

    #[test]
    fn syntax_defects_do_not_parse() {
        for b in bodies(600, 2) {
            if matches!(
                b.defect,
                "truncated body"
                    | "malformed JSON"
                    | "empty body"
                    | "invalid escape"
                    | "invalid UTF-8"
            ) {
                assert!(
                    serde_json::from_slice::<serde_json::Value>(&b.bytes).is_err(),
                    "{}: {:?}",
                    b.defect,
                    String::from_utf8_lossy(&b.bytes)
                );
            }
        }
    }

    #[test]
    fn limit_bodies_have_exact_sizes() {
        let mut u = Unstructured::new(&[0; 64]);
        for d in [Defect::AtLimit, Defect::HugeString] {
            let b = apply(
                &mut u,
                Mode::Create,
                vec![("GivenName".into(), RawJson::str("a"))],
                d,
            )
            .unwrap();
            assert_eq!(b.bytes.len(), BODY_LIMIT, "{d:?}");
            assert!(serde_json::from_slice::<serde_json::Value>(&b.bytes).is_ok());
        }
        let b = apply(&mut u, Mode::Create, vec![], Defect::OverLimit).unwrap();
        assert!(b.bytes.len() > BODY_LIMIT);
    }

    #[test]
    fn dates_shift() {
        assert_eq!(shift_days((2019, 12, 31), 1), (2020, 1, 1));
        assert_eq!(shift_days((2020, 3, 1), -1), (2020, 2, 29));
    }
}
