//! Figures as text, for a terminal: lines, points and contours in braille dots (2 × 4 per
//! character), histograms in block bars, images in shades of ` .:-=+*#%@`, each with its
//! value range written at the axes.

use super::{Chart, Figure, Mark};
use crate::diag::Result;

/// Rows of a chart's plotting area, in characters.
const ROWS: usize = 12;
/// Shades of an image cell, lightest first.
const SHADES: &[u8] = b" .:-=+*#%@";

/// The figure drawn `width` characters wide.
pub(super) fn render(fig: &Figure, width: usize) -> Result<String> {
    let mut out = String::new();
    if let Some(t) = &fig.title {
        out.push_str(&format!("{t}\n"));
    }
    let body = match &fig.chart {
        Chart::Xy(series) => xy(fig, series, width)?,
        Chart::Histogram { edges, counts } => histogram(edges, counts, width),
        Chart::Image { shape, values } => image(*shape, values, width),
        Chart::Contour {
            shape,
            levels,
            segments,
        } => contour(*shape, levels, segments, width),
    };
    out.push_str(&body);
    let labels: Vec<String> = [("x", &fig.xlabel), ("y", &fig.ylabel)]
        .iter()
        .filter_map(|(axis, l)| l.as_ref().map(|l| format!("{axis}: {l}")))
        .collect();
    if !labels.is_empty() {
        out.push_str(&format!("{}\n", labels.join(", ")));
    }
    Ok(out)
}

/// A number for an axis end: four significant digits, without trailing zeros.
fn num(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{}", if v == 0.0 { 0.0 } else { v });
    }
    let magnitude = v.abs().log10().floor() as i32;
    if !(-3..6).contains(&magnitude) {
        return format!("{v:.3e}");
    }
    let decimals = (3 - magnitude).max(0) as usize;
    let text = format!("{v:.decimals$}");
    match text.contains('.') {
        true => text.trim_end_matches('0').trim_end_matches('.').to_string(),
        false => text,
    }
}

/// A braille canvas of `w × h` characters (`2w × 4h` dots).
struct Canvas {
    w: usize,
    h: usize,
    dots: Vec<u8>,
}

impl Canvas {
    fn new(w: usize, h: usize) -> Canvas {
        Canvas {
            w,
            h,
            dots: vec![0; w * h],
        }
    }

    /// Sets the dot at column `x`, row `y` (row 0 at the top), when it is on the canvas.
    fn set(&mut self, x: i64, y: i64) {
        if x < 0 || y < 0 || x >= 2 * self.w as i64 || y >= 4 * self.h as i64 {
            return;
        }
        let (x, y) = (x as usize, y as usize);
        // Braille dot bits by (column, row) within a character.
        const BITS: [[u8; 4]; 2] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]];
        self.dots[(y / 4) * self.w + x / 2] |= BITS[x % 2][y % 4];
    }

    /// Sets the dots of the segment from `a` to `b`.
    fn line(&mut self, a: (i64, i64), b: (i64, i64)) {
        let steps = (b.0 - a.0).abs().max((b.1 - a.1).abs()).max(1);
        for s in 0..=steps {
            let t = s as f64 / steps as f64;
            let x = a.0 as f64 + (b.0 - a.0) as f64 * t;
            let y = a.1 as f64 + (b.1 - a.1) as f64 * t;
            self.set(x.round() as i64, y.round() as i64);
        }
    }

    /// Row `r` as characters.
    fn row(&self, r: usize) -> String {
        self.dots[r * self.w..(r + 1) * self.w]
            .iter()
            .map(|&d| char::from_u32(0x2800 + u32::from(d)).unwrap_or(' '))
            .collect()
    }
}

/// Rows framed with the y range at the left and the x range below.
fn framed(rows: &[String], (y0, y1): (f64, f64), (x0, x1): (f64, f64), width: usize) -> String {
    let (top, bottom) = (num(y1), num(y0));
    let pad = top.len().max(bottom.len());
    let mut out = String::new();
    for (i, r) in rows.iter().enumerate() {
        let label = match i {
            0 => &top,
            i if i + 1 == rows.len() => &bottom,
            _ => "",
        };
        out.push_str(&format!("{label:>pad$} │{r}\n"));
    }
    out.push_str(&format!("{:pad$} └{}\n", "", "─".repeat(width)));
    let (left, right) = (num(x0), num(x1));
    let gap = width.saturating_sub(left.len() + right.len());
    out.push_str(&format!("{:pad$}  {left}{}{right}\n", "", " ".repeat(gap)));
    out
}

