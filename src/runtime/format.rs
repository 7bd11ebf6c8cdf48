//! Printing (LANGUAGE.md §7): scalars as Python's `repr`, arrays as NumPy's `print` —
//! the same float modes, padding, 75-column wrapping and `...` summaries beyond 1000 elements.

use super::{Array, Scalar};
use num_complex::Complex64;

/// How arrays print, as NumPy's `set_printoptions` sets it (`printoptions(...)` in arr).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PrintOptions {
    /// Digits after the point at most (`precision`, 8).
    pub precision: usize,
    /// Arrays of more elements are summarised with `...` (`threshold`, 1000).
    pub threshold: usize,
    /// Characters per line (`linewidth`, 75).
    pub linewidth: usize,
    /// Small numbers print as fixed-point zeros instead of switching to scientific notation
    /// (`suppress`, false).
    pub suppress: bool,
    /// Items shown at each edge of a summarised axis (`edgeitems`, 3).
    pub edgeitems: usize,
}

impl Default for PrintOptions {
    fn default() -> PrintOptions {
        PrintOptions {
            precision: 8,
            threshold: 1000,
            linewidth: 75,
            suppress: false,
            edgeitems: 3,
        }
    }
}

thread_local! {
    /// The options arrays print with on this thread (a process-wide setting in NumPy).
    static OPTIONS: std::cell::Cell<PrintOptions> = std::cell::Cell::new(PrintOptions::default());
}

/// The options arrays print with now.
pub fn print_options() -> PrintOptions {
    OPTIONS.with(|o| o.get())
}

/// Sets the options arrays print with from now on (on this thread).
pub fn set_print_options(options: PrintOptions) {
    OPTIONS.with(|o| o.set(options));
}

/// Shortest round-trip digits of a finite, non-zero-or-zero float and its decimal exponent:
/// the value is `d.ddd × 10^exp`.
fn shortest(x: f64, single: bool) -> (String, i32) {
    let s = if single {
        format!("{:e}", x.abs() as f32)
    } else {
        format!("{:e}", x.abs())
    };
    let k = split_sci(&s).0.len();
    // Of two equally close shortest strings, Python and NumPy take the correctly rounded one
    // (ties to even); precision formatting of the exact value to the same length gives it.
    let exact = if single {
        format!("{:.*e}", k - 1, x.abs() as f32)
    } else {
        format!("{:.*e}", k - 1, x.abs())
    };
    split_sci(&exact)
}

/// Splits Rust's `{:e}` output (`1.25e-3`) into digits (`125`) and exponent (`-3`).
fn split_sci(s: &str) -> (String, i32) {
    let (mant, exp) = s.split_once('e').unwrap_or((s, "0"));
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() {
        "0".to_string()
    } else {
        digits.to_string()
    };
    (digits, exp.parse().unwrap_or(0))
}

/// Lays out digits `d.ddd × 10^exp` positionally: integer part and fraction part.
fn positional(digits: &str, exp: i32) -> (String, String) {
    if exp >= 0 {
        let e = exp as usize;
        if digits.len() > e + 1 {
            (digits[..e + 1].to_string(), digits[e + 1..].to_string())
        } else {
            (
                format!("{digits}{}", "0".repeat(e + 1 - digits.len())),
                String::new(),
            )
        }
    } else {
        let zeros = "0".repeat((-exp - 1) as usize);
        ("0".to_string(), format!("{zeros}{digits}"))
    }
}

/// A float as Python's `repr` writes it (`add_dot_zero`: `3.0` rather than `3`).
fn repr_float(x: f64, single: bool, add_dot_zero: bool) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x < 0.0 { "-inf".into() } else { "inf".into() };
    }
    let sign = if x.is_sign_negative() { "-" } else { "" };
    let (digits, exp) = shortest(x, single);
    if x == 0.0 {
        return format!("{sign}{}", if add_dot_zero { "0.0" } else { "0" });
    }
    // Positional between 1e-4 and 1e16 (NumPy's f32 scalars: 1e6), else scientific.
    let upper = if single { 1e6 } else { 1e16 };
    if (1e-4..upper).contains(&x.abs()) {
        let (int, frac) = positional(&digits, exp);
        if frac.is_empty() {
            if add_dot_zero {
                format!("{sign}{int}.0")
            } else {
                format!("{sign}{int}")
            }
        } else {
            format!("{sign}{int}.{frac}")
        }
    } else {
        let mant = if digits.len() > 1 {
            format!("{}.{}", &digits[..1], &digits[1..])
        } else {
            digits
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{mant}e{esign}{:02}", exp.abs())
    }
}

