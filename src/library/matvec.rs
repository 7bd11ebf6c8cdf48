//! Matrix–vector products and dot products on views of any layout, split into fixed pieces
//! that run in parallel: a dot product sums 16 lanes per chunk and chunks in order; a
//! matrix–vector product gives each task a block of output rows, reading each row as a dot
//! product (rows contiguous) or streaming the block's columns (columns contiguous). The
//! arithmetic of every output element is the same whatever the thread count.

use super::matmul::Element;
use ndarray::{ArrayView1, ArrayView2, s};
use pulp::{Simd, WithSimd};
use rayon::prelude::*;

/// Lanes of a dot product's accumulators (two AVX-512 registers of f64).
const LANES: usize = 16;
/// Elements per chunk of a long dot product; chunks' sums are added in order.
const DOT_CHUNK: usize = 1 << 15;
/// Output rows per task when rows are read as dot products.
const ROW_BLOCK: usize = 32;
/// Most output rows per task when columns are streamed (their lane sums stay in L1 and L2).
const COLUMN_BLOCK: usize = 1024;
/// Multiply-adds below which a product runs on one thread.
pub(super) const PARALLEL_MIN: usize = 1 << 16;

/// `Σ x[i]·y[i]` of two slices of one length: 16 lane sums (lane `l` adds the products at
/// positions ≡ l mod 16 of the first `len / 16 * 16`, in order), combined by a fixed tree,
/// plus the remaining products summed in order. Every element type computes exactly this
/// (f32 and f64 with vector registers holding the lanes).
pub(super) fn dot_slices<T: Element>(x: &[T], y: &[T]) -> T {
    T::dot(x, y)
}

/// The portable form of [`dot_slices`].
pub(super) fn dot_lanes<T: Element>(x: &[T], y: &[T]) -> T {
    let mut acc = [T::default(); LANES];
    let (xc, yc) = (x.chunks_exact(LANES), y.chunks_exact(LANES));
    let tail = xc
        .remainder()
        .iter()
        .zip(yc.remainder())
        .fold(T::default(), |s, (&a, &b)| T::add(s, T::mul(a, b)));
    for (a, b) in xc.zip(yc) {
        for l in 0..LANES {
            acc[l] = T::add(acc[l], T::mul(a[l], b[l]));
        }
    }
    combine(acc, tail)
}

/// The fixed tree over the 16 lane sums, then the tail.
fn combine<T: Element>(mut lanes: [T; LANES], tail: T) -> T {
    let mut width = LANES;
    while width > 1 {
        width /= 2;
        for l in 0..width {
            lanes[l] = T::add(lanes[l], lanes[l + width]);
        }
    }
    T::add(lanes[0], tail)
}

/// [`dot_slices`] for f64 and f32 on the widest vector registers the CPU has (pulp picks
/// them at run time): `16 / width` registers hold the 16 lanes.
macro_rules! simd_dot {
    ($name:ident, $t:ty, $lanes:ident, $split:ident, $splat:ident, $add:ident, $mul:ident) => {
        /// See [`simd_dot`].
        pub(super) struct $name<'a>(pub &'a [$t], pub &'a [$t]);

        impl WithSimd for $name<'_> {
            type Output = $t;

            #[inline(always)]
            fn with_simd<S: Simd>(self, simd: S) -> $t {
                let (x, y) = (self.0, self.1);
                let width = S::$lanes;
                if width > LANES || LANES % width != 0 {
                    return dot_lanes(x, y);
                }
                let regs = LANES / width;
                let body = x.len() / LANES * LANES;
                let (xv, _) = S::$split(&x[..body]);
                let (yv, _) = S::$split(&y[..body]);
                let mut acc = [simd.$splat(0.0); LANES];
                for (xs, ys) in xv.chunks_exact(regs).zip(yv.chunks_exact(regs)) {
                    for r in 0..regs {
                        acc[r] = simd.$add(acc[r], simd.$mul(xs[r], ys[r]));
                    }
                }
                let sums: &[$t] = pulp::bytemuck::cast_slice(&acc[..regs]);
                let lanes: [$t; LANES] = sums.try_into().expect("16 lanes");
                let tail = x[body..]
                    .iter()
                    .zip(&y[body..])
                    .fold(0.0, |s: $t, (&a, &b)| s + a * b);
                combine(lanes, tail)
            }
        }
    };
}

