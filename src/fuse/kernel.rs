//! Building one kernel: walks the graph from a kernel's root through fusible nodes, carrying
//! a view (an affine map from iteration coordinates to the node's coordinates) down to the
//! leaves, where it becomes an input's offset and strides.

use super::ir::{Combine, Input, Inst, Kernel, Output, Source, Value, ValueId};
use super::{Planner, contiguous_strides, is_basic};
use crate::dtype::DType;
use crate::graph::{BinaryOp, Distribution, IndexItem, NodeRef, Op, UnaryOp};
use crate::runtime::Scalar;
use complex::Part;
use rustc_hash::FxHashMap as HashMap;

mod complex;
mod region;

pub(super) use region::{build_part, build_update, copy};

/// One node coordinate as a function of the iteration coordinates:
/// `offset + scale · coord[dim]` (just `offset` when `dim` is `None`), plus `k` times the
/// position in buffer `b` when `dynamic` is `Some((b, k))` (a loop variable's index).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Coord {
    dim: Option<usize>,
    scale: i64,
    offset: i64,
    dynamic: Option<(super::BufId, i64)>,
}

type View = Vec<Coord>;

/// The view of an operand of shape `x` broadcast (NumPy, from the right) to `shape`, whose
/// own view is `view`: an axis of length 1 stretched over a longer one reads one element.
fn broadcast_view(x: &[usize], shape: &[usize], view: &View) -> View {
    let skip = shape.len() - x.len();
    x.iter()
        .enumerate()
        .map(|(j, &d)| {
            if d == 1 && shape[j + skip] != 1 {
                Coord {
                    dim: None,
                    scale: 0,
                    offset: 0,
                    dynamic: None,
                }
            } else {
                view[j + skip]
            }
        })
        .collect()
}

fn identity(ndim: usize) -> View {
    (0..ndim)
        .map(|d| Coord {
            dim: Some(d),
            scale: 1,
            offset: 0,
            dynamic: None,
        })
        .collect()
}

/// The kernel computing `node`, or `None` when the node is not a kernel root (a library call,
/// a gather, a complex function the kernel IR does not compute, an empty array...).
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
                        dynamic: None,
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
    let v = if node.dtype == DType::C128 {
        let re = b.in_part(Part::Re, |b| b.emit_root(node));
        let im = b.in_part(Part::Im, |b| b.emit_root(node));
        b.push(Inst::Complex(re, im), DType::C128)
    } else {
        let v = b.emit_root(node);
        b.cast(v, node.dtype)
    };
    Some(b.finish(Output::Store(v)))
}

/// `x` as a strided view of one buffer, when that is all it is (a chain of slices,
/// transposes, broadcasts and reshapes of a buffer, with static offsets): the buffer and the
/// view. Buffers `x` reads are materialised either way.
pub(super) fn strided_view(
    planner: &mut Planner,
    x: &NodeRef,
) -> Option<(super::BufId, crate::runtime::strided::Strided)> {
    // A gather (`b[[0, -1]]`) is no view.
    if x.dtype == DType::C128 || !fusible(x) {
        return None;
    }
    let mut b = Builder::new(planner, x.shape.clone());
    let v = b.emit_root(x);
    match (&b.body[..], &b.inputs[..]) {
        ([only], [input])
            if v == 0
                && only.inst == Inst::Load(0)
                && only.dtype == x.dtype
                && input.dynamic.is_empty() =>
        {
            let Source::Buffer(buf) = input.source else {
                return None;
            };
            Some((
                buf,
                crate::runtime::strided::Strided {
                    offset: input.offset,
                    strides: input.strides.clone(),
                    shape: x.shape.clone(),
                },
            ))
        }
        _ => None,
    }
}

