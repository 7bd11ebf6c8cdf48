//! Every library call fed views: reversed, strided, transposed and broadcast inputs give the
//! same bits as the same call on row-major copies, on the `cpu` backend (where a plan hands
//! matrix products the views in place) and on `interp`, and for any thread count; and on
//! `gpu` against its own results on copies.

mod common;

use arr::lower::Options;
use arr::{Array, BackendKind, Session};

const SETUP: &str = "\
let A = eval(rand(70, 50, seed=1) - 0.5)
let B = eval(rand(50, 40, seed=2) - 0.5)
let S0 = eval(rand(45, 45, seed=3))
let S = eval(S0 + transpose(S0) + 45 * eye(45))
let x = eval(rand(50, seed=4) - 0.5)
let y = eval(rand(70, seed=5) - 0.5)
let v = eval(rand(100000, seed=6) - 0.5)
let w = eval(rand(100000, seed=7) - 0.5)
let T = eval(rand(3, 70, 50, seed=8))
let Z = eval(complex(A, A[::-1, :]))
let i = eval(randint(-60, 60, 300, seed=9))
let P = eval(rand(300, 200, seed=10))
let Q = eval(rand(200, 250, seed=11))
";

/// Each case: an expression reading views, and the same on row-major copies (`eval` of a
/// view computes a row-major array).
const CASES: &[(&str, &str)] = &[
    ("A[::-1, :] @ B", "eval(A[::-1, :]) @ B"),
    (
        "transpose(B) @ transpose(A)",
        "eval(transpose(B)) @ eval(transpose(A))",
    ),
    ("A[:, ::2] @ B[::2, :]", "eval(A[:, ::2]) @ eval(B[::2, :])"),
    (
        "A[::-1, ::-1] @ B[::-1, :]",
        "eval(A[::-1, ::-1]) @ eval(B[::-1, :])",
    ),
    ("P @ Q", "P @ Q"),
    (
        "P[::-1, :] @ Q[:, ::2]",
        "eval(P[::-1, :]) @ eval(Q[:, ::2])",
    ),
    ("T[::-1] @ B", "eval(T[::-1]) @ B"),
    (
        "T @ stack([B, B[::-1, :], B])",
        "T @ eval(stack([B, B[::-1, :], B]))",
    ),
    (
        "reshape(y, 70, 1, 1) @ reshape(x, 1, 50)",
        "reshape(y, 70, 1, 1) @ reshape(x, 1, 50)",
    ),
    (
        "T[:, :, ::-1] @ B[::-1, :]",
        "eval(T[:, :, ::-1]) @ eval(B[::-1, :])",
    ),
    ("stack([A, A]) @ B", "eval(stack([A, A])) @ B"),
    ("A[::-1, :] @ x[::-1]", "eval(A[::-1, :]) @ eval(x[::-1])"),
    ("transpose(A) @ y", "eval(transpose(A)) @ y"),
    (
        "transpose(A[::2, :]) @ y[::2]",
        "eval(transpose(A[::2, :])) @ eval(y[::2])",
    ),
    ("y @ A", "y @ A"),
    (
        "y[::-1] @ A[::-1, ::3]",
        "eval(y[::-1]) @ eval(A[::-1, ::3])",
    ),
    ("dot(v[::-1], w)", "dot(eval(v[::-1]), w)"),
    ("dot(v[::2], w[1::2])", "dot(eval(v[::2]), eval(w[1::2]))"),
    (
        "Z[::-1, :] @ transpose(Z)",
        "eval(Z[::-1, :]) @ eval(transpose(Z))",
    ),
    (
        "inv(transpose(S)[::-1, :])",
        "inv(eval(transpose(S)[::-1, :]))",
    ),
    (
        "solve(S[:, ::-1], y[:45][::-1])",
        "solve(eval(S[:, ::-1]), eval(y[:45][::-1]))",
    ),
    ("det(S[::-1, :])", "det(eval(S[::-1, :]))"),
    ("eigh(transpose(S))[0]", "eigh(eval(transpose(S)))[0]"),
    ("eigh(S[:, :])[1]", "eigh(S)[1]"),
    ("eigvalsh(S[::-1, ::-1])", "eigvalsh(eval(S[::-1, ::-1]))"),
    (
        "svd(A[::-1, ::2], compute_uv=false)",
        "svd(eval(A[::-1, ::2]), compute_uv=false)",
    ),
    ("svd(A[::-1, ::2])[2]", "svd(eval(A[::-1, ::2]))[2]"),
    ("qr(A[::2, ::-1])[0]", "qr(eval(A[::2, ::-1]))[0]"),
    (
        "cholesky(transpose(S) @ S)",
        "cholesky(eval(transpose(S) @ S))",
    ),
    ("pinv(A[::-1])", "pinv(eval(A[::-1]))"),
    ("slogdet(S[::-1])[1]", "slogdet(eval(S[::-1]))[1]"),
    (
        "lstsq(A[::-1, :], y[::-1])[0]",
        "lstsq(eval(A[::-1, :]), eval(y[::-1]))[0]",
    ),
    (
        "norm(A[::2, ::-1], ord=2)",
        "norm(eval(A[::2, ::-1]), ord=2)",
    ),
    ("fft(v[::-1])", "fft(eval(v[::-1]))"),
    (
        "rfft(transpose(A)[::3, :])",
        "rfft(eval(transpose(A)[::3, :]))",
    ),
    ("irfft(fft(y)[::-1])", "irfft(eval(fft(y)[::-1]))"),
    ("sort(A[:, ::-1])", "sort(eval(A[:, ::-1]))"),
    (
        "searchsorted(sort(x)[::2], y[::-1])",
        "searchsorted(eval(sort(x)[::2]), eval(y[::-1]))",
    ),
    (
        "interp(y[::-1], sort(x)[::2], x[::-2])",
        "interp(eval(y[::-1]), eval(sort(x)[::2]), eval(x[::-2]))",
    ),
    (
        "convolve(y[::-1], x[::3])",
        "convolve(eval(y[::-1]), eval(x[::3]))",
    ),
    (
        "histogram(transpose(A), bins=7)[0]",
        "histogram(eval(transpose(A)), bins=7)[0]",
    ),
    ("bincount(i[::-1] + 60)", "bincount(eval(i[::-1] + 60))"),
    (
        "median(A[::-1, ::2], axis=0)",
        "median(eval(A[::-1, ::2]), axis=0)",
    ),
    (
        "einsum(\"ij,jk->ik\", A[::-1], B[:, ::2])",
        "eval(A[::-1]) @ eval(B[:, ::2])",
    ),
    (
        "inv(T[:, :45, ::-1][:, :, :45])",
        "inv(eval(T[:, :45, ::-1][:, :, :45]))",
    ),
    ("argsort(transpose(A))", "argsort(eval(transpose(A)))"),
    (
        "cumsum(transpose(A), axis=0)",
        "cumsum(eval(transpose(A)), axis=0)",
    ),
    ("v[::-1][i]", "eval(v[::-1])[i]"),
    ("A[::-1, :][i]", "eval(A[::-1, :])[i]"),
    (
        "let z = v[::-1]\nz[i] = v[:300]\nz",
        "let z = eval(v[::-1])\nz[i] = eval(v[:300])\nz",
    ),
    (
        "let Z = transpose(A)\nZ[i % 50] = 2.0\nZ",
        "let Z = eval(transpose(A))\nZ[i % 50] = 2.0\nZ",
    ),
    ("v[::3][v[::3] > 0.25]", "eval(v[::3])[eval(v[::3] > 0.25)]"),
    (
        "transpose(A)[transpose(A) > 0]",
        "eval(transpose(A))[eval(transpose(A) > 0)]",
    ),
];

