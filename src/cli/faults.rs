//! `contactspec faults` (being written).

use std::process::ExitCode;

/// Flags of `contactspec faults`.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Runs the sub-command.
pub fn main(_args: Args) -> ExitCode {
    eprintln!("contactspec faults: not built yet");
    ExitCode::from(2)
}
