//! The Rust embedding API and the runtime guarantees it exposes: values in and out as
//! ndarray arrays, errors as values with spans, bounded graphs in long loops.

use arr::{Array, ErrorKind, Session};
use ndarray::{ArrayD, IxDyn};

#[test]
fn values_round_trip_through_ndarray() {
    let mut s = Session::new().expect("session");
    let x = ArrayD::from_shape_vec(IxDyn(&[2, 2]), vec![1.0, 2.0, 3.0, 4.0]).expect("shape");
    s.set("x", x.clone()).expect("set");
    s.set("n", ArrayD::from_elem(IxDyn(&[]), 3i64))
        .expect("set");
    s.set("m", ArrayD::from_elem(IxDyn(&[2]), true))
        .expect("set");
    s.set("h", ArrayD::from_elem(IxDyn(&[2]), 1.5f32))
        .expect("set");
    s.run_str("let y = x * n\nlet k = sum(m)\nlet g = h * 2.0")
        .expect("runs");
    let y: ArrayD<f64> = s.get("y").expect("get").try_into().expect("f64");
    assert_eq!(y, x * 3.0);
    let k: ArrayD<i64> = s.get("k").expect("get").try_into().expect("i64");
    assert_eq!(k.into_raw_vec_and_offset().0, vec![2]);
    let g: ArrayD<f32> = s.get("g").expect("get").try_into().expect("f32");
    assert_eq!(g.into_raw_vec_and_offset().0, vec![3.0, 3.0]);
    let wrong: Result<ArrayD<i64>, _> = s.get("y").expect("get").try_into();
    assert_eq!(wrong.expect_err("f64 is not i64").kind, ErrorKind::Type);
}

#[test]
fn eval_returns_values_and_output_is_collected() {
    let mut s = Session::new().expect("session");
    assert_eq!(
        s.eval("sum(arange(10))").expect("eval"),
        Array::scalar(arr::runtime::Scalar::I64(45))
    );
    s.run_str("print(\"hello\", [1, 2])").expect("runs");
    assert_eq!(s.take_output(), "hello [1 2]\n");
    assert!(s.eval_value("let z = 1").expect("runs").is_none());
}

#[test]
fn tuples_come_out_as_outputs() {
    use arr::Output;
    let mut s = Session::new().expect("session");
    s.run_str("fn stats(x) = (mean(x), max(x), \"n\")")
        .expect("runs");
    let out = s
        .eval_output("stats([1.0, 2.0, 6.0])")
        .expect("eval")
        .expect("a value");
    let Output::Tuple(members) = &out else {
        panic!("a tuple, got {out:?}")
    };
    assert_eq!(members.len(), 3);
    assert_eq!(
        members[0],
        Output::Array(Array::scalar(arr::runtime::Scalar::F64(3.0)))
    );
    assert_eq!(members[2], Output::Str("n".into()));
    assert_eq!(out.to_string(), "(3.0, 6.0, n)");
    assert_eq!(
        s.eval_output("(None,)")
            .expect("eval")
            .map(|o| o.to_string()),
        Some("(None,)".into())
    );
    // A tuple is not an array: `eval` says so instead of converting it.
    s.run_str("let (lo, hi) = (1, [2, 3])")
        .expect("destructures");
    let hi: ArrayD<i64> = s.get("hi").expect("get").try_into().expect("i64");
    assert_eq!(hi.into_raw_vec_and_offset().0, vec![2, 3]);
}

#[test]
fn errors_are_values_with_kind_and_span() {
    let mut s = Session::new().expect("session");
    s.run_str("let a = ones(3)").expect("runs");
    let err = s.run_str("let b = a + ones(4)").expect_err("shape error");
    assert_eq!(err.kind, ErrorKind::Shape);
    let span = err.span.expect("span");
    assert_eq!((span.start, span.end), (8, 19));
    let rendered = s.render_error(&err, false);
    assert!(rendered.contains("<input>:1:9"), "{rendered}");
    let e: Box<dyn std::error::Error> = Box::new(err);
    assert_eq!(
        e.to_string(),
        "shape error: cannot broadcast shapes (3,) and (4,)"
    );
    // The session survives errors with its bindings.
    assert_eq!(
        s.eval("sum(a)").expect("a is still bound").to_string(),
        "3.0"
    );
}

