//! One contact (§2): GET (CT-GET, Q-SELECT), POST on a contacts collection
//! (CT-CREATE, CT-DISPLAYNAME), PATCH (CT-UPDATE, CT-VERSION, CT-CONFLICT,
//! CT-CONFLICT-BODY) and DELETE (CT-DELETE). Every write validates the whole body
//! before it takes the mailbox lock and changes nothing when it fails (CT-ATOMIC).

use super::{owner_of, parse_error, selection};
use crate::body::{is_json, read_limited};
use crate::clock::format_instant;
use crate::context::{AppState, RequestCtx};
use crate::error::ApiError;
use crate::faults::Fault;
use crate::parse::{ContactWrite, EntityKind, WriteMode, parse_contact_write};
use crate::render;
use crate::store::{Contact, unset_value};
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use contactspec_model::properties::{BODY_LIMIT, contact_property};
use contactspec_model::{CONTACT_PROPERTIES, ErrorCode, PropKind};
use serde_json::{Map, Value};

/// Checks `If-Match` against the current change key (CT-CONFLICT): absent, `*`, or
/// an entity tag whose opaque part is `change_key` passes; anything else → 412.
pub fn check_if_match(
    state: &AppState,
    ctx: &RequestCtx,
    change_key: &str,
) -> Result<(), ApiError> {
    let values: Vec<&str> = ctx
        .headers
        .get_all(header::IF_MATCH)
        .iter()
        .map(|v| v.to_str().unwrap_or(""))
        .collect();
    if values.is_empty() || state.fault(Fault::IfMatchIgnored) {
        return Ok(());
    }
    let strong_only = state.fault(Fault::IfMatchStrongOnly);
    let matches = values
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| {
            if tag == "*" {
                return true;
            }
            if strong_only {
                return tag == format!("W/\"{change_key}\"");
            }
            let opaque = tag.strip_prefix("W/").unwrap_or(tag);
            let opaque = opaque
                .strip_prefix('"')
                .and_then(|o| o.strip_suffix('"'))
                .unwrap_or(opaque);
            opaque == change_key
        });
    if matches {
        Ok(())
    } else {
        Err(ApiError::precondition_failed())
    }
}

/// Refuses a JSON write whose `Content-Type` is missing or not JSON (GEN-CONTENT-TYPE).
fn require_json(state: &AppState, ctx: &RequestCtx) -> Result<(), ApiError> {
    if is_json(&ctx.headers) || state.fault(Fault::ContentTypeIgnored) {
        Ok(())
    } else {
        Err(ApiError::unsupported_media_type(
            "The request body must be sent as application/json.",
        ))
    }
}

/// The checks every JSON write makes before its body is parsed, in the server's
/// order: query options (400), content type (415), size (413); then the body.
async fn read_json_write(
    state: &AppState,
    ctx: &RequestCtx,
    body: Body,
) -> Result<Bytes, ApiError> {
    super::entity_query(ctx)?;
    require_json(state, ctx)?;
    read_limited(&ctx.headers, body, body_limit(state)).await
}

/// The body limit in force (one byte short under `body-limit-off-by-one`).
pub fn body_limit(state: &AppState) -> usize {
    if state.fault(Fault::BodyLimitOffByOne) {
        BODY_LIMIT - 1
    } else {
        BODY_LIMIT
    }
}

/// Removes members a faulty server would silently ignore (read-only or unknown
/// properties), so the faults `readonly-ignored` and `unknown-property-ignored` work.
fn drop_ignored_members(state: &AppState, body: Bytes, mode: WriteMode) -> Bytes {
    let readonly = state.fault(Fault::ReadonlyIgnored);
    let unknown = state.fault(Fault::UnknownPropertyIgnored);
    if !readonly && !unknown {
        return body;
    }
    let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(&body) else {
        return body;
    };
    let kept: Map<String, Value> = obj
        .into_iter()
        .filter(|(k, _)| match contact_property(k) {
            None => !unknown || k.contains('@'),
            Some(p) if p.name == "ChangeKey" && mode == WriteMode::Update => true,
            Some(p) => p.writable || !readonly,
        })
        .collect();
    Bytes::from(Value::Object(kept).to_string())
}

