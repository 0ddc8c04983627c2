//! Targeted probes of the parsing and validation rules a random body rarely hits:
//! the `contacts('{id}')` key form (GEN-KEY-FORMS), trailing slashes
//! (GEN-TRAILING-SLASH), a `Birthday` with a non-UTC offset (CT-BIRTHDAY), a
//! completed flag's date (FL-COMPLETE) and long strings inside complex values
//! (CT-ECHO). Each is one request to the fuzzer's own contacts (SUITE-SAFE) with a
//! [`Check`] on its 200 answer; the probes that need several requests (stale
//! `ChangeKey`s, deleted ids, sniffed photos, skip plus delta tokens) run in the
//! engine.

use crate::oracle::{Reply, Violation};
use crate::plan::{Context, Expectation, Plan, Post, Readback, Target, encode_id};
use crate::text::fmt_date;
use arbitrary::{Result, Unstructured};
use serde_json::{Value, json};

/// What a probe's 200 answer must show, beyond its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// The answer is the entity with this `Id` (GEN-KEY-FORMS, GEN-TRAILING-SLASH:
    /// "answers like the canonical path").
    Entity {
        /// The rule.
        rule: &'static str,
        /// The id addressed.
        id: String,
    },
    /// The answer is a collection (GEN-TRAILING-SLASH).
    Collection,
    /// `Birthday` is this instant (seconds since 1970), written with `Z` or a zero
    /// offset (CT-BIRTHDAY, SPEC.md §0).
    Birthday {
        /// The instant sent.
        instant: i64,
        /// The value sent, for the report.
        sent: String,
    },
    /// `Flag.CompletedDateTime` is midnight of this UTC date, labelled UTC
    /// (FL-COMPLETE).
    Completed {
        /// `YYYY-MM-DD`.
        date: String,
        /// The value sent, for the report.
        sent: String,
    },
    /// These complex properties come back with the members sent (CT-ECHO): arrays
    /// compared as multisets of the values sent.
    Echo(Value),
}

/// Draws a probe plan into `plan` (the caller has set method, marker and defaults).
pub fn generate(u: &mut Unstructured<'_>, ctx: &Context, plan: &mut Plan) -> Result<()> {
    let id = u.choose(&ctx.contacts)?.clone();
    let enc = encode_id(&id);
    match u.int_in_range(0..=8u8)? {
        0 => {
            let (p, endpoint) = *u.choose(&[
                ("me/contacts('{}')", "GET me/contacts('{id}')"),
                ("me/Contacts('{}')", "GET me/contacts('{id}')"),
            ])?;
            plan.target = path(p.replace("{}", &enc), "");
            plan.endpoint = endpoint.into();
            plan.expect = expect("GEN-KEY-FORMS", &[200]);
            plan.defect = "the contacts('{id}') key form".into();
            plan.post = Post::Probe(Check::Entity {
                rule: "GEN-KEY-FORMS",
                id,
            });
        }
        1 => {
            let q = *u.choose(&["", "$select=GivenName"])?;
            plan.target = path(format!("me/contacts/{enc}/"), q);
            plan.endpoint = "GET me/contacts/{id}/".into();
            plan.expect = expect("GEN-TRAILING-SLASH", &[200]);
            plan.defect = "a trailing slash".into();
            plan.post = Post::Probe(Check::Entity {
                rule: "GEN-TRAILING-SLASH",
                id,
            });
        }
        2 => {
            let (p, q) = *u.choose(&[
                ("me/contacts/", "$top=5"),
                ("me/contacts/", ""),
                ("me/contactfolders/", ""),
            ])?;
            plan.target = path(p, q);
            plan.endpoint = format!("GET {p}");
            plan.expect = expect("GEN-TRAILING-SLASH", &[200]);
            plan.defect = "a trailing slash".into();
            plan.post = Post::Probe(Check::Collection);
        }
        3 | 4 => {
            let (sent, instant) = birthday(u)?;
            write(plan, &id, json!({ "Birthday": sent }), "CT-BIRTHDAY");
            plan.defect = format!("Birthday with a non-UTC offset ({sent})");
            plan.post = Post::Probe(Check::Birthday { instant, sent });
        }
        5 | 6 => {
            let (wall, zone, date) = completed(u)?;
            let body = json!({"Flag": {"FlagStatus": "Complete",
                "CompletedDateTime": {"DateTime": wall, "TimeZone": zone}}});
            write(plan, &id, body, "FL-COMPLETE");
            let sent = format!("{wall} {zone}");
            plan.defect = format!("a completed flag ({sent})");
            plan.post = Post::Probe(Check::Completed { date, sent });
        }
        _ => {
            let body = complex(u)?;
            write(plan, &id, body.clone(), "CT-ECHO");
            // CT-LIMITS (a SHOULD) lets a server refuse strings over 4,096 units.
            plan.expect = Expectation {
                rule: "CT-ECHO",
                statuses: Vec::new(),
            };
            plan.defect = "long strings inside complex values".into();
            plan.post = Post::Probe(Check::Echo(body));
        }
    }
    Ok(())
}

