//! `contactspec run` (being written).

use std::process::ExitCode;

/// Flags of `contactspec run`.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Runs the sub-command.
pub fn main(_args: Args) -> ExitCode {
    eprintln!("contactspec run: not built yet");
    ExitCode::from(2)
}
