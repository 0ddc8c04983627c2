//! `contactspec-netfuzz`: a black-box network fuzzer for servers of the Outlook
//! Contacts REST API (beta), part of the suite half of contactspec (it depends only on
//! `contactspec-model` and HTTP crates).
//!
//! It sends structure-aware malformed and borderline requests — contact bodies with
//! one thing wrong, query options, `Prefer` headers, sync tokens, photos, ids, methods
//! — and checks every answer against SPEC.md: no 5xx, no hang past the timeout, the
//! error object on every 4xx, the status the rule of the one defect requires, and that
//! nothing it rejected changed stored data (it reads back what it touched; it writes
//! only to contacts it created, and deletes them at the end: SUITE-SAFE).
//!
//! The generators draw from [`arbitrary::Unstructured`], so the same code builds the
//! network fuzzer's requests (bytes from a seeded ChaCha RNG: deterministic from
//! `--seed`) and the in-process cargo-fuzz targets' inputs (bytes from libFuzzer).
//!
//! The HTTP engine ([`engine`], [`progress`]: tokio, reqwest, indicatif) is behind the
//! default feature `engine`; the cargo-fuzz targets use the generators and oracles
//! without it, which keeps their instrumented build small.

pub mod contact;
#[cfg(feature = "engine")]
pub mod engine;
pub mod error;
pub mod finding;
pub mod json;
pub mod oracle;
pub mod photo;
pub mod plan;
pub mod probes;
#[cfg(feature = "engine")]
pub mod progress;
pub mod query;
pub mod text;

#[cfg(feature = "engine")]
pub use engine::{Config, Report, run, run_blocking};
pub use error::FuzzError;
pub use finding::Finding;
