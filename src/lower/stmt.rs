//! Statements: bindings, assignment, loops, function definitions and imports.

use super::{Binding, Ev, Evaluator, Exit, Value};
use crate::diag::value_error;
use crate::diag::{Error, ErrorKind, Span, name_error, syntax_error};
use crate::runtime::sandbox::FileAccess;
use crate::syntax::ast::{
    BinOp, Block, Expr, ExprKind, IndexItem, Name, Pattern, Stmt, StmtKind, Target,
};

impl Evaluator {
    /// Runs statements in the current scope; the value is the last statement's when it is an
    /// expression.
    pub(crate) fn exec_block_stmts(&mut self, stmts: &[Stmt]) -> Ev<Value> {
        self.exec_stmts_from(stmts, 0)
    }

    /// Runs the statements of a list from index `from` on (see [`Self::exec_block_stmts`]).
    pub(super) fn exec_stmts_from(&mut self, stmts: &[Stmt], from: usize) -> Ev<Value> {
        let mut last = Value::Unit;
        for (at, stmt) in stmts.iter().enumerate().skip(from) {
            self.stmt_index = at;
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
                let site = self.loop_site(false);
                self.exec_for(var, start, stop, step.as_ref(), body, site)?;
                Ok(Value::Unit)
            }
            StmtKind::ForEach {
                var,
                iterable,
                body,
            } => {
                let site = self.loop_site(true);
                self.exec_for_each(var, iterable, body, site)?;
                Ok(Value::Unit)
            }
            StmtKind::While { cond, body } => {
                let site = self.loop_site(false);
                self.while_loop(cond, body, site, None)?;
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
        self.resolve_or_stdlib(&target.text)?;
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
        // A sandboxed run looks only where it may read (an import of a stdlib file by
        // name is no file access).
        let local = match self.file_path(&local, FileAccess::Read, span) {
            Ok(p) => Some(p),
            Err(_) if crate::stdlib::FILES.iter().any(|(n, _)| *n == path) => None,
            Err(e) => return Err(e.into()),
        };
        let (key, name, text, dir) = if let Some(local) = local.filter(|l| l.is_file()) {
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
            self.import_files.push((key.clone(), file));
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
