//! The checks every response gets, and the plan-specific ones.

use crate::plan::{Plan, Post};

/// A response as the oracle sees it.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Header lines, names lower-cased, in order.
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
        Post::PageAtMost(n, rule) => {
            match reply
                .json()
                .as_ref()
                .and_then(|b| b.get("value"))
                .and_then(|v| v.as_array())
            {
                Some(items) if items.len() > *n => out.push(v(
                    rule,
                    format!("page holds {} entities, at most {n} allowed", items.len()),
                )),
                Some(_) => {}
                None => out.push(v("GEN-JSON", "200 collection without a value array")),
            }
        }
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
            let text = String::from_utf8_lossy(&reply.body);
            if !reply.content_type_is("text/plain") || text.trim().parse::<u64>().is_err() {
                out.push(v(
                    "Q-COUNT",
                    format!(
                        "$count answer is not text/plain with a number: {:?}",
                        text.chars().take(40).collect::<String>()
                    ),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Auth, Expectation, Readback, Target};

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
