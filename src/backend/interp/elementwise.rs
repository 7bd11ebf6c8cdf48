//! Elementwise kernels of the reference interpreter: unary and binary functions, `where`,
//! casts. Straightforward ndarray maps; clarity over speed, since this is the oracle.

use super::complex::{complex_pow, complex_unary, smith_div};
use crate::diag::{Result, type_error, value_error};
use crate::dtype::DType;
use crate::graph::{BinaryOp, UnaryOp};
use crate::runtime::Array;
use ndarray::{ArrayD, IxDyn, Zip};
use num_complex::Complex64;

/// Float functions both f32 and f64 provide, so one generic kernel serves both.
trait Real: Copy + PartialOrd + std::ops::Neg<Output = Self> + 'static {
    fn apply(self, op: UnaryOp) -> Self;
    fn binary(self, other: Self, op: BinaryOp) -> Self;
}

macro_rules! impl_real {
    ($t:ty, $j0:path, $j1:path, $y0:path, $y1:path, $erf:path, $erfc:path, $gamma:path, $lgamma:path, $hypot:path, $atan2:path, $pow:path) => {
        impl Real for $t {
            fn apply(self, op: UnaryOp) -> $t {
                use UnaryOp::*;
                let x = self;
                match op {
                    Neg => -x,
                    Abs => x.abs(),
                    Sign => {
                        if x.is_nan() {
                            x
                        } else if x > 0.0 {
                            1.0
                        } else if x < 0.0 {
                            -1.0
                        } else {
                            0.0
                        }
                    }
                    Sqrt => x.sqrt(),
                    Cbrt => x.cbrt(),
                    Exp => x.exp(),
                    Exp2 => x.exp2(),
                    Expm1 => x.exp_m1(),
                    Log => x.ln(),
                    Log1p => x.ln_1p(),
                    Log2 => x.log2(),
                    Log10 => x.log10(),
                    Sin => x.sin(),
                    Cos => x.cos(),
                    Tan => x.tan(),
                    Asin => x.asin(),
                    Acos => x.acos(),
                    Atan => x.atan(),
                    Sinh => x.sinh(),
                    Cosh => x.cosh(),
                    Tanh => x.tanh(),
                    Asinh => x.asinh(),
                    Acosh => x.acosh(),
                    Atanh => x.atanh(),
                    Floor => x.floor(),
                    Ceil => x.ceil(),
                    Round => x.round_ties_even(),
                    Trunc => x.trunc(),
                    Real | Conj => x,
                    Imag => 0.0,
                    Angle => {
                        if x.is_nan() {
                            x
                        } else if x.is_sign_negative() {
                            std::f64::consts::PI as $t
                        } else {
                            0.0
                        }
                    }
                    J0 => $j0(x),
                    J1 => $j1(x),
                    Y0 => $y0(x),
                    Y1 => $y1(x),
                    Erf => $erf(x),
                    Erfc => $erfc(x),
                    Gamma => $gamma(x),
                    Lgamma => $lgamma(x),
                    Not | IsNan | IsInf | IsFinite | Invert => {
                        unreachable!("predicates and integer ops handled before")
                    }
                }
            }

            fn binary(self, b: $t, op: BinaryOp) -> $t {
                use BinaryOp::*;
                let a = self;
                match op {
                    Add => a + b,
                    Sub => a - b,
                    Mul => a * b,
                    Div => a / b,
                    FloorDiv => divmod(a as f64, b as f64).0 as $t,
                    Mod => divmod(a as f64, b as f64).1 as $t,
                    Pow => $pow(a, b),
                    // NumPy's: NaN if either is; the second operand when they compare
                    // equal (`minimum(0.0, -0.0)` is `-0.0`).
                    Minimum => {
                        if a.is_nan() || b.is_nan() {
                            <$t>::NAN
                        } else if a < b {
                            a
                        } else {
                            b
                        }
                    }
                    Maximum => {
                        if a.is_nan() || b.is_nan() {
                            <$t>::NAN
                        } else if a > b {
                            a
                        } else {
                            b
                        }
                    }
                    Atan2 => $atan2(a, b),
                    Hypot => $hypot(a, b),
                    Fmod => a % b,
                    Copysign => a.copysign(b),
                    Eq | Ne | Lt | Le | Gt | Ge | And | Or | BitAnd | BitOr | BitXor | Shl
                    | Shr => {
                        unreachable!("predicates and integer ops handled before")
                    }
                }
            }
        }
    };
}