/// A contiguous copy of `v` unless it is contiguous already.
fn contiguous<'a, T: Element>(v: &'a ArrayView1<'_, T>) -> std::borrow::Cow<'a, [T]> {
    match v.as_slice() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(v.iter().copied().collect()),
    }
}

/// `x · y` for vectors of one length.
pub fn dot<T: Element>(x: ArrayView1<'_, T>, y: ArrayView1<'_, T>) -> T {
    let (x, y) = (contiguous(&x), contiguous(&y));
    if x.len() < 2 * DOT_CHUNK {
        return dot_slices(&x, &y);
    }
    let parts: Vec<T> = x
        .par_chunks(DOT_CHUNK)
        .zip(y.par_chunks(DOT_CHUNK))
        .map(|(a, b)| dot_slices(a, b))
        .collect();
    parts.into_iter().fold(T::default(), T::add)
}

/// `out = rows @ x` for a block of rows whose columns are contiguous: streams every column,
/// keeping for each output the 16 lane sums [`dot_lanes`] keeps, so the bits are those of
/// reading the rows as dot products.
pub(super) fn columns_block<T: Element>(rows: ArrayView2<'_, T>, x: &[T], out: &mut [T]) {
    let (n, k) = rows.dim();
    let mut lanes = vec![T::default(); LANES * n];
    let mut tail = vec![T::default(); n];
    let body = k / LANES * LANES;
    let column = |j: usize| rows.column(j).to_slice().expect("columns are contiguous");
    let axpy = |acc: &mut [T], j: usize| {
        for (o, &a) in acc.iter_mut().zip(column(j)) {
            *o = T::add(*o, T::mul(a, x[j]));
        }
    };
    for j in 0..body {
        let l = j % LANES;
        axpy(&mut lanes[l * n..(l + 1) * n], j);
    }
    (body..k).for_each(|j| axpy(&mut tail, j));
    let mut width = LANES;
    while width > 1 {
        width /= 2;
        let (low, high) = lanes.split_at_mut(width * n);
        for (o, &h) in low.iter_mut().zip(&high[..width * n]) {
            *o = T::add(*o, h);
        }
    }
    for (i, o) in out.iter_mut().enumerate() {
        *o = T::add(lanes[i], tail[i]);
    }
}

