//! `fuse::math` against the platform's libm over the whole range, and its shared checkers.

use super::*;

pub(super) fn ulps(a: f64, b: f64) -> u64 {
    if a.is_nan() && b.is_nan() || a == b {
        return 0;
    }
    let (x, y) = (a.to_bits() as i64, b.to_bits() as i64);
    if (x < 0) != (y < 0) {
        return u64::MAX;
    }
    x.abs_diff(y)
}

/// Points spread over the whole f64 range (by bit pattern) plus a dense middle.
pub(super) fn points() -> Vec<f64> {
    let mut v = vec![
        0.0,
        -0.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        1.0,
        -1.0,
    ];
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for i in 0..400_000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        v.push(if i % 2 == 0 {
            f64::from_bits(state)
        } else {
            (state >> 11) as f64 / (1u64 << 53) as f64 * 1400.0 - 700.0
        });
    }
    v
}

fn check(name: &str, f: impl Fn(f64) -> f64, exact: impl Fn(f64) -> f64, max_ulp: u64) {
    check_at(name, &points(), f, exact, max_ulp);
}

/// Asserts `f` is within `max_ulp` of `exact` at every point.
pub(super) fn check_at(
    name: &str,
    points: &[f64],
    f: impl Fn(f64) -> f64,
    exact: impl Fn(f64) -> f64,
    max_ulp: u64,
) {
    let mut worst = (0, 0.0);
    for &x in points {
        let u = ulps(f(x), exact(x));
        if u > worst.0 {
            worst = (u, x);
        }
    }
    assert!(
        worst.0 <= max_ulp,
        "{name}: {} ulp at {:e} ({} vs {})",
        worst.0,
        worst.1,
        f(worst.1),
        exact(worst.1)
    );
}

#[test]
fn exp_is_within_2_ulp() {
    check("exp", |x| exp(&mut Scalar, x), f64::exp, 2);
}

#[test]
fn log_and_log1p_are_within_2_ulp() {
    check("log", |x| log(&mut Scalar, x), f64::ln, 2);
    check("log1p", |x| log1p(&mut Scalar, x), f64::ln_1p, 2);
}

#[test]
fn exp2_expm1_and_hyperbolics_are_within_2_ulp() {
    check("exp2", |x| exp2(&mut Scalar, x), f64::exp2, 2);
    check("expm1", |x| expm1(&mut Scalar, x), f64::exp_m1, 1);
    check("sinh", |x| sinh(&mut Scalar, x), f64::sinh, 2);
    check("cosh", |x| cosh(&mut Scalar, x), f64::cosh, 2);
    check("tanh", |x| tanh(&mut Scalar, x), f64::tanh, 2);
    // Near zero, where expm1's and sinh's reductions switch.
    let near: Vec<f64> = (0..20_000).map(|i| (i as f64 - 1e4) * 1e-4).collect();
    check_at("expm1", &near, |x| expm1(&mut Scalar, x), f64::exp_m1, 1);
    check_at("sinh", &near, |x| sinh(&mut Scalar, x), f64::sinh, 2);
    check_at("tanh", &near, |x| tanh(&mut Scalar, x), f64::tanh, 2);
}

#[test]
fn log2_log10_and_cbrt_are_within_2_ulp() {
    check("log2", |x| log2(&mut Scalar, x), f64::log2, 2);
    check("log10", |x| log10(&mut Scalar, x), f64::log10, 2);
    check("cbrt", |x| cbrt(&mut Scalar, x), f64::cbrt, 2);
    // Exact powers stay exact.
    for k in -1074..1024 {
        let p = (k as f64).exp2();
        assert_eq!(log2(&mut Scalar, p), k as f64, "log2(2^{k})");
        assert_eq!(exp2(&mut Scalar, k as f64), p, "exp2({k})");
    }
    for k in 0..23 {
        assert_eq!(log10(&mut Scalar, 10f64.powi(k)), k as f64, "log10(1e{k})");
        let c = 3f64.powi(k);
        assert_eq!(cbrt(&mut Scalar, c * c * c), c, "cbrt({c}^3)");
    }
}

/// Multiples of π/4 below 1e5 and their neighbours: near the zeros and poles, where
/// the reduced argument is tiny and every bit of π/2 counts.
fn quarter_turns() -> Vec<f64> {
    (1..127_000)
        .step_by(7)
        .flat_map(|k| {
            let c = k as f64 * std::f64::consts::FRAC_PI_4;
            [c, c.next_up(), c.next_down(), c + 1e-9, -c]
        })
        .collect()
}

#[test]
fn erf_and_erfc_are_within_2_ulp() {
    check("erf", |x| erf(&mut Scalar, x), libm::erf, 2);
    check("erfc", |x| erfc(&mut Scalar, x), libm::erfc, 2);
    // Dense where the intervals meet and where erfc decays to subnormals.
    let near: Vec<f64> = (0..60_000).map(|i| i as f64 * 5e-4 - 2.0).collect();
    check_at("erf", &near, |x| erf(&mut Scalar, x), libm::erf, 2);
    check_at("erfc", &near, |x| erfc(&mut Scalar, x), libm::erfc, 2);
}

#[test]
fn tan_is_within_2_ulp() {
    check("tan", |x| tan(&mut Scalar, x), f64::tan, 2);
    check_at(
        "tan",
        &quarter_turns(),
        |x| tan(&mut Scalar, x),
        f64::tan,
        2,
    );
}

#[test]
fn sin_and_cos_are_within_2_ulp() {
    check("sin", |x| sin_cos(&mut Scalar, x, false), f64::sin, 2);
    check("cos", |x| sin_cos(&mut Scalar, x, true), f64::cos, 2);
    let near = quarter_turns();
    check_at(
        "sin",
        &near,
        |x| sin_cos(&mut Scalar, x, false),
        f64::sin,
        2,
    );
    check_at("cos", &near, |x| sin_cos(&mut Scalar, x, true), f64::cos, 2);
}
