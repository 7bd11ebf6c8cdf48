//! Elementwise math, casts, reductions, scans and matrix products.

use super::{Args, Builtin};
use crate::diag::{Result, Span, type_error, value_error};
use crate::dtype::DType;
use crate::graph::{BinaryOp, NodeRef, ReduceOp, ScanOp, UnaryOp, normalize_axis};
use crate::lower::{Evaluator, Value};

const UNARY: &[(UnaryOp, &str, &str)] = &[
    (
        UnaryOp::Abs,
        "Absolute value (magnitude for complex).",
        "abs([-1.5, 2])",
    ),
    (
        UnaryOp::Sign,
        "-1, 0 or 1 by the sign of each element.",
        "sign([-2, 0, 3])",
    ),
    (UnaryOp::Sqrt, "Square root.", "sqrt(2.0)"),
    (UnaryOp::Cbrt, "Cube root.", "cbrt(27.0)"),
    (UnaryOp::Exp, "e raised to each element.", "exp(1.0)"),
    (UnaryOp::Exp2, "2 raised to each element.", "exp2(10.0)"),
    (
        UnaryOp::Expm1,
        "exp(x) - 1, accurate near 0.",
        "expm1(1e-10)",
    ),
    (UnaryOp::Log, "Natural logarithm.", "log(e)"),
    (
        UnaryOp::Log1p,
        "log(1 + x), accurate near 0.",
        "log1p(1e-10)",
    ),
    (UnaryOp::Log2, "Base-2 logarithm.", "log2(8.0)"),
    (UnaryOp::Log10, "Base-10 logarithm.", "log10(1000.0)"),
    (UnaryOp::Sin, "Sine (radians).", "sin(pi / 2)"),
    (UnaryOp::Cos, "Cosine (radians).", "cos(0.0)"),
    (UnaryOp::Tan, "Tangent (radians).", "tan(pi / 4)"),
    (UnaryOp::Asin, "Inverse sine.", "asin(1.0)"),
    (UnaryOp::Acos, "Inverse cosine.", "acos(1.0)"),
    (UnaryOp::Atan, "Inverse tangent.", "atan(1.0)"),
    (UnaryOp::Sinh, "Hyperbolic sine.", "sinh(1.0)"),
    (UnaryOp::Cosh, "Hyperbolic cosine.", "cosh(1.0)"),
    (UnaryOp::Tanh, "Hyperbolic tangent.", "tanh(1.0)"),
    (UnaryOp::Asinh, "Inverse hyperbolic sine.", "asinh(1.0)"),
    (UnaryOp::Acosh, "Inverse hyperbolic cosine.", "acosh(2.0)"),
    (UnaryOp::Atanh, "Inverse hyperbolic tangent.", "atanh(0.5)"),
    (
        UnaryOp::Floor,
        "Largest integer not above each element (i64 stays i64).",
        "floor([-1.5, 1.5])",
    ),
    (
        UnaryOp::Ceil,
        "Smallest integer not below each element (i64 stays i64).",
        "ceil([-1.5, 1.5])",
    ),
    (
        UnaryOp::Trunc,
        "Integer part, toward zero (i64 stays i64).",
        "trunc([-1.7, 1.7])",
    ),
    (
        UnaryOp::IsNan,
        "Whether each element is NaN.",
        "isnan([1.0, nan])",
    ),
    (
        UnaryOp::IsInf,
        "Whether each element is infinite.",
        "isinf([1.0, inf])",
    ),
    (
        UnaryOp::IsFinite,
        "Whether each element is finite.",
        "isfinite([1.0, inf, nan])",
    ),
    (
        UnaryOp::Real,
        "Real part (the value itself for real input).",
        "real([1.5, 2.0])",
    ),
    (
        UnaryOp::Imag,
        "Imaginary part (zeros for real input).",
        "imag([1.5, 2.0])",
    ),
    (
        UnaryOp::Conj,
        "Complex conjugate (the value itself for real input).",
        "conj([1.5, 2.0])",
    ),
    (
        UnaryOp::Angle,
        "Argument of a complex number (0 or pi for real input).",
        "angle([-1.0, 1.0])",
    ),
    (
        UnaryOp::J0,
        "Bessel function of the first kind, order 0.",
        "j0(2.4048)",
    ),
    (
        UnaryOp::J1,
        "Bessel function of the first kind, order 1.",
        "j1(1.0)",
    ),
    (
        UnaryOp::Y0,
        "Bessel function of the second kind, order 0.",
        "y0(1.0)",
    ),
    (
        UnaryOp::Y1,
        "Bessel function of the second kind, order 1.",
        "y1(1.0)",
    ),
    (UnaryOp::Erf, "Error function.", "erf(0.5)"),
    (
        UnaryOp::Erfc,
        "Complementary error function, 1 - erf(x).",
        "erfc(0.5)",
    ),
    (UnaryOp::Gamma, "Gamma function.", "gamma(5.0)"),
    (
        UnaryOp::Lgamma,
        "Natural log of the absolute value of the gamma function.",
        "lgamma(100.0)",
    ),
];

