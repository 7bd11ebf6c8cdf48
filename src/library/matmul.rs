//! Matrix products with NumPy's `matmul` rules, on strided views of any layout (transposed,
//! reversed, sliced, broadcast) without copying them: 1-D operands gain an axis that the
//! result drops, leading axes broadcast as a batch.
//!
//! Each product goes to the routine its shape calls for, through faer for f32, f64 and c128
//! (ndarray's loops for i64): DOT for vector·vector, GEMV for matrix×vector and
//! vector×matrix, GEMM for the rest. A batch whose shared right operand lets the left one
//! be read as one tall matrix is a single GEMM; other batches run one GEMM per element over
//! views (broadcast operands are never materialised).
//!
//! *Determinism:* the work is split into fixed pieces (row blocks, column blocks, chunks
//! of a dot product, batch elements) whose arithmetic does not depend on how many threads
//! run them, so results are bit-identical for any thread count.

use super::matvec::{self, PARALLEL_MIN};
use crate::diag::{Result, value_error};
use crate::runtime::Array;
use crate::runtime::strided::{self, Strided};
use faer::{Accum, MatMut, MatRef, Par};
use ndarray::{ArrayD, ArrayView2, ArrayViewD, Axis, Ix2, IxDyn};
use num_complex::Complex64;
use rayon::prelude::*;
use std::ops::Range;

/// Multiply-adds per product from which a batch runs its products one after another (each
/// on all threads) instead of several at once (each on one thread).
const BATCH_SERIAL_MIN: usize = 1 << 24;

/// An element type the products are defined for.
pub trait Element: Copy + Send + Sync + Default + 'static {
    /// `c = a @ b` for 2-D views, `c` row-major; `par` says whether it may use all threads.
    fn gemm(a: ArrayView2<'_, Self>, b: ArrayView2<'_, Self>, c: &mut [Self], par: bool);
    /// `a + b` (wrapping for integers).
    fn add(a: Self, b: Self) -> Self;
    /// `a · b` (wrapping for integers).
    fn mul(a: Self, b: Self) -> Self;
    /// The dot product of two slices of one length, as `matvec::dot_lanes` defines it.
    fn dot(x: &[Self], y: &[Self]) -> Self {
        matvec::dot_lanes(x, y)
    }
    /// [`Element::dot`] of each of `rows` with `y` (one pass over `y`, same bits).
    fn dot_rows(rows: &[&[Self]; matvec::ROWS], y: &[Self]) -> [Self; matvec::ROWS] {
        rows.map(|x| Self::dot(x, y))
    }
    /// `out = rows @ x` for rows whose columns are contiguous, exactly as
    /// `matvec::columns_block` computes it; `false` (nothing done) when the type has no
    /// faster form.
    fn gemv_columns(_rows: ArrayView2<'_, Self>, _x: &[Self], _out: &mut [Self]) -> bool {
        false
    }
}

/// A faer matrix reading the elements of a 2-D ndarray view in place (any strides).
#[allow(unsafe_code)]
pub(super) fn faer_ref<'a, T: faer::traits::ComplexField>(v: &ArrayView2<'a, T>) -> MatRef<'a, T> {
    let s = v.strides();
    // SAFETY: the pointer, dims and strides are those of a live ndarray view, which
    // addresses exactly the elements faer will read, for the view's lifetime.
    unsafe { MatRef::from_raw_parts(v.as_ptr(), v.nrows(), v.ncols(), s[0], s[1]) }
}

/// faer's product into row-major `c`, on one thread or all.
fn faer_gemm<T: faer::traits::ComplexField + Copy>(
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    c: &mut [T],
    par: bool,
) {
    let (m, n) = (a.nrows(), b.ncols());
    // Row-major `c = a @ b` is column-major `cᵀ = bᵀ @ aᵀ`, the layout faer's kernels favour.
    let dst = MatMut::from_column_major_slice_mut(c, n, m);
    let par = if par {
        faer::get_global_parallelism()
    } else {
        Par::Seq
    };
    faer::linalg::matmul::matmul(
        dst,
        Accum::Replace,
        faer_ref(&b.t()),
        faer_ref(&a.t()),
        T::one_impl(),
        par,
    );
}

