//! Fusion: turns the lazy graph into a [`Plan`] — kernels of the backend-neutral kernel IR
//! ([`ir`]) and the steps that are not kernels (library calls, gathers, scans), in order.
//!
//! A kernel is a maximal group of elementwise operations, views (broadcasts, transposes,
//! slices, reshapes of materialised arrays), casts, `where`, `arange` and random draws,
//! ending in a store or a reduction. A node is materialised (becomes a buffer) when it is
//! observed, when a non-kernel step reads it, when it is a reduction, or when it is
//! expensive and read by several nodes or broadcast to a larger shape (recomputing would
//! cost more than the memory traffic).
//!
//! *Invariant:* the plan computes exactly what `backend::interp` computes; every backend
//! executes the same plan.

pub mod family;
pub mod ir;
mod kernel;
pub mod math;
pub mod overlap;
mod simplify;
#[cfg(test)]
mod tests;
pub mod tree;

pub use ir::{Combine, Input, Inst, Kernel, Output, Source, Value, ValueId};

use crate::diag::Span;
use crate::dtype::DType;
use crate::graph::{EXPENSIVE, IndexItem, NodeRef, Op, fmt_shape};
use crate::runtime::Array;
use rustc_hash::FxHashMap as HashMap;
use std::fmt;
use std::rc::Rc;

/// Index of a buffer in a plan.
pub type BufId = usize;

/// A buffer of a plan: an input value or a step's result (always row-major contiguous).
#[derive(Debug, Clone)]
pub enum Buffer {
    /// A value computed before this plan ran (its own strides).
    Value(Rc<Array>),
    /// Parameter `index` of a prepared program, bound when the program runs (row-major).
    Param {
        /// Which parameter.
        index: usize,
        /// Shape of the values it is bound to.
        shape: Vec<usize>,
        /// Dtype of the values it is bound to.
        dtype: DType,
    },
    /// A value a backend keeps on its device (row-major), computed before this plan ran.
    Device(crate::runtime::DeviceValue),
    /// Produced by a step of the plan.
    Temp {
        /// Shape of the result.
        shape: Vec<usize>,
        /// Dtype of the result.
        dtype: DType,
    },
}

/// One step of a plan.
#[derive(Debug, Clone)]
pub enum Step {
    /// A fused kernel whose result, reshaped to `shape`, fills buffer `out`.
    Kernel {
        /// The kernel.
        kernel: Kernel,
        /// Its result buffer.
        out: BufId,
        /// The result's shape (a reduction's kept dims included).
        shape: Vec<usize>,
        /// For an indexed update: the buffer whose contents `out` starts from (the kernel
        /// then writes only its region). Reused in place when this is its last use.
        into: Option<BufId>,
        /// For an indexed update: whether the kernel may write into `into` itself although
        /// it reads it (its reads and writes never meet, see `overlap`). Always false for
        /// a kernel with dynamic offsets: `overlap::update_in_place_ok` of the resolved
        /// kernel decides when it runs.
        in_place_ok: bool,
        /// The source of the node it computes (for errors about the kernel as a whole).
        span: Span,
    },
    /// A node computed whole (library call, gather, scan, complex functions other than
    /// `+ - *`, `conj`, `real`, `imag`, `abs`) from buffers.
    Node {
        /// The node (its op, shape and dtype).
        node: NodeRef,
        /// Where its inputs are read, in order.
        inputs: Vec<Arg>,
        /// Its result buffer.
        out: BufId,
    },
}

/// How a step that is not a kernel reads one input.
#[derive(Debug, Clone)]
pub struct Arg {
    /// The buffer holding the input's elements.
    pub buf: BufId,
    /// `None`: the whole buffer. Otherwise the input is this strided view of the buffer (a
    /// slice, transpose, broadcast or reversal of it), read in place: only matrix products
    /// take views (see `Planner::step_arg`).
    pub view: Option<crate::runtime::strided::Strided>,
}

