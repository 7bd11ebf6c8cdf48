//! NumPy's `.npy` (format 1.0 and later, through ndarray-npy) and `.npz` (a zip archive of
//! `.npy` members, stored or deflated, as `numpy.savez` and `numpy.savez_compressed` write).
//!
//! Every header is checked before anything is allocated: the array it declares must fit the
//! data present and the memory limit, so a hostile file is an error, never an abort.

use super::Array;
use crate::diag::{Result, io_error, value_error};
use ndarray::ArrayD;
use ndarray_npy::{ReadNpyError, ReadNpyExt, WriteNpyExt};
use num_complex::Complex64;
use std::io::{Read, Seek, Write};

/// Headers longer than this are refused (NumPy writes under 100 bytes; format 2.0 allows
/// 4 GiB).
const MAX_HEADER: u64 = 1 << 20;

/// Reads the `.npy` file at `what` (its display name, for errors) whose bytes `open`
/// yields, `total` bytes long, refusing it before anything is allocated when its header
/// declares more data than it holds or an array over `limit` bytes once loaded.
pub(super) fn read<R: Read>(
    what: &str,
    total: u64,
    limit: u64,
    mut open: impl FnMut() -> std::io::Result<R>,
) -> Result<Array> {
    let fail = |m: String| io_error(format!("cannot read `{what}`: {m}"));
    check_header(
        &mut open().map_err(|e| fail(e.to_string()))?,
        total,
        limit,
        what,
    )?;
    macro_rules! attempt {
        ($t:ty, $wrap:expr) => {
            match ArrayD::<$t>::read_npy(open().map_err(|e| fail(e.to_string()))?) {
                Ok(a) => return Ok($wrap(a)),
                Err(ReadNpyError::WrongDescriptor(_)) => {}
                Err(e) => return Err(fail(e.to_string())),
            }
        };
    }
    attempt!(f64, Array::F64);
    attempt!(i64, Array::I64);
    attempt!(f32, Array::F32);
    attempt!(bool, Array::Bool);
    attempt!(Complex64, Array::C128);
    attempt!(i32, |a: ArrayD<i32>| Array::I64(a.mapv(i64::from)));
    attempt!(i16, |a: ArrayD<i16>| Array::I64(a.mapv(i64::from)));
    attempt!(i8, |a: ArrayD<i8>| Array::I64(a.mapv(i64::from)));
    attempt!(u8, |a: ArrayD<u8>| Array::I64(a.mapv(i64::from)));
    attempt!(u16, |a: ArrayD<u16>| Array::I64(a.mapv(i64::from)));
    attempt!(u32, |a: ArrayD<u32>| Array::I64(a.mapv(i64::from)));
    attempt!(F16, |a: ArrayD<F16>| Array::F32(a.mapv(|h| h.0)));
    match ArrayD::<u64>::read_npy(open().map_err(|e| fail(e.to_string()))?) {
        Ok(a) => {
            if let Some(big) = a.iter().find(|&&v| i64::try_from(v).is_err()) {
                return Err(value_error(format!(
                    "cannot read `{what}`: its u64 value {big} does not fit in i64"
                )));
            }
            return Ok(Array::I64(a.mapv(|v| v as i64)));
        }
        Err(ReadNpyError::WrongDescriptor(_)) => {}
        Err(e) => return Err(fail(e.to_string())),
    }
    Err(fail(
        "unsupported dtype (supported: bool, integers of every width (as i64), f16 (as \
         f32), f32, f64, c128)"
            .into(),
    ))
}

/// Writes `a` in `.npy` format.
pub(super) fn write(mut out: impl Write, a: &Array) -> std::result::Result<(), String> {
    match a {
        Array::Bool(x) => x.write_npy(&mut out),
        Array::I64(x) => x.write_npy(&mut out),
        Array::F32(x) => x.write_npy(&mut out),
        Array::F64(x) => x.write_npy(&mut out),
        Array::C128(x) => x.write_npy(&mut out),
    }
    .map_err(|e| e.to_string())?;
    // A buffered writer's last bytes: a failure here is a failed save, not a lost one.
    out.flush().map_err(|e| e.to_string())
}

/// Writes named arrays as an `.npz` archive (stored members `name.npy`, as `numpy.savez`),
/// after the `raw` members (name and bytes; NumPy's `load` lists them but reads only the
/// `.npy` ones).
pub(super) fn write_npz(
    out: impl Write + Seek,
    raw: &[(&str, &[u8])],
    arrays: &[(&str, &Array)],
) -> std::result::Result<(), String> {
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(arrays.iter().any(|(_, a)| a.len() * 16 >= 1 << 31));
    let mut zip = zip::ZipWriter::new(out);
    for (name, bytes) in raw {
        zip.start_file(*name, options).map_err(|e| e.to_string())?;
        zip.write_all(bytes).map_err(|e| e.to_string())?;
    }
    for (name, a) in arrays {
        zip.start_file(format!("{name}.npy"), options)
            .map_err(|e| e.to_string())?;
        write(&mut zip, a)?;
    }
    let mut out = zip.finish().map_err(|e| e.to_string())?;
    out.flush().map_err(|e| e.to_string())
}

