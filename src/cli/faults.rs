//! `contactspec faults`: lists the reference server's injectable faults.

use contactspec_server::Fault;
use std::process::ExitCode;

/// Flags of `contactspec faults`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print JSON (an array of {name, rules, description}) instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Runs the sub-command.
pub fn main(args: Args) -> ExitCode {
    if args.json {
        let list: Vec<serde_json::Value> = Fault::ALL
            .iter()
            .map(|f| {
                serde_json::json!({
                    "name": f.name(),
                    "rules": f.rules(),
                    "description": f.description(),
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(list));
        return ExitCode::SUCCESS;
    }
    let width = Fault::ALL.iter().map(|f| f.name().len()).max().unwrap_or(0);
    let rwidth = Fault::ALL
        .iter()
        .map(|f| f.rules().join(",").len())
        .max()
        .unwrap_or(0);
    for f in Fault::ALL {
        println!(
            "{:width$}  {:rwidth$}  {}",
            f.name(),
            f.rules().join(","),
            f.description()
        );
    }
    ExitCode::SUCCESS
}
