//! `expm1`, `sinh`, `cosh` and `tanh` decomposed (see the parent module): fdlibm's
//! algorithms (`s_expm1.c`, `e_sinh.c`, `e_cosh.c`, `s_tanh.c`, which glibc uses too) with
//! their branches turned into selects. `sinh` and `cosh` take one `exp` per element (its
//! argument halved where `exp(|x|)` alone would overflow) where fdlibm calls it in one of
//! two forms.

// fdlibm's constants, verbatim.
#![allow(clippy::excessive_precision)]

use super::{
    LN2_HI, LN2_LO, Ops, below_high, exp, horner, nan_through, pow2, scale, split_sign, with_sign,
};

/// `e^x - 1`, accurate near zero.
#[inline(always)]
pub fn expm1<O: Ops>(o: &mut O, x: O::F) -> O::F {
    const Q: [f64; 6] = [
        1.0,
        -3.333_333_333_333_313_164_28e-02,
        1.587_301_587_254_814_601_65e-03,
        -7.936_507_578_674_879_424_73e-05,
        4.008_217_827_329_362_395_52e-06,
        -2.010_992_181_836_243_713_26e-07,
    ];
    let (_, ax) = split_sign(o, x);
    let (zero, one, half) = (o.c(0.0), o.c(1.0), o.c(0.5));
    // k: 0 for |x| ≤ ln2/2, ±1 below 1.5·ln2, else x/ln2 rounded half away from zero.
    let invln2 = o.c(std::f64::consts::LOG2_E);
    let t = o.mul(ax, invln2);
    let t = o.add(t, half);
    let k = o.floor(t);
    let mid = below_high(o, ax, 0x3ff0_a2b2);
    let k = o.select(mid, one, k);
    let small = below_high(o, ax, 0x3fd6_2e43);
    let k = o.select(small, zero, k);
    let negative = o.lt(x, zero);
    let nk = o.sub(zero, k);
    let kf = o.select(negative, nk, k);
    // x = hi - lo + c, the reduced argument and its rounding error.
    let (l1, l2) = (o.c(LN2_HI), o.c(LN2_LO));
    let a = o.mul(kf, l1);
    let hi = o.sub(x, a);
    let lo = o.mul(kf, l2);
    let xr = o.sub(hi, lo);
    let (hi, xr_) = (o.opaque(hi), o.opaque(xr));
    let d = o.sub(hi, xr_);
    let c = o.sub(d, lo);
    // The rational approximation on the reduced argument.
    let hfx = o.mul(half, xr);
    let hxs = o.mul(xr, hfx);
    let r1 = horner(o, hxs, &Q);
    let three = o.c(3.0);
    let r1h = o.mul(r1, hfx);
    let t = o.sub(three, r1h);
    let six = o.c(6.0);
    let xt = o.mul(xr, t);
    let den = o.sub(six, xt);
    let num = o.sub(r1, t);
    let q = o.div(num, den);
    let e = o.mul(hxs, q);
    // k = 0: x - (x e - hxs).
    let xe = o.mul(xr, e);
    let xe = o.sub(xe, hxs);
    let r0 = o.sub(xr, xe);
    // Otherwise e = x (e - c) - c - hxs, and 2^k (x - e + 1) - 1 in the form that keeps
    // the digits for each k.
    let ec = o.sub(e, c);
    let e2 = o.mul(xr, ec);
    let e2 = o.sub(e2, c);
    let e2 = o.sub(e2, hxs);
    let xme = o.sub(xr, e2);
    let hxme = o.mul(half, xme);
    let r_m1 = o.sub(hxme, half); // k = -1
    let two = o.c(2.0);
    let xh = o.add(xr, half);
    let exh = o.sub(e2, xh);
    let mtwo = o.c(-2.0);
    let r_p1_lo = o.mul(mtwo, exh);
    let txe = o.mul(two, xme);
    let r_p1_hi = o.add(one, txe);
    let quarter = o.c(-0.25);
    let low = o.lt(xr, quarter);
    let r_p1 = o.select(low, r_p1_lo, r_p1_hi); // k = 1
    let emx = o.sub(e2, xr);
    let y = o.sub(one, emx);
    let y = scale(o, y, kf);
    let r_far = o.sub(y, one); // k ≤ -2 or k > 56
    let nkf = o.sub(zero, kf);
    let pmk = pow2(o, nkf); // 2^-k, for 2 ≤ k ≤ 56
    let tt = o.sub(one, pmk);
    let y = o.sub(tt, emx);
    let r_mid = scale(o, y, kf); // 2 ≤ k < 20
    let ept = o.add(e2, pmk);
    let y = o.sub(xr, ept);
    let y = o.add(y, one);
    let r_high = scale(o, y, kf); // 20 ≤ k ≤ 56
    let (c20, c57, cm2) = (o.c(20.0), o.c(57.0), o.c(-1.5));
    let below20 = o.lt(kf, c20);
    let r = o.select(below20, r_mid, r_high);
    let below57 = o.lt(kf, c57);
    let r = o.select(below57, r, r_far);
    let very_negative = o.lt(kf, cm2);
    let r = o.select(very_negative, r_far, r);
    let is1 = o.eq(kf, one);
    let r = o.select(is1, r_p1, r);
    let mone = o.c(-1.0);
    let is_m1 = o.eq(kf, mone);
    let r = o.select(is_m1, r_m1, r);
    let is0 = o.eq(kf, zero);
    let r = o.select(is0, r0, r);
    // Tiny arguments are their own value; below -56 ln2 the value is -1; above the
    // overflow threshold, inf; NaN stays NaN.
    let tiny = below_high(o, ax, 0x3c90_0000);
    let r = o.select(tiny, x, r);
    let huge = below_high(o, ax, 0x4043_687a);
    let to_minus_one = o.select(huge, r, mone);
    let r = o.select(negative, to_minus_one, r);
    let threshold = o.c(7.097_827_128_933_839_730_96e+02);
    let over = o.lt(threshold, x);
    let inf = o.c(f64::INFINITY);
    let r = o.select(over, inf, r);
    nan_through(o, x, r)
}

