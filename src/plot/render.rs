//! Figures drawn with plotters: SVG text or PNG bytes. Text is set in a subset of DejaVu
//! Sans embedded in the binary (`font/`, its licence beside it), so output is the same on
//! every machine, with or without system fonts.

use super::{Chart, Figure, Mark, Series};
use crate::diag::{Result, value_error};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

/// The embedded font (Latin-1, Greek and a few math signs of DejaVu Sans).
const FONT: &[u8] = include_bytes!("font/DejaVuSans-subset.ttf");
/// The font family the figures name.
const FAMILY: &str = "sans-serif";
/// Image cells drawn per axis at most (larger fields are averaged down to this).
const MAX_CELLS: usize = 256;
/// Width of the colour bar's area beside an image.
const COLORBAR: u32 = 110;

/// Series colours, in order (matplotlib's first five).
const PALETTE: [RGBColor; 5] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
];

/// Registers the embedded font once.
fn font() -> Result<()> {
    static REGISTERED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *REGISTERED
        .get_or_init(|| plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_ok());
    if ok {
        Ok(())
    } else {
        Err(value_error("the plot font cannot be read"))
    }
}

/// The figure as an SVG document.
pub(super) fn svg(fig: &Figure) -> Result<String> {
    font()?;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, fig.size).into_drawing_area();
        draw(fig, &root)?;
        root.present().map_err(fail)?;
    }
    Ok(out)
}

/// The figure as a PNG image.
pub(super) fn png(fig: &Figure) -> Result<Vec<u8>> {
    font()?;
    let (w, h) = fig.size;
    let mut pixels = vec![0u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, fig.size).into_drawing_area();
        draw(fig, &root)?;
        root.present().map_err(fail)?;
    }
    let mut bytes = vec![];
    let encode = |bytes: &mut Vec<u8>| -> std::result::Result<(), png::EncodingError> {
        let mut encoder = png::Encoder::new(bytes, w, h);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.write_header()?.write_image_data(&pixels)
    };
    encode(&mut bytes).map_err(|e| value_error(format!("cannot encode the PNG image: {e}")))?;
    Ok(bytes)
}

fn fail(e: impl std::fmt::Display) -> crate::diag::Error {
    value_error(format!("cannot draw the plot: {e}"))
}

fn draw<DB: DrawingBackend>(fig: &Figure, root: &DrawingArea<DB, Shift>) -> Result<()> {
    root.fill(&WHITE).map_err(fail)?;
    match &fig.chart {
        Chart::Xy(series) => {
            let ((x0, x1), (y0, y1)) = fig.xy_ranges(series)?;
            match (fig.log_x, fig.log_y) {
                (false, false) => xy(fig, root, series, x0..x1, y0..y1),
                (true, false) => xy(fig, root, series, (x0..x1).log_scale(), y0..y1),
                (false, true) => xy(fig, root, series, x0..x1, (y0..y1).log_scale()),
                (true, true) => xy(
                    fig,
                    root,
                    series,
                    (x0..x1).log_scale(),
                    (y0..y1).log_scale(),
                ),
            }
        }
        Chart::Histogram { edges, counts } => histogram(fig, root, edges, counts),
        Chart::Image { shape, values } => image(fig, root, *shape, values),
        Chart::Contour {
            shape,
            levels,
            segments,
        } => contour(fig, root, *shape, levels, segments),
    }
}

/// A chart over the coordinates `X` by `Y` on `DB`.
type Chart2d<'a, DB, X, Y> = ChartContext<
    'a,
    DB,
    Cartesian2d<<X as AsRangedCoord>::CoordDescType, <Y as AsRangedCoord>::CoordDescType>,
>;

