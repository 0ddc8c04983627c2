//! Collection GETs (SPEC.md §5, CT-LIST, CT-LIST-DEFAULT, CF-LIST, CF-CHILDREN,
//! CF-QUERY): the contacts of a folder, the top-level folders and a folder's
//! children, with `$select`, `$filter`, `$orderby`, `$top`, `$skip`, `$count`,
//! `Prefer: odata.maxpagesize`, keyset next links and the `/$count` segment.
//! Requests that sync (`Prefer: odata.track-changes`, or a sync token) go to
//! [`crate::sync`].

pub mod links;
pub mod source;

use crate::context::{AppState, CollectionTarget, RequestCtx};
use crate::error::ApiError;
use crate::faults::Fault;
use crate::handlers::parse_error;
use crate::paging::{self, Cut, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageSize};
use crate::parse::{
    OrderBy, Preferences, QueryOptions, Selection, parse_count, parse_filter, parse_orderby,
    parse_prefer, parse_query, parse_select, parse_skip, parse_top,
};
use crate::render;
use crate::sync_token::{self, Scope, TokenKey, TokenKind, TokenState};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use contactspec_model::ErrorCode;
use serde_json::{Map, Value};
use source::{Item, Row};
use std::cmp::Ordering;

/// Answers a collection GET (or its `/$count`).
pub fn get(
    state: &AppState,
    ctx: &RequestCtx,
    target: &CollectionTarget,
) -> Result<Response, ApiError> {
    let q = parse_query(ctx.query.as_deref()).map_err(parse_error)?;
    let prefs = parse_prefer(ctx.prefer.iter().map(String::as_str));
    let scope = scope_of(target);
    if target.is_count() {
        return count(state, ctx, &scope, &q);
    }
    let token = read_token(state, ctx, &scope, &q)?;
    let sync = match &token {
        Some(t) => t.kind.is_sync(),
        None => prefs.track_changes,
    };
    if sync {
        return crate::sync::get(state, ctx, target, &scope, &q, &prefs, token);
    }
    if prefs.track_changes {
        return Err(bad_token(
            "this $skiptoken belongs to a page walk, not a sync round",
        ));
    }
    walk(state, ctx, target, &scope, &q, &prefs, token)
}

/// The token scope a target walks.
pub fn scope_of(target: &CollectionTarget) -> Scope {
    match target {
        CollectionTarget::Contacts { folder_id, .. } => Scope::Contacts(folder_id.clone()),
        CollectionTarget::Folders {
            parent_id: None, ..
        } => Scope::TopFolders,
        CollectionTarget::Folders {
            parent_id: Some(p), ..
        } => Scope::ChildFolders(p.clone()),
    }
}

/// 400 `ErrorInvalidSyncStateData` (SY-TOKEN-BAD).
pub fn bad_token(message: &str) -> ApiError {
    ApiError::bad_request(ErrorCode::ErrorInvalidSyncStateData, message)
}

/// The signing key of this server's tokens.
pub fn token_key(state: &AppState) -> TokenKey {
    TokenKey::from_bytes(state.sync_key)
}

/// Reads and checks the request's `$skiptoken` or `$deltatoken`: issued by this
/// server, to this user, for this collection, under the right parameter name.
fn read_token(
    state: &AppState,
    ctx: &RequestCtx,
    scope: &Scope,
    q: &QueryOptions,
) -> Result<Option<TokenState>, ApiError> {
    let (raw, delta) = match (&q.skiptoken, &q.deltatoken) {
        (None, None) => return Ok(None),
        (Some(s), Some(_)) if state.fault(Fault::SkipAndDeltaAccepted) => (s, false),
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request(
                ErrorCode::ErrorInvalidUrlQuery,
                "$skiptoken and $deltatoken cannot be used together",
            ));
        }
        (Some(s), None) => (s, false),
        (None, Some(d)) => (d, true),
    };
    let st = match sync_token::decode(&token_key(state), raw) {
        Ok(st) => st,
        Err(e) if state.fault(Fault::TamperedToken500) => {
            return Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::ErrorInvalidSyncStateData,
                e.to_string(),
            ));
        }
        Err(e) => return Err(bad_token(&e.to_string())),
    };
    if (st.kind == TokenKind::SyncDelta) != delta {
        return Err(bad_token(
            "this token is not valid under this parameter name",
        ));
    }
    if st.user != ctx.mailbox.user {
        return Err(bad_token("this token was issued to another user"));
    }
    if st.scope != *scope && !state.fault(Fault::TokenNotBoundToFolder) {
        return Err(bad_token("this token belongs to another collection"));
    }
    Ok(Some(st))
}

/// The selection of a `$select` value (`None` = every property).
pub fn selection(
    select: Option<&str>,
    scope: &Scope,
) -> Result<Option<Vec<&'static str>>, ApiError> {
    match select {
        None => Ok(None),
        Some(s) => match parse_select(s, source::kind_of(scope)).map_err(parse_error)? {
            Selection::All => Ok(None),
            Selection::Props(p) => Ok(Some(p)),
        },
    }
}

