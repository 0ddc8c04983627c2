//! The resource model of the Outlook Contacts REST API (beta), as SPEC.md defines it,
//! and the rule catalogue.
//!
//! This crate is the only thing the suite (`contactspec-suite`) and the reference
//! server (`contactspec-server`) share. It holds facts of the contract, never
//! behaviour of either half: property tables, enum values, error codes and rules.

pub mod errors;
pub mod properties;
mod rule_table;
pub mod rules;

pub use errors::ErrorCode;
pub use properties::{CONTACT_PROPERTIES, FOLDER_PROPERTIES, PropKind, Property};
pub use rules::{Basis, Level, RULES, Rule, rule};
