//! The step kinds: request, page walk, sync round, parallel burst.

mod parallel;
mod request;
mod sync;
mod walk;

use crate::case::Step;
use crate::runner::CaseRun;

impl CaseRun<'_> {
    /// Runs one step; failures are recorded on the case.
    pub(crate) async fn step(&mut self, step: &Step, label: &str, index: usize) {
        if let Some(req) = &step.request {
            self.request_step(step, req, label, index).await;
        } else if let Some(w) = &step.walk {
            Box::pin(self.walk_step(step, w, label, index)).await;
        } else if let Some(s) = &step.sync {
            Box::pin(self.sync_step(step, s, label, index)).await;
        } else if let Some(p) = &step.parallel {
            self.parallel_step(step, p, label, index).await;
        }
    }
}
