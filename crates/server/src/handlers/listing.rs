//! Collection GETs. Until the collection module (paging, query options, sync) is
//! wired in, this answers a plain, unpaged list in creation order.

use crate::context::{AppState, CollectionTarget, RequestCtx};
use crate::error::ApiError;
use crate::render;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// Answers a collection GET.
pub fn get(
    state: &AppState,
    ctx: &RequestCtx,
    target: &CollectionTarget,
) -> Result<Response, ApiError> {
    let mb = ctx.mailbox.read();
    let items: Vec<Value> = match target {
        CollectionTarget::Contacts { folder_id, .. } => mb
            .contacts_in(folder_id)
            .map(|c| Value::Object(render::contact(state, ctx, c, None, None)))
            .collect(),
        CollectionTarget::Folders { parent_id, .. } => {
            let parent = parent_id.clone().unwrap_or_else(|| mb.root_id.clone());
            mb.child_folders(&parent)
                .map(|f| Value::Object(render::folder(state, ctx, f, None)))
                .collect()
        }
    };
    if target.is_count() {
        let mut res = (StatusCode::OK, items.len().to_string()).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        return Ok(res);
    }
    let body = json!({
        "@odata.context": ctx.context_url(&target.context_fragment(ctx)),
        "value": items,
    });
    Ok(render::json_response(StatusCode::OK, &body))
}
