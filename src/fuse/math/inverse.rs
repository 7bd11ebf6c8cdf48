//! `atan`, `asin` and `acos` decomposed (see the parent module): fdlibm's algorithms
//! (`s_atan.c`, `e_asin.c`, `e_acos.c`) with their branches turned into selects — every
//! path computed, the argument's interval choosing — so each lane gets exactly fdlibm's
//! operations. fdlibm is within 1 ulp of the correctly rounded result, as glibc's are.

// fdlibm's constants, verbatim (some are std's fractions of π, written as fdlibm does).
#![allow(clippy::excessive_precision, clippy::approx_constant)]

use super::{Ops, float_of, horner, split_sign, with_sign};

const PIO2_HI: f64 = 1.570_796_326_794_896_558_00e+00;
const PIO2_LO: f64 = 6.123_233_995_736_766_035_87e-17;
const PIO4_HI: f64 = 7.853_981_633_974_482_789_99e-01;
const PI: f64 = 3.141_592_653_589_793_116_00e+00;

/// `atan(|x|)` at four breakpoints: hi and lo parts.
const ATAN_HI: [f64; 4] = [
    4.636_476_090_008_060_935_15e-01,
    7.853_981_633_974_482_789_99e-01,
    9.827_937_232_473_290_540_82e-01,
    1.570_796_326_794_896_558_00e+00,
];
const ATAN_LO: [f64; 4] = [
    2.269_877_745_296_168_709_24e-17,
    3.061_616_997_868_383_017_93e-17,
    1.390_331_103_123_099_845_16e-17,
    6.123_233_995_736_766_035_87e-17,
];
/// The odd and even halves of atan's polynomial in `w = x⁴`.
const AT_ODD: [f64; 6] = [
    3.333_333_333_333_293_180_27e-01,
    1.428_571_427_250_346_637_11e-01,
    9.090_887_133_436_506_561_96e-02,
    6.661_073_137_387_531_206_69e-02,
    4.976_877_994_615_932_360_17e-02,
    1.628_582_011_536_578_236_23e-02,
];
const AT_EVEN: [f64; 5] = [
    -1.999_999_999_987_648_324_76e-01,
    -1.111_111_040_546_235_578_80e-01,
    -7.691_876_205_044_829_994_95e-02,
    -5.833_570_133_790_573_486_45e-02,
    -3.653_157_274_421_691_552_70e-02,
];

/// `atan(x)`.
#[inline(always)]
pub fn atan<O: Ops>(o: &mut O, x: O::F) -> O::F {
    let (sign, ax) = split_sign(o, x);
    // The interval of |x| (fdlibm's `id`: -1 below 0.4375, then 0..=3) chooses the
    // reduction `num / den` and atan's value at the breakpoint (0 for id -1).
    let (one, two, half3, zero) = (o.c(1.0), o.c(2.0), o.c(1.5), o.c(0.0));
    let bounds = [0.4375, 0.6875, 1.1875, 2.4375].map(|b| o.c(b));
    let above = bounds.map(|b| {
        let below = o.lt(ax, b);
        o.select(below, zero, one)
    });
    let is = |o: &mut O, k: usize| o.eq(above[k], one);
    // id 0: (2x - 1) / (2 + x); id 1: (x - 1) / (x + 1); id 2: (x - 1.5) / (1 + 1.5x);
    // id 3: -1 / x; id -1: x / 1.
    let twice = o.mul(two, ax);
    let n0 = o.sub(twice, one);
    let d0 = o.add(two, ax);
    let n1 = o.sub(ax, one);
    let d1 = o.add(ax, one);
    let n2 = o.sub(ax, half3);
    let scaled = o.mul(half3, ax);
    let d2 = o.add(one, scaled);
    let minus_one = o.c(-1.0);
    let (mut num, mut den) = (ax, one);
    let (mut hi, mut lo) = (zero, zero);
    for (k, (n, d)) in [(n0, d0), (n1, d1), (n2, d2), (minus_one, ax)]
        .into_iter()
        .enumerate()
    {
        let c = is(o, k);
        num = o.select(c, n, num);
        den = o.select(c, d, den);
        let (h, l) = (o.c(ATAN_HI[k]), o.c(ATAN_LO[k]));
        hi = o.select(c, h, hi);
        lo = o.select(c, l, lo);
    }
    let r = o.div(num, den);
    let z = o.mul(r, r);
    let w = o.mul(z, z);
    let odd = horner(o, w, &AT_ODD);
    let s1 = o.mul(z, odd);
    let even = horner(o, w, &AT_EVEN);
    let s2 = o.mul(w, even);
    let s = o.add(s1, s2);
    // hi - ((r·s - lo) - r); below 0.4375 (hi = lo = 0) that is fdlibm's r - r·s exactly.
    let rs = o.mul(r, s);
    let t = o.sub(rs, lo);
    let t = o.sub(t, r);
    let y = o.sub(hi, t);
    // Tiny arguments are their own atan (fdlibm returns x below 2^-27; -0 stays -0).
    let tiny = o.c(f64::from_bits(0x3E40_0000_0000_0000));
    let small = o.lt(ax, tiny);
    let y = o.select(small, ax, y);
    // NaN: the comparisons chose id -1, where r·s and r - r·s are NaN.
    with_sign(o, y, sign)
}

