//! Strided views into arrays: a plan reads an input of a library step as an element offset
//! and signed strides into a buffer (a slice, transpose, broadcast or reversal of it), and
//! the step reads those elements in place instead of a copy.

use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn, ShapeBuilder};

/// Elements `offset + Σ coord[d] · strides[d]` of a buffer, for coordinates in `shape`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Strided {
    /// Element offset of coordinate zero from the buffer's first element.
    pub offset: i64,
    /// Element stride per axis (0 broadcasts, negative reverses).
    pub strides: Vec<i64>,
    /// The view's shape.
    pub shape: Vec<usize>,
}

/// The lowest and highest element offsets (from the first element) a layout reaches.
pub(crate) fn span(offset: i64, strides: &[i64], shape: &[usize]) -> (i64, i64) {
    strides
        .iter()
        .zip(shape)
        .fold((offset, offset), |(lo, hi), (&s, &d)| {
            let far = s * (d as i64 - 1);
            (lo + far.min(0), hi + far.max(0))
        })
}

/// The view of `data`'s elements that `s` describes, or `None` when it would reach outside
/// them (a plan never builds one; this keeps the read safe whatever the plan says).
#[allow(unsafe_code)]
pub fn view<'a, T>(data: &'a ArrayD<T>, s: &Strided) -> Option<ArrayViewD<'a, T>> {
    if s.strides.len() != s.shape.len() {
        return None;
    }
    if s.shape.contains(&0) {
        return ArrayViewD::from_shape(IxDyn(&s.shape), &[]).ok();
    }
    let own: Vec<i64> = data.strides().iter().map(|&x| x as i64).collect();
    let (lo, hi) = span(0, &own, data.shape());
    let (vlo, vhi) = span(s.offset, &s.strides, &s.shape);
    if data.is_empty() || vlo < lo || vhi > hi {
        return None;
    }
    // ndarray takes non-negative strides from the lowest address: start there and reverse
    // the axes whose stride is negative.
    let abs: Vec<usize> = s
        .strides
        .iter()
        .map(|x| x.unsigned_abs() as usize)
        .collect();
    // SAFETY: every element the view reaches lies in [lo, hi] of `data`'s own layout
    // (checked above), all of which is initialised memory `data` owns for `'a`.
    let mut v = unsafe {
        let start = data.as_ptr().offset(vlo as isize);
        ArrayViewD::from_shape_ptr(IxDyn(&s.shape).strides(IxDyn(&abs)), start)
    };
    for (d, &x) in s.strides.iter().enumerate() {
        if x < 0 {
            v.invert_axis(Axis(d));
        }
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_read_slices_reversals_and_broadcasts_in_place() {
        let a = ArrayD::from_shape_vec(IxDyn(&[3, 4]), (0..12).collect::<Vec<i32>>()).unwrap();
        // a[::-1, 1::2]
        let s = Strided {
            offset: 9,
            strides: vec![-4, 2],
            shape: vec![3, 2],
        };
        let v = view(&a, &s).unwrap();
        assert_eq!(
            v.iter().copied().collect::<Vec<_>>(),
            vec![9, 11, 5, 7, 1, 3]
        );
        // a column broadcast to 2 columns
        let s = Strided {
            offset: 2,
            strides: vec![4, 0],
            shape: vec![3, 2],
        };
        let v = view(&a, &s).unwrap();
        assert_eq!(
            v.iter().copied().collect::<Vec<_>>(),
            vec![2, 2, 6, 6, 10, 10]
        );
        // out of range: refused
        let s = Strided {
            offset: 10,
            strides: vec![4],
            shape: vec![2],
        };
        assert!(view(&a, &s).is_none());
    }
}
