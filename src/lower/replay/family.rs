//! Loop bodies whose sizes move with the loop variable (`dot(flip(r[:k]), y[:k])`): slice
//! bounds affine in the variable are *probes* of the recording, and three recordings at
//! consecutive iterations join into one program for every value (`fuse::family`).
//!
//! While recording a `for` loop, a slice bound computed from the loop variable by `+ - *`
//! with constants is taken at the variable's current value instead of stopping the
//! recording; the recording notes the bound's affine form, which branch of the slice's
//! normalisation it took (clamped, negative and wrapped, or in range) and the slice's
//! length. A program with probes applies as it is only where every probe takes the
//! recorded values; three such programs whose structure agrees are joined by the backend
//! ([`crate::backend::Backend::join_family`]). The joined program applies wherever every
//! probe takes its recorded branches and keeps at least two elements — where the slice's
//! length is affine in the variable and no size-0 or size-1 special case can arise.

use super::{LoopState, Program};
use crate::diag::Result;
use crate::graph::{BinaryOp, NodeRef, Op, UnaryOp};
use crate::lower::{Ev, Evaluator, Value};
use crate::runtime::Scalar;
use crate::syntax::ast;

/// `per · k + at0` for the loop variable `k`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Affine {
    per: i64,
    at0: i64,
}

impl Affine {
    /// The value at `k` (`None` on overflow).
    fn at(self, k: i64) -> Option<i64> {
        self.per.checked_mul(k)?.checked_add(self.at0)
    }
}

/// The affine form of a 0-d i64 node in parameter `var` (the loop variable), or `None`
/// when it is not one (it reads another parameter, or uses an operation other than
/// `+ - *` by a constant, negation and integer casts).
fn affine(node: &NodeRef, var: usize) -> Option<Affine> {
    if !node.shape.is_empty() || node.dtype != crate::dtype::DType::I64 {
        return None;
    }
    let form = match &node.op {
        Op::Param(i) if *i == var => Affine { per: 1, at0: 0 },
        Op::Const(a) => match a.as_scalar()?.cast(crate::dtype::DType::I64) {
            Scalar::I64(c) => Affine { per: 0, at0: c },
            _ => return None,
        },
        Op::Cast => {
            let input = node.inputs.first()?;
            if input.dtype != crate::dtype::DType::I64 {
                return None;
            }
            affine(input, var)?
        }
        Op::Unary(UnaryOp::Neg) => {
            let a = affine(node.inputs.first()?, var)?;
            Affine {
                per: a.per.checked_neg()?,
                at0: a.at0.checked_neg()?,
            }
        }
        Op::Binary { op, .. } => {
            let [x, y] = node.inputs.as_slice() else {
                return None;
            };
            let (a, b) = (affine(x, var)?, affine(y, var)?);
            match op {
                BinaryOp::Add => Affine {
                    per: a.per.checked_add(b.per)?,
                    at0: a.at0.checked_add(b.at0)?,
                },
                BinaryOp::Sub => Affine {
                    per: a.per.checked_sub(b.per)?,
                    at0: a.at0.checked_sub(b.at0)?,
                },
                BinaryOp::Mul if a.per == 0 || b.per == 0 => Affine {
                    per: a
                        .per
                        .checked_mul(b.at0)?
                        .checked_add(b.per.checked_mul(a.at0)?)?,
                    at0: a.at0.checked_mul(b.at0)?,
                },
                _ => return None,
            }
        }
        _ => return None,
    };
    Some(form)
}

/// One slice of a recording with a bound affine in the loop variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Probe {
    /// Start and stop: their affine forms (`None`: not from the variable) and the values
    /// the recording took.
    forms: [Option<Affine>; 2],
    values: [Option<i64>; 2],
    step: Option<i64>,
    /// The sliced axis's length.
    n: usize,
    /// The normalisation branch of each bound as recorded (`lower::index::bound`).
    branches: [u8; 2],
    /// The slice's length as recorded.
    len: usize,
}

