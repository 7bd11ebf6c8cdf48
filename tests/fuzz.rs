//! No input may panic: random bytes and random token soup go through the parser, and soup
//! that parses is run; random well-formed expressions over random shapes and dtypes are
//! evaluated, which also checks (by debug assertions in the interpreter) that every
//! inferred shape and dtype is the one computed. The same random expressions over random
//! shapes run on the `cpu` backend (every kernel compiled) must give exactly the
//! interpreter's result or the same error: the backends share the reduction tree and the
//! scalar code of every function they do not generate inline, so the match is bit for bit.

mod common;

use arr::backend::cpu::wide::{self, Width};
use arr::lower::Options;
use arr::{BackendKind, Session};
use common::{cases, complex_strategy, expr_strategy, fingerprint};
use proptest::prelude::*;

fn session() -> Session {
    let options = Options {
        memory_limit: 8 << 20,
        ..Options::default()
    };
    Session::with_options(BackendKind::Interp, options).expect("session")
}

const TOKENS: &[&str] = &[
    "let", "fn", "if", "else", "for", "in", "while", "break", "continue", "return", "import",
    "and", "or", "not", "true", "false", "x", "y", "f", "sum", "zeros", "print", "reshape",
    "arange", "0", "1", "2", "3", "-1", "2.5", ".5", "1e3", "\"s\"", "+", "-", "*", "/", "//", "%",
    "@", "**", "==", "!=", "<", "<=", ">", ">=", "=", "+=", "-=", "(", ")", "[", "]", "{", "}",
    ",", ":", ";", ".", "..", "\n", "&&", "||", "!", "#c\n",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(300)))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = arr::syntax::parse(&text, 0);
    }

    #[test]
    fn token_soup_never_panics(idx in proptest::collection::vec(0..TOKENS.len(), 0..40)) {
        let src: Vec<&str> = idx.iter().map(|&i| TOKENS[i]).collect();
        let src = src.join(" ");
        if arr::syntax::parse(&src, 0).is_ok() && !src.contains("while") {
            let mut s = session();
            let _ = s.run_str("let x = arange(6)\nlet y = 2.0\nfn f(a) = a + 1");
            let _ = s.run_str(&src);
        }
    }

    #[test]
    fn random_expressions_evaluate_or_fail_cleanly(e in expr_strategy()) {
        let mut s = session();
        s.run_str("let a = reshape(arange(12), 3, 4) * 0.5 - 2\nlet b = arange(4) - 1\nlet c = reshape([true, false, true], 3, 1)\nlet d = f32([1.5, -2.0, 0.25, 3.0])")
            .expect("prelude");
        let _ = s.eval(&e);
    }
}

