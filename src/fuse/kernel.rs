//! Building one kernel: walks the graph from a kernel's root through fusible nodes, carrying
//! a view (an affine map from iteration coordinates to the node's coordinates) down to the
//! leaves, where it becomes an input's offset and strides.

use super::ir::{Combine, Input, Inst, Kernel, Output, Source, Value, ValueId};
use super::{Planner, contiguous_strides, is_basic};
use crate::dtype::DType;
use crate::graph::{BinaryOp, Distribution, IndexItem, NodeRef, Op, UnaryOp};
use crate::runtime::Scalar;
use rustc_hash::FxHashMap as HashMap;

/// One node coordinate as a function of the iteration coordinates:
/// `offset + scale · coord[dim]` (just `offset` when `dim` is `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Coord {
    dim: Option<usize>,
    scale: i64,
    offset: i64,
}

type View = Vec<Coord>;

fn identity(ndim: usize) -> View {
    (0..ndim)
        .map(|d| Coord {
            dim: Some(d),
            scale: 1,
            offset: 0,
        })
        .collect()
}

/// The kernel computing `node`, or `None` when the node is not a kernel root (a library call,
/// a gather, complex arithmetic, an empty array...).
pub(super) fn build(planner: &mut Planner, node: &NodeRef) -> Option<Kernel> {
    if node.size() == 0 || !fusible(node) && !matches!(node.op, Op::Reduce { .. }) {
        return None;
    }
    if let Op::Reduce { op, axis, .. } = &node.op {
        let combine = Combine::of(*op)?;
        let x = &node.inputs[0];
        if x.dtype == DType::C128 || x.size() == 0 {
            return None;
        }
        let r = x.shape.len();
        let (dims, view) = match axis {
            None => (x.shape.clone(), identity(r)),
            Some(a) => {
                let mut dims: Vec<usize> =
                    (0..r).filter(|&d| d != *a).map(|d| x.shape[d]).collect();
                dims.push(x.shape[*a]);
                let view = (0..r)
                    .map(|d| Coord {
                        dim: Some(if d == *a {
                            r - 1
                        } else {
                            d - usize::from(d > *a)
                        }),
                        scale: 1,
                        offset: 0,
                    })
                    .collect();
                (dims, view)
            }
        };
        let mut b = Builder::new(planner, dims);
        b.count_local_users(x);
        let size = x.size();
        let v = b.emit(x, &view, size);
        let v = b.cast(v, node.dtype);
        let v = match combine {
            Combine::Any | Combine::All => b.cast(v, DType::Bool),
            _ => v,
        };
        let output = Output::Reduce {
            combine,
            value: v,
            axis: axis.is_some(),
            divide: *op == crate::graph::ReduceOp::Mean,
        };
        return Some(b.finish(output));
    }
    let mut b = Builder::new(planner, node.shape.clone());
    b.count_local_users(node);
    let v = b.emit_root(node);
    let v = b.cast(v, node.dtype);
    Some(b.finish(Output::Store(v)))
}