impl_real!(
    f64,
    libm::j0,
    libm::j1,
    libm::y0,
    libm::y1,
    libm::erf,
    libm::erfc,
    libm::tgamma,
    libm::lgamma,
    hypot_f64,
    atan2_f64,
    pow_f64
);
impl_real!(
    f32,
    libm::j0f,
    libm::j1f,
    libm::y0f,
    libm::y1f,
    libm::erff,
    libm::erfcf,
    libm::tgammaf,
    libm::lgammaf,
    f32::hypot,
    f32::atan2,
    f32::powf
);

/// `hypot` of f64 values (and `abs` of complex numbers): the shared decomposition of
/// `fuse::math`, which compiled kernels inline.
pub(crate) fn hypot_f64(x: f64, y: f64) -> f64 {
    crate::fuse::math::hypot(&mut crate::fuse::math::Scalar, x, y)
}

/// `x^y` of f64 values: the shared decomposition of `fuse::math`.
fn pow_f64(x: f64, y: f64) -> f64 {
    crate::fuse::math::pow(&mut crate::fuse::math::Scalar, x, y)
}

/// `atan2` of f64 values: the shared decomposition of `fuse::math`.
fn atan2_f64(y: f64, x: f64) -> f64 {
    crate::fuse::math::atan2(&mut crate::fuse::math::Scalar, y, x)
}

/// One element of a unary float function, exactly as every backend computes it (compiled
/// kernels call these for the functions they do not generate inline).
/// The functions `fuse::math::decomposed` names are its shared decompositions.
pub(crate) fn unary_f64(op: UnaryOp, x: f64) -> f64 {
    use crate::fuse::math::{self, Scalar};
    if math::decomposed(op) {
        math::unary(&mut Scalar, op, x)
    } else {
        x.apply(op)
    }
}

/// [`unary_f64`] for f32.
pub(crate) fn unary_f32(op: UnaryOp, x: f32) -> f32 {
    x.apply(op)
}

/// One element of a binary float function (non-predicate), as every backend computes it.
pub(crate) fn binary_f64(op: BinaryOp, a: f64, b: f64) -> f64 {
    a.binary(b, op)
}

/// [`binary_f64`] for f32.
pub(crate) fn binary_f32(op: BinaryOp, a: f32, b: f32) -> f32 {
    a.binary(b, op)
}

/// NumPy's `divmod` for floats (`npy_divmod`): floor quotient and a remainder with the
/// divisor's sign.
fn divmod(a: f64, b: f64) -> (f64, f64) {
    let m = a % b;
    if b == 0.0 {
        return (a / b, m);
    }
    let mut div = (a - m) / b;
    let mut m = m;
    if m != 0.0 {
        if (b < 0.0) != (m < 0.0) {
            m += b;
            div -= 1.0;
        }
    } else {
        m = 0f64.copysign(b);
    }
    let floordiv = if div != 0.0 {
        let f = div.floor();
        if div - f > 0.5 { f + 1.0 } else { f }
    } else {
        0f64.copysign(a / b)
    };
    (floordiv, m)
}

/// One element of a unary integer function.
pub(crate) fn int_unary(op: UnaryOp, x: i64) -> i64 {
    use UnaryOp::*;
    match op {
        Neg => x.wrapping_neg(),
        Abs => x.wrapping_abs(),
        Sign => x.signum(),
        Invert => !x,
        _ => x,
    }
}

