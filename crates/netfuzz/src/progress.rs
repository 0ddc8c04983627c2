//! The progress line: an indicatif spinner with fuzz and read-back requests/second
//! (separately) and findings on a terminal; plain periodic lines on anything else.

use crate::engine::Counters;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A running progress display; `finish` stops it.
pub struct Progress {
    stop: Arc<AtomicBool>,
    handle: Option<tokio::task::JoinHandle<()>>,
}

impl Progress {
    /// Starts the display when `enabled`.
    pub fn start(enabled: bool, counters: Counters) -> Progress {
        let stop = Arc::new(AtomicBool::new(false));
        if !enabled {
            return Progress { stop, handle: None };
        }
        let terminal = std::io::stderr().is_terminal();
        let flag = stop.clone();
        let handle = tokio::spawn(async move {
            let start = Instant::now();
            let bar = terminal.then(|| {
                let b = ProgressBar::new_spinner();
                b.set_style(
                    ProgressStyle::with_template("{spinner} {elapsed} {msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                b
            });
            let tick = if terminal {
                Duration::from_millis(250)
            } else {
                Duration::from_secs(5)
            };
            let (mut last_fuzz, mut last_total, mut last_t) = (0u64, 0u64, Instant::now());
            while !flag.load(Ordering::Relaxed) {
                tokio::time::sleep(tick).await;
                let (fuzz, total) = (counters.fuzz(), counters.total());
                let now = Instant::now();
                let secs = now.duration_since(last_t).as_secs_f64().max(1e-9);
                let fuzz_rate = fuzz.saturating_sub(last_fuzz) as f64 / secs;
                let back_rate = (total.saturating_sub(fuzz))
                    .saturating_sub(last_total.saturating_sub(last_fuzz))
                    as f64
                    / secs;
                (last_fuzz, last_total, last_t) = (fuzz, total, now);
                let msg = format!(
                    "{fuzz} fuzz requests, {fuzz_rate:.0} fuzz req/s + {back_rate:.0} read-back req/s, {} findings",
                    counters.findings()
                );
                match &bar {
                    Some(b) => {
                        b.set_message(msg);
                        b.tick();
                    }
                    None => eprintln!("fuzz: {:>4.0}s {msg}", start.elapsed().as_secs_f64()),
                }
            }
            if let Some(b) = bar {
                b.finish_and_clear();
            }
        });
        Progress {
            stop,
            handle: Some(handle),
        }
    }

    /// Stops the display.
    pub fn finish(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            h.abort();
        }
    }
}
