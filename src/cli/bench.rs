//! `contactspec bench` (being written).

use std::process::ExitCode;

/// Flags of `contactspec bench`.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Runs the sub-command.
pub fn main(_args: Args) -> ExitCode {
    eprintln!("contactspec bench: not built yet");
    ExitCode::from(2)
}
