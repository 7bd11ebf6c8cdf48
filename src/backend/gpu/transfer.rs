//! Host arrays to device bytes and back. Device elements: bool as u32 (0 or 1), the other
//! dtypes as on the host (c128 as two f64, little-endian, as both sides are).

use crate::diag::Result;
use crate::dtype::DType;
use crate::runtime::Array;
use ndarray::{ArrayD, IxDyn};
use num_complex::Complex64;

/// Bytes per element on the device.
pub(super) fn device_size(dtype: DType) -> usize {
    match dtype {
        DType::Bool => 4,
        d => d.size_bytes(),
    }
}

/// The lowest and highest element offsets `a` addresses, relative to its first element.
fn reach(a: &Array) -> (i64, i64) {
    a.shape()
        .iter()
        .zip(a.strides())
        .fold((0i64, 0i64), |(lo, hi), (&d, s)| {
            let reach = (d as i64 - 1).max(0) * s;
            (lo + reach.min(0), hi + reach.max(0))
        })
}

/// How many elements an upload of `a` holds (see [`device_bytes`]).
pub(super) fn span_elements(a: &Array) -> usize {
    let (lo, hi) = reach(a);
    if a.is_empty() {
        0
    } else {
        (hi - lo + 1) as usize
    }
}

/// The bytes to upload for `a`, and how many host bytes before its first element the
/// upload starts. A row-major array is uploaded as it is; a strided view (a transpose, a
/// reversal, a slice) as the whole span of memory it addresses, so kernels read it with the
/// strides the plan gave them, offsets moved by that many bytes.
pub(super) fn device_bytes(a: &Array) -> (Vec<u8>, i64) {
    let size = a.dtype().size_bytes() as i64;
    let (lo, hi) = reach(a);
    let span = if a.is_empty() {
        &[][..]
    } else {
        // SAFETY: every element of `a` lies between its lowest address (`lo` elements
        // before its first) and its highest (`hi` after), inside the allocation `a` holds
        // alive for this borrow; the bytes are plain numbers (bool bytes are 0 or 1).
        #[allow(unsafe_code)]
        unsafe {
            std::slice::from_raw_parts(
                a.as_byte_ptr().offset((lo * size) as isize),
                ((hi - lo + 1) * size) as usize,
            )
        }
    };
    let bytes = match a.dtype() {
        DType::Bool => span
            .iter()
            .flat_map(|&b| u32::from(b).to_le_bytes())
            .collect(),
        _ => span.to_vec(),
    };
    (bytes, -lo * size)
}

/// The array of `shape` and `dtype` whose row-major elements are `bytes` (device layout).
pub(super) fn from_device(bytes: &[u8], shape: &[usize], dtype: DType) -> Result<Array> {
    let n: usize = shape.iter().product();
    let bytes = &bytes[..n * device_size(dtype)];
    let shaped = |e: ndarray::ShapeError| {
        crate::diag::value_error(format!("internal error reading a gpu result: {e}"))
    };
    let words = |w: usize| bytes.chunks_exact(w);
    Ok(match dtype {
        DType::Bool => Array::Bool(
            ArrayD::from_shape_vec(IxDyn(shape), words(4).map(|c| c != [0, 0, 0, 0]).collect())
                .map_err(shaped)?,
        ),
        DType::I64 => Array::I64(
            ArrayD::from_shape_vec(
                IxDyn(shape),
                words(8)
                    .map(|c| i64::from_le_bytes(c.try_into().unwrap_or_default()))
                    .collect(),
            )
            .map_err(shaped)?,
        ),
        DType::F32 => Array::F32(
            ArrayD::from_shape_vec(
                IxDyn(shape),
                words(4)
                    .map(|c| f32::from_le_bytes(c.try_into().unwrap_or_default()))
                    .collect(),
            )
            .map_err(shaped)?,
        ),
        DType::F64 => {
            Array::F64(ArrayD::from_shape_vec(IxDyn(shape), f64s(bytes).collect()).map_err(shaped)?)
        }
        DType::C128 => {
            let parts: Vec<f64> = f64s(bytes).collect();
            Array::C128(
                ArrayD::from_shape_vec(
                    IxDyn(shape),
                    parts
                        .chunks_exact(2)
                        .map(|p| Complex64::new(p[0], p[1]))
                        .collect(),
                )
                .map_err(shaped)?,
            )
        }
    })
}

fn f64s(bytes: &[u8]) -> impl Iterator<Item = f64> + '_ {
    bytes
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap_or_default()))
}