const BINARY: &[(BinaryOp, &str, &str, &str)] = &[
    (
        BinaryOp::Atan2,
        "atan2(y, x)",
        "Angle of the point (x, y), quadrant-aware.",
        "atan2(1.0, -1.0)",
    ),
    (
        BinaryOp::Hypot,
        "hypot(a, b)",
        "sqrt(a**2 + b**2) without overflow.",
        "hypot(3.0, 4.0)",
    ),
    (
        BinaryOp::Fmod,
        "fmod(a, b)",
        "Remainder with the sign of a (C's fmod).",
        "fmod(-7, 3)",
    ),
    (
        BinaryOp::Copysign,
        "copysign(a, b)",
        "a's magnitude with b's sign.",
        "copysign(2.0, -1.0)",
    ),
    (
        BinaryOp::Minimum,
        "minimum(a, b)",
        "Elementwise minimum (NaN propagates).",
        "minimum([1, 5], [3, 2])",
    ),
    (
        BinaryOp::Maximum,
        "maximum(a, b)",
        "Elementwise maximum (NaN propagates).",
        "maximum([1, 5], [3, 2])",
    ),
    (
        BinaryOp::Pow,
        "pow(a, b)",
        "a raised to b, as a ** b.",
        "pow(2.0, 10)",
    ),
    (
        BinaryOp::BitAnd,
        "bitwise_and(a, b)",
        "a & b: bitwise and of integers, logical and of bools.",
        "bitwise_and(12, 10)",
    ),
    (
        BinaryOp::BitOr,
        "bitwise_or(a, b)",
        "a | b: bitwise or of integers, logical or of bools.",
        "bitwise_or(12, 10)",
    ),
    (
        BinaryOp::BitXor,
        "bitwise_xor(a, b)",
        "a ^ b: bitwise exclusive or of integers, logical xor of bools.",
        "bitwise_xor(12, 10)",
    ),
    (
        BinaryOp::Shl,
        "left_shift(a, b)",
        "a << b on integers (counts outside 0..63 give 0).",
        "left_shift(1, 10)",
    ),
    (
        BinaryOp::Shr,
        "right_shift(a, b)",
        "a >> b on integers, arithmetic (keeps the sign).",
        "right_shift(-16, 2)",
    ),
];

