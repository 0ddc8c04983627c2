//! `contactspec`: parse flags, dispatch to a sub-command, map its result to an exit code.

use clap::{Parser, Subcommand};
use contactspec::cli;
use std::process::ExitCode;

/// The server half allocates many small JSON maps per request; glibc malloc showed as
/// a quarter of the profile of `contactspec bench` (docs/bench.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Conformance test suite and fuzzing harness for the Outlook Contacts REST API (beta).
#[derive(Parser)]
#[command(name = "contactspec", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Prove the suite's power: run it against the reference server with each injected fault and print the kill matrix.
    Selftest(cli::selftest::Args),
    /// Run the conformance suite against a target (the embedded reference server by default).
    Run(cli::run::Args),
    /// Run the generated properties and the model-based test (`--model`) against a target.
    Props(cli::props::Args),
    /// Print every rule of SPEC.md with its level, basis and the cases that check it.
    Rules(cli::rules::Args),
    /// Start the reference server.
    Serve(cli::serve::Args),
    /// List the reference server's injectable faults.
    Faults(cli::faults::Args),
    /// Measure the reference server's throughput.
    Bench(cli::bench::Args),
    /// Fuzz a target's payload parsers over HTTP (the embedded reference server by default).
    Fuzz(cli::fuzz::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let usage = e.use_stderr();
            let _ = e.print();
            return if usage {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match cli.command {
        Command::Selftest(a) => cli::selftest::main(a),
        Command::Run(a) => cli::run::main(a),
        Command::Props(a) => cli::props::main(a),
        Command::Rules(a) => cli::rules::main(a),
        Command::Serve(a) => cli::serve::main(a),
        Command::Faults(a) => cli::faults::main(a),
        Command::Bench(a) => cli::bench::main(a),
        Command::Fuzz(a) => cli::fuzz::main(a),
    }
}
