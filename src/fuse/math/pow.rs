//! `pow(x, y)` decomposed (see the parent module): fdlibm's `e_pow.c` (msun's), its branches
//! turned into selects. `log2|x|` is computed as `t1 + t2` in extra precision, multiplied by
//! `y` split into a 21-bit head and a tail (`p_h + p_l`, the head product exact), and
//! `2^(p_h + p_l)` is `2^n` times fdlibm's rational approximation on the remainder. Its
//! special cases (zeros, infinities, NaN, negative bases, `|y|` past 2^64) are selects
//! applied after the general path, lowest priority first, so every lane computes the same
//! operations. Integer powers of integers come out exact when representable, as fdlibm's do.
//! One change from fdlibm: `n` is `round(p_h + p_l)` (fdlibm rounds the high word); the
//! remainder stays within ½ either way.

// fdlibm's constants, verbatim.
#![allow(clippy::excessive_precision)]

use super::{Ops, chop, float_of, horner, scale, split_sign, with_sign};

const DP_H1: f64 = 5.849_624_872_207_641_601_56e-01; // 0x3fe2b803_40000000
const DP_L1: f64 = 1.350_039_202_129_748_971_28e-08; // 0x3E4CFDEB_43CFD006
const TWO53: f64 = 9_007_199_254_740_992.0;
/// (3/2)(log(x) - 2s - 2/3 s³) in s².
const L: [f64; 6] = [
    5.999_999_999_999_946_487_25e-01,
    4.285_714_285_785_501_842_52e-01,
    3.333_333_298_183_774_329_18e-01,
    2.727_281_238_085_340_064_89e-01,
    2.306_607_457_755_617_540_67e-01,
    2.069_750_178_003_384_177_84e-01,
];
/// The rational approximation of 2^r's polynomial part.
const P: [f64; 5] = [
    1.666_666_666_666_660_190_37e-01,
    -2.777_777_777_701_559_338_42e-03,
    6.613_756_321_437_934_361_17e-05,
    -1.653_390_220_546_525_153_90e-06,
    4.138_136_797_057_238_460_39e-08,
];
const LG2: f64 = std::f64::consts::LN_2;
const LG2_H: f64 = 6.931_471_824_645_996_093_75e-01;
const LG2_L: f64 = -1.904_654_299_957_768_045_25e-09;
/// -(1024 - log2(overflow threshold + ½ ulp)).
const OVT: f64 = 8.008_566_259_537_294_437_2e-17;
const CP: f64 = 9.617_966_939_259_755_543_29e-01; // 2/(3 ln2)
const CP_H: f64 = 9.617_967_009_544_372_558_59e-01; // (float)CP
const CP_L: f64 = -7.028_461_650_952_758_265_16e-09; // tail of CP_H
/// 2^64: past it, every f64 `y` is an even integer.
const TWO_64: f64 = 18_446_744_073_709_551_616.0;

/// `x^y`.
#[inline(always)]
pub fn pow<O: Ops>(o: &mut O, x: O::F, y: O::F) -> O::F {
    let core = pow_core(o, x, y);
    pow_cases(o, core)
}

/// What `pow` computes of every pair: `|x|^y` from `y log2|x| = p_h + p_l` (the head
/// product exact, 21 bits times 24), before the sign and the special cases.
#[derive(Clone, Copy)]
pub struct PowCore<F, I> {
    x: F,
    y: F,
    ax: F,
    xsign: I,
    p_h: F,
    p_l: F,
    z: F,
    /// `z` hidden from a rewriting compiler (see `Ops::opaque`).
    z_: F,
    /// `|x|^y` where no special case applies.
    pub magnitude: F,
}

/// [`PowCore`] of `x^y`.
#[inline(always)]
pub fn pow_core<O: Ops>(o: &mut O, x: O::F, y: O::F) -> PowCore<O::F, O::I> {
    let (xsign, ax) = split_sign(o, x);
    let (t1, t2) = log2_parts(o, ax);
    let y1 = chop(o, y);
    let ytail = o.sub(y, y1);
    let a = o.mul(ytail, t1);
    let b = o.mul(y, t2);
    let p_l = o.add(a, b);
    let p_h = o.mul(y1, t1);
    let z = o.add(p_l, p_h);
    let z_ = o.opaque(z);
    let magnitude = exp2_parts(o, p_h, p_l, z);
    PowCore {
        x,
        y,
        ax,
        xsign,
        p_h,
        p_l,
        z,
        z_,
        magnitude,
    }
}

