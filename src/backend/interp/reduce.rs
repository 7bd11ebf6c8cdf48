//! Reductions and scans of the reference interpreter. Float sums and products follow the fixed
//! reduction tree of `fuse::tree`, so every backend gets the same bits.

use crate::dtype::DType;
use crate::graph::{ReduceOp, ScanOp};
use crate::runtime::Array;
use ndarray::{ArrayD, Axis, IxDyn};
use num_complex::Complex64;

/// A sum in the fixed reduction tree every backend follows (`fuse::tree`).
fn tree_sum<T: Copy + std::ops::Add<Output = T>>(xs: &[T], zero: T) -> T {
    crate::fuse::tree::reduce(xs.iter().copied(), zero, |a, b| a + b)
}

/// A product in the fixed reduction tree.
fn tree_prod<T: Copy + std::ops::Mul<Output = T>>(xs: &[T], one: T) -> T {
    crate::fuse::tree::reduce(xs.iter().copied(), one, |a, b| a * b)
}

/// Reduces one lane (already contiguous) of f64 values.
fn reduce_f64(op: ReduceOp, xs: &[f64], ddof: i64) -> f64 {
    let n = xs.len() as f64;
    match op {
        ReduceOp::Sum => tree_sum(xs, 0.0),
        ReduceOp::Prod => tree_prod(xs, 1.0),
        ReduceOp::Mean => tree_sum(xs, 0.0) / n,
        ReduceOp::Var | ReduceOp::Std => {
            let mean = tree_sum(xs, 0.0) / n;
            let dev: Vec<f64> = xs.iter().map(|x| (x - mean) * (x - mean)).collect();
            let var = tree_sum(&dev, 0.0) / (n - ddof as f64).max(0.0);
            if op == ReduceOp::Std { var.sqrt() } else { var }
        }
        ReduceOp::Min => xs
            .iter()
            .copied()
            .fold(f64::INFINITY, crate::fuse::tree::minimum),
        ReduceOp::Max => xs
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, crate::fuse::tree::maximum),
        ReduceOp::Any => xs.iter().any(|&x| x != 0.0) as u8 as f64,
        ReduceOp::All => xs.iter().all(|&x| x != 0.0) as u8 as f64,
        ReduceOp::Argmin | ReduceOp::Argmax => unreachable!("handled apart"),
    }
}

/// Index of the first minimum (or maximum); the first NaN wins, as in NumPy.
fn arg_best<T: PartialOrd + Copy>(xs: &[T], max: bool) -> usize {
    let mut best = 0;
    for (i, &x) in xs.iter().enumerate() {
        #[allow(clippy::eq_op)]
        let nan = x != x;
        if nan {
            return i;
        }
        let better = if max { x > xs[best] } else { x < xs[best] };
        if better {
            best = i;
        }
    }
    best
}

fn reduce_i64(op: ReduceOp, xs: &[i64]) -> i64 {
    match op {
        ReduceOp::Sum => xs.iter().fold(0i64, |a, &b| a.wrapping_add(b)),
        ReduceOp::Prod => xs.iter().fold(1i64, |a, &b| a.wrapping_mul(b)),
        ReduceOp::Min => xs.iter().copied().min().unwrap_or(0),
        ReduceOp::Max => xs.iter().copied().max().unwrap_or(0),
        ReduceOp::Any => xs.iter().any(|&x| x != 0) as i64,
        ReduceOp::All => xs.iter().all(|&x| x != 0) as i64,
        _ => unreachable!("mean/var/std run in floats, argmin/argmax apart"),
    }
}

fn reduce_f32(op: ReduceOp, xs: &[f32], ddof: i64) -> f32 {
    match op {
        ReduceOp::Sum => tree_sum(xs, 0.0f32),
        ReduceOp::Mean => tree_sum(xs, 0.0f32) / xs.len() as f32,
        ReduceOp::Prod => tree_prod(xs, 1.0),
        _ => {
            let wide: Vec<f64> = xs.iter().map(|&x| x as f64).collect();
            reduce_f64(op, &wide, ddof) as f32
        }
    }
}

fn reduce_c128(op: ReduceOp, xs: &[Complex64], ddof: i64) -> Complex64 {
    let zero = Complex64::new(0.0, 0.0);
    let n = xs.len() as f64;
    match op {
        ReduceOp::Sum => tree_sum(xs, zero),
        ReduceOp::Prod => tree_prod(xs, Complex64::new(1.0, 0.0)),
        ReduceOp::Mean => tree_sum(xs, zero) / n,
        ReduceOp::Var | ReduceOp::Std => {
            let mean = tree_sum(xs, zero) / n;
            let dev: Vec<f64> = xs.iter().map(|x| (x - mean).norm_sqr()).collect();
            let var = tree_sum(&dev, 0.0) / (n - ddof as f64).max(0.0);
            Complex64::new(if op == ReduceOp::Std { var.sqrt() } else { var }, 0.0)
        }
        ReduceOp::Any => Complex64::new(xs.iter().any(|z| *z != zero) as u8 as f64, 0.0),
        ReduceOp::All => Complex64::new(xs.iter().all(|z| *z != zero) as u8 as f64, 0.0),
        _ => Complex64::new(f64::NAN, 0.0),
    }
}