/// fdlibm's rational approximation of `(asin(√t·2)/(√t·2) - 1)/(2t)`-like kernel: `p/q`
/// of its `pS`/`qS` polynomials at `t`, returned as `(p, q)`.
fn asin_pq<O: Ops>(o: &mut O, t: O::F) -> (O::F, O::F) {
    const PS: [f64; 6] = [
        1.666_666_666_666_666_574_15e-01,
        -3.255_658_186_224_009_154_05e-01,
        2.012_125_321_348_629_258_81e-01,
        -4.005_553_450_067_941_140_27e-02,
        7.915_349_942_898_145_321_76e-04,
        3.479_331_075_960_211_675_70e-05,
    ];
    const QS: [f64; 5] = [
        1.0,
        -2.403_394_911_734_414_218_78e+00,
        2.020_945_760_233_505_694_71e+00,
        -6.882_839_716_054_532_930_30e-01,
        7.703_815_055_590_193_527_91e-02,
    ];
    let p = horner(o, t, &PS);
    let p = o.mul(t, p);
    // q = 1 + t·(qS1 + …): horner over [1, qS1, …] computes exactly that.
    let q = horner(o, t, &QS);
    (p, q)
}

/// `s` with its low 32 bits cleared (fdlibm's `SET_LOW_WORD(w, 0)`).
fn high_word<O: Ops>(o: &mut O, s: O::F) -> O::F {
    let b = o.bits(s);
    let mask = o.ci(!0xFFFF_FFFF);
    let b = o.iand(b, mask);
    o.float_from_bits(b)
}

/// `asin(x)`.
#[inline(always)]
pub fn asin<O: Ops>(o: &mut O, x: O::F) -> O::F {
    let (sign, ax) = split_sign(o, x);
    let (one, half, two) = (o.c(1.0), o.c(0.5), o.c(2.0));
    // |x| < 0.5: x + x·p(x²)/q(x²).
    let x2 = o.mul(ax, ax);
    let low = o.lt(ax, half);
    let w1 = o.sub(one, ax);
    let t_high = o.mul(w1, half);
    let t = o.select(low, x2, t_high);
    let (p, q) = asin_pq(o, t);
    let r = o.div(p, q);
    let xr = o.mul(ax, r);
    let small = o.add(ax, xr);
    // 0.5 ≤ |x| < 1, s = √((1 - |x|)/2).
    let s = o.sqrt(t);
    let (pio2_hi, pio2_lo, pio4_hi) = (o.c(PIO2_HI), o.c(PIO2_LO), o.c(PIO4_HI));
    // Above 0.975: pio2_hi - (2(s + s·r) - pio2_lo).
    let sr = o.mul(s, r);
    let ssr = o.add(s, sr);
    let ssr2 = o.mul(two, ssr);
    let u = o.sub(ssr2, pio2_lo);
    let steep = o.sub(pio2_hi, u);
    // Else: w = s with its low word cleared, c = (t - w²)/(s + w),
    // pio4_hi - ((2·s·r - (pio2_lo - 2c)) - (pio4_hi - 2w)).
    let w = high_word(o, s);
    let ww = o.mul(w, w);
    let tw = o.sub(t, ww);
    let sw = o.add(s, w);
    let c = o.div(tw, sw);
    let s2 = o.mul(two, s);
    let s2r = o.mul(s2, r);
    let c2 = o.mul(two, c);
    let lo_c = o.sub(pio2_lo, c2);
    let pp = o.sub(s2r, lo_c);
    let w2 = o.mul(two, w);
    let qq = o.sub(pio4_hi, w2);
    let pq = o.sub(pp, qq);
    let middle = o.sub(pio4_hi, pq);
    // fdlibm compares high words: 0x3FEF3333 is just below 0.975.
    let edge = o.c(f64::from_bits(0x3FEF_3333_0000_0000));
    let below_edge = o.lt(ax, edge);
    let high = o.select(below_edge, middle, steep);
    let y = o.select(low, small, high);
    // |x| = 1: x·pio2_hi + x·pio2_lo; |x| > 1: NaN (from √ of a negative t already).
    let a = o.mul(ax, pio2_hi);
    let b = o.mul(ax, pio2_lo);
    let at_one = o.add(a, b);
    let is_one = o.eq(ax, one);
    let y = o.select(is_one, at_one, y);
    let tiny = o.c(f64::from_bits(0x3E40_0000_0000_0000));
    let is_tiny = o.lt(ax, tiny);
    let y = o.select(is_tiny, ax, y);
    with_sign(o, y, sign)
}