macro_rules! faer_element {
    ($t:ty $(, $extra:item)*) => {
        impl Element for $t {
            $($extra)*
            fn gemm(a: ArrayView2<'_, $t>, b: ArrayView2<'_, $t>, c: &mut [$t], par: bool) {
                faer_gemm(a, b, c, par)
            }
            fn add(a: $t, b: $t) -> $t {
                a + b
            }
            fn mul(a: $t, b: $t) -> $t {
                a * b
            }
        }
    };
}
faer_element!(
    f32,
    fn dot(x: &[f32], y: &[f32]) -> f32 {
        pulp::Arch::new().dispatch(matvec::DotF32(x, y))
    },
    fn dot_rows(rows: &[&[f32]; matvec::ROWS], y: &[f32]) -> [f32; matvec::ROWS] {
        pulp::Arch::new().dispatch(matvec::DotRowsF32(*rows, y))
    },
    fn gemv_columns(rows: ArrayView2<'_, f32>, x: &[f32], out: &mut [f32]) -> bool {
        pulp::Arch::new().dispatch(matvec::ColumnsF32 { rows, x, out });
        true
    }
);
faer_element!(
    f64,
    fn dot(x: &[f64], y: &[f64]) -> f64 {
        pulp::Arch::new().dispatch(matvec::DotF64(x, y))
    },
    fn dot_rows(rows: &[&[f64]; matvec::ROWS], y: &[f64]) -> [f64; matvec::ROWS] {
        pulp::Arch::new().dispatch(matvec::DotRowsF64(*rows, y))
    },
    fn gemv_columns(rows: ArrayView2<'_, f64>, x: &[f64], out: &mut [f64]) -> bool {
        pulp::Arch::new().dispatch(matvec::ColumnsF64 { rows, x, out });
        true
    }
);
faer_element!(Complex64);

impl Element for i64 {
    fn gemm(a: ArrayView2<'_, i64>, b: ArrayView2<'_, i64>, c: &mut [i64], _par: bool) {
        // Wrapping like NumPy's integer products.
        let n = b.ncols();
        for (i, row) in a.outer_iter().enumerate() {
            for (j, col) in b.axis_iter(Axis(1)).enumerate() {
                c[i * n + j] = row
                    .iter()
                    .zip(col.iter())
                    .fold(0i64, |s, (&x, &y)| s.wrapping_add(x.wrapping_mul(y)));
            }
        }
    }
    fn add(a: i64, b: i64) -> i64 {
        a.wrapping_add(b)
    }
    fn mul(a: i64, b: i64) -> i64 {
        a.wrapping_mul(b)
    }
}

/// `a @ b` with NumPy's rules, where each operand is an array or a strided view of one (a
/// plan's [`crate::fuse::Arg`]) read in place; `out_shape` is the result's shape (checked
/// when the node was built). Operands have the same dtype (cast when built).
pub fn matmul_strided(
    a: (&Array, Option<&Strided>),
    b: (&Array, Option<&Strided>),
    out_shape: &[usize],
) -> Result<Array> {
    if let Some(v) = vector_dot(a, b) {
        return Ok(v);
    }
    Ok(match (a.0, b.0) {
        (Array::F64(x), Array::F64(y)) => {
            Array::F64(product(pick(x, a.1)?, pick(y, b.1)?, out_shape))
        }
        (Array::F32(x), Array::F32(y)) => {
            Array::F32(product(pick(x, a.1)?, pick(y, b.1)?, out_shape))
        }
        (Array::C128(x), Array::C128(y)) => {
            Array::C128(product(pick(x, a.1)?, pick(y, b.1)?, out_shape))
        }
        (Array::I64(x), Array::I64(y)) => {
            Array::I64(product(pick(x, a.1)?, pick(y, b.1)?, out_shape))
        }
        _ => unreachable!("matmul operands share a numeric dtype when built"),
    })
}

