//! Python's format-spec mini-language for scalars (`format(x, ".3f")`, LANGUAGE.md §5):
//! `[[fill]align][sign][#][0][width][,|_][.precision][type]` with the types
//! `d b o x X e E f F g G % s` and none (the value as `print` shows it).

use super::{Scalar, format_scalar};

/// A parsed format spec.
#[derive(Debug, Default)]
struct Spec {
    fill: Option<char>,
    align: Option<char>,
    sign: Option<char>,
    alternate: bool,
    zero: bool,
    width: usize,
    grouping: Option<char>,
    precision: Option<usize>,
    kind: Option<char>,
}

fn parse(spec: &str) -> Result<Spec, String> {
    let chars: Vec<char> = spec.chars().collect();
    let mut s = Spec::default();
    let mut i = 0;
    let is_align = |c: char| matches!(c, '<' | '>' | '^' | '=');
    if chars.len() >= 2 && is_align(chars[1]) {
        s.fill = Some(chars[0]);
        s.align = Some(chars[1]);
        i = 2;
    } else if chars.first().is_some_and(|&c| is_align(c)) {
        s.align = Some(chars[0]);
        i = 1;
    }
    if let Some(&c) = chars.get(i).filter(|&&c| matches!(c, '+' | '-' | ' ')) {
        s.sign = Some(c);
        i += 1;
    }
    if chars.get(i) == Some(&'#') {
        s.alternate = true;
        i += 1;
    }
    if chars.get(i) == Some(&'0') {
        s.zero = true;
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while chars.get(*i).is_some_and(char::is_ascii_digit) {
            *i += 1;
        }
        chars[start..*i].iter().collect::<String>()
    };
    s.width = digits(&mut i).parse().unwrap_or(0);
    if let Some(&c) = chars.get(i).filter(|&&c| c == ',' || c == '_') {
        s.grouping = Some(c);
        i += 1;
    }
    if chars.get(i) == Some(&'.') {
        i += 1;
        let p = digits(&mut i);
        s.precision = Some(
            p.parse()
                .map_err(|_| "a `.` must be followed by a precision")?,
        );
    }
    if let Some(&c) = chars.get(i) {
        if !"dboxXeEfFgG%s".contains(c) {
            return Err(format!("unknown format type `{c}`"));
        }
        s.kind = Some(c);
        i += 1;
    }
    if i != chars.len() {
        return Err(format!("invalid format spec `{spec}`"));
    }
    Ok(s)
}

/// Formats one scalar with a Python format spec, or says why the spec does not apply.
pub fn format_with_spec(x: Scalar, spec: &str) -> Result<String, String> {
    let s = parse(spec)?;
    let (negative, body) = match (x, s.kind) {
        (Scalar::C128(_), Some(_)) => {
            return Err("complex numbers take no format type here".into());
        }
        (Scalar::C128(_), None) | (_, Some('s')) => (false, format_scalar(x)),
        (Scalar::Bool(_) | Scalar::I64(_), Some('d' | 'b' | 'o' | 'x' | 'X') | None) => {
            let v = match x {
                Scalar::Bool(b) => b as i64,
                Scalar::I64(v) => v,
                _ => 0,
            };
            let m = v.unsigned_abs();
            let (digits, prefix) = match s.kind {
                Some('b') => (format!("{m:b}"), "0b"),
                Some('o') => (format!("{m:o}"), "0o"),
                Some('x') => (format!("{m:x}"), "0x"),
                Some('X') => (format!("{m:X}"), "0X"),
                _ if matches!(x, Scalar::Bool(_)) && s.kind.is_none() => (format_scalar(x), ""),
                _ => (group(&m.to_string(), s.grouping), ""),
            };
            let prefix = if s.alternate { prefix } else { "" };
            (v < 0, format!("{prefix}{digits}"))
        }
        (_, Some('d' | 'b' | 'o' | 'x' | 'X')) => {
            return Err("integer format types need an integer".into());
        }
        (Scalar::F32(v), None) if s.precision.is_none() && s.grouping.is_none() => {
            // An f32 shows its own shortest digits (`0.1`, not the f64 widening's).
            let body = format_scalar(Scalar::F32(v.abs()));
            (v.is_sign_negative() && !v.is_nan(), body)
        }
        (_, kind) => {
            let v = x.as_f64();
            (
                v.is_sign_negative() && !v.is_nan(),
                float_body(v.abs(), kind, &s),
            )
        }
    };
    let sign = match (negative, s.sign) {
        (true, _) => "-",
        (false, Some('+')) => "+",
        (false, Some(' ')) => " ",
        _ => "",
    };
    Ok(pad(sign, &body, &s))
}

/// The digits of a non-negative float for a float format type.
fn float_body(v: f64, kind: Option<char>, s: &Spec) -> String {
    if !v.is_finite() {
        let t = if v.is_nan() { "nan" } else { "inf" };
        return if matches!(kind, Some('E' | 'F' | 'G')) {
            t.to_uppercase()
        } else {
            t.into()
        };
    }
    let p = s.precision;
    let text = match kind {
        None if p.is_none() => format_scalar(Scalar::F64(v)),
        Some('f' | 'F') => format!("{v:.*}", p.unwrap_or(6)),
        Some('%') => format!("{:.*}%", p.unwrap_or(6), v * 100.0),
        Some('e' | 'E') => exponent_form(v, p.unwrap_or(6)),
        _ => general(v, p.unwrap_or(6).max(1), s.alternate, kind.is_none()),
    };
    let text = match s.grouping {
        Some(g) => {
            let end = text
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(text.len());
            format!("{}{}", group(&text[..end], Some(g)), &text[end..])
        }
        None => text,
    };
    if matches!(kind, Some('E' | 'G')) {
        text.to_uppercase()
    } else {
        text
    }
}