/// Parses a write body, with the body-reading faults applied.
fn parse_write(
    state: &AppState,
    body: &Bytes,
    mode: WriteMode,
    now: DateTime<Utc>,
) -> Result<ContactWrite, ApiError> {
    if state.fault(Fault::MalformedJson500)
        && serde_json::from_slice::<serde::de::IgnoredAny>(body).is_err()
    {
        return Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::ErrorInvalidRequest,
            "Unexpected error reading the body.",
        ));
    }
    let body = drop_ignored_members(state, body.clone(), mode);
    let mut write = parse_contact_write(&body, mode, now).map_err(parse_error)?;
    flag_faults(state, &body, &mut write)?;
    if state.fault(Fault::BirthdayKeepsOffset)
        && let Ok(Value::Object(raw)) = serde_json::from_slice::<Value>(&body)
        && let Some(Value::String(sent)) = raw.get("Birthday")
    {
        for (k, v) in &mut write.properties {
            if *k == "Birthday" && sent.len() > 10 {
                *v = Value::String(sent.clone());
            }
        }
    }
    if state.fault(Fault::LongComplexMemberTruncated) {
        for (_, v) in &mut write.properties {
            let items = v.as_array_mut().into_iter().flatten();
            for member in items
                .filter_map(Value::as_object_mut)
                .flat_map(|m| m.values_mut())
            {
                if let Value::String(s) = member
                    && s.chars().count() > 1000
                {
                    *s = s.chars().take(1000).collect();
                }
            }
        }
    }
    Ok(write)
}

/// Flag mistakes injected after validation: `windows-zone-rejected`,
/// `completed-not-cut-to-midnight`, `completed-cut-before-utc`.
fn flag_faults(state: &AppState, body: &Bytes, write: &mut ContactWrite) -> Result<(), ApiError> {
    use crate::parse::datetime::{format_wall, parse_wall, resolve_zone, wall_to_utc};
    let windows = state.fault(Fault::WindowsZoneRejected);
    let not_cut = state.fault(Fault::CompletedNotCutToMidnight);
    let cut_local = state.fault(Fault::CompletedCutBeforeUtc);
    if !(windows || not_cut || cut_local) {
        return Ok(());
    }
    let Ok(Value::Object(raw)) = serde_json::from_slice::<Value>(body) else {
        return Ok(());
    };
    let Some(Value::Object(flag)) = raw.get("Flag") else {
        return Ok(());
    };
    let zone_of = |member: &str| {
        flag.get(member)
            .and_then(|d| d.get("TimeZone"))
            .and_then(Value::as_str)
    };
    if windows {
        for member in ["StartDateTime", "DueDateTime", "CompletedDateTime"] {
            if let Some(zone) = zone_of(member)
                && zone != "UTC"
                && zone.parse::<chrono_tz::Tz>().is_err()
            {
                return Err(ApiError::bad_request(
                    ErrorCode::ErrorInvalidArgument,
                    format!("unknown time zone '{zone}'"),
                ));
            }
        }
    }
    let wall = flag
        .get("CompletedDateTime")
        .and_then(|d| d.get("DateTime"))
        .and_then(Value::as_str)
        .and_then(parse_wall);
    let (Some(wall), Some(tz)) = (wall, zone_of("CompletedDateTime").and_then(resolve_zone)) else {
        return Ok(());
    };
    let stored = if not_cut {
        match wall_to_utc(wall, tz) {
            Ok(t) => t.naive_utc(),
            Err(_) => return Ok(()),
        }
    } else if cut_local {
        wall.date().and_time(chrono::NaiveTime::MIN)
    } else {
        return Ok(());
    };
    for (k, v) in &mut write.properties {
        if *k == "Flag"
            && let Value::Object(f) = v
            && f.get("FlagStatus").and_then(Value::as_str) == Some("Complete")
        {
            f.insert(
                "CompletedDateTime".into(),
                serde_json::json!({"DateTime": format_wall(stored), "TimeZone": "UTC"}),
            );
        }
    }
    Ok(())
}

/// `GivenName` and `Surname` joined by one space, either alone, or `null` (CT-DISPLAYNAME).
fn computed_display_name(
    state: &AppState,
    given: Option<&Value>,
    surname: Option<&Value>,
) -> Value {
    let part = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let sep = if state.fault(Fault::DisplaynameTwoSpaces) {
        "  "
    } else {
        " "
    };
    match (part(given), part(surname)) {
        (Some(g), Some(s)) => Value::String(format!("{g}{sep}{s}")),
        (Some(one), None) | (None, Some(one)) => Value::String(one),
        (None, None) => Value::Null,
    }
}

