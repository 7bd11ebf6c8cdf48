//! Loops: `for` over a range, `for x in` a tuple or an array's rows, `while` — each
//! iteration traced or replayed (`replay`), counted by the progress line (`progress`), and,
//! in the script's own loops, a place a checkpoint may be taken or resumed (`checkpoint`).

use super::checkpoint::{Resume, SavedFrame};
use super::{Binding, Ev, Evaluator, Exit, Value};
use crate::diag::Span;
use crate::syntax::ast::{Block, Expr, ExprKind, IndexItem, Name, Stmt, StmtKind};

/// The hidden name a `for x in array` loop keeps its array under while it runs (not an
/// identifier, so no program can name it).
const ITERABLE: &str = "<iterable>";
/// The hidden index variable of a `for x in array` loop.
const POSITION: &str = "<position>";

/// Where a loop statement stands: its index in its statement list, and whether it runs in
/// a hidden scope of its own (`for x in array` keeps the array there).
#[derive(Debug, Clone, Copy)]
pub(super) struct LoopSite {
    pub(super) stmt: usize,
    pub(super) hidden_scope: bool,
}

impl Evaluator {
    pub(super) fn exec_for(
        &mut self,
        var: &Name,
        start: &Expr,
        stop: &Expr,
        step: Option<&Expr>,
        body: &Block,
        site: LoopSite,
    ) -> Ev<()> {
        let a = self.eval_i64(start)?;
        let b = self.eval_i64(stop)?;
        let s = match step {
            Some(e) => self.eval_i64(e)?,
            None => 1,
        };
        if s == 0 {
            let span = step.map_or(var.span, |e| e.span);
            return Err(crate::diag::value_error("range step cannot be zero")
                .with_span(span)
                .into());
        }
        self.range_loop(var, (a, b, s), body, site, None)
    }

    /// Runs a `for` loop over `a..b` by `s` (`s` not 0), or its rest from the position
    /// `resume` of a checkpoint (then `a` is the variable's value there).
    pub(super) fn range_loop(
        &mut self,
        var: &Name,
        (a, b, s): (i64, i64, i64),
        body: &Block,
        site: LoopSite,
        resume: Option<Resume>,
    ) -> Ev<()> {
        // Iterations left (in i128: no overflow at the ends of i64).
        let (lo, hi, by) = (i128::from(a), i128::from(b), i128::from(s));
        let left = if by > 0 {
            (hi - lo + by - 1) / by
        } else {
            (lo - hi - by - 1) / -by
        };
        let left = left.clamp(0, i128::from(u64::MAX)) as u64;
        self.inner_loop((var.span.file, var.span.start), left)?;
        let done = resume.as_ref().map_or(0, |r| r.frame().count);
        let total = Some(done + left);
        self.tracked_loop(
            var.span,
            site,
            total,
            Some((a, b, s)),
            resume,
            |ev, at, resume| ev.for_iterations(var, (a, b, s), body, at, done, resume),
        )
    }

    /// Runs a loop at `span` and `site` (`range` for a `for`, `total` iterations if known)
    /// through `iterations`, with its progress line (if it is the outermost loop) and its
    /// place among the running checkpoint loops; both are given to `iterations`.
    fn tracked_loop(
        &mut self,
        span: Span,
        site: LoopSite,
        total: Option<u64>,
        range: Option<(i64, i64, i64)>,
        resume: Option<Resume>,
        iterations: impl FnOnce(&mut Self, (bool, Option<usize>), Option<Resume>) -> Ev<()>,
    ) -> Ev<()> {
        let done = resume.as_ref().map_or(0, |r| r.frame().count);
        let outer = self.begin_progress(total, done, span);
        let frame = SavedFrame {
            stmt: site.stmt,
            count: done,
            range,
        };
        let level = self.enter_loop(span, site, frame, resume.is_some());
        let r = iterations(self, (outer, level), resume);
        self.end_replay_run();
        self.leave_loop(level);
        if outer {
            self.progress = None;
        }
        r
    }

    /// Runs a `for` loop's iterations over `a..b` by `s`, `done` of them run before; `outer`
    /// when it is the loop the progress line counts, `level` its place among the running
    /// checkpoint loops. With `resume`, the first iteration is the one running at the
    /// checkpoint, finished from the position of its inner loop.
    fn for_iterations(
        &mut self,
        var: &Name,
        (a, b, s): (i64, i64, i64),
        body: &Block,
        (outer, level): (bool, Option<usize>),
        done: u64,
        resume: Option<Resume>,
    ) -> Ev<()> {
        let mut i = a;
        let mut count = done;
        let key = (var.span.file, var.span.start);
        let mut inner = resume.and_then(|r| r.inner());
        while (s > 0 && i < b) || (s < 0 && i > b) {
            if inner.is_none()
                && let Some(level) = level
            {
                self.at_boundary(level, Some(i), count)?;
            }
            count += 1;
            if outer && let Some(p) = &mut self.progress {
                p.tick();
            }
            let go_on = if let Some(inner) = inner.take() {
                self.finish_iteration(body, inner)?
            } else {
                let replayed = count > super::replay::WARMUP
                    && self.options.replay
                    && matches!(
                        self.replay_iteration(key, Some((var, i)), body)?,
                        super::replay::Iteration::Replayed
                    );
                replayed || self.trace_iteration(var, i, body)?
            };
            if !go_on {
                break;
            }
            i = match i.checked_add(s) {
                Some(n) => n,
                None => break,
            };
        }
        Ok(())
    }

