//! Searching, counting and binning with NumPy's signatures: `searchsorted digitize interp
//! bincount histogram convolve correlate nonzero argwhere unique`. Calls whose result shape depends on values
//! (`nonzero argwhere unique`, `bincount`'s length) compute what decides the shape first,
//! as a bool mask does; the rest are library-call nodes like any other.

use super::shape::slice;
use super::{Args, Builtin};
use crate::diag::{Result, Span, type_error, value_error};
use crate::dtype::DType;
use crate::graph::{
    BinaryOp, ConvolveMode, IndexItem, LibCall, NodeRef, ReduceOp, UnaryOp, index_spec,
};
use crate::lower::{Evaluator, Value};
use crate::runtime::{Array, Scalar};
use ndarray::{ArrayD, IxDyn};

pub(super) fn builtins() -> Vec<Builtin> {
    vec![
        Builtin {
            name: "searchsorted",
            signature: "searchsorted(a, v, side=\"left\")",
            doc: "Positions in sorted a where v's elements would be inserted (side \"left\" or \"right\").",
            example: "searchsorted([1, 2, 3, 5], [3, 4])",
            call: searchsorted,
        },
        Builtin {
            name: "digitize",
            signature: "digitize(x, bins, right=false)",
            doc: "The bin of each element of x between monotonic bin edges, as numpy.digitize.",
            example: "digitize([0.2, 6.4, 3.0], [0.0, 1.0, 2.5, 4.0])",
            call: digitize,
        },
        Builtin {
            name: "interp",
            signature: "interp(x, xp, fp, left=, right=)",
            doc: "Piecewise-linear interpolation of the points (xp, fp) at x (xp increasing).",
            example: "interp([0.5, 2.5], [0.0, 1.0, 3.0], [0.0, 10.0, 30.0])",
            call: interp,
        },
        Builtin {
            name: "bincount",
            signature: "bincount(x, weights=, minlength=0)",
            doc: "How often each value 0..max(x) occurs in non-negative integers x (or weight sums).",
            example: "bincount([0, 1, 1, 3])",
            call: bincount,
        },
        Builtin {
            name: "histogram",
            signature: "histogram(x, bins=10, range=, density=false, weights=)",
            doc: "(counts, edges) over equal bins (or given edges), as numpy.histogram.",
            example: "let (counts, edges) = histogram([1, 2, 2, 3, 9], bins=4)",
            call: histogram,
        },
        Builtin {
            name: "convolve",
            signature: "convolve(a, v, mode=\"full\")",
            doc: "Discrete convolution of two 1-D arrays (mode \"full\", \"same\" or \"valid\").",
            example: "convolve([1, 2, 3], [0, 1, 0.5])",
            call: |ev, a| convolve(ev, a, false),
        },
        Builtin {
            name: "correlate",
            signature: "correlate(a, v, mode=\"valid\")",
            doc: "Cross-correlation of two 1-D arrays (mode \"valid\", \"same\" or \"full\").",
            example: "correlate([1, 2, 3], [0, 1, 0.5], mode=\"full\")",
            call: |ev, a| convolve(ev, a, true),
        },
        Builtin {
            name: "nonzero",
            signature: "nonzero(x)",
            doc: "A tuple of index arrays, one per axis, of the non-zero elements.",
            example: "nonzero([[0, 1], [2, 0]])",
            call: |ev, a| {
                let x = a.array(ev, "x")?;
                nonzero(ev, &x, a.span)
            },
        },
        Builtin {
            name: "argwhere",
            signature: "argwhere(x)",
            doc: "The indices of the non-zero elements, one row each.",
            example: "argwhere([[0, 1], [2, 0]])",
            call: argwhere,
        },
        Builtin {
            name: "unique",
            signature: "unique(x, return_index=false, return_inverse=false, return_counts=false)",
            doc: "The sorted distinct values (a tuple with the requested extras), as numpy.unique.",
            example: "let (values, counts) = unique([3, 1, 3, 2], return_counts=true)",
            call: unique,
        },
    ]
}

