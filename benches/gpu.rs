//! The kernel workloads W1–W12 (`workloads.rs`) on the GPU backend, through the public API:
//! each timed run includes tracing, uploads where an input is not resident yet, the
//! dispatches and reading the result back. Named `gpu_W…`; `benches/compare` prints them
//! beside the CPU's. On lavapipe (Mesa's software Vulkan, what CI has) these are CPU
//! emulation times, not GPU figures. Skipped with a notice where no adapter opens.

use arr::lower::Options;
use arr::{BackendKind, Session};
use criterion::{Criterion, criterion_group, criterion_main};
use std::time::Duration;

/// Large arrays on transparent huge pages, as the `arr` binary's (and NumPy's) are.
#[global_allocator]
static ALLOC: arr::runtime::HugePageAlloc = arr::runtime::HugePageAlloc;

#[path = "workloads.rs"]
mod workloads;

fn gpu(c: &mut Criterion) {
    for (name, setup, code) in workloads::WORKLOADS {
        let mut s = match Session::with_options(BackendKind::Gpu, Options::default()) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("gpu benchmarks skipped: {e}");
                return;
            }
        };
        s.run_str(setup).expect("setup runs");
        c.bench_function(&format!("gpu_{name}"), |b| {
            b.iter(|| s.eval(code).expect("evaluates"))
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_millis(500));
    targets = gpu
}
criterion_main!(benches);