const REDUCE: &[(ReduceOp, &str, &str, &str)] = &[
    (
        ReduceOp::Sum,
        "sum(x, axis=, keepdims=false)",
        "Sum of elements, of all or along axis.",
        "sum([[1, 2], [3, 4]], axis=0)",
    ),
    (
        ReduceOp::Prod,
        "prod(x, axis=, keepdims=false)",
        "Product of elements.",
        "prod([1, 2, 3, 4])",
    ),
    (
        ReduceOp::Mean,
        "mean(x, axis=, keepdims=false)",
        "Arithmetic mean (nan when empty).",
        "mean([1, 2, 3, 4])",
    ),
    (
        ReduceOp::Var,
        "var(x, axis=, keepdims=false, ddof=0)",
        "Variance, dividing by n - ddof.",
        "var([1, 2, 3, 4], ddof=1)",
    ),
    (
        ReduceOp::Std,
        "std(x, axis=, keepdims=false, ddof=0)",
        "Standard deviation, dividing by n - ddof.",
        "std([1, 2, 3, 4])",
    ),
    (
        ReduceOp::Min,
        "min(x, axis=, keepdims=false)",
        "Smallest element (NaN propagates).",
        "min([3, 1, 2])",
    ),
    (
        ReduceOp::Max,
        "max(x, axis=, keepdims=false)",
        "Largest element (NaN propagates).",
        "max([3, 1, 2])",
    ),
    (
        ReduceOp::Argmin,
        "argmin(x, axis=, keepdims=false)",
        "Index of the first smallest element (flat when no axis).",
        "argmin([3, 1, 2])",
    ),
    (
        ReduceOp::Argmax,
        "argmax(x, axis=, keepdims=false)",
        "Index of the first largest element (flat when no axis).",
        "argmax([3, 1, 2])",
    ),
    (
        ReduceOp::Any,
        "any(x, axis=, keepdims=false)",
        "Whether any element is true (non-zero).",
        "any([false, true])",
    ),
    (
        ReduceOp::All,
        "all(x, axis=, keepdims=false)",
        "Whether every element is true (non-zero).",
        "all([true, true])",
    ),
];

pub(super) fn builtins() -> Vec<Builtin> {
    let mut v: Vec<Builtin> = UNARY
        .iter()
        .map(|(op, doc, example)| Builtin {
            name: op.name(),
            signature: unary_signature(*op),
            doc,
            example,
            call: unary,
        })
        .collect();
    v.extend(BINARY.iter().map(|(_, sig, doc, example)| Builtin {
        name: sig.split('(').next().unwrap_or(sig),
        signature: sig,
        doc,
        example,
        call: binary,
    }));
    v.extend(REDUCE.iter().map(|(op, sig, doc, example)| Builtin {
        name: op.name(),
        signature: sig,
        doc,
        example,
        call: reduce,
    }));
    for (name, doc) in [
        ("f64", "Converts to f64."),
        ("f32", "Converts to f32."),
        ("i64", "Converts to i64, truncating toward zero."),
        ("bool", "Converts to bool (non-zero is true)."),
        ("c128", "Converts to c128 (complex)."),
    ] {
        v.push(Builtin {
            name,
            signature: cast_signature(name),
            doc,
            example: "i64([1.7, -1.7])",
            call: cast,
        });
    }
    v.extend([
        Builtin {
            name: "invert",
            signature: "invert(x)",
            doc: "~x: bitwise not of integers, logical not of bools.",
            example: "invert([0, 5])",
            call: |ev, a| {
                let x = a.array(ev, "x")?;
                let op = if x.dtype == DType::Bool {
                    UnaryOp::Not
                } else {
                    UnaryOp::Invert
                };
                let n = ev.graph.unary(op, &x, a.span)?;
                Ok(Value::Array(ev.fold(n)?))
            },
        },
        Builtin {
            name: "where",
            signature: "where(cond, a=, b=)",
            doc: "Elements of a where cond is true, else of b (broadcast); nonzero(cond) alone.",
            example: "where([true, false], 1, 2)",
            call: |ev, a| {
                if a.get("a").is_none() && a.get("b").is_none() {
                    let c = a.array(ev, "cond")?;
                    return super::search::nonzero(ev, &c, a.span);
                }
                let (c, x, y) = (a.array(ev, "cond")?, a.array(ev, "a")?, a.array(ev, "b")?);
                let n = ev.graph.select(&c, &x, &y, a.span)?;
                Ok(Value::Array(ev.fold(n)?))
            },
        },
        Builtin {
            name: "clip",
            signature: "clip(x, lo, hi)",
            doc: "Limits each element to [lo, hi].",
            example: "clip([-2, 0.5, 3], 0, 1)",
            call: |ev, a| {
                let (x, lo, hi) = (a.array(ev, "x")?, a.array(ev, "lo")?, a.array(ev, "hi")?);
                let m = ev.graph.binary(BinaryOp::Maximum, &x, &lo, a.span)?;
                let n = ev.graph.binary(BinaryOp::Minimum, &m, &hi, a.span)?;
                Ok(Value::Array(ev.fold(n)?))
            },
        },
        Builtin {
            name: "cumsum",
            signature: "cumsum(x, axis=)",
            doc: "Running sum along axis (over the flattened array when no axis).",
            example: "cumsum([1, 2, 3])",
            call: scan,
        },
        Builtin {
            name: "cumprod",
            signature: "cumprod(x, axis=)",
            doc: "Running product along axis (over the flattened array when no axis).",
            example: "cumprod([1, 2, 3])",
            call: scan,
        },
        Builtin {
            name: "matmul",
            signature: "matmul(a, b)",
            doc: "Matrix product with NumPy's rules (1-D, 2-D and batched), as a @ b.",
            example: "matmul([[1, 2], [3, 4]], [1, 1])",
            call: |ev, a| {
                let (x, y) = (a.array(ev, "a")?, a.array(ev, "b")?);
                Ok(Value::Array(ev.graph.matmul(&x, &y, a.span)?))
            },
        },
        Builtin {
            name: "dot",
            signature: "dot(a, b)",
            doc: "Dot product: inner product of vectors, matrix product of matrices, scaling for scalars.",
            example: "dot([1, 2, 3], [4, 5, 6])",
            call: |ev, a| {
                let (x, y) = (a.array(ev, "a")?, a.array(ev, "b")?);
                let n = if x.shape.is_empty() || y.shape.is_empty() {
                    ev.graph.binary(BinaryOp::Mul, &x, &y, a.span)?
                } else {
                    ev.graph.matmul(&x, &y, a.span)?
                };
                Ok(Value::Array(ev.fold(n)?))
            },
        },
        Builtin {
            name: "outer",
            signature: "outer(a, b)",
            doc: "Outer product of the flattened a and b.",
            example: "outer([1, 2], [1, 10, 100])",
            call: |ev, a| {
                let (x, y) = (a.array(ev, "a")?, a.array(ev, "b")?);
                let (nx, ny) = (x.size(), y.size());
                let x = ev.graph.reshape(&x, vec![nx, 1], a.span)?;
                let y = ev.graph.reshape(&y, vec![1, ny], a.span)?;
                let n = ev.graph.binary(BinaryOp::Mul, &x, &y, a.span)?;
                Ok(Value::Array(ev.fold(n)?))
            },
        },
    ]);
    v
}