fn repr_complex(z: Complex64) -> String {
    let im = repr_float(z.im, false, false);
    if z.re == 0.0 && !z.re.is_sign_negative() {
        return format!("{im}j");
    }
    let re = repr_float(z.re, false, false);
    let im = if im.starts_with('-') {
        im
    } else {
        format!("+{im}")
    };
    format!("({re}{im}j)")
}

/// A scalar as `print` shows it.
pub fn format_scalar(s: Scalar) -> String {
    match s {
        Scalar::Bool(b) => b.to_string(),
        Scalar::I64(v) => v.to_string(),
        Scalar::F32(v) => repr_float(v as f64, true, true),
        Scalar::F64(v) => repr_float(v, false, true),
        Scalar::C128(z) => repr_complex(z),
    }
}

/// NumPy's `FloatingFormat` for one array: decides between positional and scientific
/// notation from the values shown, then pads every element to a common width.
struct FloatFormat {
    single: bool,
    plus: bool,
    exp_mode: bool,
    pad_left: usize,
    pad_right: usize,
    precision: usize,
    exp_size: usize,
    /// `PrintOptions::precision`: fraction digits at most.
    max_digits: usize,
}

/// One finite float rounded to at most `precision` fraction digits (positional) or
/// significant digits after the first (scientific): `(sign, int, frac, exp)`.
fn dragon4(x: f64, single: bool, sci: bool, precision: usize) -> (bool, String, String, i32) {
    let neg = x.is_sign_negative();
    let (digits, exp) = shortest(x, single);
    if sci {
        let (digits, exp) = if digits.len() > precision + 1 {
            split_sci(&format!("{:.*e}", precision, x.abs()))
        } else {
            (digits, exp)
        };
        let exp = if x == 0.0 { 0 } else { exp };
        (neg, digits[..1].to_string(), digits[1..].to_string(), exp)
    } else {
        let (int, frac) = positional(&digits, exp);
        if frac.len() > precision {
            let s = format!("{:.*}", precision, x.abs());
            let (i, f) = s.split_once('.').unwrap_or((&s, ""));
            (neg, i.to_string(), f.trim_end_matches('0').to_string(), 0)
        } else {
            (neg, int, frac, 0)
        }
    }
}

impl FloatFormat {
    fn new(values: &[f64], single: bool, plus: bool, options: PrintOptions) -> FloatFormat {
        let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        let nonzero: Vec<f64> = finite
            .iter()
            .map(|v| v.abs())
            .filter(|&v| v != 0.0)
            .collect();
        let mut exp_mode = false;
        if !nonzero.is_empty() {
            let max = nonzero.iter().copied().fold(0.0, f64::max);
            let min = nonzero.iter().copied().fold(f64::INFINITY, f64::min);
            exp_mode = max >= 1e8 || !options.suppress && (min < 1e-4 || max / min > 1e3);
        }
        let mut f = FloatFormat {
            single,
            plus,
            exp_mode,
            pad_left: 0,
            pad_right: 0,
            precision: 0,
            exp_size: 0,
            max_digits: options.precision,
        };
        let sign_len = |neg: bool| usize::from(neg || plus);
        if !finite.is_empty() {
            let parts: Vec<_> = finite
                .iter()
                .map(|&v| dragon4(v, single, exp_mode, options.precision))
                .collect();
            f.pad_left = parts
                .iter()
                .map(|(n, i, _, _)| i.len() + sign_len(*n))
                .max()
                .unwrap_or(0);
            if exp_mode {
                f.precision = parts.iter().map(|p| p.2.len()).max().unwrap_or(0);
                f.exp_size = parts
                    .iter()
                    .map(|p| p.3.unsigned_abs().to_string().len().max(2))
                    .max()
                    .unwrap_or(2);
                f.pad_right = f.exp_size + 2 + f.precision;
            } else {
                f.pad_right = parts.iter().map(|p| p.2.len()).max().unwrap_or(0);
            }
        }
        if finite.len() != values.len() {
            let neginf = values.iter().any(|v| v.is_infinite() && *v < 0.0);
            let offset = f.pad_right + 1;
            let nan = 3usize.saturating_sub(offset);
            let inf = (3 + usize::from(neginf || plus)).saturating_sub(offset);
            f.pad_left = f.pad_left.max(nan).max(inf);
        }
        f
    }

