//! Statements: bindings, assignment, loops, function definitions and imports.

use super::{Binding, Ev, Evaluator, Exit, Value};
use crate::diag::value_error;
use crate::diag::{Error, ErrorKind, Span, name_error, syntax_error};
use crate::syntax::ast::{
    BinOp, Block, Expr, ExprKind, IndexItem, Name, Pattern, Stmt, StmtKind, Target,
};

/// The hidden name a `for x in array` loop keeps its array under while it runs (not an
/// identifier, so no program can name it).
const ITERABLE: &str = "<iterable>";
/// The hidden index variable of a `for x in array` loop.
const POSITION: &str = "<position>";

impl Evaluator {
    /// Runs statements in the current scope; the value is the last statement's when it is an
    /// expression.
    pub(crate) fn exec_block_stmts(&mut self, stmts: &[Stmt]) -> Ev<Value> {
        let mut last = Value::Unit;
        for stmt in stmts {
            last = self.exec_stmt(stmt)?;
        }
        Ok(last)
    }

    /// Runs a block in a new scope.
    pub(crate) fn exec_block(&mut self, block: &Block) -> Ev<Value> {
        self.scopes.push(super::Scope::default());
        let result = self.exec_block_stmts(&block.stmts);
        self.scopes.pop();
        result
    }