/// Renders the rows of a page.
pub fn render_rows(
    state: &AppState,
    ctx: &RequestCtx,
    rows: &[Row<'_>],
    sel: Option<&[&str]>,
) -> Vec<Value> {
    let zone = render::timezone_preference(ctx);
    rows.iter()
        .map(|r| {
            Value::Object(match r.item {
                Item::Contact(c) => render::contact(state, ctx, c, sel, zone.as_ref()),
                Item::Folder(f) => render::folder(state, ctx, f, sel),
            })
        })
        .collect()
}

/// A 200 JSON answer with `Preference-Applied` listing `applied` (if any).
pub fn respond(body: Map<String, Value>, applied: &[String]) -> Response {
    let mut res = render::json_response(StatusCode::OK, &Value::Object(body));
    if !applied.is_empty()
        && let Ok(v) = HeaderValue::from_str(&applied.join(", "))
    {
        res.headers_mut().insert("Preference-Applied", v);
    }
    res
}

/// `GET …/$count`: the number of entities matching `$filter`, as `text/plain`
/// (Q-COUNT; `$top` and `$skip` do not apply).
fn count(
    state: &AppState,
    ctx: &RequestCtx,
    scope: &Scope,
    q: &QueryOptions,
) -> Result<Response, ApiError> {
    let filter = match &q.filter {
        Some(f) => Some(parse_filter(f, source::kind_of(scope)).map_err(parse_error)?),
        None => None,
    };
    if let Some(t) = &q.top {
        parse_top(t).map_err(parse_error)?;
    }
    if let Some(s) = &q.skip {
        parse_skip(s).map_err(parse_error)?;
    }
    let filter = filter.filter(|_| !state.fault(Fault::CountIgnoresFilter));
    let mb = ctx.mailbox.read();
    let n = source::rows(&mb, scope, false, |p| {
        filter.as_ref().is_none_or(|f| f.matches(p))
    })
    .len();
    let mut res = (StatusCode::OK, n.to_string()).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    Ok(res)
}

/// Compares by `$orderby` when there is one; everything ties otherwise.
fn order_fn(
    orderby: Option<&OrderBy>,
) -> impl Fn(&Map<String, Value>, &Map<String, Value>) -> Ordering + '_ {
    move |a, b| orderby.map_or(Ordering::Equal, |o| o.compare(a, b))
}

/// The top-level properties an order looks at (what a cursor must remember).
fn key_props(orderby: Option<&OrderBy>) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for k in orderby.map(OrderBy::keys).unwrap_or_default() {
        if let Some(first) = k.path.segments.first()
            && !names.contains(first)
        {
            names.push(first);
        }
    }
    names
}