/// Products of fewer multiply-adds than this go to faer's small-matrix kernels (nano-gemm),
/// whose sums run in another order than its large kernels' (faer's `NANO_GEMM_THRESHOLD`).
pub(crate) const SMALL_PRODUCT: usize = 16 * 16 * 16;

/// Rows `rows` of `a @ b`, for a 2-D `a` (matrix × matrix or matrix × vector), in an array
/// of the whole result's shape `out_shape` whose other elements are zero (their pages
/// untouched): what one process computes of a product spread by rows between processes.
/// Each row has the bits of the same row of [`matmul_strided`]'s result: the routine the
/// whole product's shape calls for (GEMM, or GEMV for a vector `b`) runs on the rows, and
/// neither computes an element differently for the rows around it (faer's large kernels
/// block the sums over k by k alone; GEMV's rows are independent dot products). None when
/// the product has another form, or the rows are too few for that promise (fewer than
/// two, or few enough for faer's small-matrix kernels).
pub fn matmul_rows(
    a: (&Array, Option<&Strided>),
    b: (&Array, Option<&Strided>),
    out_shape: &[usize],
    rows: Range<usize>,
) -> Result<Option<Array>> {
    fn of<T: Element>(
        a: ArrayViewD<'_, T>,
        b: ArrayViewD<'_, T>,
        out_shape: &[usize],
        rows: Range<usize>,
    ) -> Option<ArrayD<T>> {
        let a = a.into_dimensionality::<Ix2>().ok()?;
        let b = match b.ndim() {
            1 => b.insert_axis(Axis(1)),
            _ => b,
        };
        let b = b.into_dimensionality::<Ix2>().ok()?;
        let ((m, k), n) = (a.dim(), b.ncols());
        if rows.len() < 2 || rows.end > m || b.nrows() != k || rows.len() * n * k <= SMALL_PRODUCT {
            return None;
        }
        let mut out = crate::runtime::zeroed_vec::<T>(m * n);
        let own = &mut out[rows.start * n..rows.end * n];
        one(a.slice_move(ndarray::s![rows, ..]), b, own, true);
        ArrayD::from_shape_vec(IxDyn(out_shape), out).ok()
    }
    let (x, y) = (a, b);
    macro_rules! rows_of {
        ($($variant:ident),*) => {
            match (x.0, y.0) {
                $((Array::$variant(a), Array::$variant(b)) => {
                    of(pick(a, x.1)?, pick(b, y.1)?, out_shape, rows).map(Array::$variant)
                })*
                _ => None,
            }
        };
    }
    Ok(rows_of!(F64, F32, C128, I64))
}

/// A view of `x`, or of its elements that `s` addresses.
fn pick<'a, T>(x: &'a ArrayD<T>, s: Option<&Strided>) -> Result<ArrayViewD<'a, T>> {
    match s {
        None => Ok(x.view()),
        Some(s) => strided::view(x, s)
            .ok_or_else(|| value_error("internal error: a matmul view reaches outside its array")),
    }
}

/// `a · b` when both are vectors: read straight from their buffers (a reversed one copied
/// forwards), with the bits of [`matvec::dot`]. `None` for any other shape, dtype or
/// layout (the general path takes them). A dot product in a loop (`dot(flip(r[:k]),
/// y[:k])`) then costs its arithmetic, not building views.
fn vector_dot(a: (&Array, Option<&Strided>), b: (&Array, Option<&Strided>)) -> Option<Array> {
    fn of<'a, T: Element>(
        x: &'a ArrayD<T>,
        y: &'a ArrayD<T>,
        a: Option<&Strided>,
        b: Option<&Strided>,
    ) -> Option<ArrayD<T>> {
        let ((x, x_reversed), (y, y_reversed)) = (vector(x, a)?, vector(y, b)?);
        let n = x.len();
        if n != y.len() {
            return None;
        }
        let value = if !x_reversed && !y_reversed {
            matvec::dot_contiguous(x, y)
        } else {
            // A reversed operand is copied forwards (one vectorised pass), then the vector
            // dot runs: cheaper than reading it backwards element by element.
            let view = |v: &'a [T], reversed: bool| {
                let v = ndarray::ArrayView1::from(v);
                if reversed {
                    v.slice_move(ndarray::s![..;-1])
                } else {
                    v
                }
            };
            matvec::dot(view(x, x_reversed), view(y, y_reversed))
        };
        Some(ArrayD::from_elem(IxDyn(&[]), value))
    }
    Some(match (a.0, b.0) {
        (Array::F64(x), Array::F64(y)) => Array::F64(of(x, y, a.1, b.1)?),
        (Array::F32(x), Array::F32(y)) => Array::F32(of(x, y, a.1, b.1)?),
        (Array::C128(x), Array::C128(y)) => Array::C128(of(x, y, a.1, b.1)?),
        (Array::I64(x), Array::I64(y)) => Array::I64(of(x, y, a.1, b.1)?),
        _ => return None,
    })
}