/// `acos(x)`.
#[inline(always)]
pub fn acos<O: Ops>(o: &mut O, x: O::F) -> O::F {
    let (one, half, two, zero) = (o.c(1.0), o.c(0.5), o.c(2.0), o.c(0.0));
    let (pio2_hi, pio2_lo, pi) = (o.c(PIO2_HI), o.c(PIO2_LO), o.c(PI));
    let (_, ax) = split_sign(o, x);
    let low = o.lt(ax, half);
    let negative = o.lt(x, zero);
    // t: x² below 0.5, (1 + x)/2 below -0.5, (1 - x)/2 above 0.5.
    let x2 = o.mul(x, x);
    let up = o.add(one, x);
    let up = o.mul(up, half);
    let down = o.sub(one, x);
    let down = o.mul(down, half);
    let t = o.select(negative, up, down);
    let t = o.select(low, x2, t);
    let (p, q) = asin_pq(o, t);
    let r = o.div(p, q);
    // |x| < 0.5: pio2_hi - (x - (pio2_lo - x·r)).
    let xr = o.mul(x, r);
    let a = o.sub(pio2_lo, xr);
    let a = o.sub(x, a);
    let middle = o.sub(pio2_hi, a);
    // x < -0.5: pi - 2(s + (r·s - pio2_lo)).
    let s = o.sqrt(t);
    let rs = o.mul(r, s);
    let w = o.sub(rs, pio2_lo);
    let sw = o.add(s, w);
    let sw2 = o.mul(two, sw);
    let left = o.sub(pi, sw2);
    // x > 0.5: df = s with its low word cleared, c = (t - df²)/(s + df),
    // 2(df + (r·s + c)).
    let df = high_word(o, s);
    let dd = o.mul(df, df);
    let td = o.sub(t, dd);
    let sd = o.add(s, df);
    let c = o.div(td, sd);
    let w = o.add(rs, c);
    let dw = o.add(df, w);
    let right = o.mul(two, dw);
    let y = o.select(negative, left, right);
    let y = o.select(low, middle, y);
    // x = 1: 0; x = -1: pi + 2·pio2_lo; |x| > 1: NaN (√ of a negative t).
    let is_one = o.eq(x, one);
    let y = o.select(is_one, zero, y);
    let minus_one = o.c(-1.0);
    let is_minus_one = o.eq(x, minus_one);
    let lo2 = o.mul(two, pio2_lo);
    let at_minus_one = o.add(pi, lo2);
    o.select(is_minus_one, at_minus_one, y)
}

/// `atan2(y, x)`: the angle of (x, y), in [-π, π] (fdlibm's `e_atan2.c`: `atan(|y/x|)`
/// moved to the quadrant, with its special cases as selects). The result has `y`'s sign.
#[inline(always)]
pub fn atan2<O: Ops>(o: &mut O, y: O::F, x: O::F) -> O::F {
    const PI_LO: f64 = 1.224_646_799_147_353_177_2e-16;
    let (sy, ay) = split_sign(o, y);
    let (sx, ax) = split_sign(o, x);
    let zero_i = o.ci(0);
    let x_positive = o.ieq(sx, zero_i);
    let (zero, pi, pio2) = (o.c(0.0), o.c(PI), o.c(PIO2_HI));
    let pi_lo = o.c(PI_LO);
    // fdlibm's k: the difference of the high words, shifted down by 20 (exact in floats).
    let words = [ay, ax].map(|v| {
        let b = o.bits(v);
        let w = o.ushr(b, 32);
        float_of(o, w)
    });
    let d = o.sub(words[0], words[1]);
    let scale = o.c(1.0 / 1_048_576.0);
    let k = o.mul(d, scale);
    let k = o.floor(k);
    // The general case: z = atan(|y/x|), or π - (z - π_lo) left of the axis.
    let q = o.div(ay, ax);
    let z = atan(o, q);
    let tiny_ratio = o.c(-60.0);
    let tiny = o.lt(k, tiny_ratio);
    let z_left = o.select(tiny, zero, z);
    let zl = o.sub(z_left, pi_lo);
    let left = o.sub(pi, zl);
    let r = o.select(x_positive, z, left);
    // |y/x| > 2^60: π/2, on either side.
    let sixty = o.c(60.0);
    let huge = o.lt(sixty, k);
    let half_lo = o.c(0.5 * PI_LO);
    let steep = o.add(pio2, half_lo);
    let r = o.select(huge, steep, r);
    // y infinite: π/2, or π/4 and 3π/4 when x is infinite too.
    let inf = o.c(f64::INFINITY);
    let y_inf = o.eq(ay, inf);
    let x_inf = o.eq(ax, inf);
    let (pio4, pio4_3) = (o.c(PIO4_HI), o.c(3.0 * PIO4_HI));
    let corner = o.select(x_positive, pio4, pio4_3);
    let vertical = o.select(x_inf, corner, pio2);
    let r = o.select(y_inf, vertical, r);
    // x zero: π/2; y zero: 0 right of the axis (x = +0 included), π left.
    let x_zero = o.eq(ax, zero);
    let r = o.select(x_zero, pio2, r);
    let flat = o.select(x_positive, zero, pi);
    let y_zero = o.eq(ay, zero);
    let r = o.select(y_zero, flat, r);
    let r = with_sign(o, r, sy);
    // NaN in, NaN out.
    let (y_, x_) = (o.opaque(y), o.opaque(x));
    let y_num = o.eq(y, y_);
    let x_num = o.eq(x, x_);
    let sum = o.add(x, y);
    let r = o.select(y_num, r, sum);
    o.select(x_num, r, sum)
}

