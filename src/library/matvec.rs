//! Matrix–vector products and dot products on views of any layout, split into fixed pieces
//! that the kernel team runs (`runtime::team`: its helpers spin between jobs, so a loop of
//! products does not pay for waking threads each time): a dot product sums 16 lanes per
//! chunk and chunks in order; a matrix–vector product gives each piece a block of output
//! rows, reading each row as a dot product (rows contiguous) or streaming the block's
//! columns (columns contiguous). The arithmetic of every output element is the same
//! whatever the thread count.

use super::matmul::Element;
use crate::runtime::team;
use ndarray::{ArrayView1, ArrayView2, s};
use pulp::{Simd, WithSimd};

/// Rows a matrix–vector product reads in one pass over the vector.
pub(super) const ROWS: usize = 4;
/// Lanes of a dot product's accumulators (two AVX-512 registers of f64).
const LANES: usize = 16;
/// Elements per chunk of a long dot product; chunks' sums are added in order.
const DOT_CHUNK: usize = 1 << 15;
/// Most output rows per piece when columns are streamed (their lane sums stay in L1 and L2).
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
    let n = x.len();
    let mut acc = [T::default(); LANES];
    let body = n / LANES * LANES;
    for (xs, ys) in x[..body]
        .chunks_exact(LANES)
        .zip(y[..body].chunks_exact(LANES))
    {
        for ((a, &u), &v) in acc.iter_mut().zip(xs).zip(ys) {
            *a = T::add(*a, T::mul(u, v));
        }
    }
    let tail = (body..n).fold(T::default(), |s, i| T::add(s, T::mul(x[i], y[i])));
    combine(acc, tail)
}

/// Whether a dot product of `n` elements is one chunk ([`dot_contiguous`] sums no chunks).
fn one_chunk(n: usize) -> bool {
    n < 2 * DOT_CHUNK
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
    ($name:ident, $rows:ident, $t:ty, $lanes:ident, $split:ident, $splat:ident, $add:ident, $mul:ident) => {
        /// See [`simd_dot`].
        pub(super) struct $name<'a>(pub &'a [$t], pub &'a [$t]);

        impl WithSimd for $name<'_> {
            type Output = $t;

            #[inline(always)]
            fn with_simd<S: Simd>(self, simd: S) -> $t {
                let [d] = $rows([self.0], self.1).with_simd(simd);
                d
            }
        }

        /// [`dot_slices`] of [`ROWS`] rows with one vector, in one pass over the vector
        /// (each row's arithmetic exactly that of its own dot product).
        pub(super) struct $rows<'a, const R: usize>(pub [&'a [$t]; R], pub &'a [$t]);

        impl<const R: usize> WithSimd for $rows<'_, R> {
            type Output = [$t; R];

            #[inline(always)]
            fn with_simd<S: Simd>(self, simd: S) -> [$t; R] {
                let (rows, y) = (self.0, self.1);
                let width = S::$lanes;
                if width > LANES || LANES % width != 0 {
                    return rows.map(|x| dot_lanes(x, y));
                }
                let regs = LANES / width;
                let body = y.len() / LANES * LANES;
                let (yv, _) = S::$split(&y[..body]);
                let xv = rows.map(|x| S::$split(&x[..body]).0);
                let mut acc = [[simd.$splat(0.0); LANES]; R];
                for (c, ys) in yv.chunks_exact(regs).enumerate() {
                    for (a, xv) in acc.iter_mut().zip(&xv) {
                        for r in 0..regs {
                            a[r] = simd.$add(a[r], simd.$mul(xv[c * regs + r], ys[r]));
                        }
                    }
                }
                std::array::from_fn(|i| {
                    let sums: &[$t] = pulp::bytemuck::cast_slice(&acc[i][..regs]);
                    let lanes: [$t; LANES] = sums.try_into().expect("16 lanes");
                    let tail = rows[i][body..]
                        .iter()
                        .zip(&y[body..])
                        .fold(0.0, |s: $t, (&a, &b)| s + a * b);
                    combine(lanes, tail)
                })
            }
        }
    };
}

/// A contiguous copy of `v` unless it is contiguous already.
fn contiguous<'a, T: Element>(v: &'a ArrayView1<'_, T>) -> std::borrow::Cow<'a, [T]> {
    match v.as_slice() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        // A reversed vector (`dot(flip(x), y)`) copies as a slice read backwards.
        None => match v.slice(ndarray::s![..;-1]).to_slice() {
            Some(s) => std::borrow::Cow::Owned(s.iter().rev().copied().collect()),
            None => std::borrow::Cow::Owned((0..v.len()).map(|i| v[i]).collect()),
        },
    }
}

/// `x · y` for vectors of one length.
pub fn dot<T: Element>(x: ArrayView1<'_, T>, y: ArrayView1<'_, T>) -> T {
    dot_contiguous(&contiguous(&x), &contiguous(&y))
}

