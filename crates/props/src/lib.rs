//! Property-based generators, SPEC.md oracles, properties and a model-based
//! state-machine test for the Outlook Contacts REST API (beta).
//!
//! Part of the *suite* half of contactspec: it talks to any target over HTTP and
//! never imports the reference server.

pub mod case_props;
pub mod casefile;
pub mod check;
pub mod client;
pub mod expect;
#[path = "gen/mod.rs"]
pub mod generators;
pub mod image;
pub mod interrupt;
pub mod model_test;
pub mod oracle;
pub mod properties;
pub mod walk;
