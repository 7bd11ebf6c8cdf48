//! Updates of named arrays outside recorded loops (`A[:, k + 1:] -= outer(q, r)`): a large
//! value not computed yet is computed by the backend straight into the array, lent to it as
//! a one-off program's parameter. It must print exactly what the interpreter prints — reads
//! of the array inside the value at shifted positions, aliases taken before, failures
//! midway — and copy nothing when the name is all that holds the array.

mod common;

use arr::lower::Options;
use arr::{BackendKind, Session};
use proptest::prelude::*;

/// What `program` prints, then its error if it fails: on `cpu` with every value computed
/// by a plan (nothing folded by the interpreter), or on the interpreter.
fn run(program: &str, on_cpu: bool) -> String {
    let options = Options {
        fold_limit: 0,
        ..Options::default()
    };
    let kind = if on_cpu {
        BackendKind::Cpu
    } else {
        BackendKind::Interp
    };
    let mut s = Session::with_options(kind, options).expect("session");
    let result = s.run_str(program);
    let mut out = s.take_output();
    if let Err(e) = result {
        out += &format!("error: {e}\n");
    }
    out
}

/// One update of `y` (6×8), possibly reading `y` itself, shifted, or an alias of it.
fn statement() -> impl Strategy<Value = String> {
    let off = 0i64..3;
    prop_oneof![
        (off.clone(), off.clone())
            .prop_map(|(a, b)| format!("y[{a}:, 1:] = y[:6 - {a}, {b}:7 + {b} - 1] * 0.5 + 1")),
        (off.clone(), off.clone())
            .prop_map(|(a, b)| format!("y[:, {a}:] -= outer(y[:, {b}], y[{a}, {a}:])")),
        off.clone()
            .prop_map(|a| format!("y[::-1, {a}] = y[:, {a}] + keep[:, 0]")),
        off.clone()
            .prop_map(|a| format!("keep = y\ny[{a}:, :] += 1.5")),
        Just("y[:, :] = y[:, ::-1] * 2 - 1".to_string()),
        // Scatters: repeated positions (the last wins), values reading the array.
        (off.clone(), off.clone()).prop_map(|(a, b)| format!(
            "y[[{a}, 5, {a}, -1]] = y[[{b}, 0, 2, {a}]] * 0.5 - keep[{b}]"
        )),
        (off.clone(), off.clone()).prop_map(|(a, b)| format!(
            "y[[{a}, -1, 2], [{b}, 3, {b}]] = y[[{b}, 0, 1], [1, {a}, 7]] + 1"
        )),
        Just(
            "y[1:-1, 1:-1] = (y[:-2, 1:-1] + y[2:, 1:-1] + y[1:-1, :-2] + y[1:-1, 2:]) / 4"
                .to_string()
        ),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn updates_print_what_the_interpreter_prints(
        body in proptest::collection::vec(statement(), 1..5),
    ) {
        let program = format!(
            "let y = reshape(f64(arange(48)), 6, 8) / 10\nlet keep = y\n{}\nprint(y, keep)",
            body.join("\n"),
        );
        prop_assert_eq!(run(&program, true), run(&program, false), "{}", program);
    }
}

#[test]
fn a_large_update_is_computed_into_its_array() {
    // Modified Gram-Schmidt's trailing update: the value reads the region it replaces.
    let program = "
        let A = reshape(f64(arange(200 * 150)) % 17, 200, 150) + 3 * eye(200, 150)
        for k in 0..5 {
            let q = A[:, k] / sqrt(dot(A[:, k], A[:, k]))
            A[:, k + 1:] -= outer(q, q @ A[:, k + 1:])
        }
        print(sum(A))";
    let options = Options {
        replay: false,
        ..Options::default()
    };
    let mut s = Session::with_options(BackendKind::Cpu, options).expect("session");
    s.run_str(program).expect("runs");
    let times = s.evaluator().times();
    assert_eq!(times.backend.updates_copied, 0, "{}", times.report());
    assert!(times.updated_in_place >= 5, "{}", times.report());
    assert_eq!(s.take_output(), run(program, false));
}

#[test]
fn a_failing_update_leaves_the_array_bound_and_unchanged() {
    let mut s = Session::new().expect("session");
    s.run_str("let A = ones(100, 100)\nlet S = zeros(100, 100)")
        .expect("runs");
    let err = s
        .run_str("A[:, :] = A @ inv(S) + A")
        .expect_err("S is singular");
    assert!(err.to_string().contains("singular"), "{err}");
    s.run_str("print(sum(A), A[99, 99])")
        .expect("A is still bound");
    assert_eq!(s.take_output(), "10000.0 1.0\n");
}

#[test]
fn a_scatter_writes_into_its_array_in_and_out_of_replayed_loops() {
    // NumPy's `x[idx] = f(x[idx])` on a large array: no copy of `x`, traced (the first
    // iteration) or replayed.
    let program = "
        let x = rand(100000, seed=1)
        let idx = randint(-100000, 100000, 300, seed=2)
        x[idx] = 0.25
        for k in 0..20 {
            x[idx] = x[idx] * 0.5 + k
            x[[0, -1, 7]] = x[[1, 2, 3]] - 1.0
        }
        print(sum(x), x[idx[:5]])";
    let mut s = Session::new().expect("session");
    s.run_str(program).expect("runs");
    let times = s.evaluator().times();
    assert_eq!(times.backend.updates_copied, 0, "{}", times.report());
    assert!(times.replayed >= 15, "{}", times.report());
    assert_eq!(s.take_output(), run(program, false));
}

#[test]
fn a_failing_scatter_leaves_the_array_bound_and_unchanged() {
    let mut s = Session::new().expect("session");
    s.run_str("let x = arange(100000.0)").expect("runs");
    let err = s
        .run_str("x[[1, 5, 100000, 2]] = -1.0")
        .expect_err("out of bounds");
    assert!(
        err.to_string().contains("index 100000 is out of bounds"),
        "{err}"
    );
    // In a replayed loop: the third iteration's positions are out of bounds.
    let err = s
        .run_str("for k in 0..5 {\n    x[[3, k * 60000]] = x[[4, 0]] + 0.5\n}")
        .expect_err("out of bounds");
    assert!(
        err.to_string().contains("index 120000 is out of bounds"),
        "{err}"
    );
    s.run_str("print(x[:6], x[60000], sum(x))")
        .expect("x is still bound");
    assert_eq!(
        s.take_output(),
        "[0.5 1.  2.  4.5 4.  5. ] 1.0 4999890003.0\n"
    );
}

/// Store kernels over 2-D regions run a piece's whole rows in one call (the kernel loops
/// over the rows) and a piece's partial first and last rows alone: the interpreter's bits
/// for 1, 2 and 3 threads (pieces that start and end mid-row), over strided, reversed,
/// transposed and broadcast inputs, complex and bool results, in-place stencil updates and
/// column updates (rows of one element).
#[test]
fn two_dimensional_regions_give_the_interpreters_bits_for_any_thread_count() {
    let program = "\
let u = rand(201, 333, seed=1)
let v = rand(333, 201, seed=2)
let w = u + transpose(v) * 2.0
print(sum(w), w[200, 332], w[100, 7])
let z = complex(u, transpose(v))
let zz = z * z + 1.0
print(sum(real(zz)), sum(imag(zz)), zz[57, 300])
let b = u[::-1, ::2] > 0.5
print(sum(b), b[3, 4], b[200, 166])
u[1:-1, 1:-1] = 0.25 * (u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2] + u[1:-1, 2:])
u[:, -1] = u[:, -2] * 3.0
u[1::2, ::3] += 1.0
print(sum(u), u[150, 200], u[7, 332])
let i = reshape(arange(201 * 333), 201, 333)
let j = i * 3 + transpose(reshape(arange(333 * 201), 333, 201)) // 7
print(sum(j), j[200, 332])
let s = u[::3, 5:299:7] * 2.0 - v[::5, ::3][:67, :42]
print(sum(s), s[66, 41])
let t = sin(u[:, ::-1]) + v[:201, :1]
print(sum(t), t[200, 0])
";
    let on = |kind: BackendKind, threads: usize| {
        common::with_threads(threads, || {
            let options = Options {
                fold_limit: 0,
                ..Options::default()
            };
            let mut s = Session::with_options(kind, options).expect("session");
            s.run_str(program).expect("runs");
            s.take_output()
        })
    };
    let want = on(BackendKind::Interp, 2);
    for threads in [1, 2, 3] {
        assert_eq!(on(BackendKind::Cpu, threads), want, "{threads} threads");
    }
}