#[test]
fn long_loops_keep_the_graph_bounded() {
    let mut s = Session::new().expect("session");
    s.run_str("let x = zeros(1000)").expect("runs");
    let before = s.evaluator().live_nodes();
    s.run_str("for i in 0..20000 { x = x + 1.0 }")
        .expect("runs");
    let after = s.evaluator().live_nodes();
    assert!(
        after < before + 64,
        "graph grew from {before} to {after} nodes"
    );
    assert_eq!(s.eval("x[999]").expect("eval").to_string(), "20000.0");
    s.run_str("let w = 0\nwhile w < 5000 { w += 1 }")
        .expect("runs");
    assert!(s.evaluator().live_nodes() < before + 64);
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let mut s = Session::new().expect("session");
    let deep = format!("{}1{}", "(".repeat(5000), ")".repeat(5000));
    assert_eq!(
        s.run_str(&deep).expect_err("too deep").kind,
        ErrorKind::Syntax
    );
    let long = vec!["1"; 5000].join(" + ");
    assert_eq!(
        s.run_str(&long).expect_err("too deep").kind,
        ErrorKind::Resource
    );
    let err = s
        .run_str("fn f(n) = f(n + 1)\nf(0)")
        .expect_err("recursion");
    assert_eq!(err.kind, ErrorKind::Resource);
}

#[test]
fn every_stdlib_function_has_help_with_a_working_example() {
    let mut s = Session::new().expect("session");
    let functions = s.evaluator().functions();
    assert!(functions.len() >= 8);
    for f in functions {
        let doc = f.doc.clone().unwrap_or_default();
        let example = doc
            .lines()
            .find_map(|l| l.strip_prefix("example: "))
            .unwrap_or_else(|| panic!("stdlib `{}` has no `## example:` line", f.name.text));
        s.eval(example)
            .unwrap_or_else(|e| panic!("example of `{}` fails: {e}", f.name.text));
    }
}

#[test]
fn loop_bodies_are_recorded_once_and_replayed() {
    let program = "
        let u = zeros(64, 64)
        u[20:40, 20:40] = 1.0
        let t = 0.0
        for step in 0..300 {
            u[1:-1, 1:-1] = u[1:-1, 1:-1] + 0.2 * (u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2] + u[1:-1, 2:] - 4 * u[1:-1, 1:-1])
            u[0, :] = u[1, :]
            t = t + 0.5
        }
        print(sum(u), t)";
    let mut replayed = Session::new().expect("session");
    replayed.run_str(program).expect("runs");
    let times = replayed.evaluator().times();
    assert!(times.replayed >= 290, "{}", times.report());
    assert!(
        times.backend.kernels_compiled < 10,
        "a replayed body compiles once: {}",
        times.report()
    );
    assert_eq!(replayed.take_output(), traced_output(program));
}

#[test]
fn v2_loops_replay_too() {
    // `for row in x` runs as a range loop over a hidden position, tuples and `None` read
    // from outside are guarded constants, and tuples built and destructured inside the
    // body are plain values: both bodies record once and replay.
    let program = "
        let x = reshape(arange(600.0), 200, 3)
        let acc = zeros(3)
        let shape = (1, 3)
        let nothing = None
        for row in x {
            acc = acc + row[nothing, :][0] * 0.5 + reshape(ones(shape), 3)
        }
        fn step(a, b) = (b, a + b)
        let (p, q) = (zeros(4), ones(4))
        let bits = 0
        for i in 0..200 {
            (p, q) = step(p, q * 0.5)
            bits = bits ^ (i << 2)
        }
        print(acc, p, q, bits)";
    let mut replayed = Session::new().expect("session");
    replayed.run_str(program).expect("runs");
    let times = replayed.evaluator().times();
    assert!(times.replayed >= 380, "{}", times.report());
    assert_eq!(replayed.take_output(), traced_output(program));
}

