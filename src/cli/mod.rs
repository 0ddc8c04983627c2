//! One module per sub-command; `main.rs` only parses flags and dispatches here.

pub mod bench;
pub mod faults;
pub mod fuzz;
pub mod rules;
pub mod props;
pub mod run;
pub mod selftest;
pub mod serve;
