//! Plotting builtins: `plot scatter hist imshow contour`. Each computes its arrays, builds a
//! [`crate::plot::Figure`] and draws it into `file=` (`.svg` or `.png`), or prints it as
//! text when no file is given (the REPL's and a script's terminal preview).

use super::{Args, Builtin};
use crate::diag::{Result, Span, type_error, value_error};
use crate::graph::NodeRef;
use crate::lower::{Evaluator, Value};
use crate::plot::{Chart, Figure, Mark, Series};
use crate::runtime::sandbox::FileAccess;

/// Keyword parameters every plot takes.
macro_rules! options {
    () => {
        "title=None, xlabel=None, ylabel=None, log=None, file=None, width=800, height=500"
    };
}

pub(super) fn builtins() -> Vec<Builtin> {
    vec![
        Builtin {
            name: "plot",
            signature: concat!("plot(*arrays, labels=None, ", options!(), ")"),
            doc: "Lines of y (against x when given first; several ys, or a 2-D y's columns, are several series).",
            example: "plot(t, sin(t), cos(t), labels=(\"sin\", \"cos\"), file=\"waves.svg\")",
            call: |ev, a| lines(ev, a, Mark::Line),
        },
        Builtin {
            name: "scatter",
            signature: concat!("scatter(*arrays, labels=None, ", options!(), ")"),
            doc: "Points (x, y), as plot but unjoined.",
            example: "scatter(x, y, title=\"samples\", file=\"samples.png\")",
            call: |ev, a| lines(ev, a, Mark::Points),
        },
        Builtin {
            name: "hist",
            signature: concat!("hist(x, bins=10, ", options!(), ")"),
            doc: "A histogram of x's values in equal bins (numpy.histogram's).",
            example: "hist(randn(10000), bins=40)",
            call: hist,
        },
        Builtin {
            name: "contour",
            signature: concat!("contour(u, levels=8, ", options!(), ")"),
            doc: "Contour lines of a 2-D field (row 0 at the top): a number of levels, or their values.",
            example: "contour(u, levels=(0.1, 0.5, 0.9), file=\"u.svg\")",
            call: contour,
        },
        Builtin {
            name: "imshow",
            signature: concat!("imshow(u, ", options!(), ")"),
            doc: "A 2-D field as an image (row 0 at the top) with a colour bar.",
            example: "imshow(u, title=\"temperature\", file=\"u.png\")",
            call: imshow,
        },
    ]
}

/// The values of `nodes`, computed, as f64 with their shapes (complex refused).
fn values(ev: &mut Evaluator, nodes: &[(NodeRef, Span)]) -> Result<Vec<(Vec<f64>, Vec<usize>)>> {
    for (n, s) in nodes {
        if n.dtype == crate::dtype::DType::C128 {
            return Err(
                type_error("cannot plot complex values: plot real(z), imag(z) or abs(z)")
                    .with_span(*s),
            );
        }
    }
    let list: Vec<NodeRef> = nodes.iter().map(|(n, _)| n.clone()).collect();
    let computed = ev.force_all(&list)?;
    Ok(computed
        .iter()
        .map(|a| (a.to_f64_vec(), a.shape().to_vec()))
        .collect())
}

fn lines(ev: &mut Evaluator, a: &mut Args, mark: Mark) -> Result<Value> {
    ev.effect()?;
    let mut nodes = vec![];
    for (v, s) in a.rest() {
        nodes.push((ev.expect_array(v, *s)?, *s));
    }
    let what = if mark == Mark::Line {
        "plot"
    } else {
        "scatter"
    };
    if nodes.is_empty() {
        return Err(
            type_error(format!("{what} needs values: {what}(y) or {what}(x, y)")).with_span(a.span),
        );
    }
    let data = values(ev, &nodes)?;
    let (x, ys) = match data.len() {
        1 => {
            let n = data[0].1.first().copied().unwrap_or(1);
            ((0..n).map(|i| i as f64).collect::<Vec<f64>>(), &data[..])
        }
        _ => (data[0].0.clone(), &data[1..]),
    };
    if data.len() > 1 && data[0].1.len() != 1 {
        return Err(value_error("x must be 1-D").with_span(nodes[0].1));
    }
    let mut series = vec![];
    let first_y = data.len() - ys.len();
    for (k, (y, shape)) in ys.iter().enumerate() {
        let span = nodes[first_y + k].1;
        match shape.as_slice() {
            [n] if *n == x.len() => series.push(y.clone()),
            [n, m] if *n == x.len() => {
                series.extend((0..*m).map(|j| (0..*n).map(|i| y[i * m + j]).collect()))
            }
            _ => {
                return Err(value_error(format!(
                    "y of shape {} does not fit {} x values (a y is 1-D, or 2-D with a \
                     series per column)",
                    crate::graph::fmt_shape(shape),
                    x.len()
                ))
                .with_span(span));
            }
        }
    }
    let labels = labels(a, series.len())?;
    let chart = Chart::Xy(
        series
            .into_iter()
            .zip(labels)
            .map(|(y, label)| Series {
                x: x.clone(),
                y,
                label,
                mark,
            })
            .collect(),
    );
    show(ev, a, chart)
}

