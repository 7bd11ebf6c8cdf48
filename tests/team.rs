//! Kernels big enough to be split across threads (from 4,096 elements: pieces that start
//! mid-row, odometers over 3-D views, fused draws, the reduction tree's blocks run by
//! whichever thread is free, an update's border copied by the pieces of its kernel) give
//! the interpreter's bits, in a loop that replays them as in straight-line code.

use arr::lower::Options;
use arr::{Array, BackendKind, Session};

const PROGRAM: &str = "
let x = rand(99, 101, seed=1)
let p = zeros(101, 101)
p[1:-1, 1:-1] = (x[:, 2:] + x[:, :-2]) / 3.0 + sin(x[:, 1:-1]) * p[1:-1, 1:-1]
let y = rand(9801, seed=3) * 2.0 + rand(9801, seed=4) ** 2
let z = rand(30, 40, 50, seed=5)
let w = z[::2, 1:, ::-1] * 2.0 - z[1::2, :-1, :]
let s = zeros(8)
let q = ones(101, 101)
for k in 0..8 {
    let qn = q
    q[1:-1, 1:-1] = (qn[1:-1, 2:] + qn[1:-1, :-2] + qn[2:, 1:-1] + qn[:-2, 1:-1]) / (4.0 + k)
    q[:, -1] = q[:, -1] * 0.5 + k
    q[:, 0] = q[:, 0] + 1.0
    q[0, :] = q[0, :] - 0.25
    q[-1, 1:] = q[-1, :-1] * 0.75
    s[k] = sum(q * x[0, 0])
}
let totals = [sum(p), mean(y * y), sum(w), max(w), min(p), sum(q)]
let columns = sum(p, axis=0)
let rows = sum(w, axis=1)
";

/// The named values after `PROGRAM`.
fn run(backend: BackendKind) -> Vec<Array> {
    let options = Options {
        fold_limit: 0,
        ..Options::default()
    };
    let mut s = Session::with_options(backend, options).expect("session");
    s.run_str(PROGRAM).expect("runs");
    ["p", "y", "w", "q", "s", "totals", "columns", "rows"]
        .iter()
        .map(|name| s.get(name).expect("bound"))
        .collect()
}

/// Bit patterns of an f64 array, so NaN and -0.0 compare as themselves.
fn bits(a: Array) -> Vec<u64> {
    let v: ndarray::ArrayD<f64> = a.try_into().expect("f64");
    v.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn split_kernels_give_the_interpreters_bits() {
    let expected: Vec<Vec<u64>> = run(BackendKind::Interp).into_iter().map(bits).collect();
    let got: Vec<Vec<u64>> = run(BackendKind::Cpu).into_iter().map(bits).collect();
    assert_eq!(expected.len(), got.len());
    for (i, (e, g)) in expected.iter().zip(&got).enumerate() {
        assert!(e == g, "value {i} differs between interp and cpu");
    }
}
