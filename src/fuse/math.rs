//! Transcendental functions decomposed into arithmetic, comparisons, selects and bit
//! operations, written once against [`Ops`] so every backend computes the same bits: the
//! interpreter instantiates it with plain `f64` arithmetic, the CPU backend with Cranelift
//! instructions (and the GPU backend will with WGSL expressions, which has no f64 `exp`).
//!
//! Accuracy, checked against the platform's libm by the tests below over the whole domain:
//! `exp` ≤ 2 ulp, `log` and `log1p` ≤ 2 ulp, `sin` and `cos` ≤ 2 ulp for |x| < 1e5 (larger
//! arguments take the exact libm path, as the reduction would lose digits), `hypot` ≤ 1 ulp
//! (the same bits as glibc's on every test point: it is glibc's algorithm), `atan`, `asin`
//! and `acos` ≤ 1 ulp and `atan2` ≤ 2 ulp (fdlibm's, in `inverse`), `expm1` ≤ 1 ulp and
//! `sinh`, `cosh`, `tanh` ≤ 2 ulp (fdlibm's, in `hyperbolic`), `exp2` and `cbrt` ≤ 2 ulp
//! (`powers`), `log2` and `log10` ≤ 2 ulp (msun's, in `logs`), `tan` ≤ 2 ulp below 1e5
//! (fdlibm's kernel, in `tan`), `erf` and `erfc` ≤ 2 ulp of the `libm` crate's (fdlibm's,
//! in `erf`), `pow` ≤ 2 ulp (fdlibm's, in `pow`; exact for representable integer powers of
//! integers). The polynomials
//! are fdlibm's (`e_log.c`, `k_sin.c`, `k_cos.c`) and a degree-13 Taylor series for `exp`
//! on |r| ≤ ln2/2.

// fdlibm's constants, verbatim.
#![allow(clippy::excessive_precision)]

use crate::graph::{BinaryOp, UnaryOp};

mod erf;
mod hyperbolic;
mod hypot;
mod inverse;
mod logs;
mod pow;
mod powers;
mod scalar;
mod tan;

pub use erf::{erf, erfc};
pub use hyperbolic::{SinhNear, cosh, expm1, sinh, sinh_end, sinh_far, sinh_near, tanh};
pub use hypot::{common_case as hypot_common_case, hypot, hypot_kernel, hypot_of, magnitudes};
pub use inverse::{acos, asin, atan, atan2};
pub use logs::{log2, log10};
pub use pow::{PowCore, pow, pow_cases, pow_common_case, pow_core};
pub use powers::{cbrt, exp2};
pub use scalar::Scalar;
pub use tan::tan;

/// Whether every backend computes `op` of f64 values with the decompositions here (the
/// other functions call the interpreter's scalar code, libm's).
pub fn decomposed(op: UnaryOp) -> bool {
    use UnaryOp::*;
    matches!(
        op,
        Exp | Exp2
            | Expm1
            | Log
            | Log2
            | Log10
            | Log1p
            | Sin
            | Cos
            | Tan
            | Atan
            | Asin
            | Acos
            | Sinh
            | Cosh
            | Tanh
            | Cbrt
            | Erf
            | Erfc
    )
}

/// Whether every backend computes `op` of two f64 values with the decompositions here.
pub fn decomposed_binary(op: BinaryOp) -> bool {
    matches!(op, BinaryOp::Hypot | BinaryOp::Atan2 | BinaryOp::Pow)
}

/// `op(a, b)` for an `op` that is [`decomposed_binary`].
#[inline(always)]
pub fn binary<O: Ops>(o: &mut O, op: BinaryOp, a: O::F, b: O::F) -> O::F {
    match op {
        BinaryOp::Hypot => hypot(o, a, b),
        BinaryOp::Atan2 => atan2(o, a, b),
        BinaryOp::Pow => pow(o, a, b),
        _ => unreachable!("`{}` is not decomposed", op.name()),
    }
}

