//! In-place updates of named arrays: `x[i] = v` (or `x[idx] = v`) writes into `x`'s array
//! when the name is all that holds it, as NumPy does, instead of copying the array for every
//! update (a loop updating one element of a large array would otherwise copy all of it each
//! time).

use super::{Binding, Evaluator, Value};
use crate::diag::Result;
use crate::graph::{IndexItem, Node, NodeRef, Op};
use crate::runtime::Operand;
use std::collections::HashMap;
use std::rc::Rc;

impl Evaluator {
    /// Computes `node`, an update of `base`, the array bound to `name`, as NumPy does
    /// `x[i] = v` and `x[idx] = v`: `base`, the value and any index arrays are computed,
    /// and when the binding is all that holds `base`'s array, the value is written into it
    /// (no copy of the rest of the array, however small the region); otherwise `node` is
    /// built as any node (folded when small). Updates of small arrays whose value is not
    /// computed yet (a copy is cheaper than a plan of its own) stay lazy nodes.
    ///
    /// `base` is taken apart only after everything that can fail but the positions (the
    /// value may read it), and the positions are all checked before anything is written,
    /// so a failure leaves the binding as it was. Not while recording a loop body: a
    /// recorded program updates its own arrays in place.
    pub(crate) fn update_in_place(
        &mut self,
        name: &str,
        mut base: NodeRef,
        node: NodeRef,
    ) -> Result<NodeRef> {
        let Op::Update(spec) = &node.op else {
            return self.fold(node);
        };
        let arrays = spec.items.iter().filter(|i| matches!(i, IndexItem::Array));
        let simple = self.recording.is_none()
            && node.inputs.len() == 2 + arrays.count()
            && Rc::ptr_eq(&node.inputs[0], &base)
            && !spec.items.iter().any(|i| matches!(i, IndexItem::Dynamic));
        let Some(value) = node.inputs.get(1).filter(|_| simple) else {
            return self.fold(node);
        };
        // A small value folds (`y[i] = 0.5` casts the literal to `y`'s dtype first).
        let value = self.fold(value.clone())?;
        // A small array is cheaper copied than computed apart from a lazy value.
        let computed = base.value().is_some() && value.value().is_some();
        if !computed && base.size() <= self.options.fold_limit {
            return self.fold(node);
        }
        let (spec, value_node, span) = (spec.clone(), value, node.span);
        let index_nodes = node.inputs[2..].to_vec();
        drop(node);
        let large = |n: &NodeRef| n.size() > self.options.fold_limit;
        let lazy_value = value_node.value().is_none() && large(&value_node);
        let lazy_base = base.is_lazy();
        if index_nodes.is_empty()
            && self.backend.writes_donated_params()
            && (lazy_value || base.value().is_none() && large(&base))
        {
            // Computed where the backend keeps it (an MPI rank's own rows of a spread
            // array), and updated there by the program.
            let was = lazy_base.then_some(base.id);
            if lazy_base {
                base = self.keep(&base)?;
            }
            if lazy_value || matches!(base.op, Op::Device(_)) {
                return self.update_by_program(name, (base, was), spec, value_node, span);
            }
        }
        // The array is computed now (it has to be, to be written in place), then the value.
        self.force(&base)?;
        let value = self.force(&value_node)?;
        drop(value_node);
        // Index arrays computed, their nodes let go (they may read the array).
        let mut rest = vec![value.clone()];
        for index in index_nodes {
            rest.push(self.force(&index)?);
        }
        let sole;
        (base, sole) = self.sole_holder(name, base)?;
        let slot = self.resolve(name);
        let (Some(slot), true) = (slot, sole) else {
            let value = self.graph.shared_constant(value, false, span)?;
            let mut arrays = vec![];
            for index in &rest[1..] {
                arrays.push(self.graph.shared_constant(index.clone(), false, span)?);
            }
            let node = self.graph.update(&base, spec, arrays, &value, span)?;
            return self.fold(node);
        };
        let weak = base.weak;
        self.scopes[slot].insert(name.to_string(), Binding::Value(Value::Unit));
        let array = Rc::try_unwrap(base)
            .ok()
            .and_then(Node::into_value)
            .and_then(|a| Rc::try_unwrap(a).ok())
            .expect("checked: the binding was the only other holder");
        let mut array = array.into_standard_layout();
        // Every position is checked before anything is written: on an error the binding
        // gets its array back as it was.
        let written = crate::backend::interp::update_into(&mut array, &spec, &rest);
        let node = self.graph.constant(array, weak, span)?;
        if let Err(e) = written {
            let binding = Binding::Value(Value::Array(node));
            self.scopes[slot].insert(name.to_string(), binding);
            return Err(e.or_span(span));
        }
        self.times.updated_in_place += 1;
        Ok(node)
    }

