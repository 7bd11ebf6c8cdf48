//! Kernels over arrays larger than the adapter binds at once (`max_storage_buffer_binding_size`,
//! 128 MiB on lavapipe, whose buffers may hold 2 GiB): the kernel runs as several dispatches,
//! each binding only the window of each buffer that its part reads or writes (windows start
//! at multiples of the adapter's offset alignment). Two ways to cut a kernel:
//!
//! - stores and reductions along the last axis of two or more dims run in bands of rows of
//!   their leading iteration dimension: a band is the same shader with other `info`, the
//!   leading dimension shortened and every offset moved to the band's first row and then to
//!   its window's start (a reduction band's rows are whole rows: its partials and results
//!   are its own, copied into place);
//! - reductions over all axes run in spans of whole blocks of the fixed tree (`fuse::tree`):
//!   a span keeps the kernel's dims and numbers its elements by their place in the whole
//!   reduction (its first block is an `info` word), only its offsets move to its windows'
//!   starts; the spans' partials, laid end to end, are the whole reduction's, combined by
//!   one second pass.
//!
//! A draw numbers its elements by its counter input, which moves with a band's first row
//! and stays put in a span, so draws are cut like any other kernel; a complex element's
//! halves are addressed from its place, so windows start at whole elements.

use super::transfer::device_size;
use crate::fuse::{Kernel, Output, Source};

/// One dispatch of a banded kernel.
pub(super) struct Band {
    /// The kernel over the band's rows, its offsets relative to the windows.
    pub kernel: Kernel,
    /// For a span of an all-axes reduction, its first block and block count.
    pub span: Option<(usize, usize)>,
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

/// The bands (or spans) of `kernel` (its input offsets as it runs) whose every window fits
/// `max_binding` bytes, windows starting at multiples of `align`: `buffers` are the plan
/// buffers of the shader's bindings from 2 on, `aliased` the buffer read through the output
/// binding. `None` when the kernel cannot be cut or one row (one block) alone does not fit.
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
    let all_axes = matches!(kernel.output, Output::Reduce { axis: false, .. });
    if !(store || row_reduction || all_axes) || kernel.dims.is_empty() {
        return None;
    }
    let maps = Maps::of(kernel, buffers, aliased)?;
    let fits = |r0: usize, rows: usize| {
        (maps.0.iter()).all(|b| b.is_empty() || window(kernel, b, r0, rows, align).1 <= max_binding)
    };
    if all_axes {
        return spans(kernel, &maps, &fits, align);
    }
    let total = kernel.dims[0];
    let mut bands = vec![];
    let mut r0 = 0;
    while r0 < total {
        let good = most(total - r0, |rows| fits(r0, rows));
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
        let windows = maps.move_into_windows(&mut band, r0, good, align, true);
        bands.push(Band {
            kernel: band,
            span: None,
            windows,
        });
        r0 += good;
    }
    Some(bands)
}

/// The spans of whole blocks of an all-axes reduction (see the module doc): each the most
/// blocks whose rows of the leading dimension fit `fits`.
fn spans(
    kernel: &Kernel,
    maps: &Maps,
    fits: &impl Fn(usize, usize) -> bool,
    align: u64,
) -> Option<Vec<Band>> {
    use crate::fuse::tree::BLOCK;
    let total: usize = kernel.dims.iter().product();
    let inner = kernel.dims[1..].iter().product::<usize>().max(1);
    // The rows of the leading dimension that blocks [b0, b0 + n) reach.
    let rows = |b0: usize, n: usize| {
        let first = b0 * BLOCK / inner;
        let last = ((b0 + n) * BLOCK).min(total).saturating_sub(1) / inner;
        (first, last + 1 - first)
    };
    let blocks = total.div_ceil(BLOCK);
    let mut spans = vec![];
    let mut b0 = 0;
    while b0 < blocks {
        let good = most(blocks - b0, |n| {
            let (r0, count) = rows(b0, n);
            fits(r0, count)
        });
        if good == 0 {
            return None;
        }
        let mut span = kernel.clone();
        let (r0, count) = rows(b0, good);
        let windows = maps.move_into_windows(&mut span, r0, count, align, false);
        spans.push(Band {
            kernel: span,
            span: Some((b0, good)),
            windows,
        });
        b0 += good;
    }
    Some(spans)
}

/// The largest `n` in `0..=most` for which `fits(n)` holds (`fits` holds for every smaller
/// `n` where it holds for `n`: a window grows with what it covers).
fn most(most: usize, fits: impl Fn(usize) -> bool) -> usize {
    let (mut good, mut bad) = (0, most + 1);
    while bad - good > 1 {
        let mid = (good + bad) / 2;
        if fits(mid) {
            good = mid;
        } else {
            bad = mid;
        }
    }
    good
}

/// The maps into each binding: the output's (and an aliased input's), then each buffer's,
/// each with the input it is (`None` for the output).
struct Maps(Vec<Vec<(Option<usize>, Map)>>);

impl Maps {
    /// The maps of `kernel`'s bindings, or `None` when an input's buffer is not bound.
    fn of(kernel: &Kernel, buffers: &[usize], aliased: Option<usize>) -> Option<Maps> {
        let mut maps: Vec<Vec<_>> = (0..=buffers.len()).map(|_| vec![]).collect();
        if matches!(kernel.output, Output::Store(_)) {
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
        Some(Maps(maps))
    }

    /// The windows of rows `[r0, r0 + rows)`, moving `part`'s offsets to their starts (and
    /// to row `r0` first where `shift`, for a band whose rows are numbered from its first).
    fn move_into_windows(
        &self,
        part: &mut Kernel,
        r0: usize,
        rows: usize,
        align: u64,
        shift: bool,
    ) -> Vec<Option<(u64, u64)>> {
        let mut windows = Vec::with_capacity(self.0.len());
        for binding in &self.0 {
            if binding.is_empty() {
                windows.push(None);
                continue;
            }
            let (start, bytes) = window(part, binding, r0, rows, align);
            windows.push(Some((start, bytes)));
            for (who, m) in binding {
                let first = match m.strides.first() {
                    Some(s) if shift => s * r0 as i64,
                    _ => 0,
                };
                let moved = m.offset + first - (start / m.bytes) as i64;
                match who {
                    Some(n) => part.inputs[*n].offset = moved,
                    None => part.out_offset = moved,
                }
            }
        }
        windows
    }
}

/// The window of one binding over rows `[r0, r0 + rows)` of `kernel`'s leading dimension:
/// (start byte, a multiple of `align`; bytes).
fn window(
    kernel: &Kernel,
    binding: &[(Option<usize>, Map)],
    r0: usize,
    rows: usize,
    align: u64,
) -> (u64, u64) {
    let (mut lo, mut hi) = (u64::MAX, 0);
    for (_, m) in binding {
        let (a, b) = m.reach(&kernel.dims, r0, rows);
        lo = lo.min(a.max(0) as u64 * m.bytes);
        hi = hi.max((b.max(0) as u64 + 1) * m.bytes);
    }
    // A start every map's elements divide (both are powers of two).
    let unit = (binding.iter().map(|(_, m)| m.bytes)).fold(align, u64::max);
    let start = lo / unit * unit;
    (start, (hi - start).next_multiple_of(4))
}
