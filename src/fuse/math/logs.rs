//! `log2` and `log10` decomposed (see the parent module): FreeBSD msun's `e_log2.c` and
//! `e_log10.c` (Bruce Evans), on `log`'s reduction and fdlibm's `k_log1p` polynomial: the
//! logarithm of the mantissa split into a high part with 20 significant bits (whose
//! products with the high parts of 1/ln2 and 1/ln10 are exact) and a low part, then added
//! to the exponent's share in extra precision. Both are within 1 ulp.

// msun's constants, verbatim.
#![allow(clippy::excessive_precision)]

use super::{Ops, chop, log_reduce, log_special, log1p_poly};

/// `log(1 + f)` of the reduced mantissa as `(hi, lo)`, `hi` with its low 32 bits clear.
fn split_log1p<O: Ops>(o: &mut O, f: O::F) -> (O::F, O::F) {
    let (hfsq, r) = log1p_poly(o, f);
    let hi = o.sub(f, hfsq);
    let hi = chop(o, hi);
    let f_ = o.opaque(f);
    let lo = o.sub(f_, hi);
    let lo = o.sub(lo, hfsq);
    let lo = o.add(lo, r);
    (hi, lo)
}

/// `y + hi + lo` for an integer `y` added first in extra precision (msun's `spadd`).
fn add_exponent<O: Ops>(o: &mut O, y: O::F, hi: O::F, lo: O::F) -> O::F {
    let w = o.add(y, hi);
    let w_ = o.opaque(w);
    let d = o.sub(y, w_);
    let d = o.add(d, hi);
    let lo = o.add(lo, d);
    o.add(lo, w)
}

/// `log2(x)`.
#[inline(always)]
pub fn log2<O: Ops>(o: &mut O, x: O::F) -> O::F {
    const IVLN2_HI: f64 = 1.442_695_040_721_446_275_71e+00;
    const IVLN2_LO: f64 = 1.675_171_316_488_651_183_53e-10;
    let (f, dk) = log_reduce(o, x);
    let (hi, lo) = split_log1p(o, f);
    let (ih, il) = (o.c(IVLN2_HI), o.c(IVLN2_LO));
    let val_hi = o.mul(hi, ih);
    let s = o.add(lo, hi);
    let a = o.mul(s, il);
    let b = o.mul(lo, ih);
    let val_lo = o.add(a, b);
    let r = add_exponent(o, dk, val_hi, val_lo);
    log_special(o, x, r)
}

/// `log10(x)`.
#[inline(always)]
pub fn log10<O: Ops>(o: &mut O, x: O::F) -> O::F {
    const IVLN10_HI: f64 = 4.342_944_818_781_688_809_39e-01;
    const IVLN10_LO: f64 = 2.508_294_671_164_527_522_98e-11;
    const LOG10_2_HI: f64 = 3.010_299_956_636_117_713_06e-01;
    const LOG10_2_LO: f64 = 3.694_239_077_158_930_786_16e-13;
    let (f, dk) = log_reduce(o, x);
    let (hi, lo) = split_log1p(o, f);
    let (ih, il) = (o.c(IVLN10_HI), o.c(IVLN10_LO));
    let (lh, ll) = (o.c(LOG10_2_HI), o.c(LOG10_2_LO));
    let val_hi = o.mul(hi, ih);
    let y2 = o.mul(dk, lh);
    let a = o.mul(dk, ll);
    let s = o.add(lo, hi);
    let b = o.mul(s, il);
    let c = o.mul(lo, ih);
    let val_lo = o.add(a, b);
    let val_lo = o.add(val_lo, c);
    let r = add_exponent(o, y2, val_hi, val_lo);
    log_special(o, x, r)
}
