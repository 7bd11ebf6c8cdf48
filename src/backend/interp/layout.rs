//! Layout kernels of the reference interpreter: transpose, broadcast, concatenation,
//! indexing (basic and advanced) and indexed update.

use crate::diag::{Result, index_error};
use crate::graph::{IndexItem, IndexSpec};
use crate::map_array;
use crate::runtime::Array;
use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn, Slice};

/// `x` with axes permuted, in standard layout.
pub fn transpose(x: &Array, perm: &[usize]) -> Array {
    map_array!(x, a => a.view().permuted_axes(IxDyn(perm)).as_standard_layout().into_owned())
}

/// `x` broadcast to `shape`.
pub fn broadcast(x: &Array, shape: &[usize]) -> Array {
    map_array!(x, a => a.broadcast(IxDyn(shape)).expect("checked when built").to_owned())
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
            let b = arr.cast(crate::dtype::DType::I64);
            let Array::I64(b) = b else { unreachable!() };
            let b = b
                .broadcast(IxDyn(&spec.array_shape))
                .expect("checked when built");
            let n = shape[ax] as i64;
            b.iter()
                .map(|&i| {
                    let j = if i < 0 { i + n } else { i };
                    if j < 0 || j >= n {
                        Err(index_error(format!(
                            "index {i} is out of bounds for axis {ax} with size {n}"
                        )))
                    } else {
                        Ok(j as usize)
                    }
                })
                .collect()
        })
        .collect()
}

/// For every element of `x[spec]` (row-major), its source position in `x`.
fn gather_positions(spec: &IndexSpec, shape: &[usize], arrays: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let out_shape = spec.result_shape();
    let total: usize = out_shape.iter().product();
    let n_arr = spec.array_shape.len();
    let mut positions = Vec::with_capacity(total);
    let mut idx = vec![0usize; out_shape.len()];
    for _ in 0..total {
        // Split the output index into basic dims and the array block.
        let arr_block = &idx[spec.array_pos..spec.array_pos + n_arr];
        let mut flat = 0;
        for (d, &i) in arr_block.iter().enumerate() {
            flat = flat * spec.array_shape[d] + i;
        }
        let mut basic = idx[..spec.array_pos]
            .iter()
            .chain(idx[spec.array_pos + n_arr..].iter());
        let mut src = Vec::with_capacity(shape.len());
        let mut k = 0;
        for item in &spec.items {
            src.push(match item {
                IndexItem::At(i) => *i,
                IndexItem::Slice { start, step, .. } => {
                    let o = *basic.next().expect("one output dim per slice");
                    (*start + *step * o as i64) as usize
                }
                IndexItem::Array => {
                    k += 1;
                    arrays[k - 1][flat]
                }
            });
        }
        positions.push(src);
        for d in (0..idx.len()).rev() {
            idx[d] += 1;
            if idx[d] < out_shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    positions
}

/// `x[spec]` with `arrays` the integer index arrays.
pub fn index(x: &Array, spec: &IndexSpec, arrays: &[std::rc::Rc<Array>]) -> Result<Array> {
    if arrays.is_empty() {
        return Ok(map_array!(x, a => basic_view(a, spec).to_owned()));
    }
    let idx = index_arrays(spec, x.shape(), arrays)?;
    let positions = gather_positions(spec, x.shape(), &idx);
    let shape = spec.result_shape();
    Ok(map_array!(x, a => {
        let data = positions.iter().map(|p| a[IxDyn(p)]).collect();
        ArrayD::from_shape_vec(IxDyn(&shape), data).expect("one element per position")
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
    macro_rules! run {
        ($variant:ident) => {{
            let (Array::$variant(a), Array::$variant(v)) = (x, value) else {
                unreachable!("cast when built")
            };
            let mut out = a.clone();
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
                view.assign(&v);
            } else {
                let idx = index_arrays(spec, x.shape(), arrays)?;
                let positions = gather_positions(spec, x.shape(), &idx);
                for (p, val) in positions.iter().zip(v.iter()) {
                    out[IxDyn(p)] = *val;
                }
            }
            Array::$variant(out)
        }};
    }
    Ok(match x {
        Array::Bool(_) => run!(Bool),
        Array::I64(_) => run!(I64),
        Array::F32(_) => run!(F32),
        Array::F64(_) => run!(F64),
        Array::C128(_) => run!(C128),
    })
}