/// Where `pow` is its core's `magnitude` alone (a wide program whose lanes all are skips
/// [`pow_cases`]: the same bits): `(all, none)` — every condition of `all` holds (x > 0
/// and finite, |y| < 2^64, -1075 < y log2 x < 1024) and none of `none` (y = 0, ½, 1, -1
/// or 2, fdlibm's exact cases; x = 1).
#[inline(always)]
pub fn pow_common_case<O: Ops>(o: &mut O, c: &PowCore<O::F, O::I>) -> ([O::B; 5], [O::B; 6]) {
    let (zero, one) = (o.c(0.0), o.c(1.0));
    let inf = o.c(f64::INFINITY);
    let two64 = o.c(TWO_64);
    let (lo, hi) = (o.c(-1075.0), o.c(1024.0));
    let (_, ay) = split_sign(o, c.y);
    let all = [
        o.lt(zero, c.x),
        o.lt(c.x, inf),
        o.lt(ay, two64),
        o.lt(lo, c.z),
        o.lt(c.z, hi),
    ];
    let [y0, y_half, y1, y_m1, y2] = [0.0, 0.5, 1.0, -1.0, 2.0].map(|k| {
        let k = o.c(k);
        o.eq(c.y, k)
    });
    let x_one = o.eq(c.x, one);
    (all, [y0, y_half, y1, y_m1, y2, x_one])
}

/// `x^y` from its core: the sign, overflow and underflow, and the special cases as
/// selects.
#[inline(always)]
pub fn pow_cases<O: Ops>(o: &mut O, core: PowCore<O::F, O::I>) -> O::F {
    let PowCore {
        x,
        y,
        ax,
        xsign,
        p_h,
        p_l,
        z,
        z_,
        magnitude,
    } = core;
    let (zero, one) = (o.c(0.0), o.c(1.0));
    // y's kind, as floats (1 or 0; `Ops` has no boolean and/not): an integer, an odd one.
    let fy = o.floor(y);
    let y_int = o.eq(fy, y);
    let half = o.c(0.5);
    let h = o.mul(y, half);
    let fh = o.floor(h);
    let h_int = o.eq(fh, h);
    let int_f = o.select(y_int, one, zero);
    let odd_f = o.select(h_int, zero, int_f);
    let odd = o.eq(odd_f, one);
    // The result's sign: x's sign bit when y is an odd integer.
    let zero_i = o.ci(0);
    let rsign = o.iselect(odd, xsign, zero_i);
    let r = with_sign(o, magnitude, rsign);

    // Overflow past 1024 (at 1024 exactly, when the tail rounds it over), underflow
    // below -1075.
    let inf = o.c(f64::INFINITY);
    let big = o.c(1024.0);
    let over = o.lt(big, z);
    let signed_inf = with_sign(o, inf, rsign);
    let signed_zero = with_sign(o, zero, rsign);
    let r = o.select(over, signed_inf, r);
    let at_big = o.eq(z, big);
    let ovt = o.c(OVT);
    let lhs = o.add(p_l, ovt);
    let rest = o.sub(z_, p_h);
    let rounds_over = o.lt(rest, lhs);
    let r_over = o.select(rounds_over, signed_inf, r);
    let r = o.select(at_big, r_over, r);
    let small = o.c(-1075.0);
    let under = o.lt(z, small);
    let r = o.select(under, signed_zero, r);
    let at_small = o.eq(z, small);
    let stays = o.lt(rest, p_l);
    let r_under = o.select(stays, r, signed_zero);
    let r = o.select(at_small, r_under, r);

    // |y| > 2^64 (an even integer): 0 or inf by which side of 1 |x| lies (|x| = 1 is 1,
    // from the general path).
    let (_, ay) = split_sign(o, y);
    let two64 = o.c(TWO_64);
    let huge = o.lt(two64, ay);
    let x_below = o.lt(ax, one);
    let y_neg = o.lt(y, zero);
    let below = o.select(y_neg, inf, zero);
    let above = o.select(y_neg, zero, inf);
    let limit = o.select(x_below, below, above);
    let x_one = o.eq(ax, one);
    let limit = o.select(x_one, r, limit);
    let r = o.select(huge, limit, r);

    // A negative base to a non-integer power: NaN.
    let nan = o.c(f64::NAN);
    let x_neg = o.lt(x, zero);
    let r_neg = o.select(y_int, r, nan);
    let r = o.select(x_neg, r_neg, r);

    // |x| = 0 or inf: |x| or 1/|x| (inf or 0) by y's sign, signed when y is odd.
    let x_zero = o.eq(ax, zero);
    let x_inf = o.eq(ax, inf);
    let recip = o.select(x_zero, inf, zero);
    let edge = o.select(y_neg, recip, ax);
    let edge = with_sign(o, edge, rsign);
    let r = o.select(x_zero, edge, r);
    let r = o.select(x_inf, edge, r);

    // fdlibm's exact cases: y = ½ (x > 0), 2, 1, -1.
    let sq = o.sqrt(x);
    let y_half = o.eq(y, half);
    let x_pos = o.lt(zero, x);
    let r_half = o.select(x_pos, sq, r);
    let r = o.select(y_half, r_half, r);
    let two = o.c(2.0);
    let y_two = o.eq(y, two);
    let xx = o.mul(x, x);
    let r = o.select(y_two, xx, r);
    let y_one = o.eq(y, one);
    let r = o.select(y_one, x, r);
    let mone = o.c(-1.0);
    let y_mone = o.eq(y, mone);
    let inv = o.div(one, x);
    let r = o.select(y_mone, inv, r);

    // y = ±inf: 1 at |x| = 1, else 0 or inf by which side of 1 |x| lies.
    let y_inf = o.eq(ay, inf);
    let side = o.select(x_one, one, limit);
    let r = o.select(y_inf, side, r);

    // NaN in, NaN out (x + y, as fdlibm), but for x = 1 and y = 0: 1.
    let xy = o.add(x, y);
    let (x_, y_) = (o.opaque(x), o.opaque(y));
    let x_num = o.eq(x, x_);
    let y_num = o.eq(y, y_);
    let r = o.select(x_num, r, xy);
    let r = o.select(y_num, r, xy);
    let x_is_one = o.eq(x, one);
    let r = o.select(x_is_one, one, r);
    let y_zero = o.eq(y, zero);
    o.select(y_zero, one, r)
}

