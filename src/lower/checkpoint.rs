//! Checkpoint and restart: a run saves its complete state at a loop-iteration boundary, and
//! a later run of the same script continues from there (`arr run --checkpoint FILE --every
//! 5m`, `arr run --resume FILE`, `checkpoint()`).
//!
//! **Where.** A checkpoint is taken at the start of an iteration (before a `while` loop's
//! condition) of a *checkpoint loop*: a `for`/`while` statement of the script's top level,
//! or of the body of a checkpoint loop, run outside any function call, `if` block or loop
//! recording. Its position is the stack of running checkpoint loops,
//! outermost first: each one's statement index in its list, iterations done and (for a
//! range) the current value of its variable.
//!
//! **What.** Every binding of every scope open at that point (values computed first,
//! functions by their place in the source), the program's draw counter and seed, the print
//! options, and the text of the script and of every file it imported — a resume refuses a
//! script that changed. The file is a zip archive: a JSON manifest (`checkpoint.json`) and
//! one `.npy` member per array, so `numpy.load` opens it as an `.npz` file. It is written
//! as every save is (temporary file, fsync, rename): a run killed while writing leaves the
//! previous checkpoint whole.
//!
//! **Resume** parses the script, restores the scopes and counters, and re-enters the loops
//! of the saved position without running the statements before them (so their output is
//! not printed again); from there the run is the same program on the same values, so its
//! results are bit-identical to an uninterrupted run's.

mod file;

pub use file::describe;

use super::loops::LoopSite;
use super::{Evaluator, Exit};
use crate::diag::{Error, ErrorKind, Result, Span};
use crate::syntax::ast::{Stmt, StmtKind};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, Instant};

/// Where and how often a run saves checkpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointOptions {
    /// The checkpoint file.
    pub path: PathBuf,
    /// Save at the first iteration boundary this long after the last save (or the run's
    /// start); `None` saves only where the script calls `checkpoint()`.
    pub every: Option<Duration>,
}

/// One running checkpoint loop, as saved.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SavedFrame {
    /// The loop statement's index in its statement list.
    pub(crate) stmt: usize,
    /// Iterations completed.
    pub(crate) count: u64,
    /// A range loop's current value, stop and step (the iteration starting, or running
    /// when an inner loop holds the position); `None` for `while`.
    pub(crate) range: Option<(i64, i64, i64)>,
}

/// Where a resumed run re-enters a loop: the saved position and the depth of this loop in it.
#[derive(Debug, Clone)]
pub(crate) struct Resume {
    /// The saved loops, outermost first.
    pub(crate) frames: Rc<[SavedFrame]>,
    /// This loop's index in `frames`.
    pub(crate) level: usize,
}

impl Resume {
    /// This loop's saved frame.
    pub(crate) fn frame(&self) -> &SavedFrame {
        &self.frames[self.level]
    }

    /// Whether an inner loop holds the position (this loop is in the middle of an
    /// iteration).
    pub(crate) fn inner(&self) -> Option<Resume> {
        (self.level + 1 < self.frames.len()).then(|| Resume {
            frames: self.frames.clone(),
            level: self.level + 1,
        })
    }
}

/// A running checkpoint loop.
#[derive(Debug)]
struct LoopFrame {
    saved: SavedFrame,
    /// The number of scopes open while its body runs (the checkpoint loops directly in
    /// the body are entered with this many).
    body_depth: usize,
}

/// The evaluator's checkpointing: settings, the script's file and the running loops.
#[derive(Debug)]
pub(crate) struct Checkpoints {
    options: CheckpointOptions,
    /// The script's file id (set when it starts running).
    script: Option<u32>,
    /// When the last checkpoint was written (or the run started).
    last: Instant,
    /// `checkpoint()` was called: save at the next boundary.
    requested: bool,
    frames: Vec<LoopFrame>,
    /// Checkpoints written.
    written: u64,
}

impl Checkpoints {
    /// Checkpointing with `options`, counting time from now.
    pub(crate) fn new(options: CheckpointOptions) -> Checkpoints {
        Checkpoints {
            options,
            script: None,
            last: Instant::now(),
            requested: false,
            frames: vec![],
            written: 0,
        }
    }
}

impl Evaluator {
    /// Saves checkpoints as `options` say from now on (`None`: none).
    pub fn set_checkpoints(&mut self, options: Option<CheckpointOptions>) {
        self.checkpoints = options.map(Checkpoints::new);
    }

    /// Checkpoints written so far.
    pub fn checkpoints_written(&self) -> u64 {
        self.checkpoints.as_ref().map_or(0, |c| c.written)
    }

    /// Marks `file` as the script whose loops take checkpoints (the first file run).
    pub(super) fn checkpoint_script(&mut self, file: u32) {
        if let Some(c) = &mut self.checkpoints
            && c.script.is_none()
        {
            c.script = Some(file);
            c.last = Instant::now();
        }
    }

    /// The site of the loop statement about to run: its index in its list.
    pub(super) fn loop_site(&self, hidden_scope: bool) -> LoopSite {
        LoopSite {
            stmt: self.stmt_index,
            hidden_scope,
        }
    }

    /// Enters a loop at `span` and `site` with `frame` as its position: its level among
    /// the running checkpoint loops, or `None` when it is not one. A resumed loop is one
    /// (its scopes are restored, not counted).
    pub(super) fn enter_loop(
        &mut self,
        span: Span,
        site: LoopSite,
        frame: SavedFrame,
        resumed: bool,
    ) -> Option<usize> {
        let c = self.checkpoints.as_mut()?;
        if c.script != Some(span.file) || self.recording.is_some() || !self.frames.is_empty() {
            return None;
        }
        let outside = c.frames.last().map_or(1, |f| f.body_depth);
        let hidden = usize::from(site.hidden_scope);
        if !resumed && self.scopes.len() != outside + hidden {
            return None;
        }
        c.frames.push(LoopFrame {
            saved: SavedFrame {
                stmt: site.stmt,
                ..frame
            },
            body_depth: outside + hidden + 1,
        });
        Some(c.frames.len() - 1)
    }