/// Whether a node's own operation can be part of a kernel.
fn fusible(node: &NodeRef) -> bool {
    if let Some(fusible) = complex::fusible(node) {
        return fusible;
    }
    match &node.op {
        Op::Fill(_) | Op::Arange { .. } | Op::Random { .. } => true,
        Op::Unary(_) | Op::Where | Op::Cast | Op::BroadcastTo | Op::Transpose(_) => true,
        Op::Reshape => true,
        Op::Binary { op, compute } => !(*op == BinaryOp::Pow && *compute == DType::I64),
        Op::Index(spec) => is_basic(&spec.items) && node.inputs.len() == 1 + spec.dynamic_count(),
        _ => false,
    }
}

struct Builder<'p> {
    planner: &'p mut Planner,
    dims: Vec<usize>,
    out_offset: i64,
    out_dynamic: Vec<(super::BufId, i64)>,
    out_strides: Vec<i64>,
    inputs: Vec<Input>,
    body: Vec<Value>,
    /// The half of complex nodes being emitted (see [`Builder::in_part`]).
    part: Part,
    memo: HashMap<(u64, View, Part), ValueId>,
    /// For nodes reached from the root through elementwise ops of the root's shape (so at
    /// the root's view): how many distinct nodes read them there.
    local_users: HashMap<u64, usize>,
}