/// What computes a set of roots: buffers, steps in order, and the buffers of the roots.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Every buffer the plan reads or writes.
    pub buffers: Vec<Buffer>,
    /// Steps in execution order.
    pub steps: Vec<Step>,
    /// The buffer of each root.
    pub roots: Vec<BufId>,
    /// Nodes other than the roots that the plan computes into buffers anyway and that
    /// something outside the graph still holds (a name bound to a lazy value, `C` in
    /// `Z = Z * Z + C`): their values are kept, so they are not computed again by the next
    /// plan that reads them. Only plans built with `keep_held` have them.
    pub kept: Vec<(BufId, NodeRef)>,
}

impl Plan {
    /// The plan that computes `roots`; with `keep_held`, it also lists the values worth
    /// keeping (see [`Plan::kept`]).
    pub fn build(roots: &[NodeRef], keep_held: bool) -> Plan {
        let mut p = Planner {
            keep_held,
            ..Planner::default()
        };
        let mut seen = std::collections::HashSet::new();
        for r in roots {
            count_users(r, &mut p.users, &mut p.occurrences, &mut seen);
            p.roots.insert(r.id);
        }
        // Computed in `update_order`, listed in the given order.
        let mut bufs = HashMap::default();
        for r in overlap::update_order(roots) {
            bufs.insert(r.id, p.materialize(&r));
        }
        let roots = roots.iter().map(|r| bufs[&r.id]).collect();
        Plan {
            buffers: p.buffers,
            steps: p.steps,
            roots,
            kept: p.kept,
        }
    }

    /// For each step, the buffers the plan produces (`Temp`) that no later step reads and
    /// that are not roots: they can be reused once the step has run.
    pub fn dying_after(&self, last_uses: &[usize]) -> Vec<Vec<BufId>> {
        let mut dying = vec![vec![]; self.steps.len()];
        for (b, &l) in last_uses.iter().enumerate() {
            if l < self.steps.len() && matches!(self.buffers[b], Buffer::Temp { .. }) {
                dying[l].push(b);
            }
        }
        dying
    }

    /// For each buffer, the index of the last step that reads it (roots live to the end).
    pub fn last_uses(&self) -> Vec<usize> {
        let mut last = vec![0; self.buffers.len()];
        for (s, step) in self.steps.iter().enumerate() {
            match step {
                Step::Kernel { kernel, into, .. } => {
                    for i in &kernel.inputs {
                        if let Source::Buffer(b) = i.source {
                            last[b] = s;
                        }
                    }
                    for b in kernel.position_buffers() {
                        last[b] = s;
                    }
                    if let Some(b) = into {
                        last[*b] = s;
                    }
                }
                Step::Node { inputs, .. } => inputs.iter().for_each(|a| last[a.buf] = s),
            }
        }
        for &r in self.roots.iter().chain(self.kept.iter().map(|(b, _)| b)) {
            last[r] = usize::MAX;
        }
        last
    }
}

/// Counts, for every node not yet computed, how many distinct nodes read it (`users`) and
/// how many input slots of the graph hold it (`occurrences`).
fn count_users(
    node: &NodeRef,
    users: &mut HashMap<u64, usize>,
    occurrences: &mut HashMap<u64, usize>,
    seen: &mut std::collections::HashSet<u64>,
) {
    if !seen.insert(node.id) || node.value().is_some() {
        return;
    }
    for i in &node.inputs {
        *occurrences.entry(i.id).or_default() += 1;
    }
    let mut distinct: Vec<&NodeRef> = node.inputs.iter().collect();
    distinct.dedup_by_key(|n| n.id);
    for i in distinct {
        *users.entry(i.id).or_default() += 1;
        count_users(i, users, occurrences, seen);
    }
}

/// Builds plans: owns the buffers and steps made so far.
#[derive(Default)]
struct Planner {
    buffers: Vec<Buffer>,
    steps: Vec<Step>,
    done: HashMap<u64, BufId>,
    users: HashMap<u64, usize>,
    occurrences: HashMap<u64, usize>,
    cost: HashMap<u64, u32>,
    roots: std::collections::HashSet<u64>,
    keep_held: bool,
    kept: Vec<(BufId, NodeRef)>,
}