/// The `.npy` members of the `.npz` archive `what` (bytes from `file`): each name (without
/// `.npy`) and array, in the archive's order; with `only`, just that member. Members of
/// other kinds are skipped (NumPy's `load` does not read them as arrays either).
pub(super) fn read_npz<R: Read + Seek>(
    what: &str,
    file: R,
    limit: u64,
    only: Option<&str>,
) -> Result<Vec<(String, Array)>> {
    let fail = |m: String| io_error(format!("cannot read `{what}`: {m}"));
    let mut zip = zip::ZipArchive::new(file).map_err(|e| fail(e.to_string()))?;
    let mut order: Vec<(usize, String)> = Vec::new();
    for i in 0..zip.len() {
        let member = zip.by_index(i).map_err(|e| fail(e.to_string()))?;
        if let Some(name) = member.name().strip_suffix(".npy") {
            order.push((i, name.to_string()));
        }
    }
    if let Some(want) = only {
        if !order.iter().any(|(_, n)| n == want) {
            let have: Vec<&str> = order.iter().map(|(_, n)| n.as_str()).collect();
            return Err(value_error(format!(
                "`{what}` has no array named `{want}` (it has: {})",
                have.join(", ")
            )));
        }
        order.retain(|(_, n)| n == want);
    }
    let mut out = Vec::with_capacity(order.len());
    let mut held = 0u64;
    for (i, name) in order {
        let member_what = format!("{what}:{name}");
        let mut member = zip.by_index(i).map_err(|e| fail(e.to_string()))?;
        let size = member.size();
        // The member's bytes, bounded by its declared size (checked against the limit
        // first, and never read past: a member that lies about its size is cut short and
        // then fails its own header check).
        if size > limit.saturating_sub(held) {
            return Err(crate::diag::resource_error(format!(
                "cannot load `{member_what}`: its {size} bytes are over the memory limit of \
                 {limit} bytes"
            )));
        }
        let mut bytes = Vec::with_capacity(size as usize);
        (&mut member)
            .take(size)
            .read_to_end(&mut bytes)
            .map_err(|e| fail(e.to_string()))?;
        drop(member);
        held += bytes.len() as u64;
        let array = read(&member_what, bytes.len() as u64, limit, || {
            Ok(std::io::Cursor::new(&bytes[..]))
        })?;
        out.push((name, array));
    }
    Ok(out)
}

/// The bytes of the member `name` of the zip archive `what` (bytes from `file`), refused
/// when over `limit` bytes; `None` when it has no such member.
pub(super) fn read_zip_member<R: Read + Seek>(
    what: &str,
    file: R,
    name: &str,
    limit: u64,
) -> Result<Option<Vec<u8>>> {
    let fail = |m: String| io_error(format!("cannot read `{what}`: {m}"));
    let mut zip = zip::ZipArchive::new(file).map_err(|e| fail(e.to_string()))?;
    let mut member = match zip.by_name(name) {
        Ok(m) => m,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(fail(e.to_string())),
    };
    if member.size() > limit {
        return Err(fail(format!("its member `{name}` is over {limit} bytes")));
    }
    let mut bytes = Vec::with_capacity(member.size() as usize);
    (&mut member)
        .take(limit)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(e.to_string()))?;
    Ok(Some(bytes))
}

/// The header text of the `.npy` file `file` of `total` bytes and the offset of its data;
/// None where it does not begin as one (left to ndarray-npy, which reports it), an error
/// where its header is longer than [`MAX_HEADER`] or than the file.
fn header(file: &mut impl Read, total: u64) -> std::result::Result<Option<(String, u64)>, String> {
    let mut head = [0u8; 12];
    if file.read_exact(&mut head).is_err() || &head[..6] != b"\x93NUMPY" {
        return Ok(None);
    }
    // Version 1 has a 2-byte header length, later versions 4 bytes.
    let (header_len, start) = match head[6] {
        1 => (u64::from(u16::from_le_bytes([head[8], head[9]])), 10),
        _ => (
            u64::from(u32::from_le_bytes([head[8], head[9], head[10], head[11]])),
            12,
        ),
    };
    if header_len > MAX_HEADER || start + header_len > total {
        return Err("its header is truncated".into());
    }
    if header_len < 12 - start {
        return Ok(None);
    }
    // The header's first bytes were read with the length; read the rest.
    let mut text = head[start as usize..].to_vec();
    text.resize(header_len as usize, 0);
    file.read_exact(&mut text[12 - start as usize..])
        .map_err(|e| e.to_string())?;
    Ok(Some((
        String::from_utf8_lossy(&text).into_owned(),
        start + header_len,
    )))
}

