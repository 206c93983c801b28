//! `genopriv --frame-times FILE`: the CPU time of every frame, written as CSV
//! when the window closes, to measure that the window stays responsive while a
//! job runs (the target: under 16 ms a frame). `benchmarks/frame_time/` drives it.

use std::io::Write;
use std::path::PathBuf;

use genopriv_core::data::write::AtomicFile;

/// The frames of one session.
pub struct FrameTimes {
    path: PathBuf,
    /// (CPU seconds, whether a job was running, the screen shown) per frame.
    frames: Vec<(f32, bool, &'static str)>,
    /// Whether a job ran during the previous frame, and its screen: eframe
    /// reports each frame's time one frame late.
    before: (bool, &'static str),
}

impl FrameTimes {
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            frames: Vec::new(),
            before: (false, ""),
        }
    }

    /// Records the previous frame's time (`cpu_usage`: `ui` and painting, not the
    /// wait for the screen) and notes whether a job runs now, on which screen.
    pub fn record(&mut self, cpu_usage: Option<f32>, busy_now: bool, screen: &'static str) {
        if let Some(seconds) = cpu_usage {
            self.frames.push((seconds, self.before.0, self.before.1));
        }
        self.before = (busy_now, screen);
    }

    /// Writes `frame,busy,screen,cpu_ms` rows.
    pub fn write(&self) -> genopriv_core::Result<()> {
        let mut out = AtomicFile::create(&self.path, &[])?;
        let io = |e| genopriv_core::Error::io(&self.path, e);
        writeln!(out, "frame,busy,screen,cpu_ms").map_err(io)?;
        for (index, (seconds, busy, screen)) in self.frames.iter().enumerate() {
            writeln!(out, "{},{busy},{screen},{:.3}", index + 1, seconds * 1000.0).map_err(io)?;
        }
        out.commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_time_is_paired_with_the_frame_it_measured() -> genopriv_core::Result<()> {
        let path =
            std::env::temp_dir().join(format!("genopriv-frame-times-{}.csv", std::process::id()));
        let mut times = FrameTimes::new(path.clone());
        // Frame 1 has no time yet; frame 2 reports frame 1's, frame 3 frame 2's:
        // both ran a job, frame 3 does not.
        times.record(None, true, "Protect");
        times.record(Some(0.004), true, "Trade-offs");
        times.record(Some(0.0125), false, "Trade-offs");
        times.write()?;
        let text = std::fs::read_to_string(&path).map_err(|e| genopriv_core::Error::io(&path, e));
        let _ = std::fs::remove_file(&path);
        assert_eq!(
            text?,
            "frame,busy,screen,cpu_ms\n1,true,Protect,4.000\n2,true,Trade-offs,12.500\n"
        );
        Ok(())
    }
}
