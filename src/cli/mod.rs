//! One module per sub-command; `main.rs` only parses flags and dispatches here.

pub mod bench;
pub mod faults;
pub mod fuzz;
pub mod props;
pub mod rules;
pub mod run;
pub mod selftest;
pub mod serve;
