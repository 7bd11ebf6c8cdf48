//! Criterion benchmarks of library steps (issue: library steps at full speed): matrix
//! products by shape, batched and on views, selection and gathers, dense linear algebra and
//! FFT, through the public API (tracing, planning and dispatch included). `benches/compare`
//! runs the same operations in NumPy on the same machine and prints the ratios.

use arr::Session;
use criterion::{Criterion, criterion_group, criterion_main};
use std::time::Duration;

/// Large arrays on transparent huge pages, as the `arr` binary's (and NumPy's) are.
#[global_allocator]
static ALLOC: arr::runtime::HugePageAlloc = arr::runtime::HugePageAlloc;

fn bench(c: &mut Criterion, name: &str, setup: &str, code: &str) {
    let mut s = Session::new().expect("session");
    s.run_str(setup).expect("setup runs");
    c.bench_function(name, |b| b.iter(|| s.eval(code).expect("evaluates")));
}

fn products(c: &mut Criterion) {
    let gemv = "let A = eval(rand(4000, 5000, seed=1))\nlet x = eval(rand(5000, seed=2))\n\
                let y = eval(rand(4000, seed=3))";
    bench(c, "L_gemv_4000x5000", gemv, "A @ x");
    bench(c, "L_vecmat_4000x5000", gemv, "y @ A");
    bench(c, "L_gemv_transposed", gemv, "transpose(A) @ y");
    bench(c, "L_gemv_reversed", gemv, "A[::-1, :] @ x[::-1]");
    bench(
        c,
        "L_dot_1e7",
        "let a = eval(rand(10000000, seed=1))\nlet b = eval(rand(10000000, seed=2))",
        "dot(a, b)",
    );
    bench(
        c,
        "L_batched_60x60x1x128",
        "let A = eval(rand(60, 60, 1, 128, seed=1))\nlet C = eval(rand(128, 128, seed=2))",
        "A @ C",
    );
    bench(
        c,
        "L_batched_64x128x128",
        "let A = eval(rand(64, 128, 128, seed=1))\nlet B = eval(rand(64, 128, 128, seed=2))",
        "A @ B",
    );
    bench(
        c,
        "L_matmul_2048",
        "let A = eval(rand(2048, 2048, seed=1))\nlet B = eval(rand(2048, 2048, seed=2))",
        "A @ B",
    );
}

fn selection(c: &mut Criterion) {
    let x = "let x = eval(rand(1000000, seed=1))\nlet m = eval(x > 0.5)\n\
             let i = eval(randint(0, 1000000, 1000000, seed=2))";
    bench(c, "L_mask_1e6", x, "x[m]");
    bench(c, "L_mask_expr_1e6", x, "x[x > 0.5]");
    bench(c, "L_gather_1e6", x, "x[i]");
    // `z` stays bound, so returning it through the API would copy it again: its first
    // element is returned instead (the whole update is computed either way).
    bench(
        c,
        "L_scatter_1e6",
        &format!("{x}\nlet z = x"),
        "z = x\nz[i] = 0.0\nz[0]",
    );
}

fn linalg(c: &mut Criterion) {
    for n in [500, 1000] {
        let setup = format!(
            "let A = eval(rand({n}, {n}, seed=1) + {n} * eye({n}))\nlet b = eval(rand({n}, seed=2))\n\
             let S = eval(A + transpose(A))"
        );
        bench(c, &format!("L_inv_{n}"), &setup, "inv(A)");
        bench(c, &format!("L_solve_{n}"), &setup, "solve(A, b)");
        bench(c, &format!("L_det_{n}"), &setup, "det(A)");
        bench(c, &format!("L_eigh_{n}"), &setup, "eigvalsh(S)");
        bench(c, &format!("L_svd_{n}"), &setup, "svd(A, compute_uv=false)");
        bench(c, &format!("L_lstsq_{n}"), &setup, "lstsq(A, b)[0]");
    }
}

fn fft(c: &mut Criterion) {
    for p in [20, 22] {
        let setup = format!("let x = eval(rand({}, seed=1))", 1u64 << p);
        bench(c, &format!("L_fft_2p{p}"), &setup, "fft(x)");
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(Duration::from_secs(2)).warm_up_time(Duration::from_millis(300));
    targets = products, selection, linalg, fft
}
criterion_main!(benches);
