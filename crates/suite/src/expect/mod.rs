//! Evaluates a step's expectations against a response. Each failed expectation
//! becomes a [`Finding`] attributed to a rule; expectations of rules the selection
//! does not check are skipped.

pub mod checks;
pub mod compare;
pub mod subset;

use crate::case::{Assertion, BodyExpect, BodyKeyword, Expect};
use crate::client::Received;
use crate::schema::Schemas;
use crate::select::Selection;
use crate::template::{Scope, Target};
use chrono::{DateTime, Utc};
use contactspec_model::{Level, rule};
use serde_json::Value;

/// A failed expectation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Rules it breaks, most specific first.
    pub rules: Vec<String>,
    /// Its level.
    pub level: Level,
    /// Expected vs found.
    pub message: String,
}

/// Everything an expectation may look at besides the response.
pub struct EvalCtx<'a> {
    /// Captures and built-ins.
    pub scope: &'a Scope,
    /// Compiled schemas.
    pub schemas: &'a Schemas,
    /// The step's rule (or the case's first).
    pub step_rule: &'a str,
    /// What is checked.
    pub selection: &'a Selection,
    /// The JSON the request sent (for `echo`).
    pub sent_json: Option<&'a Value>,
    /// The bytes of the last photo uploaded (for `body: "image"`).
    pub last_image: Option<&'a [u8]>,
    /// Bodies of the last burst (for `one_of_sent`).
    pub burst_sent: &'a [Value],
    /// When the request started and ended, by the runner's clock.
    pub window: (DateTime<Utc>, DateTime<Utc>),
    /// Tolerance of `clock` without a `Date` header.
    pub clock_skew: std::time::Duration,
}

/// The level of a rule (MUST for unknown IDs, which the loader rejects anyway).
pub fn level_of(id: &str) -> Level {
    rule(id).map_or(Level::Must, |r| r.level)
}

impl EvalCtx<'_> {
    fn finding(&self, id: &str, message: String) -> Finding {
        Finding {
            rules: vec![id.to_string()],
            level: level_of(id),
            message,
        }
    }
}