/// Checks what an `.npy` header declares against the `total` bytes of the file and the
/// memory `limit` (as loaded: 16 bytes an element for complex, 8 otherwise). A header this
/// cannot read is left to ndarray-npy, which reports it.
fn check_header(file: &mut impl Read, total: u64, limit: u64, what: &str) -> Result<()> {
    let fail = |m: String| io_error(format!("cannot read `{what}`: {m}"));
    let Some((text, data_start)) = header(file, total).map_err(fail)? else {
        return Ok(());
    };
    let Some((shape, item)) = shape_and_item_size(&text) else {
        return Ok(());
    };
    let elements = shape.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d));
    let claimed = elements.and_then(|n| n.checked_mul(item));
    let present = total - data_start;
    let dims: Vec<usize> = shape.iter().map(|&d| d as usize).collect();
    let shape_text = crate::graph::fmt_shape(&dims);
    match claimed {
        Some(bytes) if bytes <= present => {}
        _ => {
            return Err(fail(format!(
                "its header declares shape {shape_text} of {item}-byte elements, but the \
                 file holds only {present} bytes of data"
            )));
        }
    }
    let loaded = elements.and_then(|n| n.checked_mul(if item == 16 { 16 } else { 8 }));
    if loaded.is_none_or(|b| b > limit) {
        return Err(crate::diag::resource_error(format!(
            "cannot load `{what}`: an array of shape {shape_text} is over the memory limit \
             of {limit} bytes"
        )));
    }
    Ok(())
}

/// Where the elements of an `.npy` file lie, for reading them in place by rows.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyLayout {
    /// The array's shape.
    pub shape: Vec<usize>,
    /// Its dtype, stored as arr holds it.
    pub dtype: crate::dtype::DType,
    /// The offset of its first element in the file.
    pub data_start: u64,
}

/// The layout of the `.npy` file `file` of `total` bytes when its elements are stored as
/// arr holds them — little-endian f64, f32 or i64, or bool, in C order, all present — so
/// that any block of rows can be read in place; None otherwise (the whole-file reader
/// converts, or reports what is wrong).
pub(super) fn layout(file: &mut impl Read, total: u64) -> Option<NpyLayout> {
    let (text, data_start) = header(file, total).ok()??;
    if !text.contains("'fortran_order': False") {
        return None;
    }
    let dtype = match ["'<f8'", "'<f4'", "'<i8'", "'|b1'"]
        .iter()
        .position(|d| text.contains(&format!("'descr': {d}")))?
    {
        0 => crate::dtype::DType::F64,
        1 => crate::dtype::DType::F32,
        2 => crate::dtype::DType::I64,
        _ => crate::dtype::DType::Bool,
    };
    let (shape, item) = shape_and_item_size(&text)?;
    let shape: Vec<usize> = shape
        .iter()
        .map(|&d| usize::try_from(d).ok())
        .collect::<Option<_>>()?;
    let bytes = (shape.iter()).try_fold(item, |acc, &d| acc.checked_mul(d as u64))?;
    (cfg!(target_endian = "little") && data_start.checked_add(bytes)? <= total).then_some(
        NpyLayout {
            shape,
            dtype,
            data_start,
        },
    )
}

/// The `shape` and the element size (from `descr`, e.g. `'<f8'`) of an `.npy` header.
fn shape_and_item_size(header: &str) -> Option<(Vec<u64>, u64)> {
    let after = |key: &str| header.find(key).map(|i| &header[i + key.len()..]);
    let shape_text = after("'shape':")?;
    let open = shape_text.find('(')?;
    let close = shape_text.find(')')?;
    let shape = shape_text[open + 1..close]
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| d.trim_end_matches('L').parse().ok())
        .collect::<Option<Vec<u64>>>()?;
    let descr = after("'descr':")?.trim_start();
    let quote = descr.chars().next()?;
    let descr = &descr[1..descr[1..].find(quote)? + 1];
    let digits: String = descr.chars().skip_while(|c| !c.is_ascii_digit()).collect();
    Some((shape, digits.parse().ok()?))
}

/// An f16 element of a `.npy` file, widened to f32 as it is read.
#[derive(Debug, Clone, Copy)]
struct F16(f32);

impl ndarray_npy::ReadableElement for F16 {
    fn read_to_end_exact_vec<R: std::io::Read>(
        mut reader: R,
        type_desc: &py_literal::Value,
        len: usize,
    ) -> std::result::Result<Vec<F16>, ndarray_npy::ReadDataError> {
        use ndarray_npy::ReadDataError;
        let desc = type_desc.to_string();
        let little = match desc.trim_matches(|c| c == '\'' || c == '"') {
            "<f2" => true,
            ">f2" => false,
            _ => return Err(ReadDataError::WrongDescriptor(type_desc.clone())),
        };
        let mut bytes = vec![0u8; len * 2];
        reader.read_exact(&mut bytes).map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => ReadDataError::MissingData,
            _ => ReadDataError::Io(e),
        })?;
        let mut extra = [0u8; 1];
        if reader.read(&mut extra).map_err(ReadDataError::Io)? != 0 {
            return Err(ReadDataError::ExtraBytes(1));
        }
        Ok(bytes
            .chunks_exact(2)
            .map(|b| {
                let bits = if little {
                    u16::from_le_bytes([b[0], b[1]])
                } else {
                    u16::from_be_bytes([b[0], b[1]])
                };
                F16(half::f16::from_bits(bits).to_f32())
            })
            .collect())
    }
}
