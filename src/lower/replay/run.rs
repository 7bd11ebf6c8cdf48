//! Running a recorded program for one iteration: guards and parameters checked, arrays
//! lent to the program where it may update them in place, results bound.

use super::{Binding, Evaluator, OutputValue, ParamSource, Program, Slot, Value};
use crate::diag::{Result, Span};
use crate::graph::{Node, NodeRef, Op};
use crate::runtime::{Array, Operand, Scalar};
use smallvec::SmallVec;
use std::rc::Rc;

impl Evaluator {
    /// Runs `program` for the current bindings; false (nothing done) when a guard or a
    /// parameter's shape or dtype no longer matches. Its caller times it (`--time`'s run).
    pub(super) fn run_program(&mut self, program: &Program, var: Option<i64>) -> Result<bool> {
        if !self.probes_fit(program, var) {
            return Ok(false);
        }
        for g in &program.guards {
            match self.binding_at(&g.slot) {
                Some(Binding::Value(v)) if same_value(v, &g.value) => {}
                _ => return Ok(false),
            }
        }
        let mut params: SmallVec<[Operand; 8]> = SmallVec::with_capacity(program.params.len());
        for (p, &read) in program.params.iter().zip(&program.read) {
            let value = match &p.source {
                ParamSource::LoopVar | ParamSource::DrawBase if !read => {
                    Operand::Host(self.unread_param.clone())
                }
                ParamSource::LoopVar => reused(&mut self.scalar_params[0], var.unwrap_or(0)),
                ParamSource::DrawBase => reused(&mut self.scalar_params[1], self.draws as i64),
                ParamSource::Var(slot) => {
                    let Some(Binding::Value(Value::Array(node))) = self.binding_at(slot) else {
                        return Ok(false);
                    };
                    let mut node = node.clone();
                    if node.is_lazy() {
                        // The loop's starting state (the first run after a recording):
                        // computed together, left where the backend keeps it.
                        self.keep_lazy_params(program)?;
                        let Some(Binding::Value(Value::Array(now))) = self.binding_at(slot) else {
                            return Ok(false);
                        };
                        node = now.clone();
                    }
                    if !crate::runtime::same_shape(&node.shape, &p.shape)
                        || node.dtype != p.dtype
                        || node.weak != p.weak
                    {
                        return Ok(false);
                    }
                    match (&node.op, node.value()) {
                        // Kept on the device by the backend: handed back as it is.
                        (Op::Device(d), None) => Operand::Device(Box::new(d.clone())),
                        _ => Operand::Host(row_major(self.force(&node)?)),
                    }
                }
            };
            params.push(value);
        }
        let lent = self.lend_params(program, &mut params);
        // Borrowed, not cloned: no atomic count changed per iteration.
        let cancel: &std::sync::atomic::AtomicBool = &self.cancel;
        let results = self.backend.run_prepared(program.id, &mut params, &|| {
            cancel.load(std::sync::atomic::Ordering::Relaxed)
        });
        let results = match results {
            Ok(results) => results,
            Err(e) => {
                // Unchanged on failure (`Backend::run_prepared`): bind them again.
                for (n, weak, span) in lent {
                    let ParamSource::Var(slot) = &program.params[n].source else {
                        continue;
                    };
                    let node = self.operand_node(params[n].clone(), weak, span)?;
                    let binding = Binding::Value(Value::Array(node));
                    self.scopes[slot.0].insert(slot.1.clone(), binding);
                }
                return Err(e);
            }
        };
        // Lent arrays the program did not update in place are free now: reuse them.
        for (n, param) in params.into_iter().enumerate() {
            if lent.iter().any(|l| l.0 == n)
                && let Operand::Host(param) = param
            {
                self.backend.recycle(param);
            }
        }
        let mut replaced: SmallVec<[Binding; 8]> = SmallVec::with_capacity(program.outputs.len());
        for (slot, out) in &program.outputs {
            let value = match out {
                OutputValue::Root { n, weak, span } => {
                    let Some(v) = results.get(*n) else {
                        return Err(crate::diag::value_error(
                            "internal error: a program returned too few values",
                        ));
                    };
                    // The name's last value, a node nothing else holds, takes the new one
                    // (no node built and freed per iteration).
                    if let Operand::Host(a) = v
                        && let Some(Binding::Value(Value::Array(node))) =
                            self.scopes[slot.0].get_mut(&slot.1)
                        && let Some(old) = self.graph.refill(node, a.clone(), *weak, *span)
                    {
                        self.backend.recycle(old);
                        continue;
                    }
                    Value::Array(self.operand_node(v.clone(), *weak, *span)?)
                }
                OutputValue::Fixed(v) => v.clone(),
            };
            // Replace in place: no new key (and no allocation) per iteration.
            let scope = &mut self.scopes[slot.0];
            match scope.get_mut(&slot.1) {
                Some(b) => replaced.push(std::mem::replace(b, Binding::Value(value))),
                None => {
                    scope.insert(slot.1.clone(), Binding::Value(value));
                }
            }
        }
        drop(results);
        for old in replaced {
            if let Binding::Value(Value::Array(node)) = old
                && let Some(array) = sole_value(node)
            {
                self.backend.recycle(array);
            }
        }
        self.draws += program.draws;
        self.times.replayed += 1;
        Ok(true)
    }

