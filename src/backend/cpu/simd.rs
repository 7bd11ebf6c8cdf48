//! Two-lane (`f64x2`) loops for kernels whose values are all f64 arithmetic or
//! transcendentals (`fuse::math` over lanes) over rows whose elements are contiguous or
//! every other f64 (the real or imaginary parts of a complex buffer), possibly ending in a
//! comparison whose bools are stored or in complex values stored from their parts. They
//! run before the scalar loop, which finishes the odd elements: a store writes the same
//! values, and a sum keeps the fixed tree's lanes (elements `i, i+1` in one vector
//! accumulator, `i+2, i+3` in the other), so the bits are those of the scalar loop.

use super::clif_math::Lanes;
use super::codegen::{RowWrite, Translator};
use crate::dtype::DType;
use crate::fuse::math;
use crate::fuse::{Combine, Inst, Kernel, Output, Source};
use crate::graph::{BinaryOp, UnaryOp};
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{self, Block, InstBuilder, MemFlagsData, types};
use cranelift_frontend::Variable;

const V: types::Type = types::F64X2;
/// Pairs per iteration of a store loop whose body is plain arithmetic (fewer loop
/// instructions per element; a transcendental's body is long enough without).
const UNROLL: i32 = 4;

/// Whether an instruction expands into a decomposition (`fuse::math`) in a vector loop.
pub(super) fn math_call(inst: &Inst) -> bool {
    match inst {
        Inst::Unary(op, _) => math::decomposed(*op),
        Inst::Binary(op, ..) => math::decomposed_binary(*op),
        _ => false,
    }
}

/// Bytes between the elements of each input in a vector loop: 16 where the kernel reads
/// every other f64 (one part of a complex buffer), -8 where it reads a row backwards
/// (`flip(y)`), 0 where it broadcasts one value along the row (a 0-d parameter of a
/// replayed loop), else 8. A step of 8 is one vector load, -8 one load with its lanes
/// swapped, 0 one load splat, and 16 two scalar loads. The loop runs only when a run's
/// steps are these, and the compiled code depends on them (`layout_key`).
pub(super) fn lane_steps(kernel: &Kernel) -> Vec<i64> {
    (kernel.inputs.iter())
        .map(|i| match i.strides.last() {
            Some(2) => 16,
            Some(-1) => -8,
            Some(0) => 0,
            _ => 8,
        })
        .collect()
}

/// What of the kernel's layout its vector loop's code depends on (see [`lane_steps`]), to
/// mix into its compile-cache key.
pub(super) fn layout_key(kernel: &Kernel) -> u64 {
    (lane_steps(kernel).iter().enumerate())
        .filter(|(_, s)| **s != 8)
        .fold(0, |key, (k, &s)| {
            let kind = match s {
                16 => 0,
                0 => 21,
                _ => 42,
            };
            key ^ (0x9e37_79b9_7f4a_7c15u64.rotate_left((k as u32 + kind) % 64))
        })
}

/// The float condition of a comparison, as the scalar code compares.
fn condition(op: BinaryOp) -> Option<FloatCC> {
    super::codegen::conditions(op).map(|(fcc, _)| fcc)
}

