//! `hypot` decomposed (see the parent module): glibc's algorithm, without branches.

use super::Ops;

/// `hypot(x, y)`, the length of (x, y) without undue overflow or underflow (and `abs` of
/// a complex number): glibc's algorithm (Borges' correction of `sqrt(x² + y²)`, inputs
/// scaled by 2^∓600 when the larger exceeds 2^511 or the smaller is below 2^-511, `ax + ay`
/// when the smaller is under 2^-54 of the larger), written without branches. ≤ 1 ulp.
#[inline(always)]
pub fn hypot<O: Ops>(o: &mut O, x: O::F, y: O::F) -> O::F {
    let m = magnitudes(o, x, y);
    hypot_of(o, m)
}

/// [`hypot`] from its operands' [`magnitudes`] (a caller that tested them for the
/// [`common_case`] first does not compute them again).
#[inline(always)]
pub fn hypot_of<O: Ops>(o: &mut O, [x, y, ax, ay]: [O::F; 4]) -> O::F {
    let (large, tiny) = (o.c(LARGE), o.c(TINY));
    let big = o.lt(large, ax);
    let small = o.lt(ay, tiny);
    let (down, up, one) = (
        o.c(f64::from_bits(0x1A70_0000_0000_0000)),
        o.c(f64::from_bits(0x6570_0000_0000_0000)),
        o.c(1.0),
    );
    let scale = o.select(small, up, one);
    let scale = o.select(big, down, scale);
    let unscale = o.select(small, down, one);
    let unscale = o.select(big, up, unscale);
    let (sx, sy) = (o.mul(ax, scale), o.mul(ay, scale));
    let h = hypot_kernel(o, sx, sy);
    let h = o.mul(h, unscale);
    // The smaller is negligible (also both zero, and NaN, which the sum propagates).
    let two54 = o.c(TWO54);
    let ay54 = o.mul(ay, two54);
    let counts = o.lt(ax, ay54);
    let sum = o.add(ax, ay);
    let h = o.select(counts, h, sum);
    // An infinite input gives +inf even when the other is NaN.
    let inf = o.c(f64::INFINITY);
    let x_inf = o.eq(x, inf);
    let h = o.select(x_inf, inf, h);
    let y_inf = o.eq(y, inf);
    o.select(y_inf, inf, h)
}

/// Above this the inputs are scaled down (2^511).
const LARGE: f64 = f64::from_bits(0x5FE0_0000_0000_0000);
/// Below this the inputs are scaled up (2^-511).
const TINY: f64 = f64::from_bits(0x2000_0000_0000_0000);
/// 2^54: a smaller part under 2^-54 of the larger one is negligible.
const TWO54: f64 = 18_014_398_509_481_984.0;

/// `|x|`, `|y|`, the larger of them and the smaller (as [`hypot`] orders them: a NaN in `y`
/// is the smaller).
#[inline(always)]
pub fn magnitudes<O: Ops>(o: &mut O, x: O::F, y: O::F) -> [O::F; 4] {
    let magnitude = o.ci(i64::MAX);
    let abs = |o: &mut O, v: O::F| {
        let b = o.bits(v);
        let b = o.iand(b, magnitude);
        o.float_from_bits(b)
    };
    let (x, y) = (abs(o, x), abs(o, y));
    let swap = o.lt(x, y);
    let ax = o.select(swap, y, x);
    let ay = o.select(swap, x, y);
    [x, y, ax, ay]
}