/// Answers with one contact: `@odata.context` first, the entity, an `ETag` header.
fn contact_response(
    state: &AppState,
    ctx: &RequestCtx,
    status: StatusCode,
    contact: &Contact,
    sel: Option<&[&str]>,
) -> Response {
    let zone = render::timezone_preference(ctx);
    let entity = render::contact(state, ctx, contact, sel, zone.as_ref());
    let context = ctx.context_url(&format!(
        "{}/Contacts{}/$entity",
        ctx.context_user(),
        render::selection_suffix(sel)
    ));
    let mut res = render::json_response(
        status,
        &Value::Object(render::with_context(context, entity)),
    );
    if let Ok(v) = HeaderValue::from_str(&render::etag(state, contact.change_key())) {
        res.headers_mut().insert(header::ETAG, v);
    }
    if status == StatusCode::CREATED
        && let Ok(v) = HeaderValue::from_str(&ctx.contact_url(&contact.id))
    {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// `GET .../contacts/{id}`.
pub fn get(state: &AppState, ctx: &RequestCtx, id: &str) -> Result<Response, ApiError> {
    let sel = selection(ctx, EntityKind::Contact)?;
    let owner = owner_of(state, ctx, id);
    let contact = owner
        .read()
        .contact(id)
        .cloned()
        .ok_or_else(ApiError::item_not_found)?;
    Ok(contact_response(
        state,
        ctx,
        StatusCode::OK,
        &contact,
        sel.as_deref(),
    ))
}

/// `POST .../contacts`: creates a contact in `folder_id`.
pub async fn create(
    state: &AppState,
    ctx: &RequestCtx,
    folder_id: &str,
    body: Body,
) -> Result<Response, ApiError> {
    let bytes = read_json_write(state, ctx, body).await?;
    let now = state.clock.now();
    let write = match parse_write(state, &bytes, WriteMode::Create, now) {
        Ok(w) => w,
        Err(e) => {
            if state.fault(Fault::PartialWriteOnError) && e.code == ErrorCode::ErrorInvalidArgument
            {
                store_without_flag(state, ctx, folder_id, &bytes, now);
            }
            return Err(e);
        }
    };
    let contact = store_new(state, ctx, folder_id, write.properties, now);
    Ok(contact_response(
        state,
        ctx,
        StatusCode::CREATED,
        &contact,
        None,
    ))
}

/// Stores a new contact from validated values, computing `DisplayName` when absent.
fn store_new(
    state: &AppState,
    ctx: &RequestCtx,
    folder_id: &str,
    mut values: Vec<(&'static str, Value)>,
    now: DateTime<Utc>,
) -> Contact {
    if !values.iter().any(|(k, _)| *k == "DisplayName") {
        let find = |name: &str| values.iter().find(|(k, _)| *k == name).map(|(_, v)| v);
        let dn = computed_display_name(state, find("GivenName"), find("Surname"));
        values.push(("DisplayName", dn));
    }
    let now = format_instant(now);
    let mut mb = ctx.mailbox.write();
    mb.create_contact(
        folder_id,
        values.into_iter().map(|(k, v)| (k.to_string(), v)),
        &now,
    )
    .clone()
}

/// Under `rejected-patch-half-applied`: applies each member of a rejected PATCH body
/// that is valid on its own.
fn apply_valid_members(ctx: &RequestCtx, id: &str, body: &Bytes, now: DateTime<Utc>) {
    let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(body) else {
        return;
    };
    let mut mb = ctx.mailbox.write();
    let Some(contact) = mb.contact_mut(id) else {
        return;
    };
    for (name, value) in obj {
        let one = Value::Object(Map::from_iter([(name, value)])).to_string();
        if let Ok(w) = parse_contact_write(one.as_bytes(), WriteMode::Update, now) {
            for (k, v) in w.properties {
                contact.props.insert(k.to_string(), v);
            }
        }
    }
}

/// Under `partial-write-on-error`: stores what the body holds apart from its flag.
fn store_without_flag(
    state: &AppState,
    ctx: &RequestCtx,
    folder_id: &str,
    body: &Bytes,
    now: DateTime<Utc>,
) {
    let Ok(Value::Object(mut obj)) = serde_json::from_slice::<Value>(body) else {
        return;
    };
    if obj.remove("Flag").is_none() {
        return;
    }
    let stripped = Value::Object(obj).to_string();
    if let Ok(w) = parse_contact_write(stripped.as_bytes(), WriteMode::Create, now) {
        store_new(state, ctx, folder_id, w.properties, now);
    }
}

/// `PATCH .../contacts/{id}`: merges the body into the contact.
pub async fn update(
    state: &AppState,
    ctx: &RequestCtx,
    id: &str,
    body: Body,
) -> Result<Response, ApiError> {
    let bytes = read_json_write(state, ctx, body).await?;
    let now = state.clock.now();
    let write = match parse_write(state, &bytes, WriteMode::Update, now) {
        Ok(w) => w,
        Err(e) => {
            if state.fault(Fault::RejectedPatchHalfApplied) {
                apply_valid_members(ctx, id, &bytes, now);
            }
            return Err(e);
        }
    };
    let mut mb = ctx.mailbox.write();
    let contact = mb.contact_mut(id).ok_or_else(ApiError::item_not_found)?;
    check_if_match(state, ctx, contact.change_key())?;
    if let Some(ck) = &write.change_key
        && ck != contact.change_key()
        && !state.fault(Fault::ChangekeyBodyIgnored)
    {
        return Err(ApiError::conflict());
    }
    let before = contact.props.clone();
    if state.fault(Fault::PatchReplacesEntity) {
        for p in CONTACT_PROPERTIES.iter().filter(|p| p.writable) {
            if !write.properties.iter().any(|(k, _)| *k == p.name) {
                contact.props.insert(p.name.into(), unset_value(p.kind));
            }
        }
    }
    for (k, v) in &write.properties {
        let is_string = contact_property(k).is_some_and(|p| p.kind == PropKind::String);
        if v.is_null() && is_string && state.fault(Fault::NullIgnoredOnPatch) {
            continue;
        }
        if state.fault(Fault::ArraysMergedOnPatch)
            && let (Some(Value::Array(old)), Value::Array(new)) = (contact.props.get(*k), v)
        {
            let merged: Vec<Value> = old.iter().chain(new).cloned().collect();
            contact.props.insert((*k).to_string(), Value::Array(merged));
            continue;
        }
        contact.props.insert((*k).to_string(), v.clone());
    }
    let names_sent = write
        .properties
        .iter()
        .any(|(k, _)| *k == "GivenName" || *k == "Surname");
    let dn_sent = write.properties.iter().any(|(k, _)| *k == "DisplayName");
    if state.fault(Fault::DisplaynameRecomputedOnPatch) && names_sent && !dn_sent {
        let dn = computed_display_name(
            state,
            contact.props.get("GivenName"),
            contact.props.get("Surname"),
        );
        contact.props.insert("DisplayName".into(), dn);
    }
    if contact.props != before {
        let now = format_instant(now);
        if state.fault(Fault::ChangekeyNotBumpedOnPatch) {
            contact
                .props
                .insert("LastModifiedDateTime".into(), Value::String(now));
        } else {
            contact.bump_version(&now);
        }
    }
    let updated = contact.clone();
    if (state.fault(Fault::ConditionalPatchNotSaved) && ctx.headers.contains_key(header::IF_MATCH))
        || (state.fault(Fault::PatchLostWhenPhotoSet) && contact.photo.is_some())
    {
        contact.props = before;
    }
    drop(mb);
    Ok(contact_response(state, ctx, StatusCode::OK, &updated, None))
}

/// `DELETE .../contacts/{id}`: 204, empty body.
pub fn delete(state: &AppState, ctx: &RequestCtx, id: &str) -> Result<Response, ApiError> {
    super::entity_query(ctx)?;
    let mut mb = ctx.mailbox.write();
    let contact = mb.contact(id).ok_or_else(ApiError::item_not_found)?;
    check_if_match(state, ctx, contact.change_key())?;
    let removed = mb.delete_contact(id).ok_or_else(ApiError::item_not_found)?;
    drop(mb);
    if state.fault(Fault::DeleteReturns200) {
        return Ok(contact_response(state, ctx, StatusCode::OK, &removed, None));
    }
    Ok(axum::response::IntoResponse::into_response(
        StatusCode::NO_CONTENT,
    ))
}
