//! File I/O: `.npy` and `.npz` (NumPy's formats, see [`super::npy`]), `.csv`, and `.vti`
//! and `.pvd` (VTK image data and time series for ParaView, see [`super::vtk`]).
//!
//! Every file is written to a temporary file beside it, flushed to disk and renamed over
//! the old one: a failed write (a full disk, a killed process) leaves the old file whole,
//! and a program may save over a file it has loaded. The next save of the same file removes
//! what a killed save left (two processes saving one file at once is a race either way).

use super::Array;
use crate::diag::{Result, io_error, value_error};
use std::io::Write;
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

/// Arrays with their names, in a file's order.
pub type NamedArrays = Vec<(String, Array)>;

/// The extension of `path` (empty when it has none).
fn extension(path: &Path) -> &str {
    path.extension().and_then(|e| e.to_str()).unwrap_or("")
}

/// Writes named arrays to `path`: one array to `.npy` or `.csv` (its name unused), any
/// number to `.npz` (members `name.npy`) or `.vti` (point-data fields of one grid).
pub fn save(path: &Path, arrays: &[(&str, &Array)]) -> Result<()> {
    let one = |kind: &str| match arrays {
        [(_, a)] => Ok(*a),
        _ => Err(value_error(format!(
            "a {kind} file holds one array, not {}: save several to a .npz (or .vti) file",
            arrays.len()
        ))),
    };
    match extension(path) {
        "npy" => {
            let a = one(".npy")?;
            write_atomically(path, |f| super::npy::write(std::io::BufWriter::new(f), a))
        }
        "csv" => {
            let text = to_csv(one(".csv")?)?;
            write_bytes(path, text.as_bytes())
        }
        "npz" => write_atomically(path, |f| super::npy::write_npz(f, &[], arrays)),
        "vti" => {
            let grid = super::vtk::Grid::new(arrays)?;
            write_atomically(path, |f| grid.write(std::io::BufWriter::new(f)))
        }
        "pvd" => Err(value_error(format!(
            "a step of the .pvd series `{}` needs its time: save(path, u=u, time=t)",
            path.display()
        ))),
        _ => Err(value_error(format!(
            "cannot save `{}`: the file name must end in .npy, .npz, .csv, .vti or .pvd",
            path.display()
        ))),
    }
}

/// Writes one step of the ParaView time series `path` (`.pvd`): the fields as the grid
/// file `STEM_NNNNNN.vti` beside it, listed at `time` in the collection. Steps at `time` or
/// later already listed are dropped first, so a run started again (or resumed from a
/// checkpoint) rewrites its series instead of appending to a stale one.
pub fn save_series_step(path: &Path, fields: &[(&str, &Array)], time: f64) -> Result<()> {
    let grid = super::vtk::Grid::new(fields)?;
    let mut series = match std::fs::read_to_string(path) {
        Ok(text) => super::vtk::Series::parse(&text).ok_or_else(|| {
            value_error(format!(
                "`{}` is not a .pvd series arr wrote: remove it or save to another name",
                path.display()
            ))
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Default::default(),
        Err(e) => {
            return Err(io_error(format!("cannot read `{}`: {e}", path.display())));
        }
    };
    let stem = path
        .file_stem()
        .map_or("series".into(), |s| s.to_string_lossy());
    let file = series.add(&stem, time);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    write_atomically(&dir.join(&file), |f| grid.write(std::io::BufWriter::new(f)))?;
    write_bytes(path, series.to_xml().as_bytes())
}

/// Writes `bytes` to `path` atomically.
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomically(path, |f| f.write_all(bytes).map_err(|e| e.to_string()))
}

/// Writes a file through `write` into a temporary file beside `path`, flushes it to disk
/// and renames it over `path`; on failure the temporary file is removed and `path` is as
/// it was. Errors name the path and the system's reason.
pub(crate) fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> std::result::Result<(), String>,
) -> Result<()> {
    let fail = |m: String| io_error(format!("cannot write `{}`: {m}", path.display()));
    let name = path
        .file_name()
        .ok_or_else(|| fail("the path names no file".into()))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".{}.tmp", std::process::id()));
    let temp = dir.join(temp_name);
    let written = std::fs::File::create(&temp)
        .map_err(|e| e.to_string())
        .and_then(|mut f| {
            write(&mut f)?;
            f.sync_all().map_err(|e| e.to_string())
        })
        .and_then(|()| std::fs::rename(&temp, path).map_err(|e| e.to_string()));
    if let Err(m) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(fail(m));
    }
    // The rename itself reaches the disk with the directory (best effort: not every file
    // system lets a directory be opened for syncing).
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    remove_stale_temporaries(dir, name);
    Ok(())
}