/// The elements of a vector operand (a 1-D array, or a 1-D view stepping 1 or -1 through a
/// row-major buffer) as they lie in memory, and whether the vector reads them backwards.
fn vector<'a, T: Copy>(x: &'a ArrayD<T>, s: Option<&Strided>) -> Option<(&'a [T], bool)> {
    let data = x.as_slice()?;
    let Some(s) = s else {
        return (x.ndim() == 1).then_some((data, false));
    };
    let (&[n], &[step]) = (&s.shape[..], &s.strides[..]) else {
        return None;
    };
    let (lo, hi) = strided::span(s.offset, &s.strides, &s.shape);
    if n == 0 || lo < 0 || hi >= data.len() as i64 {
        return None;
    }
    let at = s.offset as usize;
    match step {
        1 => Some((&data[at..at + n], false)),
        -1 => Some((&data[at + 1 - n..=at], true)),
        _ => None,
    }
}

/// `a @ b` for views of one element type.
pub fn product<T: Element>(
    a: ArrayViewD<'_, T>,
    b: ArrayViewD<'_, T>,
    out_shape: &[usize],
) -> ArrayD<T> {
    // Vector · vector (`dot(flip(r[:k]), y[:k])` in a loop): straight to the dot.
    if let (Ok(x), Ok(y)) = (
        a.view().into_dimensionality::<ndarray::Ix1>(),
        b.view().into_dimensionality::<ndarray::Ix1>(),
    ) {
        return ArrayD::from_elem(ndarray::IxDyn(&[]), matvec::dot(x, y));
    }
    let a = if a.ndim() == 1 {
        a.insert_axis(Axis(0))
    } else {
        a
    };
    let b = if b.ndim() == 1 {
        b.insert_axis(Axis(1))
    } else {
        b
    };
    let (ra, rb) = (a.ndim(), b.ndim());
    let (m, k, n) = (a.shape()[ra - 2], a.shape()[ra - 1], b.shape()[rb - 1]);
    let batch = crate::graph::broadcast_shapes(&a.shape()[..ra - 2], &b.shape()[..rb - 2])
        .unwrap_or_default();
    let count: usize = batch.iter().product();
    let mut out = crate::runtime::zeroed_vec::<T>(count * m * n);
    if k > 0 && !out.is_empty() {
        let full = |mut s: Vec<usize>, r: usize, c: usize| {
            s.extend([r, c]);
            s
        };
        let a = a
            .broadcast(IxDyn(&full(batch.clone(), m, k)))
            .expect("batch shapes broadcast (checked when built)");
        let b = b
            .broadcast(IxDyn(&full(batch.clone(), k, n)))
            .expect("batch shapes broadcast (checked when built)");
        batched(a, b, &mut out, m, n);
    }
    ArrayD::from_shape_vec(IxDyn(out_shape), out).expect("result size is batch × m × n")
}

