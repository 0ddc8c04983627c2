//! Synchronization (SPEC.md §6): full sync rounds of a folder's contacts, and of
//! the folder lists (SY-FOLDERS), with `Prefer: odata.track-changes`.
//!
//! A round: the first request (no token) answers the first page and always a delta
//! link (SY-FIRST, SY-FIRST-PAGE); that link continues the round; every later
//! answer has a next link (`$skiptoken`) while entities remain, or a final delta
//! link (`$deltatoken` without a position) that starts the next full round
//! (SY-FOLLOW, SY-NEXT-ROUND). Positions are keyset cursors on the creation
//! sequence, so creates and deletes during a round never make it skip or repeat an
//! unchanged entity (SY-COMPLETE-LIVE). The selection and page size ride inside the
//! signed token (SY-SELECT, SY-PAGESIZE), so links stay valid on every path naming
//! the same folder and without the `Prefer` header (SY-TOKEN-PATH, SY-TOKEN-ONLY).

use crate::collection::{self, links, render_rows, respond, selection, source};
use crate::context::{AppState, CollectionTarget, RequestCtx};
use crate::error::ApiError;
use crate::faults::Fault;
use crate::handlers::parse_error;
use crate::paging::{self, PageSize};
use crate::parse::{Preferences, QueryOptions, parse_filter};
use crate::render;
use crate::sync_token::{self, Cursor, Scope, TokenKind, TokenState};
use axum::response::Response;
use contactspec_model::ErrorCode;
use serde_json::{Map, Value};
use std::cmp::Ordering;

/// Page size of a sync round without `odata.maxpagesize` (the server's choice).
pub const DEFAULT_SYNC_PAGE_SIZE: usize = 10;

/// The `Preference-Applied` token of a sync answer.
const TRACK_CHANGES: &str = "odata.track-changes";

/// Answers one request of a sync round. `token` is the verified token of the
/// request, if it has one (already checked against user and collection).
pub fn get(
    state: &AppState,
    ctx: &RequestCtx,
    target: &CollectionTarget,
    scope: &Scope,
    q: &QueryOptions,
    prefs: &Preferences,
    token: Option<TokenState>,
) -> Result<Response, ApiError> {
    let filter_allowed = state.fault(Fault::SyncFilterAccepted);
    for (name, given) in [
        ("$filter", q.filter.is_some() && !filter_allowed),
        ("$orderby", q.orderby.is_some()),
        ("$top", q.top.is_some()),
        ("$skip", q.skip.is_some()),
        ("$count", q.count.is_some()),
    ] {
        if given {
            return Err(ApiError::bad_request(
                ErrorCode::ErrorInvalidUrlQuery,
                format!("{name} cannot be used when tracking changes"),
            ));
        }
    }
    let filter = match (&q.filter, filter_allowed) {
        (Some(f), true) => Some(parse_filter(f, source::kind_of(scope)).map_err(parse_error)?),
        _ => None,
    };
    // A repeated `$select` must still be valid, but the token's selection wins.
    let asked = selection(q.select.as_deref(), scope)?;
    let first = token.is_none();
    let sel: Option<Vec<String>> = match &token {
        None => asked.map(|names| names.iter().map(|n| (*n).to_string()).collect()),
        Some(_) if state.fault(Fault::SelectLostAfterFirstSyncPage) => None,
        Some(t) => t.select.clone(),
    };
    let fallback = token
        .as_ref()
        .map_or(DEFAULT_SYNC_PAGE_SIZE, |t| t.page_size);
    let size = PageSize::resolve(None, prefs.max_page_size, fallback);
    // A sync page is never empty for want of room.
    let page_size = size.size.max(1);

    let mb = ctx.mailbox.read();
    let rows = source::rows(&mb, scope, false, |p| {
        filter.as_ref().is_none_or(|f| f.matches(p))
    });
    let cursor = token.as_ref().and_then(|t| t.cursor.as_ref());
    let offsets = state.fault(Fault::OffsetSkiptoken);
    let start = if offsets {
        cursor.map_or(0, |c| usize::try_from(c.seq).unwrap_or(usize::MAX))
    } else {
        paging::seek(&rows, cursor, |_, _| Ordering::Equal)
    };
    let mut cut = paging::cut(rows.len(), start, page_size);
    if state.fault(Fault::SyncDropsLastWhenPageMultiple)
        && !cut.more
        && page_size > 1
        && cut.end - cut.start == page_size
    {
        cut.end -= 1;
    }
    let page = &rows[cut.start..cut.end];
    let after_page = || -> Option<Cursor> {
        if offsets {
            return Some(Cursor {
                seq: cut.end as u64,
                keys: Map::new(),
            });
        }
        page.last().map(|r| paging::cursor_after(r, &[]))
    };

    let mut next = TokenState::new(
        TokenKind::SyncDelta,
        ctx.mailbox.user.clone(),
        scope.clone(),
        page_size,
    );
    next.select = if state.fault(Fault::SelectLostAfterFirstSyncPage) {
        None
    } else {
        sel.clone()
    };
    let link_name = if first && !(cut.more && state.fault(Fault::SyncFirstNextlink)) {
        // SY-FIRST: the first answer always carries a delta link that continues
        // the round after its page.
        next.cursor = if state.fault(Fault::FirstDeltaRestartsRound) {
            None
        } else {
            after_page()
        };
        "@odata.deltaLink"
    } else if cut.more {
        next.kind = TokenKind::SyncSkip;
        next.cursor = after_page();
        "@odata.nextLink"
    } else {
        // The round is complete: the final delta link starts the next one.
        next.cursor = None;
        "@odata.deltaLink"
    };
    let param = if next.kind == TokenKind::SyncDelta {
        "$deltatoken"
    } else {
        "$skiptoken"
    };
    let token_text = sync_token::encode(&collection::token_key(state), &next);
    let link = links::link(ctx, &[(param, &token_text)], false);

    let sel_refs: Option<Vec<&str>> = sel
        .as_ref()
        .map(|names| names.iter().map(String::as_str).collect());
    let fragment = format!(
        "{}{}/$delta",
        target.context_fragment(ctx),
        render::selection_suffix(sel_refs.as_deref())
    );
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        Value::String(ctx.context_url(&fragment)),
    );
    body.insert(
        "value".into(),
        Value::Array(render_rows(state, ctx, page, sel_refs.as_deref())),
    );
    body.insert(link_name.into(), Value::String(link));

    let mut applied = Vec::new();
    if first || !state.fault(Fault::PreferenceAppliedFirstSyncPageOnly) {
        applied.push(TRACK_CHANGES.to_string());
    }
    if size.from_prefer {
        applied.push(format!("odata.maxpagesize={page_size}"));
    }
    Ok(respond(body, &applied))
}