/// Axes, labels and caption of a chart over `x` by `y` in `area`.
fn chart<'a, DB: DrawingBackend, X: AsRangedCoord, Y: AsRangedCoord>(
    fig: &Figure,
    area: &'a DrawingArea<DB, Shift>,
    x: X,
    y: Y,
) -> Result<Chart2d<'a, DB, X, Y>> {
    let mut builder = ChartBuilder::on(area);
    builder
        .margin(16)
        .x_label_area_size(if fig.xlabel.is_some() { 50 } else { 30 })
        .y_label_area_size(if fig.ylabel.is_some() { 75 } else { 60 });
    if let Some(t) = &fig.title {
        builder.caption(t, (FAMILY, 22));
    }
    builder.build_cartesian_2d(x, y).map_err(fail)
}

fn xy<DB: DrawingBackend, X, Y>(
    fig: &Figure,
    root: &DrawingArea<DB, Shift>,
    series: &[Series],
    x: X,
    y: Y,
) -> Result<()>
where
    X: AsRangedCoord<Value = f64>,
    Y: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let mut c = chart(fig, root, x, y)?;
    mesh(fig, &mut c)?;
    let shown = |v: f64, log: bool| v.is_finite() && (!log || v > 0.0);
    for (k, s) in series.iter().enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        let points: Vec<(f64, f64)> =
            s.x.iter()
                .zip(&s.y)
                .map(|(&a, &b)| (a, b))
                .filter(|&(a, b)| shown(a, fig.log_x) && shown(b, fig.log_y))
                .collect();
        let drawn = match s.mark {
            Mark::Line => c
                .draw_series(LineSeries::new(points, color.stroke_width(2)))
                .map_err(fail)?,
            Mark::Points => c
                .draw_series(
                    points
                        .into_iter()
                        .map(|p| Circle::new(p, 3, color.filled())),
                )
                .map_err(fail)?,
        };
        if let Some(label) = &s.label {
            drawn.label(label.as_str()).legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
        }
    }
    if series.iter().any(|s| s.label.is_some()) {
        c.configure_series_labels()
            .label_font((FAMILY, 14))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(fail)?;
    }
    Ok(())
}

/// The grid, tick labels and axis labels.
fn mesh<DB: DrawingBackend, X, Y>(
    fig: &Figure,
    c: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>,
) -> Result<()>
where
    X: plotters::coord::ranged1d::Ranged + ValueFormatter<X::ValueType>,
    Y: plotters::coord::ranged1d::Ranged + ValueFormatter<Y::ValueType>,
{
    let mut m = c.configure_mesh();
    m.label_style((FAMILY, 13)).light_line_style(WHITE.mix(0.0));
    if let Some(l) = &fig.xlabel {
        m.x_desc(l.as_str());
    }
    if let Some(l) = &fig.ylabel {
        m.y_desc(l.as_str());
    }
    m.axis_desc_style((FAMILY, 15)).draw().map_err(fail)
}

fn histogram<DB: DrawingBackend>(
    fig: &Figure,
    root: &DrawingArea<DB, Shift>,
    edges: &[f64],
    counts: &[u64],
) -> Result<()> {
    let (lo, hi) = (edges[0], edges[edges.len() - 1]);
    let top = counts.iter().copied().max().unwrap_or(0).max(1) as f64 * 1.05;
    let mut c = chart(fig, root, lo..hi, 0.0..top)?;
    mesh(fig, &mut c)?;
    let bars = counts
        .iter()
        .zip(edges.windows(2))
        .map(|(&n, e)| Rectangle::new([(e[0], 0.0), (e[1], n as f64)], PALETTE[0].filled()));
    c.draw_series(bars).map_err(fail)?;
    let outlines = counts
        .iter()
        .zip(edges.windows(2))
        .map(|(&n, e)| Rectangle::new([(e[0], 0.0), (e[1], n as f64)], WHITE.stroke_width(1)));
    c.draw_series(outlines).map_err(fail)?;
    Ok(())
}

