//! `contactspec serve` (being written).

use std::process::ExitCode;

/// Flags of `contactspec serve`.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Runs the sub-command.
pub fn main(_args: Args) -> ExitCode {
    eprintln!("contactspec serve: not built yet");
    ExitCode::from(2)
}
