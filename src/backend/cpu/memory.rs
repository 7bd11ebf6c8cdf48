//! Memory of the CPU backend: arrays that die inside a plan are kept in a small pool and
//! reused for later results of the same size (double buffering in time-stepping loops), and
//! an indexed update copies only what its kernel does not overwrite.

use super::exec::CHUNK;
use crate::dtype::DType;
use crate::fuse::Kernel;
use crate::runtime::Array;
use rayon::prelude::*;
use std::rc::Rc;

/// For an indexed update that covers most of its array: where each row of the region
/// `kernel` stores starts in the (row-major) array of `total` elements, so that only the
/// gaps between rows need copying from the old array. None when the region's rows are not
/// contiguous and increasing or cover less than half the array (then copy it all).
pub(super) fn row_starts(kernel: &Kernel, total: usize) -> Option<Vec<usize>> {
    let d = kernel.dims.len();
    let inner = kernel.dims[d - 1];
    if kernel.out_strides[d - 1] != 1 || 2 * kernel.dims.iter().product::<usize>() < total {
        return None;
    }
    let rows: usize = kernel.dims[..d - 1].iter().product();
    let mut starts = Vec::with_capacity(rows);
    for row in 0..rows {
        let (mut off, mut r) = (kernel.out_offset, row);
        for k in (0..d - 1).rev() {
            off += kernel.out_strides[k] * (r % kernel.dims[k]) as i64;
            r /= kernel.dims[k];
        }
        let prev_end = starts.last().map_or(0, |&s: &usize| s + inner);
        if off < prev_end as i64 || off as usize + inner > total {
            return None;
        }
        starts.push(off as usize);
    }
    Some(starts)
}

/// The elements an update keeps from its old array (the gaps between the rows of its
/// region, see [`row_starts`]), copied by the pieces of the kernel that stores the region:
/// each piece copies the gap before every row it starts, so a row's cache lines are written
/// by one thread.
pub(super) struct Gaps {
    /// Byte address of the old array (row-major, as long as the new one).
    pub(super) src: i64,
    /// Element size in bytes.
    pub(super) size: usize,
    /// Elements in the array.
    pub(super) total: usize,
    /// Where each row of the region starts.
    pub(super) starts: Vec<usize>,
}

impl Gaps {
    /// Copies into `dst` (the new array's byte address) the gaps owned by the piece that
    /// stores kernel positions `start..end` (rows of `inner` elements); the piece that
    /// reaches position `positions` (the last) also copies the gap after the last row.
    pub(super) fn copy(&self, dst: i64, inner: usize, start: usize, end: usize, positions: usize) {
        for r in start.div_ceil(inner)..end.div_ceil(inner) {
            let from = if r == 0 {
                0
            } else {
                self.starts[r - 1] + inner
            };
            self.copy_span(dst, from, self.starts[r]);
        }
        if end == positions
            && let Some(&last) = self.starts.last()
        {
            self.copy_span(dst, last + inner, self.total);
        }
    }

    /// The gaps (element ranges kept from the old array) inside elements `span`, for a
    /// region of rows of `inner` elements.
    pub(super) fn within(
        &self,
        inner: usize,
        span: std::ops::Range<usize>,
    ) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
        let n = self.starts.len();
        let first = self.starts.partition_point(|&s| s + inner <= span.start);
        let last = self.starts.partition_point(|&s| s < span.end).min(n);
        (first..=last).filter_map(move |r| {
            let from = if r == 0 {
                0
            } else {
                self.starts[r - 1] + inner
            };
            let to = if r == n { self.total } else { self.starts[r] };
            let (from, to) = (from.max(span.start), to.min(span.end));
            (to > from).then_some(from..to)
        })
    }

    /// Copies elements `from..to` of the old array into `dst` (the new array's byte
    /// address).
    pub(super) fn copy_span(&self, dst: i64, from: usize, to: usize) {
        let to = to.min(self.total);
        if to > from {
            let n = (to - from) * self.size;
            let (s, d) = (
                self.src as usize + from * self.size,
                dst as usize + from * self.size,
            );
            // SAFETY: both arrays are row-major with `total` elements, `from..to` lies
            // inside them, and they are different allocations (the new array is a pooled
            // one, the old one still bound in its buffer).
            #[allow(unsafe_code)]
            unsafe {
                std::ptr::copy_nonoverlapping(s as *const u8, d as *mut u8, n)
            };
        }
    }
}

/// Copies `src` into `dst` (same dtype and length, `dst` row-major), in parallel pieces.
pub(super) fn copy_into(dst: &mut Array, src: &Array) {
    macro_rules! copy {
        ($variant:ident) => {{
            let (Array::$variant(d), Array::$variant(s)) = (dst, src) else {
                unreachable!("same dtype")
            };
            match (d.as_slice_mut(), s.as_slice()) {
                (Some(d), Some(s)) => d
                    .par_chunks_mut(CHUNK)
                    .zip(s.par_chunks(CHUNK))
                    .for_each(|(d, s)| d.copy_from_slice(s)),
                _ => d.assign(s),
            }
        }};
    }
    match src.dtype() {
        DType::F64 => copy!(F64),
        DType::F32 => copy!(F32),
        DType::I64 => copy!(I64),
        DType::Bool => copy!(Bool),
        DType::C128 => copy!(C128),
    }
}