/// Evaluates `e` against `resp`. A failed status stops the evaluation (everything
/// else would only repeat it).
pub fn evaluate(e: &Expect, resp: &Received, ctx: &EvalCtx<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let step = ctx.step_rule;
    let sel = ctx.selection;
    let json = resp.json();
    let body_json = || -> Result<&Value, String> {
        json.as_ref().ok_or_else(|| {
            format!(
                "expected a JSON body, found {} bytes that are not JSON{}",
                resp.body.len(),
                resp.header("content-type")
                    .map(|c| format!(" (Content-Type {c})"))
                    .unwrap_or_default()
            )
        })
    };
    if let Some(s) = &e.status {
        let allowed = s.list();
        if sel.checks_rule(step) && !allowed.contains(&resp.status) {
            let want = allowed
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(" or ");
            out.push(ctx.finding(
                step,
                format!("expected status {want}, found {}", resp.status),
            ));
            return out;
        }
    }
    for (name, h) in &e.headers {
        let id = h.rule.as_deref().unwrap_or(step);
        if !sel.checks_rule(id) {
            continue;
        }
        let lines = resp.header_lines(name);
        let joined = lines.join(", ");
        let fail = if h.present == Some(true) || h.absent == Some(false) {
            lines
                .is_empty()
                .then(|| format!("expected header {name} to be present; it is absent"))
        } else if h.absent == Some(true) || h.present == Some(false) {
            (!lines.is_empty())
                .then(|| format!("expected header {name} to be absent; found {joined:?}"))
        } else if let Some(want) = &h.equals {
            match ctx.scope.expand(want, Target::Plain) {
                Ok(w) => (lines.len() != 1 || lines[0].trim() != w).then(|| {
                    format!(
                        "expected header {name}: {w:?}, found {}",
                        show_lines(&lines)
                    )
                }),
                Err(err) => Some(err.to_string()),
            }
        } else if let Some(re) = &h.matches {
            match regex::Regex::new(re) {
                Ok(r) => (lines.is_empty() || !lines.iter().any(|l| r.is_match(l))).then(|| {
                    format!(
                        "expected header {name} matching /{re}/, found {}",
                        show_lines(&lines)
                    )
                }),
                Err(err) => Some(err.to_string()),
            }
        } else if let Some(item) = &h.contains {
            (!compare::list_contains(&lines, item)).then(|| {
                format!(
                    "expected header {name} to list {item:?}, found {}",
                    show_lines(&lines)
                )
            })
        } else if let Some(item) = &h.not_contains {
            compare::list_contains(&lines, item).then(|| {
                format!(
                    "expected header {name} not to list {item:?}, found {}",
                    show_lines(&lines)
                )
            })
        } else if let Some(cap) = &h.equals_capture {
            match ctx.scope.get(cap) {
                Ok(v) => {
                    let w = crate::template::as_text(v);
                    (lines.len() != 1 || lines[0].trim() != w).then(|| {
                        format!(
                            "expected header {name} equal to capture {cap} ({w:?}), found {}",
                            show_lines(&lines)
                        )
                    })
                }
                Err(err) => Some(err.to_string()),
            }
        } else {
            None
        };
        if let Some(m) = fail {
            out.push(ctx.finding(id, m));
        }
    }
    if let Some(name) = &e.schema
        && sel.checks_rule(step)
    {
        match body_json() {
            Ok(v) => {
                if let Err(errs) = ctx.schemas.validate(name, v) {
                    out.push(ctx.finding(
                        step,
                        format!(
                            "expected a body valid against schema {name:?}: {}",
                            errs.join("; ")
                        ),
                    ));
                }
            }
            Err(m) => out.push(ctx.finding(step, m)),
        }
    }
    if let Some(want) = &e.json
        && sel.checks_rule(step)
    {
        match (body_json(), ctx.scope.expand_json(want)) {
            (Ok(v), Ok(w)) => {
                if let Err(m) = subset::matches(&w, Some(v)) {
                    out.push(ctx.finding(step, format!("body {m}")));
                }
            }
            (Err(m), _) => out.push(ctx.finding(step, m)),
            (_, Err(err)) => out.push(ctx.finding(step, err.to_string())),
        }
    }
    if let Some(codes) = &e.error {
        error_object(resp, json.as_ref(), &codes.list(), ctx, &mut out);
    }
    if let Some(b) = &e.body
        && sel.checks_rule(step)
    {
        let fail = match b {
            BodyExpect::Keyword(BodyKeyword::Empty) => (!resp.body.is_empty())
                .then(|| format!("expected an empty body, found {} bytes", resp.body.len())),
            BodyExpect::Keyword(BodyKeyword::Image) => match ctx.last_image {
                None => Some("no earlier step of the case uploaded a photo".to_string()),
                Some(img) => (img != resp.body.as_slice()).then(|| {
                    format!(
                        "expected exactly the {} bytes uploaded, found {} bytes{}",
                        img.len(),
                        resp.body.len(),
                        if img.len() == resp.body.len() {
                            " that differ"
                        } else {
                            ""
                        }
                    )
                }),
            },
            BodyExpect::Text { text } => match ctx.scope.expand(text, Target::Plain) {
                Ok(w) => {
                    let got = String::from_utf8_lossy(&resp.body);
                    (got.trim() != w).then(|| {
                        format!("expected the body {w:?}, found {:?}", cut(got.trim(), 200))
                    })
                }
                Err(err) => Some(err.to_string()),
            },
        };
        if let Some(m) = fail {
            out.push(ctx.finding(step, m));
        }
    }
    for a in &e.assert {
        let id = a.rule.as_deref().unwrap_or(step);
        if !sel.checks_rule(id) {
            continue;
        }
        let r = match body_json() {
            Ok(v) => assertion(a, v, ctx.scope),
            Err(m) => Err(m),
        };
        if let Err(m) = r {
            out.push(ctx.finding(id, m));
        }
    }
    for c in &e.checks {
        named_check(c, resp, json.as_ref(), ctx, &mut out);
    }
    out
}

