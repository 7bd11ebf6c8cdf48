//! Layout kernels of the reference interpreter: transpose, broadcast, concatenation,
//! indexing (basic and advanced) and indexed update.

use crate::diag::Result;
use crate::graph::{IndexItem, IndexSpec};
use crate::map_array;
use crate::runtime::Array;
use ndarray::{ArrayD, ArrayViewD, ArrayViewMutD, Axis, IxDyn, Slice};
use rayon::prelude::*;
use std::borrow::Cow;

/// `x` with axes permuted, in standard layout.
pub fn transpose(x: &Array, perm: &[usize]) -> Array {
    map_array!(x, a => a.view().permuted_axes(IxDyn(perm)).as_standard_layout().into_owned())
}

/// `x` broadcast to `shape`.
pub fn broadcast(x: &Array, shape: &[usize]) -> Array {
    map_array!(x, a => a
        .broadcast(IxDyn(shape))
        .expect("checked when built")
        .as_standard_layout()
        .into_owned())
}

/// Arrays of one dtype joined along `axis`.
pub fn concat(parts: &[std::rc::Rc<Array>], axis: usize) -> Array {
    macro_rules! join {
        ($variant:ident) => {{
            let views: Vec<ArrayViewD<_>> = parts
                .iter()
                .map(|p| match &**p {
                    Array::$variant(a) => a.view(),
                    _ => unreachable!("inputs cast to one dtype when built"),
                })
                .collect();
            Array::$variant(ndarray::concatenate(Axis(axis), &views).expect("checked when built"))
        }};
    }
    match &*parts[0] {
        Array::Bool(_) => join!(Bool),
        Array::I64(_) => join!(I64),
        Array::F32(_) => join!(F32),
        Array::F64(_) => join!(F64),
        Array::C128(_) => join!(C128),
    }
}

/// The ndarray slice for a normalised `(start, step, len)`.
fn to_slice(start: i64, step: i64, len: usize) -> Slice {
    if len == 0 {
        return Slice::new(0, Some(0), 1);
    }
    let last = start + step * (len as isize as i64 - 1);
    if step > 0 {
        Slice::new(start as isize, Some(last as isize + 1), step as isize)
    } else {
        Slice::new(last as isize, Some(start as isize + 1), step as isize)
    }
}

/// A view of `a` with the basic items applied (array items keep their axis whole).
fn basic_view<'a, T>(a: &'a ArrayD<T>, spec: &IndexSpec) -> ArrayViewD<'a, T> {
    let mut v = a.view();
    for (ax, item) in spec.items.iter().enumerate() {
        if let IndexItem::Slice { start, step, len } = item {
            v.slice_axis_inplace(Axis(ax), to_slice(*start, *step, *len));
        }
    }
    for (ax, item) in spec.items.iter().enumerate().rev() {
        if let IndexItem::At(i) = item {
            v.index_axis_inplace(Axis(ax), *i);
        }
    }
    v
}

/// Normalises the integer index arrays: broadcast to the common shape, negatives wrapped,
/// each checked against its axis length.
fn index_arrays(
    spec: &IndexSpec,
    shape: &[usize],
    arrays: &[std::rc::Rc<Array>],
) -> Result<Vec<Vec<usize>>> {
    let axes: Vec<usize> = spec
        .items
        .iter()
        .enumerate()
        .filter(|(_, it)| matches!(it, IndexItem::Array))
        .map(|(i, _)| i)
        .collect();
    axes.iter()
        .zip(arrays)
        .map(|(&ax, arr)| {
            let cast;
            let b = match &**arr {
                Array::I64(b) => b,
                other => {
                    cast = other.cast(crate::dtype::DType::I64);
                    let Array::I64(b) = &cast else { unreachable!() };
                    b
                }
            };
            let b = b
                .broadcast(IxDyn(&spec.array_shape))
                .expect("checked when built");
            let b = b.as_standard_layout();
            let flat = b.as_slice().expect("standard layout");
            let wrap = crate::library::select::wrapping(flat, shape[ax], ax)?;
            Ok(flat.iter().map(|&i| wrap(i)).collect())
        })
        .collect()
}