/// `op(x)` for an `op` that is [`decomposed`].
#[inline(always)]
pub fn unary<O: Ops>(o: &mut O, op: UnaryOp, x: O::F) -> O::F {
    match op {
        UnaryOp::Exp => exp(o, x),
        UnaryOp::Exp2 => exp2(o, x),
        UnaryOp::Expm1 => expm1(o, x),
        UnaryOp::Log => log(o, x),
        UnaryOp::Log2 => log2(o, x),
        UnaryOp::Log10 => log10(o, x),
        UnaryOp::Log1p => log1p(o, x),
        UnaryOp::Sin => sin_cos(o, x, false),
        UnaryOp::Cos => sin_cos(o, x, true),
        UnaryOp::Tan => tan(o, x),
        UnaryOp::Atan => atan(o, x),
        UnaryOp::Asin => asin(o, x),
        UnaryOp::Acos => acos(o, x),
        UnaryOp::Sinh => sinh(o, x),
        UnaryOp::Cosh => cosh(o, x),
        UnaryOp::Tanh => tanh(o, x),
        UnaryOp::Cbrt => cbrt(o, x),
        UnaryOp::Erf => erf(o, x),
        UnaryOp::Erfc => erfc(o, x),
        _ => unreachable!("`{}` is not decomposed", op.name()),
    }
}

/// The operations the decompositions are written in. `F` is an f64 value, `I` an i64 value,
/// `B` a condition.
pub trait Ops {
    /// An f64 value.
    type F: Copy;
    /// An i64 value.
    type I: Copy;
    /// A condition.
    type B: Copy;
    /// A constant.
    fn c(&mut self, x: f64) -> Self::F;
    /// An integer constant.
    fn ci(&mut self, x: i64) -> Self::I;
    /// `a + b`.
    fn add(&mut self, a: Self::F, b: Self::F) -> Self::F;
    /// `a - b`.
    fn sub(&mut self, a: Self::F, b: Self::F) -> Self::F;
    /// `a * b` (never fused with an add).
    fn mul(&mut self, a: Self::F, b: Self::F) -> Self::F;
    /// `a / b`.
    fn div(&mut self, a: Self::F, b: Self::F) -> Self::F;
    /// The correctly rounded square root.
    fn sqrt(&mut self, a: Self::F) -> Self::F;
    /// Round to nearest, ties to even.
    fn round(&mut self, a: Self::F) -> Self::F;
    /// Round toward minus infinity.
    fn floor(&mut self, a: Self::F) -> Self::F;
    /// The bits of a float.
    fn bits(&mut self, a: Self::F) -> Self::I;
    /// The float with these bits.
    fn float_from_bits(&mut self, a: Self::I) -> Self::F;
    /// Wrapping `a + b`.
    fn iadd(&mut self, a: Self::I, b: Self::I) -> Self::I;
    /// Bitwise and.
    fn iand(&mut self, a: Self::I, b: Self::I) -> Self::I;
    /// Bitwise or.
    fn ior(&mut self, a: Self::I, b: Self::I) -> Self::I;
    /// Shift left.
    fn shl(&mut self, a: Self::I, n: u8) -> Self::I;
    /// Logical shift right.
    fn ushr(&mut self, a: Self::I, n: u8) -> Self::I;
    /// `a < b` (false when either is NaN).
    fn lt(&mut self, a: Self::F, b: Self::F) -> Self::B;
    /// `a == b`.
    fn eq(&mut self, a: Self::F, b: Self::F) -> Self::B;
    /// Integer equality.
    fn ieq(&mut self, a: Self::I, b: Self::I) -> Self::B;
    /// `if c { a } else { b }`.
    fn select(&mut self, c: Self::B, a: Self::F, b: Self::F) -> Self::F;
    /// `if c { a } else { b }` for integers.
    fn iselect(&mut self, c: Self::B, a: Self::I, b: Self::I) -> Self::I;
    /// `if c { libm's op(x) } else { fast }`, computing libm only when `c` holds.
    fn exact_if(&mut self, c: Self::B, op: UnaryOp, x: Self::F, fast: Self::F) -> Self::F;
    /// `a`, hidden from a compiler that rewrites float algebra (`y - ((1 + y) - 1)` to 0,
    /// `x == x` to true): where a decomposition relies on IEEE rounding or NaN, its operand
    /// goes through this. Cranelift and the interpreter never rewrite, so it is `a`; shader
    /// compilers do (Mesa's NIR treats float ops as inexact unless told otherwise).
    fn opaque(&mut self, a: Self::F) -> Self::F {
        a
    }
}