impl<'p> Builder<'p> {
    fn new(planner: &'p mut Planner, dims: Vec<usize>) -> Builder<'p> {
        Builder {
            planner,
            out_offset: 0,
            out_dynamic: vec![],
            out_strides: contiguous_strides(&dims),
            dims,
            inputs: vec![],
            body: vec![],
            part: Part::Re,
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
        // Constants are the same value only with the same bits: `-0.0 == 0.0`, but a
        // product with one differs from a product with the other in the sign of zero.
        let same = |v: &Value| match (&v.inst, &inst) {
            (Inst::Const(x), Inst::Const(y)) => x.same_bits(*y),
            (a, b) => a == b,
        };
        if let Some(i) = self.body.iter().position(|v| same(v) && v.dtype == dtype) {
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
            dynamic: vec![],
            strides: vec![0; self.dims.len()],
        };
        for (c, &s) in view.iter().zip(strides) {
            input.offset += s * c.offset;
            if let Some(d) = c.dim {
                input.strides[d] += s * c.scale;
            }
            if let Some((b, k)) = c.dynamic {
                input.dynamic.push((b, k * s));
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

    /// `node`'s value at `view` from its buffer. A literal scalar (weak, like `0.5` or
    /// `dx` computed from literals) is baked into the code instead; a scalar computed from
    /// data (`alpha = -(r[k] + dot(…)) / beta`) stays a load, so a loop that computes a new
    /// one each iteration reuses one compiled kernel.
    fn load_buffer(&mut self, node: &NodeRef, view: &View) -> ValueId {
        if let Some(v) = node.value()
            && node.weak
            && v.len() == 1
            && let Some(s) = v.as_scalar()
        {
            if node.dtype == DType::C128 {
                return self.constant_part(s);
            }
            return self.constant(s, node.dtype);
        }
        let b = self.planner.materialize(node);
        let (_, strides) = self.planner.layout(b);
        self.load_element(b, node.dtype, &strides, view)
    }

    /// An element of buffer `b` (laid out with element `strides`) at `view`; of a c128
    /// buffer, the current half: a c128 element is two f64, the real half first.
    fn load_element(
        &mut self,
        b: super::BufId,
        dtype: DType,
        strides: &[i64],
        view: &View,
    ) -> ValueId {
        if dtype == DType::C128 {
            let halves: Vec<i64> = strides.iter().map(|s| 2 * s).collect();
            let offset = i64::from(self.part == Part::Im);
            return self.load(Source::Buffer(b), DType::F64, offset, &halves, view);
        }
        self.load(Source::Buffer(b), dtype, 0, strides, view)
    }

    fn emit_root(&mut self, node: &NodeRef) -> ValueId {
        let view = identity(node.shape.len());
        if node.dtype == DType::C128 {
            return self.emit_complex_op(node, &view);
        }
        self.emit_op(node, &view)
    }

    /// The value of `node` at `view`, fused unless it must be a buffer.
    fn emit(&mut self, node: &NodeRef, view: &View, parent_size: usize) -> ValueId {
        // A real node's value is the same whichever half of a complex one reads it.
        let part = if node.dtype == DType::C128 {
            self.part
        } else {
            Part::Re
        };
        let key = (node.id, view.clone(), part);
        if let Some(&v) = self.memo.get(&key) {
            return v;
        }
        // A node this plan already computed into a buffer is read from it, never
        // recomputed (its cost counts as nothing to `should_materialize`).
        let v = if node.value().is_some()
            || self.planner.done.contains_key(&node.id)
            || !fusible(node)
            || self.planner.should_materialize(
                node,
                parent_size,
                self.local_users.get(&node.id).copied().unwrap_or(0),
            ) {
            self.load_buffer(node, view)
        } else if node.dtype == DType::C128 {
            self.emit_complex_op(node, view)
        } else {
            self.emit_op(node, view)
        };
        self.memo.insert(key, v);
        v
    }

    /// `node`'s input `i` at the view of `node` (NumPy broadcasting from the right).
    fn operand(&mut self, node: &NodeRef, i: usize, view: &View) -> ValueId {
        let x = &node.inputs[i];
        let sub = broadcast_view(&x.shape, &node.shape, view);
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
            Op::Random {
                dist,
                seed,
                draw,
                input,
            } => {
                let strides = contiguous_strides(&node.shape);
                let counter = self.load(Source::Counter, DType::I64, 0, &strides, view);
                let natural = match dist {
                    Distribution::Uniform if dtype == DType::F32 => DType::F32,
                    Distribution::Uniform | Distribution::Normal => DType::F64,
                    Distribution::Integers { .. } => DType::I64,
                };
                let base = input.map(|how| (self.planner.materialize(&node.inputs[0]), how));
                let inst = Inst::Random {
                    dist: *dist,
                    seed: *seed,
                    draw: *draw,
                    base,
                    counter,
                };
                let v = self.push(inst, natural);
                self.cast(v, dtype)
            }
            Op::Unary(op) if node.inputs[0].dtype == DType::C128 => {
                let re = self.complex_operand(node, 0, view, Part::Re);
                let im = self.complex_operand(node, 0, view, Part::Im);
                match op {
                    UnaryOp::Real => re,
                    UnaryOp::Imag => im,
                    // `abs` of a complex number is num-complex's `norm`: `hypot(re, im)`.
                    _ => self.push(Inst::Binary(BinaryOp::Hypot, re, im), DType::F64),
                }
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
                let mut positions = node.inputs[1..]
                    .iter()
                    .map(|p| self.planner.materialize(p))
                    .collect::<Vec<_>>()
                    .into_iter();
                let sub: View = spec
                    .items
                    .iter()
                    .map(|item| match item {
                        IndexItem::At(p) => Coord {
                            dim: None,
                            scale: 0,
                            offset: *p as i64,
                            dynamic: None,
                        },
                        IndexItem::Slice { start, step, .. } => {
                            let c = out_axes.next().copied().unwrap_or(Coord {
                                dim: None,
                                scale: 0,
                                offset: 0,
                                dynamic: None,
                            });
                            Coord {
                                dim: c.dim,
                                scale: c.scale * step,
                                offset: start + step * c.offset,
                                dynamic: c.dynamic.map(|(b, k)| (b, k * step)),
                            }
                        }
                        IndexItem::Dynamic => Coord {
                            dim: None,
                            scale: 0,
                            offset: 0,
                            dynamic: Some((positions.next().expect("one per dynamic item"), 1)),
                        },
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
                self.load_element(b, dtype, &strides, view)
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

    /// The kernel built, tidied (see `simplify`).
    fn finish(self, output: Output) -> Kernel {
        super::simplify::simplify(Kernel {
            dims: self.dims,
            inputs: self.inputs,
            body: self.body,
            output,
            out_offset: self.out_offset,
            out_dynamic: self.out_dynamic,
            out_strides: self.out_strides,
        })
    }
}