impl Probe {
    /// The bounds at `k`.
    fn bounds(&self, k: i64) -> Option<[Option<i64>; 2]> {
        let mut out = self.values;
        for (o, f) in out.iter_mut().zip(&self.forms) {
            if let Some(f) = f {
                *o = Some(f.at(k)?);
            }
        }
        Some(out)
    }

    /// Whether the program recorded with this probe applies at `k`: as recorded (the same
    /// bounds), or, for a family, the same branches and at least two elements — or the
    /// same length as recorded when that was under two (then the same at every recording).
    fn fits(&self, k: i64, family: bool) -> bool {
        let Some(bounds) = self.bounds(k) else {
            return false;
        };
        if !family {
            return bounds == self.values;
        }
        let step = self.step.unwrap_or(1);
        let same_branches = bounds
            .iter()
            .zip(&self.branches)
            .all(|(b, &r)| b.is_none_or(|v| branch(v, self.n, step) == r));
        same_branches
            && crate::lower::index::slice_indices(bounds[0], bounds[1], self.step, self.n)
                .is_ok_and(|(_, _, len)| len >= 2 && self.len >= 2 || len == self.len)
    }
}

/// The normalisation branch of slice bound `v` on an axis of length `n`.
fn branch(v: i64, n: usize, step: i64) -> u8 {
    crate::lower::index::bound(v, n as i64, step).1
}

/// Whether two programs recorded from one body at different values of its variable agree
/// in everything but their sizes and offsets (their backends' plans are compared when
/// joining).
fn alike(a: &Program, b: &Program) -> bool {
    let params = a.params.len() == b.params.len()
        && a.params.iter().zip(&b.params).all(|(p, q)| {
            p.source == q.source && p.shape == q.shape && p.dtype == q.dtype && p.weak == q.weak
        });
    let outputs = a.outputs.len() == b.outputs.len()
        && a.outputs.iter().zip(&b.outputs).all(|((s, x), (t, y))| {
            s == t
                && match (x, y) {
                    (
                        super::OutputValue::Root { n, weak, .. },
                        super::OutputValue::Root { n: m, weak: w, .. },
                    ) => n == m && weak == w,
                    _ => false,
                }
        });
    let probes = a.probes.len() == b.probes.len()
        && a.probes.iter().zip(&b.probes).all(|(p, q)| {
            p.forms == q.forms
                && p.step == q.step
                && p.n == q.n
                && p.branches == q.branches
                && (p.len >= 2 && q.len >= 2 || p.len == q.len)
        });
    params
        && outputs
        && probes
        && a.read == b.read
        && a.lendable == b.lendable
        && a.draws == b.draws
        && a.guards.len() == b.guards.len()
}

impl LoopState {
    /// Whether a loop that ran out of recordings records again: one whose slices move
    /// with the variable may have met a stretch of iterations no family covers (a slice
    /// empty until `k` reaches 30), so it tries three more recordings after pausing for
    /// a number of traced iterations that doubles each time.
    pub(super) fn retry_moving(&mut self) -> bool {
        if !self.moving || self.aborts >= super::MAX_ABORTS {
            return false;
        }
        if self.pause > 0 {
            self.pause -= 1;
            return false;
        }
        self.backoff = (self.backoff * 2).max(16);
        self.pause = self.backoff;
        self.recordings = super::MAX_RECORDINGS.saturating_sub(3);
        true
    }
}

impl Evaluator {
    /// A slice bound's value; while recording a `for` body, a bound affine in the loop
    /// variable is taken at its current value and its form returned too.
    pub(crate) fn slice_bound(
        &mut self,
        e: &Option<ast::Expr>,
    ) -> Ev<(Option<i64>, Option<Affine>)> {
        let Some(e) = e else {
            return Ok((None, None));
        };
        let v = self.eval(e)?;
        if let Value::Array(node) = &v
            && node.reads_param
            && node.value().is_none()
            && self.backend.joins_families()
            && let Some(rec) = &self.recording
            && let (Some(var), Some(k)) = (rec.loop_param, rec.loop_value)
            && let Some(form) = affine(node, var)
            && let Some(value) = form.at(k)
        {
            return Ok((Some(value), Some(form)));
        }
        Ok((Some(self.value_i64(&v, e.span)?), None))
    }

