//! `erf` and `erfc` decomposed (see the parent module): fdlibm's `s_erf.c` (as musl and
//! the `libm` crate have it) with its intervals turned into selects — a rational function
//! of x² below 0.84375, of |x| - 1 up to 1.25, and beyond `exp(-z² - 0.5625)·exp((z - x)(z + x)
//! + R/S)/x` with `z` the high half of |x| (so `z²` is exact) and `R/S` rational in 1/x².

// fdlibm's constants, verbatim.
#![allow(clippy::excessive_precision)]

use super::{Ops, below_high, chop, exp, horner, nan_through, split_sign, with_sign};

/// erf(1) rounded to 24 bits.
const ERX: f64 = 8.45062911510467529297e-01;
const EFX8: f64 = 1.02703333676410069053e+00;
/// erf(x) = x + x·PP(x²)/(1 + x²·QQ(x²)) on [0, 0.84375].
const PP: [f64; 5] = [
    1.28379167095512558561e-01,
    -3.25042107247001499370e-01,
    -2.84817495755985104766e-02,
    -5.77027029648944159157e-03,
    -2.37630166566501626084e-05,
];
const QQ: [f64; 5] = [
    3.97917223959155352819e-01,
    6.50222499887672944485e-02,
    5.08130628187576562776e-03,
    1.32494738004321644526e-04,
    -3.96022827877536812320e-06,
];
/// erf(1 + s) = ERX + PA(s)/(1 + s·QA(s)) on [0.84375, 1.25].
const PA: [f64; 7] = [
    -2.36211856075265944077e-03,
    4.14856118683748331666e-01,
    -3.72207876035701323847e-01,
    3.18346619901161753674e-01,
    -1.10894694282396677476e-01,
    3.54783043256182359371e-02,
    -2.16637559486879084300e-03,
];
const QA: [f64; 6] = [
    1.06420880400844228286e-01,
    5.40397917702171048937e-01,
    7.18286544141962662868e-02,
    1.26171219808761642112e-01,
    1.36370839120290507362e-02,
    1.19844998467991074170e-02,
];
/// log(x·erfc(x)) + x² + 0.5625 = RA(s)/(1 + s·SA(s)), s = 1/x², on [1.25, 1/0.35].
const RA: [f64; 8] = [
    -9.86494403484714822705e-03,
    -6.93858572707181764372e-01,
    -1.05586262253232909814e+01,
    -6.23753324503260060396e+01,
    -1.62396669462573470355e+02,
    -1.84605092906711035994e+02,
    -8.12874355063065934246e+01,
    -9.81432934416914548592e+00,
];
const SA: [f64; 8] = [
    1.96512716674392571292e+01,
    1.37657754143519042600e+02,
    4.34565877475229228821e+02,
    6.45387271733267880336e+02,
    4.29008140027567833386e+02,
    1.08635005541779435134e+02,
    6.57024977031928170135e+00,
    -6.04244152148580987438e-02,
];
/// The same on [1/0.35, 28].
const RB: [f64; 7] = [
    -9.86494292470009928597e-03,
    -7.99283237680523006574e-01,
    -1.77579549177547519889e+01,
    -1.60636384855821916062e+02,
    -6.37566443368389627722e+02,
    -1.02509513161107724954e+03,
    -4.83519191608651397019e+02,
];
const SB: [f64; 7] = [
    3.03380607434824582924e+01,
    3.25792512996573918826e+02,
    1.53672958608443695994e+03,
    3.19985821950859553908e+03,
    2.55305040643316442583e+03,
    4.74528541206955367215e+02,
    -2.24409524465858183362e+01,
];

/// `c0 + x·c1 + …`, and `1 + x·(d1 + x·d2 + …)`: a rational function's halves.
fn rational<O: Ops>(o: &mut O, x: O::F, num: &[f64], den: &[f64]) -> (O::F, O::F) {
    let p = horner(o, x, num);
    let q = horner(o, x, den);
    let q = o.mul(x, q);
    let one = o.c(1.0);
    (p, o.add(one, q))
}

