//! Pure parsers of the reference server: query strings, `$select`, `$filter`,
//! `$orderby`, `Prefer` headers, dates and time zones, and contact bodies.
//!
//! Every function here works on bytes or strings only, does no I/O and never
//! panics on any input, so fuzz targets can call them directly. Each failure is a
//! [`ParseError`], which the server answers with status 400 and the error's code.

pub mod datetime;
pub mod filter;
pub mod json;
pub mod orderby;
pub mod path;
pub mod payload;
pub mod prefer;
pub mod query;
pub mod select;

use contactspec_model::ErrorCode;

pub use datetime::{
    WallError, flag_in_zone, format_instant, format_wall, parse_instant, parse_wall, resolve_zone,
    wall_to_utc,
};
pub use filter::{CmpOp, Filter, Literal, MatchOptions, Operand, Quantifier, parse_filter};
pub use json::parse_json_strict;
pub use orderby::{OrderBy, OrderKey, parse_orderby};
pub use path::PropPath;
pub use payload::{ContactWrite, WriteMode, parse_contact_write, validate_flag};
pub use prefer::{Preferences, parse_prefer};
pub use query::{QueryOptions, parse_count, parse_query, parse_skip, parse_top};
pub use select::{Selection, parse_select};

/// A request defect found by a parser. Every `ParseError` is answered with 400.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ParseError {
    /// The error code of the response (`error.code`).
    pub code: ErrorCode,
    /// A message for a person (`error.message`).
    pub message: String,
}

impl ParseError {
    /// A parse error with the given code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ParseError {
            code,
            message: message.into(),
        }
    }

    /// `RequestBodyRead`: the body cannot be read as the type.
    pub fn body(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::RequestBodyRead, message)
    }

    /// `ErrorInvalidArgument`: a value is out of range or breaks a flag rule.
    pub fn argument(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ErrorInvalidArgument, message)
    }

    /// `ErrorInvalidUrlQuery`: a query option is unknown, repeated or malformed.
    pub fn query(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ErrorInvalidUrlQuery, message)
    }

    /// `ErrorInvalidUrlQueryFilter`: a `$filter` does not parse or is mistyped.
    pub fn filter(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ErrorInvalidUrlQueryFilter, message)
    }

    /// `ErrorInvalidProperty`: a query names an unknown or non-filterable property.
    pub fn property(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ErrorInvalidProperty, message)
    }
}

/// Which entity type a query option applies to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum EntityKind {
    /// `Contact` (SPEC.md §2).
    Contact,
    /// `ContactFolder` (SPEC.md §3).
    Folder,
}

impl EntityKind {
    /// The property table of this entity type.
    pub fn properties(self) -> &'static [contactspec_model::Property] {
        match self {
            EntityKind::Contact => contactspec_model::CONTACT_PROPERTIES,
            EntityKind::Folder => contactspec_model::FOLDER_PROPERTIES,
        }
    }

    /// Looks a property up ignoring ASCII case (Q-PROPERTY-CASE).
    pub fn property_ci(self, name: &str) -> Option<&'static contactspec_model::Property> {
        self.properties()
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }
}
