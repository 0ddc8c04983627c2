//! Errors: [`ApiError`], the §9 error object every 4xx answer carries, and
//! [`ServerError`], what can go wrong starting or stopping the server.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use contactspec_model::ErrorCode;

/// An API error answer: a status and the `{"error":{"code","message"}}` body (ERR-SHAPE).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct ApiError {
    /// The HTTP status (always 4xx in a correct server).
    pub status: StatusCode,
    /// The contract's error code (ERR-CODE).
    pub code: ErrorCode,
    /// A message for a person; never compared by the suite.
    pub message: String,
}

impl ApiError {
    /// An error with the given status, code and message.
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    /// 400 with the given code.
    pub fn bad_request(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 404 `ErrorItemNotFound`: an id the caller does not have (ID-NOTFOUND).
    pub fn item_not_found() -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::ErrorItemNotFound,
            "The specified object was not found in the store.",
        )
    }

    /// 404 `ErrorInvalidRequest`: a path that names no resource (GEN-METHOD).
    pub fn unknown_path() -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::ErrorInvalidRequest,
            "The requested resource does not exist.",
        )
    }

    /// 405 `ErrorInvalidRequest` (GEN-METHOD).
    pub fn method_not_allowed(method: &str) -> ApiError {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::ErrorInvalidRequest,
            format!("The method {method} is not allowed on this resource."),
        )
    }

    /// 415 `ErrorUnsupportedMediaType` (GEN-CONTENT-TYPE, PH-BAD).
    pub fn unsupported_media_type(message: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::ErrorUnsupportedMediaType,
            message,
        )
    }

    /// 413 `ErrorRequestEntityTooLarge` (GEN-BODY-LIMIT).
    pub fn too_large() -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::ErrorRequestEntityTooLarge,
            "The request body exceeds the maximum of 4194304 bytes.",
        )
    }

    /// 412 `ErrorIrresolvableConflict` (CT-CONFLICT).
    pub fn precondition_failed() -> ApiError {
        ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            ErrorCode::ErrorIrresolvableConflict,
            "The If-Match precondition does not match the current version.",
        )
    }

    /// 409 `ErrorIrresolvableConflict` (CT-CONFLICT-BODY).
    pub fn conflict() -> ApiError {
        ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::ErrorIrresolvableConflict,
            "The ChangeKey in the body is not the current version.",
        )
    }

    /// The JSON body `{"error":{"code","message"}}`.
    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({
            "error": { "code": self.code.as_str(), "message": self.message }
        })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = self.body().to_string();
        let mut res = (self.status, body).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        res
    }
}

/// Why the server could not start or stop.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Binding the listening socket failed.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The listener's local address could not be read.
    #[error("cannot read the listening address: {0}")]
    LocalAddr(#[source] std::io::Error),
    /// The background runtime could not be built.
    #[error("cannot build the server runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// The background server thread ended before reporting its address.
    #[error("the server thread ended before it was ready")]
    ThreadGone,
    /// The configuration has no token.
    #[error("at least one token is needed")]
    NoTokens,
    /// A token is empty or not visible ASCII (it could not be sent in a header).
    #[error("token {0:?} must be non-empty visible ASCII")]
    BadToken(String),
}