    /// Leaves the checkpoint loop at `level` (if it is one).
    pub(super) fn leave_loop(&mut self, level: Option<usize>) {
        if let (Some(level), Some(c)) = (level, &mut self.checkpoints) {
            c.frames.truncate(level);
        }
    }

    /// The start of an iteration of the checkpoint loop at `level`: `count` iterations done,
    /// a range loop's variable about to be `i`. Saves a checkpoint when one is due.
    pub(super) fn at_boundary(&mut self, level: usize, i: Option<i64>, count: u64) -> Result<()> {
        let Some(c) = &mut self.checkpoints else {
            return Ok(());
        };
        let Some(frame) = c.frames.get_mut(level) else {
            return Ok(());
        };
        frame.saved.count = count;
        if let (Some(range), Some(i)) = (&mut frame.saved.range, i) {
            range.0 = i;
        }
        let due = c.requested || c.options.every.is_some_and(|e| c.last.elapsed() >= e);
        if !due || level + 1 != c.frames.len() || self.recording.is_some() {
            return Ok(());
        }
        let path = c.options.path.clone();
        let frames: Vec<SavedFrame> = c.frames.iter().map(|f| f.saved.clone()).collect();
        self.write_checkpoint(&path, &frames)?;
        if let Some(c) = &mut self.checkpoints {
            c.requested = false;
            c.written += 1;
            c.last = Instant::now();
        }
        Ok(())
    }

    /// `checkpoint()`: save at the start of the next iteration of the innermost running
    /// checkpoint loop.
    pub(crate) fn request_checkpoint(&mut self, span: Span) -> Result<()> {
        self.effect()?;
        let Some(c) = &mut self.checkpoints else {
            return Err(Error::new(
                ErrorKind::Value,
                "checkpoint() needs a checkpoint file, and this run has none",
            )
            .with_span(span)
            .with_help("run the script with `arr run --checkpoint FILE script.arr`"));
        };
        if c.frames.is_empty() {
            return Err(Error::new(
                ErrorKind::Value,
                "checkpoint() saves at the start of the next iteration of a loop of the \
                 script, and no such loop is running here",
            )
            .with_span(span)
            .with_help(
                "call it in a `for` or `while` loop of the script (loops in functions and \
                 imported files do not take checkpoints)",
            ));
        }
        c.requested = true;
        Ok(())
    }

    /// Runs the statements of a list from the saved position at `resume`: the loop there
    /// re-entered where it stood, then the statements after it.
    pub(super) fn resume_stmts(&mut self, stmts: &[Stmt], resume: Resume) -> super::Ev<()> {
        let at = resume.frame().stmt;
        let Some(stmt) = stmts.get(at) else {
            return Err(misfit().into());
        };
        self.stmt_index = at;
        let site = |hidden_scope| LoopSite {
            stmt: at,
            hidden_scope,
        };
        match &stmt.kind {
            StmtKind::For { var, body, .. } => {
                let range = resume.frame().range.ok_or_else(misfit)?;
                self.range_loop(var, range, body, site(false), Some(resume))?;
            }
            StmtKind::ForEach {
                var,
                iterable,
                body,
            } => {
                let range = resume.frame().range.ok_or_else(misfit)?;
                let (position, body) = super::loops::row_loop(var, iterable.span, body);
                // The hidden scope holding the iterated array is among the restored ones.
                let r = self.range_loop(&position, range, &body, site(true), Some(resume));
                self.scopes.pop();
                r?;
            }
            StmtKind::While { cond, body } => {
                self.while_loop(cond, body, site(false), Some(resume))?;
            }
            _ => return Err(misfit().into()),
        }
        self.exec_stmts_from(stmts, at + 1).map(|_| ())
    }

    /// Runs the rest of an iteration whose position an inner loop holds (its scope is
    /// among the restored ones): true to go on with the next iteration, false on `break`.
    pub(super) fn finish_iteration(
        &mut self,
        body: &crate::syntax::ast::Block,
        inner: Resume,
    ) -> super::Ev<bool> {
        let r = self.resume_stmts(&body.stmts, inner);
        self.scopes.pop();
        match r {
            Ok(()) | Err(Exit::Continue(_)) => Ok(true),
            Err(Exit::Break(_)) => Ok(false),
            Err(other) => Err(other),
        }
    }

    /// Writes the state at the position `frames` to `path`.
    fn write_checkpoint(&mut self, path: &Path, frames: &[SavedFrame]) -> Result<()> {
        // Every value in scope computed: the file holds values, not graphs.
        self.force_pending()?;
        let state = file::State::capture(self, frames)?;
        state.write(path)
    }

    /// Restores the state saved at `path` for the script `file` (parsed as `program`):
    /// scopes, counters and options; returns the saved position.
    pub(super) fn restore_checkpoint(
        &mut self,
        path: &Path,
        file: u32,
        program: &[Stmt],
    ) -> Result<Rc<[SavedFrame]>> {
        let state = file::State::read(path, self.options.memory_limit)?;
        state.restore(self, path, file, program)
    }
}

/// The error for a checkpoint whose position does not fit the (unchanged) script: a
/// corrupted or hand-edited file.
fn misfit() -> Error {
    Error::new(
        ErrorKind::Resume,
        "the checkpoint's loop position does not fit the script (the file is damaged)",
    )
}
