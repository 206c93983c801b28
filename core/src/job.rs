//! Progress reporting and cooperative cancellation for long-running work.
//!
//! Every long `core` function takes a [`Job`]: it reports progress through a
//! [`ProgressSink`] and calls [`Job::checkpoint`] often enough that a cancel
//! request is honoured within a fraction of a second.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Result};

/// Receives progress from a running job. Implementations must be cheap: they are
/// called from worker threads, possibly many times a second.
pub trait ProgressSink: Send + Sync {
    /// `fraction` is in `[0, 1]`, or `None` when the total is unknown.
    fn report(&self, stage: &str, fraction: Option<f32>);
}

/// A sink that ignores progress (for tests and headless runs that do not show it).
pub struct NoProgress;

impl ProgressSink for NoProgress {
    fn report(&self, _stage: &str, _fraction: Option<f32>) {}
}

/// A cancel flag shared between the thread that requests cancellation and the
/// worker that honours it.
#[derive(Clone, Debug, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// What a long-running function needs from its caller: where to report progress
/// and how to learn that it should stop.
#[derive(Clone, Copy)]
pub struct Job<'a> {
    pub progress: &'a dyn ProgressSink,
    pub cancel: &'a CancelToken,
}

impl<'a> Job<'a> {
    pub fn new(progress: &'a dyn ProgressSink, cancel: &'a CancelToken) -> Self {
        Self { progress, cancel }
    }

    /// Reports progress and returns [`Error::Cancelled`] if cancellation was requested.
    pub fn checkpoint(&self, stage: &str, fraction: Option<f32>) -> Result<()> {
        self.progress
            .report(stage, fraction.map(|f| f.clamp(0.0, 1.0)));
        self.check_cancelled()
    }

    /// Returns [`Error::Cancelled`] if cancellation was requested, without reporting.
    pub fn check_cancelled(&self) -> Result<()> {
        if self.cancel.is_cancelled() {
            Err(Error::Cancelled)
        } else {
            Ok(())
        }
    }
}

/// A job with no progress display that is never cancelled: for tests and for the CLI
/// paths that have nothing to show.
pub fn unattended<R>(f: impl FnOnce(Job<'_>) -> R) -> R {
    let cancel = CancelToken::new();
    f(Job::new(&NoProgress, &cancel))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoint_fails_after_cancel() {
        let cancel = CancelToken::new();
        let job = Job::new(&NoProgress, &cancel);
        assert!(job.checkpoint("a", Some(0.5)).is_ok());
        cancel.clone().cancel();
        assert!(matches!(job.checkpoint("a", None), Err(Error::Cancelled)));
    }
}