/// `log2(ax) = t1 + t2` for a positive finite `ax`, `t1` with its low 32 bits clear
/// (garbage elsewhere; `pow` selects its special cases over it).
#[inline(always)]
fn log2_parts<O: Ops>(o: &mut O, ax: O::F) -> (O::F, O::F) {
    let (zero, one) = (o.c(0.0), o.c(1.0));
    // Subnormals scaled by 2^53 first.
    let tiny = o.c(f64::MIN_POSITIVE);
    let sub = o.lt(ax, tiny);
    let two53 = o.c(TWO53);
    let scaled = o.mul(ax, two53);
    let ax = o.select(sub, scaled, ax);
    let bits = o.bits(ax);
    let biased = o.ushr(bits, 52);
    let ef = float_of(o, biased);
    let (b_sub, b_norm) = (o.c(-1023.0 - 53.0), o.c(-1023.0));
    let bias = o.select(sub, b_sub, b_norm);
    let n = o.add(ef, bias);
    // The interval of the mantissa's high bits j: [1, √(3/2)] (k = 0), up to √3 (k = 1),
    // beyond (k = 0, halved: n + 1).
    let hi = o.ushr(bits, 32);
    let mask = o.ci(0x000f_ffff);
    let j = o.iand(hi, mask);
    let jf = float_of(o, j);
    let (lim1, lim2) = (o.c(f64::from(0x3988F)), o.c(f64::from(0xBB67A)));
    let first = o.lt(jf, lim1);
    let second = o.lt(jf, lim2);
    let k_f = o.select(second, one, zero);
    let k_f = o.select(first, zero, k_f);
    let k1 = o.eq(k_f, one);
    let up_f = o.select(second, zero, one);
    let up = o.eq(up_f, one);
    let n = o.add(n, up_f);
    let one_hi = o.ci(0x3ff0_0000);
    let ix = o.ior(j, one_hi);
    let step = o.ci(-0x0010_0000);
    let ix_down = o.iadd(ix, step);
    let ix = o.iselect(up, ix_down, ix);
    let low_mask = o.ci(0xffff_ffff);
    let low = o.iand(bits, low_mask);
    let high = o.shl(ix, 32);
    let axb = o.ior(high, low);
    let ax = o.float_from_bits(axb);
    let (bp1, bp0) = (o.c(1.5), o.c(1.0));
    let bp = o.select(k1, bp1, bp0);
    let dh = o.c(DP_H1);
    let dp_h = o.select(k1, dh, zero);
    let dl = o.c(DP_L1);
    let dp_l = o.select(k1, dl, zero);

    // ss = s_h + s_l = (ax - bp) / (ax + bp).
    let u = o.sub(ax, bp);
    let sum = o.add(ax, bp);
    let v = o.div(one, sum);
    let ss = o.mul(u, v);
    let s_h = chop(o, ss);
    // t_h = ax + bp's high part, built from ix's bits.
    let ixh = o.ushr(ix, 1);
    let c1 = o.ci(0x2000_0000);
    let t = o.ior(ixh, c1);
    let c2 = o.ci(0x0008_0000);
    let t = o.iadd(t, c2);
    let (kk, k0) = (o.ci(1 << 18), o.ci(0));
    let kshift = o.iselect(k1, kk, k0);
    let t = o.iadd(t, kshift);
    let t = o.shl(t, 32);
    let t_h = o.float_from_bits(t);
    let tb = o.sub(t_h, bp);
    let t_l = o.sub(ax, tb);
    let a = o.mul(s_h, t_h);
    let a = o.sub(u, a);
    let b = o.mul(s_h, t_l);
    let a = o.sub(a, b);
    let s_l = o.mul(v, a);

    // log(ax) in ss.
    let s2 = o.mul(ss, ss);
    let poly = horner(o, s2, &L);
    let s4 = o.mul(s2, s2);
    let r = o.mul(s4, poly);
    let shs = o.add(s_h, ss);
    let sl = o.mul(s_l, shs);
    let r = o.add(r, sl);
    let s2 = o.mul(s_h, s_h);
    let three = o.c(3.0);
    let q = o.add(three, s2);
    let q = o.add(q, r);
    let t_h = chop(o, q);
    let a = o.sub(t_h, three);
    let a = o.sub(a, s2);
    let t_l = o.sub(r, a);
    // u + v = ss (1 + …).
    let u = o.mul(s_h, t_h);
    let a = o.mul(s_l, t_h);
    let b = o.mul(t_l, ss);
    let v = o.add(a, b);
    let uv = o.add(u, v);
    let p_h = chop(o, uv);
    let a = o.sub(p_h, u);
    let p_l = o.sub(v, a);
    // 2/(3 ln2) (ss + …) = z_h + z_l; log2(ax) = n + dp_h + z_h + z_l.
    let (cp_h, cp_l, cp) = (o.c(CP_H), o.c(CP_L), o.c(CP));
    let z_h = o.mul(cp_h, p_h);
    let a = o.mul(cp_l, p_h);
    let b = o.mul(p_l, cp);
    let z_l = o.add(a, b);
    let z_l = o.add(z_l, dp_l);
    let a = o.add(z_h, z_l);
    let a = o.add(a, dp_h);
    let a = o.add(a, n);
    let t1 = chop(o, a);
    let b = o.sub(t1, n);
    let b = o.sub(b, dp_h);
    let b = o.sub(b, z_h);
    let t2 = o.sub(z_l, b);
    (t1, t2)
}