fn image<DB: DrawingBackend>(
    fig: &Figure,
    root: &DrawingArea<DB, Shift>,
    (rows, cols): (usize, usize),
    values: &[f64],
) -> Result<()> {
    let (r, k) = (rows.min(MAX_CELLS), cols.min(MAX_CELLS));
    let cells = super::pool(values, (rows, cols), (r, k));
    let (lo, _, span) = super::value_range(values);
    let color = |v: f64| viridis(v, lo, span);
    let (main, bar) = root.split_horizontally(fig.size.0.saturating_sub(COLORBAR));
    // Columns along x, rows down y, in the field's own units (row 0 at the top).
    let mut c = chart(fig, &main, 0.0..cols as f64, rows as f64..0.0)?;
    mesh(fig, &mut c)?;
    let (dy, dx) = (rows as f64 / r as f64, cols as f64 / k as f64);
    let rects = cells.iter().enumerate().map(|(n, &v)| {
        let (i, j) = ((n / k) as f64, (n % k) as f64);
        Rectangle::new(
            [(j * dx, i * dy), ((j + 1.0) * dx, (i + 1.0) * dy)],
            color(v).filled(),
        )
    });
    c.draw_series(rects).map_err(fail)?;
    colorbar(fig, &bar, lo, span)
}

/// Viridis at `v` on a scale from `lo` over `span`; white where `v` is not finite.
fn viridis(v: f64, lo: f64, span: f64) -> RGBColor {
    if v.is_finite() {
        ViridisRGB.get_color_normalized(((v - lo) / span) as f32, 0.0, 1.0)
    } else {
        RGBColor(255, 255, 255)
    }
}

/// The colour bar in `bar`: the values from `lo` over `span`, bottom to top.
fn colorbar<DB: DrawingBackend>(
    fig: &Figure,
    bar: &DrawingArea<DB, Shift>,
    lo: f64,
    span: f64,
) -> Result<()> {
    let color = |v: f64| viridis(v, lo, span);
    let mut cb = ChartBuilder::on(bar);
    cb.margin_top(if fig.title.is_some() { 50 } else { 16 })
        .margin_bottom(if fig.xlabel.is_some() { 66 } else { 46 })
        .margin_right(8)
        .y_label_area_size(70);
    let mut cbar = cb
        .build_cartesian_2d(0.0..1.0, lo..lo + span)
        .map_err(fail)?;
    cbar.configure_mesh()
        .disable_x_mesh()
        .disable_x_axis()
        .disable_y_mesh()
        .label_style((FAMILY, 12))
        .draw()
        .map_err(fail)?;
    const STEPS: usize = 64;
    let steps = (0..STEPS).map(|s| {
        let a = lo + span * s as f64 / STEPS as f64;
        let b = lo + span * (s + 1) as f64 / STEPS as f64;
        Rectangle::new([(0.0, a), (1.0, b)], color((a + b) / 2.0).filled())
    });
    cbar.draw_series(steps).map_err(fail)?;
    Ok(())
}

fn contour<DB: DrawingBackend>(
    fig: &Figure,
    root: &DrawingArea<DB, Shift>,
    (rows, cols): (usize, usize),
    levels: &[f64],
    segments: &[super::contour::Segment],
) -> Result<()> {
    let (lo, hi) = (levels[0], levels[levels.len() - 1]);
    let span = if hi > lo { hi - lo } else { 1.0 };
    let (main, bar) = root.split_horizontally(fig.size.0.saturating_sub(COLORBAR));
    let last = |n: usize| n.saturating_sub(1).max(1) as f64;
    let mut c = chart(fig, &main, 0.0..last(cols), last(rows)..0.0)?;
    mesh(fig, &mut c)?;
    let lines = segments.iter().map(|s| {
        PathElement::new(
            vec![s.a, s.b],
            viridis(levels[s.level], lo, span).stroke_width(2),
        )
    });
    c.draw_series(lines).map_err(fail)?;
    colorbar(fig, &bar, lo, span)
}
