//! One module per sub-command; `main.rs` only parses flags and dispatches here.
