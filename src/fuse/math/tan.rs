//! `tan` decomposed (see the parent module): the argument reduced by π/2 into a
//! double-double `r + y` (fdlibm's 33-bit pieces of π/2, whose products with the quotient
//! are exact, and the tail), then fdlibm's `k_tan.c` with its branches turned into selects: the odd
//! polynomial, `π/4 - |r|` above 0.6744, and `-1/tan` in extra precision for odd quotients.
//! Arguments from 1e5 on take libm's exact path, as `sin` and `cos` do.

// fdlibm's constants, verbatim.
#![allow(clippy::excessive_precision)]

use super::{Ops, chop, horner, int_of, split_sign};
use crate::graph::UnaryOp;

/// fdlibm's `T[0..=12]`: tan(x) = x + x³ (T0 + x² T1 + …) on [-π/4, π/4].
const T: [f64; 13] = [
    3.333_333_333_333_340_919_86e-01,
    1.333_333_333_332_012_426_99e-01,
    5.396_825_397_622_605_213_77e-02,
    2.186_948_829_485_954_245_99e-02,
    8.863_239_823_599_300_057_37e-03,
    3.592_079_107_591_312_353_56e-03,
    1.456_209_454_325_290_255_16e-03,
    5.880_412_408_202_640_968_74e-04,
    2.464_631_348_184_699_068_12e-04,
    7.817_944_429_395_570_923_00e-05,
    7.140_724_913_826_081_903_05e-05,
    -1.855_863_748_552_754_566_54e-05,
    2.590_730_518_636_337_128_84e-05,
];

/// `tan(x)`.
#[inline(always)]
pub fn tan<O: Ops>(o: &mut O, x: O::F) -> O::F {
    const PIO2: [f64; 4] = [
        1.570_796_326_734_125_614_17e+00,
        6.077_100_506_303_965_976_60e-11,
        2.022_266_248_711_166_455_80e-21,
        8.478_427_660_368_899_569_97e-32,
    ];
    const PIO4: f64 = std::f64::consts::FRAC_PI_4;
    const PIO4_LO: f64 = 3.061_616_997_868_383_017_93e-17;
    // x = k π/2 + r + y.
    let inv = o.c(std::f64::consts::FRAC_2_PI);
    let t = o.mul(x, inv);
    let kf = o.round(t);
    let [p1, p2, p3, p4] = PIO2.map(|p| o.c(p));
    let a = o.mul(kf, p1);
    let r1 = o.sub(x, a);
    let t2 = o.mul(kf, p2);
    let r2 = o.sub(r1, t2);
    let (r1_, r2_) = (o.opaque(r1), o.opaque(r2));
    let e2 = o.sub(r1_, r2_);
    let e2 = o.sub(e2, t2);
    let t3 = o.mul(kf, p3);
    let s = o.sub(e2, t3);
    let t4 = o.mul(kf, p4);
    let s = o.sub(s, t4);
    let r = o.add(r2, s);
    let r_ = o.opaque(r);
    let y = o.sub(r2, r_);
    let y = o.add(y, s);
    // iy = 1 for even k (tan r), -1 for odd (-1/tan r).
    let k = int_of(o, kf, 0);
    let one_i = o.ci(1);
    let odd = o.iand(k, one_i);
    let zero_i = o.ci(0);
    let even = o.ieq(odd, zero_i);
    let (one, mone, zero) = (o.c(1.0), o.c(-1.0), o.c(0.0));
    let iy = o.select(even, one, mone);
    // From |r| ≥ 0.6744: tan(π/4 - |r|) in place of tan |r|.
    let (_, ar) = split_sign(o, r);
    let bound = o.c(f64::from_bits(0x3fe5_9428_u64 << 32));
    let small = o.lt(ar, bound);
    let negative = o.lt(r, zero);
    let ny = o.sub(zero, y);
    let ys = o.select(negative, ny, y);
    let (pio4, pio4_lo) = (o.c(PIO4), o.c(PIO4_LO));
    let z = o.sub(pio4, ar);
    let w = o.sub(pio4_lo, ys);
    let xb = o.add(z, w);
    let xx = o.select(small, r, xb);
    let yy = o.select(small, y, zero);
    let z = o.mul(xx, xx);
    let w = o.mul(z, z);
    let rr = horner(o, w, &[T[1], T[3], T[5], T[7], T[9], T[11]]);
    let v = horner(o, w, &[T[2], T[4], T[6], T[8], T[10], T[12]]);
    let v = o.mul(z, v);
    let s = o.mul(z, xx);
    let rv = o.add(rr, v);
    let srv = o.mul(s, rv);
    let srv = o.add(srv, yy);
    let zr = o.mul(z, srv);
    let rr = o.add(yy, zr);
    let t0 = o.c(T[0]);
    let t0s = o.mul(t0, s);
    let rr = o.add(rr, t0s);
    let w = o.add(xx, rr);
    // Above 0.6744: ±(iy - 2 (x - (w²/(w + iy) - r))).
    let ww = o.mul(w, w);
    let wv = o.add(w, iy);
    let q = o.div(ww, wv);
    let q = o.sub(q, rr);
    let q = o.sub(xx, q);
    let two = o.c(2.0);
    let q = o.mul(two, q);
    let big = o.sub(iy, q);
    let nbig = o.sub(zero, big);
    let big = o.select(negative, nbig, big);
    // Below, for odd k: -1/(x + r) in extra precision.
    let zc = chop(o, w);
    let xx_ = o.opaque(xx);
    let d = o.sub(zc, xx_);
    let vv = o.sub(rr, d);
    let a = o.div(mone, w);
    let tc = chop(o, a);
    let tz = o.mul(tc, zc);
    let s2 = o.add(one, tz);
    let tv = o.mul(tc, vv);
    let s2 = o.add(s2, tv);
    let as2 = o.mul(a, s2);
    let inv = o.add(tc, as2);
    let near = o.select(even, w, inv);
    let fast = o.select(small, near, big);
    // Tiny arguments are their own tangent (and keep the sign of zero).
    let (_, ax) = split_sign(o, x);
    let tiny = o.c(f64::from_bits(0x3e40_0000_u64 << 32)); // 2^-27
    let is_tiny = o.lt(ax, tiny);
    let fast = o.select(is_tiny, x, fast);
    // Large or non-finite arguments take libm's exact reduction.
    let limit = o.c(1e5);
    let within = o.lt(ax, limit);
    let fast_ = o.select(within, one, zero);
    let large = o.eq(fast_, zero);
    o.exact_if(large, UnaryOp::Tan, x, fast)
}