#[test]
fn loops_whose_slices_move_with_the_variable_replay() {
    // PolyBench's triangular loops: slice bounds affine in the loop variable change every
    // iteration's sizes and offsets, not its program. Three recordings join into one
    // program for every value of `k` (`fuse::family`); near the end `r[k - 30:k + 40]`
    // reaches past the array (a clamped bound) and the body is recorded again.
    let program = "
        let n = 300
        let r = (f64(n + 1) - f64(arange(n))) / (n * 100.0)
        let y = zeros(n)
        let z = zeros(n)
        let L = reshape(f64(arange(n * 8)), n, 8) / 1000.0
        let u = zeros(n)
        let alpha = -r[0]
        let beta = 1.0
        let s = 0.0
        y[0] = -r[0]
        for k in 1..n {
            beta = (1 - alpha * alpha) * beta
            alpha = -(r[k] + dot(flip(r[:k]), y[:k])) / beta
            z[:k] = y[:k] + alpha * flip(y[:k])
            y[:k] = z[:k]
            y[k] = alpha
            u[:k] = L[:k, :] @ r[:8]
            s = s + sum(r[k - 30:k + 40]) + sum(y[-k:])
        }
        print(sum(y), y[:5], u[n - 3:], s)";
    let mut replayed = Session::new().expect("session");
    replayed.run_str(program).expect("runs");
    let times = replayed.evaluator().times();
    assert!(times.replayed >= 200, "{}", times.report());
    assert!(
        times.backend.kernels_compiled < 20,
        "one program for every k: {}",
        times.report()
    );
    assert_eq!(replayed.take_output(), traced_output(program));
}

#[test]
fn long_inner_loops_replay_on_their_own_program() {
    // An outer loop whose body holds a 3,000-iteration inner loop: unrolling it into a
    // recording of the outer body would trace every inner iteration symbolically (and the
    // `print` stops that recording anyway). The inner loop's own recording shows it is too
    // long, so the outer loop is not recorded and every inner iteration after the first
    // run's warm-up replays.
    let program = "
        let x = zeros(8)
        for rep in 0..6 {
            let s = 0.0
            for k in 0..3000 {
                x[k % 8] = x[k % 8] + 1.0
                s = s + sum(x) * 0.5
            }
            print(rep, s)
        }";
    let mut replayed = Session::new().expect("session");
    replayed.run_str(program).expect("runs");
    let times = replayed.evaluator().times();
    assert!(times.replayed >= 6 * 2997, "{}", times.report());
    // A replayed iteration binds its two results as nodes; a recording of the outer body
    // would have traced every inner iteration's nodes too (over 100,000 in all).
    assert!(times.nodes < 6 * 3000 * 2 + 1000, "{} nodes", times.nodes);
    assert_eq!(replayed.take_output(), traced_output(program));
}

/// What `program` prints on the interpreter with every loop iteration traced.
fn traced_output(program: &str) -> String {
    let options = arr::lower::Options {
        replay: false,
        ..Default::default()
    };
    let mut traced = Session::with_options(arr::BackendKind::Interp, options).expect("session");
    traced.run_str(program).expect("runs");
    assert_eq!(traced.evaluator().times().replayed, 0);
    traced.take_output()
}

#[test]
fn updates_outside_replay_write_in_place() {
    // Slices on the loop variable change shapes every iteration: traced or replayed as a
    // family, each update must still write into the array, not copy it (NumPy's
    // `x[i] = v`), also when a name read from the array (`s`) holds it lazily — the read
    // is computed first, so the update finds the old array dead.
    let program = "
        let n = 300
        let x = zeros(n, n)
        let y = zeros(n)
        for k in 1..n {
            let s = sum(x[k - 1, :k])
            x[k, :k] = x[k - 1, :k] + 1.0
            y[k] = s
        }
        print(sum(x), sum(y))";
    let mut s = Session::new().expect("session");
    s.run_str(program).expect("runs");
    let times = s.evaluator().times();
    assert!(times.backend.updates_copied <= 1, "{}", times.report());
    assert!(
        times.updated_in_place + times.replayed >= 299,
        "{}",
        times.report()
    );
    assert_eq!(s.take_output(), traced_output(program));
}