#[inline(always)]
fn horner<O: Ops>(o: &mut O, x: O::F, coeffs: &[f64]) -> O::F {
    let mut acc = o.c(coeffs[coeffs.len() - 1]);
    for &k in coeffs[..coeffs.len() - 1].iter().rev() {
        let m = o.mul(acc, x);
        let kk = o.c(k);
        acc = o.add(m, kk);
    }
    acc
}

/// 1/n! for n = 0..=13: the Taylor series of e^r, accurate to 2^-60 for |r| ≤ ln2/2.
const EXP_TAYLOR: [f64; 14] = {
    let mut v = [1.0; 14];
    let (mut n, mut f) = (1, 1.0);
    while n < 14 {
        f *= n as f64;
        v[n] = 1.0 / f;
        n += 1;
    }
    v
};

const LN2_HI: f64 = 6.931_471_803_691_238_164_90e-01;
const LN2_LO: f64 = 1.908_214_929_270_587_700_02e-10;

/// `exp(x)`.
#[inline(always)]
pub fn exp<O: Ops>(o: &mut O, x: O::F) -> O::F {
    // Clamp (beyond, the result is 0 or inf), reduce x = k ln2 + r.
    let xc = clamp(o, x, -746.0, 710.0);
    let log2e = o.c(std::f64::consts::LOG2_E);
    let t = o.mul(xc, log2e);
    let kf = o.round(t);
    let (l1, l2) = (o.c(LN2_HI), o.c(LN2_LO));
    let a = o.mul(kf, l1);
    let r = o.sub(xc, a);
    let b = o.mul(kf, l2);
    let r = o.sub(r, b);
    let p = horner(o, r, &EXP_TAYLOR);
    scale(o, p, kf)
}

/// `x` clamped to [lo, hi]; NaN passes through the comparisons unchanged.
#[inline(always)]
pub(super) fn clamp<O: Ops>(o: &mut O, x: O::F, lo: f64, hi: f64) -> O::F {
    let (lo, hi) = (o.c(lo), o.c(hi));
    let below = o.lt(x, lo);
    let xc = o.select(below, lo, x);
    let above = o.lt(hi, xc);
    o.select(above, hi, xc)
}

/// `x · 2^k` for a float holding an integer k in [-2044, 2046]: 2^k as two factors, so that
/// subnormal results and k = 1024 stay representable (k1 = floor(k / 2), k2 = k - k1, each
/// turned into an exponent field by adding it to the bits of 1.5·2^52: integers and floats
/// convert without conversion instructions, which two-lane vectors lack); both products
/// are exact but for the last rounding.
#[inline(always)]
pub(super) fn scale<O: Ops>(o: &mut O, p: O::F, kf: O::F) -> O::F {
    let half = o.c(0.5);
    let hk = o.mul(kf, half);
    let k1 = o.floor(hk);
    let k2 = o.sub(kf, k1);
    let s1 = pow2(o, k1);
    let s2 = pow2(o, k2);
    let y = o.mul(p, s1);
    o.mul(y, s2)
}

/// 1.5·2^52: adding it to a float holding an integer |j| < 2^51 puts j in the low bits.
const MAGIC: f64 = 6_755_399_441_055_744.0;

/// The bits of a float holding an integer `j` (|j| < 2^51), plus `bias`, as an integer:
/// `j + bias`.
#[inline(always)]
fn int_of<O: Ops>(o: &mut O, jf: O::F, bias: i64) -> O::I {
    let m = o.c(MAGIC);
    let shifted = o.add(jf, m);
    let bits = o.bits(shifted);
    let b = o.ci(bias - MAGIC.to_bits() as i64);
    o.iadd(bits, b)
}