impl Planner {
    /// The buffer holding `node`'s value, adding the steps that compute it.
    fn materialize(&mut self, node: &NodeRef) -> BufId {
        if let Some(&b) = self.done.get(&node.id) {
            return b;
        }
        // Before any step of this plan holds a clone of it.
        let held = self.keep_held && self.held_outside(node);
        let buf = if let Some(v) = node.value() {
            self.push_buffer(Buffer::Value(v))
        } else if let Op::Device(d) = &node.op {
            self.push_buffer(Buffer::Device(d.clone()))
        } else if let Op::Param(index) = node.op {
            self.push_buffer(Buffer::Param {
                index,
                shape: node.shape.clone(),
                dtype: node.dtype,
            })
        } else if let Some((kernel, old)) = kernel::build_update(self, node) {
            let out = self.temp(node);
            // With positions known only at run time, the backend decides when it runs.
            let in_place_ok =
                !kernel.has_dynamic() && overlap::update_in_place_ok(&kernel, old, &node.shape);
            self.steps.push(Step::Kernel {
                kernel,
                out,
                shape: node.shape.clone(),
                into: Some(old),
                in_place_ok,
                span: node.span,
            });
            out
        } else if let Some(out) = self.concat(node) {
            out
        } else if !scalar_arithmetic(node)
            && let Some(kernel) = kernel::build(self, node)
        {
            let out = self.temp(node);
            self.steps.push(Step::Kernel {
                kernel,
                out,
                shape: node.shape.clone(),
                into: None,
                in_place_ok: false,
                span: node.span,
            });
            out
        } else {
            let views = matches!(node.op, Op::MatMul);
            let inputs = node
                .inputs
                .iter()
                .map(|i| self.step_arg(i, views))
                .collect();
            let out = self.temp(node);
            self.steps.push(Step::Node {
                node: node.clone(),
                inputs,
                out,
            });
            out
        };
        self.done.insert(node.id, buf);
        if held {
            self.kept.push((buf, node.clone()));
        }
        buf
    }

    /// How a step that is not a kernel reads input `x`: with `views`, a slice, transpose,
    /// broadcast or reversal of a buffer is read in place (no copy); otherwise, and for
    /// anything computed, from `x`'s own buffer.
    fn step_arg(&mut self, x: &NodeRef, views: bool) -> Arg {
        let layout = matches!(
            x.op,
            Op::Index(_) | Op::Transpose(_) | Op::BroadcastTo | Op::Reshape
        );
        if views
            && layout
            && x.value().is_none()
            && !self.done.contains_key(&x.id)
            && let Some((buf, view)) = kernel::strided_view(self, x)
        {
            return Arg {
                buf,
                view: Some(view),
            };
        }
        Arg {
            buf: self.materialize(x),
            view: None,
        }
    }

    /// Whether a node this plan computes into a buffer is also held outside the graph (a
    /// name): more references than the graph's own input slots.
    fn held_outside(&self, node: &NodeRef) -> bool {
        node.value().is_none()
            && !node.reads_param
            && !self.roots.contains(&node.id)
            // A device value is not computed by the plan: keeping it would read it back
            // (a GPU's) or gather it whole (a spread one) just to hold a host copy.
            && !matches!(node.op, Op::Param(_) | Op::Device(_))
            && Rc::strong_count(node) > self.occurrences.get(&node.id).copied().unwrap_or(0)
    }