type Bits = (String, Vec<usize>, Vec<u64>);

/// Dtype, shape and every element's bits.
fn bits(a: &Array) -> Bits {
    let bits = match a {
        Array::Bool(x) => x.iter().map(|&b| u64::from(b)).collect(),
        Array::I64(x) => x.iter().map(|&v| v as u64).collect(),
        Array::F32(x) => x.iter().map(|v| u64::from(v.to_bits())).collect(),
        Array::F64(x) => x.iter().map(|v| v.to_bits()).collect(),
        Array::C128(x) => x
            .iter()
            .flat_map(|z| [z.re.to_bits(), z.im.to_bits()])
            .collect(),
    };
    (a.dtype().to_string(), a.shape().to_vec(), bits)
}

/// One expression of each case (`pick` chooses which) on `kind`, with `threads` threads.
fn run(
    kind: BackendKind,
    threads: usize,
    pick: fn(&(&'static str, &'static str)) -> &'static str,
) -> Vec<Bits> {
    common::with_threads(threads, || {
        // No folding: every call runs as a plan step of the backend under test.
        let options = Options {
            fold_limit: 0,
            ..Options::default()
        };
        let mut s = Session::with_options(kind, options).expect("session");
        s.run_str(SETUP).expect("setup runs");
        CASES
            .iter()
            .map(|c| {
                let code = pick(c);
                bits(&s.eval(code).unwrap_or_else(|e| panic!("{code}: {e:?}")))
            })
            .collect()
    })
}

#[test]
fn library_calls_on_views_match_row_major_copies_bit_for_bit() {
    let want = run(BackendKind::Cpu, 2, |c| c.1);
    for (name, got) in [
        ("cpu, 2 threads", run(BackendKind::Cpu, 2, |c| c.0)),
        ("cpu, 1 thread", run(BackendKind::Cpu, 1, |c| c.0)),
        ("cpu, 3 threads", run(BackendKind::Cpu, 3, |c| c.0)),
        ("interp", run(BackendKind::Interp, 2, |c| c.0)),
    ] {
        for ((case, got), want) in CASES.iter().zip(&got).zip(&want) {
            assert!(got == want, "{} on {name} differs from {}", case.0, case.1);
        }
    }
}

/// On the GPU too, a view gives the bits of its row-major copy (its matrix products sum in
/// order of `k` whatever the layout; the other calls run on the CPU).
#[test]
fn library_calls_on_views_match_row_major_copies_on_the_gpu() {
    if !common::gpu_available() {
        return;
    }
    let want = run(BackendKind::Gpu, 2, |c| c.1);
    let got = run(BackendKind::Gpu, 2, |c| c.0);
    for ((case, got), want) in CASES.iter().zip(&got).zip(&want) {
        assert!(got == want, "{} on gpu differs from {}", case.0, case.1);
    }
}