/// The float of a small integer `j` (|j| < 2^51).
#[inline(always)]
fn float_of<O: Ops>(o: &mut O, j: O::I) -> O::F {
    let mb = o.ci(MAGIC.to_bits() as i64);
    let bits = o.iadd(j, mb);
    let f = o.float_from_bits(bits);
    let m = o.c(MAGIC);
    o.sub(f, m)
}

/// `x` with the sign bit of `s` (and its own magnitude).
pub(super) fn with_sign<O: Ops>(o: &mut O, x: O::F, s: O::I) -> O::F {
    let b = o.bits(x);
    let b = o.ior(b, s);
    o.float_from_bits(b)
}

/// The sign bit of `x`, and `|x|`.
pub(super) fn split_sign<O: Ops>(o: &mut O, x: O::F) -> (O::I, O::F) {
    let b = o.bits(x);
    let sign_bit = o.ci(i64::MIN);
    let magnitude = o.ci(i64::MAX);
    let s = o.iand(b, sign_bit);
    let m = o.iand(b, magnitude);
    (s, o.float_from_bits(m))
}

/// `x` with its low 32 bits clear.
pub(super) fn chop<O: Ops>(o: &mut O, x: O::F) -> O::F {
    let b = o.bits(x);
    let mask = o.ci(-1i64 << 32);
    let b = o.iand(b, mask);
    o.float_from_bits(b)
}

/// `|x| < high(h)` for a magnitude `ax`, where `high(h)` is the float whose high 32 bits
/// are `h` and low bits zero: fdlibm's tests of an argument's high word (false for NaN).
pub(super) fn below_high<O: Ops>(o: &mut O, ax: O::F, h: u32) -> O::B {
    let bound = o.c(f64::from_bits(u64::from(h) << 32));
    o.lt(ax, bound)
}

/// `r`, or `x` where `x` is NaN (a NaN argument is its own result).
pub(super) fn nan_through<O: Ops>(o: &mut O, x: O::F, r: O::F) -> O::F {
    let same = o.opaque(x);
    let not_nan = o.eq(x, same);
    o.select(not_nan, r, x)
}

/// 2^j for a float holding an integer j in [-1022, 1023].
#[inline(always)]
fn pow2<O: Ops>(o: &mut O, jf: O::F) -> O::F {
    let e = int_of(o, jf, 1023);
    let e = o.shl(e, 52);
    o.float_from_bits(e)
}

/// `log(x)`.
#[inline(always)]
pub fn log<O: Ops>(o: &mut O, x: O::F) -> O::F {
    let (f, dk) = log_reduce(o, x);
    let r = log1p_kernel(o, f, dk);
    log_special(o, x, r)
}

/// `x = 2^k (1 + f)` with `1 + f` in [√½, √2]: `(f, k)` (subnormals scaled into the normal
/// range first).
#[inline(always)]
pub(super) fn log_reduce<O: Ops>(o: &mut O, x: O::F) -> (O::F, O::F) {
    let tiny = o.c(f64::MIN_POSITIVE);
    let sub = o.lt(x, tiny);
    let scale = o.c(18_014_398_509_481_984.0); // 2^54
    let xs = o.mul(x, scale);
    let xn = o.select(sub, xs, x);
    let bits = o.bits(xn);
    let exp_bits = o.ushr(bits, 52);
    let m1023 = o.ci(-1023);
    let e = o.iadd(exp_bits, m1023);
    let m54 = o.ci(-54);
    let e_sub = o.iadd(e, m54);
    let e = o.iselect(sub, e_sub, e);
    let mant_mask = o.ci(0x000f_ffff_ffff_ffff);
    let one_bits = o.ci(0x3ff0_0000_0000_0000);
    let mb = o.iand(bits, mant_mask);
    let mb = o.ior(mb, one_bits);
    let m = o.float_from_bits(mb);
    let sqrt2 = o.c(std::f64::consts::SQRT_2);
    let big = o.lt(sqrt2, m);
    let half = o.c(0.5);
    let mh = o.mul(m, half);
    let m = o.select(big, mh, m);
    let one_i = o.ci(1);
    let e1 = o.iadd(e, one_i);
    let e = o.iselect(big, e1, e);
    let dk = float_of(o, e);
    let one = o.c(1.0);
    let f = o.sub(m, one);
    (f, dk)
}