/// Applies `f` to every lane along `axis` (or to all elements when `None`), producing the
/// reduced array (with the axis kept as length 1 when `keepdims`).
fn lanes<T: Clone, O>(
    a: &ArrayD<T>,
    axis: Option<usize>,
    keepdims: bool,
    f: impl Fn(&[T]) -> O,
) -> ArrayD<O> {
    let out = match axis {
        None => {
            let flat: Vec<T> = a.iter().cloned().collect();
            let shape = if keepdims { vec![1; a.ndim()] } else { vec![] };
            return ArrayD::from_shape_vec(IxDyn(&shape), vec![f(&flat)]).expect("one element");
        }
        Some(ax) => a.map_axis(Axis(ax), |lane| {
            let v: Vec<T> = lane.iter().cloned().collect();
            f(&v)
        }),
    };
    match (axis, keepdims) {
        (Some(ax), true) => out.insert_axis(Axis(ax)),
        _ => out,
    }
}

/// A reduction producing the node's dtype `out`.
pub fn reduce(
    op: ReduceOp,
    x: &Array,
    axis: Option<usize>,
    keepdims: bool,
    ddof: i64,
    out: DType,
) -> Array {
    if matches!(op, ReduceOp::Argmin | ReduceOp::Argmax) {
        let max = op == ReduceOp::Argmax;
        let pick = |xs: &[f64]| arg_best(xs, max) as i64;
        return Array::I64(match x {
            Array::Bool(a) => lanes(a, axis, keepdims, |xs| arg_best(xs, max) as i64),
            Array::I64(a) => lanes(a, axis, keepdims, |xs| arg_best(xs, max) as i64),
            Array::F32(a) => lanes(a, axis, keepdims, |xs| arg_best(xs, max) as i64),
            Array::F64(a) => lanes(a, axis, keepdims, pick),
            Array::C128(a) => lanes(a, axis, keepdims, |xs| {
                let re: Vec<f64> = xs.iter().map(|z| z.re).collect();
                pick(&re)
            }),
        });
    }
    let float_stats = matches!(op, ReduceOp::Mean | ReduceOp::Var | ReduceOp::Std);
    let as_bool = |a: Array| a.cast(DType::Bool);
    let work = match (x, op) {
        (Array::Bool(_), _) | (Array::I64(_), _) if float_stats => x.cast(DType::F64),
        (Array::Bool(_), _) => x.cast(DType::I64),
        _ => x.clone(),
    };
    let result = match &work {
        Array::I64(a) => Array::I64(lanes(a, axis, keepdims, |xs| reduce_i64(op, xs))),
        Array::F64(a) => Array::F64(lanes(a, axis, keepdims, |xs| reduce_f64(op, xs, ddof))),
        Array::F32(a) => Array::F32(lanes(a, axis, keepdims, |xs| reduce_f32(op, xs, ddof))),
        Array::C128(a) => Array::C128(lanes(a, axis, keepdims, |xs| reduce_c128(op, xs, ddof))),
        Array::Bool(_) => unreachable!("bool promoted above"),
    };
    match out {
        DType::Bool => as_bool(result),
        _ => result.cast(out),
    }
}

/// A running sum or product along `axis` (over the flattened array when `None`).
pub fn scan(op: ScanOp, x: &Array, axis: Option<usize>, out: DType) -> Array {
    let x = x.cast(out);
    let (x, axis) = match axis {
        Some(a) => (x, a),
        None => (x.reshape(&[x.len()]), 0),
    };
    macro_rules! run {
        ($a:expr, $zero:expr, $one:expr, $add:expr, $mul:expr) => {{
            let mut a = $a.clone();
            for mut lane in a.lanes_mut(Axis(axis)) {
                let mut acc = if op == ScanOp::Cumsum { $zero } else { $one };
                for v in lane.iter_mut() {
                    acc = if op == ScanOp::Cumsum {
                        $add(acc, *v)
                    } else {
                        $mul(acc, *v)
                    };
                    *v = acc;
                }
            }
            a
        }};
    }
    match &x {
        Array::I64(a) => Array::I64(run!(a, 0i64, 1i64, i64::wrapping_add, i64::wrapping_mul)),
        Array::F64(a) => Array::F64(run!(a, 0.0, 1.0, |p: f64, q| p + q, |p: f64, q| p * q)),
        Array::F32(a) => Array::F32(run!(a, 0.0f32, 1.0f32, |p: f32, q| p + q, |p: f32, q| p * q)),
        Array::C128(a) => Array::C128(run!(
            a,
            Complex64::new(0.0, 0.0),
            Complex64::new(1.0, 0.0),
            |p: Complex64, q| p + q,
            |p: Complex64, q| p * q
        )),
        Array::Bool(_) => x.clone(),
    }
}
