//! The case-file format of `docs/case-format.md`: serde types, the loader and the
//! position tracking that lets every diagnostic name a file, line and column.

mod load;
mod locate;
mod types;
mod validate;

pub use load::{Catalogue, LoadError, LoadedCase, load_catalogue, load_file, parse_case_file};
pub use locate::locate_pointer;
pub use types::*;
pub use validate::{CHECKS, MATCHERS as MATCHERS_LIST};
