//! Random loop bodies indexing with the loop variable — reads and writes of rows, columns
//! and elements at offsets from it, aliases taken before or inside the body, indexes that
//! go out of bounds on some iteration, whole arrays rebound — must print exactly what
//! tracing every iteration on the interpreter prints, or fail with the same error, when
//! they are recorded and replayed on `cpu` (every kernel compiled, nothing folded):
//! positions are program arguments, arrays are lent and updated in place, and a failing
//! iteration is traced again.

use arr::lower::Options;
use arr::{BackendKind, Session};
use proptest::prelude::*;

/// What `program` prints, then its error if it fails.
fn run(program: &str, replayed_on_cpu: bool) -> String {
    let options = Options {
        replay: replayed_on_cpu,
        fold_limit: 0,
        ..Options::default()
    };
    let mut s = if replayed_on_cpu {
        let backend = arr::backend::cpu::Cpu::new().expect("jit").always_compile();
        Session::with_backend(Box::new(backend), options).expect("session")
    } else {
        Session::with_options(BackendKind::Interp, options).expect("session")
    };
    let result = s.run_str(program);
    let mut out = s.take_output();
    if let Err(e) = result {
        out += &format!("error: {e}\n");
    }
    out
}

/// One statement of a loop body over `y` (5×7), `v` (9) and the loop variable `j`.
fn statement() -> impl Strategy<Value = String> {
    let off = -3i64..4;
    prop_oneof![
        (off.clone(), off.clone())
            .prop_map(|(a, b)| format!("y[:, (j + {a}) % 7] = y[:, (j + {b}) % 7] * 0.5 + j")),
        (off.clone(), off.clone()).prop_map(|(a, b)| format!("v[j + {a}] = v[j + {b}] + 1.5")),
        (off.clone(), off.clone())
            .prop_map(|(a, b)| format!("y[(j + {a}) % 5, 1:] += y[(j + {b}) % 5, :-1] * v[j % 9]")),
        (off.clone(), off.clone()).prop_map(|(a, b)| {
            format!("let t = y[:, (j + {a}) % 7]\ny[:, (j + {b}) % 7] = t * 2 - 1")
        }),
        off.clone()
            .prop_map(|a| format!("keep = y\ny[(j + {a}) % 5, (j + 2) % 7] = keep[0, 0] + j")),
        (0i64..12).prop_map(|a| format!("v[j + {a}] = sum(y[:, j % 7])")),
        Just("s = s + v[j % 9] * y[j % 5, j % 7]".to_string()),
        // Whole arrays rebound (a replayed result takes its name's last node, unless an
        // alias still holds it).
        Just("prev = v\nv = v * 0.5 + j".to_string()),
        Just("y = y * 0.5 + j".to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn replayed_loops_print_what_tracing_prints(
        body in proptest::collection::vec(statement(), 1..4),
        start in 0i64..3,
        len in 3i64..9,
    ) {
        let program = format!(
            "let y = reshape(f64(arange(35)), 5, 7) / 10\nlet v = f64(arange(9))\n\
             let keep = y\nlet s = 0.0\nlet before = y\nlet prev = v\n\
             for j in {start}..{end} {{\n{body}\n}}\nprint(y, v, s, keep, before, prev)",
            end = start + len,
            body = body.join("\n"),
        );
        prop_assert_eq!(run(&program, true), run(&program, false), "{}", program);
    }

    #[test]
    fn loops_with_slices_moving_with_the_variable_print_what_tracing_prints(
        body in proptest::collection::vec(moving_slice(), 1..4),
        start in 0i64..4,
        len in 3i64..16,
        down in any::<bool>(),
    ) {
        // Counting down as well as up; bounds that clamp, wrap from the end, or leave
        // fewer than two elements on some iterations.
        let range = if down {
            format!("{} - j", start + len)
        } else {
            "j".to_string()
        };
        let program = format!(
            "let y = reshape(f64(arange(35)), 5, 7) / 10\nlet v = f64(arange(9))\n\
             let w = v * 0.25\nlet s = 0.0\n\
             for j in {start}..{end} {{\nlet k = {range}\n{body}\n}}\nprint(y, v, w, s)",
            end = start + len,
            body = body.join("\n"),
        );
        prop_assert_eq!(run(&program, true), run(&program, false), "{}", program);
    }
}

/// One statement whose slice bounds are affine in `k` (the loop variable, or one counting
/// down): reads, updates, flips, reductions, products and scans of `y` (5×7), `v` and `w`
/// (9 each).
fn moving_slice() -> impl Strategy<Value = String> {
    let off = -4i64..5;
    prop_oneof![
        off.clone()
            .prop_map(|a| format!("v[:k + {a}] = v[:k + {a}] * 0.5 + 1")),
        off.clone()
            .prop_map(|a| format!("w[k + {a}:] = flip(w[k + {a}:]) - k")),
        off.clone()
            .prop_map(|a| format!("s = s + dot(flip(v[:k + {a}]), w[:k + {a}])")),
        off.clone()
            .prop_map(|a| format!("s = s + sum(v[-k + {a}:]) * 2")),
        off.clone()
            .prop_map(|a| format!("y[1:, k + {a}:] += y[:-1, k + {a}:] * 0.5")),
        (off.clone(), 1i64..4).prop_map(|(a, b)| format!("v[k + {a}:k + {a} + {b}] = w[:{b}] + k")),
        off.clone()
            .prop_map(|a| format!("w[:k + {a}] = cumsum(w[:k + {a}])")),
        off.clone()
            .prop_map(|a| format!("v[:k + {a}] = y[1, :k + {a}] @ y[1:, :k + {a}].T")),
        off.prop_map(|a| format!("s = s + sum(v[2 * k - {a}:]) + max(w[: k * k + 1])")),
    ]
}
