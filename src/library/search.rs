//! Searching, counting and binning with NumPy's results: `searchsorted`, `interp`,
//! `bincount`, `histogram`, `convolve`, and the data-dependent `nonzero` and `unique`
//! (whose result shapes are known only from the values, so lowering computes their input
//! first).

use crate::diag::{Result, value_error};
use crate::dtype::DType;
use crate::graph::ConvolveMode;
use crate::runtime::Array;
use ndarray::{ArrayD, IxDyn};

fn vector<T>(v: Vec<T>) -> ArrayD<T> {
    let n = v.len();
    ArrayD::from_shape_vec(IxDyn(&[n]), v).expect("one element each")
}

/// The first position in sorted `a` where `v` could be inserted keeping the order (after
/// equal elements when `right`); NaN sorts last, as in NumPy.
fn insertion(a: &[f64], v: f64, right: bool) -> usize {
    // NaN is larger than every number (NumPy's sort order).
    let less = |p: f64, q: f64| p < q || (q.is_nan() && !p.is_nan());
    if right {
        a.partition_point(|&x| !less(v, x))
    } else {
        a.partition_point(|&x| less(x, v))
    }
}

/// `searchsorted(a, v, side)`: insertion positions of every element of `v` (any shape) in
/// the sorted 1-D `a`.
pub fn searchsorted(a: &Array, v: &Array, right: bool) -> Array {
    let sorted = a.to_f64_vec();
    let pos: Vec<i64> = v
        .to_f64_vec()
        .iter()
        .map(|&x| insertion(&sorted, x, right) as i64)
        .collect();
    Array::I64(ArrayD::from_shape_vec(IxDyn(v.shape()), pos).expect("one position each"))
}

/// `interp(x, xp, fp, left, right)`: piecewise-linear interpolation as NumPy's
/// `compiled_interp` computes it (the slope form, `fp[-1]` exactly at `xp[-1]`).
pub fn interp(x: &Array, xp: &Array, fp: &Array, left: &Array, right: &Array) -> Result<Array> {
    let (xp, fp) = (xp.to_f64_vec(), fp.to_f64_vec());
    if xp.is_empty() || xp.len() != fp.len() {
        return Err(value_error(format!(
            "interp: xp and fp need the same non-zero length, found {} and {}",
            xp.len(),
            fp.len()
        )));
    }
    let (left, right) = (left.to_f64_vec()[0], right.to_f64_vec()[0]);
    let last = xp.len() - 1;
    let out: Vec<f64> = x
        .to_f64_vec()
        .iter()
        .map(|&v| {
            if v.is_nan() {
                return v;
            }
            if v < xp[0] {
                return left;
            }
            if v > xp[last] {
                return right;
            }
            if v == xp[last] {
                return fp[last];
            }
            let j = insertion(&xp, v, true).saturating_sub(1).min(last);
            if j == last {
                return fp[last];
            }
            if v == xp[j] {
                return fp[j];
            }
            let slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
            let y = slope * (v - xp[j]) + fp[j];
            if y.is_nan() {
                let y2 = slope * (v - xp[j + 1]) + fp[j + 1];
                if y2.is_nan() && fp[j] == fp[j + 1] {
                    fp[j]
                } else {
                    y2
                }
            } else {
                y
            }
        })
        .collect();
    Ok(Array::F64(
        ArrayD::from_shape_vec(IxDyn(x.shape()), out).expect("one value each"),
    ))
}

/// `bincount(x, weights)`: how often each value `0..len` occurs in the non-negative
/// integers `x` (or the sum of their weights), as f64 counts or sums.
pub fn bincount(x: &Array, weights: Option<&Array>, len: usize) -> Result<Array> {
    let idx = x.to_i64_vec();
    if let Some(bad) = idx.iter().find(|&&i| i < 0) {
        return Err(value_error(format!(
            "bincount takes non-negative integers, found {bad}"
        )));
    }
    let w = weights.map(Array::to_f64_vec);
    if w.as_ref().is_some_and(|w| w.len() != idx.len()) {
        return Err(value_error("bincount: weights need the length of x"));
    }
    let mut out = vec![0.0; len];
    for (k, &i) in idx.iter().enumerate() {
        let add = w.as_ref().map_or(1.0, |w| w[k]);
        if let Some(slot) = out.get_mut(i as usize) {
            *slot += add;
        }
    }
    Ok(Array::F64(vector(out)))
}

