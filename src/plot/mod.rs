//! Plots: `plot`, `scatter`, `hist`, `imshow` and `contour` build a [`Figure`] of computed
//! values, which is drawn into an SVG or PNG file with plotters ([`render`]) or, with no
//! file, as text for the terminal ([`text`]: braille dots for lines, points and contours,
//! block bars for histograms, shades for images).
//!
//! *Invariant:* knows nothing of graphs or the evaluator: a figure holds plain `f64` data.

pub mod contour;
mod render;
mod text;

use crate::diag::{Result, value_error};
use std::path::Path;

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Points joined by lines (`plot`).
    Line,
    /// Separate points (`scatter`).
    Points,
}

/// One series of an x–y chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The points' x and y (the same length).
    pub x: Vec<f64>,
    /// The points' y.
    pub y: Vec<f64>,
    /// The legend's name for it.
    pub label: Option<String>,
    /// Lines or points.
    pub mark: Mark,
}

/// What a figure shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Chart {
    /// Series over shared axes.
    Xy(Vec<Series>),
    /// Counts per bin: `edges` has one more entry than `counts`.
    Histogram {
        /// Bin edges, increasing.
        edges: Vec<f64>,
        /// Values per bin.
        counts: Vec<u64>,
    },
    /// Contour lines of a 2-D field (row 0 at the top), coloured by level with a colour
    /// bar.
    Contour {
        /// Rows and columns of the field.
        shape: (usize, usize),
        /// The levels, increasing.
        levels: Vec<f64>,
        /// The lines' segments.
        segments: Vec<contour::Segment>,
    },
    /// A 2-D field, row 0 at the top, coloured by value with a colour bar.
    Image {
        /// Rows and columns.
        shape: (usize, usize),
        /// The values, row-major.
        values: Vec<f64>,
    },
}

/// A chart with its labels and options.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// What is drawn.
    pub chart: Chart,
    /// The caption above the chart.
    pub title: Option<String>,
    /// The x axis's label.
    pub xlabel: Option<String>,
    /// The y axis's label.
    pub ylabel: Option<String>,
    /// Logarithmic x axis.
    pub log_x: bool,
    /// Logarithmic y axis.
    pub log_y: bool,
    /// Width and height of a file's image, in pixels.
    pub size: (u32, u32),
}

impl Figure {
    /// A figure of `chart` with no labels, linear axes, 800 × 500 pixels.
    pub fn new(chart: Chart) -> Figure {
        Figure {
            chart,
            title: None,
            xlabel: None,
            ylabel: None,
            log_x: false,
            log_y: false,
            size: (800, 500),
        }
    }

    /// Draws the figure into `path`, an `.svg` or `.png` file (written whole, as every
    /// save is).
    pub fn write(&self, path: &Path) -> Result<()> {
        let bytes = match path.extension().and_then(|e| e.to_str()) {
            Some("svg") => render::svg(self)?.into_bytes(),
            Some("png") => render::png(self)?,
            _ => {
                return Err(value_error(format!(
                    "cannot draw into `{}`: a plot file ends in .svg or .png",
                    path.display()
                )));
            }
        };
        crate::runtime::io::write_bytes(path, &bytes)
    }

    /// The figure as text `width` characters wide (for the terminal).
    pub fn to_text(&self, width: usize) -> Result<String> {
        text::render(self, width)
    }

    /// The x and y ranges of an x–y chart's points that its axes can show (positive
    /// where an axis is logarithmic), padded by 5%; an error when no point can be shown.
    fn xy_ranges(&self, series: &[Series]) -> Result<((f64, f64), (f64, f64))> {
        let shown = |v: f64, log: bool| v.is_finite() && (!log || v > 0.0);
        let mut x = Bounds::default();
        let mut y = Bounds::default();
        for s in series {
            for (&a, &b) in s.x.iter().zip(&s.y) {
                if shown(a, self.log_x) && shown(b, self.log_y) {
                    x.add(a);
                    y.add(b);
                }
            }
        }
        match (x.padded(self.log_x), y.padded(self.log_y)) {
            (Some(x), Some(y)) => Ok((x, y)),
            _ => Err(value_error(if self.log_x || self.log_y {
                "nothing to plot: no finite point with positive values on the logarithmic axes"
            } else {
                "nothing to plot: no finite point"
            })),
        }
    }
}

