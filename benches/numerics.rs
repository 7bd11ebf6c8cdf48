//! Criterion benchmarks of the numerics library calls (issue: numerics), run through the
//! public API so they include tracing: matmul, inv/solve, FFT, j0, and random draws.
//! `benches/compare_numpy.py` times the same workloads in NumPy/SciPy and prints ratios.

use arr::Session;
use criterion::{Criterion, criterion_group, criterion_main};
use std::time::Duration;

/// Large arrays on transparent huge pages, as the `arr` binary's (and NumPy's) are.
#[global_allocator]
static ALLOC: arr::runtime::HugePageAlloc = arr::runtime::HugePageAlloc;

fn session_with(setup: &str) -> Session {
    let mut s = Session::new().expect("session");
    s.run_str(setup).expect("setup runs");
    s
}

fn bench(c: &mut Criterion, name: &str, setup: &str, expr: &str) {
    let mut s = session_with(setup);
    c.bench_function(name, |b| b.iter(|| s.eval(expr).expect("evaluates")));
}

fn numerics(c: &mut Criterion) {
    let mats = "let A = eval(rand(1024, 1024, seed=1))\nlet B = eval(rand(1024, 1024, seed=2))\n\
                let C = eval(rand(2048, 2048, seed=3))\nlet D = eval(rand(2048, 2048, seed=4))\n\
                let S = eval(rand(1000, 1000, seed=5) + 1000 * eye(1000))\nlet v = eval(rand(1000, seed=6))";
    bench(c, "matmul_1024", mats, "A @ B");
    bench(c, "matmul_2048", mats, "C @ D");
    bench(c, "inv_1000", mats, "inv(S)");
    bench(c, "solve_1000", mats, "solve(S, v)");
    bench(
        c,
        "fft_2p20",
        "let x = eval(rand(1048576, seed=7))",
        "fft(x)",
    );
    bench(
        c,
        "j0_1e6",
        "let r = eval(linspace(0, 100, 1000000))",
        "j0(r)",
    );
    bench(c, "rand_1e7", "", "rand(10000000, seed=8)");
    bench(c, "randn_1e7", "", "randn(10000000, seed=9)");
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_millis(500));
    targets = numerics
}
criterion_main!(benches);