/// A weak scalar constant.
pub(super) fn scalar(ev: &mut Evaluator, s: Scalar, span: Span) -> Result<NodeRef> {
    ev.graph.constant(Array::scalar(s), true, span)
}

fn side(a: &Args, name: &str) -> Result<bool> {
    match a.opt_str(name)?.as_deref() {
        None | Some("left") => Ok(false),
        Some("right") => Ok(true),
        Some(other) => Err(value_error(format!(
            "side must be \"left\" or \"right\", not `{other}`"
        ))
        .with_span(a.span_of(name))),
    }
}

fn searchsorted(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let (sorted, v) = (a.array(ev, "a")?, a.array(ev, "v")?);
    let right = side(a, "side")?;
    let n = ev
        .graph
        .search(LibCall::SearchSorted { right }, &[sorted, v], a.span)?;
    Ok(Value::Array(n))
}

/// `digitize`: a search in the edges (reversed when they decrease, which is computed now).
fn digitize(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let (x, bins) = (a.array(ev, "x")?, a.array(ev, "bins")?);
    let right = a.flag(ev, "right")?;
    let edges = ev.force(&bins)?.to_f64_vec();
    let up = edges.windows(2).all(|p| p[0] <= p[1]);
    if !up && !edges.windows(2).all(|p| p[0] >= p[1]) {
        return Err(
            value_error("digitize: bins must be monotonically increasing or decreasing")
                .with_span(a.span_of("bins")),
        );
    }
    let span = a.span;
    if up {
        let call = LibCall::SearchSorted { right: !right };
        return Ok(Value::Array(ev.graph.search(call, &[bins, x], span)?));
    }
    // Decreasing: len(bins) - searchsorted(bins[::-1], x, side), as NumPy.
    let n = bins.size();
    let reversed = reversed(ev, &bins, span)?;
    let call = LibCall::SearchSorted { right: !right };
    let pos = ev.graph.search(call, &[reversed, x], span)?;
    let len = scalar(ev, Scalar::I64(n as i64), span)?;
    Ok(Value::Array(ev.graph.binary(
        BinaryOp::Sub,
        &len,
        &pos,
        span,
    )?))
}

fn interp(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let (x, xp, fp) = (a.array(ev, "x")?, a.array(ev, "xp")?, a.array(ev, "fp")?);
    let span = a.span;
    let end = |ev: &mut Evaluator, at: usize| -> Result<NodeRef> {
        let spec = index_spec(&fp.shape, vec![IndexItem::At(at)], &[])?;
        ev.graph.index(&fp, spec, vec![], span)
    };
    let last = fp.size().saturating_sub(1);
    let left = match a.get("left") {
        Some(_) => a.array(ev, "left")?,
        None => end(ev, 0)?,
    };
    let right = match a.get("right") {
        Some(_) => a.array(ev, "right")?,
        None => end(ev, last)?,
    };
    let n = ev
        .graph
        .search(LibCall::Interp, &[x, xp, fp, left, right], span)?;
    Ok(Value::Array(n))
}

/// `bincount`: its length (the largest value + 1) is computed now; the counting is a
/// library step.
fn bincount(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let x = a.array(ev, "x")?;
    if x.dtype != DType::I64 && x.dtype != DType::Bool {
        return Err(type_error("bincount takes integers").with_span(a.span_of("x")));
    }
    let minlength = a.opt_i64(ev, "minlength")?.unwrap_or(0).max(0) as usize;
    let len = if x.size() == 0 {
        0
    } else {
        let max = ev.graph.reduce(ReduceOp::Max, &x, None, false, 0, a.span)?;
        let top = ev.force(&max)?.to_i64_vec()[0];
        (top.max(-1) + 1) as usize
    };
    let mut inputs = vec![x];
    let weighted = a.get("weights").is_some();
    if weighted {
        inputs.push(a.array(ev, "weights")?);
    }
    let call = LibCall::Bincount {
        len: len.max(minlength),
    };
    let counts = ev.graph.search(call, &inputs, a.span)?;
    let n = if weighted {
        counts
    } else {
        ev.graph.cast(&counts, DType::I64, a.span)?
    };
    Ok(Value::Array(n))
}