/// An ordinary (non-sync) page of a collection walk.
fn walk(
    state: &AppState,
    ctx: &RequestCtx,
    target: &CollectionTarget,
    scope: &Scope,
    q: &QueryOptions,
    prefs: &Preferences,
    token: Option<TokenState>,
) -> Result<Response, ApiError> {
    let kind = source::kind_of(scope);
    let sel = selection(q.select.as_deref(), scope)?;
    let filter = match &q.filter {
        Some(f) => Some(parse_filter(f, kind).map_err(parse_error)?),
        None => None,
    };
    let orderby = match &q.orderby {
        Some(o) => Some(parse_orderby(o, kind).map_err(parse_error)?),
        None => None,
    };
    let top = match &q.top {
        Some(t) => Some(parse_top(t).map_err(parse_error)?),
        None => None,
    };
    if state.fault(Fault::TopAboveMaxRejected) && top.is_some_and(|t| t > MAX_PAGE_SIZE as u64) {
        return Err(ApiError::bad_request(
            ErrorCode::ErrorInvalidUrlQuery,
            format!("$top must not exceed {MAX_PAGE_SIZE}"),
        ));
    }
    let skip = match &q.skip {
        Some(s) => parse_skip(s).map_err(parse_error)?,
        None => 0,
    };
    let skip = if state.fault(Fault::SkipIgnored) {
        0
    } else {
        skip
    };
    let with_count = match &q.count {
        Some(c) => parse_count(c).map_err(parse_error)?,
        None => false,
    };
    let digest = sync_token::query_digest(q.filter.as_deref(), q.orderby.as_deref());
    if let Some(t) = &token
        && t.query_digest != digest
    {
        return Err(ApiError::bad_request(
            ErrorCode::ErrorInvalidUrlQuery,
            "this $skiptoken was issued for another $filter or $orderby",
        ));
    }

    let default = if state.fault(Fault::DefaultPageSize20) {
        20
    } else {
        DEFAULT_PAGE_SIZE
    };
    let size = match &token {
        Some(t) if t.from_top && top.is_none() => PageSize {
            size: t.page_size,
            from_top: true,
            from_prefer: false,
        },
        Some(t) => PageSize::resolve(top, prefs.max_page_size, t.page_size),
        None => PageSize::resolve(top, prefs.max_page_size, default),
    };

    let mb = ctx.mailbox.read();
    let every_folder = state.fault(Fault::ContactsListAllFolders)
        && matches!(
            target,
            CollectionTarget::Contacts {
                via_folder: None,
                ..
            }
        );
    let match_opts = crate::parse::MatchOptions {
        case_sensitive_strings: state.fault(Fault::FilterStringsCaseSensitive),
    };
    let mut rows = source::rows(&mb, scope, every_folder, |p| {
        filter
            .as_ref()
            .is_none_or(|f| f.matches_with(p, match_opts))
    });
    let cmp = order_fn(orderby.as_ref());
    paging::sort_entries(&mut rows, &cmp);
    let cursor = token.as_ref().and_then(|t| t.cursor.as_ref());
    let offsets = state.fault(Fault::OffsetSkiptoken);
    let mut start = if offsets {
        cursor.map_or(0, |c| usize::try_from(c.seq).unwrap_or(usize::MAX))
    } else {
        paging::seek(&rows, cursor, &cmp)
    };
    if state.fault(Fault::NextlinkRepeatsLastWithOrderby) && orderby.is_some() && cursor.is_some() {
        start = start.saturating_sub(1);
    }
    let start = start.saturating_add(usize::try_from(skip).unwrap_or(usize::MAX));
    let mut cut = paging::cut(rows.len(), start, size.size);
    if state.fault(Fault::NextlinkOnFullLastPage) && size.size > 0 {
        cut.more = cut.end - cut.start == size.size;
    }
    if state.fault(Fault::PagingDropsLastPageWhenMultiple)
        && size.size >= 2
        && rows.len() >= 3 * size.size
        && rows.len() % size.size == 0
        && cut.end + size.size == rows.len()
    {
        cut.more = false;
    }
    let page = &rows[cut.start..cut.end];

    let fragment = format!(
        "{}{}",
        target.context_fragment(ctx),
        render::selection_suffix(sel.as_deref())
    );
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        Value::String(ctx.context_url(&fragment)),
    );
    if with_count {
        let n = if state.fault(Fault::CountAnnotationPageSize) {
            page.len()
        } else {
            rows.len()
        };
        body.insert("@odata.count".into(), Value::from(n));
    }
    body.insert(
        "value".into(),
        Value::Array(render_rows(state, ctx, page, sel.as_deref())),
    );
    if cut.more {
        let next = next_token(
            state,
            ctx,
            scope,
            &rows,
            cut,
            size,
            orderby.as_ref(),
            digest,
            offsets,
        );
        body.insert(
            "@odata.nextLink".into(),
            Value::String(page_link(state, ctx, q, &next)),
        );
    }
    let applied = if size.from_prefer {
        vec![format!("odata.maxpagesize={}", size.size)]
    } else {
        Vec::new()
    };
    Ok(respond(body, &applied))
}

/// The signed `$skiptoken` that continues a walk after `cut`.
#[allow(clippy::too_many_arguments)]
fn next_token(
    state: &AppState,
    ctx: &RequestCtx,
    scope: &Scope,
    rows: &[Row<'_>],
    cut: Cut,
    size: PageSize,
    orderby: Option<&OrderBy>,
    digest: String,
    offsets: bool,
) -> String {
    let page_size = if size.from_prefer && state.fault(Fault::MaxpagesizeIgnoredOnNextlink) {
        DEFAULT_PAGE_SIZE
    } else {
        size.size
    };
    let mut st = TokenState::new(
        TokenKind::Page,
        ctx.mailbox.user.clone(),
        scope.clone(),
        page_size,
    );
    st.from_top = size.from_top;
    st.query_digest = digest;
    st.cursor = if offsets {
        Some(sync_token::Cursor {
            seq: cut.end as u64,
            keys: Map::new(),
        })
    } else {
        cut.end
            .checked_sub(1)
            .and_then(|i| rows.get(i))
            .map(|last| paging::cursor_after(last, &key_props(orderby)))
    };
    sync_token::encode(&token_key(state), &st)
}

/// The next link of a page walk: `$select`, `$filter`, `$orderby` and `$count` as
/// the client sent them, plus the skip token.
fn page_link(state: &AppState, ctx: &RequestCtx, q: &QueryOptions, token: &str) -> String {
    let mut params: Vec<(&str, &str)> = Vec::new();
    for (name, value) in [
        ("$select", &q.select),
        ("$filter", &q.filter),
        ("$orderby", &q.orderby),
        ("$count", &q.count),
    ] {
        if let Some(v) = value {
            params.push((name, v));
        }
    }
    params.push(("$skiptoken", token));
    links::link(ctx, &params, state.fault(Fault::NextlinkPlusUnescaped))
}