/// The inputs and body values the output depends on, renumbered in order (constants folded
/// into casts leave dead values behind).
fn live_only(
    inputs: Vec<Input>,
    body: Vec<Value>,
    output: Output,
) -> (Vec<Input>, Vec<Value>, Output) {
    let mut live = vec![false; body.len()];
    live[output.value()] = true;
    for v in (0..body.len()).rev() {
        if !live[v] {
            continue;
        }
        match body[v].inst {
            Inst::Unary(_, a) | Inst::Cast(a) => live[a] = true,
            Inst::Random { counter, .. } => live[counter] = true,
            Inst::Binary(_, a, b) => {
                live[a] = true;
                live[b] = true;
            }
            Inst::Select(c, a, b) => {
                live[c] = true;
                live[a] = true;
                live[b] = true;
            }
            Inst::Load(_) | Inst::Const(_) => {}
        }
    }
    let mut new_id = vec![usize::MAX; body.len()];
    let mut input_id = vec![usize::MAX; inputs.len()];
    let mut kept_inputs = Vec::new();
    let mut kept = Vec::new();
    for (v, value) in body.into_iter().enumerate() {
        if !live[v] {
            continue;
        }
        let map = |x: usize| new_id[x];
        let inst = match value.inst {
            Inst::Load(n) => {
                if input_id[n] == usize::MAX {
                    input_id[n] = kept_inputs.len();
                    kept_inputs.push(inputs[n].clone());
                }
                Inst::Load(input_id[n])
            }
            Inst::Const(c) => Inst::Const(c),
            Inst::Unary(op, a) => Inst::Unary(op, map(a)),
            Inst::Binary(op, a, b) => Inst::Binary(op, map(a), map(b)),
            Inst::Select(c, a, b) => Inst::Select(map(c), map(a), map(b)),
            Inst::Cast(a) => Inst::Cast(map(a)),
            Inst::Random {
                dist,
                seed,
                draw,
                counter,
            } => Inst::Random {
                dist,
                seed,
                draw,
                counter: map(counter),
            },
        };
        new_id[v] = kept.len();
        kept.push(Value {
            inst,
            dtype: value.dtype,
        });
    }
    let output = match output {
        Output::Store(v) => Output::Store(new_id[v]),
        Output::Reduce {
            combine,
            value,
            axis,
            divide,
        } => Output::Reduce {
            combine,
            value: new_id[value],
            axis,
            divide,
        },
    };
    (kept_inputs, kept, output)
}

/// A store kernel copying buffer `b` (holding `x`) to a new row-major buffer.
pub(super) fn copy(planner: &mut Planner, x: &NodeRef, b: super::BufId) -> Kernel {
    let mut k = Builder::new(planner, x.shape.clone());
    let (_, strides) = k.planner.layout(b);
    let v = k.load(
        Source::Buffer(b),
        x.dtype,
        0,
        &strides,
        &identity(x.shape.len()),
    );
    k.finish(Output::Store(v))
}

/// The kernel of an indexed update `x[spec] = v` with a basic `spec`: it stores `v` into the
/// region of a row-major copy of `x` (or of `x` itself when nothing else needs it). Returns
/// the kernel and the buffer holding `x`; `None` when the update is not a kernel.
pub(super) fn build_update(
    planner: &mut Planner,
    node: &NodeRef,
) -> Option<(Kernel, super::BufId)> {
    let Op::Update(spec) = &node.op else {
        return None;
    };
    if node.dtype == DType::C128
        || node.size() == 0
        || !is_basic(&spec.items)
        || node.inputs.len() != 2
    {
        return None;
    }
    let region = spec.result_shape();
    if region.iter().product::<usize>() == 0 {
        return None;
    }
    let old = planner.materialize(&node.inputs[0]);
    let base = contiguous_strides(&node.shape);
    let mut b = Builder::new(planner, region.clone());
    b.out_offset = 0;
    b.out_strides.clear();
    for (item, &stride) in spec.items.iter().zip(&base) {
        match item {
            IndexItem::At(p) => b.out_offset += stride * *p as i64,
            IndexItem::Slice { start, step, .. } => {
                b.out_offset += stride * start;
                b.out_strides.push(stride * step);
            }
            IndexItem::Array => unreachable!("basic index only"),
        }
    }
    let v = &node.inputs[1];
    let skip = region.len() - v.shape.len();
    let view: View = v
        .shape
        .iter()
        .enumerate()
        .map(|(j, &d)| {
            if d == 1 && region[j + skip] != 1 {
                Coord {
                    dim: None,
                    scale: 0,
                    offset: 0,
                }
            } else {
                Coord {
                    dim: Some(j + skip),
                    scale: 1,
                    offset: 0,
                }
            }
        })
        .collect();
    let size = region.iter().product();
    let x = b.emit(v, &view, size);
    let x = b.cast(x, node.dtype);
    Some((b.finish(Output::Store(x)), old))
}

