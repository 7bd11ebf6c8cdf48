//! The GPU backend on an adapter without 64-bit types in shaders (wgpu's Metal and WebGPU
//! backends, many mobile GPUs; here lavapipe with them hidden by `ARR_GPU_32BIT=1`, so
//! the device is opened without them and naga refuses any shader that uses one): i64
//! values are u32 pairs in shaders (`backend/gpu/pairs.rs`), and f64 kernels run on the CPU
//! (`--fallback cpu`). Integer arithmetic on every pair of edge values, casts, shifts,
//! reductions, positions and draws against the interpreter bit for bit, checked to run on
//! the GPU; random integer expressions; every UI script. A test binary of its own: the
//! variable is set once, before any adapter opens.

mod common;

use arr::lower::Options;
use arr::{BackendKind, Session};
use common::{cases, fingerprint};
use proptest::prelude::*;

/// Whether an adapter opens, with its 64-bit shader types hidden.
fn narrow_gpu() -> bool {
    static HIDDEN: std::sync::Once = std::sync::Once::new();
    // SAFETY: every test calls this first, so no thread reads the environment while the
    // one call that writes it runs (the others wait on the `Once`).
    HIDDEN.call_once(|| unsafe { std::env::set_var("ARR_GPU_32BIT", "1") });
    common::gpu_available()
}

fn session(backend: BackendKind) -> Session {
    let options = Options {
        memory_limit: 64 << 20,
        fold_limit: if backend == BackendKind::Gpu { 0 } else { 64 },
        fallback_cpu: true,
        ..Options::default()
    };
    Session::with_options(backend, options).expect("session starts")
}

/// The value of `code` after `prelude`, as row-major bits, or the error.
fn outcome(backend: BackendKind, prelude: &str, code: &str) -> String {
    let mut s = session(backend);
    s.run_str(prelude).expect("prelude");
    match s.eval(code) {
        Ok(v) => fingerprint(&v),
        Err(e) => format!("error: {e}"),
    }
}

/// `code` gives the interpreter's bits on the GPU, and each of its kernels runs there.
fn same_on_the_gpu(prelude: &str, code: &str) {
    let want = outcome(BackendKind::Interp, prelude, code);
    let got = outcome(BackendKind::Gpu, prelude, code);
    assert_eq!(got, want, "{code}");
    let mut s = session(BackendKind::Gpu);
    s.run_str(prelude).expect("prelude");
    let text = s.explain(code).expect("explain");
    assert!(text.contains("kernel on the gpu"), "{code}: {text}");
    assert!(!text.contains("kernel on the cpu"), "{code}: {text}");
}

/// Edge values of i64 (word boundaries, f32's and f64's integer limits, the extremes) as
/// a column `a` and a row `b`, and f32 edges of the cast to i64 as `f` (computed from f64
/// on the CPU, and printed so that the kernels explained are the expression's alone).
const EDGES: &str = "let e = [0, 1, -1, 2, -2, 3, 7, 31, 32, 33, 63, 64, -64, 65535, 65536, -65536,
    2147483647, 2147483648, -2147483648, -2147483649, 4294967295, 4294967296, -4294967296,
    16777217, 33554435, -16777219, 9007199254740993, -9007199254740993, 1311768467463790320,
    -1311768467463790320, 9223372036854775807, -9223372036854775807 - 1]
let a = e[:, None]
let b = e[None, :]
let f = f32([0.0, -0.0, 0.5, -0.5, 1.5, -2.5, 16777216.0, 4294967296.0, -4294967296.0,
    1e18, -1e18, 9.2233715e18, -9.223372e18, 9.223373e18, -9.223373e18, 1e30, -1e30,
    1e300 * 1e300, -1e300 * 1e300, 0.0 / 0.0, 3.0e9, -3.0e9, 123456.75])
print(e, f)";

#[test]
fn integer_operations_match_as_u32_pairs() {
    if !narrow_gpu() {
        return;
    }
    for code in [
        "a + b",
        "a - b",
        "a * b",
        "-a * 3 + ~b",
        "(a & b) | (a ^ b)",
        "a << b",
        "a >> b",
        "minimum(a, b) + maximum(a, b)",
        "(a < b) | ((a == b) & (a >= 0))",
        "(a <= b) ^ (a > b) ^ (a != b)",
        "where(a < b, a, b * 5)",
        "f32(a * b)",
        "f32(e)",
        "i64(f)",
        "i64(f32(e))",
        "sum(a * b, axis=0)",
        "prod(a + b, axis=1)",
        "min(a - b, axis=1) + max(a ^ b, axis=0)",
        "sum(a * b) + prod(e[1:5]) + min(e) + max(e)",
        "sum(a < b)",
    ] {
        same_on_the_gpu(EDGES, code);
    }
}

