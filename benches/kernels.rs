//! Criterion benchmarks of fused kernels (issue: CPU backend), W1–W12, through the public API
//! so they include tracing, fusion and dispatch: f64, N = 10^7 unless stated.
//! `benches/compare` runs the same workloads in NumPy and numexpr and prints the ratios and
//! each memory-bound workload's multiple of the STREAM bandwidth bound.

use arr::Session;
use criterion::{Criterion, criterion_group, criterion_main};
use std::time::Duration;

const VECTORS: &str = "let a = eval(rand(10000000, seed=1))\nlet b = eval(rand(10000000, seed=2))\n\
                       let c = eval(rand(10000000, seed=3))";

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
    bench(c, "W1_fma", VECTORS, "a*b + c");
    bench(
        c,
        "W2_arith",
        VECTORS,
        "sqrt(a*a + b*b)*0.5 + c/(1 + abs(a))",
    );
    bench(
        c,
        "W3_transcendental",
        VECTORS,
        "exp(-a*a)*sin(3*b) + log1p(abs(c))",
    );
    bench(c, "W4_sum", VECTORS, "sum(a*a + b*b)");
    bench(
        c,
        "W5_monte_carlo_pi",
        "",
        "let x = rand(10000000)\nlet y = rand(10000000)\n4*mean(x*x + y*y <= 1)",
    );
    bench(
        c,
        "W10_heat_1024x100",
        "let u0 = eval(rand(1024, 1024, seed=4))",
        "let u = u0\nfor step in 0..100 {\n\
         u[1:-1, 1:-1] = u[1:-1, 1:-1] + 0.1 * (u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2] + u[1:-1, 2:] - 4 * u[1:-1, 1:-1])\n\
         }\nu",
    );
    let m = "let m = eval(rand(4000, 2500, seed=5))";
    bench(c, "W11_sum_axis0", m, "sum(m, axis=0)");
    bench(c, "W11_sum_axis1", m, "sum(m, axis=1)");
    bench(
        c,
        "W12_small_1000",
        "let a = eval(rand(1000, seed=1))\nlet b = eval(rand(1000, seed=2))\nlet c = eval(rand(1000, seed=3))",
        "a*b + c",
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_millis(500));
    targets = kernels
}
criterion_main!(benches);
