//! The contactspec reference server: the Outlook Contacts REST API (beta) as SPEC.md
//! defines it, in memory, with named injectable faults.
//!
//! This crate never imports the suite; it shares only `contactspec-model`.

pub mod sync_token;
pub mod paging;
pub mod parse;