fn unary_signature(op: UnaryOp) -> &'static str {
    // Leaked once per builtin when the registry is built: signatures live for the program.
    Box::leak(format!("{}(x)", op.name()).into_boxed_str())
}

fn cast_signature(name: &str) -> &'static str {
    Box::leak(format!("{name}(x)").into_boxed_str())
}

fn unary(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let op = UNARY
        .iter()
        .find(|(op, _, _)| op.name() == a.name)
        .map(|(op, _, _)| *op)
        .ok_or_else(|| type_error("unknown function"))?;
    let x = a.array(ev, "x")?;
    let n = ev.graph.unary(op, &x, a.span)?;
    Ok(Value::Array(ev.fold(n)?))
}

fn binary(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let (op, sig, _, _) = BINARY
        .iter()
        .find(|(_, sig, _, _)| sig.split('(').next() == Some(a.name))
        .ok_or_else(|| type_error("unknown function"))?;
    let params: Vec<&str> = sig
        .trim_end_matches(')')
        .split_once('(')
        .map_or(vec![], |(_, p)| p.split(", ").collect());
    let x = a.array(ev, params[0])?;
    let y = a.array(ev, params[1])?;
    let n = ev.graph.binary(*op, &x, &y, a.span)?;
    Ok(Value::Array(ev.fold(n)?))
}

