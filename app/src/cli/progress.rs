//! Progress on stderr, only when a person is watching it.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use genopriv_core::ProgressSink;

/// How often the progress line may be redrawn.
const REDRAW_INTERVAL: Duration = Duration::from_millis(100);

/// Draws a single carriage-return line (`stage: 42%`) on stderr when stderr is a
/// terminal; does nothing otherwise, so logs and pipes stay clean.
pub struct TerminalProgress {
    enabled: bool,
    state: Mutex<DrawState>,
}

struct DrawState {
    last_draw: Option<Instant>,
    drawn_width: usize,
}

impl TerminalProgress {
    pub fn for_stderr() -> Self {
        Self {
            enabled: std::io::stderr().is_terminal(),
            state: Mutex::new(DrawState {
                last_draw: None,
                drawn_width: 0,
            }),
        }
    }

    /// Erases the progress line, if one was drawn.
    pub fn finish(&self) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        if state.drawn_width > 0 {
            let mut err = std::io::stderr().lock();
            // Progress is cosmetic: a failed write to stderr is not worth an error.
            let _ = write!(err, "\r{}\r", " ".repeat(state.drawn_width));
            let _ = err.flush();
            state.drawn_width = 0;
        }
    }
}

impl ProgressSink for TerminalProgress {
    fn report(&self, stage: &str, fraction: Option<f32>) {
        if !self.enabled {
            return;
        }
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        let now = Instant::now();
        if state
            .last_draw
            .is_some_and(|t| now.duration_since(t) < REDRAW_INTERVAL)
        {
            return;
        }
        state.last_draw = Some(now);
        let line = match fraction {
            Some(f) => format!("{stage}: {:>3.0}%", f * 100.0),
            None => format!("{stage}..."),
        };
        let pad = state.drawn_width.saturating_sub(line.len());
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r{line}{}", " ".repeat(pad));
        let _ = err.flush();
        state.drawn_width = line.len().max(state.drawn_width);
    }
}
