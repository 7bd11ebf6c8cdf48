//! The progress line of a long loop: once the outermost running loop has run for
//! [`SHOW_AFTER`], a line on stderr shows its iterations (of the total, for a `for` over a
//! range), rate, elapsed time and time left. Nested loops show the outer one; the line is
//! cleared when the loop ends, fails or is interrupted, and program output is printed above
//! it. Only when [`crate::lower::Options::progress`] is set (the CLI and REPL set it when
//! stderr is a terminal, without `--quiet` or `NO_PROGRESS`).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use std::time::{Duration, Instant};

/// How long a loop runs before its progress line appears.
const SHOW_AFTER: Duration = Duration::from_secs(1);
/// Iterations between looks at the clock before the line appears (after the first 64).
const CHECK_EVERY: u64 = 64;

/// The progress of the outermost running loop.
pub(crate) struct LoopProgress {
    started: Instant,
    /// Iterations the loop will run (a `for` over a range), if known.
    total: Option<u64>,
    /// Iterations started so far.
    done: u64,
    /// Iterations run before this run started (by the run a checkpoint resumes).
    before: u64,
    /// Where the loop is, for the line: `line 12`.
    label: String,
    /// The line, once shown.
    bar: Option<ProgressBar>,
}

impl LoopProgress {
    /// A loop of `total` iterations (if known) at `label`, `done` of them run before (by the
    /// run a checkpoint resumes), going on now.
    pub(crate) fn new(total: Option<u64>, done: u64, label: String) -> LoopProgress {
        LoopProgress {
            started: Instant::now(),
            total,
            done,
            before: done,
            label,
            bar: None,
        }
    }

    /// Counts an iteration, showing the line once the loop has run [`SHOW_AFTER`].
    pub(crate) fn tick(&mut self) {
        self.done += 1;
        if let Some(bar) = &self.bar {
            bar.set_position(self.done);
            return;
        }
        let look = self.done < CHECK_EVERY || self.done.is_multiple_of(CHECK_EVERY);
        if look && self.started.elapsed() >= SHOW_AFTER {
            self.bar = Some(self.show());
        }
    }

    /// The line, drawn on stderr (indicatif draws nothing when stderr is not a terminal).
    fn show(&self) -> ProgressBar {
        let template = match self.total {
            Some(_) => {
                "{prefix} {bar:30} {human_pos}/{human_len} · {rate} · {elapsed} · ETA {left}"
            }
            None => "{prefix} {spinner} {human_pos} iterations · {rate} · {elapsed}",
        };
        // The average since the loop started (indicatif's estimate follows recent ticks,
        // and a line shown a second in starts it from nothing), not counting iterations run
        // before a resume.
        let before = self.before;
        let per_second = move |state: &ProgressState| {
            state.pos().saturating_sub(before) as f64 / state.elapsed().as_secs_f64().max(1e-9)
        };
        let rate = move |state: &ProgressState, w: &mut dyn std::fmt::Write| {
            let r = per_second(state);
            let _ = if r >= 10.0 {
                write!(w, "{r:.0} it/s")
            } else {
                write!(w, "{r:.2} it/s")
            };
        };
        let left = move |state: &ProgressState, w: &mut dyn std::fmt::Write| {
            let rest = state.len().unwrap_or(0).saturating_sub(state.pos()) as f64;
            let secs = (rest / per_second(state)).min(1e9) as u64;
            let _ = match secs {
                0..60 => write!(w, "{secs}s"),
                60..3600 => write!(w, "{}m{:02}s", secs / 60, secs % 60),
                _ => write!(w, "{}h{:02}m", secs / 3600, secs / 60 % 60),
            };
        };
        let bar = ProgressBar::with_draw_target(self.total, ProgressDrawTarget::stderr())
            .with_prefix(self.label.clone())
            // The count and clock start with the loop, not with the line.
            .with_position(self.done)
            .with_elapsed(self.started.elapsed());
        if let Ok(style) = ProgressStyle::with_template(template) {
            let style = style.with_key("rate", rate).with_key("left", left);
            bar.set_style(style.progress_chars("█▌ "));
        }
        bar
    }

    /// Runs `print` (program output) with the line lifted out of the way.
    pub(crate) fn suspend<T>(&self, print: impl FnOnce() -> T) -> T {
        match &self.bar {
            Some(bar) => bar.suspend(print),
            None => print(),
        }
    }
}

impl Drop for LoopProgress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