/// Applies an elementwise function; `out` is the node's dtype.
pub fn unary(op: UnaryOp, x: &Array, out: DType) -> Result<Array> {
    use UnaryOp::*;
    Ok(match (op, x) {
        (Not, _) => match x.cast(DType::Bool) {
            Array::Bool(a) => Array::Bool(a.mapv(|v| !v)),
            _ => unreachable!(),
        },
        (IsNan | IsInf | IsFinite, Array::C128(a)) => Array::Bool(a.mapv(|z| match op {
            IsNan => z.re.is_nan() || z.im.is_nan(),
            IsInf => z.re.is_infinite() || z.im.is_infinite(),
            _ => z.re.is_finite() && z.im.is_finite(),
        })),
        (IsNan | IsInf | IsFinite, _) => match x.cast(DType::F64) {
            Array::F64(a) => Array::Bool(a.mapv(|v| match op {
                IsNan => v.is_nan(),
                IsInf => v.is_infinite(),
                _ => v.is_finite(),
            })),
            _ => unreachable!(),
        },
        (Abs | Real | Imag | Angle, Array::C128(a)) => Array::F64(a.mapv(|z| match op {
            Abs => hypot_f64(z.re, z.im),
            Real => z.re,
            Imag => z.im,
            _ => z.arg(),
        })),
        (_, Array::F64(a)) if out == DType::F64 => Array::F64(par_map(a, |v| unary_f64(op, v))),
        (_, Array::F32(a)) if out == DType::F32 => Array::F32(par_map(a, |v| v.apply(op))),
        _ => match x.cast(out) {
            Array::I64(a) => Array::I64(a.mapv(|v| int_unary(op, v))),
            Array::F64(a) => Array::F64(par_map(&a, |v| unary_f64(op, v))),
            Array::F32(a) => Array::F32(par_map(&a, |v| v.apply(op))),
            Array::C128(a) => Array::C128(a.mapv(|v| complex_unary(op, v))),
            Array::Bool(a) => Array::Bool(a),
        },
    })
}

/// Arrays at least this large are mapped on all cores (elementwise, so results are the same).
const PARALLEL_LEN: usize = 1 << 16;

/// Maps every element, in parallel for large arrays.
fn par_map<T: Copy + Send + Sync, O: Send>(
    a: &ArrayD<T>,
    f: impl Fn(T) -> O + Sync + Send,
) -> ArrayD<O> {
    if a.len() >= PARALLEL_LEN {
        Zip::from(a).par_map_collect(|&v| f(v))
    } else {
        a.mapv(f)
    }
}

/// Broadcasts `a` and `b` to `shape` and maps them pairwise.
fn zip_map<A: Clone, B: Clone, O>(
    a: &ArrayD<A>,
    b: &ArrayD<B>,
    shape: &[usize],
    f: impl Fn(A, B) -> O,
) -> ArrayD<O> {
    // Flat loops where the layouts allow it (a scalar against an array, two row-major
    // arrays of one shape): no per-element index arithmetic.
    if let (Some(x), Some(y)) = (a.as_slice(), b.as_slice()) {
        let out: Option<Vec<O>> = match (x.len(), y.len()) {
            (1, _) if b.shape() == shape => {
                Some(y.iter().map(|q| f(x[0].clone(), q.clone())).collect())
            }
            (_, 1) if a.shape() == shape => {
                Some(x.iter().map(|p| f(p.clone(), y[0].clone())).collect())
            }
            _ if a.shape() == shape && b.shape() == shape => Some(
                x.iter()
                    .zip(y)
                    .map(|(p, q)| f(p.clone(), q.clone()))
                    .collect(),
            ),
            _ => None,
        };
        if let Some(out) = out {
            return ArrayD::from_shape_vec(IxDyn(shape), out).expect("one per element");
        }
    }
    let dim = IxDyn(shape);
    let (Some(av), Some(bv)) = (a.broadcast(dim.clone()), b.broadcast(dim)) else {
        unreachable!("shapes were checked when the node was built")
    };
    Zip::from(&av)
        .and(&bv)
        .map_collect(|x, y| f(x.clone(), y.clone()))
}