fn show_lines(lines: &[String]) -> String {
    if lines.is_empty() {
        "no such header".to_string()
    } else {
        format!("{lines:?}")
    }
}

/// The largest char boundary of `s` at or below `n`.
pub fn floor_boundary(s: &str, n: usize) -> usize {
    let mut i = n.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Cuts a string to at most `n` bytes at a character boundary.
pub fn cut(s: &str, n: usize) -> String {
    if s.len() <= n {
        s.to_string()
    } else {
        format!("{}…", &s[..crate::expect::floor_boundary(s, n)])
    }
}

fn error_object(
    resp: &Received,
    json: Option<&Value>,
    codes: &[String],
    ctx: &EvalCtx<'_>,
    out: &mut Vec<Finding>,
) {
    let sel = ctx.selection;
    if sel.checks_rule("ERR-SHAPE") {
        let shape = (|| -> Result<(), String> {
            let v = json.ok_or_else(|| format!("expected the error object (SPEC.md §9), found a body that is not JSON ({} bytes)", resp.body.len()))?;
            let err = v.get("error").and_then(Value::as_object).ok_or_else(|| {
                format!(
                    "expected {{\"error\": {{...}}}}, found {}",
                    cut(&v.to_string(), 300)
                )
            })?;
            for m in ["code", "message"] {
                match err.get(m).and_then(Value::as_str) {
                    Some(s) if !s.is_empty() => {}
                    other => {
                        return Err(format!(
                            "expected a non-empty string error.{m}, found {other:?}"
                        ));
                    }
                }
            }
            checks::json_content_type(resp.header("content-type"))
        })();
        if let Err(m) = shape {
            out.push(ctx.finding("ERR-SHAPE", m));
            return;
        }
    }
    let step = ctx.step_rule;
    if sel.checks_rule("ERR-CODE") && sel.checks_rule(step) {
        let code = json
            .and_then(|v| v.pointer("/error/code"))
            .and_then(Value::as_str);
        if !code.is_some_and(|c| codes.iter().any(|w| w == c)) {
            out.push(Finding {
                rules: vec![step.to_string(), "ERR-CODE".to_string()],
                level: level_of(step),
                message: format!("expected error code {}, found {code:?}", codes.join(" or ")),
            });
        }
    }
}

#[allow(clippy::collapsible_match, clippy::collapsible_if)]
fn named_check(
    c: &str,
    resp: &Received,
    json: Option<&Value>,
    ctx: &EvalCtx<'_>,
    out: &mut Vec<Finding>,
) {
    let sel = ctx.selection;
    let need_json = |id: &str, out: &mut Vec<Finding>| -> bool {
        if json.is_none() {
            out.push(ctx.finding(id, format!("check {c}: expected a JSON body")));
        }
        json.is_some()
    };
    match c {
        "etag" | "annotations" => {
            if sel.checks_rule("Q-ANNOTATIONS") && need_json("Q-ANNOTATIONS", out) {
                let v = json.expect("checked");
                let r = if c == "etag" {
                    checks::etag(v)
                } else {
                    checks::annotations(v)
                };
                if let Err(m) = r {
                    out.push(ctx.finding("Q-ANNOTATIONS", m));
                }
            }
        }
        "echo" => {
            if sel.checks_rule("CT-ECHO") && need_json("CT-ECHO", out) {
                if let Some(sent) = ctx.sent_json
                    && let Err(m) = checks::echo(sent, json.expect("checked"))
                {
                    out.push(ctx.finding(
                        "CT-ECHO",
                        format!("the response does not echo what was sent: {m}"),
                    ));
                }
            }
        }
        "contact_full" => {
            let v = json.cloned().unwrap_or(Value::Null);
            let (missing, extra) = checks::contact_full(&v);
            if sel.checks_rule("CT-GET") && !missing.is_empty() {
                out.push(ctx.finding(
                    "CT-GET",
                    format!(
                        "expected every contact property; missing {}",
                        missing.join(", ")
                    ),
                ));
            }
            if sel.checks_rule("CT-SHAPE") && !extra.is_empty() {
                out.push(ctx.finding(
                    "CT-SHAPE",
                    format!(
                        "expected only contact properties and @odata annotations; found {}",
                        extra.join(", ")
                    ),
                ));
            }
        }
        "json_content_type" => {
            if sel.checks_rule("GEN-JSON")
                && let Err(m) = checks::json_content_type(resp.header("content-type"))
            {
                out.push(ctx.finding("GEN-JSON", m));
            }
        }
        "clock" => {
            if sel.checks_rule("CT-CLOCK") && need_json("CT-CLOCK", out) {
                let date = resp.header("date");
                if let Err(m) =
                    checks::clock(json.expect("checked"), date, ctx.window, ctx.clock_skew)
                {
                    out.push(ctx.finding("CT-CLOCK", m));
                }
            }
        }
        "one_of_sent" => {
            if sel.checks_rule("IN-ISOLATION") && need_json("IN-ISOLATION", out) {
                if ctx.burst_sent.is_empty() {
                    out.push(ctx.finding(
                        "IN-ISOLATION",
                        "check one_of_sent: no earlier burst in this case".to_string(),
                    ));
                } else if let Err(m) = checks::one_of_sent(ctx.burst_sent, json.expect("checked")) {
                    out.push(ctx.finding("IN-ISOLATION", m));
                }
            }
        }
        // `distinct_ids` is evaluated over a whole burst by the parallel step.
        _ => {}
    }
}

/// Evaluates one assertion against a JSON body.
pub fn assertion(a: &Assertion, body: &Value, scope: &Scope) -> Result<(), String> {
    let at = if a.path.is_empty() {
        "/"
    } else {
        a.path.as_str()
    };
    let v = body.pointer(&a.path);
    let show = |v: Option<&Value>| v.map_or("absent".to_string(), |x| cut(&x.to_string(), 300));
    let expand = |s: &String| scope.expand(s, Target::Plain).map_err(|e| e.to_string());
    if let Some(want) = &a.equals {
        let w = scope.expand_json(want).map_err(|e| e.to_string())?;
        return subset::matches(&w, v).map_err(|m| format!("{at}: {m}"));
    }
    if let Some(want) = &a.not_equals {
        let w = scope.expand_json(want).map_err(|e| e.to_string())?;
        return match subset::matches(&w, v) {
            Ok(()) => Err(format!(
                "{at}: expected anything but {w}, found {}",
                show(v)
            )),
            Err(_) => Ok(()),
        };
    }
    let len = || {
        v.and_then(Value::as_array)
            .map(Vec::len)
            .ok_or_else(|| format!("{at}: expected an array, found {}", show(v)))
    };
    if let Some(n) = a.count {
        let l = len()?;
        return if l == n {
            Ok(())
        } else {
            Err(format!("{at}: expected {n} elements, found {l}"))
        };
    }
    if let Some(n) = a.count_at_most {
        let l = len()?;
        return if l <= n {
            Ok(())
        } else {
            Err(format!("{at}: expected at most {n} elements, found {l}"))
        };
    }
    if let Some(n) = a.count_at_least {
        let l = len()?;
        return if l >= n {
            Ok(())
        } else {
            Err(format!("{at}: expected at least {n} elements, found {l}"))
        };
    }
    if a.absent == Some(true) || a.present == Some(false) {
        return match v {
            None => Ok(()),
            Some(x) => Err(format!(
                "{at}: expected absent, found {}",
                cut(&x.to_string(), 300)
            )),
        };
    }
    if a.present == Some(true) || a.absent == Some(false) {
        return if v.is_some() {
            Ok(())
        } else {
            Err(format!("{at}: expected present, found absent"))
        };
    }
    if let Some(c) = &a.changed_from {
        let old = scope.get(c).map_err(|e| e.to_string())?;
        return if v != Some(old) {
            Ok(())
        } else {
            Err(format!(
                "{at}: expected a value different from capture {c} ({old}), found the same"
            ))
        };
    }
    if let Some(c) = &a.unchanged_from {
        let old = scope.get(c).map_err(|e| e.to_string())?;
        return if v == Some(old) {
            Ok(())
        } else {
            Err(format!(
                "{at}: expected capture {c} ({old}), found {}",
                show(v)
            ))
        };
    }
    if let Some(c) = &a.not_before {
        let old = scope.get(c).map_err(|e| e.to_string())?;
        let earliest = old
            .as_str()
            .and_then(compare::parse_instant)
            .ok_or_else(|| format!("capture {c} is not an instant: {old}"))?;
        let got = v
            .and_then(Value::as_str)
            .and_then(compare::parse_instant)
            .ok_or_else(|| format!("{at}: expected an instant, found {}", show(v)))?;
        return if got >= earliest {
            Ok(())
        } else {
            Err(format!(
                "{at}: expected an instant not before capture {c} ({old}), found {}",
                show(v)
            ))
        };
    }
    let ids_of = || -> Result<Vec<String>, String> {
        let arr = v
            .and_then(Value::as_array)
            .ok_or_else(|| format!("{at}: expected an array of entities, found {}", show(v)))?;
        Ok(arr
            .iter()
            .map(|e| {
                e.get("Id")
                    .map_or_else(|| "(no Id)".to_string(), crate::template::as_text)
            })
            .collect())
    };
    if let Some(want) = &a.ids {
        let want: Vec<String> = want.iter().map(expand).collect::<Result<_, _>>()?;
        let got = ids_of()?;
        return if got == want {
            Ok(())
        } else {
            Err(format!(
                "{at}: expected the ids {want:?} in this order, found {got:?}"
            ))
        };
    }
    if let Some(want) = &a.ids_unordered {
        let mut want: Vec<String> = want.iter().map(expand).collect::<Result<_, _>>()?;
        let mut got = ids_of()?;
        want.sort();
        got.sort();
        return if got == want {
            Ok(())
        } else {
            Err(format!(
                "{at}: expected exactly the ids {want:?} in any order, found {got:?}"
            ))
        };
    }
    if let Some(bad) = &a.not_ids {
        let bad: Vec<String> = bad.iter().map(expand).collect::<Result<_, _>>()?;
        let got = ids_of()?;
        let found: Vec<&String> = got.iter().filter(|g| bad.contains(g)).collect();
        return if found.is_empty() {
            Ok(())
        } else {
            Err(format!("{at}: expected none of {bad:?}, found {found:?}"))
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{Codes, HeaderExpect, Statuses};
    use serde_json::json;

    fn resp(status: u16, headers: &[(&str, &str)], body: &str) -> Received {
        Received {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    fn run(e: &Expect, r: &Received, sel: &Selection) -> Vec<Finding> {
        let mut scope = Scope::default();
        scope.set("ck", json!("k1"));
        scope.set("id", json!("A1"));
        scope.set("lm", json!("2018-02-06T00:00:00Z"));
        let schemas = Schemas::default();
        let now = Utc::now();
        let ctx = EvalCtx {
            scope: &scope,
            schemas: &schemas,
            step_rule: "CT-READONLY",
            selection: sel,
            sent_json: None,
            last_image: None,
            burst_sent: &[],
            window: (now, now),
            clock_skew: std::time::Duration::from_secs(5),
        };
        evaluate(e, r, &ctx)
    }

    #[test]
    fn status_failure_stops() {
        let e = Expect {
            status: Some(Statuses::Many(vec![400, 422])),
            error: Some(Codes::One("ErrorInvalidPropertySet".into())),
            ..Default::default()
        };
        let f = run(&e, &resp(200, &[], "{}"), &Selection::default());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rules, vec!["CT-READONLY"]);
        assert_eq!(f[0].message, "expected status 400 or 422, found 200");
    }

    #[test]
    fn error_code_and_shape_follow_the_selection() {
        let e = Expect {
            status: Some(Statuses::One(400)),
            error: Some(Codes::One("ErrorInvalidPropertySet".into())),
            ..Default::default()
        };
        let wrong = resp(
            400,
            &[("content-type", "application/json")],
            r#"{"error": {"code": "RequestBodyRead", "message": "m"}}"#,
        );
        let f = run(&e, &wrong, &Selection::default());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rules, vec!["CT-READONLY", "ERR-CODE"]);
        // Without `decided`, codes are not compared (CT-READONLY itself is decided, so
        // check with a selection of bases that still includes ERR-SHAPE).
        let no_decided =
            Selection::from_flags(&[], &["seed,doc,observed".into()], &[], &[], false).unwrap();
        assert!(run(&e, &wrong, &no_decided).is_empty());
        let shapeless = resp(400, &[("content-type", "text/plain")], "oops");
        let f = run(&e, &shapeless, &no_decided);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rules, vec!["ERR-SHAPE"]);
    }

    #[test]
    fn headers_and_assertions() {
        let mut headers = std::collections::BTreeMap::new();
        headers.insert(
            "Preference-Applied".to_string(),
            HeaderExpect {
                contains: Some("odata.track-changes".into()),
                ..Default::default()
            },
        );
        headers.insert(
            "ETag".to_string(),
            HeaderExpect {
                absent: Some(true),
                rule: Some("CT-CONFLICT".into()),
                ..Default::default()
            },
        );
        let e = Expect {
            headers,
            assert: vec![
                Assertion {
                    path: "/ChangeKey".into(),
                    changed_from: Some("ck".into()),
                    ..Default::default()
                },
                Assertion {
                    path: "/value".into(),
                    ids: Some(vec!["{{id}}".into()]),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let ok = resp(
            200,
            &[
                ("preference-applied", "odata.maxpagesize=2"),
                ("preference-applied", "odata.track-changes"),
            ],
            r#"{"ChangeKey": "k2", "value": [{"Id": "A1"}]}"#,
        );
        assert!(run(&e, &ok, &Selection::default()).is_empty());
        let bad = resp(
            200,
            &[("etag", "x")],
            r#"{"ChangeKey": "k1", "value": [{"Id": "B"}]}"#,
        );
        let f = run(&e, &bad, &Selection::default());
        assert_eq!(f.len(), 4, "{f:?}");
        assert_eq!(f[0].rules, vec!["CT-CONFLICT"]);
        assert!(f[2].message.contains("different from capture ck"));
        assert!(f[3].message.contains("expected the ids [\"A1\"]"));
    }

    #[test]
    fn not_contains_header() {
        let mut headers = std::collections::BTreeMap::new();
        headers.insert(
            "Preference-Applied".to_string(),
            HeaderExpect {
                not_contains: Some("odata.maxpagesize".into()),
                ..Default::default()
            },
        );
        let e = Expect {
            headers,
            ..Default::default()
        };
        let absent = resp(200, &[], "{}");
        assert!(run(&e, &absent, &Selection::default()).is_empty());
        let other = resp(200, &[("preference-applied", "odata.track-changes")], "{}");
        assert!(run(&e, &other, &Selection::default()).is_empty());
        let echoed = resp(
            200,
            &[(
                "preference-applied",
                "odata.track-changes, ODATA.MaxPageSize=1",
            )],
            "{}",
        );
        let f = run(&e, &echoed, &Selection::default());
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].message.contains("not to list"));
    }

    #[test]
    fn not_before_compares_instants() {
        let e = Expect {
            assert: vec![Assertion {
                path: "/LastModifiedDateTime".into(),
                not_before: Some("lm".into()),
                ..Default::default()
            }],
            ..Default::default()
        };
        let at = |t: &str| resp(200, &[], &format!(r#"{{"LastModifiedDateTime": "{t}"}}"#));
        // `lm` is 2018-02-06T00:00:00Z in the test scope.
        assert!(run(&e, &at("2018-02-06T01:00:00+01:00"), &Selection::default()).is_empty());
        assert!(run(&e, &at("2018-02-06T00:00:00.5Z"), &Selection::default()).is_empty());
        let f = run(
            &e,
            &at("2018-02-05T23:59:59.9999999Z"),
            &Selection::default(),
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].message.contains("not before capture lm"));
        assert_eq!(run(&e, &at("yesterday"), &Selection::default()).len(), 1);
    }
}