/// Whether a node's own operation can be part of a kernel.
fn fusible(node: &NodeRef) -> bool {
    if node.dtype == DType::C128 || node.inputs.iter().any(|i| i.dtype == DType::C128) {
        return false;
    }
    match &node.op {
        Op::Fill(_) | Op::Arange { .. } | Op::Random { .. } => true,
        Op::Unary(_) | Op::Where | Op::Cast | Op::BroadcastTo | Op::Transpose(_) => true,
        Op::Reshape => true,
        Op::Binary { op, compute } => !(*op == BinaryOp::Pow && *compute == DType::I64),
        Op::Index(spec) => is_basic(&spec.items) && node.inputs.len() == 1,
        _ => false,
    }
}

struct Builder<'p> {
    planner: &'p mut Planner,
    dims: Vec<usize>,
    out_offset: i64,
    out_strides: Vec<i64>,
    inputs: Vec<Input>,
    body: Vec<Value>,
    memo: HashMap<(u64, View), ValueId>,
    /// For nodes reached from the root through elementwise ops of the root's shape (so at
    /// the root's view): how many distinct nodes read them there.
    local_users: HashMap<u64, usize>,
}

impl<'p> Builder<'p> {
    fn new(planner: &'p mut Planner, dims: Vec<usize>) -> Builder<'p> {
        Builder {
            planner,
            out_offset: 0,
            out_strides: contiguous_strides(&dims),
            dims,
            inputs: vec![],
            body: vec![],
            memo: HashMap::default(),
            local_users: HashMap::default(),
        }
    }

    /// Fills `local_users` from `root`: a node all of whose readers are counted there is
    /// computed once per element by this kernel however many read it (`sqrt(x) + x * x`
    /// with `x` a draw needs no buffer for `x`).
    fn count_local_users(&mut self, root: &NodeRef) {
        let mut stack = vec![root.clone()];
        let mut seen = std::collections::HashSet::new();
        while let Some(node) = stack.pop() {
            if !seen.insert(node.id) {
                continue;
            }
            let elementwise = matches!(
                node.op,
                Op::Unary(_) | Op::Binary { .. } | Op::Where | Op::Cast
            );
            if !elementwise || !fusible(&node) {
                continue;
            }
            // Counted as `fuse::count_users` counts.
            let mut distinct: Vec<&NodeRef> = node.inputs.iter().collect();
            distinct.dedup_by_key(|n| n.id);
            for i in distinct {
                if i.shape == node.shape && i.value().is_none() {
                    *self.local_users.entry(i.id).or_default() += 1;
                    stack.push(i.clone());
                }
            }
        }
    }

    fn push(&mut self, inst: Inst, dtype: DType) -> ValueId {
        if let Some(i) = self
            .body
            .iter()
            .position(|v| v.inst == inst && v.dtype == dtype)
        {
            return i;
        }
        self.body.push(Value { inst, dtype });
        self.body.len() - 1
    }

    fn cast(&mut self, v: ValueId, dtype: DType) -> ValueId {
        match self.body[v].inst {
            _ if self.body[v].dtype == dtype => v,
            Inst::Const(s) => self.constant(s, dtype),
            _ => self.push(Inst::Cast(v), dtype),
        }
    }

    fn constant(&mut self, s: Scalar, dtype: DType) -> ValueId {
        self.push(Inst::Const(s.cast(dtype)), dtype)
    }

    /// An input reading `strides` (per node axis) through `view`, plus `offset`.
    fn load(
        &mut self,
        source: Source,
        dtype: DType,
        offset: i64,
        strides: &[i64],
        view: &View,
    ) -> ValueId {
        let mut input = Input {
            source,
            dtype,
            offset,
            strides: vec![0; self.dims.len()],
        };
        for (c, &s) in view.iter().zip(strides) {
            input.offset += s * c.offset;
            if let Some(d) = c.dim {
                input.strides[d] += s * c.scale;
            }
        }
        let n = match self.inputs.iter().position(|i| *i == input) {
            Some(n) => n,
            None => {
                self.inputs.push(input);
                self.inputs.len() - 1
            }
        };
        self.push(Inst::Load(n), dtype)
    }

    fn load_buffer(&mut self, node: &NodeRef, view: &View) -> ValueId {
        if let Some(v) = node.value()
            && v.len() == 1
            && let Some(s) = v.as_scalar()
        {
            return self.constant(s, node.dtype);
        }
        let b = self.planner.materialize(node);
        let (_, strides) = self.planner.layout(b);
        self.load(Source::Buffer(b), node.dtype, 0, &strides, view)
    }

    fn emit_root(&mut self, node: &NodeRef) -> ValueId {
        let view = identity(node.shape.len());
        self.emit_op(node, &view)
    }

    /// The value of `node` at `view`, fused unless it must be a buffer.
    fn emit(&mut self, node: &NodeRef, view: &View, parent_size: usize) -> ValueId {
        let key = (node.id, view.clone());
        if let Some(&v) = self.memo.get(&key) {
            return v;
        }
        let v = if node.value().is_some()
            || !fusible(node)
            || self.planner.should_materialize(
                node,
                parent_size,
                self.local_users.get(&node.id).copied().unwrap_or(0),
            ) {
            self.load_buffer(node, view)
        } else {
            self.emit_op(node, view)
        };
        self.memo.insert(key, v);
        v
    }

    /// `node`'s input `i` at the view of `node` (NumPy broadcasting from the right).
    fn operand(&mut self, node: &NodeRef, i: usize, view: &View) -> ValueId {
        let x = &node.inputs[i];
        let skip = node.shape.len() - x.shape.len();
        let sub: View = x
            .shape
            .iter()
            .enumerate()
            .map(|(j, &d)| {
                if d == 1 && node.shape[j + skip] != 1 {
                    Coord {
                        dim: None,
                        scale: 0,
                        offset: 0,
                    }
                } else {
                    view[j + skip]
                }
            })
            .collect();
        self.emit(x, &sub, node.size())
    }

    fn emit_op(&mut self, node: &NodeRef, view: &View) -> ValueId {
        let dtype = node.dtype;
        match &node.op {
            Op::Fill(s) => self.constant(*s, dtype),
            Op::Arange { start, step } => {
                let i = self.load(Source::Counter, DType::I64, 0, &[1], view);
                if dtype == DType::I64 {
                    let s = self.constant(*step, DType::I64);
                    let a = self.constant(*start, DType::I64);
                    let si = self.push(Inst::Binary(BinaryOp::Mul, s, i), DType::I64);
                    self.push(Inst::Binary(BinaryOp::Add, a, si), DType::I64)
                } else {
                    let fi = self.cast(i, DType::F64);
                    let s = self.push(Inst::Const(Scalar::F64(step.as_f64())), DType::F64);
                    let a = self.push(Inst::Const(Scalar::F64(start.as_f64())), DType::F64);
                    let si = self.push(Inst::Binary(BinaryOp::Mul, s, fi), DType::F64);
                    let v = self.push(Inst::Binary(BinaryOp::Add, a, si), DType::F64);
                    self.cast(v, dtype)
                }
            }
            Op::Random { dist, seed, draw } => {
                let strides = contiguous_strides(&node.shape);
                let counter = self.load(Source::Counter, DType::I64, 0, &strides, view);
                let natural = match dist {
                    Distribution::Uniform if dtype == DType::F32 => DType::F32,
                    Distribution::Uniform | Distribution::Normal => DType::F64,
                    Distribution::Integers { .. } => DType::I64,
                };
                let inst = Inst::Random {
                    dist: *dist,
                    seed: *seed,
                    draw: *draw,
                    counter,
                };
                let v = self.push(inst, natural);
                self.cast(v, dtype)
            }
            Op::Unary(op) => {
                let x = self.operand(node, 0, view);
                self.unary(*op, x, dtype)
            }
            Op::Binary { op, compute } => {
                let a = self.operand(node, 0, view);
                let b = self.operand(node, 1, view);
                let (a, b) = (self.cast(a, *compute), self.cast(b, *compute));
                self.push(Inst::Binary(*op, a, b), dtype)
            }
            Op::Where => {
                let c = self.operand(node, 0, view);
                let c = self.cast(c, DType::Bool);
                let a = self.operand(node, 1, view);
                let a = self.cast(a, dtype);
                let b = self.operand(node, 2, view);
                let b = self.cast(b, dtype);
                self.push(Inst::Select(c, a, b), dtype)
            }
            Op::Cast => {
                let x = self.operand(node, 0, view);
                self.cast(x, dtype)
            }
            Op::BroadcastTo => self.operand(node, 0, view),
            Op::Transpose(perm) => {
                let mut sub = vec![view[0]; perm.len()];
                for (i, &p) in perm.iter().enumerate() {
                    sub[p] = view[i];
                }
                self.emit(&node.inputs[0], &sub, node.size())
            }
            Op::Index(spec) => {
                let mut out_axes = view.iter();
                let sub: View = spec
                    .items
                    .iter()
                    .map(|item| match item {
                        IndexItem::At(p) => Coord {
                            dim: None,
                            scale: 0,
                            offset: *p as i64,
                        },
                        IndexItem::Slice { start, step, .. } => {
                            let c = out_axes.next().copied().unwrap_or(Coord {
                                dim: None,
                                scale: 0,
                                offset: 0,
                            });
                            Coord {
                                dim: c.dim,
                                scale: c.scale * step,
                                offset: start + step * c.offset,
                            }
                        }
                        IndexItem::Array => unreachable!("basic index only"),
                    })
                    .collect();
                self.emit(&node.inputs[0], &sub, node.size())
            }
            Op::Reshape => {
                let x = &node.inputs[0];
                let mut b = self.planner.materialize(x);
                if !self.planner.is_contiguous(b) {
                    b = self.planner.contiguous_copy(x, b);
                }
                let strides = contiguous_strides(&node.shape);
                self.load(Source::Buffer(b), dtype, 0, &strides, view)
            }
            _ => unreachable!("only fusible ops reach emit_op"),
        }
    }

    fn unary(&mut self, op: UnaryOp, x: ValueId, dtype: DType) -> ValueId {
        match op {
            UnaryOp::Not => {
                let b = self.cast(x, DType::Bool);
                self.push(Inst::Unary(op, b), DType::Bool)
            }
            UnaryOp::IsNan | UnaryOp::IsInf | UnaryOp::IsFinite => {
                let f = match self.body[x].dtype {
                    DType::F32 => x,
                    _ => self.cast(x, DType::F64),
                };
                self.push(Inst::Unary(op, f), DType::Bool)
            }
            _ if dtype == DType::Bool => self.cast(x, DType::Bool),
            _ => {
                let x = self.cast(x, dtype);
                self.push(Inst::Unary(op, x), dtype)
            }
        }
    }

    /// Merges dimensions every input walks contiguously, drops length-1 dimensions, and
    /// returns the kernel.
    fn finish(self, output: Output) -> Kernel {
        let reduce_last = matches!(output, Output::Reduce { axis: true, .. });
        let Builder {
            mut dims,
            inputs,
            body,
            out_offset,
            mut out_strides,
            ..
        } = self;
        let (mut inputs, body, output) = live_only(inputs, body, output);
        if matches!(output, Output::Reduce { .. }) {
            out_strides = vec![0; dims.len()];
        }
        let keep_last = usize::from(reduce_last);
        // Drop length-1 dims (not the reduced one).
        let mut d = 0;
        while d + keep_last < dims.len() {
            if dims[d] == 1 {
                dims.remove(d);
                out_strides.remove(d);
                inputs.iter_mut().for_each(|i| {
                    i.strides.remove(d);
                });
            } else {
                d += 1;
            }
        }
        // Merge d into d + 1 where every input steps evenly across both.
        let mut d = 0;
        while d + 1 + keep_last < dims.len() {
            let steps_evenly = |s: &[i64]| s[d] == s[d + 1] * dims[d + 1] as i64;
            let mergeable =
                inputs.iter().all(|i| steps_evenly(&i.strides)) && steps_evenly(&out_strides);
            if mergeable {
                dims[d + 1] *= dims[d];
                dims.remove(d);
                out_strides.remove(d);
                inputs.iter_mut().for_each(|i| {
                    i.strides.remove(d);
                });
            } else {
                d += 1;
            }
        }
        if dims.is_empty() {
            dims.push(1);
            out_strides.push(0);
            inputs.iter_mut().for_each(|i| i.strides.push(0));
        }
        Kernel {
            dims,
            inputs,
            body,
            output,
            out_offset,
            out_strides,
        }
    }
}