/// [`columns_block`] for f64 and f32 with the lane sums in vector registers: sixteen columns
/// at a time, strip by strip down the block (a strip is one register's width of outputs),
/// each strip's 16 lane sums come from L1 into registers once per sixteen columns. Rows past
/// the last full strip go through [`columns_block`].
macro_rules! simd_columns {
    ($name:ident, $t:ty, $lanes:ident, $split:ident, $splat:ident, $add:ident, $mul:ident) => {
        /// See [`simd_columns`].
        pub(super) struct $name<'a, 'b> {
            pub rows: ArrayView2<'a, $t>,
            pub x: &'b [$t],
            pub out: &'b mut [$t],
        }

        impl WithSimd for $name<'_, '_> {
            type Output = ();

            #[inline(always)]
            fn with_simd<S: Simd>(self, simd: S) {
                let $name { rows, x, out } = self;
                let (w, k) = (S::$lanes, x.len());
                let body = k / LANES * LANES;
                let strips = if w <= LANES { out.len() / w } else { 0 };
                let column = |j: usize| rows.column(j).to_slice().expect("columns are contiguous");
                let load = |col: &[$t], s: usize| S::$split(&col[s * w..s * w + w]).0[0];
                let zero = simd.$splat(0.0);
                let mut acc = vec![zero; strips * LANES];
                let mut tail = vec![zero; strips];
                for c in (0..body).step_by(LANES) {
                    let xs: [_; LANES] = std::array::from_fn(|l| simd.$splat(x[c + l]));
                    let cols: [&[$t]; LANES] = std::array::from_fn(|l| column(c + l));
                    for (s, sums) in acc.chunks_exact_mut(LANES).enumerate() {
                        for l in 0..LANES {
                            sums[l] = simd.$add(sums[l], simd.$mul(load(cols[l], s), xs[l]));
                        }
                    }
                }
                for j in body..k {
                    let (xj, col) = (simd.$splat(x[j]), column(j));
                    for (s, t) in tail.iter_mut().enumerate() {
                        *t = simd.$add(*t, simd.$mul(load(col, s), xj));
                    }
                }
                let sums: &[$t] = pulp::bytemuck::cast_slice(&acc);
                let tails: &[$t] = pulp::bytemuck::cast_slice(&tail);
                for s in 0..strips {
                    for i in 0..w {
                        let at = s * LANES * w;
                        let lanes: [$t; LANES] = std::array::from_fn(|l| sums[at + l * w + i]);
                        out[s * w + i] = combine(lanes, tails[s * w + i]);
                    }
                }
                let done = strips * w;
                if done < out.len() {
                    columns_block(rows.slice(s![done.., ..]), x, &mut out[done..]);
                }
            }
        }
    };
}

/// `out = m @ x` for a matrix `m` (r×k) and a vector `x` (k).
pub fn gemv<T: Element>(m: ArrayView2<'_, T>, x: ArrayView1<'_, T>, out: &mut [T]) {
    let (r, k) = m.dim();
    let x = contiguous(&x);
    let parallel = r * k >= PARALLEL_MIN;
    if m.strides()[0] == 1 && k > 1 && r > 1 {
        // Columns contiguous: each task streams its block of every column, keeping the 16
        // lane sums `dot_slices` keeps for every output, so the result is the same bits as
        // reading the rows.
        // Up to COLUMN_BLOCK rows a task, at least two tasks a thread (each output's
        // arithmetic is the same whatever the blocks).
        let rows_per_task = r
            .div_ceil(2 * rayon::current_num_threads())
            .next_multiple_of(LANES)
            .clamp(4 * LANES, COLUMN_BLOCK);
        let block = |(b, out): (usize, &mut [T])| {
            let first = b * rows_per_task;
            let rows = m.slice(s![first..first + out.len(), ..]);
            if !T::gemv_columns(rows, &x, out) {
                columns_block(rows, &x, out);
            }
        };
        if parallel {
            out.par_chunks_mut(rows_per_task)
                .enumerate()
                .for_each(block);
        } else {
            out.chunks_mut(rows_per_task).enumerate().for_each(block);
        }
        return;
    }
    // Rows read as dot products (copied first only when not contiguous).
    let block = |(b, out): (usize, &mut [T])| {
        for (i, o) in out.iter_mut().enumerate() {
            let row = m.row(b * ROW_BLOCK + i);
            *o = dot_slices(&contiguous(&row), &x);
        }
    };
    if parallel {
        out.par_chunks_mut(ROW_BLOCK).enumerate().for_each(block);
    } else {
        out.chunks_mut(ROW_BLOCK).enumerate().for_each(block);
    }
}

/// The SIMD forms for one float type: its dot product and its GEMV by columns.
macro_rules! simd_forms {
    ($dot:ident, $columns:ident, $($spec:tt)*) => {
        simd_dot!($dot, $($spec)*);
        simd_columns!($columns, $($spec)*);
    };
}
simd_forms!(
    DotF64,
    ColumnsF64,
    f64,
    F64_LANES,
    as_simd_f64s,
    splat_f64s,
    add_f64s,
    mul_f64s
);
simd_forms!(
    DotF32,
    ColumnsF32,
    f32,
    F32_LANES,
    as_simd_f32s,
    splat_f32s,
    add_f32s,
    mul_f32s
);
