//! Functions compiled kernels call for what they do not generate inline: rare float and
//! integer functions. Each calls the exact code `interp` uses, so results
//! are bit-identical across backends.

use crate::backend::interp::elementwise as scalar;
use crate::dtype::DType;
use crate::fuse::{Inst, Kernel, math};
use crate::graph::{BinaryOp, UnaryOp};

/// The shim a compiled kernel calls, once per element, for `op` of a `dtype` operand: libm's
/// functions `fuse::math` does not decompose, and integer ops without an instruction.
/// `None` where the kernel computes `op` inline (`codegen` calls exactly these).
pub(crate) fn unary_shim(dtype: DType, op: UnaryOp) -> Option<&'static str> {
    use UnaryOp::*;
    let float_inline = matches!(
        op,
        IsNan | IsInf | IsFinite | Neg | Abs | Sqrt | Floor | Ceil | Trunc | Round | Real | Conj
    );
    match dtype {
        DType::F64 if !float_inline && !math::decomposed(op) => Some("arr_unary_f64"),
        DType::F32 if !float_inline => Some("arr_unary_f32"),
        DType::I64 if !matches!(op, Neg | Invert) => Some("arr_unary_i64"),
        _ => None,
    }
}

/// The shim a compiled kernel calls, once per element, for `op` of two `dtype` operands
/// (see [`unary_shim`]).
pub(crate) fn binary_shim(dtype: DType, op: BinaryOp) -> Option<&'static str> {
    use BinaryOp::*;
    if super::codegen::conditions(op).is_some() {
        return None;
    }
    match dtype {
        DType::F64 if !matches!(op, Add | Sub | Mul | Div | Minimum | Maximum) => {
            (!math::decomposed_binary(op)).then_some("arr_binary_f64")
        }
        DType::F32 if !matches!(op, Add | Sub | Mul | Div | Minimum | Maximum) => {
            Some("arr_binary_f32")
        }
        DType::I64
            if !matches!(
                op,
                Add | Sub
                    | Mul
                    | FloorDiv
                    | Mod
                    | Fmod
                    | Minimum
                    | Maximum
                    | BitAnd
                    | BitOr
                    | BitXor
                    | Shl
                    | Shr
            ) =>
        {
            Some("arr_binary_i64")
        }
        _ => None,
    }
}

/// The functions `kernel` calls through a shim (once per element, at one lane), by name.
pub(crate) fn shim_calls(kernel: &Kernel) -> Vec<&'static str> {
    let mut names = vec![];
    for v in &kernel.body {
        let name = match v.inst {
            Inst::Unary(op, a) => unary_shim(kernel.body[a].dtype, op).map(|_| op.name()),
            Inst::Binary(op, a, _) => binary_shim(kernel.body[a].dtype, op).map(|_| op.name()),
            _ => None,
        };
        if let Some(name) = name.filter(|n| !names.contains(n)) {
            names.push(name);
        }
    }
    names
}

/// `UnaryOp::ALL[op]` of an f64.
pub extern "C" fn unary_f64(op: u32, x: f64) -> f64 {
    scalar::unary_f64(UnaryOp::ALL[op as usize], x)
}

/// `UnaryOp::ALL[op]` of an f32.
pub extern "C" fn unary_f32(op: u32, x: f32) -> f32 {
    scalar::unary_f32(UnaryOp::ALL[op as usize], x)
}

/// `UnaryOp::ALL[op]` of an i64.
pub extern "C" fn unary_i64(op: u32, x: i64) -> i64 {
    scalar::int_unary(UnaryOp::ALL[op as usize], x)
}

/// `BinaryOp::ALL[op]` of two f64.
pub extern "C" fn binary_f64(op: u32, a: f64, b: f64) -> f64 {
    scalar::binary_f64(BinaryOp::ALL[op as usize], a, b)
}

/// `BinaryOp::ALL[op]` of two f32.
pub extern "C" fn binary_f32(op: u32, a: f32, b: f32) -> f32 {
    scalar::binary_f32(BinaryOp::ALL[op as usize], a, b)
}

/// `BinaryOp::ALL[op]` of two i64.
pub extern "C" fn binary_i64(op: u32, a: i64, b: i64) -> i64 {
    scalar::int_binary(BinaryOp::ALL[op as usize], a, b)
}

/// The name and address of every shim, for the JIT's symbol table.
pub fn symbols() -> Vec<(&'static str, *const u8)> {
    vec![
        ("arr_unary_f64", unary_f64 as *const u8),
        ("arr_unary_f32", unary_f32 as *const u8),
        ("arr_unary_i64", unary_i64 as *const u8),
        ("arr_binary_f64", binary_f64 as *const u8),
        ("arr_binary_f32", binary_f32 as *const u8),
        ("arr_binary_i64", binary_i64 as *const u8),
    ]
}
