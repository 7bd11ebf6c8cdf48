//! File I/O: `.npy` (NumPy format 1.0 through ndarray-npy) and `.csv`.

use super::Array;
use crate::diag::{Result, io_error, value_error};
use ndarray::ArrayD;
use ndarray_npy::{ReadNpyError, read_npy, write_npy};
use num_complex::Complex64;
use std::path::Path;

/// The text of a UTF-8 file (a script, an import, a CSV file); a byte that is not UTF-8 is
/// reported with its line and column.
pub fn read_text(path: &Path) -> Result<String> {
    let fail = |m: String| io_error(format!("cannot read `{}`: {m}", path.display()));
    let bytes = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let at = e.utf8_error().valid_up_to();
        let (line, column) = crate::diag::line_col(&String::from_utf8_lossy(&bytes[..at]));
        fail(format!(
            "line {line}, column {column}: byte 0x{:02x} is not UTF-8 (the file must be UTF-8 text)",
            bytes[at]
        ))
    })
}

/// Writes `a` to `path`: `.npy` in NumPy format, `.csv` as comma-separated rows.
pub fn save(path: &Path, a: &Array) -> Result<()> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let fail =
        |e: &dyn std::fmt::Display| io_error(format!("cannot write `{}`: {e}", path.display()));
    match ext {
        "npy" => match a {
            Array::Bool(x) => write_npy(path, x),
            Array::I64(x) => write_npy(path, x),
            Array::F32(x) => write_npy(path, x),
            Array::F64(x) => write_npy(path, x),
            Array::C128(x) => write_npy(path, x),
        }
        .map_err(|e| fail(&e)),
        "csv" => std::fs::write(path, to_csv(a)?).map_err(|e| fail(&e)),
        _ => Err(value_error(format!(
            "cannot save `{}`: the file name must end in .npy or .csv",
            path.display()
        ))),
    }
}

/// Reads `.npy` (bool; every integer width, as i64; f16, as f32; f32, f64, c128) or `.csv`
/// (as f64). An `.npy` file is refused before anything is allocated when the array its
/// header declares is over `limit` bytes once loaded, or larger than the data the file holds.
pub fn load(path: &Path, limit: u64) -> Result<Array> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    match ext {
        "npy" => {
            check_npy_header(path, limit)?;
            load_npy(path)
        }
        "csv" => {
            let text = read_text(path)?;
            super::csv::parse(&text)
                .map_err(|m| io_error(format!("cannot read `{}`: {m}", path.display())))
        }
        _ => Err(value_error(format!(
            "cannot load `{}`: the file name must end in .npy or .csv",
            path.display()
        ))),
    }
}

/// Checks what an `.npy` header declares against the file's size and the memory `limit`
/// (as loaded: 16 bytes an element for complex, 8 otherwise). A header this cannot read is
/// left to ndarray-npy, which reports it.
fn check_npy_header(path: &Path, limit: u64) -> Result<()> {
    use std::io::Read;
    let fail = |m: String| io_error(format!("cannot read `{}`: {m}", path.display()));
    let mut file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
    let file_len = file.metadata().map_err(|e| fail(e.to_string()))?.len();
    let mut head = vec![0u8; 12];
    if file.read_exact(&mut head).is_err() || &head[..6] != b"\x93NUMPY" {
        return Ok(());
    }
    // Version 1 has a 2-byte header length, later versions 4 bytes.
    let (header_len, start) = match head[6] {
        1 => (u64::from(u16::from_le_bytes([head[8], head[9]])), 10),
        _ => (
            u64::from(u32::from_le_bytes([head[8], head[9], head[10], head[11]])),
            12,
        ),
    };
    if header_len > 1 << 20 || start + header_len > file_len {
        return Err(fail("its header is truncated".into()));
    }
    if header_len < 12 - start {
        return Ok(());
    }
    // The header's first bytes were read with the length; read the rest.
    let mut text = head[start as usize..].to_vec();
    text.resize(header_len as usize, 0);
    file.read_exact(&mut text[12 - start as usize..])
        .map_err(|e| fail(e.to_string()))?;
    let text = String::from_utf8_lossy(&text);
    let Some((shape, item)) = npy_shape_and_item_size(&text) else {
        return Ok(());
    };
    let elements = shape.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d));
    let claimed = elements.and_then(|n| n.checked_mul(item));
    let present = file_len - start - header_len;
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
            "cannot load `{}`: an array of shape {shape_text} is over the memory limit of \
             {limit} bytes",
            path.display()
        )));
    }
    Ok(())
}

/// The `shape` and the element size (from `descr`, e.g. `'<f8'`) of an `.npy` header.
fn npy_shape_and_item_size(header: &str) -> Option<(Vec<u64>, u64)> {
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

fn load_npy(path: &Path) -> Result<Array> {
    let fail = |e: ReadNpyError| io_error(format!("cannot read `{}`: {e}", path.display()));
    macro_rules! attempt {
        ($t:ty, $wrap:expr) => {
            match read_npy::<_, ArrayD<$t>>(path) {
                Ok(a) => return Ok($wrap(a)),
                Err(ReadNpyError::WrongDescriptor(_)) => {}
                Err(e) => return Err(fail(e)),
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
    match read_npy::<_, ArrayD<u64>>(path) {
        Ok(a) => {
            if let Some(big) = a.iter().find(|&&v| i64::try_from(v).is_err()) {
                return Err(value_error(format!(
                    "cannot read `{}`: its u64 value {big} does not fit in i64",
                    path.display()
                )));
            }
            return Ok(Array::I64(a.mapv(|v| v as i64)));
        }
        Err(ReadNpyError::WrongDescriptor(_)) => {}
        Err(e) => return Err(fail(e)),
    }
    Err(io_error(format!(
        "cannot read `{}`: unsupported dtype (supported: bool, integers of every width (as \
         i64), f16 (as f32), f32, f64, c128)",
        path.display()
    )))
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

fn to_csv(a: &Array) -> Result<String> {
    let shape = a.shape();
    let (rows, cols) = match shape.len() {
        0 => (1, 1),
        1 => (shape[0], 1),
        2 => (shape[0], shape[1]),
        n => {
            return Err(value_error(format!(
                "CSV holds 1-D or 2-D arrays, not {n}-D"
            )));
        }
    };
    let cells: Vec<String> = flat_strings(a);
    let mut out = String::new();
    for r in 0..rows {
        let row: Vec<&str> = (0..cols).map(|c| cells[r * cols + c].as_str()).collect();
        out.push_str(&row.join(","));
        out.push('\n');
    }
    Ok(out)
}

fn flat_strings(a: &Array) -> Vec<String> {
    use super::Scalar;
    (0..a.len())
        .map(|i| match a.get_flat(i) {
            Some(Scalar::Bool(b)) => (b as u8).to_string(),
            Some(s) => super::format_scalar(s),
            None => String::new(),
        })
        .collect()
}