/// The exponential both `sinh` and `cosh` take of `|x|`: `exp(|x|)`, or `exp(|x|/2)` from
/// log(f64::MAX) on, where the result is `(h·w)·w` (`long` tells which).
fn big_exp<O: Ops>(o: &mut O, ax: O::F) -> (O::F, O::B) {
    let half = o.c(0.5);
    let halved = o.mul(half, ax);
    let short = below_high(o, ax, 0x4086_2e42);
    let arg = o.select(short, ax, halved);
    (exp(o, arg), short)
}

/// `sinh(x)`.
#[inline(always)]
pub fn sinh<O: Ops>(o: &mut O, x: O::F) -> O::F {
    let near @ SinhNear { value, within, .. } = sinh_near(o, x);
    let far = sinh_far(o, near);
    let r = o.select(within, value, far);
    sinh_end(o, x, near, r)
}

/// What `sinh` computes of every argument: its value for |x| < 22, from `expm1(|x|)`.
#[derive(Clone, Copy)]
pub struct SinhNear<F, B> {
    /// `h (2t - t²/(t + 1))` below 1, `h (t + t/(t + 1))` above, t = expm1(|x|).
    pub value: F,
    /// Whether |x| < 22 (false for NaN).
    pub within: B,
    ax: F,
    h: F,
}

