//! `exp2` and `cbrt` decomposed (see the parent module). `exp2` splits `x = k + r` exactly
//! (`|r| ≤ ½`) and takes `exp`'s Taylor series at `r·ln2`; `cbrt` is fdlibm's `s_cbrt.c`
//! (a 5-bit guess from the exponent, a rational step to 23 bits, a Newton step to 53; the
//! exponent's division by three done in floats, exact below 2^31).

// fdlibm's constants, verbatim.
#![allow(clippy::excessive_precision)]

use super::{EXP_TAYLOR, Ops, clamp, float_of, horner, int_of, scale, split_sign, with_sign};

/// `2^x`.
#[inline(always)]
pub fn exp2<O: Ops>(o: &mut O, x: O::F) -> O::F {
    // Clamp: beyond, the result is 0 or inf.
    let xc = clamp(o, x, -1080.0, 1030.0);
    let kf = o.round(xc);
    let r = o.sub(xc, kf);
    let ln2 = o.c(std::f64::consts::LN_2);
    let t = o.mul(r, ln2);
    let p = horner(o, t, &EXP_TAYLOR);
    scale(o, p, kf)
}

/// `∛x`.
#[inline(always)]
pub fn cbrt<O: Ops>(o: &mut O, x: O::F) -> O::F {
    const B1: i64 = 715_094_163; // (682 - 0.03306235651) 2^20
    const B2: i64 = 696_219_795; // (664 - 0.03306235651) 2^20
    const C: f64 = 5.428_571_428_571_428_159_06e-01; // 19/35
    const D: f64 = -7.053_061_224_489_796_110_50e-01; // -864/1225
    const E: f64 = 1.414_285_714_285_714_368_19e+00; // 99/70
    const F: f64 = 1.607_142_857_142_857_206_30e+00; // 45/28
    const G: f64 = 3.571_428_571_428_571_507_87e-01; // 5/14
    let (sign, ax) = split_sign(o, x);
    // The guess: the high word divided by three, plus a bias (subnormals scaled by 2^54).
    let tiny = o.c(f64::MIN_POSITIVE);
    let sub = o.lt(ax, tiny);
    let scale = o.c(18_014_398_509_481_984.0); // 2^54
    let xs = o.mul(ax, scale);
    let xn = o.select(sub, xs, ax);
    let bits = o.bits(xn);
    let word = o.ushr(bits, 32);
    let wf = float_of(o, word);
    let third = o.c(3.0);
    let q = o.div(wf, third);
    let q = o.floor(q);
    let (b1, b2) = (o.ci(B1), o.ci(B2));
    let bias = o.iselect(sub, b2, b1);
    let q = int_of(o, q, 0);
    let guess = o.iadd(q, bias);
    let guess = o.shl(guess, 32);
    let t = o.float_from_bits(guess);
    // To 23 bits: t (G + F/(s + E + D/s)), s = C + t³/x.
    let tt = o.mul(t, t);
    let r = o.div(tt, ax);
    let rt = o.mul(r, t);
    let c = o.c(C);
    let s = o.add(c, rt);
    let (d, e, f, g) = (o.c(D), o.c(E), o.c(F), o.c(G));
    let ds = o.div(d, s);
    let se = o.add(s, e);
    let den = o.add(se, ds);
    let fr = o.div(f, den);
    let m = o.add(g, fr);
    let t = o.mul(t, m);
    // Chopped to 20 bits and rounded up, so that t² is exact and t ≥ ∛x.
    let tb = o.bits(t);
    let word = o.ushr(tb, 32);
    let one_i = o.ci(1);
    let word = o.iadd(word, one_i);
    let word = o.shl(word, 32);
    let t = o.float_from_bits(word);
    // One Newton step to 53 bits.
    let s = o.mul(t, t);
    let r = o.div(ax, s);
    let w = o.add(t, t);
    let num = o.sub(r, t);
    let den = o.add(w, r);
    let r = o.div(num, den);
    let tr = o.mul(t, r);
    let t = o.add(t, tr);
    let y = with_sign(o, t, sign);
    // Zeros, infinities and NaN are their own cube roots.
    let zero = o.c(0.0);
    let is_zero = o.eq(ax, zero);
    let y = o.select(is_zero, x, y);
    let inf = o.c(f64::INFINITY);
    let finite = o.lt(ax, inf);
    o.select(finite, y, x)
}