/// The parts both functions share: `x·R(x²)` for the small interval, and `erfc(|x|)` from
/// 0.84375 on (below 28).
fn parts<O: Ops>(o: &mut O, x: O::F, ax: O::F) -> (O::F, O::F) {
    let z = o.mul(x, x);
    let (r, s) = rational(o, z, &PP, &QQ);
    let y = o.div(r, s);
    let xy = o.mul(x, y);
    // |x| in [0.84375, 1.25): (1 - erx) - P/Q.
    let one = o.c(1.0);
    let s1 = o.sub(ax, one);
    let (p, q) = rational(o, s1, &PA, &QA);
    let pq = o.div(p, q);
    let erx = o.c(ERX);
    let c = o.sub(one, erx);
    let near = o.sub(c, pq);
    // Beyond: exp(-z² - 0.5625)·exp((z - x)(z + x) + R/S)/x.
    let xx = o.mul(ax, ax);
    let s = o.div(one, xx);
    let (ra, sa) = rational(o, s, &RA, &SA);
    let (rb, sb) = rational(o, s, &RB, &SB);
    let bound = o.c(f64::from_bits(0x4006_db6d_u64 << 32));
    let mid = o.lt(ax, bound);
    let r = o.select(mid, ra, rb);
    let big_s = o.select(mid, sa, sb);
    let zh = chop(o, ax);
    let zz = o.mul(zh, zh);
    let zero = o.c(0.0);
    let nzz = o.sub(zero, zz);
    let k = o.c(0.5625);
    let a = o.sub(nzz, k);
    let e1 = exp(o, a);
    let d = o.sub(zh, ax);
    let sum = o.add(zh, ax);
    let b = o.mul(d, sum);
    let rs = o.div(r, big_s);
    let b = o.add(b, rs);
    let e2 = exp(o, b);
    let e = o.mul(e1, e2);
    let far = o.div(e, ax);
    let c125 = o.c(1.25);
    let below = o.lt(ax, c125);
    (xy, o.select(below, near, far))
}

/// `erf(x)`.
#[inline(always)]
pub fn erf<O: Ops>(o: &mut O, x: O::F) -> O::F {
    let (sign, ax) = split_sign(o, x);
    let (xy, tail) = parts(o, x, ax);
    let small = o.add(x, xy);
    // Tiny: x + x·efx, written to avoid underflow.
    let (eighth, eight, efx8) = (o.c(0.125), o.c(8.0), o.c(EFX8));
    let x8 = o.mul(eight, x);
    let xe = o.mul(efx8, x);
    let t = o.add(x8, xe);
    let tiny = o.mul(eighth, t);
    let is_tiny = below_high(o, ax, 0x3e30_0000);
    let small = o.select(is_tiny, tiny, small);
    // From 0.84375: ±(1 - erfc(|x|)), and ±(1 - 2^-1022) = ±1 from 6 on.
    let one = o.c(1.0);
    let y = o.sub(one, tail);
    let within = below_high(o, ax, 0x4018_0000);
    let tiny_c = o.c(f64::MIN_POSITIVE);
    let top = o.sub(one, tiny_c);
    let y = o.select(within, y, top);
    let y = with_sign(o, y, sign);
    let is_small = below_high(o, ax, 0x3feb_0000);
    let r = o.select(is_small, small, y);
    nan_through(o, x, r)
}

/// `erfc(x) = 1 - erf(x)`, accurate where it is small.
#[inline(always)]
pub fn erfc<O: Ops>(o: &mut O, x: O::F) -> O::F {
    let (_, ax) = split_sign(o, x);
    let (xy, tail) = parts(o, x, ax);
    let zero = o.c(0.0);
    let negative = o.lt(x, zero);
    // Below 0.84375: 1 - (x + xy) below 1/4 (or negative), 0.5 - ((x - 0.5) + xy) above.
    let (one, half) = (o.c(1.0), o.c(0.5));
    let s = o.add(x, xy);
    let low = o.sub(one, s);
    let xh = o.sub(x, half);
    let s = o.add(xh, xy);
    let high = o.sub(half, s);
    let quarter = o.c(0.25);
    let under = o.lt(x, quarter);
    let small = o.select(under, low, high);
    let is_tiny = below_high(o, ax, 0x3c70_0000);
    let one_minus = o.sub(one, x);
    let small = o.select(is_tiny, one_minus, small);
    // Up to 28: erfc(|x|), or 2 - erfc(|x|) left of zero; beyond, 0 or 2.
    let two = o.c(2.0);
    let reflected = o.sub(two, tail);
    let y = o.select(negative, reflected, tail);
    let tiny_c = o.c(f64::MIN_POSITIVE);
    let two_minus = o.sub(two, tiny_c);
    let underflow = o.mul(tiny_c, tiny_c);
    let beyond = o.select(negative, two_minus, underflow);
    let within = below_high(o, ax, 0x403c_0000);
    let y = o.select(within, y, beyond);
    let is_small = below_high(o, ax, 0x3feb_0000);
    let r = o.select(is_small, small, y);
    nan_through(o, x, r)
}