#[test]
fn positions_and_draws_match_as_u32_pairs() {
    if !narrow_gpu() {
        return;
    }
    for code in [
        "arange(-40000, 40000) * 2654435761 - 7",
        "sum(arange(100000) * 123456789123)",
        "f32(arange(100000) * 123456789123)",
        "randint(-5, 1000000007, 10001, seed=9)",
        "randint(-9223372036854775807, 9223372036854775807, 1000, seed=1)",
        "rand(100001, seed=3, dtype=\"f32\") * f32(2.0)",
        "max(rand(3, 1000, seed=2, dtype=\"f32\"), axis=1)",
    ] {
        same_on_the_gpu("", code);
    }
    // Draws without `seed=` in a replayed loop: numbered by the program's draw counter.
    let prelude =
        "let s = zeros(5000, dtype=\"i64\")\nfor i in 0..6 { s = s + randint(0, 99, 5000) * i }";
    let want = outcome(BackendKind::Interp, prelude, "s");
    assert_eq!(outcome(BackendKind::Gpu, prelude, "s"), want);
}

/// A kernel needing f64 runs on the CPU beside the GPU's i64 kernels, with the same result.
#[test]
fn f64_kernels_fall_back_beside_i64_pairs() {
    if !narrow_gpu() {
        return;
    }
    let code = "sum(arange(1000) * 3) + sum(sqrt(linspace(0.0, 1.0, 1000)))";
    let want = outcome(BackendKind::Interp, "", code);
    assert_eq!(outcome(BackendKind::Gpu, "", code), want);
    let text = session(BackendKind::Gpu).explain(code).expect("explain");
    assert!(text.contains("kernel on the gpu"), "{text}");
    assert!(
        text.contains("kernel on the cpu (needs f64, not in the adapter's shaders"),
        "{text}"
    );
}

/// Every UI script prints on the narrow GPU (with `--fallback cpu`) what the interpreter
/// prints.
#[test]
fn ui_scripts_match_on_a_gpu_without_64_bit_types() {
    if !narrow_gpu() {
        return;
    }
    let mut scripts: Vec<_> = std::fs::read_dir("tests/ui")
        .expect("tests/ui")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "arr"))
        .collect();
    scripts.sort();
    assert!(scripts.len() > 20);
    for path in scripts {
        let text = std::fs::read_to_string(&path).expect("script");
        if text.contains("explain(") {
            continue; // plans name the backend's placement
        }
        let run = |backend| common::script_output(&mut session(backend), &path);
        let name = path.display();
        assert_eq!(run(BackendKind::Gpu), run(BackendKind::Interp), "{name}");
    }
}

/// Random integer expressions over two arrays holding edge values and draws.
fn int_expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("p".to_string()),
        Just("q".to_string()),
        (-70i64..70).prop_map(|c| format!("({c})")),
        Just("(-9223372036854775807 - 1)".to_string()),
        Just("4294967296".to_string()),
    ];
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone(), 0usize..9).prop_map(|(x, y, o)| {
                let op = ["+", "-", "*", "&", "|", "^", "<<", ">>", "+"][o];
                format!("({x} {op} {y})")
            }),
            (inner.clone(), inner.clone()).prop_map(|(x, y)| format!("minimum({x}, {y})")),
            (inner.clone(), inner.clone()).prop_map(|(x, y)| format!("maximum({x}, {y})")),
            inner.clone().prop_map(|x| format!("(-{x})")),
            inner.clone().prop_map(|x| format!("(~{x})")),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(c, x, y)| format!("where({c} < {x}, {x}, {y})")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(40)))]

    #[test]
    fn random_integer_expressions_match_as_u32_pairs(e in int_expr(), n in 1usize..300, seed in 0u64..1000) {
        if !narrow_gpu() {
            return Ok(());
        }
        let prelude = format!(
            "let p = randint(-9223372036854775807, 9223372036854775807, {n}, seed={seed}) >> (arange({n}) % 64)\n\
             let q = randint(-100, 100, {n}, seed={seed} + 1)"
        );
        let code = format!("[sum({e}), min({e}), max({e})]");
        let want = outcome(BackendKind::Interp, &prelude, &e);
        let got = outcome(BackendKind::Gpu, &prelude, &e);
        prop_assert_eq!(got, want, "expression {}", e);
        let want = outcome(BackendKind::Interp, &prelude, &code);
        let got = outcome(BackendKind::Gpu, &prelude, &code);
        prop_assert_eq!(got, want, "expression {}", code);
    }
}
