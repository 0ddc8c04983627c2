//! `GET me/contactfolders/{fid}` (CF-GET) with `$select` (Q-SELECT).

use super::{resolve_chain, selection};
use crate::context::{AppState, RequestCtx};
use crate::error::ApiError;
use crate::parse::EntityKind;
use crate::render;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

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
