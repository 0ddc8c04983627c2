//! Errors of the network fuzzer's setup, run and finding storage.

use std::path::PathBuf;

/// Everything that can stop a fuzzing run before or after it sends its requests.
#[derive(Debug, thiserror::Error)]
pub enum FuzzError {
    /// The target base URL does not parse as an absolute http(s) URL.
    #[error("target URL {url:?} is not an absolute http(s) URL: {reason}")]
    BadTarget {
        /// The URL as given.
        url: String,
        /// Why it was refused.
        reason: String,
    },
    /// The HTTP client could not be built.
    #[cfg(feature = "engine")]
    #[error("cannot build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    /// A setup request (creating the fuzzer's own contacts, listing folders, starting a
    /// sync round) did not answer as SPEC.md requires, so the run cannot start.
    #[error("setup step {step:?} failed: {detail}")]
    Setup {
        /// Which setup step.
        step: &'static str,
        /// What went wrong (status, transport error, body shape).
        detail: String,
    },
    /// A finding could not be written to the `--save` directory.
    #[error("cannot write finding to {path}: {source}")]
    Save {
        /// The file being written.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The async runtime could not be started.
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
}
