//! The checks every response gets, and the plan-specific ones.

use crate::plan::{Exact, Plan, Post};
use serde_json::Value;

/// The response headers the oracles read (lower-case); the engine keeps only these.
pub const READ_HEADERS: &[&str] = &["content-type", "www-authenticate", "preference-applied"];

/// A response as the oracle sees it.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Header lines, names lower-cased, in order (the engine keeps those of
    /// [`READ_HEADERS`]).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Reply {
    /// Every value of header `name` (lower-case), across lines.
    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of header `name`.
    pub fn header<'a>(&'a self, name: &'a str) -> Option<&'a str> {
        self.header_values(name).next()
    }

    /// Whether `Content-Type` is `type/subtype` (any parameters, any case).
    pub fn content_type_is(&self, mime: &str) -> bool {
        self.header("content-type").is_some_and(|ct| {
            ct.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case(mime)
        })
    }

    /// The body as JSON, if it is.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The SPEC.md rule ID.
    pub rule: &'static str,
    /// Why, for a person.
    pub detail: String,
}

fn v(rule: &'static str, detail: impl Into<String>) -> Violation {
    Violation {
        rule,
        detail: detail.into(),
    }
}

/// Statuses SPEC.md ever asks for; used as "anything but a 5xx" in saved cases.
pub const CONTRACT_STATUSES: &[u16] = &[200, 201, 204, 400, 401, 404, 405, 409, 412, 413, 415, 429];

/// Checks the error object of SPEC.md §9 (ERR-SHAPE); `None` when it is fine.
pub fn error_shape_problem(reply: &Reply) -> Option<String> {
    if !reply.content_type_is("application/json") {
        return Some(format!(
            "Content-Type is {:?}, not application/json",
            reply.header("content-type").unwrap_or("absent")
        ));
    }
    let Some(body) = reply.json() else {
        return Some("body is not JSON".into());
    };
    let err = body.get("error");
    let ok = |k: &str| {
        err.and_then(|e| e.get(k))
            .and_then(|c| c.as_str())
            .is_some_and(|s| !s.is_empty())
    };
    if !ok("code") {
        return Some("no non-empty string error.code".into());
    }
    if !ok("message") {
        return Some("no non-empty string error.message".into());
    }
    None
}

/// All violations of `reply` against `plan`.
pub fn check(plan: &Plan, reply: &Reply) -> Vec<Violation> {
    let mut out = Vec::new();
    let s = reply.status;
    if s >= 500 {
        out.push(v("GEN-NO-5XX", format!("answered {s}")));
        return out;
    }
    if s == 429 {
        // Allowed with Retry-After (GEN-NO-5XX); never a rule failure.
        return out;
    }
    if (400..500).contains(&s)
        && s != 401
        && plan.method != "HEAD"
        && let Some(why) = error_shape_problem(reply)
    {
        out.push(v(
            "ERR-SHAPE",
            format!("{s} without the error object: {why}"),
        ));
    }
    if s == 401 {
        let ok = reply.header("www-authenticate").is_some_and(|h| {
            h.trim_start()
                .get(..6)
                .is_some_and(|p| p.eq_ignore_ascii_case("bearer"))
        });
        if !ok {
            out.push(v(
                "AUTH-REQUIRED",
                "401 without a WWW-Authenticate header starting Bearer",
            ));
        }
    }
    if s == 406 {
        out.push(v("GEN-TOLERANT", "406: Accept must never cause it"));
    }
    if !plan.expect.statuses.is_empty() && !plan.expect.statuses.contains(&s) {
        out.push(v(
            plan.expect.rule,
            format!(
                "{}: expected status {:?}, got {s}",
                plan.defect, plan.expect.statuses
            ),
        ));
    }
    if s == 200 {
        post_checks(plan, reply, &mut out);
    }
    out
}

