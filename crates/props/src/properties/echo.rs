//! create-echo: a valid generated contact is created (201) and every property sent
//! comes back in the response and in a later GET (CT-ECHO and its normalisations),
//! with a computed DisplayName (CT-DISPLAYNAME), the default flag (FL-DEFAULT), every
//! property present (CT-GET) and nothing else (CT-SHAPE).

use super::harness::{Ctx, Options, Report, Spec, run_property};
use super::show_json;
use crate::casefile::{CaseBuilder, RequestBody, request, step};
use crate::check::{CheckResult, Violation, fail};
use crate::client::{Body, Client, Exchange, Request, encode_id};
use crate::generators::contact::{MARKER_PROPERTY, valid_contact};
use crate::generators::invalid::MARKER;
use crate::generators::text::utf16_len;
use crate::oracle::echo::{Today, check_echo, check_flag};
use crate::oracle::flag::{default_flag, uses_only_must_zones};
use crate::oracle::values::display_name_options;
use contactspec_model::{CONTACT_PROPERTIES, PropKind};
use serde_json::{Map, Value, json};

/// The property.
pub const SPEC: Spec = Spec {
    name: "create-echo",
    rules: &[
        "CT-CREATE",
        "CT-ECHO",
        "CT-BIRTHDAY",
        "FL-FLAGGED",
        "FL-COMPLETE",
        "CT-DISPLAYNAME",
        "FL-DEFAULT",
        "CT-GET",
        "CT-SHAPE",
    ],
    about: "a created contact echoes every property sent, in the response and a later GET",
};

fn longest_string(v: &Value) -> usize {
    match v {
        Value::String(s) => utf16_len(s),
        Value::Array(a) => a.iter().map(longest_string).max().unwrap_or(0),
        Value::Object(o) => o.values().map(longest_string).max().unwrap_or(0),
        _ => 0,
    }
}

/// Explains a refused create of a valid body: a SHOULD rule when the body relies on
/// one (a zone beyond FL-ZONES's list, a string near CT-LIMITS), else `CT-CREATE`.
pub fn refused_create(ctx: &Ctx, body: &Map<String, Value>, ex: &Exchange) -> CheckResult {
    let msg = format!(
        "a valid create answered {}: {}",
        ex.status,
        String::from_utf8_lossy(&ex.resp_body)
            .chars()
            .take(300)
            .collect::<String>()
    );
    if ex.status == 400 {
        if body.get("Flag").is_some_and(|f| !uses_only_must_zones(f)) {
            return ctx.checker.violation(Violation {
                rule: "FL-ZONES",
                message: msg,
            });
        }
        if body.get("GivenName").is_none() {
            return ctx.checker.violation(Violation {
                rule: "CT-NO-GIVENNAME",
                message: msg,
            });
        }
    }
    if ex.status == 400 && longest_string(&Value::Object(body.clone())) > 255 {
        // Refusing a long string is CT-LIMITS (SHOULD); truncating it is CT-ECHO.
        return ctx.checker.violation(Violation {
            rule: "CT-LIMITS",
            message: msg,
        });
    }
    Err(fail("CT-CREATE", msg))
}

/// Checks a returned contact against the body that created it.
pub fn check_created(
    ctx: &Ctx,
    sent: &Map<String, Value>,
    got: &Value,
    today: Today,
) -> CheckResult {
    for (k, v) in sent {
        for violation in check_echo(k, v, got.get(k), today) {
            ctx.checker.violation(violation)?;
        }
    }
    if !sent.contains_key("DisplayName") {
        let options = display_name_options(sent.get("GivenName"), sent.get("Surname"));
        let have = got.get("DisplayName").cloned().unwrap_or(Value::Null);
        let have = if have == json!("") { Value::Null } else { have };
        let ok = options
            .iter()
            .any(|o| *o == have || (o == &json!("") && have.is_null()));
        ctx.checker.ensure(ok, "CT-DISPLAYNAME", || {
            format!("DisplayName {have} is none of {options:?}")
        })?;
    }
    if !sent.contains_key("Flag") {
        for violation in check_flag(&default_flag(), got.get("Flag"), today) {
            ctx.checker.violation(Violation {
                rule: "FL-DEFAULT",
                message: violation.message,
            })?;
        }
    }
    Ok(())
}

/// Checks CT-GET and CT-SHAPE on a full contact.
pub fn check_shape(ctx: &Ctx, got: &Value) -> CheckResult {
    let Some(o) = got.as_object() else {
        return Err(fail("CT-GET", "the contact is not an object"));
    };
    for p in CONTACT_PROPERTIES {
        let v = o.get(p.name);
        ctx.checker
            .ensure(v.is_some(), "CT-GET", || format!("{} is missing", p.name))?;
        if matches!(
            p.kind,
            PropKind::StringArray
                | PropKind::EmailAddresses
                | PropKind::Phones
                | PropKind::PostalAddresses
                | PropKind::Websites
        ) {
            ctx.checker
                .ensure(v.is_some_and(Value::is_array), "CT-GET", || {
                    format!("{} is {:?}, not an array", p.name, v)
                })?;
        }
    }
    for k in o.keys() {
        let known = k.starts_with("@odata.") || CONTACT_PROPERTIES.iter().any(|p| p.name == k);
        ctx.checker
            .ensure(known, "CT-SHAPE", || format!("unexpected member {k}"))?;
    }
    Ok(())
}

fn test(ctx: &Ctx, payload: &Map<String, Value>) -> CheckResult {
    let mut body = payload.clone();
    body.insert(MARKER_PROPERTY.into(), json!(ctx.marker));
    let today = Today::around_now();
    let ex = ctx.create("me/contacts", Body::Json(Value::Object(body.clone())))?;
    if ex.status != 201 {
        return refused_create(ctx, &body, &ex);
    }
    let created = ctx.json(&ex, "CT-CREATE")?;
    check_created(ctx, &body, &created, today)?;
    let id = created
        .get("Id")
        .and_then(Value::as_str)
        .ok_or_else(|| fail("CT-CREATE-SERVER-FIELDS", "no Id"))?;
    let got = ctx.send(Request::new(
        "GET",
        format!("me/contacts/{}", encode_id(id)),
    ))?;
    ctx.status(&got, &[200], "CT-GET")?;
    let got = ctx.json(&got, "CT-GET")?;
    check_created(ctx, &body, &got, today)?;
    check_shape(ctx, &got)
}

/// The case file of a failing payload: create, then GET, both expecting the echo.
pub fn to_case(payload: &Map<String, Value>) -> CaseBuilder {
    let mut body = payload.clone();
    body.insert(MARKER_PROPERTY.into(), json!(MARKER));
    let expected = crate::expect::body(&body);
    let mut c = CaseBuilder::new("generated-create-echo", &["CT-ECHO"]);
    c.step(step(
        "create",
        "CT-ECHO",
        request(
            "POST",
            "me/contacts",
            None,
            Some(RequestBody::Json(Value::Object(body))),
        ),
        json!({"status": 201, "json": expected, "checks": ["echo"]}),
        Some(json!({"id": "/Id"})),
    ));
    c.step(step(
        "get",
        "CT-ECHO",
        request("GET", "me/contacts/{{id}}", None, None),
        json!({"status": 200, "json": expected, "checks": ["contact_full"]}),
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
        valid_contact(false),
        |p| show_json(&Value::Object(p.clone())),
        test,
        |p, _| to_case(p),
    )
}
