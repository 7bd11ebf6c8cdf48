//! Bounds of what a range of a kernel's positions reads of an input: the box of
//! coordinates the positions span, mapped through the input's affine map — as rows of the
//! input's array and, where the map keeps rows and columns apart (a transpose, a slice of
//! columns), the columns of those rows. A transposed read then fetches the block of columns
//! it reads from each row it lacks, not the whole rows.

use crate::fuse::Input;
use std::ops::Range;

/// Every `step`-th index of `range`, from its start: the rows, or the columns of each row,
/// that a read touches (a strided read, `u[::8, ::8]`, touches one in eight of each).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Strided {
    /// From the first index touched to one past the last.
    pub(super) range: Range<usize>,
    /// The distance between indices touched (1 or more).
    pub(super) step: usize,
}

impl Strided {
    /// Every index of `range`.
    pub(super) fn all(range: Range<usize>) -> Strided {
        Strided { range, step: 1 }
    }

    /// The indices touched.
    pub(super) fn indices(&self) -> std::iter::StepBy<Range<usize>> {
        self.range.clone().step_by(self.step)
    }

    /// How many indices are touched.
    pub(super) fn count(&self) -> usize {
        self.range.len().div_ceil(self.step)
    }

    /// The indices touched within `within`.
    pub(super) fn within(&self, within: &Range<usize>) -> Strided {
        let r = &self.range;
        let start = if within.start > r.start {
            r.start + (within.start - r.start).div_ceil(self.step) * self.step
        } else {
            r.start
        };
        let end = r.end.min(within.end);
        Strided {
            range: start..end.max(start),
            step: self.step,
        }
    }

    /// Indices touched by either (a superset: one range, with a common step where the
    /// two have one).
    pub(super) fn union(&self, other: &Strided) -> Strided {
        if self.range.is_empty() {
            return other.clone();
        }
        if other.range.is_empty() {
            return self.clone();
        }
        let same = self.step == other.step
            && self.range.start % self.step == other.range.start % other.step;
        Strided {
            range: self.range.start.min(other.range.start)..self.range.end.max(other.range.end),
            step: if same { self.step } else { 1 },
        }
    }
}

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
) -> Option<(Strided, Strided)> {
    let span = coordinate_box(dims, positions)?;
    let t = (row_len * parts) as i64;
    let (row, column) = (input.offset.div_euclid(t), input.offset.rem_euclid(t));
    let (mut r0, mut r1, mut c0, mut c1) = (row, row, column, column);
    let (mut lo, mut hi) = (input.offset, input.offset);
    // The steps between rows, and between parts within a row, that the reads keep: the
    // greatest common divisor of the strides of the coordinates that vary.
    let (mut row_step, mut part_step) = (0, 0);
    for ((a, b), &stride) in span.iter().zip(&input.strides) {
        let (x, y) = (stride * *a as i64, stride * *b as i64);
        let (low, high) = (x.min(y), x.max(y));
        (lo, hi) = (lo + low, hi + high);
        if stride % t == 0 {
            (r0, r1) = (r0 + low / t, r1 + high / t);
            if a != b {
                row_step = gcd(row_step, (stride / t).unsigned_abs());
            }
        } else {
            (c0, c1) = (c0 + low, c1 + high);
            if a != b {
                part_step = gcd(part_step, stride.unsigned_abs());
            }
        }
    }
    let clamp = |r: Range<i64>| r.start.max(0) as usize..(r.end.max(0) as usize).min(rows);
    if c0 >= 0 && c1 < t {
        let parts = parts as i64;
        let columns = (c0 / parts) as usize..(c1 / parts) as usize + 1;
        // A step between parts that is a whole number of elements (one part of each).
        let column_step = match part_step as i64 {
            0 => 1,
            s if s % parts == 0 => (s / parts) as usize,
            _ => 1,
        };
        let step = row_step.max(1) as i64;
        // The first row read at or after row 0.
        let first = if r0 < 0 {
            r0 + (step - r0 - 1) / step * step
        } else {
            r0
        };
        let rows_read = Strided {
            range: clamp(first..r1 + 1),
            step: step as usize,
        };
        Some((
            rows_read,
            Strided {
                range: columns,
                step: column_step,
            },
        ))
    } else {
        // Steps that cross rows: whole rows from the first element's to the last's.
        let rows_read = clamp(lo.div_euclid(t)..hi.div_euclid(t) + 1);
        Some((Strided::all(rows_read), Strided::all(0..row_len)))
    }
}

/// The greatest common divisor of `a` and `b` (`b` when `a` is 0).
fn gcd(a: u64, b: u64) -> u64 {
    if a == 0 { b } else { gcd(b % a, a) }
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
