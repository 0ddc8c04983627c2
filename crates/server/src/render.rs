//! Rendering entities as JSON: annotations (`@odata.id`, `@odata.etag`,
//! `@odata.context`: Q-ANNOTATIONS, GEN-ODATA-ID), `$select` (Q-SELECT) and the
//! `outlook.timezone` view of flag dates (FL-TIMEZONE-PREFER). Used by the single-entity
//! handlers and by the collection code alike.

use crate::context::{AppState, RequestCtx};
use crate::faults::Fault;
use crate::parse::{flag_in_zone, parse_prefer, resolve_zone};
use crate::store::{Contact, Folder};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

/// A zone to show flag dates in, and its name as the client sent it.
pub type Zone = (chrono_tz::Tz, String);

/// The `Prefer: outlook.timezone` of the request, if it names a known zone
/// (FL-TIMEZONE-PREFER; an unknown zone is ignored).
pub fn timezone_preference(ctx: &RequestCtx) -> Option<Zone> {
    let prefs = parse_prefer(ctx.prefer.iter().map(String::as_str));
    let label = prefs.timezone?;
    let tz = resolve_zone(&label)?;
    Some((tz, label))
}

/// `W/"{ChangeKey}"` (or the faulty unquoted form under `etag-unquoted`).
pub fn etag(state: &AppState, change_key: &str) -> String {
    if state.fault(Fault::EtagUnquoted) {
        format!("W/{change_key}")
    } else {
        format!("W/\"{change_key}\"")
    }
}

/// Whether `name` is kept by a selection (`None` = every property; `Id` always).
fn selected(selection: Option<&[&str]>, name: &str) -> bool {
    match selection {
        None => true,
        Some(names) => name == "Id" || names.contains(&name),
    }
}

/// A contact as it appears in a response: `@odata.id`, `@odata.etag`, then its
/// properties (all, or `Id` plus the selected ones) in canonical order.
///
/// `zone` (from [`timezone_preference`]) shows flag dates in that zone
/// (FL-TIMEZONE-PREFER); `None` sends them as stored (UTC).
pub fn contact(
    state: &AppState,
    ctx: &RequestCtx,
    c: &Contact,
    selection: Option<&[&str]>,
    zone: Option<&Zone>,
) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("@odata.id".into(), Value::String(ctx.contact_url(&c.id)));
    m.insert(
        "@odata.etag".into(),
        Value::String(etag(state, c.change_key())),
    );
    let null_collections = state.fault(Fault::UnsetCollectionsNull);
    for (k, v) in &c.props {
        if !selected(selection, k) {
            continue;
        }
        let v = match (k.as_str(), zone) {
            ("Flag", Some((tz, label))) => flag_in_zone(v, label, *tz),
            _ if null_collections && v.as_array().is_some_and(Vec::is_empty) => Value::Null,
            _ => v.clone(),
        };
        m.insert(k.clone(), v);
    }
    m
}

/// A folder as it appears in a response: `@odata.id`, then its properties (all, or
/// `Id` plus the selected ones).
pub fn folder(
    state: &AppState,
    ctx: &RequestCtx,
    f: &Folder,
    selection: Option<&[&str]>,
) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("@odata.id".into(), Value::String(ctx.folder_url(&f.id)));
    for (k, mut v) in f.properties() {
        if !selected(selection, &k) {
            continue;
        }
        if k == "WellKnownName" && state.fault(Fault::WrongWellKnownName) && !v.is_null() {
            v = Value::String("Contacts".into());
        }
        m.insert(k, v);
    }
    m
}

/// The `(A,B)` part of an `@odata.context` for a selection (empty for all).
pub fn selection_suffix(selection: Option<&[&str]>) -> String {
    match selection {
        None => String::new(),
        Some(names) => format!("({})", names.join(",")),
    }
}

/// Puts `@odata.context` first in an entity object.
pub fn with_context(context: String, entity: Map<String, Value>) -> Map<String, Value> {
    let mut m = Map::with_capacity(entity.len() + 1);
    m.insert("@odata.context".into(), Value::String(context));
    m.extend(entity);
    m
}

/// A JSON response with `Content-Type: application/json`.
pub fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut res = (status, body.to_string()).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; odata.metadata=minimal"),
    );
    res
}