fn path(p: impl Into<String>, q: impl Into<String>) -> Target {
    Target::Path {
        path: p.into(),
        query: q.into(),
    }
}

fn expect(rule: &'static str, statuses: &[u16]) -> Expectation {
    Expectation {
        rule,
        statuses: statuses.to_vec(),
    }
}

/// A valid PATCH of own contact `id` with `body`: 200 required by `rule`.
fn write(plan: &mut Plan, id: &str, body: Value, rule: &'static str) {
    plan.method = "PATCH";
    plan.headers
        .push(("Content-Type".into(), b"application/json".to_vec()));
    plan.body = Some(body.to_string().into_bytes());
    plan.target = path(format!("me/contacts/{}", encode_id(id)), "");
    plan.endpoint = "PATCH me/contacts/{id}".into();
    plan.expect = expect(rule, &[200]);
    plan.readback = Readback::Contact { id: id.to_string() };
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (u32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y as u32, m as u32, d as u32)
}

fn two(s: &str, at: usize) -> Option<i64> {
    let t = s.get(at..at + 2)?;
    t.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| t.parse().ok())?
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.f…]` (no offset); returns seconds since 1970 taken
/// as UTC and the rest of the text.
fn wall(s: &str) -> Option<(i64, &str)> {
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    if b[16] != b':' {
        return None;
    }
    let y: i64 = s
        .get(0..4)
        .filter(|t| t.bytes().all(|c| c.is_ascii_digit()))?
        .parse()
        .ok()?;
    let (mo, d, h, mi, se) = (
        two(s, 5)?,
        two(s, 8)?,
        two(s, 11)?,
        two(s, 14)?,
        two(s, 17)?,
    );
    let mut rest = &s[19..];
    if let Some(f) = rest.strip_prefix('.') {
        let n = f.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 || f[..n].bytes().any(|c| c != b'0') {
            // Fractions are allowed but must be zero here: every probe sends whole seconds.
            return None;
        }
        rest = &f[n..];
    }
    Some((
        days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se,
        rest,
    ))
}

/// A DateTimeOffset as an instant, if it carries `Z` or an offset of zero (§0).
fn utc_instant(s: &str) -> Option<i64> {
    let (t, rest) = wall(s)?;
    matches!(rest, "Z" | "z" | "+00:00" | "-00:00").then_some(t)
}

/// A Birthday with a non-zero offset; returns the text and its instant.
fn birthday(u: &mut Unstructured<'_>) -> Result<(String, i64)> {
    let y = u.int_in_range(1900..=2010i64)?;
    let m = u.int_in_range(1..=12i64)?;
    let d = u.int_in_range(1..=28i64)?;
    let h = u.int_in_range(0..=23i64)?;
    let mi = u.int_in_range(0..=59i64)?;
    let (off, text): (i64, &str) = *u.choose(&[
        (5 * 3600 + 1800, "+05:30"),
        (-8 * 3600, "-08:00"),
        (9 * 3600, "+09:00"),
        (-(3 * 3600 + 1800), "-03:30"),
        (14 * 3600, "+14:00"),
        (-12 * 3600, "-12:00"),
        (3600, "+01:00"),
    ])?;
    let sent = format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:00{text}");
    let instant = days_from_civil(y, m, d) * 86_400 + h * 3600 + mi * 60 - off;
    Ok((sent, instant))
}

/// A completion wall time in a zone that is on standard time (December to
/// February: no daylight saving in any of these zones), and the UTC date it falls on.
fn completed(u: &mut Unstructured<'_>) -> Result<(String, &'static str, String)> {
    let (zone, off): (&'static str, i64) = *u.choose(&[
        ("UTC", 0),
        ("Pacific Standard Time", -8),
        ("Eastern Standard Time", -5),
        ("W. Europe Standard Time", 1),
        ("Tokyo Standard Time", 9),
        ("America/Los_Angeles", -8),
        ("Europe/Berlin", 1),
        ("Asia/Tokyo", 9),
    ])?;
    let y = u.int_in_range(2000..=2030i64)?;
    let m = *u.choose(&[1i64, 2, 12])?;
    let d = u.int_in_range(1..=28i64)?;
    // Half of the times lie where UTC is on another day than the wall time.
    let h = match (off, u.arbitrary::<bool>()?) {
        (o, true) if o < 0 => u.int_in_range(24 + o..=23)?,
        (o, true) if o > 0 => u.int_in_range(0..=o - 1)?,
        _ => u.int_in_range(0..=23i64)?,
    };
    let mi = u.int_in_range(0..=59i64)?;
    let wall = format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:00");
    let utc = days_from_civil(y, m, d) * 86_400 + h * 3600 + mi * 60 - off * 3600;
    let date = fmt_date(civil_from_days(utc.div_euclid(86_400)));
    Ok((wall, zone, date))
}

/// A string of `n` letters and digits that starts with `tag`.
fn long(u: &mut Unstructured<'_>, tag: &str) -> Result<String> {
    let n = u.int_in_range(900..=4000usize)?;
    let mut s = String::from(tag);
    const CH: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ";
    while s.len() < n {
        s.push(char::from(*u.choose(CH)?));
    }
    s.push('z');
    Ok(s)
}

/// One or more complex properties, each with at least one long member string (no
/// marker inside: a saved case compares them literally).
fn complex(u: &mut Unstructured<'_>) -> Result<Value> {
    let mut body = serde_json::Map::new();
    let which = u.int_in_range(1..=15u8)?;
    if which & 1 != 0 {
        body.insert(
            "PostalAddresses".into(),
            json!([{"Type": "Home", "Street": long(u, "s")?, "City": long(u, "c")?,
                    "State": "WA", "CountryOrRegion": "US", "PostalCode": "98052"}]),
        );
    }
    if which & 2 != 0 {
        let addr = format!("{}@example.com", long(u, "s")?.replace(' ', "x"));
        body.insert(
            "EmailAddresses".into(),
            json!([{"Name": long(u, "n")?, "Address": addr}]),
        );
    }
    if which & 4 != 0 {
        body.insert(
            "Phones".into(),
            json!([{"Number": long(u, "1")?, "Type": "Mobile"}]),
        );
    }
    if which & 8 != 0 {
        body.insert(
            "Websites".into(),
            json!([{"Type": "Blog", "Address": format!("https://example.com/{}", long(u, "w")?.replace(' ', "-")),
                    "DisplayName": long(u, "s")?}]),
        );
    }
    Ok(Value::Object(body))
}

/// An instant (seconds since 1970) as `YYYY-MM-DDTHH:MM:SSZ`.
fn iso(t: i64) -> String {
    let s = t.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        fmt_date(civil_from_days(t.div_euclid(86_400))),
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// The check as a JSON subset of the case format (`expect.json`, matchers of
/// docs/case-format.md), for a saved finding.
pub fn case_json(c: &Check) -> Value {
    match c {
        Check::Entity { .. } => json!({"Id": {"$type": "string"}}),
        Check::Collection => json!({"value": {"$type": "array"}}),
        Check::Birthday { instant, .. } => json!({"Birthday": {"$instant": iso(*instant)}}),
        Check::Completed { date, .. } => json!({"Flag": {"CompletedDateTime": {
            "DateTime": {"$wall": format!("{date}T00:00:00")},
            "TimeZone": {"$one_of": ["UTC", "Etc/UTC"]}}}}),
        Check::Echo(sent) => Value::Object(
            sent.as_object()
                .into_iter()
                .flatten()
                .map(|(k, items)| (k.clone(), json!({ "$unordered": items })))
                .collect(),
        ),
    }
}

fn v(rule: &'static str, detail: impl Into<String>) -> Violation {
    Violation {
        rule,
        detail: detail.into(),
    }
}

/// Whether a returned complex value carries every member of the sent one unchanged.
fn carries(sent: &Value, got: &Value) -> bool {
    sent.as_object().is_some_and(|s| {
        s.iter()
            .all(|(k, want)| got.get(k).is_some_and(|g| g == want))
    })
}

fn short(s: &str) -> String {
    if s.len() > 60 {
        let head: String = s.chars().take(60).collect();
        format!("{head}… ({} chars)", s.chars().count())
    } else {
        s.to_string()
    }
}

/// Checks a probe's 200 answer.
pub fn check(c: &Check, reply: &Reply, out: &mut Vec<Violation>) {
    let body = reply.json().unwrap_or_default();
    match c {
        Check::Entity { rule, id } => {
            if body.get("Id").and_then(Value::as_str) != Some(id.as_str()) {
                out.push(v(
                    rule,
                    format!(
                        "answered 200 but not with the contact {id} (Id {})",
                        body.get("Id").unwrap_or(&Value::Null)
                    ),
                ));
            }
        }
        Check::Collection => {
            if !body.get("value").is_some_and(Value::is_array) {
                out.push(v("GEN-TRAILING-SLASH", "answered 200 without a collection"));
            }
        }
        Check::Birthday { instant, sent } => {
            let got = body.get("Birthday").and_then(Value::as_str);
            if got.and_then(utc_instant) != Some(*instant) {
                out.push(v(
                    "CT-BIRTHDAY",
                    format!("Birthday {sent} came back as {got:?}, not the same instant in UTC"),
                ));
            }
        }
        Check::Completed { date, sent } => {
            let cdt = body.pointer("/Flag/CompletedDateTime");
            let zone = cdt
                .and_then(|c| c.get("TimeZone"))
                .and_then(Value::as_str)
                .unwrap_or("");
            let got = cdt
                .and_then(|c| c.get("DateTime"))
                .and_then(Value::as_str)
                .and_then(|t| wall(t).filter(|(_, rest)| rest.is_empty()))
                .map(|(t, _)| t);
            let want = wall(&format!("{date}T00:00:00")).map(|(t, _)| t);
            if got.is_none() || got != want || !matches!(zone, "UTC" | "Etc/UTC") {
                out.push(v(
                    "FL-COMPLETE",
                    format!(
                        "CompletedDateTime {sent} came back as {}, not {date}T00:00:00 UTC",
                        cdt.unwrap_or(&Value::Null)
                    ),
                ));
            }
        }
        Check::Echo(sent) => {
            for (prop, items) in sent.as_object().into_iter().flatten() {
                let sent_items = items.as_array().map(Vec::as_slice).unwrap_or_default();
                let got = body.get(prop).and_then(Value::as_array);
                let mut left: Vec<&Value> = got.map(|g| g.iter().collect()).unwrap_or_default();
                let mut ok = left.len() == sent_items.len();
                for s in sent_items {
                    match left.iter().position(|g| carries(s, g)) {
                        Some(i) => {
                            left.swap_remove(i);
                        }
                        None => ok = false,
                    }
                }
                if !ok {
                    let member = sent_items
                        .first()
                        .and_then(Value::as_object)
                        .and_then(|o| {
                            o.iter().find_map(|(k, x)| {
                                let s = x.as_str()?;
                                (s.len() > 100).then(|| format!("{k} = {}", short(s)))
                            })
                        })
                        .unwrap_or_default();
                    out.push(v(
                        "CT-ECHO",
                        format!("{prop} did not come back as sent ({member})"),
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(body: Value) -> Reply {
        Reply {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
        }
    }

    #[test]
    fn instants_print_in_utc() {
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
        let t = wall("1974-07-22T18:05:09").unwrap().0;
        assert_eq!(iso(t), "1974-07-22T18:05:09Z");
        assert_eq!(utc_instant(&iso(t)), Some(t));
    }

    #[test]
    fn dates_round_trip() {
        for z in [-200_000i64, -1, 0, 1, 17_000, 2_900_000] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y.into(), m.into(), d.into()), z);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(days_from_civil(2000, 2, 29)), (2000, 2, 29));
    }

    #[test]
    fn birthday_must_be_the_same_instant_in_utc() {
        let c = Check::Birthday {
            instant: wall("1974-07-22T18:00:00").unwrap().0,
            sent: "1974-07-22T23:30:00+05:30".into(),
        };
        let mut out = Vec::new();
        check(
            &c,
            &reply(json!({"Birthday": "1974-07-22T18:00:00Z"})),
            &mut out,
        );
        check(
            &c,
            &reply(json!({"Birthday": "1974-07-22T18:00:00.000+00:00"})),
            &mut out,
        );
        assert!(out.is_empty(), "{out:?}");
        check(
            &c,
            &reply(json!({"Birthday": "1974-07-22T23:30:00+05:30"})),
            &mut out,
        );
        check(
            &c,
            &reply(json!({"Birthday": "1974-07-22T00:00:00Z"})),
            &mut out,
        );
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn completed_is_midnight_of_the_utc_date() {
        // The rule's own example.
        let mut u = Unstructured::new(&[]);
        let _ = completed(&mut u);
        let c = Check::Completed {
            date: "2018-02-06".into(),
            sent: "2018-02-05T18:00:00 Pacific Standard Time".into(),
        };
        let flag = |dt: &str, tz: &str| {
            reply(json!({"Flag": {"FlagStatus": "Complete",
                "CompletedDateTime": {"DateTime": dt, "TimeZone": tz}}}))
        };
        let mut out = Vec::new();
        check(&c, &flag("2018-02-06T00:00:00.0000000", "UTC"), &mut out);
        check(&c, &flag("2018-02-06T00:00:00", "UTC"), &mut out);
        assert!(out.is_empty(), "{out:?}");
        check(&c, &flag("2018-02-06T02:00:00.0000000", "UTC"), &mut out);
        check(&c, &flag("2018-02-05T00:00:00.0000000", "UTC"), &mut out);
        check(
            &c,
            &flag("2018-02-06T00:00:00.0000000", "Pacific Standard Time"),
            &mut out,
        );
        assert_eq!(out.len(), 3);
    }

    #[test]
    fn generated_completions_fall_on_the_utc_date() {
        for seed in 0..200u8 {
            let data: Vec<u8> = (0..64u8)
                .map(|i| i.wrapping_mul(seed).wrapping_add(seed))
                .collect();
            let (w, zone, date) = completed(&mut Unstructured::new(&data)).unwrap();
            let off = match zone {
                "UTC" => 0,
                "Pacific Standard Time" | "America/Los_Angeles" => -8,
                "Eastern Standard Time" => -5,
                "Tokyo Standard Time" | "Asia/Tokyo" => 9,
                _ => 1,
            };
            let t = wall(&w).unwrap().0 - off * 3600;
            let (d, _) = wall(&format!("{date}T00:00:00")).unwrap();
            assert!(t >= d && t < d + 86_400, "{w} {zone} {date}");
        }
    }

    #[test]
    fn echo_needs_every_member_back() {
        let sent = json!({"Phones": [{"Number": "1".repeat(1500), "Type": "Mobile"}]});
        let mut out = Vec::new();
        let c = Check::Echo(sent.clone());
        check(&c, &reply(sent.clone()), &mut out);
        check(
            &c,
            &reply(json!({"Phones": [{"Number": "1".repeat(1500), "Type": "Mobile", "X": null}]})),
            &mut out,
        );
        assert!(out.is_empty(), "{out:?}");
        check(
            &c,
            &reply(json!({"Phones": [{"Number": "1".repeat(1000), "Type": "Mobile"}]})),
            &mut out,
        );
        check(&c, &reply(json!({"Phones": []})), &mut out);
        assert_eq!(out.len(), 2, "{out:?}");
    }

    #[test]
    fn entity_probe_wants_the_same_contact() {
        let c = Check::Entity {
            rule: "GEN-KEY-FORMS",
            id: "a=b".into(),
        };
        let mut out = Vec::new();
        check(&c, &reply(json!({"Id": "a=b"})), &mut out);
        assert!(out.is_empty());
        check(&c, &reply(json!({"value": []})), &mut out);
        assert_eq!(out.len(), 1);
    }
}