/// The `labels=` of `count` series: a string for one, a tuple of strings for several.
fn labels(a: &Args, count: usize) -> Result<Vec<Option<String>>> {
    let Some((v, span)) = a.get("labels") else {
        return Ok(vec![None; count]);
    };
    let names: Vec<String> = match v {
        Value::Str(s) => vec![s.to_string()],
        Value::Tuple(items) => items
            .iter()
            .map(|i| match i {
                Value::Str(s) => Ok(s.to_string()),
                _ => Err(type_error("labels are strings").with_span(*span)),
            })
            .collect::<Result<_>>()?,
        _ => return Err(type_error("labels= is a string or a tuple of strings").with_span(*span)),
    };
    if names.len() != count {
        return Err(
            value_error(format!("{} labels for {count} series", names.len())).with_span(*span),
        );
    }
    Ok(names.into_iter().map(Some).collect())
}

fn hist(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    ev.effect()?;
    let x = a.array(ev, "x")?;
    let bins = a.opt_i64(ev, "bins")?.unwrap_or(10);
    if !(1..=100_000).contains(&bins) {
        return Err(value_error(format!("bins must be 1 to 100000, not {bins}"))
            .with_span(a.span_of("bins")));
    }
    let data = values(ev, &[(x, a.span_of("x"))])?;
    let chart =
        crate::plot::histogram(&data[0].0, bins as usize).map_err(|e| e.with_span(a.span))?;
    show(ev, a, chart)
}

/// The 2-D field `u` of `imshow` or `contour`, computed: its shape and values.
fn field(ev: &mut Evaluator, a: &Args, what: &str) -> Result<((usize, usize), Vec<f64>)> {
    let u = a.array(ev, "u")?;
    let span = a.span_of("u");
    if u.shape.len() != 2 || u.shape.contains(&0) {
        return Err(value_error(format!(
            "{what} shows a non-empty 2-D field, not shape {}",
            crate::graph::fmt_shape(&u.shape)
        ))
        .with_span(span));
    }
    let shape = (u.shape[0], u.shape[1]);
    let data = values(ev, &[(u, span)])?;
    Ok((
        shape,
        data.into_iter().next().map(|d| d.0).unwrap_or_default(),
    ))
}

fn imshow(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    ev.effect()?;
    let (shape, values) = field(ev, a, "imshow")?;
    show(ev, a, Chart::Image { shape, values })
}

fn contour(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    ev.effect()?;
    let (shape, values) = field(ev, a, "contour")?;
    let span = a.span_of("levels");
    let levels = match a.get("levels") {
        Some((Value::Tuple(_) | Value::List(_), _)) => {
            let node = a.array(ev, "levels")?;
            let mut l = ev.force(&node)?.to_f64_vec();
            if l.is_empty() || l.iter().any(|v| !v.is_finite()) {
                return Err(value_error("levels are finite numbers").with_span(span));
            }
            l.sort_by(f64::total_cmp);
            l
        }
        _ => {
            let count = a.opt_i64(ev, "levels")?.unwrap_or(8);
            if !(1..=1000).contains(&count) {
                return Err(
                    value_error(format!("levels must be 1 to 1000, not {count}")).with_span(span),
                );
            }
            crate::plot::contour::levels(&values, count as usize).map_err(|e| e.with_span(span))?
        }
    };
    let segments = crate::plot::contour::segments(&values, shape, &levels);
    show(
        ev,
        a,
        Chart::Contour {
            shape,
            levels,
            segments,
        },
    )
}

/// Applies the common options to `chart` and draws it: into `file=`, or as text.
fn show(ev: &mut Evaluator, a: &mut Args, chart: Chart) -> Result<Value> {
    let mut fig = Figure::new(chart);
    fig.title = a.opt_str("title")?;
    fig.xlabel = a.opt_str("xlabel")?;
    fig.ylabel = a.opt_str("ylabel")?;
    (fig.log_x, fig.log_y) = match a.get("log") {
        None | Some((Value::None, _)) => (false, false),
        Some((Value::Str(s), span)) => match &**s {
            "x" => (true, false),
            "y" => (false, true),
            "xy" | "both" => (true, true),
            other => {
                return Err(value_error(format!(
                    "log= is \"x\", \"y\" or \"xy\", not \"{other}\""
                ))
                .with_span(*span));
            }
        },
        Some(_) => (false, a.flag(ev, "log")?),
    };
    let mut size = [0u32; 2];
    for (slot, name) in size.iter_mut().zip(["width", "height"]) {
        let v = a
            .opt_i64(ev, name)?
            .unwrap_or(if name == "width" { 800 } else { 500 });
        if !(100..=8000).contains(&v) {
            return Err(
                value_error(format!("{name} must be 100 to 8000 pixels, not {v}"))
                    .with_span(a.span_of(name)),
            );
        }
        *slot = v as u32;
    }
    fig.size = (size[0], size[1]);
    if ev.options.check_only {
        return Ok(Value::Unit);
    }
    match a.get("file") {
        Some((Value::Str(p), span)) => {
            let path = ev.file_path(std::path::Path::new(&**p), FileAccess::Write, *span)?;
            if ev.leads() {
                fig.write(&path).map_err(|e| e.with_span(a.span))?;
            }
        }
        Some((Value::None, _)) | None => {
            let text = fig.to_text(80).map_err(|e| e.with_span(a.span))?;
            ev.write_out(&text)?;
        }
        Some((_, span)) => return Err(type_error("file= is a path string").with_span(*span)),
    }
    Ok(Value::Unit)
}