/// Whether a kernel has a vector loop: f64 buffers and constants, arithmetic the vector unit
/// has, and a store (of f64, of the bools of a final comparison, or of complex values from
/// their f64 parts) or a `sum prod min max` reduction.
pub(super) fn vectorisable(kernel: &Kernel) -> bool {
    let inputs = kernel
        .inputs
        .iter()
        .all(|i| matches!(i.source, Source::Buffer(_)) && i.dtype == DType::F64);
    // The stored value may be the bools of a comparison of f64 values, or a complex value
    // made of two f64 parts.
    let compared = match kernel.output {
        Output::Store(v) => match kernel.body[v].inst {
            Inst::Binary(op, a, b) if kernel.body[v].dtype == DType::Bool => {
                condition(op).is_some()
                    && kernel.body[a].dtype == DType::F64
                    && kernel.body[b].dtype == DType::F64
            }
            Inst::Complex(re, im) => {
                kernel.body[re].dtype == DType::F64 && kernel.body[im].dtype == DType::F64
            }
            _ => false,
        },
        Output::Reduce { .. } => false,
    };
    let stored = kernel.output.value();
    let body = kernel.body.iter().enumerate().all(|(n, v)| {
        (n == stored && compared)
            || v.dtype == DType::F64
                && match &v.inst {
                    Inst::Load(_) | Inst::Const(_) => true,
                    Inst::Unary(op, _) => {
                        matches!(
                            op,
                            UnaryOp::Neg
                                | UnaryOp::Abs
                                | UnaryOp::Sqrt
                                | UnaryOp::Floor
                                | UnaryOp::Ceil
                                | UnaryOp::Trunc
                                | UnaryOp::Round
                                | UnaryOp::Real
                                | UnaryOp::Conj
                        ) || math::decomposed(*op)
                    }
                    Inst::Binary(op, ..) => {
                        matches!(
                            op,
                            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div
                        ) || math::decomposed_binary(*op)
                    }
                    _ => false,
                }
    });
    let output = match kernel.output {
        Output::Store(_) => true,
        Output::Reduce { combine, .. } => !matches!(combine, Combine::Any | Combine::All),
    };
    inputs && body && output
}

fn vector_flags() -> MemFlagsData {
    MemFlagsData::new().with_notrap()
}

