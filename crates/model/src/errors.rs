//! The error codes of SPEC.md §9.

use serde::{Deserialize, Serialize};

/// An error code of the contract; serialised as its exact spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ErrorCode {
    /// The id names nothing the caller has.
    ErrorItemNotFound,
    /// The id is not one the server could have issued.
    ErrorInvalidIdMalformed,
    /// The body could not be read as the type (syntax, type, unknown property).
    RequestBodyRead,
    /// A read-only property was sent.
    ErrorInvalidPropertySet,
    /// A value is out of its allowed range or breaks a flag rule.
    ErrorInvalidArgument,
    /// A precondition (`If-Match`, `ChangeKey`) failed.
    ErrorIrresolvableConflict,
    /// A query option is unknown, repeated or malformed.
    ErrorInvalidUrlQuery,
    /// A `$filter` does not parse or has a literal of the wrong type.
    ErrorInvalidUrlQueryFilter,
    /// A query names a property that does not exist or is not filterable.
    ErrorInvalidProperty,
    /// `$select` names no property, is empty, or uses a sub-property.
    #[serde(rename = "RequestBroker-ParseUri")]
    RequestBrokerParseUri,
    /// A sync token is invalid for this request.
    ErrorInvalidSyncStateData,
    /// Unknown path, method not allowed, or an unusable photo body.
    ErrorInvalidRequest,
    /// The body's content type is not accepted.
    ErrorUnsupportedMediaType,
    /// The body exceeds 4 MB.
    ErrorRequestEntityTooLarge,
}

impl ErrorCode {
    /// Every code, in SPEC.md §9 order.
    pub const ALL: [ErrorCode; 14] = [
        ErrorCode::ErrorItemNotFound,
        ErrorCode::ErrorInvalidIdMalformed,
        ErrorCode::RequestBodyRead,
        ErrorCode::ErrorInvalidPropertySet,
        ErrorCode::ErrorInvalidArgument,
        ErrorCode::ErrorIrresolvableConflict,
        ErrorCode::ErrorInvalidUrlQuery,
        ErrorCode::ErrorInvalidUrlQueryFilter,
        ErrorCode::ErrorInvalidProperty,
        ErrorCode::RequestBrokerParseUri,
        ErrorCode::ErrorInvalidSyncStateData,
        ErrorCode::ErrorInvalidRequest,
        ErrorCode::ErrorUnsupportedMediaType,
        ErrorCode::ErrorRequestEntityTooLarge,
    ];

    /// The code exactly as it appears in `error.code`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::ErrorItemNotFound => "ErrorItemNotFound",
            ErrorCode::ErrorInvalidIdMalformed => "ErrorInvalidIdMalformed",
            ErrorCode::RequestBodyRead => "RequestBodyRead",
            ErrorCode::ErrorInvalidPropertySet => "ErrorInvalidPropertySet",
            ErrorCode::ErrorInvalidArgument => "ErrorInvalidArgument",
            ErrorCode::ErrorIrresolvableConflict => "ErrorIrresolvableConflict",
            ErrorCode::ErrorInvalidUrlQuery => "ErrorInvalidUrlQuery",
            ErrorCode::ErrorInvalidUrlQueryFilter => "ErrorInvalidUrlQueryFilter",
            ErrorCode::ErrorInvalidProperty => "ErrorInvalidProperty",
            ErrorCode::RequestBrokerParseUri => "RequestBroker-ParseUri",
            ErrorCode::ErrorInvalidSyncStateData => "ErrorInvalidSyncStateData",
            ErrorCode::ErrorInvalidRequest => "ErrorInvalidRequest",
            ErrorCode::ErrorUnsupportedMediaType => "ErrorUnsupportedMediaType",
            ErrorCode::ErrorRequestEntityTooLarge => "ErrorRequestEntityTooLarge",
        }
    }

    /// Parses a code by its exact spelling.
    pub fn parse(s: &str) -> Option<ErrorCode> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
