//! Random loop bodies indexing with the loop variable — reads and writes of rows, columns
//! and elements at offsets from it, aliases taken before or inside the body, indexes that
//! go out of bounds on some iteration — must print exactly what tracing every iteration on
//! the interpreter prints, or fail with the same error, when they are recorded and replayed
//! on `cpu` (every kernel compiled, nothing folded): positions are program arguments,
//! arrays are lent and updated in place, and a failing iteration is traced again.

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
             let keep = y\nlet s = 0.0\nlet before = y\n\
             for j in {start}..{end} {{\n{body}\n}}\nprint(y, v, s, keep, before)",
            end = start + len,
            body = body.join("\n"),
        );
        prop_assert_eq!(run(&program, true), run(&program, false), "{}", program);
    }
}
