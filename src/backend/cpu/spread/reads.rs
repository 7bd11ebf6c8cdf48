//! Bounds of what a range of a kernel's positions reads of an input: the box of
//! coordinates the positions span, mapped through the input's affine map — as rows of the
//! input's array and, where the map keeps rows and columns apart (a transpose, a slice of
//! columns), the columns of those rows. A transposed read then fetches the block of columns
//! it reads from each row it lacks, not the whole rows.

use crate::fuse::Input;
use std::ops::Range;

/// The rows, and the columns of each row (elements within it), that `input` reads at
/// `positions` of a kernel over `dims`, from an array of `rows` rows of `row_len` elements
/// of `parts` of the input's elements each (2 where it reads a part of a complex element;
/// its offset and strides count parts). None for no positions.
pub(super) fn rows_and_columns(
    input: &Input,
    dims: &[usize],
    positions: Range<usize>,
    rows: usize,
    (row_len, parts): (usize, usize),
) -> Option<(Range<usize>, Range<usize>)> {
    let span = coordinate_box(dims, positions)?;
    let t = (row_len * parts) as i64;
    let (row, column) = (input.offset.div_euclid(t), input.offset.rem_euclid(t));
    let (mut r0, mut r1, mut c0, mut c1) = (row, row, column, column);
    let (mut lo, mut hi) = (input.offset, input.offset);
    for ((a, b), &stride) in span.iter().zip(&input.strides) {
        let (x, y) = (stride * *a as i64, stride * *b as i64);
        let (low, high) = (x.min(y), x.max(y));
        (lo, hi) = (lo + low, hi + high);
        if stride % t == 0 {
            (r0, r1) = (r0 + low / t, r1 + high / t);
        } else {
            (c0, c1) = (c0 + low, c1 + high);
        }
    }
    let clamp = |r: Range<i64>| r.start.max(0) as usize..(r.end.max(0) as usize).min(rows);
    if c0 >= 0 && c1 < t {
        let parts = parts as i64;
        let columns = (c0 / parts) as usize..(c1 / parts) as usize + 1;
        Some((clamp(r0..r1 + 1), columns))
    } else {
        // Steps that cross rows: whole rows from the first element's to the last's.
        Some((clamp(lo.div_euclid(t)..hi.div_euclid(t) + 1), 0..row_len))
    }
}

/// The least and greatest coordinate along each of `dims` of `positions` (row-major):
/// the box they span. None for no positions.
fn coordinate_box(dims: &[usize], positions: Range<usize>) -> Option<Vec<(usize, usize)>> {
    if positions.is_empty() {
        return None;
    }
    let (mut first, mut last) = (positions.start, positions.end - 1);
    let mut spanned = false;
    let mut span = Vec::with_capacity(dims.len());
    for (d, &n) in dims.iter().enumerate() {
        if spanned {
            span.push((0, n.saturating_sub(1)));
            continue;
        }
        let inner: usize = dims[d + 1..].iter().product();
        let (a, b) = (first / inner, last / inner);
        spanned = a != b;
        first %= inner;
        last %= inner;
        span.push((a, b));
    }
    Some(span)
}
