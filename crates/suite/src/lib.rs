//! The contactspec conformance suite: loads declarative cases, runs them against any
//! target over HTTP, and reports rule by rule.
//!
//! Layers, like Hurl: [`case`] parses and validates case files; [`runner`] runs one
//! case (steps in [`steps`], expectations in [`expect`], SUITE-SAFE in [`guard`]);
//! [`report`], [`junit`] and [`trials`] present the results.
//!
//! This crate never imports the reference server; it shares only `contactspec-model`.

pub use contactspec_cases as case;
pub mod client;
pub mod discovery;
pub mod expect;
pub mod generated;
pub mod guard;
pub mod image;
pub mod junit;
pub mod outcome;
pub mod raw;
pub mod report;
pub mod runner;
pub mod schema;
pub mod select;
mod steps;
pub use contactspec_cases::template;
pub mod trials;