/// `2^(p_h + p_l)` for `z = p_h + p_l` within [-1075, 1024] (garbage elsewhere).
#[inline(always)]
fn exp2_parts<O: Ops>(o: &mut O, p_h: O::F, p_l: O::F, z: O::F) -> O::F {
    // z = n + rest, |rest| ≤ ½: p_h - n is exact.
    let n = o.round(z);
    let p_h = o.sub(p_h, n);
    let s = o.add(p_l, p_h);
    let t = chop(o, s);
    let (lg2_h, lg2_l, lg2) = (o.c(LG2_H), o.c(LG2_L), o.c(LG2));
    let u = o.mul(t, lg2_h);
    let d = o.sub(t, p_h);
    let d = o.sub(p_l, d);
    let a = o.mul(d, lg2);
    let b = o.mul(t, lg2_l);
    let v = o.add(a, b);
    let zz = o.add(u, v);
    let zz_ = o.opaque(zz);
    let e = o.sub(zz_, u);
    let w = o.sub(v, e);
    let tt = o.mul(zz, zz);
    let poly = horner(o, tt, &P);
    let tp = o.mul(tt, poly);
    let t1 = o.sub(zz, tp);
    let num = o.mul(zz, t1);
    let two = o.c(2.0);
    let den = o.sub(t1, two);
    let q = o.div(num, den);
    let zw = o.mul(zz, w);
    let wz = o.add(w, zw);
    let r = o.sub(q, wz);
    let rz = o.sub(r, zz);
    let one = o.c(1.0);
    let m = o.sub(one, rz);
    scale(o, m, n)
}

#[cfg(test)]
mod tests {
    use super::super::Scalar;
    use super::super::tests::ulps;
    use super::pow;

    fn p(x: f64, y: f64) -> f64 {
        pow(&mut Scalar, x, y)
    }

