//! Memory of the CPU backend: arrays that die inside a plan are kept in a small pool and
//! reused for later results of the same size (double buffering in time-stepping loops), and
//! an indexed update copies only what its kernel does not overwrite.

use super::exec::CHUNK;
use crate::dtype::DType;
use crate::fuse::Kernel;
use crate::runtime::Array;
use rayon::prelude::*;
use std::rc::Rc;

/// For an indexed update that covers most of its array: copies from `src` into `dst` only
/// the elements outside the region `kernel` stores (the gaps between its rows), so the
/// array is written once. Returns false, copying nothing, when the region's rows are not
/// contiguous and increasing or cover less than half the array (then copy it all).
pub(super) fn copy_outside(dst: &mut Array, src: &Array, kernel: &Kernel) -> bool {
    let d = kernel.dims.len();
    let inner = kernel.dims[d - 1];
    let total = src.len();
    if kernel.out_strides[d - 1] != 1 || 2 * kernel.dims.iter().product::<usize>() < total {
        return false;
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
        if off < prev_end as i64 {
            return false;
        }
        starts.push(off as usize);
    }
    macro_rules! gaps {
        ($variant:ident) => {{
            let (Array::$variant(dv), Array::$variant(sv)) = (dst, src) else {
                unreachable!("same dtype")
            };
            let (Some(dv), Some(sv)) = (dv.as_slice_mut(), sv.as_slice()) else {
                return false;
            };
            let mut from = 0;
            for &start in &starts {
                dv[from..start].copy_from_slice(&sv[from..start]);
                from = start + inner;
            }
            dv[from..].copy_from_slice(&sv[from..]);
        }};
    }
    match src.dtype() {
        DType::F64 => gaps!(F64),
        DType::F32 => gaps!(F32),
        DType::I64 => gaps!(I64),
        DType::Bool => gaps!(Bool),
        DType::C128 => gaps!(C128),
    }
    true
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
    arrays: Vec<Array>,
}

impl Pool {
    /// Arrays smaller than this are not worth keeping.
    const MIN_LEN: usize = 1 << 6;
    /// At most this many arrays are kept.
    const CAPACITY: usize = 8;

    /// Keeps `a` if nothing else holds it and it is large.
    pub(super) fn give(&mut self, a: Rc<Array>) {
        if let Ok(a) = Rc::try_unwrap(a)
            && a.len() >= Self::MIN_LEN
            && a.dtype() != crate::dtype::DType::C128
        {
            if self.arrays.len() == Self::CAPACITY {
                self.arrays.remove(0);
            }
            self.arrays.push(a.into_standard_layout());
        }
    }

    /// A kept array of `dtype` and `len` elements (its contents are to be overwritten).
    pub(super) fn take(&mut self, dtype: crate::dtype::DType, len: usize) -> Option<Array> {
        let i = self
            .arrays
            .iter()
            .position(|a| a.dtype() == dtype && a.len() == len)?;
        Some(self.arrays.swap_remove(i))
    }
}