/// Where [`hypot`] of the larger magnitude `ax` and the smaller `ay` (see [`magnitudes`])
/// takes its common case: no scaling (`ax ≤ 2^511`, `ay ≥ 2^-511`), the smaller not
/// negligible (`ax < 2^54·ay`), and so no infinity or NaN. There it is
/// [`hypot_kernel`]`(ax, ay)` to the bit (its scalings are by one, its other cases not
/// taken). The case holds where all three conditions do.
#[inline(always)]
pub fn common_case<O: Ops>(o: &mut O, ax: O::F, ay: O::F) -> [O::B; 3] {
    let above_large = o.c(f64::from_bits(LARGE.to_bits() + 1));
    let below_tiny = o.c(f64::from_bits(TINY.to_bits() - 1));
    let not_big = o.lt(ax, above_large);
    let not_small = o.lt(below_tiny, ay);
    let two54 = o.c(TWO54);
    let ay54 = o.mul(ay, two54);
    let counts = o.lt(ax, ay54);
    [not_big, not_small, counts]
}

/// `sqrt(ax² + ay²)` for `ax ≥ ay` in range, corrected by one Newton-like step (Borges'
/// MyHypot3, glibc's non-FMA kernel).
#[inline(always)]
pub fn hypot_kernel<O: Ops>(o: &mut O, ax: O::F, ay: O::F) -> O::F {
    let (two, four) = (o.c(2.0), o.c(4.0));
    let xx = o.mul(ax, ax);
    let yy = o.mul(ay, ay);
    let sq = o.add(xx, yy);
    let h = o.sqrt(sq);
    let ay2 = o.mul(two, ay);
    let near = o.lt(ay2, h);
    // h ≤ 2·ay: δ = h − ay, t1 = ax·(2δ − ax), t2 = (δ − 2(ax − ay))·δ.
    let d = o.sub(h, ay);
    let d2 = o.mul(two, d);
    let e = o.sub(d2, ax);
    let t1a = o.mul(ax, e);
    let diff = o.sub(ax, ay);
    let diff2 = o.mul(two, diff);
    let f = o.sub(d, diff2);
    let t2a = o.mul(f, d);
    // Otherwise: δ = h − ax, t1 = 2δ·(ax − 2ay), t2 = (4δ − ay)·ay + δ².
    let d = o.sub(h, ax);
    let d2 = o.mul(two, d);
    let g = o.sub(ax, ay2);
    let t1b = o.mul(d2, g);
    let d4 = o.mul(four, d);
    let k = o.sub(d4, ay);
    let ka = o.mul(k, ay);
    let dd = o.mul(d, d);
    let t2b = o.add(ka, dd);
    let t1 = o.select(near, t1b, t1a);
    let t2 = o.select(near, t2b, t2a);
    let t = o.add(t1, t2);
    let h2 = o.mul(two, h);
    let q = o.div(t, h2);
    o.sub(h, q)
}

#[cfg(test)]
mod tests {
    use super::super::Scalar;
    use super::super::tests::{points, ulps};
    use super::*;

    #[test]
    fn hypot_is_within_1_ulp() {
        let p = points();
        let mut worst = (0, 0.0, 0.0);
        for (i, &x) in p.iter().enumerate() {
            // Pairs over the whole range, pairs of similar size, and special values.
            for y in [
                p[(i * 7919 + 1) % p.len()],
                x * 0.75 + 1e-3,
                x * 1e-9,
                p[i % 7],
            ] {
                // glibc answers NaN for a signalling NaN beside an infinity (random bit
                // patterns make some); any NaN beside an infinity is +inf here.
                if x.is_nan() && y.is_infinite() || y.is_nan() && x.is_infinite() {
                    continue;
                }
                let u = ulps(hypot(&mut Scalar, x, y), x.hypot(y));
                if u > worst.0 {
                    worst = (u, x, y);
                }
            }
        }
        assert!(
            worst.0 <= 1,
            "hypot: {} ulp at ({:e}, {:e})",
            worst.0,
            worst.1,
            worst.2
        );
        assert_eq!(
            hypot(&mut Scalar, f64::NAN, f64::NEG_INFINITY),
            f64::INFINITY
        );
        assert!(hypot(&mut Scalar, f64::NAN, 1.0).is_nan());
        assert_eq!(hypot(&mut Scalar, -0.0, 0.0).to_bits(), 0);
        assert_eq!(hypot(&mut Scalar, 3.0, -4.0), 5.0);
    }
}