/// `sinh` for |x| < 22 (a wide program whose lanes are all `within` takes `value` alone,
/// skipping [`sinh_far`]'s `exp`: the same bits for half the work).
#[inline(always)]
pub fn sinh_near<O: Ops>(o: &mut O, x: O::F) -> SinhNear<O::F, O::B> {
    let (sign, ax) = split_sign(o, x);
    let half = o.c(0.5);
    let h = with_sign(o, half, sign);
    let t = expm1(o, ax);
    let one = o.c(1.0);
    let t1 = o.add(t, one);
    let tt = o.mul(t, t);
    let q = o.div(tt, t1);
    let t2 = o.add(t, t);
    let lo = o.sub(t2, q);
    let q = o.div(t, t1);
    let hi = o.add(t, q);
    let below_one = o.lt(ax, one);
    let m = o.select(below_one, lo, hi);
    let value = o.mul(h, m);
    let within = below_high(o, ax, 0x4036_0000);
    SinhNear {
        value,
        within,
        ax,
        h,
    }
}

/// `sinh` from 22 on: h exp(|x|), or (h w) w with w = exp(|x|/2).
#[inline(always)]
pub fn sinh_far<O: Ops>(o: &mut O, near: SinhNear<O::F, O::B>) -> O::F {
    let (w, short) = big_exp(o, near.ax);
    let hw = o.mul(near.h, w);
    let hww = o.mul(hw, w);
    o.select(short, hw, hww)
}

/// `sinh(x)` from `r` (the near or far value): `x` itself where tiny, NaN through.
#[inline(always)]
pub fn sinh_end<O: Ops>(o: &mut O, x: O::F, near: SinhNear<O::F, O::B>, r: O::F) -> O::F {
    let tiny = below_high(o, near.ax, 0x3e30_0000);
    let r = o.select(tiny, x, r);
    nan_through(o, x, r)
}

/// `cosh(x)`.
#[inline(always)]
pub fn cosh<O: Ops>(o: &mut O, x: O::F) -> O::F {
    let (_, ax) = split_sign(o, x);
    let (half, one) = (o.c(0.5), o.c(1.0));
    // |x| ≤ ln2/2: 1 + t²/(2 (1 + t)), t = expm1(|x|).
    let t = expm1(o, ax);
    let w = o.add(one, t);
    let tt = o.mul(t, t);
    let ww = o.add(w, w);
    let q = o.div(tt, ww);
    let near = o.add(one, q);
    // Up to 22: exp(|x|)/2 + 1/(2 exp(|x|)); then exp(|x|)/2, or (w/2) w.
    let (e, short) = big_exp(o, ax);
    let he = o.mul(half, e);
    let hoe = o.div(half, e);
    let mid = o.add(he, hoe);
    let hee = o.mul(he, e);
    let far = o.select(short, he, hee);
    let within = below_high(o, ax, 0x4036_0000);
    let r = o.select(within, mid, far);
    let small = below_high(o, ax, 0x3fd6_2e43);
    let r = o.select(small, near, r);
    nan_through(o, x, r)
}

/// `tanh(x)`.
#[inline(always)]
pub fn tanh<O: Ops>(o: &mut O, x: O::F) -> O::F {
    let (sign, ax) = split_sign(o, x);
    let (one, two) = (o.c(1.0), o.c(2.0));
    // From 1: 1 - 2/(expm1(2|x|) + 2); below: -t/(t + 2), t = expm1(-2|x|).
    let below_one = o.lt(ax, one);
    let mtwo = o.c(-2.0);
    let factor = o.select(below_one, mtwo, two);
    let arg = o.mul(factor, ax);
    let t = expm1(o, arg);
    let t2 = o.add(t, two);
    let q = o.div(two, t2);
    let big = o.sub(one, q);
    let zero = o.c(0.0);
    let nt = o.sub(zero, t);
    let small = o.div(nt, t2);
    let z = o.select(below_one, small, big);
    // From 22 on, 1.
    let within = below_high(o, ax, 0x4036_0000);
    let z = o.select(within, z, one);
    let r = with_sign(o, z, sign);
    // Tiny: x (1 + x).
    let xp1 = o.add(one, x);
    let xt = o.mul(x, xp1);
    let tiny = below_high(o, ax, 0x3c80_0000);
    let r = o.select(tiny, xt, r);
    nan_through(o, x, r)
}
