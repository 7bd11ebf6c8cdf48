//! Plan families: one plan for every value of a loop variable, when a loop body's plans
//! differ from one iteration to the next only in sizes and offsets that move with the
//! variable (`dot(flip(r[:k]), y[:k])`, PolyBench's triangular loops).
//!
//! [`Family::fit`] takes the plans prepared at three values of the variable. They must be
//! the same plan — the same buffers, steps, kernels, constants and library calls — but for
//! their integers (shapes, iteration dims, offsets, strides, views), and every integer
//! must be an affine function of the variable through the three points. The family is
//! then the first plan and each integer's slope; [`Family::instantiate`] writes the
//! integers for another value into a plan in place (no allocation, no fusing, no
//! compiling).
//!
//! *Why this is sound:* the evaluator only fits a family when the body's shapes depend on
//! the variable through slice bounds affine in it, and only runs one at a value where
//! every such slice has the same normalisation branch (no clamping or wrapping that the
//! recordings did not see) and at least two elements (so no size-0 or size-1 special
//! case); there, every size is affine in the variable and the plan's structure does not
//! depend on it. As a safety net, `instantiate` checks that every address a varying
//! kernel or view reaches lies inside its buffer, and refuses the value otherwise. What
//! depends on a size and not on the structure — whether an update may write in place —
//! is decided again for each value.

use super::ir::Source;
use super::{Buffer, Plan, Step};
use crate::dtype::DType;
use crate::graph::Op;

/// What owns an integer of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Buffer(usize),
    Step(usize),
}

/// Calls `f` on every integer of `plan` that may move with a loop variable, in a fixed
/// order, with its number in that order. `usize` fields are passed as `i64` and written
/// back; a negative value written to one sets `negative`. With `only` (per step: whether
/// to visit it, and how many integers it has), the integers of steps it marks false are
/// skipped (but numbered). Returns how many integers there are.
fn visit(
    plan: &mut Plan,
    negative: &mut bool,
    only: Option<(&[bool], &[usize])>,
    f: &mut dyn FnMut(usize, Owner, &mut i64),
) -> usize {
    let n = std::cell::Cell::new(0);
    let mut f = |owner, v: &mut i64| {
        f(n.get(), owner, v);
        n.set(n.get() + 1);
    };
    let f = &mut f;
    for (b, buffer) in plan.buffers.iter_mut().enumerate() {
        if let Buffer::Param { shape, .. } | Buffer::Temp { shape, .. } = buffer {
            sizes(f, Owner::Buffer(b), shape, negative);
        }
    }
    for (s, step) in plan.steps.iter_mut().enumerate() {
        let owner = Owner::Step(s);
        if let Some((visited, counts)) = only
            && !visited.get(s).copied().unwrap_or(true)
        {
            n.set(n.get() + counts.get(s).copied().unwrap_or(0));
            continue;
        }
        match step {
            Step::Kernel { kernel, shape, .. } => {
                sizes(f, owner, &mut kernel.dims, negative);
                sizes(f, owner, shape, negative);
                for input in &mut kernel.inputs {
                    f(owner, &mut input.offset);
                    input.strides.iter_mut().for_each(|x| f(owner, x));
                }
                f(owner, &mut kernel.out_offset);
                kernel.out_strides.iter_mut().for_each(|x| f(owner, x));
            }
            Step::Node { node, inputs, .. } => {
                let mut shape: smallvec::SmallVec<[usize; 4]> =
                    node.shape.iter().copied().collect();
                sizes(f, owner, &mut shape, negative);
                if !shape.iter().eq(&node.shape) {
                    *node = node.with_shape(shape.to_vec());
                }
                for view in inputs.iter_mut().filter_map(|a| a.view.as_mut()) {
                    f(owner, &mut view.offset);
                    view.strides.iter_mut().for_each(|x| f(owner, x));
                    sizes(f, owner, &mut view.shape, negative);
                }
            }
        }
    }
    n.get()
}

/// [`visit`] over sizes: each passed as an `i64`, written back, `negative` set when one
/// comes back negative.
fn sizes(f: &mut dyn FnMut(Owner, &mut i64), owner: Owner, xs: &mut [usize], negative: &mut bool) {
    for x in xs {
        let mut v = *x as i64;
        f(owner, &mut v);
        *negative |= v < 0;
        *x = v.max(0) as usize;
    }
}

/// The integers of `plan` and their owners, in [`visit`]'s order.
fn integers(plan: &Plan) -> Vec<(Owner, i64)> {
    let mut out = vec![];
    visit(&mut plan.clone(), &mut false, None, &mut |_, owner, v| {
        out.push((owner, *v))
    });
    out
}

