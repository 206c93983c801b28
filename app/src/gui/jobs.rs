//! Long work on a worker thread: progress and the result come back through a
//! channel, and every message wakes the window.
//!
//! Each job owns its channel, so dropping a [`BackgroundJob`] (on Cancel, or when a
//! newer job replaces it) discards whatever the old worker still sends: stale
//! results cannot reach the window.

use crossbeam_channel::{Receiver, Sender, TryRecvError};
use genopriv_core::{CancelToken, Error, Job, ProgressSink};

enum Message<T> {
    Progress {
        stage: String,
        fraction: Option<f32>,
    },
    Done(Result<T, Error>),
}

/// Forwards a worker's progress to the window and asks for a repaint.
struct ChannelProgress<T> {
    sender: Sender<Message<T>>,
    ctx: egui::Context,
}

impl<T: Send> ProgressSink for ChannelProgress<T> {
    fn report(&self, stage: &str, fraction: Option<f32>) {
        // The window may have dropped the job (cancelled or replaced): nothing to tell.
        let _ = self.sender.send(Message::Progress {
            stage: stage.to_string(),
            fraction,
        });
        self.ctx.request_repaint();
    }
}

/// How a job ended, as seen from the window.
pub enum Outcome<T> {
    Finished(Result<T, Error>),
    /// The worker ended without a result (it panicked): a bug, reported as such.
    Vanished,
}

/// A job running on its own thread.
pub struct BackgroundJob<T> {
    /// What is being done, e.g. "Loading demo_cohort.vcf.gz".
    pub title: String,
    pub stage: String,
    pub fraction: Option<f32>,
    cancel: CancelToken,
    receiver: Receiver<Message<T>>,
}

impl<T: Send + 'static> BackgroundJob<T> {
    /// Starts `work` on a new thread; `ctx` is woken on every message.
    pub fn spawn(
        title: String,
        ctx: &egui::Context,
        work: impl FnOnce(Job<'_>) -> Result<T, Error> + Send + 'static,
    ) -> Result<Self, std::io::Error> {
        let (sender, receiver) = crossbeam_channel::unbounded();
        let cancel = CancelToken::new();
        let worker_cancel = cancel.clone();
        let progress = ChannelProgress {
            sender,
            ctx: ctx.clone(),
        };
        std::thread::Builder::new()
            .name("genopriv-job".into())
            .spawn(move || {
                let result = work(Job::new(&progress, &worker_cancel));
                let _ = progress.sender.send(Message::Done(result));
                progress.ctx.request_repaint();
            })?;
        Ok(Self {
            title,
            stage: "Starting".into(),
            fraction: None,
            cancel,
            receiver,
        })
    }

    /// Takes the messages that arrived since the last frame; `Some` once the job ended.
    pub fn poll(&mut self) -> Option<Outcome<T>> {
        loop {
            match self.receiver.try_recv() {
                Ok(Message::Progress { stage, fraction }) => {
                    self.stage = stage;
                    self.fraction = fraction;
                }
                Ok(Message::Done(result)) => return Some(Outcome::Finished(result)),
                Err(TryRecvError::Empty) => return None,
                Err(TryRecvError::Disconnected) => return Some(Outcome::Vanished),
            }
        }
    }
}

impl<T> Drop for BackgroundJob<T> {
    /// A job nobody waits for should stop working.
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    fn wait_for<T: Send + 'static>(job: &mut BackgroundJob<T>) -> Option<Outcome<T>> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(outcome) = job.poll() {
                return Some(outcome);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        None
    }

    #[test]
    fn result_and_progress_arrive() -> Result<(), std::io::Error> {
        let ctx = egui::Context::default();
        let mut job = BackgroundJob::spawn("t".into(), &ctx, |job| {
            job.checkpoint("half way", Some(0.5))?;
            Ok(42)
        })?;
        let outcome = wait_for(&mut job);
        assert!(matches!(outcome, Some(Outcome::Finished(Ok(42)))));
        assert_eq!(job.stage, "half way");
        assert_eq!(job.fraction, Some(0.5));
        Ok(())
    }

    #[test]
    fn dropping_the_job_cancels_the_worker() -> Result<(), std::io::Error> {
        let ctx = egui::Context::default();
        let (stopped_tx, stopped_rx) = crossbeam_channel::bounded(1);
        let job: BackgroundJob<()> = BackgroundJob::spawn("t".into(), &ctx, move |job| {
            let result = loop {
                if let Err(e) = job.checkpoint("spinning", None) {
                    break Err(e);
                }
                std::thread::sleep(Duration::from_millis(1));
            };
            let _ = stopped_tx.send(matches!(result, Err(Error::Cancelled)));
            result
        })?;
        drop(job);
        assert_eq!(
            stopped_rx.recv_timeout(Duration::from_secs(10)).ok(),
            Some(true)
        );
        Ok(())
    }

    #[test]
    fn a_panicking_worker_is_reported() -> Result<(), std::io::Error> {
        let ctx = egui::Context::default();
        let mut job: BackgroundJob<()> =
            BackgroundJob::spawn("t".into(), &ctx, |_| panic!("worker bug"))?;
        assert!(matches!(wait_for(&mut job), Some(Outcome::Vanished)));
        Ok(())
    }
}