/// Removes the temporary files that runs killed while saving `name` in `dir` left beside
/// it (`.NAME.PID.tmp`; this process's own is gone once renamed).
fn remove_stale_temporaries(dir: &Path, name: &std::ffi::OsStr) {
    let prefix = format!(".{}.", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let stale = file
            .to_str()
            .and_then(|f| f.strip_prefix(&prefix))
            .and_then(|rest| rest.strip_suffix(".tmp"))
            .is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()));
        if stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Writes a zip archive of `raw` members (name and bytes) then `arrays` (as `name.npy`
/// members: NumPy's `load` reads it as an `.npz` file) atomically, as every save is.
pub(crate) fn save_archive(
    path: &Path,
    raw: &[(&str, &[u8])],
    arrays: &[(&str, &Array)],
) -> Result<()> {
    write_atomically(path, |f| {
        super::npy::write_npz(std::io::BufWriter::new(f), raw, arrays)
    })
}

/// The bytes of member `name` of the zip archive at `path` (refused over `limit` bytes);
/// `None` when it has no such member.
pub(crate) fn archive_member(path: &Path, name: &str, limit: u64) -> Result<Option<Vec<u8>>> {
    let what = path.display().to_string();
    let file =
        std::fs::File::open(path).map_err(|e| io_error(format!("cannot read `{what}`: {e}")))?;
    super::npy::read_zip_member(&what, std::io::BufReader::new(file), name, limit)
}

/// The `.npy` members of the zip archive at `path`, as arrays within the memory `limit`.
pub(crate) fn archive_arrays(path: &Path, limit: u64) -> Result<NamedArrays> {
    let what = path.display().to_string();
    let file =
        std::fs::File::open(path).map_err(|e| io_error(format!("cannot read `{what}`: {e}")))?;
    super::npy::read_npz(&what, std::io::BufReader::new(file), limit, None)
}

/// Reads `.npy` (bool; every integer width, as i64; f16, as f32; f32, f64, c128) or `.csv`
/// (as f64): one array. A file is refused before anything is allocated when the array it
/// declares is over `limit` bytes once loaded, or larger than the data the file holds.
pub fn load(path: &Path, limit: u64) -> Result<Array> {
    let what = path.display().to_string();
    match extension(path) {
        "npy" => {
            let total = std::fs::metadata(path)
                .map_err(|e| io_error(format!("cannot read `{what}`: {e}")))?
                .len();
            super::npy::read(&what, total, limit, || {
                std::fs::File::open(path).map(std::io::BufReader::new)
            })
        }
        "csv" => {
            let text = read_text(path)?;
            super::csv::parse(&text).map_err(|m| io_error(format!("cannot read `{what}`: {m}")))
        }
        "npz" => Err(value_error(format!(
            "`{what}` holds named arrays: load them with load(path, name) or all at once \
             with let (a, b) = load(path)"
        ))),
        _ => Err(value_error(format!(
            "cannot load `{what}`: the file name must end in .npy, .npz or .csv"
        ))),
    }
}

/// The layout of the `.npy` file at `path` when its rows can be read in place (see
/// [`read_npy_rows`]); None when they cannot, or the file does not open.
pub fn npy_layout(path: &Path) -> Option<super::npy::NpyLayout> {
    if extension(path) != "npy" {
        return None;
    }
    let total = std::fs::metadata(path).ok()?.len();
    let file = std::fs::File::open(path).ok()?;
    super::npy::layout(&mut std::io::BufReader::new(file), total)
}

/// Reads rows `rows` of the `.npy` file at `path`, of layout `layout`, into `into` (their
/// bytes, as arr holds them).
pub fn read_npy_rows(
    path: &Path,
    layout: &super::npy::NpyLayout,
    rows: std::ops::Range<usize>,
    into: &mut [u8],
) -> Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let what = path.display();
    let fail = |e: std::io::Error| io_error(format!("cannot read `{what}`: {e}"));
    let row_len: usize = layout.shape.iter().skip(1).product();
    let row_bytes = (row_len * layout.dtype.size_bytes()) as u64;
    let mut file = std::fs::File::open(path).map_err(fail)?;
    file.seek(SeekFrom::Start(
        layout.data_start + rows.start as u64 * row_bytes,
    ))
    .map_err(fail)?;
    file.read_exact(into).map_err(fail)?;
    if layout.dtype == crate::dtype::DType::Bool && into.iter().any(|&b| b > 1) {
        return Err(io_error(format!(
            "cannot read `{what}`: a bool element is not 0 or 1"
        )));
    }
    Ok(())
}

/// The arrays of the `.npz` file at `path`, in its order, with their names; with `only`,
/// just that one (an error names the arrays it has when it has no such array).
pub fn load_npz(path: &Path, limit: u64, only: Option<&str>) -> Result<NamedArrays> {
    let what = path.display().to_string();
    if extension(path) != "npz" {
        return Err(value_error(format!(
            "`{what}` holds one array: load(path) reads it (a name picks an array of a .npz file)"
        )));
    }
    let file =
        std::fs::File::open(path).map_err(|e| io_error(format!("cannot read `{what}`: {e}")))?;
    super::npy::read_npz(&what, std::io::BufReader::new(file), limit, only)
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