/// The least and greatest finite value ((0, 1) when none is finite), and the span colours
/// are scaled by (1 when all values are equal).
fn value_range(values: &[f64]) -> (f64, f64, f64) {
    let mut b = Bounds::default();
    values
        .iter()
        .filter(|v| v.is_finite())
        .for_each(|&v| b.add(v));
    let (lo, hi) = b.0.unwrap_or((0.0, 1.0));
    (lo, hi, if hi > lo { hi - lo } else { 1.0 })
}

/// The least and greatest of some values.
#[derive(Debug, Default)]
struct Bounds(Option<(f64, f64)>);

impl Bounds {
    fn add(&mut self, v: f64) {
        self.0 = Some(match self.0 {
            Some((lo, hi)) => (lo.min(v), hi.max(v)),
            None => (v, v),
        });
    }

    /// The range padded by 5% each side (in decades on a log axis); a single value gets
    /// a unit (or decade) around it.
    fn padded(&self, log: bool) -> Option<(f64, f64)> {
        let (lo, hi) = self.0?;
        if log {
            let (a, b) = (lo.log10(), hi.log10());
            let pad = if b > a { (b - a) * 0.05 } else { 0.5 };
            return Some((10f64.powf(a - pad), 10f64.powf(b + pad)));
        }
        let pad = if hi > lo {
            (hi - lo) * 0.05
        } else {
            lo.abs().max(1.0) * 0.5
        };
        Some((lo - pad, hi + pad))
    }
}

/// NumPy's `histogram(x, bins)` over the finite values (`library::search::histogram`'s
/// binning): `bins` equal bins from the least to the greatest, the last including its right
/// edge, a single value getting the unit around it.
pub fn histogram(values: &[f64], bins: usize) -> Result<Chart> {
    use crate::runtime::{Array, Scalar};
    let mut b = Bounds::default();
    values
        .iter()
        .filter(|v| v.is_finite())
        .for_each(|&v| b.add(v));
    let Some((lo, hi)) = b.0 else {
        return Err(value_error("nothing to plot: no finite value"));
    };
    let x = Array::F64(
        ndarray::ArrayD::from_shape_vec(vec![values.len()], values.to_vec())
            .map_err(|e| value_error(e.to_string()))?,
    );
    let end = |v: f64| Array::scalar(Scalar::F64(v));
    let packed = crate::library::search::histogram(&x, &end(lo), &end(hi), None, bins)?;
    let packed = packed.to_f64_vec();
    let (counts, edges) = packed.split_at(bins);
    Ok(Chart::Histogram {
        edges: edges.to_vec(),
        counts: counts.iter().map(|&c| c as u64).collect(),
    })
}

/// A row-major `rows × cols` field averaged down in blocks to `r × k` cells (`r ≤ rows`,
/// `k ≤ cols`; non-finite values skipped, a block of none is NaN).
fn pool(values: &[f64], (rows, cols): (usize, usize), (r, k): (usize, usize)) -> Vec<f64> {
    if (r, k) == (rows, cols) {
        return values.to_vec();
    }
    let block = |n: usize, of: usize, total: usize| {
        (n * total / of)..((n + 1) * total / of).max(n * total / of + 1)
    };
    let mut cells = Vec::with_capacity(r * k);
    for i in 0..r {
        for j in 0..k {
            let (mut sum, mut n) = (0.0, 0usize);
            for a in block(i, r, rows) {
                for b in block(j, k, cols) {
                    let v = values[a * cols + b];
                    if v.is_finite() {
                        sum += v;
                        n += 1;
                    }
                }
            }
            cells.push(if n > 0 { sum / n as f64 } else { f64::NAN });
        }
    }
    cells
}
