//! Contour lines of a 2-D field by marching squares: for each level, each grid cell whose
//! corners straddle it gets one or two segments between its edges, placed by linear
//! interpolation; a saddle cell is split as the mean of its corners says.

use crate::diag::{Result, value_error};

/// A segment of the contour at `levels[level]`, from `a` to `b`, in (column, row)
/// coordinates of the field (row 0 at the top).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segment {
    /// The level's index.
    pub level: usize,
    /// One end.
    pub a: (f64, f64),
    /// The other end.
    pub b: (f64, f64),
}

/// `count` levels evenly inside the range of the finite values of a field (not at its ends,
/// where a contour would be a point).
pub fn levels(values: &[f64], count: usize) -> Result<Vec<f64>> {
    let (lo, hi, _) = super::value_range(values);
    if !values.iter().any(|v| v.is_finite()) || hi <= lo {
        return Err(value_error(
            "a contour needs a field whose finite values are not all the same",
        ));
    }
    let step = (hi - lo) / (count + 1) as f64;
    Ok((1..=count).map(|k| lo + step * k as f64).collect())
}

/// The segments of every level's contour through the `rows × cols` row-major field.
pub fn segments(values: &[f64], (rows, cols): (usize, usize), levels: &[f64]) -> Vec<Segment> {
    let at = |i: usize, j: usize| values[i * cols + j];
    let mut out = vec![];
    for (level, &c) in levels.iter().enumerate() {
        for i in 0..rows.saturating_sub(1) {
            for j in 0..cols.saturating_sub(1) {
                // Corners clockwise from the top left, as (column, row) with their values.
                let corners = [
                    ((j as f64, i as f64), at(i, j)),
                    ((j as f64 + 1.0, i as f64), at(i, j + 1)),
                    ((j as f64 + 1.0, i as f64 + 1.0), at(i + 1, j + 1)),
                    ((j as f64, i as f64 + 1.0), at(i + 1, j)),
                ];
                if corners.iter().any(|(_, v)| !v.is_finite()) {
                    continue;
                }
                cell(&corners, c, level, &mut out);
            }
        }
    }
    out
}

/// The segments of one cell: the crossing points on its edges, paired.
fn cell(corners: &[((f64, f64), f64); 4], c: f64, level: usize, out: &mut Vec<Segment>) {
    // Where the level crosses each edge k (from corner k to corner k + 1), if it does.
    let crossing = |k: usize| -> Option<(f64, f64)> {
        let ((p, u), (q, v)) = (corners[k], corners[(k + 1) % 4]);
        if (u >= c) == (v >= c) {
            return None;
        }
        let t = (c - u) / (v - u);
        Some((p.0 + t * (q.0 - p.0), p.1 + t * (q.1 - p.1)))
    };
    let points: Vec<(usize, (f64, f64))> =
        (0..4).filter_map(|k| crossing(k).map(|p| (k, p))).collect();
    let mut push = |a: (f64, f64), b: (f64, f64)| out.push(Segment { level, a, b });
    match points.as_slice() {
        [(_, a), (_, b)] => push(*a, *b),
        [(_, a), (_, b), (_, c4), (_, d)] => {
            // A saddle: corners 0 and 2 are on one side, 1 and 3 on the other. If the
            // centre is on corner 0's side, the contour cuts off corners 1 and 3.
            let centre = corners.iter().map(|(_, v)| v).sum::<f64>() / 4.0;
            if (centre >= c) == (corners[0].1 >= c) {
                push(*a, *b);
                push(*c4, *d);
            } else {
                push(*d, *a);
                push(*b, *c4);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cone_has_closed_rings() {
        // A 5×5 cone peaking at the centre: the level 1.5 contour is the diamond
        // |x| + |y| = 1.5 around it, crossing the interior grid lines at 12 points.
        let v: Vec<f64> = (0..25)
            .map(|n| {
                let (i, j) = ((n / 5) as f64 - 2.0, (n % 5) as f64 - 2.0);
                3.0 - (i.abs() + j.abs())
            })
            .collect();
        let s = segments(&v, (5, 5), &[1.5]);
        assert_eq!(s.len(), 12);
        // Every end is shared by exactly two segments: the ring is closed.
        let ends: Vec<(f64, f64)> = s.iter().flat_map(|s| [s.a, s.b]).collect();
        for e in &ends {
            assert_eq!(ends.iter().filter(|f| *f == e).count(), 2, "{e:?}");
        }
        for (x, y) in ends {
            assert!(((x - 2.0).abs() + (y - 2.0).abs() - 1.5).abs() < 1e-12);
        }
    }

    #[test]
    fn levels_lie_inside_the_range() {
        assert_eq!(
            levels(&[0.0, 4.0, f64::NAN], 3).ok(),
            Some(vec![1.0, 2.0, 3.0])
        );
        assert!(levels(&[1.0, 1.0], 3).is_err());
    }
}
