//! `contactspec-cases`: the case-file format of `docs/case-format.md` — serde types,
//! the loader and validator, the position tracking that lets every diagnostic name a
//! file, line and column, and the `{{…}}` templates cases are written with.
//!
//! Part of the suite half, and kept free of HTTP and schema crates: the runner
//! (`contactspec-suite`, which re-exports this crate as `case`) adds those, and the
//! cargo-fuzz target for the loader builds only this.

mod load;
mod locate;
mod types;
mod validate;

pub mod template;
pub mod time;

/// The generators a case file may name in `"generate"` (docs/case-format.md); the
/// property crate maps each to a strategy and tests that it covers all of them.
pub const GENERATORS: &[&str] = &[
    "valid-contact",
    "collection-contact",
    "patch-body",
    "valid-flag",
    "any-flag",
    "birthday",
    "date",
    "string",
    "long-string",
];

pub use load::{Catalogue, LoadError, LoadedCase, load_catalogue, load_file, parse_case_file};
pub use locate::locate_pointer;
pub use types::*;
pub use validate::{CHECKS, MATCHERS as MATCHERS_LIST};