fn histogram(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let x0 = a.array(ev, "x")?;
    let n = x0.size();
    let span = a.span;
    let x = ev.graph.reshape(&x0, vec![n], span)?;
    let weights = match a.get("weights") {
        Some(_) => {
            let w = a.array(ev, "weights")?;
            let len = w.size();
            Some(ev.graph.reshape(&w, vec![len], span)?)
        }
        None => None,
    };
    let bins = a.get("bins").map(|(v, s)| (v.clone(), *s));
    let explicit = match &bins {
        Some((v, s)) => {
            let b = ev.expect_array(v, *s)?;
            (!b.shape.is_empty()).then_some(b)
        }
        None => None,
    };
    let (counts, edges) = if let Some(edges) = explicit {
        let mut inputs = vec![x, edges.clone()];
        inputs.extend(weights.clone());
        let counts = ev.graph.search(LibCall::HistogramEdges, &inputs, span)?;
        (counts, edges)
    } else {
        let bins = a.opt_i64(ev, "bins")?.unwrap_or(10);
        if bins < 1 {
            return Err(
                value_error("histogram needs at least one bin").with_span(a.span_of("bins"))
            );
        }
        let bins = bins as usize;
        let (lo, hi) = match a.get("range") {
            Some((v, s)) => {
                let (v, s) = (v.clone(), *s);
                let r = ev.expect_array(&v, s)?;
                let pair = ev.force(&r)?.to_f64_vec();
                let [lo, hi] = pair[..] else {
                    return Err(value_error("range must be a pair (min, max)").with_span(s));
                };
                (
                    scalar(ev, Scalar::F64(lo), s)?,
                    scalar(ev, Scalar::F64(hi), s)?,
                )
            }
            None if n == 0 => (
                scalar(ev, Scalar::F64(0.0), span)?,
                scalar(ev, Scalar::F64(1.0), span)?,
            ),
            None => (
                ev.graph.reduce(ReduceOp::Min, &x, None, false, 0, span)?,
                ev.graph.reduce(ReduceOp::Max, &x, None, false, 0, span)?,
            ),
        };
        let mut inputs = vec![x, lo, hi];
        inputs.extend(weights.clone());
        let packed = ev
            .graph
            .search(LibCall::Histogram { bins }, &inputs, span)?;
        (
            slice(ev, &packed, 0, 0, 1, bins, span)?,
            slice(ev, &packed, 0, bins as i64, 1, bins + 1, span)?,
        )
    };
    let counts = if a.flag(ev, "density")? {
        // counts / total / bin widths, as NumPy's density.
        let total = ev
            .graph
            .reduce(ReduceOp::Sum, &counts, None, false, 0, span)?;
        let k = edges.size() - 1;
        let hi = slice(ev, &edges, 0, 1, 1, k, span)?;
        let lo = slice(ev, &edges, 0, 0, 1, k, span)?;
        let widths = ev.graph.binary(BinaryOp::Sub, &hi, &lo, span)?;
        let per = ev.graph.binary(BinaryOp::Div, &counts, &total, span)?;
        ev.graph.binary(BinaryOp::Div, &per, &widths, span)?
    } else if weights.is_none() {
        ev.graph.cast(&counts, DType::I64, span)?
    } else {
        counts
    };
    let counts = ev.fold(counts)?;
    let edges = ev.fold(edges)?;
    Ok(Value::Tuple(
        vec![Value::Array(counts), Value::Array(edges)].into(),
    ))
}

/// `x[::-1]` of a 1-D array.
fn reversed(ev: &mut Evaluator, x: &NodeRef, span: Span) -> Result<NodeRef> {
    let n = x.size();
    slice(ev, x, 0, n as i64 - 1, -1, n, span)
}

