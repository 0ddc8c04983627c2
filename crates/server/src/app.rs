//! The HTTP application: one fallback handler that authenticates, routes, checks the
//! method and hands the request to a handler, then adds the headers every response
//! carries (GEN-ODATA-VERSION, GEN-REQUEST-ID).
//!
//! Check order (GEN-CHECK-ORDER): path outside the base → 404; bad token → 401;
//! unknown path → 404; another user's `users/{user}` → 404; unknown ids → 404;
//! method not allowed → 405; then the handler (415, 413, 400, 412, 409 …).

use crate::context::{AppState, RequestCtx, UserPath};
use crate::error::ApiError;
use crate::faults::Fault;
use crate::handlers;
use crate::routing::{self, Resource, RouteError, UserRef};
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use contactspec_model::ErrorCode;
use std::sync::Arc;

/// The application router over shared state. Send requests to it with
/// `tower::ServiceExt::oneshot` (fuzzing) or serve it over TCP.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new().fallback(dispatch).with_state(state)
}

async fn dispatch(State(state): State<Arc<AppState>>, req: Request) -> Response {
    let client_request_id = req.headers().get("client-request-id").cloned();
    let is_head = req.method() == Method::HEAD;
    let mut res = match handle(&state, req).await {
        Ok(res) => res,
        Err(e) => e,
    };
    if is_head {
        *res.body_mut() = Body::empty();
    }
    if state.fault(Fault::ErrorBodyTextPlain)
        && (res.status().is_client_error() || res.status().is_server_error())
        && res.status() != StatusCode::UNAUTHORIZED
    {
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
    }
    let headers = res.headers_mut();
    if !state.fault(Fault::NoOdataVersion) {
        headers.insert("OData-Version", HeaderValue::from_static("4.0"));
    }
    if !state.fault(Fault::NoRequestId) {
        let id = request_id();
        if let Ok(v) = HeaderValue::from_str(&id) {
            headers.insert("request-id", v);
        }
        if let Some(v) = client_request_id {
            headers.insert("client-request-id", v);
        }
    }
    res
}

/// A fresh request id in GUID shape.
fn request_id() -> String {
    let b: [u8; 16] = rand::random();
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// The 401 answer (AUTH-REQUIRED): `WWW-Authenticate: Bearer`, empty body.
fn unauthorized(state: &AppState) -> Response {
    let mut res = StatusCode::UNAUTHORIZED.into_response();
    if !state.fault(Fault::MissingWwwAuthenticate) {
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"contactspec\", error=\"invalid_token\""),
        );
    }
    res
}

/// The bearer token of the request, if it has a well-formed one.
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let value = values.next()?.to_str().ok()?;
    if values.next().is_some() {
        return None;
    }
    let (scheme, token) = value.trim().split_once(' ')?;
    let scheme_ok = scheme.eq_ignore_ascii_case("Bearer");
    let token = token.trim();
    (scheme_ok && !token.is_empty()).then_some(token)
}

/// `http://{Host}/api/beta` from the request's own Host (or URI authority).
fn base_url(req: &Request) -> String {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_string)
        .or_else(|| req.uri().authority().map(|a| a.to_string()))
        .unwrap_or_else(|| "localhost".to_string());
    format!("http://{host}{}", routing::BASE_PATH)
}

/// Rejects `$`-options that are not all-lowercase (only under the
/// `query-option-case-sensitive` fault).
fn case_sensitive_query_fault(query: Option<&str>) -> Result<(), ApiError> {
    for pair in query.unwrap_or("").split('&') {
        let name = pair.split('=').next().unwrap_or("");
        let name = percent_encoding::percent_decode_str(name).decode_utf8_lossy();
        if name.starts_with('$') && name.chars().any(|c| c.is_ascii_uppercase()) {
            return Err(ApiError::bad_request(
                ErrorCode::ErrorInvalidUrlQuery,
                format!("Unknown query option {name}."),
            ));
        }
    }
    Ok(())
}

async fn handle(state: &AppState, req: Request) -> Result<Response, Response> {
    let path = req.uri().path().to_string();
    if routing::strip_base(&path).is_none() {
        return Err(ApiError::unknown_path().into_response());
    }
    let token = bearer_token(req.headers()).ok_or_else(|| unauthorized(state))?;
    let mailbox = match state.store.mailbox(token) {
        Some(m) => m.clone(),
        None if state.fault(Fault::UnknownToken403) => {
            return Err(StatusCode::FORBIDDEN.into_response());
        }
        None => return Err(unauthorized(state)),
    };
    let route = match routing::parse_path(&path) {
        Ok(r) => r,
        Err(RouteError::OutsideBase | RouteError::Unknown) => {
            return Err(ApiError::unknown_path().into_response());
        }
    };
    if (route.key_form && state.fault(Fault::KeyFormRejected))
        || (route.trailing_slash && state.fault(Fault::TrailingSlash404))
    {
        return Err(ApiError::unknown_path().into_response());
    }
    let user_path = match &route.user {
        UserRef::Me => UserPath::Me,
        UserRef::Named(u) if u.eq_ignore_ascii_case(&mailbox.user) => UserPath::Named,
        UserRef::Named(_) => return Err(ApiError::item_not_found().into_response()),
    };
    let query = req.uri().query().map(str::to_string);
    if state.fault(Fault::QueryOptionCaseSensitive) {
        case_sensitive_query_fault(query.as_deref()).map_err(IntoResponse::into_response)?;
    }
    let prefer = req
        .headers()
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_string)
        .collect();
    let client_request_id = req
        .headers()
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let base_url = base_url(&req);
    let (parts, body) = req.into_parts();
    let ctx = RequestCtx {
        mailbox,
        base_url,
        user_path,
        method: parts.method,
        path,
        query,
        headers: parts.headers,
        prefer,
        client_request_id,
    };
    handlers::handle(state, &ctx, &route.resource, body)
        .await
        .map_err(IntoResponse::into_response)
}

/// Answers 405 with an `Allow` header listing what the resource allows.
pub fn method_not_allowed(ctx: &RequestCtx, resource: &Resource) -> Response {
    let mut res = ApiError::method_not_allowed(ctx.method.as_str()).into_response();
    let allow: Vec<&str> = resource
        .allowed_methods()
        .iter()
        .map(Method::as_str)
        .collect();
    if let Ok(v) = HeaderValue::from_str(&allow.join(", ")) {
        res.headers_mut().insert(header::ALLOW, v);
    }
    res
}
