//! A stop request (Ctrl-C): the running iteration finishes and deletes what it
//! created, and every later iteration is skipped (SUITE-SAFE).

use std::sync::atomic::{AtomicBool, Ordering};

static STOP: AtomicBool = AtomicBool::new(false);

/// Asks every property and the model test to stop after the current iteration.
pub fn request_stop() {
    STOP.store(true, Ordering::SeqCst);
}

/// Whether a stop was requested.
pub fn stop_requested() -> bool {
    STOP.load(Ordering::SeqCst)
}