fn post_checks(plan: &Plan, reply: &Reply, out: &mut Vec<Violation>) {
    let lists_track = || {
        reply
            .header_values("preference-applied")
            .flat_map(|v| v.split(','))
            .any(|p| {
                p.split('=')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .eq_ignore_ascii_case("odata.track-changes")
            })
    };
    match &plan.post {
        Post::None => {}
        Post::PageAtMost(n, rule) => match value_len(&reply.body) {
            Some(len) if len > *n => out.push(v(
                rule,
                format!("page holds {len} entities, at most {n} allowed"),
            )),
            Some(_) => {}
            None => out.push(v("GEN-JSON", "200 collection without a value array")),
        },
        Post::SyncFirst | Post::SyncPrefer => {
            if !lists_track() {
                out.push(v(
                    "SY-PREFER",
                    "Preference-Applied does not list odata.track-changes",
                ));
            }
            if plan.post == Post::SyncFirst {
                let body = reply.json().unwrap_or_default();
                if body
                    .get("@odata.deltaLink")
                    .and_then(|l| l.as_str())
                    .is_none()
                {
                    out.push(v(
                        "SY-FIRST",
                        "first sync response without @odata.deltaLink",
                    ));
                } else if body.get("@odata.nextLink").is_some() {
                    out.push(v("SY-FIRST", "first sync response with @odata.nextLink"));
                }
            }
        }
        Post::Count => {
            count_answer(reply, out);
        }
        Post::ExactCount(e) => {
            if let Some(got) = count_answer(reply, out)
                && got != e.ids.len() as u64
            {
                out.push(v(
                    "Q-COUNT",
                    format!(
                        "$count answered {got}, but the filter matches exactly {} entities",
                        e.ids.len()
                    ),
                ));
            }
        }
        Post::Exact(e) => out.extend(exact_page(e, reply, true).violations),
        Post::Probe(c) => crate::probes::check(c, reply, out),
    }
}

/// Q-COUNT's form: `text/plain` holding a number; returns the number.
fn count_answer(reply: &Reply, out: &mut Vec<Violation>) -> Option<u64> {
    let text = String::from_utf8_lossy(&reply.body);
    match text.trim().parse::<u64>() {
        Ok(n) if reply.content_type_is("text/plain") => Some(n),
        _ => {
            out.push(v(
                "Q-COUNT",
                format!(
                    "$count answer is not text/plain with a number: {:?}",
                    text.chars().take(40).collect::<String>()
                ),
            ));
            None
        }
    }
}

/// One page of a query whose filter matches exactly [`Exact::ids`], as checked.
#[derive(Debug, Default)]
pub struct ExactPage {
    /// What the page broke.
    pub violations: Vec<Violation>,
    /// The `Id`s it held, in order.
    pub ids: Vec<String>,
    /// Its `@odata.nextLink`.
    pub next: Option<String>,
}

/// Checks one 200 page of an [`Exact`] query: a collection (GEN-JSON), within the
/// page size (the first page: the bound's own rule; later pages: Q-TOP's "every later
/// page", Q-MAXPAGESIZE-LINK), only entities the filter matches (Q-FILTER),
/// `@odata.count` equal to their number wherever it is present (SPEC.md §5 under
/// Q-UNKNOWN-OPTION: the number of entities matching `$filter`, whatever `$top`
/// says), and, on a first page without a next link, every matching entity (Q-FILTER;
/// Q-TOP when the page is full: more remain, so a link was due).
pub fn exact_page(e: &Exact, reply: &Reply, first: bool) -> ExactPage {
    let mut page = ExactPage::default();
    let out = &mut page.violations;
    let body = reply.json();
    let Some(items) = body
        .as_ref()
        .and_then(|b| b.get("value"))
        .and_then(Value::as_array)
    else {
        out.push(v("GEN-JSON", "200 collection without a value array"));
        return page;
    };
    let body = body.as_ref();
    page.next = body
        .and_then(|b| b.get("@odata.nextLink"))
        .and_then(Value::as_str)
        .map(str::to_string);
    page.ids = items
        .iter()
        .filter_map(|i| i.get("Id").and_then(Value::as_str).map(str::to_string))
        .collect();
    if let Some((size, rule)) = e.page
        && items.len() > size
    {
        let rule = match (first, rule) {
            (true, r) => r,
            (false, "Q-MAXPAGESIZE") => "Q-MAXPAGESIZE-LINK",
            (false, _) => "Q-TOP",
        };
        out.push(v(
            rule,
            format!(
                "{} page holds {} entities, at most {size} allowed",
                if first { "first" } else { "a later" },
                items.len()
            ),
        ));
    }
    if let Some(stranger) = page.ids.iter().find(|id| !e.ids.contains(id)) {
        out.push(v(
            "Q-FILTER",
            format!(
                "returned {stranger}, which the filter does not match (it matches exactly {} entities)",
                e.ids.len()
            ),
        ));
    }
    if first && page.next.is_none() && e.page.is_none_or(|(size, _)| size > 0) {
        let missing = e.ids.iter().filter(|id| !page.ids.contains(id)).count();
        if missing > 0 {
            let full = e.page.is_some_and(|(size, _)| items.len() >= size);
            let rule = match e.page {
                Some((_, r)) if full => r,
                _ => "Q-FILTER",
            };
            out.push(v(
                rule,
                format!(
                    "the only page misses {missing} of the {} entities the filter matches{}",
                    e.ids.len(),
                    if full { " and has no next link" } else { "" }
                ),
            ));
        }
    }
    // Last: the SHOULD-level clause after the MUST ones.
    if e.count
        && let Some(c) = body.and_then(|b| b.get("@odata.count"))
        && c.as_u64() != Some(e.ids.len() as u64)
    {
        out.push(v(
            "Q-UNKNOWN-OPTION",
            format!(
                "@odata.count is {c}, but the filter matches exactly {} entities",
                e.ids.len()
            ),
        ));
    }
    page
}

