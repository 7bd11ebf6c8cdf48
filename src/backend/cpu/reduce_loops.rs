//! The loop of reduction kernels by rows: the fixed tree's four lanes in registers,
//! unrolled by four, addresses bumped once per iteration, then up to three more elements.
//! (By columns, reductions are a row loop combining into an accumulator row: `row_loops`.)

use super::codegen::{Translator, clif_type};
use super::simd;
use crate::dtype::DType;
use crate::fuse::Combine;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{self, InstBuilder, MemFlagsData};
use cranelift_frontend::Variable;

impl Translator<'_> {
    /// Element `i` goes to lane `i % 4`: a loop of four elements, then up to three more.
    pub(super) fn reduce_loop(&mut self, n: ir::Value, out: ir::Value, v: usize, combine: Combine) {
        let dtype = self.kernel.body[v].dtype;
        let (ty, size) = (clif_type(dtype), dtype.size_bytes() as i32);
        let flags = MemFlagsData::trusted();
        let lanes: Vec<Variable> = (0..4)
            .map(|r| {
                let var = self.b.declare_var(ty);
                let init = self.b.ins().load(ty, flags, out, r * size);
                self.b.def_var(var, init);
                var
            })
            .collect();
        let i = self.counter();
        let n4 = self.b.ins().band_imm_s(n, !3);
        // One address per input, bumped by four steps per iteration; the unrolled elements
        // add 0..3 steps (multiples computed once, outside the loop).
        let cursors = self.cursors();
        let multiples: Vec<[ir::Value; 4]> = self
            .steps
            .clone()
            .into_iter()
            .map(|s1| {
                let s2 = self.b.ins().iadd(s1, s1);
                let s3 = self.b.ins().iadd(s2, s1);
                let s4 = self.b.ins().iadd(s2, s2);
                [s1, s2, s3, s4]
            })
            .collect();
        let (header, body, tail) = (
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
        );
        if simd::vectorisable(self.kernel) {
            self.vector_reduce(n4, (i, &cursors, &lanes), v, combine, header);
        } else {
            self.b.ins().jump(header, &[]);
        }
        self.b.switch_to_block(header);
        let iv = self.b.use_var(i);
        let more = self.b.ins().icmp(IntCC::SignedLessThan, iv, n4);
        self.b.ins().brif(more, body, &[], tail, &[]);
        self.b.switch_to_block(body);
        let here: Vec<ir::Value> = cursors.iter().map(|&c| self.b.use_var(c)).collect();
        for (r, &lane) in lanes.iter().enumerate() {
            let at: Vec<ir::Value> = if r == 0 {
                here.clone()
            } else {
                (0..here.len())
                    .map(|k| self.b.ins().iadd(here[k], multiples[k][r - 1]))
                    .collect()
            };
            let x = self.body(&at)[v];
            self.fold_into(lane, combine, dtype, x);
        }
        for (k, &c) in cursors.iter().enumerate() {
            let next = self.b.ins().iadd(here[k], multiples[k][3]);
            self.b.def_var(c, next);
        }
        let next = self.b.ins().iadd_imm_s(iv, 4);
        self.b.def_var(i, next);
        self.b.ins().jump(header, &[]);
        self.b.switch_to_block(tail);
        let exit = self.b.create_block();
        let base = self.b.use_var(i);
        for (r, &lane) in lanes.iter().take(3).enumerate() {
            let (take, after) = (self.b.create_block(), self.b.create_block());
            let idx = self.b.ins().iadd_imm_s(base, r as i64);
            let more = self.b.ins().icmp(IntCC::SignedLessThan, idx, n);
            self.b.ins().brif(more, take, &[], exit, &[]);
            self.b.switch_to_block(take);
            let at = self.addresses(idx);
            let x = self.body(&at)[v];
            self.fold_into(lane, combine, dtype, x);
            self.b.ins().jump(after, &[]);
            self.b.switch_to_block(after);
        }
        self.b.ins().jump(exit, &[]);
        self.b.switch_to_block(exit);
        for (r, &lane) in lanes.iter().enumerate() {
            let acc = self.b.use_var(lane);
            self.b.ins().store(flags, acc, out, r as i32 * size);
        }
        self.b.ins().return_(&[]);
    }

    /// `lane = lane ∘ x`.
    fn fold_into(&mut self, lane: Variable, combine: Combine, dtype: DType, x: ir::Value) {
        let acc = self.b.use_var(lane);
        let acc = self.combine(combine, dtype, acc, x);
        self.b.def_var(lane, acc);
    }

    pub(super) fn combine(
        &mut self,
        c: Combine,
        dtype: DType,
        a: ir::Value,
        x: ir::Value,
    ) -> ir::Value {
        let ins = self.b.ins();
        match (dtype, c) {
            (DType::F64 | DType::F32, Combine::Sum) => ins.fadd(a, x),
            (DType::F64 | DType::F32, Combine::Prod) => ins.fmul(a, x),
            (DType::F64 | DType::F32, Combine::Min) => ins.fmin(a, x),
            (DType::F64 | DType::F32, Combine::Max) => ins.fmax(a, x),
            (DType::I64, Combine::Sum) => ins.iadd(a, x),
            (DType::I64, Combine::Prod) => ins.imul(a, x),
            (DType::I64, Combine::Min) => ins.smin(a, x),
            (DType::I64, Combine::Max) => ins.smax(a, x),
            (_, Combine::Any | Combine::Max) => ins.bor(a, x),
            (_, Combine::All | Combine::Min) => ins.band(a, x),
            _ => unreachable!("sum and prod of bool are taken in i64"),
        }
    }
}
