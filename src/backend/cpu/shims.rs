//! Functions compiled kernels call for what they do not generate inline: rare float and
//! integer functions. Each calls the exact code `interp` uses, so results
//! are bit-identical across backends.

use crate::backend::interp::elementwise as scalar;
use crate::graph::{BinaryOp, UnaryOp};

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
