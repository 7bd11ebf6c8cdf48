//! Reading `.csv` files as `numpy.loadtxt(path, delimiter=",")` does, through the `csv`
//! crate: comma-separated numbers, one row a line; blank lines and lines starting with `#`
//! skipped; a UTF-8 byte-order mark ignored; fields may be quoted (`"1.5"`). One header
//! line is allowed before the data (a first line with words in it, such as `x,y`). Complex cells
//! (`(1+2j)`, as `save` writes them) make the array c128.
//!
//! Anything else fails with its line and column: an empty field (`1,2,`), a cell that is not a
//! number (`1;2` — the delimiter is a comma), rows of different lengths. Nothing is dropped
//! silently.

use super::Array;
use ndarray::{ArrayD, IxDyn};
use num_complex::Complex64;

/// The array in CSV `text`, or what is wrong with it (with its line and column).
pub(super) fn parse(text: &str) -> Result<Array, String> {
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .comment(Some(b'#'))
        .trim(::csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut rows: Vec<Vec<Complex64>> = vec![];
    let mut complex = false;
    let mut first = true;
    for record in reader.records() {
        let record = record.map_err(|e| e.to_string())?;
        let (line, start) = record
            .position()
            .map_or((0, 0), |p| (p.line(), p.byte() as usize));
        let is_first = std::mem::take(&mut first);
        let mut row = Vec::with_capacity(record.len());
        for (f, field) in record.iter().enumerate() {
            match cell(field) {
                Some((z, is_complex)) => {
                    complex |= is_complex;
                    row.push(z);
                }
                // A first line with words in it (`x,y`) is the header.
                None if is_first && record.iter().any(|f| f.chars().any(char::is_alphabetic)) => {
                    row.clear();
                    break;
                }
                None => {
                    let at = format!("line {line}, column {}", column(text, start, f));
                    return Err(if field.is_empty() {
                        format!("{at}: an empty field (a trailing or doubled comma?)")
                    } else {
                        format!("{at}: `{field}` is not a number (fields are separated by `,`)")
                    });
                }
            }
        }
        if row.is_empty() {
            continue;
        }
        if let Some(cols) = rows.first().map(Vec::len)
            && row.len() != cols
        {
            return Err(format!(
                "line {line}: {} values, but the rows before it have {cols}",
                row.len()
            ));
        }
        rows.push(row);
    }
    let cols = rows.first().map_or(0, Vec::len);
    let shape = if cols == 1 || rows.len() == 1 {
        vec![rows.len() * cols]
    } else {
        vec![rows.len(), cols]
    };
    let values = rows.into_iter().flatten();
    let array = if complex {
        ArrayD::from_shape_vec(IxDyn(&shape), values.collect()).map(Array::C128)
    } else {
        ArrayD::from_shape_vec(IxDyn(&shape), values.map(|z| z.re).collect()).map(Array::F64)
    };
    array.map_err(|e| e.to_string())
}

/// The 1-based column where field `f` of the line starting at byte `start` begins.
fn column(text: &str, start: usize, f: usize) -> usize {
    let line = text.get(start..).unwrap_or("");
    let line = line.lines().next().unwrap_or("");
    let offset: usize = line.split(',').take(f).map(|c| c.len() + 1).sum();
    line.get(..offset.min(line.len()))
        .map_or(offset, |s| s.chars().count())
        + 1
}

/// A cell's value and whether it was written as a complex number.
fn cell(c: &str) -> Option<(Complex64, bool)> {
    if let Ok(x) = real(c) {
        return Some((Complex64::new(x, 0.0), false));
    }
    let body = c
        .strip_prefix('(')
        .and_then(|b| b.strip_suffix(')'))
        .unwrap_or(c);
    let body = body.strip_suffix('j')?;
    // The imaginary part starts at the last sign that is not an exponent's.
    let bytes = body.as_bytes();
    let split = (1..bytes.len())
        .rev()
        .find(|&i| matches!(bytes[i], b'+' | b'-') && !matches!(bytes[i - 1], b'e' | b'E'));
    let (re, im) = match split {
        Some(i) => (real(&body[..i]).ok()?, real(&body[i..]).ok()?),
        None => (0.0, real(body).ok()?),
    };
    Some((Complex64::new(re, im), true))
}

/// A real number as Python's `float()` reads it (`nan`, `inf`, `-Infinity` included).
fn real(s: &str) -> Result<f64, std::num::ParseFloatError> {
    match s.strip_prefix('+') {
        Some(rest) if !rest.starts_with(['+', '-']) => rest.parse(),
        _ => s.parse(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> (Vec<usize>, Vec<f64>) {
        let a = parse(text).expect("parses");
        (a.shape().to_vec(), a.to_f64_vec())
    }

    #[test]
    fn reads_what_loadtxt_reads() {
        assert_eq!(values("1,2\n3,4\n"), (vec![2, 2], vec![1.0, 2.0, 3.0, 4.0]));
        assert_eq!(values("\u{feff}1,2\n3,4\n").1, vec![1.0, 2.0, 3.0, 4.0]);
        assert_eq!(
            values("x,y\n1,2\n\n# note\n3,4").1,
            vec![1.0, 2.0, 3.0, 4.0]
        );
        assert_eq!(values("\"1\",\"2\"\n").1, vec![1.0, 2.0]);
        assert_eq!(values(" 1 , -2.5e-3 \n").1, vec![1.0, -2.5e-3]);
        let (_, v) = values("nan,inf,-inf,+1");
        assert!(v[0].is_nan() && v[1] == f64::INFINITY && v[2] == f64::NEG_INFINITY);
        assert_eq!(v[3], 1.0);
    }

    #[test]
    fn reads_complex_cells_as_save_writes_them() {
        let a = parse("(1+2j),(3-4.5e-1j)\n(-0-1j),2j\n").expect("parses");
        let Array::C128(z) = a else { panic!("complex") };
        let z: Vec<Complex64> = z.iter().copied().collect();
        assert_eq!(z[0], Complex64::new(1.0, 2.0));
        assert_eq!(z[1], Complex64::new(3.0, -0.45));
        assert_eq!(z[2], Complex64::new(-0.0, -1.0));
        assert_eq!(z[3], Complex64::new(0.0, 2.0));
    }

    #[test]
    fn refuses_what_it_cannot_read_with_a_position() {
        let err = |t: &str| parse(t).expect_err("refused");
        assert_eq!(
            err("1,2\n3,4,\n"),
            "line 2, column 5: an empty field (a trailing or doubled comma?)"
        );
        assert_eq!(
            err("1;2\n3;4\n"),
            "line 1, column 1: `1;2` is not a number (fields are separated by `,`)"
        );
        assert_eq!(
            err("a,b\nc,d\n1,2\n"),
            "line 2, column 1: `c` is not a number (fields are separated by `,`)"
        );
        assert_eq!(
            err("1,2\n3\n"),
            "line 2: 1 values, but the rows before it have 2"
        );
    }
}
