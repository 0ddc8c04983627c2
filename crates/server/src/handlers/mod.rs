//! Request handlers. [`handle`] resolves the ids a route names (404 first), checks
//! the method (405), then calls the handler of the resource.

pub mod contacts;
pub mod folders;
pub mod photos;

use crate::app::method_not_allowed;
use crate::context::{AppState, CollectionTarget, RequestCtx};
use crate::error::ApiError;
use crate::faults::Fault;
use crate::parse::{EntityKind, Selection, parse_select};
use crate::routing::{ContactPart, Resource};
use crate::store::{Mailbox, MailboxData};
use axum::body::Body;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The folder a chain names: the first id at any depth, each next a direct child of
/// the previous one (CF-GET, CF-CHILDREN).
pub fn resolve_chain(mb: &MailboxData, chain: &[String]) -> Result<String, ApiError> {
    let (first, rest) = chain.split_first().ok_or_else(ApiError::item_not_found)?;
    let mut folder = mb.folder(first).ok_or_else(ApiError::item_not_found)?;
    for id in rest {
        let child = mb.folder(id).ok_or_else(ApiError::item_not_found)?;
        if child.parent_id != folder.id {
            return Err(ApiError::item_not_found());
        }
        folder = child;
    }
    Ok(folder.id.clone())
}

/// The folder a contacts route names (the default folder when `None`).
pub fn resolve_folder(mb: &MailboxData, folder: Option<&[String]>) -> Result<String, ApiError> {
    match folder {
        None => Ok(mb.default_folder().id.clone()),
        Some(chain) => resolve_chain(mb, chain),
    }
}

/// Checks that the contact `id` exists (in `folder` when given: CT-ADDRESS).
pub fn resolve_contact(
    mb: &MailboxData,
    folder: Option<&[String]>,
    id: &str,
) -> Result<(), ApiError> {
    let contact = mb.contact(id).ok_or_else(ApiError::item_not_found)?;
    if let Some(chain) = folder {
        let fid = resolve_chain(mb, chain)?;
        if contact.folder_id != fid {
            return Err(ApiError::item_not_found());
        }
    }
    Ok(())
}

/// The mailbox that holds contact `id` for this request: the caller's, or, only under
/// the `other-user-readable` fault and for GET, any mailbox that has it.
pub fn owner_of(state: &AppState, ctx: &RequestCtx, id: &str) -> Arc<Mailbox> {
    if state.fault(Fault::OtherUserReadable)
        && ctx.method == Method::GET
        && ctx.mailbox.read().contact(id).is_none()
        && let Some(other) = state
            .store
            .mailboxes()
            .iter()
            .find(|m| m.read().contact(id).is_some())
    {
        return other.clone();
    }
    ctx.mailbox.clone()
}

/// Resolves every id of the route; 404 when something does not exist.
fn resolve(state: &AppState, ctx: &RequestCtx, resource: &Resource) -> Result<(), ApiError> {
    match resource {
        Resource::Contacts { folder, .. } => {
            resolve_folder(&ctx.mailbox.read(), folder.as_deref()).map(|_| ())
        }
        Resource::Contact { folder, id, .. } => {
            let owner = owner_of(state, ctx, id);
            let mb = owner.read();
            let found = if Arc::ptr_eq(&owner, &ctx.mailbox) {
                resolve_contact(&mb, folder.as_deref(), id)
            } else {
                resolve_contact(&mb, None, id)
            };
            if state.fault(Fault::NotFoundMalformedCode) && ctx.method == Method::GET {
                return found.map_err(|e| {
                    ApiError::new(
                        e.status,
                        contactspec_model::ErrorCode::ErrorInvalidIdMalformed,
                        e.message,
                    )
                });
            }
            found
        }
        Resource::Folders { .. } => Ok(()),
        Resource::Folder { chain } | Resource::ChildFolders { chain, .. } => {
            resolve_chain(&ctx.mailbox.read(), chain).map(|_| ())
        }
    }
}

/// Checks the query string of a non-collection request: it must parse (unknown or
/// repeated options → 400); returns its `$select` value.
pub fn entity_query(ctx: &RequestCtx) -> Result<Option<String>, ApiError> {
    let q = crate::parse::parse_query(ctx.query.as_deref()).map_err(parse_error)?;
    Ok(q.select)
}

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

/// A parser's error as an API error (always 400).
pub fn parse_error(e: crate::parse::ParseError) -> ApiError {
    ApiError::bad_request(e.code, e.message)
}

/// Answers one routed request.
pub async fn handle(
    state: &AppState,
    ctx: &RequestCtx,
    resource: &Resource,
    body: Body,
) -> Result<Response, ApiError> {
    resolve(state, ctx, resource)?;
    if !resource.allows(&ctx.method) {
        if let Some(res) = faulty_method(state, ctx, resource)? {
            return Ok(res);
        }
        return Ok(method_not_allowed(ctx, resource));
    }
    match resource {
        Resource::Contacts { folder, count } => {
            let mb_folder = resolve_folder(&ctx.mailbox.read(), folder.as_deref())?;
            if ctx.method == Method::POST {
                return contacts::create(state, ctx, &mb_folder, body).await;
            }
            let target = CollectionTarget::Contacts {
                folder_id: mb_folder,
                via_folder: folder.as_ref().and_then(|c| c.last().cloned()),
                count: *count,
            };
            crate::collection::get(state, ctx, &target)
        }
        Resource::Folders { count } => crate::collection::get(
            state,
            ctx,
            &CollectionTarget::Folders {
                parent_id: None,
                count: *count,
            },
        ),
        Resource::ChildFolders { chain, count } => {
            let parent = resolve_chain(&ctx.mailbox.read(), chain)?;
            crate::collection::get(
                state,
                ctx,
                &CollectionTarget::Folders {
                    parent_id: Some(parent),
                    count: *count,
                },
            )
        }
        Resource::Folder { chain } => folders::get(state, ctx, chain),
        Resource::Contact { id, part, .. } => match (part, &ctx.method) {
            (ContactPart::Entity, &Method::PATCH) => contacts::update(state, ctx, id, body).await,
            (ContactPart::Entity, &Method::DELETE) => contacts::delete(state, ctx, id),
            (ContactPart::Entity, _) => contacts::get(state, ctx, id),
            (ContactPart::PhotoMeta, _) => photos::meta(state, ctx, id),
            (ContactPart::PhotoValue, &Method::PUT | &Method::PATCH) => {
                photos::put(state, ctx, id, body).await
            }
            (ContactPart::PhotoValue, _) => photos::get_value(state, ctx, id),
        },
    }
}

/// Faults that allow a method the rules forbid (CF-NO-WRITE, PH-METHODS).
fn faulty_method(
    state: &AppState,
    ctx: &RequestCtx,
    resource: &Resource,
) -> Result<Option<Response>, ApiError> {
    match (resource, &ctx.method) {
        (Resource::Folder { chain }, &Method::PATCH) if state.fault(Fault::FolderWriteAllowed) => {
            folders::get(state, ctx, chain).map(Some)
        }
        (Resource::Folder { .. }, &Method::DELETE) if state.fault(Fault::FolderWriteAllowed) => {
            Ok(Some(StatusCode::NO_CONTENT.into_response()))
        }
        (
            Resource::Contact {
                id,
                part: ContactPart::PhotoValue,
                ..
            },
            &Method::DELETE,
        ) if state.fault(Fault::PhotoDeleteAllowed) => photos::delete(state, ctx, id).map(Some),
        _ => Ok(None),
    }
}
