//! Whether an indexed update may write into the array it reads (`p[:, -1] = p[:, -2]`,
//! `x[1:-1] = x[1:-1] * 2`) instead of into a copy: when every read of that array touches
//! either exactly the element being written at the same coordinate, or none of the
//! elements written at all.
//!
//! Reads and writes are affine maps over the kernel's iteration space into a row-major
//! buffer. Each map is turned into one index interval per array axis (an over-approximation
//! of the coordinates it touches); two maps are disjoint when some axis has disjoint
//! intervals. Maps whose steps do not fall within one axis answer "may overlap".

use super::contiguous_strides;
use super::ir::{Kernel, Source};

/// Whether `kernel`, an indexed update storing into buffer `buf` of `shape` (row-major),
/// can run on that buffer itself.
pub fn update_in_place_ok(kernel: &Kernel, buf: usize, shape: &[usize]) -> bool {
    let write = axis_ranges(kernel.out_offset, &kernel.out_strides, &kernel.dims, shape);
    kernel
        .inputs
        .iter()
        .filter(|i| i.source == Source::Buffer(buf))
        .all(|i| {
            let same = i.offset == kernel.out_offset
                && i.strides
                    .iter()
                    .zip(&kernel.out_strides)
                    .zip(&kernel.dims)
                    .all(|((&a, &b), &d)| a == b || d <= 1);
            same || match (
                &write,
                axis_ranges(i.offset, &i.strides, &kernel.dims, shape),
            ) {
                (Some(w), Some(r)) => w.iter().zip(&r).any(|(a, b)| a.1 < b.0 || b.1 < a.0),
                _ => false,
            }
        })
}

/// For each axis of a row-major array of `shape`, the interval of indices the map
/// `offset + Σ coord[k]·strides[k]` (coord[k] < dims[k]) can touch; `None` when a step
/// does not stay within one axis.
fn axis_ranges(
    offset: i64,
    strides: &[i64],
    dims: &[usize],
    shape: &[usize],
) -> Option<Vec<(i64, i64)>> {
    let cs = contiguous_strides(shape);
    let size: i64 = shape.iter().map(|&d| d as i64).product();
    if offset < 0 || offset >= size.max(1) {
        return None;
    }
    let mut ranges: Vec<(i64, i64)> = Vec::with_capacity(shape.len());
    let mut rest = offset;
    for &c in &cs {
        ranges.push((rest / c, rest / c));
        rest %= c;
    }
    for (&s, &d) in strides.iter().zip(dims) {
        if s == 0 || d <= 1 {
            continue;
        }
        let a = (0..shape.len()).find(|&a| {
            let upper = if a == 0 { i64::MAX } else { cs[a - 1] };
            cs[a] <= s.abs() && s.abs() < upper
        })?;
        if s % cs[a] != 0 {
            return None;
        }
        let reach = s / cs[a] * (d as i64 - 1);
        let r = &mut ranges[a];
        if reach > 0 {
            r.1 += reach;
        } else {
            r.0 += reach;
        }
        if r.0 < 0 || r.1 >= shape[a] as i64 {
            return None;
        }
    }
    Some(ranges)
}

#[cfg(test)]
mod tests {
    use super::axis_ranges;

    #[test]
    fn columns_and_rows_become_intervals() {
        // Column 5 of a 4×6 array: rows 0..4 at stride 6.
        assert_eq!(
            axis_ranges(5, &[6], &[4], &[4, 6]),
            Some(vec![(0, 3), (5, 5)])
        );
        // Row 1 without its ends.
        assert_eq!(
            axis_ranges(7, &[1], &[4], &[4, 6]),
            Some(vec![(1, 1), (1, 4)])
        );
        // A merged walk over rows wraps into the next axis: unknown.
        assert_eq!(axis_ranges(0, &[1], &[24], &[4, 6]), None);
        // Reversed.
        assert_eq!(
            axis_ranges(5, &[-1], &[6], &[4, 6]),
            Some(vec![(0, 0), (0, 5)])
        );
    }
}