    /// Starts the progress line of a loop at `span` of `total` iterations (if known), `done`
    /// of them run before (by the run a checkpoint resumes), when progress is shown and no
    /// loop outside it has a line; true when it has.
    fn begin_progress(&mut self, total: Option<u64>, done: u64, span: Span) -> bool {
        if !self.options.progress || self.progress.is_some() {
            return false;
        }
        let label = match self.sources.line_col(span) {
            Some((line, _)) => format!("line {line}"),
            None => "loop".to_string(),
        };
        self.progress = Some(super::progress::LoopProgress::new(total, done, label));
        true
    }

    /// Traces one iteration of a `for` loop with its variable bound to `i`; false when the
    /// body breaks out of the loop.
    fn trace_iteration(&mut self, var: &Name, i: i64, body: &Block) -> Ev<bool> {
        let node = self.graph.constant(
            crate::runtime::Array::scalar(crate::runtime::Scalar::I64(i)),
            false,
            var.span,
        )?;
        self.scopes.push(super::Scope::default());
        self.define(&var.text, Binding::Value(Value::Array(node)));
        let r = self.exec_block_stmts(&body.stmts);
        self.scopes.pop();
        match r {
            Ok(_) | Err(Exit::Continue(_)) => Ok(true),
            Err(Exit::Break(_)) => Ok(false),
            Err(other) => Err(other),
        }
    }

    /// `for x in iterable`: over a tuple's members, or over the rows of an array (run as
    /// [`row_loop`] says, so the body replays like any range loop's).
    pub(super) fn exec_for_each(
        &mut self,
        var: &Name,
        iterable: &Expr,
        body: &Block,
        site: LoopSite,
    ) -> Ev<()> {
        let v = self.eval(iterable)?;
        if let Value::Tuple(members) = &v {
            for m in members.iter() {
                self.scopes.push(super::Scope::default());
                self.define(&var.text, Binding::Value(m.clone()));
                let r = self.exec_block_stmts(&body.stmts);
                self.scopes.pop();
                match r {
                    Ok(_) | Err(Exit::Continue(_)) => {}
                    Err(Exit::Break(_)) => break,
                    Err(other) => return Err(other),
                }
            }
            return Ok(());
        }
        let x = self.expect_array(&v, iterable.span)?;
        let Some(&rows) = x.shape.first() else {
            return Err(crate::diag::type_error("cannot iterate over a 0-d array")
                .with_span(iterable.span)
                .into());
        };
        let (position, body) = row_loop(var, iterable.span, body);
        self.scopes.push(super::Scope::default());
        self.define(ITERABLE, Binding::Value(Value::Array(x)));
        let r = self.range_loop(&position, (0, rows as i64, 1), &body, site, None);
        self.scopes.pop();
        r
    }

    /// Runs a `while` loop, or its rest from the position `resume` of a checkpoint.
    pub(super) fn while_loop(
        &mut self,
        cond: &Expr,
        body: &Block,
        site: LoopSite,
        resume: Option<Resume>,
    ) -> Ev<()> {
        let done = resume.as_ref().map_or(0, |r| r.frame().count);
        self.tracked_loop(cond.span, site, None, None, resume, |ev, at, resume| {
            ev.while_iterations(cond, body, at, done, resume)
        })
    }

    /// Runs a `while` loop's iterations; the arguments as for [`Self::for_iterations`].
    fn while_iterations(
        &mut self,
        cond: &Expr,
        body: &Block,
        (outer, level): (bool, Option<usize>),
        done: u64,
        resume: Option<Resume>,
    ) -> Ev<()> {
        let key = (cond.span.file, cond.span.start);
        let mut count = done;
        let mut inner = resume.and_then(|r| r.inner());
        loop {
            if inner.is_none() {
                if let Some(level) = level {
                    self.at_boundary(level, None, count)?;
                }
                if !self.eval_condition(cond)? {
                    break;
                }
            }
            count += 1;
            if outer && let Some(p) = &mut self.progress {
                p.tick();
            }
            if let Some(inner) = inner.take() {
                if !self.finish_iteration(body, inner)? {
                    break;
                }
                continue;
            }
            if count > super::replay::WARMUP
                && self.options.replay
                && matches!(
                    self.replay_iteration(key, None, body)?,
                    super::replay::Iteration::Replayed
                )
            {
                continue;
            }
            match self.exec_block(body) {
                Ok(_) | Err(Exit::Continue(_)) => {}
                Err(Exit::Break(_)) => break,
                Err(other) => return Err(other),
            }
        }
        Ok(())
    }
}

/// The body of `for x in array` as a range loop: `for <position> in 0..len(array) { let x =
/// <iterable>[<position>]; body }`, with the array bound to `<iterable>` in a scope around
/// the loop. Returns the position variable and the body.
pub(super) fn row_loop(var: &Name, at: Span, body: &Block) -> (Name, Block) {
    let expr = |kind| Expr { kind, span: at };
    let row = Expr {
        kind: ExprKind::Index(
            Box::new(expr(ExprKind::Var(ITERABLE.into()))),
            vec![IndexItem::Expr(expr(ExprKind::Var(POSITION.into())))],
        ),
        span: at,
    };
    let mut stmts = vec![Stmt {
        kind: StmtKind::Let {
            name: var.clone(),
            value: row,
        },
        span: at,
    }];
    stmts.extend(body.stmts.iter().cloned());
    let body = Block {
        stmts,
        span: body.span,
    };
    let position = Name {
        text: POSITION.into(),
        span: var.span,
    };
    (position, body)
}
