//! Order statistics with NumPy's signatures and methods: `median quantile percentile`,
//! as graph nodes over a sort of the reduced axis (moved last) and views of it.

use super::search::scalar;
use super::shape::take;
use super::{Args, Builtin};
use crate::diag::{Result, Span, value_error};
use crate::dtype::DType;
use crate::graph::{BinaryOp, NodeRef, UnaryOp, normalize_axis};
use crate::lower::{Evaluator, Value};
use crate::runtime::Scalar;

pub(super) fn builtins() -> Vec<Builtin> {
    vec![
        Builtin {
            name: "median",
            signature: "median(x, axis=, keepdims=false)",
            doc: "The median (the mean of the middle two for an even count; nan if any is nan).",
            example: "median([3.0, 1.0, 4.0, 1.5])",
            call: median,
        },
        Builtin {
            name: "quantile",
            signature: "quantile(x, q, axis=, keepdims=false)",
            doc: "The q-th quantiles (q in [0, 1]), linearly interpolated, as numpy.quantile.",
            example: "quantile([1.0, 2.0, 3.0, 4.0], [0.25, 0.5])",
            call: |ev, a| quantile(ev, a, 1.0),
        },
        Builtin {
            name: "percentile",
            signature: "percentile(x, q, axis=, keepdims=false)",
            doc: "The q-th percentiles (q in [0, 100]), linearly interpolated, as numpy.percentile.",
            example: "percentile([1.0, 2.0, 3.0, 4.0], 90)",
            call: |ev, a| quantile(ev, a, 100.0),
        },
    ]
}

/// `x` sorted along `axis` (flattened when `None`), with the axis moved last; and the
/// normalised axis.
fn sorted_last(ev: &mut Evaluator, a: &Args) -> Result<(NodeRef, Option<usize>)> {
    let x = a.array(ev, "x")?;
    let span = a.span;
    let x = if x.dtype.is_inexact() {
        x
    } else {
        ev.graph.cast(&x, DType::F64, span)?
    };
    match a.opt_i64(ev, "axis")? {
        None => {
            let n = x.size();
            let flat = ev.graph.reshape(&x, vec![n], span)?;
            Ok((ev.graph.sort(&flat, 0, false, span)?, None))
        }
        Some(ax) => {
            let nd = x.shape.len();
            let ax = normalize_axis(ax, nd).map_err(|e| e.with_span(a.span_of("axis")))?;
            let mut perm: Vec<usize> = (0..nd).filter(|&d| d != ax).collect();
            perm.push(ax);
            let moved = ev.graph.transpose(&x, perm, span)?;
            let last = nd as i64 - 1;
            Ok((ev.graph.sort(&moved, last, false, span)?, Some(ax)))
        }
    }
}

/// Element `k` of the last axis of `s`.
fn at_last(ev: &mut Evaluator, s: &NodeRef, k: usize, span: Span) -> Result<NodeRef> {
    take(ev, s, s.shape.len() - 1, k, span)
}

/// NaN where the sorted slice holds a NaN (sorted last), as NumPy's order statistics.
fn nan_if_any(ev: &mut Evaluator, s: &NodeRef, r: NodeRef, span: Span) -> Result<NodeRef> {
    let n = s.shape.last().copied().unwrap_or(0);
    if n == 0 {
        return Ok(r);
    }
    let last = at_last(ev, s, n - 1, span)?;
    let bad = ev.graph.unary(UnaryOp::IsNan, &last, span)?;
    let nan = scalar(ev, Scalar::F64(f64::NAN), span)?;
    ev.graph.select(&bad, &nan, &r, span)
}

/// The result with the reduced axis put back as length 1 (`keepdims=true`).
fn keep(
    ev: &mut Evaluator,
    r: NodeRef,
    x_shape: &[usize],
    axis: Option<usize>,
    lead: usize,
    span: Span,
) -> Result<NodeRef> {
    let mut shape: Vec<usize> = r.shape[..lead].to_vec();
    match axis {
        None => shape.extend(std::iter::repeat_n(1, x_shape.len())),
        Some(ax) => shape.extend(
            x_shape
                .iter()
                .enumerate()
                .map(|(d, &n)| if d == ax { 1 } else { n }),
        ),
    }
    ev.graph.reshape(&r, shape, span)
}

