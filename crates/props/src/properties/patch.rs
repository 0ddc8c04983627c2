//! patch-exact: a PATCH changes exactly what it sends (CT-UPDATE, CT-ECHO), gives a
//! new ChangeKey when it changes a stored value and keeps Id and CreatedDateTime
//! (CT-VERSION), in its response and in a later GET.

use super::echo::{check_shape, refused_create};
use super::harness::{Ctx, Options, Report, Spec, run_property};
use super::show_json;
use crate::casefile::{CaseBuilder, RequestBody, request, step};
use crate::check::{CheckResult, fail};
use crate::client::{Body, Client, Request, encode_id};
use crate::generators::contact::{MARKER_PROPERTY, patch_body, valid_contact};
use crate::generators::invalid::MARKER;
use crate::oracle::echo::{Today, check_echo, same_stored};
use crate::oracle::values::parse_returned_instant;
use contactspec_model::CONTACT_PROPERTIES;
use serde_json::{Map, Value, json};

/// The property.
pub const SPEC: Spec = Spec {
    name: "patch-exact",
    rules: &["CT-UPDATE", "CT-ECHO", "CT-VERSION", "Q-ANNOTATIONS"],
    about: "a PATCH changes exactly the properties it sends",
};

/// Checks a contact after a PATCH against the one before it.
pub fn check_patched(
    ctx: &Ctx,
    before: &Value,
    patch: &Map<String, Value>,
    after: &Value,
    today: Today,
) -> CheckResult {
    for (k, v) in patch {
        for violation in check_echo(k, v, after.get(k), today) {
            ctx.checker.violation(violation)?;
        }
    }
    for p in CONTACT_PROPERTIES {
        if patch.contains_key(p.name) || matches!(p.name, "ChangeKey" | "LastModifiedDateTime") {
            continue;
        }
        if !same_stored(p.name, before.get(p.name), after.get(p.name)) {
            let rule = if matches!(p.name, "Id" | "CreatedDateTime") {
                "CT-VERSION"
            } else {
                "CT-UPDATE"
            };
            return Err(fail(
                rule,
                format!(
                    "{} changed from {} to {} though the PATCH did not send it",
                    p.name,
                    show_json(before.get(p.name).unwrap_or(&Value::Null)),
                    show_json(after.get(p.name).unwrap_or(&Value::Null))
                ),
            ));
        }
    }
    let changed = patch
        .keys()
        .any(|k| !same_stored(k, before.get(k), after.get(k)));
    let ck = |v: &Value| v.get("ChangeKey").cloned();
    if changed && ck(before) == ck(after) {
        return Err(fail(
            "CT-VERSION",
            "a PATCH that changed stored values kept the ChangeKey",
        ));
    }
    let lm = |v: &Value| {
        v.get("LastModifiedDateTime")
            .and_then(Value::as_str)
            .and_then(parse_returned_instant)
    };
    if let (Some(a), Some(b)) = (lm(before), lm(after))
        && b < a
    {
        return Err(fail("CT-VERSION", "LastModifiedDateTime decreased"));
    }
    let etag = after.get("@odata.etag").and_then(Value::as_str);
    let want = after
        .get("ChangeKey")
        .and_then(Value::as_str)
        .map(|c| format!("W/\"{c}\""));
    ctx.checker.ensure(
        etag.is_some() && etag.map(str::to_string) == want,
        "Q-ANNOTATIONS",
        || format!("@odata.etag {etag:?} is not W/\"ChangeKey\""),
    )?;
    Ok(())
}

fn test(ctx: &Ctx, input: &(Map<String, Value>, Map<String, Value>)) -> CheckResult {
    let (contact, patch) = input;
    let mut body = contact.clone();
    body.insert(MARKER_PROPERTY.into(), json!(ctx.marker));
    let ex = ctx.create("me/contacts", Body::Json(Value::Object(body.clone())))?;
    if ex.status != 201 {
        return refused_create(ctx, &body, &ex);
    }
    let before = ctx.json(&ex, "CT-CREATE")?;
    let id = before.get("Id").and_then(Value::as_str).unwrap_or_default();
    let path = format!("me/contacts/{}", encode_id(id));
    let today = Today::around_now();
    let ex = ctx.send(Request::new("PATCH", path.clone()).json(Value::Object(patch.clone())))?;
    ctx.status(&ex, &[200], "CT-UPDATE")?;
    let after = ctx.json(&ex, "CT-UPDATE")?;
    check_patched(ctx, &before, patch, &after, today)?;
    let ex = ctx.send(Request::new("GET", path))?;
    ctx.status(&ex, &[200], "CT-GET")?;
    let got = ctx.json(&ex, "CT-GET")?;
    check_patched(ctx, &before, patch, &got, today)?;
    check_shape(ctx, &got)
}

fn to_case(input: &(Map<String, Value>, Map<String, Value>)) -> CaseBuilder {
    let (contact, patch) = input;
    let mut body = contact.clone();
    body.insert(MARKER_PROPERTY.into(), json!(MARKER));
    let expected = crate::expect::body(patch);
    let mut c = CaseBuilder::new("generated-patch-exact", &["CT-UPDATE", "CT-ECHO"]);
    c.step(step(
        "create",
        "CT-CREATE",
        request(
            "POST",
            "me/contacts",
            None,
            Some(RequestBody::Json(Value::Object(body))),
        ),
        json!({"status": 201}),
        Some(json!({"id": "/Id", "ck": "/ChangeKey"})),
    ));
    c.step(step(
        "patch",
        "CT-UPDATE",
        request(
            "PATCH",
            "me/contacts/{{id}}",
            None,
            Some(RequestBody::Json(Value::Object(patch.clone()))),
        ),
        json!({"status": 200, "json": expected, "checks": ["echo", "etag"]}),
        None,
    ));
    c.step(step(
        "get",
        "CT-UPDATE",
        request("GET", "me/contacts/{{id}}", None, None),
        json!({"status": 200, "json": expected}),
        None,
    ));
    c
}

/// Runs the property.
pub fn run(client: &Client, opts: &Options) -> Report {
    run_property(
        client,
        opts,
        SPEC,
        (valid_contact(true), patch_body(true)),
        |(c, p)| {
            format!(
                "create {} then PATCH {}",
                show_json(&Value::Object(c.clone())),
                show_json(&Value::Object(p.clone()))
            )
        },
        test,
        |v, _| to_case(v),
    )
}
