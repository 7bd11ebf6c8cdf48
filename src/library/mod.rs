//! Library calls: operations that are not elementwise loops — linear algebra (faer), FFTs
//! (rustfft/realfft) and sorting. Every backend schedules them as whole steps and calls these
//! same functions on materialised arrays, so they give identical results everywhere.

mod decomp;
pub mod fft;
pub mod linalg;
mod lu;
pub mod matmul;
mod matvec;
pub mod search;
pub mod select;
pub mod sort;

use crate::diag::Result;
use crate::graph::LibCall;
use crate::runtime::Array;

/// Runs a library call on its (already computed) inputs; `shape` is the result's.
pub fn call(op: &LibCall, inputs: &[&Array], shape: &[usize]) -> Result<Array> {
    if op.batches() && inputs[0].shape().len() > 2 {
        return batched(op, inputs[0], shape);
    }
    if matches!(op, LibCall::Solve) && shape.len() > inputs[1].shape().len().min(2) {
        return solve_batched(inputs[0], inputs[1], shape);
    }
    match op {
        LibCall::Inv => linalg::inv(inputs[0]),
        LibCall::Solve => linalg::solve(inputs[0], inputs[1]),
        LibCall::Det => linalg::det(inputs[0]),
        LibCall::Slogdet => linalg::slogdet(inputs[0]),
        LibCall::Eigh => decomp::eigh(inputs[0]),
        LibCall::Eigvalsh => decomp::eigvalsh(inputs[0]),
        LibCall::SingularValues => decomp::singular_values(inputs[0]),
        LibCall::Svd { full } => decomp::svd(inputs[0], *full),
        LibCall::Qr(mode) => decomp::qr(inputs[0], *mode),
        LibCall::Cholesky => decomp::cholesky(inputs[0]),
        LibCall::Lstsq { rcond } => decomp::lstsq(inputs[0], inputs[1], *rcond),
        LibCall::Pinv { rcond } => decomp::pinv(inputs[0], *rcond),
        LibCall::Eig { vectors } => decomp::eig(inputs[0], *vectors),
        LibCall::Norm(ord) => linalg::norm(inputs[0], *ord),
        LibCall::Fft {
            inverse,
            n,
            axis,
            norm,
        } => Ok(fft::fft(inputs[0], *n, *axis, *inverse, *norm)),
        LibCall::Rfft { n, axis, norm } => Ok(fft::rfft(inputs[0], *n, *axis, *norm)),
        LibCall::Irfft { n, axis, norm } => Ok(fft::irfft(inputs[0], *n, *axis, *norm)),
        LibCall::Sort { axis } => Ok(sort::sort(inputs[0], *axis)),
        LibCall::Argsort { axis } => Ok(sort::argsort(inputs[0], *axis)),
        LibCall::SearchSorted { right } => Ok(search::searchsorted(inputs[0], inputs[1], *right)),
        LibCall::Interp => search::interp(inputs[0], inputs[1], inputs[2], inputs[3], inputs[4]),
        LibCall::Bincount { len } => search::bincount(inputs[0], inputs.get(1).copied(), *len),
        LibCall::Histogram { bins } => search::histogram(
            inputs[0],
            inputs[1],
            inputs[2],
            inputs.get(3).copied(),
            *bins,
        ),
        LibCall::HistogramEdges => {
            search::histogram_edges(inputs[0], inputs[1], inputs.get(2).copied())
        }
        LibCall::Convolve(mode) => {
            let dtype = inputs[0]
                .dtype()
                .max(inputs[1].dtype())
                .max(crate::dtype::DType::I64);
            Ok(search::convolve(inputs[0], inputs[1], *mode, dtype))
        }
    }
    .inspect(|a| debug_assert_eq!(a.shape(), shape, "library call {op:?}"))
}

/// `op` on every matrix of the stack `x` (its last two axes), results stacked in order.
fn batched(op: &LibCall, x: &Array, shape: &[usize]) -> Result<Array> {
    let nd = x.shape().len();
    let (rows, cols) = (x.shape()[nd - 2], x.shape()[nd - 1]);
    let count: usize = x.shape()[..nd - 2].iter().product();
    let stack = x.reshape(&[count, rows, cols]);
    let per: Vec<usize> = shape[nd - 2..].to_vec();
    let parts = (0..count)
        .map(|i| {
            let m = crate::map_array!(&stack, a => a.index_axis(ndarray::Axis(0), i).to_owned());
            call(op, &[&m], &per)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(join(parts, shape, op))
}

/// `solve` over stacks: `a` and `b` broadcast to the result's stack, one solve per matrix.
fn solve_batched(a: &Array, b: &Array, shape: &[usize]) -> Result<Array> {
    let n = a.shape()[a.shape().len() - 1];
    let tail: Vec<usize> = if b.shape().len() == 1 {
        vec![n]
    } else {
        b.shape()[b.shape().len() - 2..].to_vec()
    };
    let batch = &shape[..shape.len() - tail.len()];
    let count: usize = batch.iter().product();
    let stack = |x: &Array, inner: &[usize]| {
        let full: Vec<usize> = [batch, inner].concat();
        let mut flat = vec![count];
        flat.extend(inner);
        let wide = crate::map_array!(x, v => v
            .broadcast(ndarray::IxDyn(&full))
            .expect("shapes were checked when the node was built")
            .to_owned());
        wide.reshape(&flat)
    };
    let (sa, sb) = (stack(a, &[n, n]), stack(b, &tail));
    let parts = (0..count)
        .map(|i| {
            let ai = crate::map_array!(&sa, v => v.index_axis(ndarray::Axis(0), i).to_owned());
            let bi = if b.shape().len() == 1 {
                b.clone()
            } else {
                crate::map_array!(&sb, v => v.index_axis(ndarray::Axis(0), i).to_owned())
            };
            linalg::solve(&ai, &bi)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(join(parts, shape, &LibCall::Solve))
}

/// Equal-shaped results laid end to end as one array of `shape`.
fn join(parts: Vec<Array>, shape: &[usize], op: &LibCall) -> Array {
    macro_rules! collect {
        ($variant:ident) => {{
            let data: Vec<_> = parts
                .iter()
                .flat_map(|p| match p {
                    Array::$variant(a) => a.iter().copied().collect::<Vec<_>>(),
                    _ => unreachable!("one dtype per call"),
                })
                .collect();
            Array::$variant(
                ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(shape), data).expect("sizes agree"),
            )
        }};
    }
    match parts.first() {
        Some(Array::Bool(_)) => collect!(Bool),
        Some(Array::I64(_)) => collect!(I64),
        Some(Array::F32(_)) => collect!(F32),
        Some(Array::C128(_)) => collect!(C128),
        Some(Array::F64(_)) => collect!(F64),
        None => {
            let dtype = if matches!(op, LibCall::Eig { .. }) {
                crate::dtype::DType::C128
            } else {
                crate::dtype::DType::F64
            };
            Array::full(shape, crate::runtime::Scalar::F64(0.0)).cast(dtype)
        }
    }
}