fn median(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let shape = a.array(ev, "x")?.shape.clone();
    let (s, axis) = sorted_last(ev, a)?;
    let span = a.span;
    let n = s.shape.last().copied().unwrap_or(0);
    if n == 0 {
        return Err(value_error("median of an empty array").with_span(span));
    }
    let mid = at_last(ev, &s, n / 2, span)?;
    let r = if n % 2 == 1 {
        mid
    } else {
        let low = at_last(ev, &s, n / 2 - 1, span)?;
        let sum = ev.graph.binary(BinaryOp::Add, &low, &mid, span)?;
        let two = scalar(ev, Scalar::F64(2.0), span)?;
        ev.graph.binary(BinaryOp::Div, &sum, &two, span)?
    };
    let mut r = nan_if_any(ev, &s, r, span)?;
    if a.flag(ev, "keepdims")? {
        r = keep(ev, r, &shape, axis, 0, span)?;
    }
    Ok(Value::Array(ev.fold(r)?))
}

/// `quantile`/`percentile` (q divided by `scale`): NumPy's default "linear" method — the
/// sorted values at `q·(n-1)`, interpolated with NumPy's `_lerp`.
fn quantile(ev: &mut Evaluator, a: &mut Args, scale: f64) -> Result<Value> {
    let shape = a.array(ev, "x")?.shape.clone();
    let qn = a.array(ev, "q")?;
    let qs: Vec<f64> = ev
        .force(&qn)?
        .to_f64_vec()
        .iter()
        .map(|q| q / scale)
        .collect();
    if let Some(bad) = qs.iter().find(|q| !(0.0..=1.0).contains(*q)) {
        return Err(value_error(format!(
            "quantiles must be in [0, {scale}], found {}",
            bad * scale
        ))
        .with_span(a.span_of("q")));
    }
    let (s, axis) = sorted_last(ev, a)?;
    let span = a.span;
    let n = s.shape.last().copied().unwrap_or(0);
    if n == 0 {
        return Err(value_error("quantile of an empty array").with_span(span));
    }
    let mut parts = Vec::with_capacity(qs.len());
    for &q in &qs {
        let at = q * (n - 1) as f64;
        let lo = (at.floor() as usize).min(n - 1);
        let hi = (lo + 1).min(n - 1);
        let t = at - lo as f64;
        let va = at_last(ev, &s, lo, span)?;
        let vb = at_last(ev, &s, hi, span)?;
        // _lerp(a, b, t) = where(t >= 0.5, b - (b - a)(1 - t), a + (b - a) t)
        let diff = ev.graph.binary(BinaryOp::Sub, &vb, &va, span)?;
        let r = if t >= 0.5 {
            let w = scalar(ev, Scalar::F64(1.0 - t), span)?;
            let d = ev.graph.binary(BinaryOp::Mul, &diff, &w, span)?;
            ev.graph.binary(BinaryOp::Sub, &vb, &d, span)?
        } else {
            let w = scalar(ev, Scalar::F64(t), span)?;
            let d = ev.graph.binary(BinaryOp::Mul, &diff, &w, span)?;
            ev.graph.binary(BinaryOp::Add, &va, &d, span)?
        };
        let r = nan_if_any(ev, &s, r, span)?;
        let mut one = vec![1];
        one.extend(&r.shape);
        parts.push(ev.graph.reshape(&r, one, span)?);
    }
    let stacked = ev.graph.concat(&parts, 0, span)?;
    let mut r = if qn.shape.is_empty() {
        let inner = stacked.shape[1..].to_vec();
        ev.graph.reshape(&stacked, inner, span)?
    } else {
        let mut full = qn.shape.clone();
        full.extend(&stacked.shape[1..]);
        ev.graph.reshape(&stacked, full, span)?
    };
    if a.flag(ev, "keepdims")? {
        r = keep(ev, r, &shape, axis, qn.shape.len(), span)?;
    }
    Ok(Value::Array(ev.fold(r)?))
}
