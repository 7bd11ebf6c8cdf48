//! The shared transcendental decompositions (`fuse::math`) emitted as Cranelift
//! instructions: the same operations in the same order as the interpreter's scalar code, so
//! compiled `exp log log1p sin cos hypot` give the interpreter's bits.

use super::codegen::Translator;
use crate::fuse::math::Ops;
use crate::graph::UnaryOp;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{self, BlockArg, InstBuilder, MemFlagsData, types};

impl Ops for Translator<'_> {
    type F = ir::Value;
    type I = ir::Value;
    type B = ir::Value;
    fn c(&mut self, x: f64) -> ir::Value {
        self.b.ins().f64const(x)
    }
    fn ci(&mut self, x: i64) -> ir::Value {
        self.b.ins().iconst(types::I64, x)
    }
    fn add(&mut self, a: ir::Value, b: ir::Value) -> ir::Value {
        self.b.ins().fadd(a, b)
    }
    fn sub(&mut self, a: ir::Value, b: ir::Value) -> ir::Value {
        self.b.ins().fsub(a, b)
    }
    fn mul(&mut self, a: ir::Value, b: ir::Value) -> ir::Value {
        self.b.ins().fmul(a, b)
    }
    fn div(&mut self, a: ir::Value, b: ir::Value) -> ir::Value {
        self.b.ins().fdiv(a, b)
    }
    fn sqrt(&mut self, a: ir::Value) -> ir::Value {
        self.b.ins().sqrt(a)
    }
    fn round(&mut self, a: ir::Value) -> ir::Value {
        self.b.ins().nearest(a)
    }
    fn floor(&mut self, a: ir::Value) -> ir::Value {
        self.b.ins().floor(a)
    }
    fn bits(&mut self, a: ir::Value) -> ir::Value {
        self.b.ins().bitcast(types::I64, MemFlagsData::new(), a)
    }
    fn float_from_bits(&mut self, a: ir::Value) -> ir::Value {
        self.b.ins().bitcast(types::F64, MemFlagsData::new(), a)
    }
    fn iadd(&mut self, a: ir::Value, b: ir::Value) -> ir::Value {
        self.b.ins().iadd(a, b)
    }
    fn iand(&mut self, a: ir::Value, b: ir::Value) -> ir::Value {
        self.b.ins().band(a, b)
    }
    fn ior(&mut self, a: ir::Value, b: ir::Value) -> ir::Value {
        self.b.ins().bor(a, b)
    }
    fn shl(&mut self, a: ir::Value, n: u8) -> ir::Value {
        self.b.ins().ishl_imm_s(a, n as i64)
    }
    fn ushr(&mut self, a: ir::Value, n: u8) -> ir::Value {
        self.b.ins().ushr_imm_s(a, n as i64)
    }
    fn lt(&mut self, a: ir::Value, b: ir::Value) -> ir::Value {
        self.b.ins().fcmp(FloatCC::LessThan, a, b)
    }
    fn eq(&mut self, a: ir::Value, b: ir::Value) -> ir::Value {
        self.b.ins().fcmp(FloatCC::Equal, a, b)
    }
    fn ieq(&mut self, a: ir::Value, b: ir::Value) -> ir::Value {
        self.b.ins().icmp(IntCC::Equal, a, b)
    }
    fn select(&mut self, c: ir::Value, a: ir::Value, b: ir::Value) -> ir::Value {
        self.b.ins().select(c, a, b)
    }
    fn iselect(&mut self, c: ir::Value, a: ir::Value, b: ir::Value) -> ir::Value {
        self.b.ins().select(c, a, b)
    }
    fn exact_if(&mut self, c: ir::Value, op: UnaryOp, x: ir::Value, fast: ir::Value) -> ir::Value {
        let (slow, join) = (self.b.create_block(), self.b.create_block());
        self.b.append_block_param(join, types::F64);
        self.b.set_cold_block(slow);
        self.b
            .ins()
            .brif(c, slow, &[], join, &[BlockArg::Value(fast)]);
        self.b.switch_to_block(slow);
        let code = self.b.ins().iconst(types::I32, op as i64);
        let exact = self.call("arr_unary_f64", &[code, x]);
        self.b.ins().jump(join, &[BlockArg::Value(exact)]);
        self.b.switch_to_block(join);
        self.b.block_params(join)[0]
    }
}

/// The same decompositions over two lanes (`f64x2`, with `i64x2` integers and lane masks as
/// conditions), for the vector loops of `simd`.
pub(super) struct Lanes<'t, 'a>(pub(super) &'t mut Translator<'a>);

const VF: types::Type = types::F64X2;
const VI: types::Type = types::I64X2;