/// One element of a binary integer function (non-predicate; `Pow` with exponent ≥ 0).
pub(crate) fn int_binary(op: BinaryOp, a: i64, b: i64) -> i64 {
    use BinaryOp::*;
    match op {
        Add => a.wrapping_add(b),
        Sub => a.wrapping_sub(b),
        Mul => a.wrapping_mul(b),
        FloorDiv => {
            if b == 0 {
                0
            } else {
                let q = a.wrapping_div(b);
                if (a.wrapping_rem(b) != 0) && ((a < 0) != (b < 0)) {
                    q - 1
                } else {
                    q
                }
            }
        }
        Mod => {
            if b == 0 {
                0
            } else {
                let r = a.wrapping_rem(b);
                if r != 0 && ((r < 0) != (b < 0)) {
                    r + b
                } else {
                    r
                }
            }
        }
        Fmod => {
            if b == 0 {
                0
            } else {
                a.wrapping_rem(b)
            }
        }
        Pow => {
            let (mut base, mut exp, mut acc) = (a, b as u64, 1i64);
            while exp > 0 {
                if exp & 1 == 1 {
                    acc = acc.wrapping_mul(base);
                }
                base = base.wrapping_mul(base);
                exp >>= 1;
            }
            acc
        }
        Minimum => a.min(b),
        Maximum => a.max(b),
        BitAnd => a & b,
        BitOr => a | b,
        BitXor => a ^ b,
        // NumPy's `npy_lshift`/`npy_rshift`: counts outside 0..63 shift everything out.
        Shl => {
            if (b as u64) < 64 {
                a << b
            } else {
                0
            }
        }
        Shr => {
            if (b as u64) < 64 {
                a >> b
            } else if a < 0 {
                -1
            } else {
                0
            }
        }
        _ => unreachable!("not an integer op"),
    }
}

/// A comparison of two elements.
pub(crate) fn compare<T: PartialOrd + PartialEq>(op: BinaryOp, a: T, b: T) -> bool {
    use BinaryOp::*;
    match op {
        Eq => a == b,
        Ne => a != b,
        Lt => a < b,
        Le => a <= b,
        Gt => a > b,
        Ge => a >= b,
        _ => unreachable!("not a comparison"),
    }
}

/// A float binary function over the broadcast `shape`: the four arithmetic operations
/// each in a loop of their own (so the compiler vectorises it), the rest through
/// [`Real::binary`].
fn float_binary<T>(op: BinaryOp, x: &ArrayD<T>, y: &ArrayD<T>, shape: &[usize]) -> ArrayD<T>
where
    T: Real
        + std::ops::Add<Output = T>
        + std::ops::Sub<Output = T>
        + std::ops::Mul<Output = T>
        + std::ops::Div<Output = T>,
{
    match op {
        BinaryOp::Add => zip_map(x, y, shape, |p, q| p + q),
        BinaryOp::Sub => zip_map(x, y, shape, |p, q| p - q),
        BinaryOp::Mul => zip_map(x, y, shape, |p, q| p * q),
        BinaryOp::Div => zip_map(x, y, shape, |p, q| p / q),
        _ => zip_map(x, y, shape, |p, q| p.binary(q, op)),
    }
}

