//! Two-lane (`f64x2`) loops for kernels whose values are all f64 arithmetic or
//! transcendentals (`fuse::math` over lanes) over contiguous rows. They run before the
//! scalar loop, which finishes the odd elements: a store writes the same values, and a sum
//! keeps the fixed tree's lanes (elements `i, i+1` in one vector accumulator, `i+2, i+3` in
//! the other), so the bits are those of the scalar loop.

use super::clif_math::Lanes;
use super::codegen::{RowWrite, Translator};
use crate::dtype::DType;
use crate::fuse::math;
use crate::fuse::{Combine, Inst, Kernel, Output, Source};
use crate::graph::{BinaryOp, UnaryOp};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{self, Block, InstBuilder, MemFlagsData, types};
use cranelift_frontend::Variable;

const V: types::Type = types::F64X2;
/// Pairs per iteration of a store loop whose body is plain arithmetic (fewer loop
/// instructions per element; a transcendental's body is long enough without).
const UNROLL: i32 = 4;

/// Whether an instruction expands into a decomposition (`fuse::math`) in a vector loop.
fn math_call(inst: &Inst) -> bool {
    matches!(
        inst,
        Inst::Unary(
            UnaryOp::Exp | UnaryOp::Log | UnaryOp::Log1p | UnaryOp::Sin | UnaryOp::Cos,
            _
        ) | Inst::Binary(BinaryOp::Hypot, ..)
    )
}

/// Whether a kernel has a vector loop: f64 buffers and constants, arithmetic the vector unit
/// has, and a store or a `sum prod min max` reduction.
pub(super) fn vectorisable(kernel: &Kernel) -> bool {
    let inputs = kernel
        .inputs
        .iter()
        .all(|i| matches!(i.source, Source::Buffer(_)) && i.dtype == DType::F64);
    let body = kernel.body.iter().all(|v| {
        v.dtype == DType::F64
            && match &v.inst {
                Inst::Load(_) | Inst::Const(_) => true,
                Inst::Unary(op, _) => matches!(
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
                        | UnaryOp::Exp
                        | UnaryOp::Log
                        | UnaryOp::Log1p
                        | UnaryOp::Sin
                        | UnaryOp::Cos
                ),
                Inst::Binary(op, ..) => matches!(
                    op,
                    BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Hypot
                ),
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
    /// A condition that every input (and `out_step`, if given) steps by one f64.
    fn contiguous(&mut self, out_step: Option<ir::Value>) -> ir::Value {
        let mut ok = self.b.ins().iconst(types::I8, 1);
        for s in self.steps.clone().into_iter().chain(out_step) {
            let one = self.b.ins().icmp_imm_s(IntCC::Equal, s, 8);
            ok = self.b.ins().band(ok, one);
        }
        ok
    }

    /// The body's values as vectors of two elements starting `offset` bytes past `at`.
    fn vector_body(&mut self, at: &[ir::Value], offset: i32) -> Vec<ir::Value> {
        let kernel = self.kernel;
        let mut vals: Vec<ir::Value> = Vec::with_capacity(kernel.body.len());
        for v in &kernel.body {
            let ins = self.b.ins();
            let x = match &v.inst {
                Inst::Load(k) => ins.load(V, vector_flags(), at[*k], offset),
                Inst::Const(s) => {
                    let c = ins.f64const(s.as_f64());
                    self.b.ins().splat(V, c)
                }
                Inst::Unary(op, a) => {
                    let a = vals[*a];
                    let mut lanes = Lanes(self);
                    match op {
                        UnaryOp::Exp => math::exp(&mut lanes, a),
                        UnaryOp::Log => math::log(&mut lanes, a),
                        UnaryOp::Log1p => math::log1p(&mut lanes, a),
                        UnaryOp::Sin => math::sin_cos(&mut lanes, a, false),
                        UnaryOp::Cos => math::sin_cos(&mut lanes, a, true),
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
                Inst::Binary(BinaryOp::Hypot, a, c) => {
                    math::hypot(&mut Lanes(self), vals[*a], vals[*c])
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
        for u in 0..unroll {
            let offset = 16 * u;
            let x = self.vector_body(&at, offset)[v];
            let x = match write {
                RowWrite::Store => x,
                RowWrite::Combine(combine) => {
                    let old = self.b.ins().load(V, vector_flags(), addr, offset);
                    self.vector_combine(combine, old, x)
                }
            };
            self.b.ins().store(vector_flags(), x, addr, offset);
        }
        let bytes = 16 * i64::from(unroll);
        for (k, &c) in cursors.iter().enumerate() {
            let bumped = self.b.ins().iadd_imm_s(at[k], bytes);
            self.b.def_var(c, bumped);
        }
        let bumped = self.b.ins().iadd_imm_s(addr, bytes);
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
        let (header, body, done) = (
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
        );
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
        self.b.ins().brif(ok, header, &[], scalar, &[]);
        self.b.switch_to_block(header);
        let iv = self.b.use_var(i);
        let more = self.b.ins().icmp(IntCC::SignedLessThan, iv, n4);
        self.b.ins().brif(more, body, &[], done, &[]);
        self.b.switch_to_block(body);
        let at: Vec<ir::Value> = cursors.iter().map(|&c| self.b.use_var(c)).collect();
        let at2: Vec<ir::Value> = at.iter().map(|&a| self.b.ins().iadd_imm_s(a, 16)).collect();
        let x01 = self.vector_body(&at, 0)[v];
        let x23 = self.vector_body(&at2, 0)[v];
        for (acc, x) in [(acc01, x01), (acc23, x23)] {
            let a = self.b.use_var(acc);
            let c = self.vector_combine(combine, a, x);
            self.b.def_var(acc, c);
        }
        for (k, &c) in cursors.iter().enumerate() {
            let bumped = self.b.ins().iadd_imm_s(at[k], 32);
            self.b.def_var(c, bumped);
        }
        let next = self.b.ins().iadd_imm_s(iv, 4);
        self.b.def_var(i, next);
        self.b.ins().jump(header, &[]);
        self.b.switch_to_block(done);
        for (acc, pair) in [(acc01, &lanes[..2]), (acc23, &lanes[2..])] {
            let a = self.b.use_var(acc);
            for (l, &lane) in pair.iter().enumerate() {
                let x = self.b.ins().extractlane(a, l as u8);
                self.b.def_var(lane, x);
            }
        }
        self.b.ins().jump(scalar, &[]);
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