/// The value of `code` after `prelude` on a backend (the `cpu` one at a vector width, or
/// the interpreter), as row-major text, or the error.
fn outcome(prelude: &str, code: &str, cpu: Option<Width>) -> String {
    let options = Options {
        memory_limit: 8 << 20,
        fold_limit: if cpu.is_some() { 0 } else { 64 },
        ..Options::default()
    };
    let mut s = if let Some(width) = cpu {
        let backend = arr::backend::cpu::Cpu::new()
            .expect("jit")
            .always_compile()
            .at_width(width);
        Session::with_backend(Box::new(backend), options).expect("session")
    } else {
        Session::with_options(BackendKind::Interp, options).expect("session")
    };
    s.run_str(prelude).expect("prelude");
    match s.eval(code) {
        Ok(v) => fingerprint(&v),
        Err(e) => format!("error: {e}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(200)))]

    #[test]
    fn cpu_matches_interp(e in expr_strategy(), m in 1usize..80, n in 1usize..90, seed in 0u64..1000) {
        let prelude = format!(
            "let a = rand({m}, {n}, seed={seed}) * 8 - 4\nlet b = arange({n}) - 1\n\
             let c = rand({m}, 1, seed={seed}) > 0.5\nlet d = f32(linspace(-3, 3, {n}))"
        );
        let code = e;
        let want = outcome(&prelude, &code, None);
        for width in wide::widths() {
            let got = outcome(&prelude, &code, Some(width));
            prop_assert_eq!(&got, &want, "expression {} at {}", code, width.name());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(150)))]

    /// Complex arithmetic fused into kernels (computed on the halves) against the
    /// interpreter's complex numbers, bit for bit: complex results stored, real parts,
    /// absolute values, reductions of them and masks over them.
    #[test]
    fn complex_kernels_match_interp(e in complex_strategy(), m in 1usize..40, n in 1usize..50, seed in 0u64..1000) {
        let prelude = format!(
            "let a = rand({m}, {n}, seed={seed}) * 8 - 4\nlet b = arange({n}) - 1\n\
             let z = complex(a, rand({m}, {n}, seed={seed} + 1) - 0.5)\n\
             let w = complex(b * 0.25, 1.5)\nlet d = f32(linspace(-3, 3, {n}))"
        );
        for code in [
            e.clone(),
            format!("abs({e})"),
            format!("real({e}) + imag({e})"),
            format!("sum(abs({e}) <= 2.0)"),
            // Bools stored from comparisons of the parts (the two-lane loop's masks).
            format!("abs({e}) <= 2.0"),
            format!("real({e}) != imag({e} / 0.0)"),
        ] {
            let want = outcome(&prelude, &code, None);
            for width in wide::widths() {
                let got = outcome(&prelude, &code, Some(width));
                prop_assert_eq!(&got, &want, "expression {} at {}", code, width.name());
            }
        }
    }
}

/// A complex value times a negative zero (a real scalar, promoted to `(-0.0, 0.0)`): the
/// kernel's two zero constants once merged (`-0.0 == 0.0`), which turned the imaginary part
/// of the product from `-0.0` into `0.0` (found by `complex_kernels_match_interp`).
#[test]
fn signed_zero_constants_stay_apart_in_complex_kernels() {
    let prelude = "let a = rand(1, 1, seed=17) * 8 - 4\n\
                   let z = complex(a, rand(1, 1, seed=18) - 0.5)";
    for code in ["z * (-(0.5 - 0.5))", "z * -0.0 + (-0.0) * z"] {
        let want = outcome(prelude, code, None);
        for width in wide::widths() {
            assert_eq!(
                outcome(prelude, code, Some(width)),
                want,
                "{code} at {}",
                width.name()
            );
        }
    }
}

/// i64 values where integer arithmetic overflows or divides badly.
const INT_EDGES: &str = "[-9223372036854775807 - 1, -9223372036854775807, -2, -1, 0, 1, 2, \
                         9223372036854775806, 9223372036854775807]";

/// Steps, starts and stops at the edges of i64 and of a 10-element axis.
fn slice_bound() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        (-12i64..12).prop_map(|v| v.to_string()),
        Just("9223372036854775807".to_string()),
        Just("(-9223372036854775807 - 1)".to_string()),
        Just("-9223372036854775807".to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(64)))]

    /// Every integer operator over every pair of edge values (as a 9×9 broadcast) and with
    /// a constant, and unary functions of them: no panic, and cpu gives the interpreter's bits (wrapping as
    /// NumPy wraps) or the same error.
    #[test]
    fn integer_edges_never_panic(
        op in prop_oneof![
            Just("+"), Just("-"), Just("*"), Just("//"), Just("%"), Just("**"), Just("<<"),
            Just(">>"), Just("&"), Just("|"), Just("^"), Just("<"), Just("==")
        ],
        unary in prop_oneof![
            Just("abs"), Just("-"), Just("sign"), Just("f64"), Just("f32"), Just("bool"),
            Just("sum"), Just("prod"), Just("cumsum"), Just("max"), Just("mean")
        ],
        // A constant operand: a divisor the compiled code divides by directly (by its
        // magic number), or one of those it must not (0, -1).
        k in prop_oneof![
            Just("7"), Just("-3"), Just("4"), Just("1"), Just("0"), Just("-1"),
            Just("(-9223372036854775807 - 1)"), Just("9223372036854775807")
        ],
    ) {
        let prelude = format!("let e = {INT_EDGES}\nlet r = reshape(e, 9, 1)\nlet c = reshape(e, 1, 9)");
        for code in [
            format!("r {op} c"), format!("{unary}(r {op} c)"), format!("{unary}(e)"),
            format!("e {op} {k}"), format!("{k} {op} e"), "fmod(r, c)".to_string(), format!("fmod(e, {k})"),
        ] {
            let want = outcome(&prelude, &code, None);
            let got = outcome(&prelude, &code, Some(wide::width()));
            prop_assert_eq!(got, want, "expression {}", code);
        }
    }

    /// Slices and sliced updates with any start, stop and step: no panic, never more
    /// elements than the axis has, the same result on both backends.
    #[test]
    fn any_slice_bounds_work(start in slice_bound(), stop in slice_bound(), step in slice_bound()) {
        let prelude = "let x = arange(10)\nlet y = reshape(arange(20), 2, 10)";
        let slice = format!("{start}:{stop}:{step}");
        for code in [format!("x[{slice}]"), format!("y[:, {slice}]"), format!("sum(x[{slice}])")] {
            let want = outcome(prelude, &code, None);
            let got = outcome(prelude, &code, Some(wide::width()));
            if let Some(shape) = want.split(" [").nth(1).and_then(|s| s.split(']').next()) {
                let last: usize = shape.rsplit(", ").next().and_then(|d| d.parse().ok()).unwrap_or(0);
                prop_assert!(last <= 10, "{code} gave {want}");
            }
            prop_assert_eq!(got, want, "expression {}", code);
        }
        let update = format!("{prelude}\nx[{slice}] = -1\nprint(x)");
        let mut s = session();
        let _ = s.run_str(&update);
    }

    /// `.npy` files with random bytes after a valid magic and header length, or a header
    /// with random text: loading fails cleanly or succeeds, never panics or over-allocates.
    #[test]
    fn hostile_npy_headers_fail_cleanly(
        header in "[ -~]{0,80}",
        body in proptest::collection::vec(any::<u8>(), 0..64),
        shape in prop_oneof![Just("(3,)"), Just("(1000000000000000,)"), Just("(0, 18446744073709551615)"), Just("(-1,)"), Just("()")],
    ) {
        let dir = std::env::temp_dir().join(format!("arr-fuzz-npy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        for (i, text) in [
            header.clone(),
            format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}"),
        ].iter().enumerate() {
            let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
            bytes.extend((text.len() as u16).to_le_bytes());
            bytes.extend(text.as_bytes());
            bytes.extend(&body);
            let path = dir.join(format!("h{i}.npy"));
            std::fs::write(&path, &bytes).expect("write");
            let mut s = session();
            let _ = s.run_str(&format!("print(load(\"{}\"))", path.display()));
        }
    }
}
