//! Kernels over arrays larger than the adapter binds at once (`max_storage_buffer_binding_size`,
//! 128 MiB on lavapipe, whose buffers may hold 2 GiB): the kernel runs as several dispatches,
//! each over a band of rows of its leading iteration dimension, and binds only the window of
//! each buffer that its band reads or writes. A band is the same shader with other `info`:
//! the leading dimension shortened and every offset moved to the band's first row and then
//! to its window's start (a multiple of the adapter's offset alignment).
//!
//! Stores are banded, and reductions along the last axis of two or more dims (a band's
//! rows are whole rows of the reduction: its partials and results are its own, copied into
//! place); not reductions over all axes (blocks span rows), draws (a draw numbers its
//! elements by their place in the whole result) or complex arrays (their halves are
//! addressed by the shader, not by `info`).

use super::transfer::device_size;
use crate::dtype::DType;
use crate::fuse::{Inst, Kernel, Output, Source};

/// One dispatch of a banded kernel.
pub(super) struct Band {
    /// The kernel over the band's rows, its offsets relative to the windows.
    pub kernel: Kernel,
    /// The window `(byte offset, bytes)` of each binding from 1 on: the output (`None` for
    /// a reduction, whose partials are the band's own buffer), then the shader's input
    /// buffers in order.
    pub windows: Vec<Option<(u64, u64)>>,
}

/// An affine map into a binding: offset and strides in elements of `bytes` each.
struct Map {
    offset: i64,
    strides: Vec<i64>,
    bytes: u64,
}

impl Map {
    /// The lowest and highest element the map reaches over `rows` rows from row `r0`.
    fn reach(&self, dims: &[usize], r0: usize, rows: usize) -> (i64, i64) {
        let mut lo = self.offset + self.strides.first().map_or(0, |s| s * r0 as i64);
        let mut hi = lo;
        let counts = std::iter::once(rows).chain(dims.iter().skip(1).copied());
        for (&s, n) in self.strides.iter().zip(counts) {
            let far = s * (n as i64 - 1);
            lo += far.min(0);
            hi += far.max(0);
        }
        (lo, hi)
    }
}

/// The bands of `kernel` (a store or a row reduction; its input offsets as it runs) whose
/// every window fits `max_binding` bytes, windows starting at multiples of `align`:
/// `buffers` are the plan buffers of the shader's bindings from 2 on, `aliased` the buffer
/// read through the output binding. `None` when the kernel cannot be banded or one row
/// alone does not fit.
pub(super) fn bands(
    kernel: &Kernel,
    buffers: &[usize],
    aliased: Option<usize>,
    max_binding: u64,
    align: u64,
) -> Option<Vec<Band>> {
    let store = matches!(kernel.output, Output::Store(_));
    // Rows of at least 8 elements: a band's partials (4 lanes per block of a row, at most
    // twice an element's bytes) are then no larger than the elements it reads.
    let row_reduction = matches!(kernel.output, Output::Reduce { axis: true, .. })
        && kernel.dims.len() >= 2
        && kernel
            .dims
            .last()
            .is_some_and(|&n| n >= 2 * crate::fuse::tree::LANES);
    let draws = (kernel.body.iter()).any(|v| matches!(v.inst, Inst::Random { .. }));
    let complex = (kernel.inputs.iter().map(|i| i.dtype))
        .chain(kernel.body.iter().map(|v| v.dtype))
        .any(|d| d == DType::C128);
    if !(store || row_reduction) || draws || complex || kernel.dims.is_empty() {
        return None;
    }
    // The maps into each binding: the output's (and an aliased input's), then each buffer's.
    let mut maps: Vec<Vec<(Option<usize>, Map)>> = (0..=buffers.len()).map(|_| vec![]).collect();
    if store {
        maps[0].push((
            None,
            Map {
                offset: kernel.out_offset,
                strides: kernel.out_strides.clone(),
                bytes: device_size(kernel.result_dtype()) as u64,
            },
        ));
    }
    for (n, input) in kernel.inputs.iter().enumerate() {
        let Source::Buffer(b) = input.source else {
            continue;
        };
        let binding = match buffers.iter().position(|&x| x == b) {
            _ if Some(b) == aliased => 0,
            Some(k) => k + 1,
            None => return None,
        };
        let map = Map {
            offset: input.offset,
            strides: input.strides.clone(),
            bytes: device_size(input.dtype) as u64,
        };
        maps[binding].push((Some(n), map));
    }
    // The window of one binding over rows [r0, r0 + rows): (start byte, bytes).
    let window = |binding: &[(Option<usize>, Map)], r0: usize, rows: usize| -> (u64, u64) {
        let (mut lo, mut hi) = (u64::MAX, 0);
        for (_, m) in binding {
            let (a, b) = m.reach(&kernel.dims, r0, rows);
            lo = lo.min(a.max(0) as u64 * m.bytes);
            hi = hi.max((b.max(0) as u64 + 1) * m.bytes);
        }
        let start = lo / align * align;
        (start, (hi - start).next_multiple_of(4))
    };
    let fits = |r0: usize, rows: usize| {
        maps.iter()
            .all(|b| b.is_empty() || window(b, r0, rows).1 <= max_binding)
    };
    let total = kernel.dims[0];
    let mut bands = vec![];
    let mut r0 = 0;
    while r0 < total {
        // The most rows from r0 that fit (a window grows with its rows).
        let (mut good, mut bad) = (0, total - r0 + 1);
        while bad - good > 1 {
            let mid = (good + bad) / 2;
            if fits(r0, mid) {
                good = mid;
            } else {
                bad = mid;
            }
        }
        if good == 0 {
            return None;
        }
        let mut band = kernel.clone();
        band.dims[0] = good;
        // A counter's value moves with the band's first row too (it has no window).
        for input in &mut band.inputs {
            if input.source == Source::Counter {
                input.offset += input.strides.first().map_or(0, |s| s * r0 as i64);
            }
        }
        let mut windows = Vec::with_capacity(maps.len());
        for binding in &maps {
            if binding.is_empty() {
                windows.push(None);
                continue;
            }
            let (start, bytes) = window(binding, r0, good);
            windows.push(Some((start, bytes)));
            for (who, m) in binding {
                let first = m.strides.first().map_or(0, |s| s * r0 as i64);
                let moved = m.offset + first - (start / m.bytes) as i64;
                match who {
                    Some(n) => band.inputs[*n].offset = moved,
                    None => band.out_offset = moved,
                }
            }
        }
        bands.push(Band {
            kernel: band,
            windows,
        });
        r0 += good;
    }
    Some(bands)
}
