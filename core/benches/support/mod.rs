//! What the benches share: wall time per stage from the progress reports.

use std::sync::Mutex;
use std::time::Instant;

use genopriv_core::job::ProgressSink;

/// A stage runs from its first report until the next stage's first report;
/// "Waiting for sites to join: 1 of 2 ready" and the like count as one stage.
#[derive(Default)]
pub struct StageClock {
    stages: Mutex<Vec<(String, Instant)>>,
}

impl ProgressSink for StageClock {
    fn report(&self, stage: &str, _fraction: Option<f32>) {
        let Ok(mut stages) = self.stages.lock() else {
            return;
        };
        // "Waiting for sites to join: 1 of 2 ready" and the like count as one stage.
        let key = stage.split(':').next().unwrap_or(stage);
        if stages.last().is_none_or(|(last, _)| last != key) {
            stages.push((key.to_owned(), Instant::now()));
        }
    }
}

impl StageClock {
    /// One line per stage with its duration, the last one ending at `end`.
    pub fn print(&self, end: Instant) {
        let Ok(stages) = self.stages.lock() else {
            return;
        };
        let ends = stages.iter().skip(1).map(|(_, t)| *t).chain([end]);
        for ((stage, start), stop) in stages.iter().zip(ends) {
            eprintln!("    {stage}: {:.2} s", (stop - *start).as_secs_f64());
        }
    }
}