#[test]
fn a_literal_stored_into_a_small_array_writes_in_place() {
    // `y[k] = 0.5` casts the literal to `y`'s dtype: that small value is folded, so the
    // store writes into `y` instead of chaining lazy updates that a kernel later replays.
    let program = "
        let y = zeros(2000)
        for k in 0..500 {
            y[(k * 7) % 2000] = 0.5
            y[k:k + 3] = 2
        }
        print(sum(y))";
    let options = arr::lower::Options {
        replay: false,
        ..Default::default()
    };
    let mut s = Session::with_options(arr::BackendKind::Cpu, options).expect("session");
    s.run_str(program).expect("runs");
    let times = s.evaluator().times();
    assert!(times.updated_in_place >= 900, "{}", times.report());
    assert_eq!(times.backend.kernels_run, 0, "{}", times.report());
    assert_eq!(s.take_output(), traced_output(program));
}

#[test]
fn a_column_recurrence_replays_in_place() {
    let program = "
        let x = ones(300, 200)
        let y = zeros(300, 200)
        for j in 2..200 {
            y[:, j] = 0.5 * x[:, j] + 0.25 * y[:, j - 1] + 0.125 * y[:, j - 2]
        }
        print(sum(y))";
    let mut s = Session::new().expect("session");
    s.run_str(program).expect("runs");
    let times = s.evaluator().times();
    assert!(times.replayed >= 190, "{}", times.report());
    assert!(
        times.backend.updates_copied <= 4,
        "the loop variable's column is written in place: {}",
        times.report()
    );
    assert_eq!(s.take_output(), traced_output(program));
}

#[test]
fn an_error_on_a_replayed_iteration_leaves_what_tracing_leaves() {
    let program = "
        let v = zeros(8)
        let y = ones(2, 8)
        for i in 0..10 {
            y[:, i] = y[:, i] * 3.0
            v[i + 5] = v[i] + 1.0
        }";
    let outcome = |replay: bool| {
        let options = arr::lower::Options {
            replay,
            ..Default::default()
        };
        let mut s = Session::with_options(arr::BackendKind::Cpu, options).expect("session");
        let err = s.run_str(program).expect_err("index 8 is out of bounds");
        let y: ArrayD<f64> = s.get("y").expect("y").try_into().expect("f64");
        let v: ArrayD<f64> = s.get("v").expect("v").try_into().expect("f64");
        (err.kind, err.message, y, v)
    };
    let replayed = outcome(true);
    assert_eq!(replayed.0, ErrorKind::Index);
    // Iteration 3 scaled column 3 before its second statement failed.
    assert_eq!(replayed.2[[0, 3]], 3.0);
    assert_eq!(replayed, outcome(false));
}

#[test]
fn draws_replay_with_the_numbers_tracing_draws() {
    let program = "
        let x = zeros(1000)
        let w = zeros(3)
        for i in 0..50 {
            x = x + rand(1000) - randn(1000) * 0.1
            w = w + randint(0, 10, 3) + rand(3, seed=i * 7 + 1)
        }
        print(sum(x), w, rand(2))";
    let mut s = Session::new().expect("session");
    s.run_str(program).expect("runs");
    assert!(s.evaluator().times().replayed >= 40);
    assert_eq!(s.take_output(), traced_output(program));
}

#[test]
fn draws_of_every_stream_share_one_kernel() {
    let mut s = Session::new().expect("session");
    s.run_str("let x = zeros(1000)\nfor i in 0..2000 { x = x + rand(1000) }\nprint(sum(x) > 0)")
        .expect("runs");
    let times = s.evaluator().times();
    assert!(
        times.backend.kernels_compiled <= 2 && times.backend.kernels_run > 10,
        "each draw's stream is an argument, not code: {}",
        times.report()
    );
}

#[test]
fn loops_with_effects_are_traced_every_iteration() {
    let mut s = Session::new().expect("session");
    s.run_str("let x = zeros(3)\nfor i in 0..10 { x = x + 1\nprint(i) }")
        .expect("runs");
    assert_eq!(s.evaluator().times().replayed, 0);
    assert_eq!(s.take_output().lines().count(), 10);
    // A body that assigns nothing outside itself is replayed without effect.
    s.run_str("for i in 0..10 { let y = x * i }").expect("runs");
    assert_eq!(s.take_output(), "");
}