/// For every element of `x[spec]` (row-major), its offset in `x`'s row-major data.
///
/// Built dimension by dimension: the offsets so far are expanded by each output dimension's
/// own offsets (a slice's `step * stride * k`, the array block's table), so the work is a few
/// additions per element and nothing is allocated per element.
fn gather_offsets(spec: &IndexSpec, shape: &[usize], arrays: &[Vec<usize>]) -> Vec<usize> {
    let strides = row_major_strides(shape);
    let mut base = 0;
    let mut dims: Vec<Vec<usize>> = Vec::new();
    let mut array_axes = Vec::new();
    for (ax, item) in spec.items.iter().enumerate() {
        match item {
            IndexItem::At(i) => base += i * strides[ax],
            IndexItem::Slice { start, step, len } => {
                base += *start as usize * strides[ax];
                let step = *step as isize * strides[ax] as isize;
                dims.push((0..*len).map(|k| (k as isize * step) as usize).collect());
            }
            IndexItem::Array => array_axes.push(ax),
            IndexItem::Dynamic => unreachable!("positions resolved before computing"),
        }
    }
    if !array_axes.is_empty() {
        let n: usize = spec.array_shape.iter().product();
        let mut table = vec![0; n];
        for (&ax, idx) in array_axes.iter().zip(arrays) {
            for (t, &i) in table.iter_mut().zip(idx) {
                *t += i * strides[ax];
            }
        }
        let at = spec.array_pos.min(dims.len());
        dims.insert(at, table);
    }
    let mut offsets = vec![base];
    for dim in &dims {
        let mut next = Vec::with_capacity(offsets.len() * dim.len());
        for &o in &offsets {
            next.extend(dim.iter().map(|&d| o.wrapping_add(d)));
        }
        offsets = next;
    }
    offsets
}

/// Row-major element strides of `shape`.
fn row_major_strides(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![1; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        strides[d] = strides[d + 1] * shape[d + 1];
    }
    strides
}

/// The positions when `spec` picks whole rows of the leading axis with one integer array
/// (`x[idx]`, `x[idx] = v`): the fast paths of gathers and scatters.
fn row_positions<'a>(
    spec: &IndexSpec,
    shape: &[usize],
    arrays: &'a [std::rc::Rc<Array>],
) -> Option<Cow<'a, ArrayD<i64>>> {
    let leading = matches!(spec.items.first(), Some(IndexItem::Array))
        && spec.items[1..].iter().enumerate().all(|(d, it)| {
            matches!(it, IndexItem::Slice { start: 0, step: 1, len } if *len == shape[d + 1])
        });
    match arrays {
        [only] if leading => Some(match &**only {
            Array::I64(idx) => Cow::Borrowed(idx),
            other => match other.cast(crate::dtype::DType::I64) {
                Array::I64(idx) => Cow::Owned(idx),
                _ => unreachable!("cast to i64"),
            },
        }),
        _ => None,
    }
}

/// `x[spec]` with `arrays` the integer index arrays.
pub fn index(x: &Array, spec: &IndexSpec, arrays: &[std::rc::Rc<Array>]) -> Result<Array> {
    if arrays.is_empty() {
        // Row-major (a reversed view's copy would keep negative strides).
        return Ok(map_array!(x, a => basic_view(a, spec).as_standard_layout().into_owned()));
    }
    if let Some(idx) = row_positions(spec, x.shape(), arrays) {
        // `x[idx]`: whole rows, copied in parallel.
        return crate::library::select::take_rows(x, &idx);
    }
    let idx = index_arrays(spec, x.shape(), arrays)?;
    let offsets = gather_offsets(spec, x.shape(), &idx);
    let shape = spec.result_shape();
    Ok(map_array!(x, a => {
        let a = a.as_standard_layout();
        let src = a.as_slice().expect("standard layout");
        let data = offsets.iter().map(|&o| src[o]).collect();
        ArrayD::from_shape_vec(IxDyn(&shape), data).expect("one element per offset")
    }))
}

/// `x` with `x[spec]` replaced by `value` (broadcast to the region; same dtype as `x`).
pub fn update(
    x: &Array,
    spec: &IndexSpec,
    value: &Array,
    arrays: &[std::rc::Rc<Array>],
) -> Result<Array> {
    let region = spec.result_shape();
    if let Some(idx) = row_positions(spec, x.shape(), arrays) {
        // `x[idx] = v`: whole rows, in order (the last of repeated positions wins).
        return crate::library::select::put_rows(x, &idx, value, &region);
    }
    let mut copy = map_array!(x, a => a.as_standard_layout().into_owned());
    update_into(&mut copy, spec, value, arrays)?;
    Ok(copy)
}

