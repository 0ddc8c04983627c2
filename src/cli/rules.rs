//! `contactspec rules` (being written).

use std::process::ExitCode;

/// Flags of `contactspec rules`.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Runs the sub-command.
pub fn main(_args: Args) -> ExitCode {
    eprintln!("contactspec rules: not built yet");
    ExitCode::from(2)
}