/// The number of elements of a JSON body's top-level `value` array, without building
/// the entities (`None`: no such array, or not JSON).
pub fn value_len(body: &[u8]) -> Option<usize> {
    use serde::Deserialize;
    use serde::de::{IgnoredAny, SeqAccess, Visitor};
    struct Len(usize);
    impl<'de> Deserialize<'de> for Len {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Len, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Len;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("an array")
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Len, A::Error> {
                    let mut n = 0;
                    while seq.next_element::<IgnoredAny>()?.is_some() {
                        n += 1;
                    }
                    Ok(Len(n))
                }
            }
            d.deserialize_seq(V)
        }
    }
    #[derive(Deserialize)]
    struct Page {
        value: Option<Len>,
    }
    serde_json::from_slice::<Page>(body)
        .ok()
        .and_then(|p| p.value)
        .map(|l| l.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Auth, Exact, Expectation, Readback, Target};

    fn plan(statuses: &[u16], post: Post) -> Plan {
        Plan {
            method: "POST",
            target: Target::Path {
                path: "me/contacts".into(),
                query: String::new(),
            },
            headers: vec![],
            auth: Auth::Token,
            body: None,
            expect: Expectation {
                rule: "CT-TYPES",
                statuses: statuses.to_vec(),
            },
            post,
            readback: Readback::None,
            endpoint: "POST me/contacts".into(),
            defect: "x".into(),
            marker: "m".into(),
        }
    }

    fn reply(status: u16, ct: &str, body: &str) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), ct.into())],
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn flags_5xx_shape_and_status() {
        let p = plan(&[400], Post::None);
        assert_eq!(
            check(&p, &reply(500, "text/plain", "boom"))[0].rule,
            "GEN-NO-5XX"
        );
        let good = r#"{"error":{"code":"RequestBodyRead","message":"bad"}}"#;
        assert!(check(&p, &reply(400, "application/json; charset=utf-8", good)).is_empty());
        assert_eq!(
            check(&p, &reply(400, "text/plain", good))[0].rule,
            "ERR-SHAPE"
        );
        assert_eq!(
            check(
                &p,
                &reply(400, "application/json", r#"{"error":{"code":""}}"#)
            )[0]
            .rule,
            "ERR-SHAPE"
        );
        let r = check(&p, &reply(201, "application/json", "{}"));
        assert_eq!(r[0].rule, "CT-TYPES");
        let mut unauth = reply(401, "application/json", "");
        assert_eq!(
            check(&p, &unauth)
                .iter()
                .filter(|v| v.rule == "AUTH-REQUIRED")
                .count(),
            1
        );
        unauth
            .headers
            .push(("www-authenticate".into(), "Bearer realm=\"x\"".into()));
        assert_eq!(
            check(&p, &unauth)
                .iter()
                .filter(|v| v.rule == "AUTH-REQUIRED")
                .count(),
            0
        );
    }

    fn exact(ids: &[&str], page: Option<(usize, &'static str)>, count: bool) -> Exact {
        Exact {
            ids: ids.iter().map(|s| s.to_string()).collect(),
            anchors: None,
            page,
            count,
        }
    }

    #[test]
    fn exact_count_must_equal_the_matches() {
        let p = plan(
            &[200],
            Post::ExactCount(exact(&["a", "b", "c"], None, false)),
        );
        assert!(check(&p, &reply(200, "text/plain; charset=utf-8", "3")).is_empty());
        let r = check(&p, &reply(200, "text/plain", "57"));
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].rule, "Q-COUNT");
        let p = plan(&[200], Post::ExactCount(exact(&[], None, false)));
        assert_eq!(check(&p, &reply(200, "text/plain", "1"))[0].rule, "Q-COUNT");
    }

    #[test]
    fn exact_pages_hold_only_matches_and_the_count() {
        let e = exact(&["a", "b", "c"], Some((2, "Q-TOP")), true);
        let good =
            r#"{"@odata.count":3,"value":[{"Id":"a"},{"Id":"c"}],"@odata.nextLink":"http://x"}"#;
        let page = exact_page(&e, &reply(200, "application/json", good), true);
        assert!(page.violations.is_empty(), "{:?}", page.violations);
        assert_eq!(page.ids, ["a", "c"]);
        assert_eq!(page.next.as_deref(), Some("http://x"));
        let rules = |body: &str, first| -> Vec<&'static str> {
            exact_page(&e, &reply(200, "application/json", body), first)
                .violations
                .iter()
                .map(|v| v.rule)
                .collect()
        };
        // A page-sized count, a stranger, an over-full later page, a missing link.
        assert_eq!(
            rules(
                r#"{"@odata.count":2,"value":[{"Id":"a"}],"@odata.nextLink":"l"}"#,
                true
            ),
            ["Q-UNKNOWN-OPTION"]
        );
        assert_eq!(
            rules(r#"{"value":[{"Id":"z"}],"@odata.nextLink":"l"}"#, true),
            ["Q-FILTER"]
        );
        assert_eq!(
            rules(r#"{"value":[{"Id":"a"},{"Id":"b"},{"Id":"c"}]}"#, false),
            ["Q-TOP"]
        );
        assert_eq!(
            rules(r#"{"value":[{"Id":"a"},{"Id":"b"}]}"#, true),
            ["Q-TOP"]
        );
        // Nothing matches: an empty page is right, anything else is not.
        let none = exact(&[], Some((10, "Q-PAGE-DEFAULT")), true);
        let ok = exact_page(
            &none,
            &reply(200, "application/json", r#"{"@odata.count":0,"value":[]}"#),
            true,
        );
        assert!(ok.violations.is_empty());
        let bad = exact_page(
            &none,
            &reply(
                200,
                "application/json",
                r#"{"@odata.count":7,"value":[{"Id":"q"}]}"#,
            ),
            true,
        );
        assert_eq!(bad.violations.len(), 2);
    }

    #[test]
    fn value_len_counts_without_building() {
        assert_eq!(
            value_len(br#"{"a":{"b":[1]},"value":[{"x":[1,2]},2,"s"]}"#),
            Some(3)
        );
        assert_eq!(value_len(br#"{"value":[]}"#), Some(0));
        assert_eq!(value_len(br#"{"valu":[]}"#), None);
        assert_eq!(value_len(b"not json"), None);
    }

    #[test]
    fn post_checks_pages_and_sync() {
        let p = plan(&[200], Post::PageAtMost(2, "Q-TOP"));
        assert_eq!(
            check(&p, &reply(200, "application/json", r#"{"value":[1,2,3]}"#))[0].rule,
            "Q-TOP"
        );
        assert!(check(&p, &reply(200, "application/json", r#"{"value":[1,2]}"#)).is_empty());
        let p = plan(&[200], Post::SyncFirst);
        let mut r = reply(
            200,
            "application/json",
            r#"{"value":[],"@odata.deltaLink":"http://x"}"#,
        );
        assert_eq!(check(&p, &r)[0].rule, "SY-PREFER");
        r.headers.push((
            "preference-applied".into(),
            "odata.maxpagesize=2, odata.track-changes".into(),
        ));
        assert!(check(&p, &r).is_empty());
    }
}
