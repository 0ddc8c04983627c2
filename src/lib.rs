//! The `contactspec` binary's library half: the command-line front end that wires the
//! suite (`contactspec-suite`) to a target, which is the embedded reference server
//! (`contactspec-server`) when no target is given. Only this crate imports both.

pub mod cli;
pub mod selftest;
