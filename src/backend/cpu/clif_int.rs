//! Integer division emitted as Cranelift instructions: `//`, `%` and `fmod` of i64 values
//! inline (a constant divisor as a multiplication), with `interp`'s answers where the
//! hardware's division would trap.

use super::codegen::Translator;
use crate::graph::BinaryOp;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{self, InstBuilder, types};

impl Translator<'_> {
    /// `a // c` (the quotient floored), `a % c` (the remainder taking the divisor's sign) or
    /// `fmod(a, c)` (truncated) of i64 values, as `interp`'s `int_binary`: 0 for a zero
    /// divisor, wrapping for `i64::MIN // -1`. A constant divisor other than 0 and −1 is
    /// divided by directly, which Cranelift turns into a multiplication by its magic number
    /// (as NumPy's libdivide does for a scalar divisor).
    pub(super) fn int_divide(&mut self, op: BinaryOp, a: ir::Value, c: ir::Value) -> ir::Value {
        let constant = match self.b.func.dfg.value_def(c) {
            ir::ValueDef::Result(inst, _) => match self.b.func.dfg.insts[inst] {
                ir::InstructionData::UnaryImm {
                    opcode: ir::Opcode::Iconst,
                    imm,
                } => Some(imm.bits()),
                _ => None,
            },
            _ => None,
        };
        let (q, r) = if constant.is_some_and(|d| d != 0 && d != -1) {
            let q = self.b.ins().sdiv(a, c);
            let qc = self.b.ins().imul(q, c);
            (q, self.b.ins().isub(a, qc))
        } else {
            // 0 and −1 (`c + 1` at most 1, unsigned) divide by 1 instead, which neither
            // traps nor overflows; their quotient is then `a · c` (0, or `a` negated,
            // wrapping) and their remainder the 0 that dividing by 1 leaves.
            let ins = self.b.ins();
            let above = ins.iadd_imm_s(c, 1);
            let special = self
                .b
                .ins()
                .icmp_imm_u(IntCC::UnsignedLessThanOrEqual, above, 1);
            let one = self.b.ins().iconst(types::I64, 1);
            let divisor = self.b.ins().select(special, one, c);
            let q = self.b.ins().sdiv(a, divisor);
            let qd = self.b.ins().imul(q, divisor);
            let r = self.b.ins().isub(a, qd);
            let product = self.b.ins().imul(a, c);
            (self.b.ins().select(special, product, q), r)
        };
        if op == BinaryOp::Fmod {
            return r;
        }
        // A nonzero remainder has the dividend's sign: floor when it differs from the
        // divisor's.
        let ins = self.b.ins();
        let nonzero = ins.icmp_imm_s(IntCC::NotEqual, r, 0);
        let signs = self.b.ins().bxor(r, c);
        let differ = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, signs, 0);
        let floor = self.b.ins().band(nonzero, differ);
        if op == BinaryOp::FloorDiv {
            let minus = self.b.ins().uextend(types::I64, floor);
            self.b.ins().isub(q, minus)
        } else {
            let zero = self.b.ins().iconst(types::I64, 0);
            let add = self.b.ins().select(floor, c, zero);
            self.b.ins().iadd(r, add)
        }
    }
}