    /// Notes a slice whose bounds (`values`, of forms `forms`) move with the loop
    /// variable; stops the recording for a step other than ±1 (the length would not be
    /// affine).
    pub(crate) fn probe_slice(
        &mut self,
        values: [Option<i64>; 2],
        forms: [Option<Affine>; 2],
        step: Option<i64>,
        n: usize,
    ) -> Result<()> {
        if forms == [None, None] {
            return Ok(());
        }
        if !matches!(step, None | Some(1) | Some(-1)) {
            return Err(self.stop_recording());
        }
        let s = step.unwrap_or(1);
        let branches = values.map(|v| v.map_or(0, |v| branch(v, n, s)));
        let len = crate::lower::index::slice_indices(values[0], values[1], step, n)
            .map_or(0, |(_, _, len)| len);
        if let Some(rec) = self.recording.as_mut() {
            rec.probes.push(Probe {
                forms,
                values,
                step,
                n,
                branches,
                len,
            });
        }
        Ok(())
    }

    /// Whether `program`'s probes all fit the loop variable's value `k` (see [`Probe`]),
    /// and a family's backend plan is well formed there.
    pub(super) fn probes_fit(&mut self, program: &Program, k: Option<i64>) -> bool {
        if program.probes.is_empty() {
            return true;
        }
        let Some(k) = k else { return false };
        program.probes.iter().all(|p| p.fits(k, program.family))
            && (!program.family || self.backend.family_at(program.id, k))
    }

    /// Puts a program that no longer applies aside when it may join a family (it has
    /// probes); otherwise releases it.
    pub(super) fn set_aside(&mut self, state: &mut LoopState, old: Program) {
        if old.probes.is_empty() || old.family || old.recorded_at.is_none() {
            self.backend.release(old.id);
            return;
        }
        state.trail.push(old);
        if state.trail.len() > 2 {
            let oldest = state.trail.remove(0);
            self.backend.release(oldest.id);
        }
    }

    /// A new recording, joined with the two put aside before it into one family program
    /// when the backend finds them one; otherwise the recording itself.
    pub(super) fn join(&mut self, state: &mut LoopState, program: Program) -> Result<Program> {
        let Some(at) = program.recorded_at else {
            return Ok(program);
        };
        if program.probes.is_empty() || state.trail.len() < 2 {
            return Ok(program);
        }
        let (a, b) = (&state.trail[0], &state.trail[1]);
        let (Some(ka), Some(kb)) = (a.recorded_at, b.recorded_at) else {
            return Ok(program);
        };
        if !alike(a, &program) || !alike(b, &program) {
            return Ok(program);
        }
        let Some(id) = self
            .backend
            .join_family([a.id, b.id, program.id], [ka, kb, at])
        else {
            return Ok(program);
        };
        for old in state.trail.drain(..) {
            self.backend.release(old.id);
        }
        // A family stands for its recordings: joining one costs the loop a single
        // recording, so each new branch of its slices (a bound starting to clamp) may
        // record again.
        state.recordings = state.recordings.saturating_sub(2);
        self.backend.release(program.id);
        if self.options.explain {
            let text = format!(
                "the recordings at loop values {ka}, {kb} and {at} joined into one program \
                 for every value (its sizes and offsets move with the loop variable)\n"
            );
            if let Err(e) = self.write_out(&text) {
                self.backend.release(id);
                return Err(e);
            }
        }
        Ok(Program {
            id,
            family: true,
            ..program
        })
    }
}