/// Whether two plans are the same but for their integers (see the module docs).
fn same_structure(a: &Plan, b: &Plan) -> bool {
    let buffers = a.buffers.len() == b.buffers.len()
        && a.buffers.iter().zip(&b.buffers).all(|pair| match pair {
            (Buffer::Value(x), Buffer::Value(y)) => {
                std::rc::Rc::ptr_eq(x, y)
                    || x.shape() == y.shape()
                        && x.dtype() == y.dtype()
                        && (0..x.len()).all(|i| match (x.get_flat(i), y.get_flat(i)) {
                            (Some(p), Some(q)) => p.same_bits(q),
                            _ => false,
                        })
            }
            (
                Buffer::Param {
                    index: i, dtype: d, ..
                },
                Buffer::Param {
                    index: j, dtype: e, ..
                },
            ) => i == j && d == e,
            (Buffer::Temp { dtype: d, .. }, Buffer::Temp { dtype: e, .. }) => d == e,
            _ => false,
        });
    let steps = a.steps.len() == b.steps.len()
        && a.steps.iter().zip(&b.steps).all(|pair| match pair {
            (
                Step::Kernel {
                    kernel: k,
                    out: o,
                    into: i,
                    shape: s,
                    ..
                },
                Step::Kernel {
                    kernel: l,
                    out: p,
                    into: j,
                    shape: t,
                    ..
                },
            ) => {
                o == p
                    && i == j
                    && s.len() == t.len()
                    && k.dims.len() == l.dims.len()
                    && k.body == l.body
                    && k.output == l.output
                    && k.out_dynamic == l.out_dynamic
                    && k.inputs.len() == l.inputs.len()
                    && k.inputs.iter().zip(&l.inputs).all(|(x, y)| {
                        x.source == y.source
                            && x.dtype == y.dtype
                            && x.dynamic == y.dynamic
                            && x.strides.len() == y.strides.len()
                    })
            }
            (
                Step::Node {
                    node: m,
                    inputs: x,
                    out: o,
                },
                Step::Node {
                    node: n,
                    inputs: y,
                    out: p,
                },
            ) => {
                // Only a matrix product's result may change shape: it is computed from
                // its views and its shape alone. Any other call must be the same call
                // on the same shapes.
                let shapes_fixed = matches!(m.op, Op::MatMul)
                    || m.shape == n.shape
                        && m.inputs.len() == n.inputs.len()
                        && m.inputs
                            .iter()
                            .zip(&n.inputs)
                            .all(|(a, b)| a.shape == b.shape);
                o == p
                    && m.dtype == n.dtype
                    && shapes_fixed
                    && format!("{:?}", m.op) == format!("{:?}", n.op)
                    && x.len() == y.len()
                    && x.iter().zip(y).all(|(a, b)| {
                        a.buf == b.buf
                            && match (&a.view, &b.view) {
                                (Some(v), Some(w)) => v.shape.len() == w.shape.len(),
                                (None, None) => true,
                                _ => false,
                            }
                    })
            }
            _ => false,
        });
    buffers && steps && a.roots == b.roots && a.kept.is_empty() && b.kept.is_empty()
}

/// A plan for every value of a loop variable (see the module docs).
#[derive(Debug, Clone)]
pub struct Family {
    /// The integers at `at`, in [`visit`]'s order.
    base: Vec<i64>,
    /// Each integer's change per unit of the variable.
    slope: Vec<i64>,
    /// The value `base` was taken at.
    at: i64,
    /// Per step: whether any of its integers (or its buffers' sizes) varies.
    varies: Vec<bool>,
    /// Per step: how many of the integers are its own.
    counts: Vec<usize>,
}

impl Family {
    /// The family through `plans`, prepared at the variable's values `at` (distinct), or
    /// `None` when they are not one.
    pub fn fit(plans: [&Plan; 3], at: [i64; 3]) -> Option<Family> {
        if !same_structure(plans[0], plans[1]) || !same_structure(plans[0], plans[2]) {
            return None;
        }
        let ints = plans.map(integers);
        if ints[1].len() != ints[0].len() || ints[2].len() != ints[0].len() {
            return None;
        }
        let (d1, d2) = (at[1] - at[0], at[2] - at[0]);
        if d1 == 0 || d2 == 0 || d1 == d2 {
            return None;
        }
        let mut slope = Vec::with_capacity(ints[0].len());
        let mut varying_buffers = vec![false; plans[0].buffers.len()];
        let mut varies = vec![false; plans[0].steps.len()];
        for ((&(owner, v0), &(o1, v1)), &(o2, v2)) in ints[0].iter().zip(&ints[1]).zip(&ints[2]) {
            if owner != o1 || owner != o2 {
                return None;
            }
            // Exact affine through all three points.
            let s = (v1 - v0) / d1;
            if s * d1 != v1 - v0 || v0 + s * d2 != v2 {
                return None;
            }
            if s != 0 {
                match owner {
                    Owner::Buffer(b) => varying_buffers[b] = true,
                    Owner::Step(st) => varies[st] = true,
                }
            }
            slope.push(s);
        }
        // A step reading or writing a buffer whose size varies must have its addresses
        // checked too.
        for (s, step) in plans[0].steps.iter().enumerate() {
            let touches = match step {
                Step::Kernel {
                    kernel, out, into, ..
                } => {
                    kernel.inputs.iter().any(|i| match i.source {
                        Source::Buffer(b) => varying_buffers[b],
                        Source::Counter => false,
                    }) || varying_buffers[*out]
                        || into.is_some_and(|b| varying_buffers[b])
                }
                Step::Node { inputs, out, .. } => {
                    varying_buffers[*out] || inputs.iter().any(|a| varying_buffers[a.buf])
                }
            };
            varies[s] |= touches;
        }
        let mut counts = vec![0; plans[0].steps.len()];
        for (owner, _) in &ints[0] {
            if let Owner::Step(s) = owner {
                counts[*s] += 1;
            }
        }
        Some(Family {
            base: ints[0].iter().map(|&(_, v)| v).collect(),
            slope,
            at: at[0],
            varies,
            counts,
        })
    }