    fn format(&self, x: f64) -> String {
        let width = self.pad_left + self.pad_right + 1;
        if !x.is_finite() {
            let s = if x.is_nan() {
                if self.plus {
                    "+nan".to_string()
                } else {
                    "nan".to_string()
                }
            } else if x < 0.0 {
                "-inf".to_string()
            } else if self.plus {
                "+inf".to_string()
            } else {
                "inf".to_string()
            };
            return format!("{s:>width$}");
        }
        let (neg, int, frac, _) = dragon4(x, self.single, self.exp_mode, self.max_digits);
        let sign = if neg {
            "-"
        } else if self.plus {
            "+"
        } else {
            ""
        };
        if self.exp_mode {
            // Every element shows exactly `precision` digits after the point, taken from its
            // exact binary value (NumPy's `min_digits`): f32 values show their true digits.
            let exact = format!("{:.*e}", self.precision, x.abs());
            let (mant, e) = exact.split_once('e').unwrap_or((&exact, "0"));
            let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
            let exp: i32 = e.parse().unwrap_or(0);
            let head = format!("{sign}{int}");
            let esign = if exp < 0 { '-' } else { '+' };
            format!(
                "{head:>pl$}.{frac}e{esign}{:0>es$}",
                exp.unsigned_abs(),
                pl = self.pad_left,
                es = self.exp_size
            )
        } else {
            let head = format!("{sign}{int}");
            format!(
                "{head:>pl$}.{frac:<pr$}",
                pl = self.pad_left,
                pr = self.pad_right
            )
        }
    }
}

/// Formats one element of an array for its column; built once per printed array.
enum ElementFormat {
    Bool,
    Int(usize),
    Float(FloatFormat),
    Complex(FloatFormat, FloatFormat),
}

impl ElementFormat {
    fn new(shown: &[Scalar], template: &Array, options: PrintOptions) -> ElementFormat {
        match template {
            Array::Bool(_) => ElementFormat::Bool,
            Array::I64(_) => ElementFormat::Int(
                shown
                    .iter()
                    .map(|s| format_scalar(*s).len())
                    .max()
                    .unwrap_or(1),
            ),
            Array::F32(_) | Array::F64(_) => {
                let vals: Vec<f64> = shown.iter().map(|s| s.as_f64()).collect();
                ElementFormat::Float(FloatFormat::new(
                    &vals,
                    matches!(template, Array::F32(_)),
                    false,
                    options,
                ))
            }
            Array::C128(_) => {
                let re: Vec<f64> = shown.iter().map(|s| s.as_c128().re).collect();
                let im: Vec<f64> = shown.iter().map(|s| s.as_c128().im).collect();
                ElementFormat::Complex(
                    FloatFormat::new(&re, false, false, options),
                    FloatFormat::new(&im, false, true, options),
                )
            }
        }
    }

    fn format(&self, s: Scalar) -> String {
        match self {
            ElementFormat::Bool => if s.cast(crate::dtype::DType::Bool) == Scalar::Bool(true) {
                " true"
            } else {
                "false"
            }
            .to_string(),
            ElementFormat::Int(w) => format!("{:>w$}", format_scalar(s), w = *w),
            ElementFormat::Float(f) => f.format(s.as_f64()),
            ElementFormat::Complex(r, i) => {
                let z = s.as_c128();
                let im = i.format(z.im);
                let trimmed = im.trim_end();
                format!("{}{}j{}", r.format(z.re), trimmed, &im[trimmed.len()..])
            }
        }
    }
}

/// The positions along one axis that are printed: all, or the edges around a `...`.
fn shown_positions(len: usize, edge: Option<usize>) -> (Vec<usize>, Option<usize>) {
    if let Some(edge) = edge
        && len > 2 * edge
    {
        let mut v: Vec<usize> = (0..edge).collect();
        v.extend(len - edge..len);
        (v, Some(edge))
    } else {
        ((0..len).collect(), None)
    }
}

/// The items `print` shows at each edge of an array of `shape`'s longer axes, or None when
/// it shows every element (the array has `threshold` elements or fewer).
pub fn summary_edge(shape: &[usize]) -> Option<usize> {
    let options = print_options();
    (shape.iter().product::<usize>() > options.threshold).then_some(options.edgeitems)
}

/// An array as NumPy's `print` shows it (no `array(...)` wrapper). Only the elements shown
/// are read and formatted: a summarised array of 10^8 elements costs what one of 36 does.
pub fn format_array(a: &Array) -> String {
    let mut shown: Option<Array> = None;
    if let Some(edge) = summary_edge(a.shape()) {
        for (axis, &n) in a.shape().iter().enumerate() {
            if n > 2 * edge {
                let (positions, _) = shown_positions(n, Some(edge));
                let from = shown.as_ref().unwrap_or(a);
                shown =
                    Some(crate::map_array!(from, x => x.select(ndarray::Axis(axis), &positions)));
            }
        }
    }
    format_shown(shown.as_ref().unwrap_or(a), a.shape())
}