/// Large arrays that died inside a plan: a time-stepping loop computed as one plan reuses
/// them (double buffering) instead of allocating and faulting in fresh pages every step.
#[derive(Default)]
pub(super) struct Pool {
    /// Each held by the pool alone, in its `Rc` (handing one out allocates nothing).
    arrays: Vec<Rc<Array>>,
}

impl Pool {
    /// Arrays smaller than this are not worth keeping.
    const MIN_LEN: usize = 1 << 6;
    /// At most this many arrays are kept.
    const CAPACITY: usize = 8;

    /// Keeps `a` if nothing else holds it and it is large.
    pub(super) fn give(&mut self, a: Rc<Array>) {
        if Rc::strong_count(&a) == 1
            && Rc::weak_count(&a) == 0
            && a.len() >= Self::MIN_LEN
            && a.dtype() != crate::dtype::DType::C128
        {
            if self.arrays.len() == Self::CAPACITY {
                self.arrays.remove(0);
            }
            let a = if a.is_standard_layout() {
                a
            } else {
                Rc::new(Rc::unwrap_or_clone(a).into_standard_layout())
            };
            self.arrays.push(a);
        }
    }

    /// A kept array of `dtype` and `len` elements (its contents are to be overwritten).
    /// Nothing else holds it.
    pub(super) fn take(&mut self, dtype: crate::dtype::DType, len: usize) -> Option<Rc<Array>> {
        let i = self
            .arrays
            .iter()
            .position(|a| a.dtype() == dtype && a.len() == len)?;
        Some(self.arrays.swap_remove(i))
    }
}

/// Whether `kernel` stores the constant whose bits are all zero (`zeros`, `False`): a new
/// array of it comes zeroed from the allocator.
pub(super) fn fills_zeros(kernel: &crate::fuse::Kernel) -> bool {
    use crate::runtime::Scalar;
    match kernel.body.as_slice() {
        [v] => match v.inst {
            crate::fuse::Inst::Const(c) => match c {
                Scalar::Bool(x) => !x,
                Scalar::I64(x) => x == 0,
                Scalar::F32(x) => x.to_bits() == 0,
                Scalar::F64(x) => x.to_bits() == 0,
                Scalar::C128(_) => false,
            },
            _ => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::Gaps;

    /// Pieces of any size, split anywhere (mid-row too), together copy exactly the elements
    /// outside the region's rows, each once.
    #[test]
    fn pieces_copy_exactly_the_gaps() {
        // A 7×9 array whose region is rows 1..6, columns 2..7 (5 rows of 5).
        let (rows, cols, inner) = (7usize, 9usize, 5usize);
        let total = rows * cols;
        let starts: Vec<usize> = (1..6).map(|r| r * cols + 2).collect();
        let in_region = |i: usize| starts.iter().any(|&s| (s..s + inner).contains(&i));
        let src: Vec<f64> = (0..total).map(|i| i as f64).collect();
        let positions = starts.len() * inner;
        for piece in [1, 2, 3, 5, 7, 11, positions] {
            let mut dst = vec![-1.0f64; total];
            let gaps = Gaps {
                src: src.as_ptr() as i64,
                size: 8,
                total,
                starts: starts.clone(),
            };
            let mut start = 0;
            while start < positions {
                let end = (start + piece).min(positions);
                gaps.copy(dst.as_mut_ptr() as i64, inner, start, end, positions);
                start = end;
            }
            for i in 0..total {
                let want = if in_region(i) { -1.0 } else { src[i] };
                assert_eq!(dst[i], want, "element {i}, pieces of {piece}");
            }
        }
    }

    /// The gaps inside any span of elements are exactly the elements of the span outside
    /// the region's rows (what one process of a spread update copies for its own rows).
    #[test]
    fn gaps_within_a_span_are_the_span_outside_the_region() {
        let (rows, cols, inner) = (7usize, 9usize, 5usize);
        let total = rows * cols;
        let starts: Vec<usize> = (1..6).map(|r| r * cols + 2).collect();
        let in_region = |i: usize| starts.iter().any(|&s| (s..s + inner).contains(&i));
        let gaps = Gaps {
            src: 0,
            size: 8,
            total,
            starts: starts.clone(),
        };
        for lo in 0..=total {
            for hi in lo..=total {
                let mut got: Vec<usize> = gaps.within(inner, lo..hi).flatten().collect();
                got.sort_unstable();
                let want: Vec<usize> = (lo..hi).filter(|&i| !in_region(i)).collect();
                assert_eq!(got, want, "span {lo}..{hi}");
            }
        }
    }
}