/// Applies a binary function computed in `compute` dtype over the broadcast `shape`.
pub fn binary(
    op: BinaryOp,
    a: &Array,
    b: &Array,
    compute: DType,
    shape: &[usize],
) -> Result<Array> {
    use BinaryOp::*;
    let (a, b) = (a.in_dtype(compute), b.in_dtype(compute));
    let (a, b) = (&*a, &*b);
    if matches!(op, And | Or) {
        let (Array::Bool(x), Array::Bool(y)) = (a, b) else {
            unreachable!()
        };
        return Ok(Array::Bool(zip_map(x, y, shape, |p, q| {
            if op == And { p && q } else { p || q }
        })));
    }
    let predicate = op.is_predicate();
    Ok(match (a, b) {
        (Array::Bool(x), Array::Bool(y)) if predicate => {
            Array::Bool(zip_map(x, y, shape, |p, q| compare(op, p, q)))
        }
        (Array::Bool(x), Array::Bool(y)) => Array::Bool(zip_map(x, y, shape, |p, q| match op {
            Minimum | BitAnd => p && q,
            BitXor => p ^ q,
            _ => p || q,
        })),
        (Array::I64(x), Array::I64(y)) if predicate => {
            Array::Bool(zip_map(x, y, shape, |p, q| compare(op, p, q)))
        }
        (Array::I64(x), Array::I64(y)) => {
            if op == Pow && y.iter().any(|&e| e < 0) {
                return Err(
                    value_error("integers to negative integer powers are not allowed")
                        .with_help("use a float base, e.g. `2.0 ** -1`"),
                );
            }
            Array::I64(zip_map(x, y, shape, |p, q| int_binary(op, p, q)))
        }
        (Array::F64(x), Array::F64(y)) if predicate => {
            Array::Bool(zip_map(x, y, shape, |p, q| compare(op, p, q)))
        }
        (Array::F64(x), Array::F64(y)) => Array::F64(float_binary(op, x, y, shape)),
        (Array::F32(x), Array::F32(y)) if predicate => {
            Array::Bool(zip_map(x, y, shape, |p, q| compare(op, p, q)))
        }
        (Array::F32(x), Array::F32(y)) => Array::F32(float_binary(op, x, y, shape)),
        (Array::C128(x), Array::C128(y)) => match op {
            Eq => Array::Bool(zip_map(x, y, shape, |p, q| p == q)),
            Ne => Array::Bool(zip_map(x, y, shape, |p, q| p != q)),
            Add => Array::C128(zip_map(x, y, shape, |p, q| p + q)),
            Sub => Array::C128(zip_map(x, y, shape, |p, q| p - q)),
            Mul => Array::C128(zip_map(x, y, shape, |p, q| p * q)),
            Div => Array::C128(zip_map(x, y, shape, smith_div)),
            Pow => Array::C128(zip_map(x, y, shape, complex_pow)),
            _ => {
                return Err(type_error(format!(
                    "`{}` is not defined for c128",
                    op.name()
                )));
            }
        },
        _ => unreachable!("both operands were cast to the compute dtype"),
    })
}

/// `complex(re, im)` over the broadcast `shape`: each element built from its parts'
/// values, cast to f64 first.
pub fn complex(re: &Array, im: &Array, shape: &[usize]) -> Array {
    let (re, im) = (re.in_dtype(DType::F64), im.in_dtype(DType::F64));
    let (Array::F64(re), Array::F64(im)) = (&*re, &*im) else {
        unreachable!("cast to f64 above")
    };
    let dim = IxDyn(shape);
    let (Some(re), Some(im)) = (re.broadcast(dim.clone()), im.broadcast(dim)) else {
        unreachable!("checked when built")
    };
    Array::C128(
        Zip::from(&re)
            .and(&im)
            .map_collect(|&r, &i| Complex64::new(r, i)),
    )
}

/// `where(c, a, b)` over the broadcast `shape`; `a` and `b` already share the result dtype.
pub fn select(c: &Array, a: &Array, b: &Array, shape: &[usize], dtype: DType) -> Array {
    let Array::Bool(c) = c.cast(DType::Bool) else {
        unreachable!()
    };
    let dim = IxDyn(shape);
    let Some(cv) = c.broadcast(dim.clone()) else {
        unreachable!("checked when built")
    };
    macro_rules! sel {
        ($variant:ident) => {{
            let (Array::$variant(x), Array::$variant(y)) =
                (&*a.in_dtype(dtype), &*b.in_dtype(dtype))
            else {
                unreachable!()
            };
            let (Some(xv), Some(yv)) = (x.broadcast(dim.clone()), y.broadcast(dim.clone())) else {
                unreachable!()
            };
            Array::$variant(
                Zip::from(&cv)
                    .and(&xv)
                    .and(&yv)
                    .map_collect(|&c, &x, &y| if c { x } else { y }),
            )
        }};
    }
    match dtype {
        DType::Bool => sel!(Bool),
        DType::I64 => sel!(I64),
        DType::F32 => sel!(F32),
        DType::F64 => sel!(F64),
        DType::C128 => sel!(C128),
    }
}
