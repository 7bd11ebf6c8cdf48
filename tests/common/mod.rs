//! What the differential tests share: random expressions over the prelude's arrays, and a
//! value's bits as text.

#![allow(dead_code)] // each test crate uses part of it

use proptest::prelude::*;

/// The figure `arr run --time` prints on `stderr` just before `what` (`" loop iterations
/// replayed"`, `" MB received from other ranks"`).
pub fn time_figure<T: std::str::FromStr>(stderr: &str, what: &str) -> T {
    stderr
        .split(what)
        .next()
        .and_then(|head| head.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no `{what}` figure in {stderr}"))
}

/// What the UI script at `path` prints on `session` (as `ui/<file name>`), then its rendered
/// error if it stops with one.
pub fn script_output(session: &mut arr::Session, path: &std::path::Path) -> String {
    let text = std::fs::read_to_string(path).expect("test script readable");
    let name = format!(
        "ui/{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("?")
    );
    let result =
        session
            .evaluator()
            .run_source(&name, &text, path.parent().map(|p| p.to_path_buf()));
    let mut out = session.take_output();
    if let Err(e) = result {
        out.push_str("--- error ---\n");
        out.push_str(&session.render_error(&e, false));
    }
    out
}

/// Whether GPU tests can run: a GPU adapter opens. Without one they are skipped with a
/// notice, unless `ARR_REQUIRE_GPU=1` (CI sets it, with lavapipe installed), which makes a
/// missing adapter a failure.
pub fn gpu_available() -> bool {
    static AVAILABLE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *AVAILABLE.get_or_init(|| match arr::backend::gpu::Gpu::new(false) {
        Ok(_) => true,
        Err(e) if std::env::var("ARR_REQUIRE_GPU").is_ok_and(|v| v == "1") => {
            panic!("ARR_REQUIRE_GPU=1 but no GPU adapter opens: {e}")
        }
        Err(e) => {
            eprintln!(
                "note: GPU tests skipped, no GPU adapter opens ({e}); install a Vulkan driver \
                 (lavapipe: mesa-vulkan-drivers libvulkan1) or set ARR_REQUIRE_GPU=1 to fail"
            );
            false
        }
    })
}

/// `n` cases, or `ARR_FUZZ_SCALE` times as many (`ARR_FUZZ_SCALE=1000 cargo test --release
/// --test fuzz` fuzzes for a long time; the default keeps `cargo test` quick).
pub fn cases(n: u32) -> u32 {
    let scale = std::env::var("ARR_FUZZ_SCALE")
        .ok()
        .and_then(|s| s.parse::<u32>().ok())
        .unwrap_or(1);
    n.saturating_mul(scale.max(1))
}

/// Dtype, shape and every element's bits, in row-major order.
pub fn fingerprint(v: &arr::Array) -> String {
    use arr::Array;
    let bits: Vec<String> = match v {
        Array::Bool(a) => a.iter().map(|x| x.to_string()).collect(),
        Array::I64(a) => a.iter().map(|x| x.to_string()).collect(),
        Array::F32(a) => a.iter().map(|x| format!("{:x}", x.to_bits())).collect(),
        Array::F64(a) => a.iter().map(|x| format!("{:x}", x.to_bits())).collect(),
        Array::C128(a) => a
            .iter()
            .map(|x| format!("{:x},{:x}", x.re.to_bits(), x.im.to_bits()))
            .collect(),
    };
    format!("{} {:?} {}", v.dtype(), v.shape(), bits.join(" "))
}

/// Complex expressions over `z`, `w` (c128), `a`, `b`, `d` (real).
pub fn complex_strategy() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("z".to_string()),
        Just("w".to_string()),
        Just("a".to_string()),
        Just("b".to_string()),
        Just("d".to_string()),
        Just("0.5".to_string()),
        Just("complex(0.25, -2.0)".to_string()),
        Just("z[::-1, :]".to_string()),
        Just("z[:, ::2][:, :1]".to_string()),
        Just("conj(z)".to_string()),
    ];
    leaf.prop_recursive(4, 16, 2, |inner| {
        let binop = prop_oneof![Just("+"), Just("-"), Just("*")];
        let unary = prop_oneof![Just("-"), Just("conj"), Just("complex"), Just("real")];
        prop_oneof![
            (inner.clone(), binop, inner.clone()).prop_map(|(a, op, b)| format!("({a} {op} {b})")),
            (unary, inner).prop_map(|(f, a)| match f {
                "-" => format!("(-{a})"),
                "complex" => format!("complex({a}, 0.5)"),
                _ => format!("{f}({a})"),
            }),
        ]
    })
}

/// Expressions over `a` (f64 matrix), `b` (i64 vector), `c` (bool column), `d` (f32).
pub fn expr_strategy() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("a".to_string()),
        Just("b".to_string()),
        Just("c".to_string()),
        Just("d".to_string()),
        Just("2".to_string()),
        Just("0.5".to_string()),
        Just("true".to_string()),
        Just("a[1:, ::2]".to_string()),
        Just("b[[0, -1]]".to_string()),
        Just("a[a > 0]".to_string()),
        Just("a.T".to_string()),
        Just("a[::-1, 1:]".to_string()),
        Just("b[::2]".to_string()),
        Just("rand(4, seed=3)".to_string()),
        Just("linspace(0, 1, 4)".to_string()),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        let binop = prop_oneof![
            Just("+"),
            Just("-"),
            Just("*"),
            Just("/"),
            Just("//"),
            Just("%"),
            Just("**"),
            Just("<"),
            Just("=="),
            Just("and"),
            Just("or"),
            Just("@")
        ];
        let unary = prop_oneof![
            Just("abs"),
            Just("sqrt"),
            Just("exp"),
            Just("sin"),
            Just("floor"),
            Just("sign"),
            Just("isnan"),
            Just("f32"),
            Just("i64"),
            Just("bool"),
            Just("ravel"),
            Just("cumsum"),
            Just("flip")
        ];
        let reduce = prop_oneof![
            Just("sum"),
            Just("mean"),
            Just("max"),
            Just("argmin"),
            Just("any"),
            Just("std"),
            Just("prod")
        ];
        prop_oneof![
            (inner.clone(), binop, inner.clone()).prop_map(|(a, op, b)| format!("({a} {op} {b})")),
            (unary, inner.clone()).prop_map(|(f, a)| format!("{f}({a})")),
            (reduce.clone(), inner.clone()).prop_map(|(f, a)| format!("{f}({a})")),
            (reduce, inner.clone(), -2i64..2).prop_map(|(f, a, ax)| format!("{f}({a}, axis={ax})")),
            (inner.clone(), inner.clone(), inner)
                .prop_map(|(c, a, b)| format!("where({c}, {a}, {b})")),
        ]
    })
}

/// `f` on a pool of `threads` threads (the kernel team sizes itself by the pool it runs in).
pub fn with_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool")
        .install(f)
}