    /// A concatenation as one kernel per part, each storing into its block of the result
    /// (the parts' views fused, no copies of them); `None` when it is not done by kernels.
    fn concat(&mut self, node: &NodeRef) -> Option<BufId> {
        let Op::Concat(axis) = node.op else {
            return None;
        };
        if node.dtype == DType::C128 || node.size() == 0 {
            return None;
        }
        let mut written: Option<BufId> = None;
        let mut start = 0;
        for part in &node.inputs {
            let len = part.shape[axis];
            if part.size() > 0 {
                let kernel = kernel::build_part(self, part, &node.shape, axis, start);
                let out = self.temp(node);
                self.steps.push(Step::Kernel {
                    kernel,
                    out,
                    shape: node.shape.clone(),
                    into: written,
                    in_place_ok: false,
                    span: node.span,
                });
                written = Some(out);
            }
            start += len;
        }
        written
    }

    /// A row-major copy of buffer `b`, which holds `x`.
    fn contiguous_copy(&mut self, x: &NodeRef, b: BufId) -> BufId {
        let kernel = kernel::copy(self, x, b);
        let out = self.temp(x);
        self.steps.push(Step::Kernel {
            kernel,
            out,
            shape: x.shape.clone(),
            into: None,
            in_place_ok: false,
            span: x.span,
        });
        out
    }

    fn temp(&mut self, node: &NodeRef) -> BufId {
        self.push_buffer(Buffer::Temp {
            shape: node.shape.clone(),
            dtype: node.dtype,
        })
    }

    fn push_buffer(&mut self, b: Buffer) -> BufId {
        self.buffers.push(b);
        self.buffers.len() - 1
    }

    /// The shape and element strides of a buffer.
    fn layout(&self, b: BufId) -> (Vec<usize>, Vec<i64>) {
        match &self.buffers[b] {
            Buffer::Value(a) => (a.shape().to_vec(), a.strides()),
            Buffer::Temp { shape, .. }
            | Buffer::Param { shape, .. }
            | Buffer::Device(crate::runtime::DeviceValue { shape, .. }) => {
                (shape.clone(), contiguous_strides(shape))
            }
        }
    }

    /// Whether a buffer is row-major contiguous (so any reshape of it is a view).
    fn is_contiguous(&self, b: BufId) -> bool {
        let (shape, strides) = self.layout(b);
        shape.iter().product::<usize>() <= 1
            || shape
                .iter()
                .zip(strides.iter().zip(contiguous_strides(&shape)))
                .all(|(&d, (&s, c))| d == 1 || s == c)
    }

    /// About how many cycles computing one element of `node` costs where it is fused: the
    /// sum of [`own_cost`] over the distinct nodes of its graph not already buffers (a
    /// kernel computes a shared subexpression once); capped, so the walk stays short.
    fn cost(&mut self, node: &NodeRef) -> u32 {
        if let Some(&c) = self.cost.get(&node.id) {
            return c;
        }
        let mut seen = std::collections::HashSet::new();
        let mut stack = vec![node];
        let mut total = 0u32;
        while let Some(n) = stack.pop() {
            if n.value().is_some() || self.done.contains_key(&n.id) || !seen.insert(n.id) {
                continue;
            }
            total = total.saturating_add(own_cost(n));
            if total >= COST_CAP || seen.len() >= COST_CAP as usize {
                total = total.max(COST_CAP);
                break;
            }
            stack.extend(n.inputs.iter());
        }
        self.cost.insert(node.id, total);
        total
    }

    /// Whether `node`, read by a kernel computing over `size` elements, should be a buffer
    /// rather than fused: recomputing it for each extra reader (beyond the `local` readers
    /// the kernel computes it once for) or each broadcast element costs more than a trip
    /// through memory.
    fn should_materialize(&mut self, node: &NodeRef, size: usize, local: usize) -> bool {
        let users = self.users.get(&node.id).copied().unwrap_or(0);
        let extra = if users >= 2 && users != local {
            users - 1
        } else {
            0
        };
        let broadcast = node.size() < size;
        if extra == 0 && !broadcast {
            return false;
        }
        let cost = self.cost(node);
        cost >= EXPENSIVE || (extra as u32).saturating_mul(cost) >= RECOMPUTE_LIMIT
    }
}

