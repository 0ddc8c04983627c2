//! invalid-rejected: a payload that breaks exactly one rule gets exactly the status
//! and error code that rule requires, and stores nothing (CT-ATOMIC) — on create,
//! and on update of an existing contact, which stays exactly as it was.

use super::harness::{Ctx, Options, Report, Spec, run_property};
use crate::casefile::{CaseBuilder, RequestBody, request, step};
use crate::check::{CheckResult, Violation, fail, is_should};
use crate::client::{Body, Client, Request, encode_id};
use crate::generators::contact::MARKER_PROPERTY;
use crate::generators::invalid::{InvalidPayload, MARKER, invalid_payload};
use crate::oracle::echo::same_stored;
use contactspec_model::CONTACT_PROPERTIES;
use proptest::prelude::*;
use serde_json::{Value, json};

/// The property.
pub const SPEC: Spec = Spec {
    name: "invalid-rejected",
    rules: &[
        "CT-TYPES",
        "CT-UNKNOWN-PROPERTY",
        "CT-READONLY",
        "CT-LIMITS",
        "CT-BIRTHDAY",
        "CT-DATE-RANGE",
        "FL-SHAPE",
        "FL-DATETIME",
        "FL-DST",
        "FL-ORDER",
        "FL-NOTFLAGGED",
        "FL-DUE-NEEDS-START",
        "FL-NO-COMPLETED-WHEN-FLAGGED",
        "ERR-CODE",
        "CT-ATOMIC",
    ],
    about: "a payload breaking one rule gets that rule's error and stores nothing",
};

const GIVEN: &str = "Ada";

/// Whether the response carries the rule's status and one of its codes; a SHOULD
/// rule's miss becomes a warning and ends the check (`Ok(false)`).
fn rejected(ctx: &Ctx, p: &InvalidPayload, ex: &crate::client::Exchange) -> CheckResult<bool> {
    if ex.status != p.status {
        let v = Violation {
            rule: p.rule,
            message: format!(
                "{}: answered {} instead of {}: {}",
                p.what,
                ex.status,
                p.status,
                String::from_utf8_lossy(&ex.resp_body)
                    .chars()
                    .take(200)
                    .collect::<String>()
            ),
        };
        if is_should(p.rule) {
            ctx.checker.violation(v)?;
            return Ok(false);
        }
        return Err(v.into());
    }
    ctx.error(ex, p.status, &p.codes, p.rule)?;
    Ok(true)
}

fn marker_count(ctx: &Ctx) -> CheckResult<u64> {
    let q = format!(
        "$filter={}",
        crate::client::encode_query_value(&ctx.marker_filter())
    );
    let ex = ctx.send(Request::new("GET", "me/contacts/$count").query(q))?;
    ctx.status(&ex, &[200], "Q-COUNT")?;
    String::from_utf8_lossy(&ex.resp_body)
        .trim()
        .parse::<u64>()
        .map_err(|_| fail("Q-COUNT", "$count is not a number"))
}

fn test(ctx: &Ctx, input: &(InvalidPayload, bool)) -> CheckResult {
    let (p, as_patch) = input;
    if *as_patch && p.applies_to_patch {
        let ex = ctx.create(
            "me/contacts",
            Body::Json(json!({"GivenName": GIVEN, MARKER_PROPERTY: ctx.marker})),
        )?;
        ctx.status(&ex, &[201], "CT-CREATE")?;
        let before = ctx.json(&ex, "CT-CREATE")?;
        let path = format!(
            "me/contacts/{}",
            encode_id(before.get("Id").and_then(Value::as_str).unwrap_or_default())
        );
        let ex = ctx.send(
            Request::new("PATCH", path.clone()).body(Body::Text(ctx.subst(&p.patch_body()))),
        )?;
        if !rejected(ctx, p, &ex)? {
            return Ok(());
        }
        let ex = ctx.send(Request::new("GET", path))?;
        ctx.status(&ex, &[200], "CT-GET")?;
        let after = ctx.json(&ex, "CT-GET")?;
        for prop in CONTACT_PROPERTIES {
            if !same_stored(prop.name, before.get(prop.name), after.get(prop.name)) {
                return Err(fail(
                    "CT-ATOMIC",
                    format!("a rejected PATCH ({}) changed {}", p.what, prop.name),
                ));
            }
        }
        return Ok(());
    }
    let ex = ctx.create("me/contacts", Body::Text(ctx.subst(&p.post_body(GIVEN))))?;
    if !rejected(ctx, p, &ex)? {
        return Ok(());
    }
    let n = marker_count(ctx)?;
    if n != 0 {
        return Err(fail(
            "CT-ATOMIC",
            format!("a rejected create ({}) stored {n} contact(s)", p.what),
        ));
    }
    Ok(())
}

fn body_of(text: &str) -> RequestBody {
    match serde_json::from_str::<Value>(text) {
        Ok(v) if v.is_object() && serde_json::to_string(&v).is_ok_and(|t| t == text) => {
            RequestBody::Json(v)
        }
        _ => RequestBody::Text(text.to_string()),
    }
}

fn to_case(input: &(InvalidPayload, bool)) -> CaseBuilder {
    let (p, as_patch) = input;
    let mut c = CaseBuilder::new("generated-invalid-rejected", &[p.rule, "CT-ATOMIC"]);
    let expect = json!({"status": p.status, "error": p.codes.iter().map(|c| c.as_str()).collect::<Vec<_>>()});
    if *as_patch && p.applies_to_patch {
        c.step(step(
            "create",
            "CT-CREATE",
            request(
                "POST",
                "me/contacts",
                None,
                Some(RequestBody::Json(
                    json!({"GivenName": GIVEN, MARKER_PROPERTY: MARKER}),
                )),
            ),
            json!({"status": 201}),
            Some(json!({"id": "/Id", "ck": "/ChangeKey"})),
        ));
        c.step(step(
            "patch",
            p.rule,
            request(
                "PATCH",
                "me/contacts/{{id}}",
                None,
                Some(body_of(&p.patch_body())),
            ),
            expect,
            None,
        ));
        c.step(step(
            "unchanged",
            "CT-ATOMIC",
            request("GET", "me/contacts/{{id}}", None, None),
            json!({"status": 200, "assert": [{"path": "/ChangeKey", "unchanged_from": "ck"}]}),
            None,
        ));
    } else {
        c.step(step(
            "create",
            p.rule,
            request(
                "POST",
                "me/contacts",
                None,
                Some(body_of(&p.post_body(GIVEN))),
            ),
            expect,
            None,
        ));
        c.step(step(
            "nothing-stored",
            "CT-ATOMIC",
            request(
                "GET",
                "me/contacts/$count",
                Some(&format!("$filter={MARKER_PROPERTY}%20eq%20'{MARKER}'")),
                None,
            ),
            json!({"status": 200, "body": {"text": "0"}}),
            None,
        ));
    }
    c
}

/// Runs the property.
pub fn run(client: &Client, opts: &Options) -> Report {
    run_property(
        client,
        opts,
        SPEC,
        (invalid_payload(), any::<bool>()),
        |(p, patch)| {
            let body = if *patch && p.applies_to_patch {
                p.patch_body()
            } else {
                p.post_body(GIVEN)
            };
            format!(
                "{} {} (breaks {}: {}), expecting {} {:?}",
                if *patch && p.applies_to_patch {
                    "PATCH"
                } else {
                    "POST"
                },
                body,
                p.rule,
                p.what,
                p.status,
                p.codes
            )
        },
        test,
        |v, _| to_case(v),
    )
}
