//! proptest strategies: valid contacts and their awkward corners, PATCH bodies,
//! queries, and invalid payloads that each break exactly one named rule.

pub mod contact;
pub mod dates;
pub mod flag;
pub mod invalid;
pub mod query;
pub mod text;