fn reduce(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let (op, _, _, _) = REDUCE
        .iter()
        .find(|(op, _, _, _)| op.name() == a.name)
        .ok_or_else(|| type_error("unknown function"))?;
    let x = a.array(ev, "x")?;
    let axes = a.opt_axes(ev, "axis")?;
    let keepdims = a.flag(ev, "keepdims")?;
    let ddof = a.opt_i64(ev, "ddof")?.unwrap_or(0);
    let n = match axes.as_deref() {
        None => ev.graph.reduce(*op, &x, None, keepdims, ddof, a.span)?,
        Some(&[axis])
            if a.get("axis")
                .is_some_and(|(v, _)| !matches!(v, Value::Tuple(_))) =>
        {
            ev.graph
                .reduce(*op, &x, Some(axis), keepdims, ddof, a.span)?
        }
        Some(axes) => {
            let axes = axes
                .iter()
                .map(|&ax| normalize_axis(ax, x.shape.len()))
                .collect::<Result<Vec<_>>>()
                .map_err(|e| e.with_span(a.span_of("axis")))?;
            reduce_axes(ev, *op, &x, &axes, keepdims, ddof, a.span)?
        }
    };
    Ok(Value::Array(ev.fold(n)?))
}

/// A reduction over several axes at once (`sum(x, axis=(0, 2))`): the reduced axes are
/// moved last and merged into one, which is reduced as NumPy reduces them together.
pub(super) fn reduce_axes(
    ev: &mut Evaluator,
    op: ReduceOp,
    x: &NodeRef,
    axes: &[usize],
    keepdims: bool,
    ddof: i64,
    span: Span,
) -> Result<NodeRef> {
    let mut sorted = axes.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    if sorted.len() != axes.len() {
        return Err(value_error("an axis is repeated in `axis`").with_span(span));
    }
    if matches!(op, ReduceOp::Argmin | ReduceOp::Argmax) && axes.len() != 1 {
        return Err(
            type_error(format!("`{}` takes one axis, not a tuple", op.name())).with_span(span),
        );
    }
    let kept: Vec<usize> = (0..x.shape.len()).filter(|d| !sorted.contains(d)).collect();
    let perm: Vec<usize> = kept.iter().chain(&sorted).copied().collect();
    let moved = ev.graph.transpose(x, perm, span)?;
    let mut merged: Vec<usize> = kept.iter().map(|&d| x.shape[d]).collect();
    merged.push(sorted.iter().map(|&d| x.shape[d]).product());
    let merged_node = ev.graph.reshape(&moved, merged, span)?;
    let n = ev
        .graph
        .reduce(op, &merged_node, Some(-1), false, ddof, span)?;
    if !keepdims {
        return Ok(n);
    }
    let shape: Vec<usize> = (0..x.shape.len())
        .map(|d| if sorted.contains(&d) { 1 } else { x.shape[d] })
        .collect();
    ev.graph.reshape(&n, shape, span)
}

fn scan(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let op = if a.name == "cumsum" {
        ScanOp::Cumsum
    } else {
        ScanOp::Cumprod
    };
    let x = a.array(ev, "x")?;
    let axis = a.opt_i64(ev, "axis")?;
    let n = ev.graph.scan(op, &x, axis, a.span)?;
    Ok(Value::Array(ev.fold(n)?))
}

fn cast(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let dtype = DType::parse(a.name).ok_or_else(|| type_error("unknown dtype"))?;
    let x = a.array(ev, "x")?;
    if x.dtype == DType::C128 && dtype == DType::Bool {
        // True where either part is non-zero, as NumPy casts.
        let zero = crate::runtime::Array::scalar(crate::runtime::Scalar::F64(0.0));
        let zero = ev.graph.constant(zero, true, a.span)?;
        let n = ev.graph.binary(BinaryOp::Ne, &x, &zero, a.span)?;
        return Ok(Value::Array(ev.fold(n)?));
    }
    if x.dtype == DType::C128 && dtype != DType::C128 {
        // NumPy discards the imaginary part with a warning; arr does the same, silently.
        let re = ev.graph.unary(UnaryOp::Real, &x, a.span)?;
        let n = ev.graph.cast(&re, dtype, a.span)?;
        return Ok(Value::Array(ev.fold(n)?));
    }
    let n = ev.graph.cast(&x, dtype, a.span)?;
    Ok(Value::Array(ev.fold(n)?))
}
