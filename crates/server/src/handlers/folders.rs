//! `GET me/contactfolders/{fid}` (CF-GET) with `$select` (Q-SELECT).

use super::{entity_query, parse_error, resolve_chain};
use crate::context::{AppState, RequestCtx};
use crate::error::ApiError;
use crate::parse::{EntityKind, Selection, parse_select};
use crate::render;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

/// The `$select` of a single-entity request, as property names (`None` = all).
pub fn selection(
    ctx: &RequestCtx,
    kind: EntityKind,
) -> Result<Option<Vec<&'static str>>, ApiError> {
    match entity_query(ctx)? {
        None => Ok(None),
        Some(s) => match parse_select(&s, kind).map_err(parse_error)? {
            Selection::All => Ok(None),
            Selection::Props(p) => Ok(Some(p)),
        },
    }
}

/// Answers a folder GET.
pub fn get(state: &AppState, ctx: &RequestCtx, chain: &[String]) -> Result<Response, ApiError> {
    let sel = selection(ctx, EntityKind::Folder)?;
    let mb = ctx.mailbox.read();
    let id = resolve_chain(&mb, chain)?;
    let folder = mb.folder(&id).ok_or_else(ApiError::item_not_found)?;
    let entity = render::folder(state, ctx, folder, sel.as_deref());
    let context = ctx.context_url(&format!(
        "{}/ContactFolders{}/$entity",
        ctx.context_user(),
        render::selection_suffix(sel.as_deref())
    ));
    Ok(render::json_response(
        StatusCode::OK,
        &Value::Object(render::with_context(context, entity)),
    ))
}
