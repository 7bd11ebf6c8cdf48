//! Recording a loop body: what a read of a name outside the body sees (a parameter or a
//! guarded constant), where its writes go, and the parameters standing for the loop
//! variable and the draw count.

use super::{Guard, Overlay, Param, ParamSource, Slot, stop_error};
use crate::diag::{Result, Span};
use crate::dtype::DType;
use crate::graph::NodeRef;
use crate::lower::{Binding, Evaluator, Value};

impl Evaluator {
    /// While recording, a draw without `seed=`: its number is the draw-base parameter plus
    /// its place among the body's draws. `None` when not recording.
    pub(crate) fn recorded_draw(
        &mut self,
        dist: crate::graph::Distribution,
        shape: Vec<usize>,
        dtype: DType,
        span: Span,
    ) -> Result<Option<NodeRef>> {
        let Some(rec) = self.recording.as_mut() else {
            return Ok(None);
        };
        rec.draws += 1;
        let k = rec.draws;
        let base = match &rec.draw_base {
            Some(b) => b.clone(),
            None => {
                let index = rec.params.len();
                rec.params.push(Param {
                    source: ParamSource::DrawBase,
                    shape: vec![],
                    dtype: DType::I64,
                    weak: false,
                });
                let b = self.graph.param(index, vec![], DType::I64, false, span)?;
                if let Some(rec) = self.recording.as_mut() {
                    rec.draw_base = Some(b.clone());
                }
                b
            }
        };
        let seed = self.options.seed;
        let input = crate::graph::RandomInput::DrawBase;
        Ok(Some(self.graph.random_from(
            dist,
            (seed, k),
            input,
            &base,
            shape,
            dtype,
            span,
        )?))
    }

    /// The parameter standing for the loop variable.
    pub(super) fn loop_param(&mut self, span: Span) -> Result<NodeRef> {
        let Some(rec) = self.recording.as_mut() else {
            return Err(stop_error());
        };
        let index = rec.params.len();
        rec.loop_param = Some(index);
        rec.params.push(Param {
            source: ParamSource::LoopVar,
            shape: vec![],
            dtype: DType::I64,
            weak: false,
        });
        self.graph.param(index, vec![], DType::I64, false, span)
    }

    /// While recording, the binding the body has written to (or read from) `name` in scope
    /// `scope` outside it.
    pub(in crate::lower) fn overlay_binding(&self, scope: usize, name: &str) -> Option<&Binding> {
        let rec = self.recording.as_ref()?;
        if scope >= rec.base {
            return None;
        }
        rec.overlay
            .get(&(scope, name.to_string()))
            .map(|o| &o.binding)
    }

    /// While recording, the binding a read of `name` (found in scope `scope`, outside the
    /// body) sees: the value written by the body, a guarded constant, or a new parameter.
    pub(in crate::lower) fn recorded_read(
        &mut self,
        scope: usize,
        name: &str,
    ) -> Result<Option<Binding>> {
        let Some(rec) = self.recording.as_ref() else {
            return Ok(None);
        };
        if scope >= rec.base {
            return Ok(None);
        }
        let slot = (scope, name.to_string());
        if let Some(o) = rec.overlay.get(&slot) {
            return Ok(Some(o.binding.clone()));
        }
        let carried = rec.carried.contains(name);
        let Some(real) = self.scopes[scope].get(name).cloned() else {
            return Ok(None);
        };
        let binding = match &real {
            Binding::Func(_) => return Ok(Some(real)),
            Binding::Value(v) if !carried && super::constant(v) => {
                self.guard(slot.clone(), &real);
                real
            }
            Binding::Value(Value::Array(n)) => {
                // Its value is taken (and computed if lazy) when the program runs.
                let Some(rec) = self.recording.as_mut() else {
                    return Err(stop_error());
                };
                let index = rec.params.len();
                rec.params.push(Param {
                    source: ParamSource::Var(slot.clone()),
                    shape: n.shape.clone(),
                    dtype: n.dtype,
                    weak: n.weak,
                });
                let p = self
                    .graph
                    .param(index, n.shape.clone(), n.dtype, n.weak, n.span)?;
                Binding::Value(Value::Array(p))
            }
            Binding::Value(_) => return Err(self.stop_recording()),
        };
        if let Some(rec) = self.recording.as_mut() {
            rec.overlay.insert(
                slot,
                Overlay {
                    binding: binding.clone(),
                    written: false,
                },
            );
        }
        Ok(Some(binding))
    }

    fn guard(&mut self, slot: Slot, binding: &Binding) {
        if let (Some(rec), Binding::Value(v)) = (self.recording.as_mut(), binding) {
            rec.guards.push(Guard {
                slot,
                value: v.clone(),
            });
        }
    }

    /// While recording, records an assignment to `name` in scope `scope` when that is
    /// outside the body; true when it was recorded (the real scope is left untouched).
    pub(in crate::lower) fn recorded_write(&mut self, scope: usize, name: &str, v: &Value) -> bool {
        let Some(rec) = self.recording.as_mut() else {
            return false;
        };
        if scope >= rec.base {
            return false;
        }
        let slot = (scope, name.to_string());
        let previous = rec.overlay.insert(
            slot.clone(),
            Overlay {
                binding: Binding::Value(v.clone()),
                written: true,
            },
        );
        if !previous.is_some_and(|o| o.written) {
            rec.written.push(slot);
        }
        true
    }
}