/// `r`, or a logarithm's special value at `x`: -inf at zero, inf at inf, NaN below zero
/// and at NaN.
#[inline(always)]
pub(super) fn log_special<O: Ops>(o: &mut O, x: O::F, r: O::F) -> O::F {
    let zero = o.c(0.0);
    let is_zero = o.eq(x, zero);
    let neg_inf = o.c(f64::NEG_INFINITY);
    let r = o.select(is_zero, neg_inf, r);
    let inf = o.c(f64::INFINITY);
    let is_inf = o.eq(x, inf);
    let r = o.select(is_inf, inf, r);
    let negative = o.lt(x, zero);
    let nan = o.c(f64::NAN);
    let r = o.select(negative, nan, r);
    nan_through(o, x, r)
}

/// `log(1 + f) + dk·ln2` for f in [√½ - 1, √2 - 1] (fdlibm's `e_log.c` kernel).
#[inline(always)]
fn log1p_kernel<O: Ops>(o: &mut O, f: O::F, dk: O::F) -> O::F {
    let (hfsq, shr) = log1p_poly(o, f);
    let l1 = o.c(LN2_HI);
    let l2 = o.c(LN2_LO);
    let dl = o.mul(dk, l2);
    let inner = o.add(shr, dl);
    let inner = o.sub(hfsq, inner);
    let inner = o.sub(inner, f);
    let dh = o.mul(dk, l1);
    o.sub(dh, inner)
}

/// For f in [√½ - 1, √2 - 1]: `(f²/2, s (f²/2 + R(s²)))` with `s = f / (2 + f)`, so that
/// `log(1 + f) = f - f²/2 + s (f²/2 + R)` (fdlibm's `k_log1p`).
#[inline(always)]
pub(super) fn log1p_poly<O: Ops>(o: &mut O, f: O::F) -> (O::F, O::F) {
    const LG: [f64; 7] = [
        6.666_666_666_666_735_130e-01,
        3.999_999_999_940_941_908e-01,
        2.857_142_874_366_239_149e-01,
        2.222_219_843_214_978_396e-01,
        1.818_357_216_161_805_012e-01,
        1.531_383_769_920_937_332e-01,
        1.479_819_860_511_658_591e-01,
    ];
    let two = o.c(2.0);
    let d = o.add(two, f);
    let s = o.div(f, d);
    let z = o.mul(s, s);
    let w = o.mul(z, z);
    let t1 = horner(o, w, &[LG[1], LG[3], LG[5]]);
    let t1 = o.mul(w, t1);
    let t2 = horner(o, w, &[LG[0], LG[2], LG[4], LG[6]]);
    let t2 = o.mul(z, t2);
    let r = o.add(t2, t1);
    let half = o.c(0.5);
    let hf = o.mul(half, f);
    let hfsq = o.mul(hf, f);
    let hr = o.add(hfsq, r);
    (hfsq, o.mul(s, hr))
}

/// `log(1 + y)`, accurate for small `y`.
#[inline(always)]
pub fn log1p<O: Ops>(o: &mut O, y: O::F) -> O::F {
    let one = o.c(1.0);
    let u = o.add(one, y);
    let l = log(o, u);
    // The rounding error of 1 + y, divided by u: log(1 + y) ≈ log(u) + (y - (u - 1)) / u.
    let u = o.opaque(u);
    let um1 = o.sub(u, one);
    let err = o.sub(y, um1);
    let c = o.div(err, u);
    let inf = o.c(f64::INFINITY);
    let finite = o.lt(u, inf);
    let zero = o.c(0.0);
    let c = o.select(finite, c, zero);
    let positive = o.lt(zero, u);
    let c = o.select(positive, c, zero);
    o.add(l, c)
}