    /// Whether the binding of `name` and `base` (its computed node) are all that hold
    /// `base`'s array, with the node `name` is bound to now. Names bound to values read
    /// from it (`nrm = dot(x[:, k], x[:, k])`) hold it through their graphs: they are
    /// computed first, as NumPy would have computed them, and bound as constants — the
    /// name itself may then be bound to a constant of the same array.
    fn sole_holder(&mut self, name: &str, mut base: NodeRef) -> Result<(NodeRef, bool)> {
        // Held by the binding and `base`, its array (or device value) by the node alone.
        let sole = |base: &NodeRef| {
            Rc::strong_count(base) == 2
                && match (base.value(), &base.op) {
                    (Some(a), _) => Rc::strong_count(&a) == 2,
                    (None, Op::Device(d)) => Rc::strong_count(&d.handle) == 1,
                    (None, _) => false,
                }
        };
        if !sole(&base) {
            self.release_readers(&base)?;
            if let Some(Binding::Value(Value::Array(now))) = self.lookup(name)
                && same_storage(now, &base)
            {
                base = now.clone();
            }
        }
        let sole = sole(&base);
        Ok((base, sole))
    }

    /// `name[spec] = value` for a large lazy `value`, computed by the backend straight into
    /// the array: the update runs as a one-off prepared program whose parameter is the
    /// array, lent to the backend when the binding is all that holds it (no copy of the
    /// value, no copy of the array). `value`'s reads of the array read the parameter, so
    /// the plan sees them (`A[:, 1:] -= f(A[:, 1:])` writes where it reads, safely).
    fn update_by_program(
        &mut self,
        name: &str,
        (mut base, was): (NodeRef, Option<u64>),
        spec: crate::graph::IndexSpec,
        value: NodeRef,
        span: crate::diag::Span,
    ) -> Result<NodeRef> {
        let held = operand_of(&base)?;
        let param = self
            .graph
            .param(0, base.shape.clone(), base.dtype, base.weak, span)?;
        let is_base = Base { held, was };
        let substituted = self.substitute(&value, &is_base, &param, &mut HashMap::new())?;
        drop((value, is_base));
        let (shape, dtype, weak) = (base.shape.clone(), base.dtype, base.weak);
        let root = self.graph.make(
            Op::Update(spec),
            vec![param, substituted],
            shape,
            dtype,
            weak,
            span,
        )?;
        // Prepared before anything is lent: a failure here leaves the binding as it was.
        let start = std::time::Instant::now();
        let program = self.backend.prepare(&[root])?;
        let sole;
        (base, sole) = match self.sole_holder(name, base) {
            Ok(held) => held,
            Err(e) => {
                self.backend.release(program);
                return Err(e);
            }
        };
        let slot = self.resolve(name).filter(|_| sole);
        let mut params = vec![operand_of(&base)?];
        if let Some(slot) = slot {
            // Lent: the binding and `base` let go, so the parameter is all that holds it.
            self.scopes[slot].insert(name.to_string(), Binding::Value(Value::Unit));
            drop(base);
        }
        let cancel = self.cancel.clone();
        let results = self.backend.run_prepared(program, &mut params, &move || {
            cancel.load(std::sync::atomic::Ordering::Relaxed)
        });
        self.backend.release(program);
        self.times.run += start.elapsed();
        self.times.forced += 1;
        let results = match results {
            Ok(results) => results,
            Err(e) => {
                // The backend leaves a parameter unchanged on failure: bind it again.
                if let Some(slot) = slot {
                    let node = self.operand_node(params[0].clone(), weak, span)?;
                    self.scopes[slot].insert(name.to_string(), Binding::Value(Value::Array(node)));
                }
                return Err(e);
            }
        };
        let updated = results
            .into_iter()
            .next()
            .ok_or_else(|| crate::diag::value_error("backend returned no value"))?;
        if slot.is_some() {
            self.times.updated_in_place += 1;
        }
        self.operand_node(updated, weak, span)
    }