    /// Writes the integers for the variable's value `at` into `plan` (a plan of the
    /// family). False when some size would be negative or some address of a varying step
    /// would fall outside its buffer: the plan must then not run.
    pub fn instantiate(&self, plan: &mut Plan, at: i64) -> bool {
        let delta = at - self.at;
        let mut negative = false;
        let mut overflow = false;
        // Steps none of whose integers vary keep them as they are.
        let n = visit(
            plan,
            &mut negative,
            Some((&self.varies, &self.counts)),
            &mut |n, _, v| {
                let (b, s) = (self.base.get(n), self.slope.get(n));
                match (b, s) {
                    (Some(&b), Some(&s)) => {
                        match s.checked_mul(delta).and_then(|d| b.checked_add(d)) {
                            Some(x) => *v = x,
                            None => overflow = true,
                        }
                    }
                    _ => overflow = true,
                }
            },
        );
        if negative || overflow || n != self.base.len() {
            return false;
        }
        self.addresses_inside(plan)
    }

    /// Whether every address a varying step reaches lies inside its buffer, and each
    /// varying update's in-place decision is made for these sizes.
    fn addresses_inside(&self, plan: &mut Plan) -> bool {
        let Plan { buffers, steps, .. } = plan;
        for (step, _) in steps.iter_mut().zip(&self.varies).filter(|(_, v)| **v) {
            match step {
                Step::Kernel {
                    kernel,
                    shape,
                    into,
                    in_place_ok,
                    ..
                } => {
                    for input in &kernel.inputs {
                        if let Source::Buffer(b) = input.source
                            && input.dynamic.is_empty()
                            && !inside(
                                elements(&buffers[b], input.dtype),
                                input.offset,
                                &input.strides,
                                &kernel.dims,
                            )
                        {
                            return false;
                        }
                    }
                    // The output holds the kernel's result dtype, `shape` of it.
                    let out_elements = shape.iter().product::<usize>() as i64;
                    if kernel.out_dynamic.is_empty()
                        && matches!(kernel.output, super::Output::Store(_))
                        && !inside(
                            Some(out_elements),
                            kernel.out_offset,
                            &kernel.out_strides,
                            &kernel.dims,
                        )
                    {
                        return false;
                    }
                    if let Some(b) = into
                        && !kernel.has_dynamic()
                    {
                        *in_place_ok = super::overlap::update_in_place_ok(kernel, *b, shape);
                    }
                }
                // Views are checked against their arrays when the step reads them
                // (`runtime::strided::view`).
                Step::Node { .. } => {}
            }
        }
        true
    }
}

/// Elements of dtype `read` in a buffer, or `None` when its layout is not known to be
/// row-major.
fn elements(buffer: &Buffer, read: DType) -> Option<i64> {
    let (len, dtype) = match buffer {
        Buffer::Param { shape, dtype, .. } | Buffer::Temp { shape, dtype } => {
            (shape.iter().product::<usize>(), *dtype)
        }
        Buffer::Value(a) if a.is_standard_layout() => (a.len(), a.dtype()),
        Buffer::Value(_) | Buffer::Device(_) => return None,
    };
    Some(len as i64 * halves(read, Some(dtype)))
}

/// How many `read` elements one element of `held` is: 2 for a complex buffer read as its
/// f64 halves, else 1.
fn halves(read: DType, held: Option<DType>) -> i64 {
    if held == Some(DType::C128) && read != DType::C128 {
        2
    } else {
        1
    }
}

/// Whether the addresses `offset + Σ coord·strides` over `dims` lie in `0..len`.
fn inside(len: Option<i64>, offset: i64, strides: &[i64], dims: &[usize]) -> bool {
    let Some(len) = len else { return false };
    if dims.contains(&0) {
        return true;
    }
    let (lo, hi) = crate::runtime::strided::span(offset, strides, dims);
    lo >= 0 && hi < len
}
