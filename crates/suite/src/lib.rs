//! The contactspec conformance suite: loads declarative cases, runs them against any
//! target over HTTP, and reports rule by rule.
//!
//! This crate never imports the reference server; it shares only `contactspec-model`.
