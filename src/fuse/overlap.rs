//! Whether an indexed update may write into the array it reads (`p[:, -1] = p[:, -2]`,
//! `x[1:-1] = x[1:-1] * 2`) instead of into a copy: when every read of that array touches
//! either exactly the element being written at the same coordinate, or none of the
//! elements written at all.
//!
//! Reads and writes are affine maps over the kernel's iteration space into a row-major
//! buffer. Each map is turned into one index range per array axis (an interval and a step:
//! an over-approximation of the coordinates it touches); two maps are disjoint when some
//! axis has disjoint ranges. Maps whose steps do not fall within one axis answer "may
//! overlap".
//!
//! Two decisions of the plan serve the same end: `update_order` computes the roots that
//! read an array before the root that updates it, and [`cannot_fail`] names the steps after
//! which a backend may already update a lent parameter in place.

use super::ir::{Kernel, Source};
use smallvec::SmallVec;

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
                (Some(w), Some(r)) => w.iter().zip(&r).any(|(a, b)| a.disjoint(b)),
                _ => false,
            }
        })
}

/// The indices a map can touch along one axis: from `lo` to `hi`, every `step`-th one
/// (`step` 0: `lo` alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Range {
    lo: i64,
    hi: i64,
    step: i64,
}

impl Range {
    /// Whether two ranges share no index: their intervals do not meet, or they step through
    /// different residues (`u[1::2]` against `u[0::2]`, the red and black points of SOR).
    fn disjoint(&self, other: &Range) -> bool {
        let g = gcd(self.step, other.step);
        self.hi < other.lo || other.hi < self.lo || g > 1 && (self.lo - other.lo) % g != 0
    }
}

fn gcd(a: i64, b: i64) -> i64 {
    let (mut a, mut b) = (a.abs(), b.abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// For each axis of a row-major array of `shape`, the range of indices the map
/// `offset + Σ coord[k]·strides[k]` (coord[k] < dims[k]) can touch; `None` when a step
/// does not stay within one axis.
fn axis_ranges(
    offset: i64,
    strides: &[i64],
    dims: &[usize],
    shape: &[usize],
) -> Option<SmallVec<[Range; 4]>> {
    // On the stack: this runs per iteration of a replayed loop whose update moves.
    let mut cs: SmallVec<[i64; 4]> = smallvec::smallvec![0; shape.len()];
    super::fill_contiguous_strides(shape, &mut cs);
    let size: i64 = shape.iter().map(|&d| d as i64).product();
    if offset < 0 || offset >= size.max(1) {
        return None;
    }
    let mut ranges: SmallVec<[Range; 4]> = SmallVec::with_capacity(shape.len());
    let mut rest = offset;
    for &c in &cs {
        ranges.push(Range {
            lo: rest / c,
            hi: rest / c,
            step: 0,
        });
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
        let step = s / cs[a];
        let reach = step * (d as i64 - 1);
        let r = &mut ranges[a];
        if reach > 0 {
            r.hi += reach;
        } else {
            r.lo += reach;
        }
        r.step = gcd(r.step, step);
        if r.lo < 0 || r.hi >= shape[a] as i64 {
            return None;
        }
    }
    Some(ranges)
}

/// `roots` in the order to compute them: a root that reads the array another root updates
/// (`s = sum(x[k - 1, :k])` beside `x[k, :k] = …`) first, so that the update finds the old
/// array dead and writes into it instead of into a copy. Otherwise the given order.
pub(super) fn update_order(roots: &[crate::graph::NodeRef]) -> Vec<crate::graph::NodeRef> {
    use crate::graph::Op;
    // Only small sets of roots (loop bodies, a few statements) are worth the walks.
    if roots.len() < 2 || roots.len() > 16 {
        return roots.to_vec();
    }
    let bases: Vec<u64> = roots
        .iter()
        .filter(|r| matches!(r.op, Op::Update(_)))
        .filter_map(|r| r.inputs.first().map(|b| b.id))
        .collect();
    if bases.is_empty() {
        return roots.to_vec();
    }
    // Whether `root` reads an array another root updates.
    let reads_a_base = |root: &crate::graph::NodeRef| {
        let own = match root.op {
            Op::Update(_) => root.inputs.first().map(|b| b.id),
            _ => None,
        };
        let mut seen = std::collections::HashSet::new();
        let mut stack: Vec<&crate::graph::NodeRef> = match root.op {
            Op::Update(_) => root.inputs.iter().skip(1).collect(),
            _ => vec![root],
        };
        while let Some(n) = stack.pop() {
            if Some(n.id) != own && bases.contains(&n.id) {
                return true;
            }
            if n.value().is_none() && seen.insert(n.id) {
                stack.extend(&n.inputs);
            }
        }
        false
    };
    let (first, rest): (Vec<_>, Vec<_>) = roots.iter().cloned().partition(reads_a_base);
    first.into_iter().chain(rest).collect()
}

/// Whether a plan step cannot fail once the plan is well formed: kernels, matrix
/// products (their only errors are internal ones) and float arithmetic on 0-d values. A
/// backend may update a lent parameter in place once only such steps remain
/// (`Backend::run_prepared`).
pub fn cannot_fail(step: &super::Step) -> bool {
    use crate::dtype::DType;
    use crate::graph::Op;
    match step {
        super::Step::Kernel { .. } => true,
        super::Step::Node { node, .. } => match node.op {
            Op::MatMul => true,
            Op::Binary {
                compute: DType::F64 | DType::F32,
                ..
            } => node.shape.is_empty(),
            Op::Unary(_) => {
                node.shape.is_empty()
                    && node
                        .inputs
                        .iter()
                        .all(|i| matches!(i.dtype, DType::F64 | DType::F32))
            }
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::{Range, axis_ranges};

    fn r(lo: i64, hi: i64, step: i64) -> Range {
        Range { lo, hi, step }
    }

    #[test]
    fn columns_and_rows_become_ranges() {
        // Column 5 of a 4×6 array: rows 0..4 at stride 6.
        assert_eq!(
            axis_ranges(5, &[6], &[4], &[4, 6]),
            Some(smallvec::smallvec![r(0, 3, 1), r(5, 5, 0)])
        );
        // Row 1 without its ends.
        assert_eq!(
            axis_ranges(7, &[1], &[4], &[4, 6]),
            Some(smallvec::smallvec![r(1, 1, 0), r(1, 4, 1)])
        );
        // A merged walk over rows wraps into the next axis: unknown.
        assert_eq!(axis_ranges(0, &[1], &[24], &[4, 6]), None);
        // Reversed.
        assert_eq!(
            axis_ranges(5, &[-1], &[6], &[4, 6]),
            Some(smallvec::smallvec![r(0, 0, 0), r(0, 5, 1)])
        );
        // Every other column from 1.
        assert_eq!(
            axis_ranges(1, &[2], &[3], &[4, 6]),
            Some(smallvec::smallvec![r(0, 0, 0), r(1, 5, 2)])
        );
    }

    #[test]
    fn red_and_black_points_are_disjoint() {
        assert!(r(1, 5, 2).disjoint(&r(0, 4, 2)));
        assert!(r(1, 5, 2).disjoint(&r(2, 6, 4)));
        assert!(!r(1, 5, 2).disjoint(&r(3, 3, 0)));
        assert!(r(1, 5, 2).disjoint(&r(4, 4, 0)));
        assert!(!r(1, 5, 2).disjoint(&r(0, 4, 1)));
    }
}