fn xy(fig: &Figure, series: &[super::Series], width: usize) -> Result<String> {
    let ((x0, x1), (y0, y1)) = fig.xy_ranges(series)?;
    let w = width.saturating_sub(12).max(10);
    let mut canvas = Canvas::new(w, ROWS);
    let scale = |v: f64, lo: f64, hi: f64, log: bool, dots: usize| -> Option<i64> {
        if !v.is_finite() || (log && v <= 0.0) {
            return None;
        }
        let (v, lo, hi) = if log {
            (v.log10(), lo.log10(), hi.log10())
        } else {
            (v, lo, hi)
        };
        Some(((v - lo) / (hi - lo) * (dots - 1) as f64).round() as i64)
    };
    for s in series {
        let mut last = None;
        for (&a, &b) in s.x.iter().zip(&s.y) {
            let x = scale(a, x0, x1, fig.log_x, 2 * w);
            let y = scale(b, y0, y1, fig.log_y, 4 * ROWS).map(|y| (4 * ROWS) as i64 - 1 - y);
            let here = x.zip(y);
            match (s.mark, last, here) {
                (Mark::Line, Some(p), Some(q)) => canvas.line(p, q),
                (_, _, Some(q)) => canvas.set(q.0, q.1),
                _ => {}
            }
            last = here;
        }
    }
    let rows: Vec<String> = (0..ROWS).map(|r| canvas.row(r)).collect();
    let mut out = framed(&rows, (y0, y1), (x0, x1), w);
    let names: Vec<String> = series.iter().filter_map(|s| s.label.clone()).collect();
    if !names.is_empty() {
        out.push_str(&format!("series: {}\n", names.join(", ")));
    }
    Ok(out)
}

fn contour(
    (rows, cols): (usize, usize),
    levels: &[f64],
    segments: &[super::contour::Segment],
    width: usize,
) -> String {
    let w = width.saturating_sub(12).max(10);
    let mut canvas = Canvas::new(w, ROWS);
    let (xs, ys) = (
        cols.saturating_sub(1).max(1) as f64,
        rows.saturating_sub(1).max(1) as f64,
    );
    let dot = |(x, y): (f64, f64)| {
        (
            (x / xs * (2 * w - 1) as f64).round() as i64,
            (y / ys * (4 * ROWS - 1) as f64).round() as i64,
        )
    };
    for s in segments {
        canvas.line(dot(s.a), dot(s.b));
    }
    let lines: Vec<String> = (0..ROWS).map(|r| canvas.row(r)).collect();
    let mut out = framed(&lines, (ys, 0.0), (0.0, xs), w);
    let shown: Vec<String> = levels.iter().map(|&l| num(l)).collect();
    out.push_str(&format!("levels: {}\n", shown.join(", ")));
    out
}

fn histogram(edges: &[f64], counts: &[u64], width: usize) -> String {
    const EIGHTHS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let w = width.saturating_sub(12).max(counts.len().min(10));
    let most = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    // The bin under each column.
    let height = |c: usize| counts[c * counts.len() / w] as f64 / most * (ROWS * 8) as f64;
    let rows: Vec<String> = (0..ROWS)
        .map(|r| {
            let floor = ((ROWS - 1 - r) * 8) as f64;
            (0..w)
                .map(|c| EIGHTHS[((height(c) - floor).round().clamp(0.0, 8.0)) as usize])
                .collect()
        })
        .collect();
    framed(&rows, (0.0, most), (edges[0], edges[edges.len() - 1]), w)
}

fn image((rows, cols): (usize, usize), values: &[f64], width: usize) -> String {
    // A character is about twice as tall as wide: half as many rows as columns per cell.
    let k = cols.min(width.saturating_sub(2).max(8));
    let r = ((rows as f64 * k as f64 / cols as f64 / 2.0).round() as usize).clamp(1, rows);
    let cells = super::pool(values, (rows, cols), (r, k));
    let (lo, hi, span) = super::value_range(values);
    let mut out = String::new();
    for i in 0..r {
        let line: String = (0..k)
            .map(|j| {
                let v = cells[i * k + j];
                if !v.is_finite() {
                    return '?';
                }
                let s = ((v - lo) / span * (SHADES.len() - 1) as f64).round() as usize;
                SHADES[s.min(SHADES.len() - 1)] as char
            })
            .collect();
        out.push_str(&format!("│{line}│\n"));
    }
    out.push_str(&format!(
        "{rows} × {cols}, shades `{}` from {} to {}\n",
        std::str::from_utf8(SHADES).unwrap_or(""),
        num(lo),
        num(hi)
    ));
    out
}