/// `histogram` over `bins` equal bins from `lo` to `hi` (each 0-d; equal ends widen by 0.5
/// each way, as NumPy's): packed `[counts (bins) | edges (bins + 1)]`, counts as f64 sums
/// of `weights` (ones when absent). Values outside the range are not counted; the last
/// bin includes its right edge.
pub fn histogram(
    x: &Array,
    lo: &Array,
    hi: &Array,
    weights: Option<&Array>,
    bins: usize,
) -> Result<Array> {
    let (mut first, mut last) = (lo.to_f64_vec()[0], hi.to_f64_vec()[0]);
    if !(first.is_finite() && last.is_finite()) {
        return Err(value_error(format!(
            "histogram: the range [{first}, {last}] is not finite"
        )));
    }
    if first > last {
        return Err(value_error(
            "histogram: max must be larger than min in range",
        ));
    }
    if first == last {
        first -= 0.5;
        last += 0.5;
    }
    let edges: Vec<f64> = (0..=bins)
        .map(|k| first + (last - first) * k as f64 / bins as f64)
        .collect();
    let norm = bins as f64 / (last - first);
    let values = x.to_f64_vec();
    let w = weights.map(Array::to_f64_vec);
    let mut counts = vec![0.0; bins];
    for (k, &v) in values.iter().enumerate() {
        if !(v >= first && v <= last) {
            continue;
        }
        // NumPy's: a scaled index, then one correction against the edges either way.
        let mut i = (((v - first) * norm) as usize).min(bins - 1);
        if v < edges[i] {
            i = i.saturating_sub(1);
        } else if v >= edges[i + 1] && i != bins - 1 {
            i += 1;
        }
        counts[i] += w.as_ref().map_or(1.0, |w| w[k]);
    }
    counts.extend(edges);
    Ok(Array::F64(vector(counts)))
}

/// `histogram` over explicit, increasing `edges`: counts (f64) per bin, the last bin
/// closed on the right.
pub fn histogram_edges(x: &Array, edges: &Array, weights: Option<&Array>) -> Result<Array> {
    let e = edges.to_f64_vec();
    if e.len() < 2 || e.windows(2).any(|p| p[0] > p[1]) {
        return Err(value_error(
            "histogram: bins must be increasing, with at least two edges",
        ));
    }
    let bins = e.len() - 1;
    let w = weights.map(Array::to_f64_vec);
    let mut counts = vec![0.0; bins];
    for (k, &v) in x.to_f64_vec().iter().enumerate() {
        if !(v >= e[0] && v <= e[bins]) {
            continue;
        }
        let i = insertion(&e, v, true).saturating_sub(1).min(bins - 1);
        counts[i] += w.as_ref().map_or(1.0, |w| w[k]);
    }
    Ok(Array::F64(vector(counts)))
}

/// `convolve(a, v, mode)` of two 1-D arrays, in `dtype` (i64, f64 or c128), summing each
/// output's products in index order.
pub fn convolve(a: &Array, v: &Array, mode: ConvolveMode, dtype: DType) -> Array {
    fn run<T: Copy + Default + std::ops::Add<Output = T> + std::ops::Mul<Output = T>>(
        a: &[T],
        v: &[T],
        mode: ConvolveMode,
    ) -> Vec<T> {
        let (n, m) = (a.len(), v.len());
        let full = n + m - 1;
        let len = mode.len(n, m);
        let skip = match mode {
            ConvolveMode::Full => 0,
            ConvolveMode::Same => (full - len) / 2,
            ConvolveMode::Valid => n.min(m) - 1,
        };
        (skip..skip + len)
            .map(|k| {
                let lo = k.saturating_sub(m - 1);
                let hi = k.min(n - 1);
                (lo..=hi).fold(T::default(), |s, i| s + a[i] * v[k - i])
            })
            .collect()
    }
    let (a, v) = (a.cast(dtype), v.cast(dtype));
    match (&a, &v) {
        (Array::I64(x), Array::I64(y)) => {
            let (x, y) = (
                x.iter().copied().collect::<Vec<_>>(),
                y.iter().copied().collect::<Vec<_>>(),
            );
            Array::I64(vector(run(&x, &y, mode)))
        }
        (Array::C128(x), Array::C128(y)) => {
            let (x, y) = (
                x.iter().copied().collect::<Vec<_>>(),
                y.iter().copied().collect::<Vec<_>>(),
            );
            Array::C128(vector(run(&x, &y, mode)))
        }
        _ => {
            let (x, y) = (a.to_f64_vec(), v.to_f64_vec());
            Array::F64(vector(run(&x, &y, mode))).cast(dtype)
        }
    }
}

