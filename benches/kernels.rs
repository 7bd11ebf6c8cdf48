//! Criterion benchmarks of fused kernels (issue: CPU backend), W1–W12 (`workloads.rs`),
//! through the public API so they include tracing, fusion and dispatch.
//! `benches/compare` runs the same workloads in NumPy and numexpr and prints the ratios and
//! each memory-bound workload's multiple of the STREAM bandwidth bound.

use arr::Session;
use criterion::{Criterion, criterion_group, criterion_main};
use std::time::Duration;

#[path = "workloads.rs"]
mod workloads;

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
    for (name, setup, code) in workloads::WORKLOADS {
        bench(c, name, setup, code);
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_millis(500));
    targets = kernels
}
criterion_main!(benches);