#[cfg(test)]
mod tests {
    use super::super::Scalar;
    use super::super::tests::{check_at, points};
    use super::*;

    /// The whole range, dense inside [-1, 1] (where asin and acos are defined) and near
    /// the ends of the intervals the algorithms choose between.
    fn domain() -> Vec<f64> {
        let mut p = points();
        p.extend((0..200_000).map(|i| i as f64 / 100_000.0 - 1.0));
        p.extend((0..2000).flat_map(|i| {
            let d = i as f64 * 1e-12;
            [
                1.0 - d,
                -1.0 + d,
                0.5 + d,
                0.5 - d,
                0.975 + d,
                0.975 - d,
                0.4375 - d,
            ]
        }));
        p
    }

    #[test]
    fn atan_asin_acos_are_within_1_ulp() {
        let p = domain();
        check_at("atan", &p, |x| atan(&mut Scalar, x), f64::atan, 1);
        check_at("asin", &p, |x| asin(&mut Scalar, x), f64::asin, 1);
        check_at("acos", &p, |x| acos(&mut Scalar, x), f64::acos, 1);
    }

    #[test]
    fn signs_and_edges_are_kept() {
        assert_eq!(atan(&mut Scalar, -0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(asin(&mut Scalar, -0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(
            atan(&mut Scalar, f64::INFINITY),
            std::f64::consts::FRAC_PI_2
        );
        assert_eq!(
            atan(&mut Scalar, f64::NEG_INFINITY),
            -std::f64::consts::FRAC_PI_2
        );
        assert_eq!(acos(&mut Scalar, 1.0).to_bits(), 0);
        assert!(asin(&mut Scalar, 1.5).is_nan() && acos(&mut Scalar, -2.0).is_nan());
        assert!(atan(&mut Scalar, f64::NAN).is_nan());
    }

    #[test]
    fn atan2_is_within_2_ulp_with_every_special_case() {
        let p = points();
        let specials = [0.0, -0.0, 1.0, -1.0, 1e-300, -5e-324, 1e300, f64::INFINITY];
        let specials: Vec<f64> = specials.iter().flat_map(|&v| [v, -v]).collect();
        let mut worst = (0, 0.0, 0.0);
        let pairs = p.iter().zip(p.iter().skip(7).chain(&p[..7]));
        let grid = specials
            .iter()
            .flat_map(|&y| specials.iter().map(move |&x| (y, x)));
        let mixed = p[..4000]
            .iter()
            .flat_map(|&y| specials.iter().map(move |&x| (y, x)));
        for (y, x) in pairs.map(|(&y, &x)| (y, x)).chain(grid).chain(mixed) {
            let (got, want) = (atan2(&mut Scalar, y, x), y.atan2(x));
            if got.is_nan() && want.is_nan() {
                continue;
            }
            // ulps counts -0 and +0 as equal; the sign of a zero angle is part of atan2.
            assert_eq!(
                got.is_sign_negative(),
                want.is_sign_negative(),
                "atan2({y}, {x})"
            );
            let u = super::super::tests::ulps(got, want);
            if u > worst.0 {
                worst = (u, y, x);
            }
        }
        assert!(
            worst.0 <= 2,
            "atan2: {} ulp at ({:e}, {:e})",
            worst.0,
            worst.1,
            worst.2
        );
        assert!(atan2(&mut Scalar, f64::NAN, 1.0).is_nan());
        assert!(atan2(&mut Scalar, 1.0, f64::NAN).is_nan());
    }
}