    /// `node` with every node of `base`'s value replaced by `to` (the nodes between
    /// rebuilt, the rest shared).
    fn substitute(
        &mut self,
        node: &NodeRef,
        base: &Base,
        to: &NodeRef,
        memo: &mut HashMap<u64, NodeRef>,
    ) -> Result<NodeRef> {
        if base.is(node) {
            return Ok(to.clone());
        }
        if node.value().is_some() || matches!(node.op, Op::Device(_)) {
            return Ok(node.clone());
        }
        if let Some(done) = memo.get(&node.id) {
            return Ok(done.clone());
        }
        let mut inputs = Vec::with_capacity(node.inputs.len());
        for input in &node.inputs {
            inputs.push(self.substitute(input, base, to, memo)?);
        }
        let same = inputs
            .iter()
            .zip(&node.inputs)
            .all(|(a, b)| Rc::ptr_eq(a, b));
        let rebuilt = if same {
            node.clone()
        } else {
            let n = node.as_ref();
            self.graph.make(
                n.op.clone(),
                inputs,
                n.shape.clone(),
                n.dtype,
                n.weak,
                n.span,
            )?
        };
        memo.insert(node.id, rebuilt.clone());
        Ok(rebuilt)
    }

    /// Makes the names bound to arrays stop holding `node` (or its computed array) through
    /// their graphs: the lazy ones that read it are computed (in one plan), and every
    /// computed one is rebound to a constant.
    pub(crate) fn release_readers(&mut self, node: &NodeRef) -> Result<()> {
        let array = node.value();
        let reads = |root: &NodeRef| {
            let mut seen = std::collections::HashSet::new();
            let mut stack = vec![root];
            while let Some(n) = stack.pop() {
                let same = Rc::ptr_eq(n, node)
                    || array
                        .as_ref()
                        .is_some_and(|a| n.value().is_some_and(|v| Rc::ptr_eq(&v, a)));
                if same {
                    return true;
                }
                if seen.insert(n.id) {
                    stack.extend(&n.inputs);
                }
            }
            false
        };
        let lazy: Vec<NodeRef> = self
            .scopes
            .iter()
            .flat_map(|scope| scope.values())
            .filter_map(|b| match b {
                // A value kept on a device is computed already: nothing to release.
                Binding::Value(Value::Array(n)) if n.is_lazy() && reads(n) => Some(n.clone()),
                _ => None,
            })
            .collect();
        if !lazy.is_empty() {
            self.force_all(&lazy)?;
        }
        self.bind_computed_as_constants()
    }

    /// Rebinds every name bound to a computed array that is not a constant to a constant
    /// of the same value, so the nodes it was computed from are no longer held through it.
    fn bind_computed_as_constants(&mut self) -> Result<()> {
        for scope in 0..self.scopes.len() {
            let computed: Vec<(String, NodeRef)> = self.scopes[scope]
                .iter()
                .filter_map(|(name, b)| match b {
                    Binding::Value(Value::Array(n))
                        if !n.inputs.is_empty() && n.value().is_some() =>
                    {
                        Some((name.clone(), n.clone()))
                    }
                    _ => None,
                })
                .collect();
            for (name, node) in computed {
                let Some(value) = node.value() else { continue };
                let constant = self.graph.shared_constant(value, node.weak, node.span)?;
                self.scopes[scope].insert(name, Binding::Value(Value::Array(constant)));
            }
        }
        Ok(())
    }
}

/// A computed node's value as a program's parameter: its array, or the value the backend
/// keeps on its device.
fn operand_of(node: &Node) -> Result<Operand> {
    match (node.value(), &node.op) {
        (Some(array), _) => Ok(Operand::Host(array)),
        (None, Op::Device(d)) => Ok(Operand::Device(Box::new(d.clone()))),
        (None, _) => Err(crate::diag::value_error("internal error: not computed")),
    }
}

/// Whether two nodes hold the same array, or the same value kept on a device.
fn same_storage(a: &Node, b: &Node) -> bool {
    match (a.value(), b.value(), &a.op, &b.op) {
        (Some(x), Some(y), _, _) => Rc::ptr_eq(&x, &y),
        (None, None, Op::Device(x), Op::Device(y)) => Rc::ptr_eq(&x.handle, &y.handle),
        _ => false,
    }
}

/// The array an update by a program writes, as the value it reads may refer to it: its
/// computed value (an array, or a value the backend keeps on its device), or the lazy node
/// it was computed from.
struct Base {
    held: Operand,
    was: Option<u64>,
}

impl Base {
    /// Whether `node` is this array.
    fn is(&self, node: &Node) -> bool {
        if self.was == Some(node.id) {
            return true;
        }
        match (&self.held, node.value(), &node.op) {
            (Operand::Host(a), Some(v), _) => Rc::ptr_eq(a, &v),
            (Operand::Device(d), None, Op::Device(e)) => Rc::ptr_eq(&d.handle, &e.handle),
            _ => false,
        }
    }
}