/// The positions of true (non-zero) elements, one i64 array per axis (NumPy's `nonzero`).
pub fn nonzero(x: &Array) -> Vec<Array> {
    let cast;
    let m = match x {
        Array::Bool(m) => m,
        other => {
            cast = other.cast(DType::Bool);
            let Array::Bool(m) = &cast else {
                unreachable!()
            };
            m
        }
    };
    let shape = m.shape().to_vec();
    let m = m.as_standard_layout();
    let flat = m.as_slice().expect("standard layout");
    let mut cols: Vec<Vec<i64>> = vec![Vec::new(); shape.len().max(1)];
    if shape.len() <= 1 {
        cols[0].extend((0..flat.len()).filter(|&k| flat[k]).map(|k| k as i64));
    } else {
        for k in (0..flat.len()).filter(|&k| flat[k]) {
            let mut rest = k;
            for (d, col) in cols.iter_mut().enumerate().rev() {
                col.push((rest % shape[d]) as i64);
                rest /= shape[d];
            }
        }
    }
    cols.into_iter().map(|c| Array::I64(vector(c))).collect()
}

/// `unique(x)` of the flattened `x`: the sorted distinct values (NaNs kept as one, last),
/// the first position of each, the position of each element's value among them, and how
/// often each occurs.
pub struct Unique {
    /// The distinct values, ascending.
    pub values: Array,
    /// Where each value first occurs in `x`.
    pub index: Vec<i64>,
    /// For each element of `x`, its value's position in `values`.
    pub inverse: Vec<i64>,
    /// How many times each value occurs.
    pub counts: Vec<i64>,
}

/// See [`Unique`].
pub fn unique(x: &Array) -> Unique {
    let flat = x.clone().into_standard_layout();
    let n = flat.len();
    // Sort keys with NaN last (NumPy's order); integers compare exactly.
    let ints = matches!(flat, Array::I64(_) | Array::Bool(_));
    let (iv, fv): (Vec<i64>, Vec<(f64, f64)>) = match &flat {
        Array::C128(z) => (vec![], z.iter().map(|c| (c.re, c.im)).collect()),
        _ if ints => (flat.to_i64_vec(), vec![]),
        other => (
            vec![],
            other.to_f64_vec().into_iter().map(|v| (v, 0.0)).collect(),
        ),
    };
    let total = |a: f64, b: f64| {
        a.partial_cmp(&b)
            .unwrap_or_else(|| a.is_nan().cmp(&b.is_nan()))
    };
    let cmp = |&i: &usize, &j: &usize| {
        if ints {
            iv[i].cmp(&iv[j])
        } else {
            total(fv[i].0, fv[j].0).then(total(fv[i].1, fv[j].1))
        }
    };
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(cmp);
    let mut firsts: Vec<usize> = Vec::new();
    let mut counts: Vec<i64> = Vec::new();
    let mut inverse = vec![0i64; n];
    for &k in &order {
        if firsts
            .last()
            .is_none_or(|f| cmp(f, &k) != std::cmp::Ordering::Equal)
        {
            firsts.push(k);
            counts.push(0);
        }
        let slot = firsts.len() - 1;
        inverse[k] = slot as i64;
        counts[slot] += 1;
    }
    let values = crate::map_array!(&flat, a => {
        let a = a.as_standard_layout();
        let data = a.as_slice().expect("standard layout");
        vector(firsts.iter().map(|&k| data[k]).collect())
    });
    Unique {
        values,
        index: firsts.iter().map(|&k| k as i64).collect(),
        inverse,
        counts,
    }
}
