//! `contactspec selftest`: proves the suite's power (SUITE-KILLS). The suite runs in
//! strict mode with every basis against the faultless reference server (it must pass)
//! and against the server with each injected fault (it must fail), and the result is
//! a kill matrix: each fault, killed or not, by which cases and rules, in how long.
//!
//! [`engine`] runs it, [`matrix`] is the result as data and as a table, [`target`]
//! runs cases and properties against one server.

pub mod engine;
pub mod matrix;
pub mod target;

pub use engine::{Options, run};
pub use matrix::{Baseline, Catch, CatchKind, FaultRow, Matrix, Phase};

use std::path::PathBuf;

/// Why the self-test could not run at all (a fault that merely survives is not an error).
#[derive(Debug, thiserror::Error)]
pub enum SelftestError {
    /// The schemas did not load.
    #[error("schemas: {0}")]
    Schemas(#[from] contactspec_suite::schema::SchemaError),
    /// The case catalogue did not load.
    #[error("the case catalogue did not load:\n{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
    Catalogue(Vec<contactspec_suite::case::LoadError>),
    /// The catalogue directory holds no case.
    #[error("{}: no case found", .0.display())]
    NoCases(PathBuf),
    /// A fault's task panicked.
    #[error("a fault's run ended abnormally: {0}")]
    Task(String),
    /// The tokio runtime could not be built.
    #[error("cannot build the runtime: {0}")]
    Runtime(#[from] std::io::Error),
}

/// Runs the self-test on a runtime of its own (2 worker threads), for sync callers.
pub fn run_blocking(options: Options) -> Result<Matrix, SelftestError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("contactspec-selftest")
        .build()?;
    rt.block_on(run(options))
}