    /// Computes the values of `program`'s parameters bound to lazy nodes, in one plan,
    /// leaving them where the backend keeps them (`Evaluator::force_kept`: a spread array
    /// on MPI ranks, a GPU buffer), so the first run finds them there.
    fn keep_lazy_params(&mut self, program: &Program) -> Result<()> {
        let mut lazy: SmallVec<[NodeRef; 4]> = SmallVec::new();
        for p in &program.params {
            if let ParamSource::Var(slot) = &p.source
                && let Some(Binding::Value(Value::Array(node))) = self.binding_at(slot)
                && node.is_lazy()
                && !lazy.iter().any(|n| Rc::ptr_eq(n, node))
            {
                lazy.push(node.clone());
            }
        }
        self.force_kept(&lazy)?;
        Ok(())
    }

    /// A node for a program's parameter or result: a computed constant, or a value the
    /// backend keeps on its device.
    pub(in crate::lower) fn operand_node(
        &mut self,
        value: Operand,
        weak: bool,
        span: Span,
    ) -> Result<NodeRef> {
        match value {
            Operand::Host(a) => Ok(self.graph.computed(a, weak, span)),
            Operand::Device(d) => self.graph.device_value(*d, weak, span),
        }
    }

    /// Lets the program update arrays in place: a parameter from a name the program
    /// assigns, whose array nothing but that name holds, is unbound for the run so that
    /// `params` holds the only reference (`y[:, j] = …` then writes one column, not a copy
    /// of `y`). Returns what to bind again if the run fails: (parameter, weak, span).
    fn lend_params(
        &mut self,
        program: &Program,
        params: &mut [Operand],
    ) -> SmallVec<[(usize, bool, Span); 4]> {
        let mut lent = SmallVec::new();
        for &n in &program.lendable {
            let ParamSource::Var(slot) = &program.params[n].source else {
                continue;
            };
            let Some(binding) = self.scopes[slot.0].get_mut(&slot.1) else {
                continue;
            };
            let sole = match &*binding {
                Binding::Value(Value::Array(node)) => {
                    Rc::strong_count(node) == 1
                        && match (&node.op, &params[n]) {
                            (Op::Const(a), Operand::Host(p)) => {
                                Rc::ptr_eq(a, p) && Rc::strong_count(a) == 2
                            }
                            (Op::Device(a), Operand::Device(p)) => {
                                Rc::ptr_eq(&a.handle, &p.handle) && Rc::strong_count(&a.handle) == 2
                            }
                            _ => false,
                        }
                }
                _ => false,
            };
            if !sole {
                continue;
            }
            // The name stays bound (to nothing) until the program's output replaces it: no
            // key removed and inserted again per iteration.
            let Binding::Value(Value::Array(node)) =
                std::mem::replace(binding, Binding::Value(Value::Unit))
            else {
                continue;
            };
            lent.push((n, node.weak, node.span));
        }
        lent
    }

    /// The binding in `slot`, provided name resolution still finds it there (one lookup
    /// per scope searched).
    fn binding_at(&self, slot: &Slot) -> Option<&Binding> {
        let (scope, binding) = self
            .scope_order()
            .find_map(|i| Some((i, self.scopes[i].get(&slot.1)?)))?;
        (scope == slot.0).then_some(binding)
    }
}

/// Whether a binding still holds the guarded value (the same bits, dtype and weakness).
fn same_value(now: &Value, then: &Value) -> bool {
    match (now, then) {
        (Value::Str(a), Value::Str(b)) => a == b,
        (Value::None, Value::None) => true,
        (Value::Tuple(a), Value::Tuple(b)) => {
            a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| same_value(x, y))
        }
        (Value::Array(a), Value::Array(b)) => {
            Rc::ptr_eq(a, b)
                || a.weak == b.weak
                    && a.dtype == b.dtype
                    && a.shape == b.shape
                    && match (a.value(), b.value()) {
                        (Some(x), Some(y)) => match (x.as_scalar(), y.as_scalar()) {
                            (Some(p), Some(q)) => p.same_bits(q),
                            _ => false,
                        },
                        _ => false,
                    }
        }
        _ => false,
    }
}

/// A 0-d i64 parameter holding `x`: the array in `slot` rewritten when nothing else holds
/// it (no allocation per iteration), else a new one kept there.
fn reused(slot: &mut Option<Rc<Array>>, x: i64) -> Operand {
    let array = match slot.as_mut().and_then(Rc::get_mut) {
        Some(Array::I64(a)) if a.ndim() == 0 => {
            a.fill(x);
            slot.clone()
        }
        _ => None,
    };
    Operand::Host(array.unwrap_or_else(|| {
        let fresh = Rc::new(Array::scalar(Scalar::I64(x)));
        *slot = Some(fresh.clone());
        fresh
    }))
}

/// A row-major version of `a` (itself when it already is).
fn row_major(a: Rc<Array>) -> Rc<Array> {
    if a.is_standard_layout() {
        return a;
    }
    Rc::new((*a).clone().into_standard_layout())
}

/// The array of a computed constant node nothing else holds.
fn sole_value(node: NodeRef) -> Option<Rc<Array>> {
    let Node { op, .. } = Rc::try_unwrap(node).ok()?;
    match op {
        Op::Const(a) => Some(a),
        _ => None,
    }
}
