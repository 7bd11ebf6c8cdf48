//! The WGSL of the IR's values: constants (exactly, by their bits, hidden from the shader
//! compiler), casts with NumPy's rules, and unary and binary operations — i64 ones through
//! `pairs` where shaders hold i64 as u32 pairs, f64 transcendentals through `fuse::math`'s
//! decompositions (`math`).

use super::wgsl::{Ints, Unsupported};
use crate::dtype::DType;
use crate::graph::{BinaryOp, UnaryOp};
use crate::runtime::Scalar;
use std::fmt::Write;

pub(super) fn bits_f64(x: f64) -> String {
    format!("bitcast<f64>({:#x}lu)", x.to_bits())
}

pub(super) fn bits_f32(x: f32) -> String {
    format!("bitcast<f32>({:#x}u)", x.to_bits())
}

pub(super) fn bits_i64(x: i64) -> String {
    format!("bitcast<i64>({:#x}lu)", x as u64)
}

/// A constant, exactly (floats and i64 by their bits), hidden from the shader compiler
/// (`opaque`, or adding the run-time zero): knowing a float constant, it folds `x * 0.0` to
/// 0 and `x + 0.0` to `x`, which IEEE does not (NaN, infinities, -0); knowing an i64 one,
/// Mesa's llvmpipe got `i > 4` wrong (true for every `i`; found by the UI scripts on gpu).
pub(super) fn constant(c: Scalar, ints: Ints) -> Result<String, Unsupported> {
    Ok(match c {
        Scalar::I64(x) if ints == Ints::Pairs => super::pairs::constant(x),
        Scalar::Bool(b) => format!("(info[3] {} 0)", if b { "==" } else { "!=" }),
        Scalar::I64(x) => format!("({} + i64(info[3]))", bits_i64(x)),
        Scalar::F32(x) => format!("opaque32({})", bits_f32(x)),
        Scalar::F64(x) => format!("opaque64({})", bits_f64(x)),
        Scalar::C128(_) => return Err("complex constants are split into halves".into()),
    })
}

/// `Array::cast` of one value (NumPy's rules on x86: NaN and out-of-range floats give
/// i64::MIN).
pub(super) fn cast(x: &str, from: DType, to: DType, ints: Ints) -> Result<String, Unsupported> {
    use DType::*;
    Ok(match (from, to) {
        _ if from == to => x.to_string(),
        (I64, _) | (_, I64) if ints == Ints::Pairs => super::pairs::cast(x, from, to)?,
        (Bool, I64) => format!("select(0li, 1li, {x})"),
        (Bool, F32) => format!("select(0.0f, 1.0f, {x})"),
        (Bool, F64) => format!("select(0.0lf, 1.0lf, {x})"),
        (I64, F32) => format!("f32({x})"),
        (I64 | F32, F64) => format!("f64({x})"),
        (F64, F32) => format!("f32({x})"),
        (F32 | F64, I64) => {
            let wide = if from == F32 {
                format!("f64({x})")
            } else {
                x.to_string()
            };
            format!(
                "select({}, i64({wide}), {wide} >= {} && {wide} < {})",
                bits_i64(i64::MIN),
                bits_f64(-9.223_372_036_854_776e18),
                bits_f64(9.223_372_036_854_776e18)
            )
        }
        (I64, Bool) => format!("{x} != 0li"),
        (F32, Bool) => format!("!({x} == 0.0f)"),
        (F64, Bool) => format!("!({x} == 0.0lf)"),
        _ => return Err("complex casts are computed on the CPU".into()),
    })
}

/// The text of a body being rendered: temporaries of the decomposed functions go before the
/// value that uses them.
pub(super) struct Body {
    pub(super) text: String,
    pub(super) temps: u32,
    /// Set when a decomposition raises the `status` flag (libm's exact path).
    pub(super) flags: bool,
    /// How the shader holds i64 values.
    pub(super) ints: Ints,
}

impl Body {
    /// The expression of `op` on body value `a` of `dtype`, or why it is not rendered.
    pub(super) fn unary(
        &mut self,
        op: UnaryOp,
        a: usize,
        dtype: DType,
    ) -> Result<String, Unsupported> {
        use UnaryOp::*;
        let x = format!("v{a}");
        let float = matches!(dtype, DType::F64 | DType::F32);
        let (bits, mask, inf) = if dtype == DType::F64 {
            (
                "bitcast<u64>",
                "0x7fffffffffffffffu",
                "0x7ff0000000000000lu",
            )
        } else {
            ("bitcast<u32>", "0x7fffffffu", "0x7f800000u")
        };
        let mask = if dtype == DType::F64 {
            format!("{mask}l")
        } else {
            mask.to_string()
        };
        if dtype == DType::I64
            && self.ints == Ints::Pairs
            && let Some(e) = super::pairs::unary(op, &x)
        {
            return Ok(e);
        }
        Ok(match (dtype, op) {
            (DType::Bool, Not) => format!("!{x}"),
            (DType::F64, IsNan) => format!("isnan64({x})"),
            (DType::F32, IsNan) => format!("isnan32({x})"),
            (_, IsInf) if float => format!("({bits}({x}) & {mask}) == {inf}"),
            (_, IsFinite) if float => format!("({bits}({x}) & {mask}) < {inf}"),
            (_, Neg) if float => format!("-{x}"),
            (_, Abs) if float => format!("abs({x})"),
            (_, Sqrt) if float => format!("sqrt({x})"),
            (_, Floor) if float => format!("floor({x})"),
            (_, Ceil) if float => format!("ceil({x})"),
            (_, Trunc) if float => format!("trunc({x})"),
            (_, Round) if float => format!("round({x})"),
            (_, Real | Conj) if float => x,
            (DType::F64, op) if crate::fuse::math::decomposed(op) => {
                self.math(|o, v| crate::fuse::math::unary(o, op, v), &x)
            }
            (DType::I64, Neg) => format!("-{x}"),
            (DType::I64, Invert) => format!("~{x}"),
            _ => return Err(format!("`{}` of {dtype} calls libm", op.name())),
        })
    }