impl Translator<'_> {
    /// A condition that every input steps by its [`lane_steps`] (and the output, if
    /// `out_step` is given, by one element of the stored dtype).
    fn contiguous(&mut self, out_step: Option<ir::Value>) -> ir::Value {
        let mut ok = self.b.ins().iconst(types::I8, 1);
        let out_size = self.kernel.body[self.kernel.output.value()]
            .dtype
            .size_bytes() as i64;
        let expected = lane_steps(self.kernel).into_iter().chain([out_size]);
        for (s, want) in self.steps.clone().into_iter().chain(out_step).zip(expected) {
            let one = self.b.ins().icmp_imm_s(IntCC::Equal, s, want);
            ok = self.b.ins().band(ok, one);
        }
        ok
    }

    /// The body's values as vectors of two elements, the first at element `first` of the
    /// row (element `i` of input `k` at `at[k] + i · lane_steps[k]`). A complex value (only
    /// ever stored) stands for its real parts; the store reads both parts.
    fn vector_body(&mut self, at: &[ir::Value], first: i32) -> Vec<ir::Value> {
        let kernel = self.kernel;
        let steps = lane_steps(kernel);
        let mut vals: Vec<ir::Value> = Vec::with_capacity(kernel.body.len());
        for v in &kernel.body {
            let ins = self.b.ins();
            let x = match &v.inst {
                Inst::Load(k) if steps[*k] == 8 => ins.load(V, vector_flags(), at[*k], 8 * first),
                Inst::Load(k) if steps[*k] == -8 => {
                    // Elements `first + 1` and `first` lie in that order at the lower address:
                    // one load, then the lanes swapped.
                    let pair = ins.load(V, vector_flags(), at[*k], -8 * first - 8);
                    self.swap_lanes(pair)
                }
                Inst::Load(k) if steps[*k] == 0 => {
                    let x = ins.load(types::F64, vector_flags(), at[*k], 0);
                    self.b.ins().splat(V, x)
                }
                Inst::Load(k) => {
                    let offset = steps[*k] as i32 * first;
                    let lo = ins.load(types::F64, vector_flags(), at[*k], offset);
                    let hi = self.b.ins().load(
                        types::F64,
                        vector_flags(),
                        at[*k],
                        offset + steps[*k] as i32,
                    );
                    let pair = self.b.ins().scalar_to_vector(V, lo);
                    self.b.ins().insertlane(pair, hi, 1)
                }
                Inst::Const(s) => {
                    let c = ins.f64const(s.as_f64());
                    self.b.ins().splat(V, c)
                }
                Inst::Unary(op, a) => {
                    let a = vals[*a];
                    let mut lanes = Lanes(self);
                    match op {
                        op if math::decomposed(*op) => math::unary(&mut lanes, *op, a),
                        _ => {
                            let ins = self.b.ins();
                            match op {
                                UnaryOp::Neg => ins.fneg(a),
                                UnaryOp::Abs => ins.fabs(a),
                                UnaryOp::Sqrt => ins.sqrt(a),
                                UnaryOp::Floor => ins.floor(a),
                                UnaryOp::Ceil => ins.ceil(a),
                                UnaryOp::Trunc => ins.trunc(a),
                                UnaryOp::Round => ins.nearest(a),
                                _ => a,
                            }
                        }
                    }
                }
                Inst::Binary(op, a, c) if math::decomposed_binary(*op) => {
                    math::binary(&mut Lanes(self), *op, vals[*a], vals[*c])
                }
                Inst::Binary(op, a, c) if v.dtype == DType::Bool => {
                    let cc = condition(*op).expect("checked by vectorisable");
                    ins.fcmp(cc, vals[*a], vals[*c])
                }
                Inst::Binary(op, a, c) => {
                    let (a, c) = (vals[*a], vals[*c]);
                    match op {
                        BinaryOp::Add => ins.fadd(a, c),
                        BinaryOp::Sub => ins.fsub(a, c),
                        BinaryOp::Mul => ins.fmul(a, c),
                        _ => ins.fdiv(a, c),
                    }
                }
                Inst::Complex(re, _) => vals[*re],
                _ => unreachable!("checked by vectorisable"),
            };
            vals.push(x);
        }
        vals
    }

    /// Stores (or combines into the accumulator row) pairs while two elements remain and
    /// every step is one f64 — [`UNROLL`] pairs an iteration while that many remain, when
    /// the body is plain arithmetic — then continues at `scalar` (the scalar loop's header)
    /// with `i` and the cursors advanced.
    pub(super) fn vector_row(
        &mut self,
        n: ir::Value,
        out_step: ir::Value,
        (i, cursors, out_cursor): (Variable, &[Variable], Variable),
        v: usize,
        write: RowWrite,
        scalar: Block,
    ) {
        let pairs = self.b.create_block();
        let ok = self.contiguous(Some(out_step));
        let start = if self.kernel.body.iter().all(|v| !math_call(&v.inst)) {
            let unrolled = self.b.create_block();
            self.b.ins().brif(ok, unrolled, &[], scalar, &[]);
            self.b.switch_to_block(unrolled);
            self.vector_loop(n, (i, cursors, out_cursor), v, write, UNROLL, pairs);
            pairs
        } else {
            self.b.ins().brif(ok, pairs, &[], scalar, &[]);
            pairs
        };
        self.b.switch_to_block(start);
        self.vector_loop(n, (i, cursors, out_cursor), v, write, 1, scalar);
    }

    /// From the current block (which becomes the loop's header): while `2 * unroll`
    /// elements remain, stores (or combines) `unroll` pairs, then continues at `exit`.
    fn vector_loop(
        &mut self,
        n: ir::Value,
        (i, cursors, out_cursor): (Variable, &[Variable], Variable),
        v: usize,
        write: RowWrite,
        unroll: i32,
        exit: Block,
    ) {
        let (header, body) = (self.b.create_block(), self.b.create_block());
        self.b.ins().jump(header, &[]);
        self.b.switch_to_block(header);
        let iv = self.b.use_var(i);
        let next = self.b.ins().iadd_imm_s(iv, 2 * i64::from(unroll));
        let more = self.b.ins().icmp(IntCC::SignedLessThanOrEqual, next, n);
        self.b.ins().brif(more, body, &[], exit, &[]);
        self.b.switch_to_block(body);
        let at: Vec<ir::Value> = cursors.iter().map(|&c| self.b.use_var(c)).collect();
        let addr = self.b.use_var(out_cursor);
        let stored = &self.kernel.body[v];
        let out_size = stored.dtype.size_bytes() as i32;
        for u in 0..unroll {
            let offset = 2 * out_size * u;
            let vals = self.vector_body(&at, 2 * u);
            let x = match (write, &stored.inst) {
                (RowWrite::Store, Inst::Complex(re, im)) => {
                    // Interleaved: (re₀ im₀) (re₁ im₁), one unpack and one store each.
                    for (lane, lanes) in [(0..8, 16..24), (8..16, 24..32)].into_iter().enumerate() {
                        let x = self.interleave(vals[*re], vals[*im], lanes);
                        let at = offset + 16 * lane as i32;
                        self.b.ins().store(vector_flags(), x, addr, at);
                    }
                    continue;
                }
                (RowWrite::Store, _) if stored.dtype == DType::Bool => self.pair_of_bools(vals[v]),
                (RowWrite::Store, _) => vals[v],
                (RowWrite::Combine(combine), _) => {
                    let old = self.b.ins().load(V, vector_flags(), addr, offset);
                    self.vector_combine(combine, old, vals[v])
                }
            };
            self.b.ins().store(vector_flags(), x, addr, offset);
        }
        for ((k, &c), step) in cursors.iter().enumerate().zip(lane_steps(self.kernel)) {
            let bumped = self.b.ins().iadd_imm_s(at[k], 2 * step * i64::from(unroll));
            self.b.def_var(c, bumped);
        }
        let bumped = self
            .b
            .ins()
            .iadd_imm_s(addr, i64::from(2 * out_size * unroll));
        self.b.def_var(out_cursor, bumped);
        self.b.def_var(i, next);
        self.b.ins().jump(header, &[]);
    }

    /// Reduces groups of four while every step is one f64, lanes (0, 1) and (2, 3) in two
    /// vector accumulators, then continues at `scalar` with the lane variables updated.
    pub(super) fn vector_reduce(
        &mut self,
        n4: ir::Value,
        (i, cursors, lanes): (Variable, &[Variable], &[Variable]),
        v: usize,
        combine: Combine,
        scalar: Block,
    ) {
        let ok = self.contiguous(None);
        let pair = |t: &mut Self, a: Variable, b: Variable| {
            let (x, y) = (t.b.use_var(a), t.b.use_var(b));
            let v = t.b.ins().scalar_to_vector(V, x);
            t.b.ins().insertlane(v, y, 1)
        };
        let acc01 = self.b.declare_var(V);
        let acc23 = self.b.declare_var(V);
        let init01 = pair(self, lanes[0], lanes[1]);
        let init23 = pair(self, lanes[2], lanes[3]);
        self.b.def_var(acc01, init01);
        self.b.def_var(acc23, init23);
        let vectors = self.b.create_block();
        self.b.ins().brif(ok, vectors, &[], scalar, &[]);
        self.b.switch_to_block(vectors);
        if matches!(combine, Combine::Min | Combine::Max) {
            self.vector_extremes(n4, (i, cursors), v, combine, [acc01, acc23]);
        }
        self.vector_groups(n4, (i, cursors), v, combine, &[acc01, acc23]);
        for (acc, pair) in [(acc01, &lanes[..2]), (acc23, &lanes[2..])] {
            let a = self.b.use_var(acc);
            for (l, &lane) in pair.iter().enumerate() {
                let x = self.b.ins().extractlane(a, l as u8);
                self.b.def_var(lane, x);
            }
        }
        self.b.ins().jump(scalar, &[]);
    }

    /// Groups of eight of a `min` or `max` (before [`Self::vector_reduce`]'s groups of four):
    /// Cranelift's NaN-aware `fmin`/`fmax` is a chain of several instructions, so two
    /// accumulators wait on it; four keep the vector unit busy. Both give one value in any
    /// order (NaN if any element is one, −0 below +0), so the extra pair starts as a copy
    /// of `accs` and is folded into them after, leaving the fixed tree's lanes as they would
    /// be.
    fn vector_extremes(
        &mut self,
        n4: ir::Value,
        (i, cursors): (Variable, &[Variable]),
        v: usize,
        combine: Combine,
        accs: [Variable; 2],
    ) {
        let n8 = self.b.ins().band_imm_s(n4, !7);
        let copies = accs.map(|acc| {
            let copy = self.b.declare_var(V);
            let x = self.b.use_var(acc);
            self.b.def_var(copy, x);
            copy
        });
        self.vector_groups(
            n8,
            (i, cursors),
            v,
            combine,
            &[accs[0], accs[1], copies[0], copies[1]],
        );
        for (acc, copy) in accs.into_iter().zip(copies) {
            let (a, b) = (self.b.use_var(acc), self.b.use_var(copy));
            let c = self.vector_combine(combine, a, b);
            self.b.def_var(acc, c);
        }
    }

    /// From the current block: while `i < limit`, combines elements `2a, 2a + 1` of each
    /// group of `2 · accs.len()` into accumulator `a`, bumping the cursors and `i` past the
    /// group; then continues in a new block (the current one on return).
    fn vector_groups(
        &mut self,
        limit: ir::Value,
        (i, cursors): (Variable, &[Variable]),
        v: usize,
        combine: Combine,
        accs: &[Variable],
    ) {
        let (header, body, done) = (
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
        );
        let group = 2 * accs.len() as i64;
        self.b.ins().jump(header, &[]);
        self.b.switch_to_block(header);
        let iv = self.b.use_var(i);
        let more = self.b.ins().icmp(IntCC::SignedLessThan, iv, limit);
        self.b.ins().brif(more, body, &[], done, &[]);
        self.b.switch_to_block(body);
        let at: Vec<ir::Value> = cursors.iter().map(|&c| self.b.use_var(c)).collect();
        let xs: Vec<ir::Value> = (0..accs.len())
            .map(|a| self.vector_body(&at, 2 * a as i32)[v])
            .collect();
        for (&acc, x) in accs.iter().zip(xs) {
            let a = self.b.use_var(acc);
            let c = self.vector_combine(combine, a, x);
            self.b.def_var(acc, c);
        }
        for ((k, &c), step) in cursors.iter().enumerate().zip(lane_steps(self.kernel)) {
            let bumped = self.b.ins().iadd_imm_s(at[k], group * step);
            self.b.def_var(c, bumped);
        }
        let next = self.b.ins().iadd_imm_s(iv, group);
        self.b.def_var(i, next);
        self.b.ins().jump(header, &[]);
        self.b.switch_to_block(done);
    }

    /// The pair's lanes swapped (one `pshufd`).
    fn swap_lanes(&mut self, pair: ir::Value) -> ir::Value {
        self.shuffle(pair, pair, (8..16).chain(0..8))
    }

    /// One lane of `a` and one of `b` (bytes `lanes.0` of `a` and `lanes.1` of the pair
    /// `a`, `b`): an `unpcklpd` or `unpckhpd`.
    fn interleave(
        &mut self,
        a: ir::Value,
        b: ir::Value,
        lanes: (std::ops::Range<u8>, std::ops::Range<u8>),
    ) -> ir::Value {
        self.shuffle(a, b, lanes.0.chain(lanes.1))
    }

    /// The bytes `order` picks from `a` (0 to 15) and `b` (16 to 31), as a pair of f64.
    fn shuffle(
        &mut self,
        a: ir::Value,
        b: ir::Value,
        order: impl Iterator<Item = u8>,
    ) -> ir::Value {
        let little = MemFlagsData::new().with_endianness(ir::Endianness::Little);
        let a = self.b.ins().bitcast(types::I8X16, little, a);
        let b = self.b.ins().bitcast(types::I8X16, little, b);
        let order: Vec<u8> = order.collect();
        let mask = self
            .b
            .func
            .dfg
            .immediates
            .push(ir::ConstantData::from(order));
        let picked = self.b.ins().shuffle(a, b, mask);
        self.b.ins().bitcast(V, little, picked)
    }

    /// The two bools (bytes 0 or 1, as an i16 to store) of a comparison's lane masks.
    fn pair_of_bools(&mut self, mask: ir::Value) -> ir::Value {
        let ins = self.b.ins();
        let bits = ins.vhigh_bits(types::I32, mask);
        let first = self.b.ins().band_imm_u(bits, 1);
        let second = self.b.ins().band_imm_u(bits, 2);
        let second = self.b.ins().ishl_imm_u(second, 7);
        let both = self.b.ins().bor(first, second);
        self.b.ins().ireduce(types::I16, both)
    }

    fn vector_combine(&mut self, c: Combine, a: ir::Value, x: ir::Value) -> ir::Value {
        let ins = self.b.ins();
        match c {
            Combine::Sum => ins.fadd(a, x),
            Combine::Prod => ins.fmul(a, x),
            Combine::Min => ins.fmin(a, x),
            _ => ins.fmax(a, x),
        }
    }
}