/// `1.500000e+00`: Python's exponent form (at least two exponent digits).
fn exponent_form(v: f64, precision: usize) -> String {
    let t = format!("{v:.precision$e}");
    let (mantissa, exp) = t.split_once('e').unwrap_or((&t, "0"));
    let e: i32 = exp.parse().unwrap_or(0);
    format!("{mantissa}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
}

/// Python's `g`: fixed or exponent form by the exponent, trailing zeros removed (unless
/// `#`); with no type given, at least one digit after the point.
fn general(v: f64, p: usize, alternate: bool, no_type: bool) -> String {
    let exp = if v == 0.0 {
        0
    } else {
        let t = format!("{v:.*e}", p - 1);
        t.split_once('e')
            .and_then(|(_, e)| e.parse::<i32>().ok())
            .unwrap_or(0)
    };
    let mut text = if -4 <= exp && exp < p as i32 {
        format!("{v:.*}", (p as i32 - 1 - exp).max(0) as usize)
    } else {
        exponent_form(v, p - 1)
    };
    if !alternate {
        let (mantissa, rest) = match text.find('e') {
            Some(i) => (text[..i].to_string(), text[i..].to_string()),
            None => (text.clone(), String::new()),
        };
        let mut m = mantissa;
        if m.contains('.') {
            m = m.trim_end_matches('0').trim_end_matches('.').to_string();
        }
        if no_type && !m.contains('.') && rest.is_empty() {
            m.push_str(".0");
        }
        text = format!("{m}{rest}");
    }
    text
}

/// Digits with a separator every three from the right.
fn group(digits: &str, sep: Option<char>) -> String {
    let Some(sep) = sep else {
        return digits.to_string();
    };
    let n = digits.len();
    let mut out = String::with_capacity(n + n / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// Sign and body padded to the width by the spec's fill and alignment.
fn pad(sign: &str, body: &str, s: &Spec) -> String {
    let len = sign.chars().count() + body.chars().count();
    if len >= s.width {
        return format!("{sign}{body}");
    }
    let n = s.width - len;
    let (fill, align) = match (s.fill, s.align, s.zero) {
        (None, None, true) => ('0', '='),
        (f, a, _) => (f.unwrap_or(' '), a.unwrap_or('>')),
    };
    let run = |k: usize| fill.to_string().repeat(k);
    match align {
        '<' => format!("{sign}{body}{}", run(n)),
        '^' => format!("{}{sign}{body}{}", run(n / 2), run(n - n / 2)),
        '=' => format!("{sign}{}{body}", run(n)),
        _ => format!("{}{sign}{body}", run(n)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_as_python_does() {
        let f = |x: f64, spec: &str| format_with_spec(Scalar::F64(x), spec).unwrap();
        let i = |x: i64, spec: &str| format_with_spec(Scalar::I64(x), spec).unwrap();
        // Each expected string is Python 3's `format(x, spec)`.
        assert_eq!(f(2.61803, ".3f"), "2.618");
        assert_eq!(f(-2.61803, "+10.2f"), "     -2.62");
        assert_eq!(f(2.61803, "+.2f"), "+2.62");
        assert_eq!(f(1234567.891, ",.2f"), "1,234,567.89");
        assert_eq!(f(0.000123, "e"), "1.230000e-04");
        assert_eq!(f(12345.678, ".2E"), "1.23E+04");
        assert_eq!(f(0.5, ".1%"), "50.0%");
        assert_eq!(f(1234.5, "g"), "1234.5");
        assert_eq!(f(1e-5, "g"), "1e-05");
        assert_eq!(f(123456789.0, "g"), "1.23457e+08");
        assert_eq!(f(100.0, ".3g"), "100");
        assert_eq!(f(2.0, ""), "2.0");
        assert_eq!(f(0.1, "08.3f"), "0000.100");
        assert_eq!(f(-0.1, "08.3f"), "-000.100");
        assert_eq!(f(2.5, "*^9.1f"), "***2.5***");
        assert_eq!(f(f64::NAN, "f"), "nan");
        assert_eq!(f(f64::INFINITY, "F"), "INF");
        assert_eq!(i(42, "5d"), "   42");
        assert_eq!(i(42, "<5d"), "42   ");
        assert_eq!(i(-42, "05d"), "-0042");
        assert_eq!(i(255, "#x"), "0xff");
        assert_eq!(i(255, "08b"), "11111111");
        assert_eq!(i(1234567, "_d"), "1_234_567");
        assert_eq!(i(7, ".2f"), "7.00");
        assert!(format_with_spec(Scalar::F64(1.5), "d").is_err());
        assert!(format_with_spec(Scalar::F64(1.5), ".q").is_err());
    }
}