/// Whether every position of the index `arrays` of `spec` is within `shape`.
pub fn positions_fit(spec: &IndexSpec, shape: &[usize], arrays: &[std::rc::Rc<Array>]) -> bool {
    match row_positions(spec, shape, arrays) {
        Some(idx) => {
            let idx = idx.as_standard_layout();
            let positions = idx.as_slice().expect("standard layout");
            crate::library::select::wrapping(positions, shape[0], 0).is_ok()
        }
        None => index_arrays(spec, shape, arrays).is_ok(),
    }
}

/// [`update`] writing into `x`, a row-major array: every position is checked before
/// anything is written, so `x` is unchanged when this fails (a backend may update a
/// caller's array in place and hand it back on an error).
pub fn update_into(
    x: &mut Array,
    spec: &IndexSpec,
    value: &Array,
    arrays: &[std::rc::Rc<Array>],
) -> Result<()> {
    debug_assert!(x.is_standard_layout(), "callers pass row-major arrays");
    let region = spec.result_shape();
    if let Some(idx) = row_positions(spec, x.shape(), arrays) {
        return crate::library::select::put_rows_into(x, &idx, value, &region);
    }
    let shape = x.shape().to_vec();
    // Positions checked (and wrapped) first.
    let idx = match arrays.is_empty() {
        true => vec![],
        false => index_arrays(spec, &shape, arrays)?,
    };
    macro_rules! run {
        ($variant:ident) => {{
            let (Array::$variant(out), Array::$variant(v)) = (x, value) else {
                unreachable!("cast when built")
            };
            let v = v.broadcast(IxDyn(&region)).expect("checked when built");
            if arrays.is_empty() {
                let mut view = out.view_mut();
                for (ax, item) in spec.items.iter().enumerate() {
                    if let IndexItem::Slice { start, step, len } = item {
                        view.slice_axis_inplace(Axis(ax), to_slice(*start, *step, *len));
                    }
                }
                for (ax, item) in spec.items.iter().enumerate().rev() {
                    if let IndexItem::At(i) = item {
                        view.index_axis_inplace(Axis(ax), *i);
                    }
                }
                assign(view, v);
            } else {
                let offsets = gather_offsets(spec, &shape, &idx);
                let dst = out.as_slice_mut().expect("standard layout");
                for (&o, val) in offsets.iter().zip(v.iter()) {
                    dst[o] = *val;
                }
            }
        }};
    }
    match x {
        Array::Bool(_) => run!(Bool),
        Array::I64(_) => run!(I64),
        Array::F32(_) => run!(F32),
        Array::F64(_) => run!(F64),
        Array::C128(_) => run!(C128),
    }
    Ok(())
}

/// Regions with at least this many elements are written by all cores.
const PARALLEL_ASSIGN: usize = 1 << 16;

/// `dst = src` for views of one shape: row by row with `copy_from_slice` where both rows
/// are contiguous (in parallel for large regions), element by element otherwise.
fn assign<T: Copy + Send + Sync>(mut dst: ArrayViewMutD<'_, T>, src: ArrayViewD<'_, T>) {
    let d = dst.ndim();
    let rows_contiguous = d >= 1
        && dst.shape() == src.shape()
        && dst.strides()[d - 1] == 1
        && src.strides()[d - 1] == 1;
    if !rows_contiguous {
        dst.assign(&src);
        return;
    }
    let copy = |mut to: ndarray::ArrayViewMut1<'_, T>, from: ndarray::ArrayView1<'_, T>| match (
        to.as_slice_mut(),
        from.as_slice(),
    ) {
        (Some(t), Some(f)) => t.copy_from_slice(f),
        _ => to.assign(&from),
    };
    if d == 2 && dst.len() >= PARALLEL_ASSIGN {
        dst.axis_iter_mut(Axis(0))
            .into_par_iter()
            .zip(src.axis_iter(Axis(0)).into_par_iter())
            .for_each(|(to, from)| {
                let (to, from) = (to.into_dimensionality(), from.into_dimensionality());
                if let (Ok(to), Ok(from)) = (to, from) {
                    copy(to, from);
                }
            });
        return;
    }
    for (to, from) in dst
        .lanes_mut(Axis(d - 1))
        .into_iter()
        .zip(src.lanes(Axis(d - 1)))
    {
        copy(to, from);
    }
}