fn little() -> MemFlagsData {
    MemFlagsData::new().with_endianness(cranelift_codegen::ir::Endianness::Little)
}

impl Ops for Lanes<'_, '_> {
    type F = ir::Value;
    type I = ir::Value;
    type B = ir::Value;
    fn c(&mut self, x: f64) -> ir::Value {
        let s = self.0.b.ins().f64const(x);
        self.0.b.ins().splat(VF, s)
    }
    fn ci(&mut self, x: i64) -> ir::Value {
        let s = self.0.b.ins().iconst(types::I64, x);
        self.0.b.ins().splat(VI, s)
    }
    fn add(&mut self, a: ir::Value, b: ir::Value) -> ir::Value {
        self.0.b.ins().fadd(a, b)
    }
    fn sub(&mut self, a: ir::Value, b: ir::Value) -> ir::Value {
        self.0.b.ins().fsub(a, b)
    }
    fn mul(&mut self, a: ir::Value, b: ir::Value) -> ir::Value {
        self.0.b.ins().fmul(a, b)
    }
    fn div(&mut self, a: ir::Value, b: ir::Value) -> ir::Value {
        self.0.b.ins().fdiv(a, b)
    }
    fn sqrt(&mut self, a: ir::Value) -> ir::Value {
        self.0.b.ins().sqrt(a)
    }
    fn round(&mut self, a: ir::Value) -> ir::Value {
        self.0.b.ins().nearest(a)
    }
    fn floor(&mut self, a: ir::Value) -> ir::Value {
        self.0.b.ins().floor(a)
    }
    fn bits(&mut self, a: ir::Value) -> ir::Value {
        self.0.b.ins().bitcast(VI, little(), a)
    }
    fn float_from_bits(&mut self, a: ir::Value) -> ir::Value {
        self.0.b.ins().bitcast(VF, little(), a)
    }
    fn iadd(&mut self, a: ir::Value, b: ir::Value) -> ir::Value {
        self.0.b.ins().iadd(a, b)
    }
    fn iand(&mut self, a: ir::Value, b: ir::Value) -> ir::Value {
        self.0.b.ins().band(a, b)
    }
    fn ior(&mut self, a: ir::Value, b: ir::Value) -> ir::Value {
        self.0.b.ins().bor(a, b)
    }
    fn shl(&mut self, a: ir::Value, n: u8) -> ir::Value {
        self.0.b.ins().ishl_imm_s(a, n as i64)
    }
    fn ushr(&mut self, a: ir::Value, n: u8) -> ir::Value {
        self.0.b.ins().ushr_imm_s(a, n as i64)
    }
    fn lt(&mut self, a: ir::Value, b: ir::Value) -> ir::Value {
        self.0.b.ins().fcmp(FloatCC::LessThan, a, b)
    }
    fn eq(&mut self, a: ir::Value, b: ir::Value) -> ir::Value {
        self.0.b.ins().fcmp(FloatCC::Equal, a, b)
    }
    fn ieq(&mut self, a: ir::Value, b: ir::Value) -> ir::Value {
        self.0.b.ins().icmp(IntCC::Equal, a, b)
    }
    fn select(&mut self, c: ir::Value, a: ir::Value, b: ir::Value) -> ir::Value {
        let mask = self.0.b.ins().bitcast(VF, little(), c);
        self.0.b.ins().bitselect(mask, a, b)
    }
    fn iselect(&mut self, c: ir::Value, a: ir::Value, b: ir::Value) -> ir::Value {
        self.0.b.ins().bitselect(c, a, b)
    }
    fn exact_if(&mut self, c: ir::Value, op: UnaryOp, x: ir::Value, fast: ir::Value) -> ir::Value {
        let t = &mut *self.0;
        let (slow, join) = (t.b.create_block(), t.b.create_block());
        t.b.append_block_param(join, VF);
        t.b.set_cold_block(slow);
        let any = t.b.ins().vany_true(c);
        t.b.ins()
            .brif(any, slow, &[], join, &[BlockArg::Value(fast)]);
        t.b.switch_to_block(slow);
        let code = t.b.ins().iconst(types::I32, op as i64);
        let mut exact = Vec::new();
        for lane in 0..2u8 {
            let xl = t.b.ins().extractlane(x, lane);
            exact.push(t.call("arr_unary_f64", &[code, xl]));
        }
        let v = t.b.ins().scalar_to_vector(VF, exact[0]);
        let v = t.b.ins().insertlane(v, exact[1], 1);
        let picked = self.select(c, v, fast);
        self.0.b.ins().jump(join, &[BlockArg::Value(picked)]);
        self.0.b.switch_to_block(join);
        self.0.b.block_params(join)[0]
    }
}
