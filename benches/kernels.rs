//! Criterion benchmarks of fused kernels (issue: CPU backend), W1–W12 (`workloads.rs`),
//! kernels of integers, bools and `min`/`max`, and each inline function, through the public API so they include tracing, fusion and dispatch.
//! `benches/compare` runs the same workloads in NumPy and numexpr and prints the ratios and
//! each memory-bound workload's multiple of the STREAM bandwidth bound.

use arr::Session;
use criterion::{Criterion, criterion_group, criterion_main};
use std::time::Duration;

/// Large arrays on transparent huge pages, as the `arr` binary's (and NumPy's) are.
#[global_allocator]
static ALLOC: arr::runtime::HugePageAlloc = arr::runtime::HugePageAlloc;

#[path = "workloads.rs"]
mod workloads;

/// The elementwise functions computed inline (`fuse::math`), each of a 10^7-element f64
/// array in [0, 1) stored (`benches/compare` names NumPy's and numexpr's).
const FUNCTIONS: &[(&str, &str)] = &[
    ("F_exp", "exp"),
    ("F_exp2", "exp2"),
    ("F_expm1", "expm1"),
    ("F_log", "log"),
    ("F_log2", "log2"),
    ("F_log10", "log10"),
    ("F_log1p", "log1p"),
    ("F_sin", "sin"),
    ("F_cos", "cos"),
    ("F_tan", "tan"),
    ("F_atan", "atan"),
    ("F_asin", "asin"),
    ("F_acos", "acos"),
    ("F_sinh", "sinh"),
    ("F_cosh", "cosh"),
    ("F_tanh", "tanh"),
    ("F_cbrt", "cbrt"),
    ("F_erf", "erf"),
    ("F_erfc", "erfc"),
];

const INTS: &str = "let i = eval(arange(10000000))\nlet j = eval(arange(10000000) * 7)";
const FLOATS: &str = "let a = eval(rand(10000000, seed=1))\nlet b = eval(rand(10000000, seed=2))";

/// Kernels of integers, bools, `min`/`max` and floor division (N = 10^7), each beside
/// NumPy's in `benches/compare`: name, setup, code.
const ELEMENTS: &[(&str, &str, &str)] = &[
    ("K_int_arith", INTS, "i*3 + j"),
    ("K_int_to_f64", INTS, "f64(i) * 0.5"),
    ("K_int_sum", INTS, "sum(i)"),
    ("K_int_floordiv", INTS, "i // 7"),
    ("K_int_divmod", INTS, "i // 7 + i % 7"),
    ("K_f64_mod", FLOATS, "a % 0.3"),
    ("K_f64_floordiv", FLOATS, "a // 0.3"),
    ("K_count", FLOATS, "sum(a < 0.5)"),
    ("K_where", FLOATS, "where(a < 0.5, a, b)"),
    ("K_max", FLOATS, "max(a)"),
    ("K_min_expr", FLOATS, "min(a*b)"),
];

fn session_with(setup: &str) -> Session {
    let mut s = Session::new().expect("session");
    s.run_str(setup).expect("setup runs");
    s
}

fn bench(c: &mut Criterion, name: &str, setup: &str, code: &str) {
    let mut s = session_with(setup);
    c.bench_function(name, |b| b.iter(|| s.eval(code).expect("evaluates")));
}

fn kernels(c: &mut Criterion) {
    for (name, setup, code) in workloads::WORKLOADS.iter().chain(ELEMENTS) {
        bench(c, name, setup, code);
    }
    let mut s = session_with("let a = eval(rand(10000000, seed=1))");
    for (name, f) in FUNCTIONS {
        let code = format!("{f}(a)");
        c.bench_function(name, |b| b.iter(|| s.eval(&code).expect("evaluates")));
    }
    // `pow` of two arrays (exponents vary per element: no strength reduction).
    c.bench_function("F_pow", |b| b.iter(|| s.eval("a ** a").expect("evaluates")));
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_millis(500));
    targets = kernels
}
criterion_main!(benches);