/// The product of batches `a` (…, m, k) and `b` (…, k, n) of the same batch shape into `out`.
fn batched<T: Element>(
    a: ArrayViewD<'_, T>,
    b: ArrayViewD<'_, T>,
    out: &mut [T],
    m: usize,
    n: usize,
) {
    let r = a.ndim();
    if r == 2 {
        let a = a.into_dimensionality::<Ix2>().expect("2-D");
        let b = b.into_dimensionality::<Ix2>().expect("2-D");
        return one(a, b, out, true);
    }
    // A shared right operand: the batch and row axes of `a` as one tall matrix (copied
    // first when its strides do not allow that), so the same GEMM runs whatever the layout.
    if b.strides()[..r - 2].iter().all(|&s| s == 0) {
        let b = shared(b);
        if let Some(tall) = merged_rows(&a) {
            return one(tall, b, out, true);
        }
        let a = a.as_standard_layout();
        let tall = merged_rows(&a.view()).expect("a row-major batch merges");
        return one(tall, b, out, true);
    }
    let k = a.shape()[r - 1];
    let batch_shape = &a.shape()[..r - 2];
    let views = |i: usize| {
        let mut rest = i;
        let mut at = vec![0usize; batch_shape.len()];
        for d in (0..batch_shape.len()).rev() {
            at[d] = rest % batch_shape[d];
            rest /= batch_shape[d];
        }
        (batch_item(&a, &at), batch_item(&b, &at))
    };
    let count = out.len() / (m * n).max(1);
    if count < 2 || m * n * k >= BATCH_SERIAL_MIN {
        for (i, c) in out.chunks_mut(m * n).enumerate() {
            let (x, y) = views(i);
            one(x, y, c, true);
        }
    } else {
        out.par_chunks_mut(m * n).enumerate().for_each(|(i, c)| {
            let (x, y) = views(i);
            one(x, y, c, false);
        });
    }
}

/// The matrix at batch index `at` of a batched view.
fn batch_item<'a, T>(v: &ArrayViewD<'a, T>, at: &[usize]) -> ArrayView2<'a, T> {
    let mut v = v.clone();
    for &p in at {
        v.index_axis_inplace(Axis(0), p);
    }
    v.into_dimensionality::<Ix2>().expect("2-D")
}

/// Views the batch and row axes of `a` (…, m, k) as one axis, when its strides allow
/// that without copying.
fn merged_rows<'a, T>(a: &ArrayViewD<'a, T>) -> Option<ArrayView2<'a, T>> {
    let r = a.ndim();
    let rows: usize = a.shape()[..r - 1].iter().product();
    let k = a.shape()[r - 1];
    // Only reinterprets the strides; refuses (None) when it would have to copy.
    let v = a.clone().into_shape_with_order(IxDyn(&[rows, k])).ok()?;
    v.into_dimensionality::<Ix2>().ok()
}

/// The matrix of a batched view whose batch axes all have stride 0.
fn shared<T>(mut b: ArrayViewD<'_, T>) -> ArrayView2<'_, T> {
    while b.ndim() > 2 {
        b.index_axis_inplace(Axis(0), 0);
    }
    b.into_dimensionality::<Ix2>().expect("2-D")
}

/// One product of 2-D views by shape: DOT, GEMV (both orientations) or GEMM (on all
/// threads when `parallel` and it is large).
fn one<T: Element>(a: ArrayView2<'_, T>, b: ArrayView2<'_, T>, out: &mut [T], parallel: bool) {
    match (a.nrows(), b.ncols()) {
        (1, 1) => out[0] = matvec::dot(a.row(0), b.column(0)),
        (_, 1) => matvec::gemv(a, b.column(0), out),
        // x @ B is Bᵀ @ x.
        (1, _) => matvec::gemv(b.t(), a.row(0), out),
        _ => {
            // faer walks a negative stride backwards, which reorders the sums over k: such
            // operands go through one row-major copy, so every layout gives the same bits.
            let par = parallel && a.nrows() * a.ncols() * b.ncols() >= PARALLEL_MIN;
            let forward = |v: &ArrayView2<'_, T>| v.strides().iter().all(|&s| s >= 0);
            match (forward(&a), forward(&b)) {
                (true, true) => T::gemm(a, b, out, par),
                (true, false) => T::gemm(a, b.as_standard_layout().view(), out, par),
                (false, true) => T::gemm(a.as_standard_layout().view(), b, out, par),
                (false, false) => {
                    let (a, b) = (a.as_standard_layout(), b.as_standard_layout());
                    T::gemm(a.view(), b.view(), out, par)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
