//! Computing graph nodes on the backend: values forced to the host (what the evaluator
//! observes), or left where the backend keeps them (a loop's starting state, on a GPU or
//! spread between MPI ranks) with the names bound to them rebound.

use super::{Binding, Evaluator, Value};
use crate::backend::Backend;
use crate::diag::Result;
use crate::graph::NodeRef;
use crate::runtime::Array;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::time::Instant;

impl Evaluator {
    /// Computes a node's value (once; later calls reuse it).
    pub fn force(&mut self, node: &NodeRef) -> Result<Rc<Array>> {
        if let Some(v) = node.value() {
            return Ok(v);
        }
        let mut values = self.force_all(std::slice::from_ref(node))?;
        values
            .pop()
            .ok_or_else(|| crate::diag::value_error("backend returned no value"))
    }

    /// Computes several nodes in one plan (shared work done once) and records their values.
    pub(crate) fn force_all(&mut self, nodes: &[NodeRef]) -> Result<Vec<Rc<Array>>> {
        let values = self.computed(nodes, false, |backend, cancel| {
            backend.compute(nodes, cancel)
        })?;
        for (node, value) in nodes.iter().zip(&values) {
            node.set_value(value.clone());
        }
        Ok(values)
    }

    /// Computes several nodes that nothing observes yet in one plan, leaving their values
    /// where the backend keeps them (`Backend::compute_kept`): host values are recorded
    /// as [`Evaluator::force_all`] does; every name bound to a node whose value stays on a
    /// device is bound to a node of that value instead. The nodes' values, in order.
    pub(crate) fn force_kept(&mut self, nodes: &[NodeRef]) -> Result<Vec<NodeRef>> {
        let values = self.computed(nodes, true, |b, cancel| b.compute_kept(nodes, cancel))?;
        let mut kept = Vec::with_capacity(nodes.len());
        for (node, value) in nodes.iter().zip(values) {
            let value = match value {
                crate::runtime::Operand::Host(a) => {
                    node.set_value(a);
                    node.clone()
                }
                device => {
                    let now = self.operand_node(device, node.weak, node.span)?;
                    for scope in &mut self.scopes {
                        for binding in scope.values_mut() {
                            if let Binding::Value(Value::Array(n)) = binding
                                && Rc::ptr_eq(n, node)
                            {
                                *n = now.clone();
                            }
                        }
                    }
                    now
                }
            };
            kept.push(value);
        }
        Ok(kept)
    }

    /// [`Evaluator::force_kept`] of one node: the node itself, computed, or a node of the
    /// value the backend keeps on its device.
    pub(crate) fn keep(&mut self, node: &NodeRef) -> Result<NodeRef> {
        let mut kept = self.force_kept(std::slice::from_ref(node))?;
        kept.pop()
            .ok_or_else(|| crate::diag::value_error("backend returned no value"))
    }

    /// Runs `compute` on the backend for `nodes` (one value each), with `explain`'s plans
    /// written first (of values `kept` where the backend keeps them, or observed) and the
    /// run time recorded.
    fn computed<E, T: std::ops::Deref<Target = [E]>>(
        &mut self,
        nodes: &[NodeRef],
        kept: bool,
        compute: impl FnOnce(&mut dyn Backend, &dyn Fn() -> bool) -> Result<T>,
    ) -> Result<T> {
        if nodes.iter().any(|n| n.reads_param && n.value().is_none()) {
            // Only a loop recording builds such nodes; their values exist only when the
            // recorded program runs, so the body cannot be replayed.
            return Err(self.stop_recording());
        }
        if self.options.explain {
            for node in nodes {
                let one = std::slice::from_ref(node);
                let plan = if kept {
                    self.backend.explain_kept(one)
                } else {
                    self.backend.explain(one)
                };
                self.write_out(&plan)?;
                if self.options.emit_code
                    && let Some(code) = self.backend.code(std::slice::from_ref(node))
                {
                    self.write_out(&code)?;
                }
            }
        }
        let start = Instant::now();
        let cancel = self.cancel.clone();
        let result = compute(&mut *self.backend, &move || cancel.load(Ordering::Relaxed));
        // Inside a run of replayed iterations (a parameter forced), that run's time has it.
        if self.replay_run.is_none() {
            self.times.run += start.elapsed();
        }
        self.times.forced += 1;
        let values = result?;
        if values.len() != nodes.len() {
            return Err(crate::diag::value_error("backend returned no value"));
        }
        Ok(values)
    }

    /// Computes every array bound in a visible scope that is not computed yet, in one plan.
    pub(crate) fn force_pending(&mut self) -> Result<()> {
        fn pending(v: &Value, out: &mut Vec<NodeRef>) {
            match v {
                Value::Array(n) if n.value().is_none() => out.push(n.clone()),
                Value::Tuple(members) => members.iter().for_each(|m| pending(m, out)),
                Value::List(members) => members.iter().for_each(|m| pending(m, out)),
                _ => {}
            }
        }
        let mut nodes = Vec::new();
        for scope in &self.scopes {
            for b in scope.values() {
                if let Binding::Value(v) = b {
                    pending(v, &mut nodes);
                }
            }
        }
        if !nodes.is_empty() {
            self.force_all(&nodes)?;
        }
        Ok(())
    }
}