    /// Asserts `pow` is within `max_ulp` of glibc's at every pair.
    fn check(name: &str, pairs: impl Iterator<Item = (f64, f64)>, max_ulp: u64) {
        let mut worst = (0, 0.0, 0.0);
        let mut n = 0;
        for (x, y) in pairs {
            let u = ulps(p(x, y), x.powf(y));
            if u > worst.0 {
                worst = (u, x, y);
            }
            n += 1;
        }
        let (u, x, y) = worst;
        assert!(
            u <= max_ulp,
            "{name}: {u} ulp at {x:e} ** {y:e} ({:e} vs {:e}), {n} pairs",
            p(x, y),
            x.powf(y)
        );
    }

    /// A xorshift stream of uniform floats in [0, 1).
    fn uniform(seed: u64) -> impl Iterator<Item = f64> {
        let mut state = seed;
        std::iter::from_fn(move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            Some((state >> 11) as f64 / (1u64 << 53) as f64)
        })
    }

    #[test]
    fn pow_is_within_2_ulp_over_the_range() {
        let u = uniform(0x9e37_79b9_7f4a_7c15);
        // Any positive base (by bit pattern) to exponents in [-4, 4].
        let bits = uniform(7).map(|v| {
            f64::from_bits((v * f64::from_bits(0x7ff0_0000_0000_0000).to_bits() as f64) as u64)
        });
        check(
            "any base",
            bits.zip(u.map(|v| v * 8.0 - 4.0)).take(200_000),
            2,
        );
        // Bases in [0, 20] to exponents in [-300, 300].
        let pairs = uniform(11)
            .zip(uniform(13))
            .map(|(a, b)| (a * 20.0, b * 600.0 - 300.0));
        check("moderate", pairs.take(200_000), 2);
        // Near 1 to huge exponents.
        let pairs = uniform(17)
            .zip(uniform(19))
            .map(|(a, b)| (1.0 + (a - 0.5) * 1e-9, (b - 0.5) * 1e12));
        check("near one", pairs.take(100_000), 2);
        // Results near the overflow and underflow thresholds (subnormals included).
        let pairs = uniform(23).zip(uniform(29)).map(|(a, b)| {
            let x = 1.5 + a * 100.0;
            let target = if b < 0.5 {
                1019.0 + b * 10.0
            } else {
                -1081.0 + (b - 0.5) * 20.0
            };
            (x, target / x.log2())
        });
        check("thresholds", pairs.take(100_000), 2);
        // Negative bases to integer powers; subnormal bases.
        let pairs = uniform(31)
            .zip(uniform(37))
            .map(|(a, b)| (-(a * 50.0), (b * 80.0 - 40.0).round()));
        check("negative bases", pairs.take(100_000), 2);
        let pairs = uniform(41)
            .zip(uniform(43))
            .map(|(a, b)| (a * 1e-310, b * 2.0 - 1.0));
        check("subnormal bases", pairs.take(100_000), 2);
    }

    #[test]
    fn special_cases_are_glibcs() {
        let xs = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            -0.5,
            2.0,
            -2.0,
            3.0,
            -3.0,
            2.5,
            -2.5,
            1e-310,
            -1e-310,
            1e308,
            -1e308,
            0.9999,
            1.0001,
            -0.9999,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        let ys = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            2.0,
            -2.0,
            0.5,
            -0.5,
            3.0,
            -3.0,
            2.5,
            -2.5,
            1e20,
            -1e20,
            1e300,
            -1e300,
            9007199254740993.0,
            4503599627370497.0,
            -4503599627370497.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            1075.0,
            -1075.0,
            1024.0,
        ];
        for x in xs {
            for y in ys {
                let (got, want) = (p(x, y), x.powf(y));
                assert!(ulps(got, want) <= 1, "{x:e} ** {y:e}: {got:e} vs {want:e}");
                if got == 0.0 || got.is_infinite() {
                    assert_eq!(got.to_bits(), want.to_bits(), "{x:e} ** {y:e}: the sign");
                }
            }
        }
    }

    #[test]
    fn integer_powers_of_integers_are_exact() {
        for base in -30i64..=30 {
            let mut exact: i128 = 1;
            for e in 0..64 {
                if exact.unsigned_abs() >= 1 << 53 {
                    break;
                }
                assert_eq!(p(base as f64, e as f64), exact as f64, "{base} ** {e}");
                exact *= i128::from(base);
            }
        }
        assert_eq!(p(2.0, -1074.0), f64::from_bits(1));
        assert_eq!(p(10.0, 22.0), 1e22);
    }
}