/// About how many cycles one element of `node`'s own operation costs: 1 for plain
/// arithmetic, 0 for moves, 4 for a division or square root, [`EXPENSIVE`] for
/// transcendentals, powers and random draws.
fn own_cost(node: &NodeRef) -> u32 {
    match &node.op {
        Op::Unary(u) => u.cost(),
        Op::Random { .. } => EXPENSIVE,
        Op::Binary { op, .. } => op.cost(),
        _ => 0,
    }
}

/// Costs are not added up beyond this (nor more nodes visited).
const COST_CAP: u32 = 256;
/// Recomputing a shared node for all its extra readers costs at least this much per
/// element before it is made a buffer instead (a write and a read).
const RECOMPUTE_LIMIT: u32 = 8;

/// Whether `node` is arithmetic on 0-d values only (`j - 1` of a loop variable): computed
/// as a step of its own, which costs less than launching a kernel for one element.
fn scalar_arithmetic(node: &NodeRef) -> bool {
    node.shape.is_empty()
        && matches!(
            node.op,
            Op::Unary(_) | Op::Binary { .. } | Op::Cast | Op::Where
        )
        && node.inputs.iter().all(|i| i.shape.is_empty())
}

/// Row-major element strides of `shape`.
pub fn contiguous_strides(shape: &[usize]) -> Vec<i64> {
    let mut strides = vec![0; shape.len()];
    fill_contiguous_strides(shape, &mut strides);
    strides
}

/// Writes [`contiguous_strides`] of `shape` into `strides` (as long as `shape`), for
/// callers that keep them on the stack.
pub fn fill_contiguous_strides(shape: &[usize], strides: &mut [i64]) {
    let mut acc = 1i64;
    for d in (0..shape.len()).rev() {
        strides[d] = acc;
        acc *= shape[d].max(1) as i64;
    }
}

/// Whether an index spec is basic (positions and slices only), so it is a strided view.
fn is_basic(items: &[IndexItem]) -> bool {
    items.iter().all(|i| !matches!(i, IndexItem::Array))
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kernels = self
            .steps
            .iter()
            .filter(|s| matches!(s, Step::Kernel { .. }))
            .count();
        writeln!(
            f,
            "plan: {} steps ({kernels} kernels), {} buffers",
            self.steps.len(),
            self.buffers.len()
        )?;
        for (b, buf) in self.buffers.iter().enumerate() {
            match buf {
                Buffer::Value(a) => {
                    writeln!(f, "  buf{b} = input {}{}", a.dtype(), fmt_shape(a.shape()))?
                }
                Buffer::Param {
                    index,
                    shape,
                    dtype,
                } => writeln!(f, "  buf{b} = param {index} {dtype}{}", fmt_shape(shape))?,
                Buffer::Device(d) => {
                    writeln!(f, "  buf{b} = on device {}{}", d.dtype, fmt_shape(&d.shape))?
                }
                Buffer::Temp { .. } => {}
            }
        }
        for step in &self.steps {
            match step {
                Step::Kernel {
                    kernel,
                    out,
                    shape,
                    into,
                    ..
                } => {
                    let from = into.map_or(String::new(), |b| format!("buf{b} updated by "));
                    write!(
                        f,
                        "  buf{out} : {}{} = {from}{kernel}",
                        kernel.result_dtype(),
                        fmt_shape(shape)
                    )?;
                }
                Step::Node { node, inputs, out } => {
                    let args: Vec<String> = inputs
                        .iter()
                        .map(|a| match &a.view {
                            None => format!("buf{}", a.buf),
                            Some(v) => format!(
                                "buf{}[view offset={} strides={:?}]",
                                a.buf, v.offset, v.strides
                            ),
                        })
                        .collect();
                    writeln!(
                        f,
                        "  buf{out} : {}{} = {} {}",
                        node.dtype,
                        fmt_shape(&node.shape),
                        node.op.label(),
                        args.join(" ")
                    )?;
                }
            }
        }
        let roots: Vec<String> = self.roots.iter().map(|b| format!("buf{b}")).collect();
        writeln!(f, "  result {}", roots.join(" "))
    }
}