/// `sin(x)` (`cos` with `cos = true`).
#[inline(always)]
pub fn sin_cos<O: Ops>(o: &mut O, x: O::F, cos: bool) -> O::F {
    const S: [f64; 6] = [
        -1.666_666_666_666_663_243_48e-01,
        8.333_333_333_322_489_461_24e-03,
        -1.984_126_982_985_794_931_34e-04,
        2.755_731_370_707_006_767_89e-06,
        -2.505_076_025_340_686_341_95e-08,
        1.589_690_995_211_550_102_21e-10,
    ];
    const C: [f64; 6] = [
        4.166_666_666_666_660_190_37e-02,
        -1.388_888_888_887_410_957_49e-03,
        2.480_158_728_947_672_941_78e-05,
        -2.755_731_435_139_066_330_35e-07,
        2.087_572_321_298_174_827_90e-09,
        -1.135_964_755_778_819_482_65e-11,
    ];
    // π/2 in pieces of 33 bits (their products with k are exact) and the tail.
    const PIO2: [f64; 4] = [
        1.570_796_326_734_125_614_17e+00,
        6.077_100_506_303_965_976_60e-11,
        2.022_266_248_711_166_455_80e-21,
        8.478_427_660_368_899_569_97e-32,
    ];
    let inv = o.c(std::f64::consts::FRAC_2_PI);
    let t = o.mul(x, inv);
    let kf = o.round(t);
    let mut r = x;
    for p in PIO2 {
        let pc = o.c(p);
        let a = o.mul(kf, pc);
        r = o.sub(r, a);
    }
    let z = o.mul(r, r);
    // sin r = r + r z S(z)
    let ps = horner(o, z, &S);
    let rz = o.mul(r, z);
    let sp = o.mul(rz, ps);
    let sin_r = o.add(r, sp);
    // cos r = w + (((1 - w) - z/2) + z² C(z)), w = 1 - z/2
    let half = o.c(0.5);
    let hz = o.mul(half, z);
    let one = o.c(1.0);
    let w = o.sub(one, hz);
    let pc = horner(o, z, &C);
    let zz = o.mul(z, z);
    let cp = o.mul(zz, pc);
    let a = o.sub(one, w);
    let a = o.sub(a, hz);
    let a = o.add(a, cp);
    let cos_r = o.add(w, a);
    // Quadrant: sin x = [sin r, cos r, -sin r, -cos r][k mod 4]; cos shifts by one.
    let k = int_of(o, kf, 0);
    let k = if cos {
        let one_i = o.ci(1);
        o.iadd(k, one_i)
    } else {
        k
    };
    let three = o.ci(3);
    let q = o.iand(k, three);
    let one_i = o.ci(1);
    let odd = o.iand(q, one_i);
    let zero_i = o.ci(0);
    let even = o.ieq(odd, zero_i);
    let v = o.select(even, sin_r, cos_r);
    let two = o.ci(2);
    let hi = o.iand(q, two);
    let pos = o.ieq(hi, zero_i);
    let zero = o.c(0.0);
    let nv = o.sub(zero, v);
    let fast = o.select(pos, v, nv);
    // Large or non-finite arguments take libm's exact reduction.
    let limit = o.c(1e5);
    let nlimit = o.c(-1e5);
    let small_hi = o.lt(x, limit);
    let small_lo = o.lt(nlimit, x);
    let ok_hi = o.select(small_hi, one, zero);
    let ok_lo = o.select(small_lo, one, zero);
    let both = o.mul(ok_hi, ok_lo);
    let large = o.eq(both, zero);
    let op = if cos { UnaryOp::Cos } else { UnaryOp::Sin };
    o.exact_if(large, op, x, fast)
}

/// libm's `op(x)` for the functions with an exact path for large arguments ([`Ops::exact_if`]:
/// `sin`, `cos` and `tan`, whose argument reduction loses digits from 1e5 on).
pub fn exact(op: UnaryOp, x: f64) -> f64 {
    match op {
        UnaryOp::Sin => x.sin(),
        UnaryOp::Cos => x.cos(),
        UnaryOp::Tan => x.tan(),
        _ => unreachable!("only sin, cos and tan have an exact path"),
    }
}

#[cfg(test)]
pub(super) mod tests;