    /// The expression of `op` on body values `a` and `b` of `dtype`, or why it is not
    /// rendered.
    pub(super) fn binary(
        &mut self,
        op: BinaryOp,
        a: usize,
        b: usize,
        dtype: DType,
    ) -> Result<String, Unsupported> {
        use BinaryOp::*;
        let (x, y) = (format!("v{a}"), format!("v{b}"));
        let float = matches!(dtype, DType::F64 | DType::F32);
        let isnan = if dtype == DType::F64 {
            "isnan64"
        } else {
            "isnan32"
        };
        let nan = if dtype == DType::F64 {
            "nan64()"
        } else {
            "nan32()"
        };
        let exact = if dtype == DType::F64 {
            "exact64"
        } else {
            "exact32"
        };
        if dtype == DType::I64 && self.ints == Ints::Pairs {
            return super::pairs::binary(op, &x, &y)
                .ok_or_else(|| format!("`{}` of {dtype} calls libm", op.name()));
        }
        // Bools compare as 0 and 1.
        let (cx, cy) = if dtype == DType::Bool {
            (format!("u32({x})"), format!("u32({y})"))
        } else {
            (x.clone(), y.clone())
        };
        Ok(match (dtype, op) {
            (_, Eq) => format!("{cx} == {cy}"),
            (_, Ne) => format!("!({cx} == {cy})"),
            (_, Lt) => format!("{cx} < {cy}"),
            (_, Le) => format!("{cx} <= {cy}"),
            (_, Gt) => format!("{cx} > {cy}"),
            (_, Ge) => format!("{cx} >= {cy}"),
            (DType::Bool, BitAnd | And | Minimum) => format!("{x} && {y}"),
            (DType::Bool, BitXor) => format!("{x} != {y}"),
            (DType::Bool, _) => format!("{x} || {y}"),
            (DType::I64, BitAnd) => format!("{x} & {y}"),
            (DType::I64, BitXor) => format!("{x} ^ {y}"),
            (DType::I64, BitOr) => format!("{x} | {y}"),
            // As `interp`: counts outside 0..63 shift every bit out.
            (DType::I64, Shl) => {
                format!("select(0li, {x} << u32({y} & 63li), bitcast<u64>({y}) < 64lu)")
            }
            (DType::I64, Shr) => {
                format!("select({x} >> 63u, {x} >> u32({y} & 63li), bitcast<u64>({y}) < 64lu)")
            }
            (_, Add) if float => format!("{exact}({x} + {y})"),
            (_, Sub) if float => format!("{exact}({x} - {y})"),
            (_, Mul) if float => format!("{exact}({x} * {y})"),
            (_, Div) if float => format!("{x} / {y}"),
            (DType::F64, op) if crate::fuse::math::decomposed_binary(op) => {
                let (tx, ty) = (self.temp(&x), self.temp(&y));
                let mut e = super::math::Emit::new(self);
                let h = crate::fuse::math::binary(&mut e, op, tx, ty);
                e.name(h)
            }
            (_, Minimum) if float => {
                format!("select(select({y}, {x}, {x} < {y}), {nan}, {isnan}({x}) || {isnan}({y}))")
            }
            (_, Maximum) if float => {
                format!("select(select({y}, {x}, {x} > {y}), {nan}, {isnan}({x}) || {isnan}({y}))")
            }
            (DType::I64, Minimum) => format!("select({y}, {x}, {x} < {y})"),
            (DType::I64, Maximum) => format!("select({y}, {x}, {x} > {y})"),
            (DType::I64, Add) => format!("{x} + {y}"),
            (DType::I64, Sub) => format!("{x} - {y}"),
            (DType::I64, Mul) => format!("{x} * {y}"),
            _ => return Err(format!("`{}` of {dtype} calls libm", op.name())),
        })
    }

    /// A temporary holding `expr` (for the decompositions' operands).
    fn temp(&mut self, expr: &str) -> super::math::Temp {
        let t = super::math::Temp(self.temps);
        self.temps += 1;
        let _ = writeln!(self.text, "    let m{} = {expr};", t.0);
        t
    }

    /// The decomposition `f` of `fuse::math` applied to `x`, as temporaries.
    fn math(
        &mut self,
        f: impl FnOnce(&mut super::math::Emit<'_>, super::math::Temp) -> super::math::Temp,
        x: &str,
    ) -> String {
        let t = self.temp(x);
        let mut e = super::math::Emit::new(self);
        let r = f(&mut e, t);
        e.name(r)
    }
}