/// An array of `shape` as `print` shows it, from `shown`: the elements it shows — along
/// each axis [`summary_edge`] cuts, the first and last edge items; the others whole.
pub fn format_shown(shown: &Array, shape: &[usize]) -> String {
    if shape.is_empty() {
        return shown.as_scalar().map(format_scalar).unwrap_or_default();
    }
    if shape.contains(&0) {
        return "[]".into();
    }
    let options = print_options();
    let summarize = summary_edge(shape);
    let kept = shown.shape();
    let strides: Vec<usize> = (0..kept.len())
        .map(|i| kept[i + 1..].iter().product())
        .collect();
    let flat = flat_elements(shown);
    let fmt = ElementFormat::new(&flat, shown, options);
    let ctx = Printer {
        shape,
        strides: &strides,
        flat: &flat,
        fmt: &fmt,
        summarize,
    };
    ctx.recurse(0, 0, " ", options.linewidth.max(shape.len() + 2))
}

fn flat_elements(a: &Array) -> Vec<Scalar> {
    match a {
        Array::Bool(x) => x.iter().map(|&v| Scalar::Bool(v)).collect(),
        Array::I64(x) => x.iter().map(|&v| Scalar::I64(v)).collect(),
        Array::F32(x) => x.iter().map(|&v| Scalar::F32(v)).collect(),
        Array::F64(x) => x.iter().map(|&v| Scalar::F64(v)).collect(),
        Array::C128(x) => x.iter().map(|&v| Scalar::C128(v)).collect(),
    }
}

struct Printer<'a> {
    shape: &'a [usize],
    /// Row-major strides of the elements shown.
    strides: &'a [usize],
    /// The elements shown, row-major.
    flat: &'a [Scalar],
    fmt: &'a ElementFormat,
    /// The edge items of a summarised array (`None`: every element).
    summarize: Option<usize>,
}

impl Printer<'_> {
    /// Where position `i` along `axis` is among the elements shown.
    fn place(&self, axis: usize, i: usize) -> usize {
        let n = self.shape[axis];
        match self.summarize {
            Some(edge) if n > 2 * edge && i >= edge => i - (n - 2 * edge),
            _ => i,
        }
    }

    /// NumPy's `_formatArray` recursion.
    fn recurse(&self, axis: usize, base: usize, hanging: &str, width: usize) -> String {
        if axis == self.shape.len() {
            return self.fmt.format(self.flat[base]);
        }
        let next_hanging = format!("{hanging} ");
        let next_width = width.saturating_sub(1).max(2);
        let (positions, gap) = shown_positions(self.shape[axis], self.summarize);
        let axes_left = self.shape.len() - axis;
        let mut s = String::new();
        if axes_left == 1 {
            let elem_width = width.saturating_sub(1);
            let mut line = hanging.to_string();
            for (k, &i) in positions.iter().enumerate() {
                if gap == Some(k) {
                    extend_line(&mut s, &mut line, "...", elem_width, hanging);
                    line.push(' ');
                }
                let word = self.recurse(
                    axis + 1,
                    base + self.place(axis, i) * self.strides[axis],
                    &next_hanging,
                    next_width,
                );
                let is_last = k + 1 == positions.len();
                let w = if is_last { width } else { elem_width };
                extend_line(
                    &mut s,
                    &mut line,
                    &word,
                    if is_last { w.saturating_sub(1) } else { w },
                    hanging,
                );
                if !is_last {
                    line.push(' ');
                }
            }
            s.push_str(&line);
        } else {
            let line_sep = "\n".repeat(axes_left - 1);
            for (k, &i) in positions.iter().enumerate() {
                if gap == Some(k) {
                    s.push_str(hanging);
                    s.push_str("...");
                    s.push_str(&line_sep);
                }
                let nested = self.recurse(
                    axis + 1,
                    base + self.place(axis, i) * self.strides[axis],
                    &next_hanging,
                    next_width,
                );
                s.push_str(hanging);
                s.push_str(&nested);
                if k + 1 != positions.len() {
                    s.push_str(&line_sep);
                }
            }
        }
        format!("[{}]", &s[hanging.len()..])
    }
}

/// NumPy's `_extendLine`: wraps before `word` when the line would pass `width`.
fn extend_line(s: &mut String, line: &mut String, word: &str, width: usize, hanging: &str) {
    let needs_wrap = line.len() + word.len() > width && line.len() > hanging.len();
    if needs_wrap {
        s.push_str(line.trim_end());
        s.push('\n');
        *line = hanging.to_string();
    }
    line.push_str(word);
}
