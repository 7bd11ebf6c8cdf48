//! The decompositions over plain `f64` arithmetic: what the interpreter runs, and the
//! oracle every compiled backend is tested against.

use super::{Ops, exact};
use crate::graph::UnaryOp;

/// Scalar `f64` instantiation: what the interpreter runs.
pub struct Scalar;

impl Ops for Scalar {
    type F = f64;
    type I = i64;
    type B = bool;
    fn c(&mut self, x: f64) -> f64 {
        x
    }
    fn ci(&mut self, x: i64) -> i64 {
        x
    }
    fn add(&mut self, a: f64, b: f64) -> f64 {
        a + b
    }
    fn sub(&mut self, a: f64, b: f64) -> f64 {
        a - b
    }
    fn mul(&mut self, a: f64, b: f64) -> f64 {
        a * b
    }
    fn sqrt(&mut self, a: f64) -> f64 {
        a.sqrt()
    }
    fn div(&mut self, a: f64, b: f64) -> f64 {
        a / b
    }
    fn round(&mut self, a: f64) -> f64 {
        a.round_ties_even()
    }
    fn floor(&mut self, a: f64) -> f64 {
        a.floor()
    }
    fn bits(&mut self, a: f64) -> i64 {
        a.to_bits() as i64
    }
    fn float_from_bits(&mut self, a: i64) -> f64 {
        f64::from_bits(a as u64)
    }
    fn iadd(&mut self, a: i64, b: i64) -> i64 {
        a.wrapping_add(b)
    }
    fn iand(&mut self, a: i64, b: i64) -> i64 {
        a & b
    }
    fn ior(&mut self, a: i64, b: i64) -> i64 {
        a | b
    }
    fn shl(&mut self, a: i64, n: u8) -> i64 {
        a.wrapping_shl(n as u32)
    }
    fn ushr(&mut self, a: i64, n: u8) -> i64 {
        ((a as u64) >> n) as i64
    }
    fn lt(&mut self, a: f64, b: f64) -> bool {
        a < b
    }
    fn eq(&mut self, a: f64, b: f64) -> bool {
        a == b
    }
    fn ieq(&mut self, a: i64, b: i64) -> bool {
        a == b
    }
    fn select(&mut self, c: bool, a: f64, b: f64) -> f64 {
        if c { a } else { b }
    }
    fn iselect(&mut self, c: bool, a: i64, b: i64) -> i64 {
        if c { a } else { b }
    }
    fn exact_if(&mut self, c: bool, op: UnaryOp, x: f64, fast: f64) -> f64 {
        if c { exact(op, x) } else { fast }
    }
}
