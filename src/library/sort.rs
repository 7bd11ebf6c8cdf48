//! Stable sorting along an axis, NaN last (NumPy's order).

use crate::runtime::Array;
use crate::{map_array, with_array};
use ndarray::{ArrayD, Axis};
use std::cmp::Ordering;

/// The order NumPy sorts in: NaNs after everything, otherwise by value.
trait SortKey: Copy {
    fn order(&self, other: &Self) -> Ordering;
}

macro_rules! float_key {
    ($t:ty) => {
        impl SortKey for $t {
            fn order(&self, other: &$t) -> Ordering {
                match (self.is_nan(), other.is_nan()) {
                    (true, true) => Ordering::Equal,
                    (true, false) => Ordering::Greater,
                    (false, true) => Ordering::Less,
                    _ => self.partial_cmp(other).unwrap_or(Ordering::Equal),
                }
            }
        }
    };
}
float_key!(f32);
float_key!(f64);

impl SortKey for i64 {
    fn order(&self, other: &i64) -> Ordering {
        self.cmp(other)
    }
}

impl SortKey for bool {
    fn order(&self, other: &bool) -> Ordering {
        self.cmp(other)
    }
}

/// Complex numbers sort lexicographically (real part, then imaginary), as NumPy.
impl SortKey for num_complex::Complex64 {
    fn order(&self, other: &Self) -> Ordering {
        self.re.order(&other.re).then(self.im.order(&other.im))
    }
}

fn sort_lanes<T: SortKey>(a: &ArrayD<T>, axis: usize) -> ArrayD<T> {
    let mut out = a.clone();
    for mut lane in out.lanes_mut(Axis(axis)) {
        let mut v: Vec<T> = lane.iter().copied().collect();
        v.sort_by(|x, y| x.order(y));
        lane.iter_mut().zip(v).for_each(|(dst, x)| *dst = x);
    }
    out
}

fn argsort_lanes<T: SortKey>(a: &ArrayD<T>, axis: usize) -> ArrayD<i64> {
    let mut out = ArrayD::<i64>::zeros(a.raw_dim());
    for (src, mut dst) in a
        .lanes(Axis(axis))
        .into_iter()
        .zip(out.lanes_mut(Axis(axis)))
    {
        let v: Vec<T> = src.iter().copied().collect();
        let mut idx: Vec<usize> = (0..v.len()).collect();
        idx.sort_by(|&i, &j| v[i].order(&v[j]));
        dst.iter_mut().zip(idx).for_each(|(d, i)| *d = i as i64);
    }
    out
}

/// `x` sorted along `axis` (stable).
pub fn sort(x: &Array, axis: usize) -> Array {
    map_array!(x, a => sort_lanes(a, axis))
}

/// The indices that sort `x` along `axis` (stable).
pub fn argsort(x: &Array, axis: usize) -> Array {
    Array::I64(with_array!(x, a => argsort_lanes(a, axis)))
}
