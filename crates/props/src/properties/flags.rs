//! flag-rules: any generated flag, valid or not, is judged by the §7 oracle; a valid
//! one is stored as the oracle says (FL-FLAGGED, FL-COMPLETE, FL-DST, …), an invalid
//! one gets 400 with a code of one of the rules it breaks and stores nothing.

use super::echo::check_created;
use super::harness::{Ctx, Options, Report, Spec, run_property};
use crate::casefile::{CaseBuilder, RequestBody, request, step};
use crate::check::{CheckResult, fail};
use crate::client::{Body, Client, Request, encode_id, encode_query_value};
use crate::generators::contact::MARKER_PROPERTY;
use crate::generators::flag::any_flag;
use crate::generators::invalid::MARKER;
use crate::oracle::echo::Today;
use crate::oracle::flag::{FlagVerdict, judge_flag};
use serde_json::{Map, Value, json};

/// The property.
pub const SPEC: Spec = Spec {
    name: "flag-rules",
    rules: &[
        "FL-FLAGGED",
        "FL-COMPLETE",
        "FL-NO-COMPLETED-WHEN-FLAGGED",
        "FL-DUE-NEEDS-START",
        "FL-ORDER",
        "FL-NOTFLAGGED",
        "FL-DATETIME",
        "FL-DST",
        "FL-SHAPE",
        "CT-ATOMIC",
    ],
    about: "every generated flag is accepted and stored, or rejected, as §7 says",
};

fn body(flag: &Value, marker: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("GivenName".into(), json!("Flag"));
    m.insert(MARKER_PROPERTY.into(), json!(marker));
    m.insert("Flag".into(), flag.clone());
    m
}

fn accept_rule(flag: &Value) -> &'static str {
    match flag.get("FlagStatus").and_then(Value::as_str) {
        Some("Flagged") => "FL-FLAGGED",
        Some("Complete") => "FL-COMPLETE",
        _ => "FL-DATETIME",
    }
}

fn test(ctx: &Ctx, flag: &Value) -> CheckResult {
    let sent = body(flag, &ctx.marker);
    let today = Today::around_now();
    let ex = ctx.create("me/contacts", Body::Json(Value::Object(sent.clone())))?;
    match judge_flag(flag) {
        FlagVerdict::Valid(_) => {
            ctx.status(&ex, &[201], accept_rule(flag))?;
            let created = ctx.json(&ex, "CT-CREATE")?;
            check_created(ctx, &sent, &created, today)?;
            let id = created
                .get("Id")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let ex = ctx.send(Request::new(
                "GET",
                format!("me/contacts/{}", encode_id(id)),
            ))?;
            ctx.status(&ex, &[200], "CT-GET")?;
            check_created(ctx, &sent, &ctx.json(&ex, "CT-GET")?, today)
        }
        FlagVerdict::Invalid(broken) => {
            let first = broken[0].rule;
            ctx.status(&ex, &[400], first).map_err(|_| {
                fail(
                    first,
                    format!(
                        "a flag breaking {:?} answered {}",
                        broken.iter().map(|b| b.rule).collect::<Vec<_>>(),
                        ex.status
                    ),
                )
            })?;
            let codes: Vec<_> = broken
                .iter()
                .flat_map(|b| b.codes.iter().copied())
                .collect();
            ctx.error(&ex, 400, &codes, first)?;
            let q = format!("$filter={}", encode_query_value(&ctx.marker_filter()));
            let ex = ctx.send(Request::new("GET", "me/contacts/$count").query(q))?;
            let n = String::from_utf8_lossy(&ex.resp_body).trim().to_string();
            if n != "0" {
                return Err(fail(
                    "CT-ATOMIC",
                    format!("a rejected flag left {n} contact(s)"),
                ));
            }
            Ok(())
        }
    }
}

fn to_case(flag: &Value) -> CaseBuilder {
    let sent = body(flag, MARKER);
    let mut c;
    match judge_flag(flag) {
        FlagVerdict::Valid(_) => {
            c = CaseBuilder::new("generated-flag-rules", &[accept_rule(flag)]);
            c.step(step(
                "create",
                accept_rule(flag),
                request(
                    "POST",
                    "me/contacts",
                    None,
                    Some(RequestBody::Json(Value::Object(sent.clone()))),
                ),
                json!({"status": 201, "json": {"Flag": crate::expect::flag(flag)}}),
                Some(json!({"id": "/Id"})),
            ));
        }
        FlagVerdict::Invalid(broken) => {
            c = CaseBuilder::new("generated-flag-rules", &[broken[0].rule]);
            let codes: Vec<&str> = broken
                .iter()
                .flat_map(|b| b.codes.iter().map(|c| c.as_str()))
                .collect();
            c.step(step(
                "create",
                broken[0].rule,
                request(
                    "POST",
                    "me/contacts",
                    None,
                    Some(RequestBody::Json(Value::Object(sent))),
                ),
                json!({"status": 400, "error": codes}),
                None,
            ));
        }
    }
    c
}

/// Runs the property.
pub fn run(client: &Client, opts: &Options) -> Report {
    run_property(
        client,
        opts,
        SPEC,
        any_flag(),
        |f| {
            let verdict = match judge_flag(f) {
                FlagVerdict::Valid(_) => "valid".to_string(),
                FlagVerdict::Invalid(b) => {
                    format!("breaks {:?}", b.iter().map(|b| b.rule).collect::<Vec<_>>())
                }
            };
            format!("Flag {f} ({verdict})")
        },
        test,
        |f, _| to_case(f),
    )
}
