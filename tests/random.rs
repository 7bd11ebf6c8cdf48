//! Counter-based random numbers (LANGUAGE.md §6): reproducibility rules and statistical
//! sanity (moments and chi-square tests on histograms at the 0.1% level).

use arr::lower::Options;
use arr::{BackendKind, Session};

fn values(s: &mut Session, code: &str) -> Vec<f64> {
    s.eval(code)
        .unwrap_or_else(|e| panic!("{code}: {e}"))
        .to_f64_vec()
}

/// Chi-square statistic of `counts` against `expected` per bin.
fn chi_square(counts: &[f64], expected: &[f64]) -> f64 {
    counts
        .iter()
        .zip(expected)
        .map(|(c, e)| (c - e) * (c - e) / e)
        .sum()
}

#[test]
fn seeds_and_draws_decide_the_stream() {
    let mut s = Session::new().expect("session");
    let a = values(&mut s, "rand(5, seed=3)");
    assert_eq!(
        a,
        values(&mut s, "rand(5, seed=3)"),
        "same seed, same numbers"
    );
    assert_ne!(a, values(&mut s, "rand(5, seed=4)"));
    // Element k depends on k only, not on the shape of the draw.
    assert_eq!(values(&mut s, "rand(2, 5, seed=3)")[..5], a[..]);
    // Draws without seed= differ from each other, but replay identically in a new session.
    let first = values(&mut s, "rand(4)");
    let second = values(&mut s, "rand(4)");
    assert_ne!(first, second);
    let mut t = Session::new().expect("session");
    let _ = values(&mut t, "rand(5, seed=3)");
    assert_eq!(values(&mut t, "rand(4)"), first);
    // The program seed changes unseeded draws.
    let options = Options {
        seed: 99,
        ..Options::default()
    };
    let mut u = Session::with_options(BackendKind::Interp, options).expect("session");
    assert_ne!(values(&mut u, "rand(4)"), first);
}

#[test]
fn uniform_moments_and_histogram() {
    let mut s = Session::new().expect("session");
    let n: f64 = 200_000.0;
    let mean = values(&mut s, "let u = rand(200000, seed=11)\nmean(u)")[0];
    let var = values(&mut s, "var(u)")[0];
    assert!(
        (mean - 0.5).abs() < 4.0 * (1.0 / 12.0 / n).sqrt(),
        "mean {mean}"
    );
    assert!((var - 1.0 / 12.0).abs() < 0.002, "var {var}");
    let bins = values(
        &mut s,
        "let h = i64(floor(u * 100))\nsum(expand_dims(h, 1) == arange(100), axis=0)",
    );
    let chi = chi_square(&bins, &[n / 100.0; 100]);
    assert!(chi < 148.2, "chi-square {chi} with 99 degrees of freedom");
    let f32s = values(&mut s, "let v = rand(100000, seed=5, dtype=f32)\nmean(v)");
    assert!((f32s[0] - 0.5).abs() < 0.01);
}

#[test]
fn normal_moments_and_histogram() {
    let mut s = Session::new().expect("session");
    let mean = values(&mut s, "let z = randn(200000, seed=12)\nmean(z)")[0];
    let std = values(&mut s, "std(z)")[0];
    assert!(mean.abs() < 0.01, "mean {mean}");
    assert!((std - 1.0).abs() < 0.01, "std {std}");
    // 20 bins between -2.5 and 2.5 plus two tails, against the normal CDF.
    let edges: Vec<f64> = (0..=20).map(|i| -2.5 + 0.25 * i as f64).collect();
    let cdf = |x: f64| 0.5 * libm::erfc(-x / std::f64::consts::SQRT_2);
    let mut expected = vec![cdf(edges[0])];
    expected.extend(edges.windows(2).map(|w| cdf(w[1]) - cdf(w[0])));
    expected.push(1.0 - cdf(edges[20]));
    let expected: Vec<f64> = expected.iter().map(|p| p * 200_000.0).collect();
    let counts = values(
        &mut s,
        "let k = clip(i64(floor((z + 2.5) / 0.25)) + 1, 0, 21)\nsum(expand_dims(k, 1) == arange(22), axis=0)",
    );
    let chi = chi_square(&counts, &expected);
    assert!(chi < 46.8, "chi-square {chi} with 21 degrees of freedom");
}

#[test]
fn integers_are_uniform_in_range() {
    let mut s = Session::new().expect("session");
    let v = values(
        &mut s,
        "let r = randint(-3, 7, 100000, seed=2)\nprint(min(r), max(r))\nsum(expand_dims(r, 1) == arange(-3, 7), axis=0)",
    );
    assert_eq!(s.take_output(), "-3 6\n");
    let chi = chi_square(&v, &[10_000.0; 10]);
    assert!(chi < 27.9, "chi-square {chi} with 9 degrees of freedom");
    let err = s.run_str("randint(5, 5, 3)").expect_err("empty range");
    assert_eq!(err.kind, arr::ErrorKind::Value);
}