    fn exec_stmt(&mut self, stmt: &Stmt) -> Ev<Value> {
        if self.cancel.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(Error::new(ErrorKind::Interrupted, "cancelled by Ctrl-C")
                .with_span(stmt.span)
                .into());
        }
        self.check_budget()?;
        match &stmt.kind {
            StmtKind::Let { name, value } => {
                let v = self.eval(value)?;
                let v = self.settle(v)?;
                self.define(&name.text, Binding::Value(v));
                Ok(Value::Unit)
            }
            StmtKind::LetTuple { pattern, value } => {
                let v = self.eval(value)?;
                self.bind_pattern(pattern, v, value.span)?;
                Ok(Value::Unit)
            }
            StmtKind::Assign {
                target,
                index,
                op,
                value,
            } => {
                let current = self.assign_current(target, index.is_some() || op.is_some())?;
                let rhs = self.eval(value)?;
                self.store(
                    target,
                    current,
                    index.as_deref(),
                    *op,
                    rhs,
                    value.span,
                    stmt.span,
                )?;
                Ok(Value::Unit)
            }
            StmtKind::AssignMany { targets, value } => {
                let rhs = self.eval(value)?;
                for t in targets {
                    self.assign_to(t, rhs.clone(), value.span, stmt.span)?;
                }
                Ok(Value::Unit)
            }
            StmtKind::Fn(def) => {
                self.define(&def.name.text, Binding::Func(def.clone()));
                Ok(Value::Unit)
            }
            StmtKind::For {
                var,
                start,
                stop,
                step,
                body,
            } => {
                self.exec_for(var, start, stop, step.as_ref(), body)?;
                Ok(Value::Unit)
            }
            StmtKind::ForEach {
                var,
                iterable,
                body,
            } => {
                self.exec_for_each(var, iterable, body)?;
                Ok(Value::Unit)
            }
            StmtKind::While { cond, body } => {
                self.exec_while(cond, body)?;
                Ok(Value::Unit)
            }
            StmtKind::Break => Err(Exit::Break(stmt.span)),
            StmtKind::Continue => Err(Exit::Continue(stmt.span)),
            StmtKind::Return(e) => {
                let v = match e {
                    Some(e) => self.eval(e)?,
                    None => Value::Unit,
                };
                Err(Exit::Return(v, stmt.span))
            }
            StmtKind::Import(path) => {
                self.exec_import(path, stmt.span)?;
                Ok(Value::Unit)
            }
            StmtKind::Expr(e) => self.eval(e),
        }
    }

    /// The current value of an assignment's target: checked to exist (and not to be a
    /// function); read through a loop recording when the assignment reads it (`x += v`,
    /// `x[i] = v`).
    fn assign_current(&mut self, target: &Name, reads: bool) -> Ev<Value> {
        let binding = if reads {
            self.read_var(&target.text)?
        } else {
            self.lookup(&target.text).cloned()
        };
        match binding {
            Some(Binding::Value(v)) => Ok(v),
            Some(Binding::Func(_)) => Err(crate::diag::type_error(format!(
                "`{}` is a function and cannot be assigned",
                target.text
            ))
            .with_span(target.span)
            .into()),
            None => Err(name_error(format!("`{}` is not defined", target.text))
                .with_span(target.span)
                .with_help(format!("use `let {} = ...` to define it", target.text))
                .into()),
        }
    }

    /// Rebinds `target` to `rhs` (combined with its `current` value by `op`, into the region
    /// `index` when given).
    #[allow(clippy::too_many_arguments)]
    fn store(
        &mut self,
        target: &Name,
        current: Value,
        index: Option<&[IndexItem]>,
        op: Option<BinOp>,
        mut rhs: Value,
        value_span: Span,
        span: Span,
    ) -> Ev<()> {
        let new = match index {
            None => {
                if let Some(op) = op {
                    rhs = self.binop(op, current, rhs, span)?;
                }
                rhs
            }
            Some(items) => {
                let base = self.expect_array(&current, target.span)?;
                if let Some(op) = op {
                    let old = self.index(&base, items, target.span.to(span))?;
                    rhs = self.binop(op, Value::Array(old), rhs, span)?;
                }
                let v = self.expect_array(&rhs, value_span)?;
                let node = self.update(&base, items, &v, span)?;
                // Only `base` and the binding may hold the array when it is written in place.
                drop((current, rhs, v));
                Value::Array(self.update_in_place(&target.text, base, node)?)
            }
        };
        let new = self.settle(new)?;
        self.rebind(&target.text, new);
        Ok(())
    }

    /// Assigns `v` to one target of `a = b = v` or `(a, b) = v`.
    fn assign_to(&mut self, t: &Target, v: Value, value_span: Span, span: Span) -> Ev<()> {
        match t {
            Target::Name { name, index } => {
                let current = self.assign_current(name, index.is_some())?;
                self.store(name, current, index.as_deref(), None, v, value_span, span)
            }
            Target::Tuple(targets, _) => {
                let members = self.unpack(v, targets.len(), value_span)?;
                for (t, m) in targets.iter().zip(members) {
                    self.assign_to(t, m, value_span, span)?;
                }
                Ok(())
            }
        }
    }

    /// Binds the names of `let (a, (b, c)) = v`.
    fn bind_pattern(&mut self, p: &Pattern, v: Value, span: Span) -> Ev<()> {
        match p {
            Pattern::Name(name) => {
                let v = self.settle(v)?;
                self.define(&name.text, Binding::Value(v));
            }
            Pattern::Tuple(patterns, _) => {
                let members = self.unpack(v, patterns.len(), span)?;
                for (p, m) in patterns.iter().zip(members) {
                    self.bind_pattern(p, m, span)?;
                }
            }
        }
        Ok(())
    }

    /// The `n` members of a tuple, or the `n` rows of an array with `n` rows (`let (rows,
    /// cols) = x.shape`); a value error for any other count.
    pub(crate) fn unpack(&mut self, v: Value, n: usize, span: Span) -> Ev<Vec<Value>> {
        let count = match &v {
            Value::Tuple(members) if members.len() == n => return Ok(members.to_vec()),
            Value::Tuple(members) => format!("a tuple of {}", members.len()),
            Value::Array(x) if !x.shape.is_empty() && x.shape[0] == n => {
                let x = x.clone();
                return (0..n)
                    .map(|k| Ok(Value::Array(self.row(&x, k, span)?)))
                    .collect();
            }
            Value::Array(x) if !x.shape.is_empty() => format!("an array of {} rows", x.shape[0]),
            other => other.kind_name().to_string(),
        };
        Err(value_error(format!("cannot unpack {count} into {n} names"))
            .with_span(span)
            .into())
    }

    fn exec_for(
        &mut self,
        var: &Name,
        start: &Expr,
        stop: &Expr,
        step: Option<&Expr>,
        body: &Block,
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
        // Iterations the range runs (in i128: no overflow at the ends of i64).
        let (lo, hi, by) = (i128::from(a), i128::from(b), i128::from(s));
        let total = if by > 0 {
            (hi - lo + by - 1) / by
        } else {
            (lo - hi - by - 1) / -by
        };
        let outer = self.begin_progress(Some(total.max(0) as u64), var.span);
        let r = self.for_iterations(var, (a, b, s), body, outer);
        if outer {
            self.progress = None;
        }
        r
    }

    /// Runs a `for` loop's iterations over `a..b` by `s`; `outer` when it is the loop the
    /// progress line counts.
    fn for_iterations(
        &mut self,
        var: &Name,
        (a, b, s): (i64, i64, i64),
        body: &Block,
        outer: bool,
    ) -> Ev<()> {
        let mut i = a;
        let mut count = 0u64;
        let key = (var.span.file, var.span.start);
        while (s > 0 && i < b) || (s < 0 && i > b) {
            count += 1;
            if outer && let Some(p) = &mut self.progress {
                p.tick();
            }
            let replayed = count > super::replay::WARMUP
                && self.options.replay
                && matches!(
                    self.replay_iteration(key, Some((var, i)), body)?,
                    super::replay::Iteration::Replayed
                );
            if !replayed && !self.trace_iteration(var, i, body)? {
                break;
            }
            i = match i.checked_add(s) {
                Some(n) => n,
                None => break,
            };
        }
        Ok(())
    }

    /// Starts the progress line of a loop at `span` of `total` iterations (if known), when
    /// progress is shown and no loop outside it has a line; true when it has.
    fn begin_progress(&mut self, total: Option<u64>, span: Span) -> bool {
        if !self.options.progress || self.progress.is_some() {
            return false;
        }
        let label = match self.sources.line_col(span) {
            Some((line, _)) => format!("line {line}"),
            None => "loop".to_string(),
        };
        self.progress = Some(super::progress::LoopProgress::new(total, label));
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
    /// `for <position> in 0..len(x) { let x = <iterable>[<position>]; body }`, so the body
    /// replays like any range loop's).
    fn exec_for_each(&mut self, var: &Name, iterable: &Expr, body: &Block) -> Ev<()> {
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
        let at = iterable.span;
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
        self.scopes.push(super::Scope::default());
        self.define(ITERABLE, Binding::Value(Value::Array(x)));
        let r = self.exec_for(
            &position,
            &expr(ExprKind::Int(0)),
            &expr(ExprKind::Int(rows as i64)),
            None,
            &body,
        );
        self.scopes.pop();
        r
    }

    fn exec_while(&mut self, cond: &Expr, body: &Block) -> Ev<()> {
        let outer = self.begin_progress(None, cond.span);
        let r = self.while_iterations(cond, body, outer);
        if outer {
            self.progress = None;
        }
        r
    }

    /// Runs a `while` loop's iterations; `outer` as for [`Self::for_iterations`].
    fn while_iterations(&mut self, cond: &Expr, body: &Block, outer: bool) -> Ev<()> {
        let key = (cond.span.file, cond.span.start);
        let mut count = 0u64;
        while self.eval_condition(cond)? {
            count += 1;
            if outer && let Some(p) = &mut self.progress {
                p.tick();
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

    fn exec_import(&mut self, path: &str, span: Span) -> Ev<()> {
        if self.scopes.len() > 1 || !self.frames.is_empty() {
            return Err(
                syntax_error("`import` is only allowed at the top level of a file")
                    .with_span(span)
                    .into(),
            );
        }
        let dir = self
            .file_dirs
            .get(&span.file)
            .cloned()
            .unwrap_or_else(|| std::path::PathBuf::from("."));
        let local = dir.join(path);
        let (key, name, text, dir) = if local.is_file() {
            // Only arr source: an error in any other file would show its lines.
            if local.extension().is_none_or(|e| e != "arr") {
                return Err(crate::diag::io_error(format!(
                    "cannot import `{path}`: only `.arr` files can be imported"
                ))
                .with_span(span)
                .into());
            }
            let text = crate::runtime::io::read_text(&local).map_err(|e| e.with_span(span))?;
            let key = local.canonicalize().unwrap_or(local.clone());
            let parent = local.parent().map(|p| p.to_path_buf());
            (key, local.display().to_string(), text, parent)
        } else if let Some((name, text)) = crate::stdlib::FILES.iter().find(|(n, _)| *n == path) {
            (
                std::path::PathBuf::from(format!("<stdlib>/{name}")),
                format!("<stdlib>/{name}"),
                text.to_string(),
                None,
            )
        } else {
            return Err(crate::diag::io_error(format!(
                "cannot import `{path}`: no such file next to this script or in the stdlib"
            ))
            .with_span(span)
            .into());
        };
        if self.importing.contains(&key) {
            return Err(crate::diag::value_error(format!(
                "import cycle: `{path}` is being run already (a file cannot import itself, \
                 directly or through other imports)"
            ))
            .with_span(span)
            .into());
        }
        if !self.imported.insert(key.clone()) || name.starts_with("<stdlib>") {
            return Ok(());
        }
        let file = self.sources.add(&name, &text);
        if let Some(dir) = dir {
            self.file_dirs.insert(file, dir);
        }
        let program = crate::syntax::parse(&text, file)?;
        self.importing.push(key);
        let result = self.exec_block_stmts(&program.stmts);
        self.importing.pop();
        result?;
        Ok(())
    }

    /// Evaluates a condition (`if`, `while`): a scalar, computed now.
    pub(crate) fn eval_condition(&mut self, cond: &Expr) -> Ev<bool> {
        let v = self.eval(cond)?;
        let node = self.expect_array(&v, cond.span)?;
        if node.size() != 1 {
            return Err(crate::diag::value_error(format!(
                "a condition must be a scalar, but this has shape {}",
                crate::graph::fmt_shape(&node.shape)
            ))
            .with_span(cond.span)
            .with_help("reduce it with `any(...)` or `all(...)`")
            .into());
        }
        let value = self.force(&node).map_err(|e| e.or_span(cond.span))?;
        Ok(value.as_scalar().map(|s| s.cast(crate::dtype::DType::Bool))
            == Some(crate::runtime::Scalar::Bool(true)))
    }

    /// Evaluates an expression that must be an integer scalar (loop bounds, indices).
    pub(crate) fn eval_i64(&mut self, e: &Expr) -> Ev<i64> {
        let v = self.eval(e)?;
        Ok(self.value_i64(&v, e.span)?)
    }

    /// Whether an expression is a plain name (used for `help(name)` and `dtype=f32`).
    pub(crate) fn bare_name(e: &Expr) -> Option<&str> {
        match &e.kind {
            ExprKind::Var(n) => Some(n),
            _ => None,
        }
    }
}