/// `x · y` for slices of one length: in fixed chunks, on all threads, when long.
pub(super) fn dot_contiguous<T: Element>(x: &[T], y: &[T]) -> T {
    if one_chunk(x.len()) {
        return dot_slices(x, y);
    }
    let chunk = |c: usize| {
        let at = c * DOT_CHUNK..((c + 1) * DOT_CHUNK).min(x.len());
        dot_slices(&x[at.clone()], &y[at])
    };
    let parts = team::map(x.len().div_ceil(DOT_CHUNK), chunk);
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
    let threads = if r * k >= PARALLEL_MIN {
        team::threads()
    } else {
        1
    };
    if m.strides()[0] == 1 && k > 1 && r > 1 {
        // Columns contiguous: each piece streams its block of every column, keeping the 16
        // lane sums `dot_slices` keeps for every output, so the result is the same bits as
        // reading the rows. Up to COLUMN_BLOCK rows a piece (each output's arithmetic is
        // the same whatever the blocks).
        let rows_per_piece = r
            .div_ceil(threads)
            .next_multiple_of(LANES)
            .clamp(4 * LANES, COLUMN_BLOCK);
        in_pieces(out, rows_per_piece, |first, out| {
            let rows = m.slice(s![first..first + out.len(), ..]);
            if !T::gemv_columns(rows, &x, out) {
                columns_block(rows, &x, out);
            }
        });
        return;
    }
    // Rows read as dot products (copied first only when not contiguous): one contiguous
    // block of rows per thread.
    in_pieces(out, r.div_ceil(threads).max(1), |first, out| {
        let rows: Vec<_> = (first..first + out.len()).map(|i| m.row(i)).collect();
        let slices: Option<Vec<&[T]>> = rows.iter().map(|r| r.to_slice()).collect();
        let Some(slices) = slices else {
            for (o, row) in out.iter_mut().zip(&rows) {
                *o = dot_slices(&contiguous(row), &x);
            }
            return;
        };
        let groups = out.len() / ROWS;
        for (g, o) in out.chunks_exact_mut(ROWS).enumerate() {
            let group: [&[T]; ROWS] = std::array::from_fn(|i| slices[g * ROWS + i]);
            o.copy_from_slice(&T::dot_rows(&group, &x));
        }
        for i in groups * ROWS..out.len() {
            out[i] = dot_slices(slices[i], &x);
        }
    });
}

/// Runs `block(first, out[first..first + size])` for consecutive blocks of `size` outputs,
/// as pieces of one team job (on the calling thread alone when there is one block).
fn in_pieces<T: Send>(out: &mut [T], size: usize, block: impl Fn(usize, &mut [T]) + Sync) {
    team::each_mut(out.chunks_mut(size).collect(), |b, out| {
        block(b * size, out)
    });
}

/// The SIMD forms for one float type: its dot product and its GEMV by columns.
macro_rules! simd_forms {
    ($dot:ident, $rows:ident, $columns:ident, $($spec:tt)*) => {
        simd_dot!($dot, $rows, $($spec)*);
        simd_columns!($columns, $($spec)*);
    };
}
simd_forms!(
    DotF64,
    DotRowsF64,
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
    DotRowsF32,
    ColumnsF32,
    f32,
    F32_LANES,
    as_simd_f32s,
    splat_f32s,
    add_f32s,
    mul_f32s
);

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    /// Values whose sums round differently in a different order.
    fn matrix(r: usize, k: usize) -> Array2<f64> {
        Array2::from_shape_fn((r, k), |(i, j)| {
            ((i * 7919 + j * 104_729) % 1000) as f64 / 7.0 - 60.0
        })
    }

    #[test]
    fn every_output_is_its_rows_dot_product_bit_for_bit() {
        // Rows in groups of ROWS and a remainder; lanes in full chunks and a tail; a size
        // that runs in pieces on the team.
        for (r, k) in [(37, 53), (4, 16), (3, 5), (700, 301)] {
            let m = matrix(r, k);
            let x: Vec<f64> = (0..k).map(|j| (j as f64 * 0.37).sin()).collect();
            let rows: Vec<f64> = (0..r)
                .map(|i| dot_slices(m.row(i).to_slice().unwrap(), &x))
                .collect();
            let mut out = vec![0.0; r];
            gemv(m.view(), ArrayView1::from(&x), &mut out);
            assert_eq!(
                out.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                rows.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
            );
            // Columns contiguous: streamed by columns, the same bits.
            let t = m.t().as_standard_layout().into_owned();
            let mut out_t = vec![0.0; r];
            gemv(t.t(), ArrayView1::from(&x), &mut out_t);
            assert_eq!(
                out_t.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                rows.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
            );
            // f32 in groups of rows, as its own dot products.
            let m32 = m.mapv(|v| v as f32);
            let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
            let rows32: Vec<u32> = (0..r)
                .map(|i| dot_slices(m32.row(i).to_slice().unwrap(), &x32).to_bits())
                .collect();
            let mut out32 = vec![0.0f32; r];
            gemv(m32.view(), ArrayView1::from(&x32), &mut out32);
            assert_eq!(
                out32.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                rows32
            );
        }
    }
}