/// `convolve(a, v)`, or `correlate(a, v)` as the convolution with `v` reversed (and
/// conjugated), as NumPy defines it.
fn convolve(ev: &mut Evaluator, a: &mut Args, correlate: bool) -> Result<Value> {
    let (x, mut v) = (a.array(ev, "a")?, a.array(ev, "v")?);
    let mode = match a.opt_str("mode")?.as_deref() {
        None if correlate => ConvolveMode::Valid,
        None | Some("full") => ConvolveMode::Full,
        Some("same") => ConvolveMode::Same,
        Some("valid") => ConvolveMode::Valid,
        Some(other) => {
            return Err(value_error(format!(
                "mode must be \"full\", \"same\" or \"valid\", not `{other}`"
            ))
            .with_span(a.span_of("mode")));
        }
    };
    let span = a.span;
    if correlate {
        v = reversed(ev, &v, span)?;
        if v.dtype == DType::C128 {
            v = ev.graph.unary(UnaryOp::Conj, &v, span)?;
        }
    }
    let n = ev.graph.search(LibCall::Convolve(mode), &[x, v], span)?;
    Ok(Value::Array(n))
}

/// `nonzero(x)`: computed now (its length is the number of non-zero elements).
pub(super) fn nonzero(ev: &mut Evaluator, x: &NodeRef, span: Span) -> Result<Value> {
    if x.shape.is_empty() {
        return Err(
            value_error("nonzero of a 0-d array; use `nonzero(atleast_1d(x))`").with_span(span),
        );
    }
    let value = ev.force(x)?;
    let parts = crate::library::search::nonzero(&value)
        .into_iter()
        .map(|p| Ok(Value::Array(ev.graph.constant(p, false, span)?)))
        .collect::<Result<Vec<_>>>()?;
    Ok(Value::Tuple(parts.into()))
}

fn argwhere(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let x = a.array(ev, "x")?;
    let value = ev.force(&x)?;
    let cols = if x.shape.is_empty() {
        vec![]
    } else {
        crate::library::search::nonzero(&value)
    };
    let rows = cols.first().map_or(
        usize::from(value.to_f64_vec().first().is_some_and(|&v| v != 0.0)),
        Array::len,
    );
    let nd = cols.len();
    let mut data = vec![0i64; rows * nd];
    for (d, c) in cols.iter().enumerate() {
        for (r, &i) in c.to_i64_vec().iter().enumerate() {
            data[r * nd + d] = i;
        }
    }
    let out =
        ArrayD::from_shape_vec(IxDyn(&[rows, nd]), data).map_err(|e| value_error(e.to_string()))?;
    Ok(Value::Array(ev.graph.constant(
        Array::I64(out),
        false,
        a.span,
    )?))
}

/// `unique`: computed now (the number of distinct values decides the shapes).
fn unique(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let x = a.array(ev, "x")?;
    let value = ev.force(&x)?;
    let u = crate::library::search::unique(&value);
    let span = a.span;
    let ints = |v: Vec<i64>, shape: &[usize]| {
        Array::I64(ArrayD::from_shape_vec(IxDyn(shape), v).expect("one each"))
    };
    let mut out = vec![Value::Array(ev.graph.constant(u.values, false, span)?)];
    // NumPy 2 gives the inverse the input's shape.
    let k = u.counts.len();
    let extras = [
        ("return_index", u.index, vec![k]),
        ("return_inverse", u.inverse, x.shape.clone()),
        ("return_counts", u.counts, vec![k]),
    ];
    for (flag, values, shape) in extras {
        if a.flag(ev, flag)? {
            let node = ev.graph.constant(ints(values, &shape), false, span)?;
            out.push(Value::Array(node));
        }
    }
    Ok(match out.len() {
        1 => out.remove(0),
        _ => Value::Tuple(out.into()),
    })
}
