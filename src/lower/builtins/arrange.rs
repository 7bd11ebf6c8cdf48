//! Stacking, splitting, axis moves and gathers with NumPy's signatures: `vstack hstack
//! dstack column_stack split array_split swapaxes moveaxis broadcast_to meshgrid take
//! take_along_axis put_along_axis diff round`. Each lowers to views, concatenations and
//! index nodes of the graph (splits and meshgrids return tuples of views).

use super::shape::{list_arg, slice};
use super::{Args, Builtin};
use crate::diag::{Result, type_error, value_error};
use crate::dtype::DType;
use crate::graph::{BinaryOp, IndexItem, UnaryOp, index_spec, normalize_axis};
use crate::lower::index::along;
use crate::lower::{Evaluator, Value};
use crate::runtime::{Array, Scalar};

pub(super) fn builtins() -> Vec<Builtin> {
    vec![
        Builtin {
            name: "vstack",
            signature: "vstack(arrays)",
            doc: "Arrays stacked as rows (1-D arrays become rows), as numpy.vstack.",
            example: "vstack(([1, 2], [3, 4]))",
            call: |ev, a| stacked(ev, a, |nd| if nd < 2 { vec![1, 0] } else { vec![] }, 0),
        },
        Builtin {
            name: "hstack",
            signature: "hstack(arrays)",
            doc: "Arrays joined along columns (1-D arrays end to end), as numpy.hstack.",
            example: "hstack(([1, 2], [3]))",
            call: hstack,
        },
        Builtin {
            name: "dstack",
            signature: "dstack(arrays)",
            doc: "Arrays stacked along a third axis, as numpy.dstack.",
            example: "dstack(([1, 2], [3, 4]))",
            call: |ev, a| {
                stacked(
                    ev,
                    a,
                    |nd| match nd {
                        0 => vec![1, 1, 1],
                        1 => vec![1, 0, 1],
                        2 => vec![0, 0, 1],
                        _ => vec![],
                    },
                    2,
                )
            },
        },
        Builtin {
            name: "column_stack",
            signature: "column_stack(arrays)",
            doc: "1-D arrays as columns (2-D ones as they are), joined along axis 1.",
            example: "column_stack(([1, 2], [3, 4]))",
            call: |ev, a| stacked(ev, a, |nd| if nd < 2 { vec![0, 1] } else { vec![] }, 1),
        },
        Builtin {
            name: "split",
            signature: "split(x, sections, axis=0)",
            doc: "A tuple of equal parts (sections an integer) or of the parts between indices.",
            example: "split(arange(6), 3)",
            call: |ev, a| split(ev, a, false),
        },
        Builtin {
            name: "array_split",
            signature: "array_split(x, sections, axis=0)",
            doc: "Like split, but n parts need not be equal (the first ones are one longer).",
            example: "array_split(arange(7), 3)",
            call: |ev, a| split(ev, a, true),
        },
        Builtin {
            name: "swapaxes",
            signature: "swapaxes(x, axis1, axis2)",
            doc: "x with two axes exchanged (a view).",
            example: "swapaxes(zeros(2, 3), 0, 1).shape",
            call: swapaxes,
        },
        Builtin {
            name: "moveaxis",
            signature: "moveaxis(x, source, destination)",
            doc: "x with axes moved to new positions, the others in order (a view).",
            example: "moveaxis(zeros(2, 3, 4), 0, -1).shape",
            call: moveaxis,
        },
        Builtin {
            name: "broadcast_to",
            signature: "broadcast_to(x, shape)",
            doc: "x broadcast to a shape (a view).",
            example: "broadcast_to([1, 2, 3], (2, 3))",
            call: |ev, a| {
                let x = a.array(ev, "x")?;
                let shape = usize_list(ev, a, "shape")?;
                Ok(Value::Array(ev.graph.broadcast_to(&x, shape, a.span)?))
            },
        },
        Builtin {
            name: "meshgrid",
            signature: "meshgrid(*xs, indexing=\"xy\")",
            doc: "Coordinate matrices from coordinate vectors, a tuple (indexing \"xy\" or \"ij\").",
            example: "let (X, Y) = meshgrid([1, 2, 3], [4, 5])",
            call: meshgrid,
        },
        Builtin {
            name: "take",
            signature: "take(x, indices, axis=)",
            doc: "Elements at indices along axis (of the flattened x without axis).",
            example: "take([4, 5, 6], [2, 0])",
            call: take,
        },
        Builtin {
            name: "take_along_axis",
            signature: "take_along_axis(x, indices, axis)",
            doc: "x[..., indices, ...] pairing indices with x along the other axes (argsort's partner).",
            example: "take_along_axis([[3, 1], [2, 4]], argsort([[3, 1], [2, 4]]), 1)",
            call: |ev, a| along_axis(ev, a, false),
        },
        Builtin {
            name: "put_along_axis",
            signature: "put_along_axis(x, indices, values, axis)",
            doc: "x with values written at indices along axis; returns the new array (values do not change in place).",
            example: "put_along_axis([[1, 2], [3, 4]], [[0], [1]], 9, 1)",
            call: |ev, a| along_axis(ev, a, true),
        },
        Builtin {
            name: "diff",
            signature: "diff(x, n=1, axis=-1)",
            doc: "n-th differences x[1:] - x[:-1] along axis, as numpy.diff.",
            example: "diff([1, 4, 9, 16])",
            call: diff,
        },
        Builtin {
            name: "round",
            signature: "round(x, decimals=0)",
            doc: "Rounded to decimals places, halves to even, as numpy.round (i64 stays i64).",
            example: "round([0.125, 2.5, 1234.5], 2)",
            call: round,
        },
    ]
}

/// A tuple or array argument of non-negative integers (a shape).
fn usize_list(ev: &mut Evaluator, a: &Args, name: &str) -> Result<Vec<usize>> {
    let dims = a.opt_axes(ev, name)?.unwrap_or_default();
    dims.iter()
        .map(|&d| {
            usize::try_from(d).map_err(|_| {
                value_error(format!("negative dimension {d}")).with_span(a.span_of(name))
            })
        })
        .collect()
}

/// Joins `arrays` along `axis` after giving each the shape `expand(ndim)` describes: for
/// each output axis, 0 takes the next input axis and 1 inserts an axis of length 1 (an
/// empty description keeps the array as it is).
fn stacked(
    ev: &mut Evaluator,
    a: &mut Args,
    expand: fn(usize) -> Vec<u8>,
    axis: i64,
) -> Result<Value> {
    let parts = list_arg(ev, a, "arrays")?;
    if parts.is_empty() {
        return Err(value_error("need at least one array to join").with_span(a.span));
    }
    let mut shaped = Vec::with_capacity(parts.len());
    for p in &parts {
        let plan = expand(p.shape.len());
        if plan.is_empty() {
            shaped.push(p.clone());
            continue;
        }
        let mut dims = p.shape.iter();
        let shape = plan
            .iter()
            .map(|&k| {
                if k == 1 {
                    1
                } else {
                    *dims.next().unwrap_or(&1)
                }
            })
            .collect();
        shaped.push(ev.graph.reshape(p, shape, a.span)?);
    }
    let n = ev.graph.concat(&shaped, axis, a.span)?;
    Ok(Value::Array(ev.fold(n)?))
}

fn hstack(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let parts = list_arg(ev, a, "arrays")?;
    let flat = parts.iter().all(|p| p.shape.len() <= 1);
    let parts = parts
        .iter()
        .map(|p| match p.shape.len() {
            0 => ev.graph.reshape(p, vec![1], a.span),
            _ => Ok(p.clone()),
        })
        .collect::<Result<Vec<_>>>()?;
    let n = ev.graph.concat(&parts, if flat { 0 } else { 1 }, a.span)?;
    Ok(Value::Array(ev.fold(n)?))
}

fn split(ev: &mut Evaluator, a: &mut Args, uneven: bool) -> Result<Value> {
    let x = a.array(ev, "x")?;
    let axis = a.opt_i64(ev, "axis")?.unwrap_or(0);
    let axis = normalize_axis(axis, x.shape.len()).map_err(|e| e.with_span(a.span_of("axis")))?;
    let len = x.shape[axis];
    let sections = a.array(ev, "sections")?;
    let bounds: Vec<usize> = if sections.shape.is_empty() {
        let n = a.opt_i64(ev, "sections")?.unwrap_or(1);
        if n <= 0 {
            return Err(value_error("the number of sections must be positive")
                .with_span(a.span_of("sections")));
        }
        let n = n as usize;
        if !uneven && len % n != 0 {
            return Err(value_error(format!(
                "an axis of length {len} does not split into {n} equal parts"
            ))
            .with_span(a.span)
            .with_help("array_split allows unequal parts"));
        }
        let (size, extra) = (len / n, len % n);
        (0..=n).map(|k| k * size + k.min(extra)).collect()
    } else {
        let points = a.opt_axes(ev, "sections")?.unwrap_or_default();
        let clamp = |p: i64| {
            let p = if p < 0 { p + len as i64 } else { p };
            p.clamp(0, len as i64) as usize
        };
        std::iter::once(0)
            .chain(points.iter().map(|&p| clamp(p)))
            .chain(std::iter::once(len))
            .collect()
    };
    let mut parts = Vec::with_capacity(bounds.len() - 1);
    for w in bounds.windows(2) {
        let (start, stop) = (w[0], w[1].max(w[0]));
        let part = slice(ev, &x, axis, start as i64, 1, stop - start, a.span)?;
        parts.push(Value::Array(ev.fold(part)?));
    }
    Ok(Value::Tuple(parts.into()))
}

fn swapaxes(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let x = a.array(ev, "x")?;
    let nd = x.shape.len();
    let mut ax = [0usize; 2];
    for (k, name) in ["axis1", "axis2"].iter().enumerate() {
        let v = a.opt_i64(ev, name)?.unwrap_or(0);
        ax[k] = normalize_axis(v, nd).map_err(|e| e.with_span(a.span_of(name)))?;
    }
    let mut perm: Vec<usize> = (0..nd).collect();
    perm.swap(ax[0], ax[1]);
    Ok(Value::Array(ev.graph.transpose(&x, perm, a.span)?))
}

fn moveaxis(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let x = a.array(ev, "x")?;
    let nd = x.shape.len();
    let mut norm = |name: &str| -> Result<Vec<usize>> {
        let axes = a.opt_axes(ev, name)?.unwrap_or_default();
        axes.iter()
            .map(|&v| normalize_axis(v, nd).map_err(|e| e.with_span(a.span_of(name))))
            .collect()
    };
    let (source, dest) = (norm("source")?, norm("destination")?);
    if source.len() != dest.len() {
        return Err(
            value_error("source and destination need the same number of axes").with_span(a.span),
        );
    }
    let mut rest: Vec<usize> = (0..nd).filter(|d| !source.contains(d)).collect();
    let mut pairs: Vec<(usize, usize)> = dest.into_iter().zip(source).collect();
    pairs.sort_unstable();
    for (d, s) in pairs {
        rest.insert(d.min(rest.len()), s);
    }
    Ok(Value::Array(ev.graph.transpose(&x, rest, a.span)?))
}

fn meshgrid(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let xs = a
        .rest()
        .to_vec()
        .iter()
        .map(|(v, s)| {
            let x = ev.expect_array(v, *s)?;
            let n = x.size();
            ev.graph.reshape(&x, vec![n], *s)
        })
        .collect::<Result<Vec<_>>>()?;
    let xy = match a.opt_str("indexing")?.as_deref() {
        None | Some("xy") => true,
        Some("ij") => false,
        Some(other) => {
            return Err(
                value_error(format!("indexing must be \"xy\" or \"ij\", not `{other}`"))
                    .with_span(a.span_of("indexing")),
            );
        }
    };
    let mut shape: Vec<usize> = xs.iter().map(|x| x.shape[0]).collect();
    if xy && shape.len() >= 2 {
        shape.swap(0, 1);
    }
    let mut out = Vec::with_capacity(xs.len());
    for (i, x) in xs.iter().enumerate() {
        let at = if xy && i < 2 && xs.len() >= 2 {
            1 - i
        } else {
            i
        };
        let mut along = vec![1; shape.len()];
        along[at] = x.shape[0];
        let r = ev.graph.reshape(x, along, a.span)?;
        out.push(Value::Array(ev.graph.broadcast_to(
            &r,
            shape.clone(),
            a.span,
        )?));
    }
    Ok(Value::Tuple(out.into()))
}

fn take(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let mut x = a.array(ev, "x")?;
    let indices = a.array(ev, "indices")?;
    if indices.dtype != DType::I64 {
        return Err(type_error("take needs integer indices").with_span(a.span_of("indices")));
    }
    let axis = match a.opt_i64(ev, "axis")? {
        None => {
            let n = x.size();
            x = ev.graph.reshape(&x, vec![n], a.span)?;
            0
        }
        Some(ax) => {
            normalize_axis(ax, x.shape.len()).map_err(|e| e.with_span(a.span_of("axis")))?
        }
    };
    let items = along(&x.shape, axis, IndexItem::Array);
    let spec = index_spec(&x.shape, items, std::slice::from_ref(&indices.shape))?;
    let n = ev.graph.index(&x, spec, vec![indices], a.span)?;
    Ok(Value::Array(ev.fold(n)?))
}

/// `take_along_axis` (or with `put`, `put_along_axis`): every axis indexed by an array —
/// `indices` along `axis`, a broadcast `arange` along the others.
fn along_axis(ev: &mut Evaluator, a: &mut Args, put: bool) -> Result<Value> {
    let x = a.array(ev, "x")?;
    let indices = a.array(ev, "indices")?;
    let nd = x.shape.len();
    if indices.dtype != DType::I64 || indices.shape.len() != nd {
        return Err(type_error(format!(
            "indices must be integers with as many axes as x ({nd})"
        ))
        .with_span(a.span_of("indices")));
    }
    let axis = a.opt_i64(ev, "axis")?.unwrap_or(-1);
    let axis = normalize_axis(axis, nd).map_err(|e| e.with_span(a.span_of("axis")))?;
    let mut arrays = Vec::with_capacity(nd);
    for d in 0..nd {
        if d == axis {
            arrays.push(indices.clone());
            continue;
        }
        let r = ev.graph.arange(
            Scalar::I64(0),
            Scalar::I64(1),
            x.shape[d],
            DType::I64,
            a.span,
        )?;
        let mut shape = vec![1; nd];
        shape[d] = x.shape[d];
        arrays.push(ev.graph.reshape(&r, shape, a.span)?);
    }
    let shapes: Vec<Vec<usize>> = arrays.iter().map(|n| n.shape.clone()).collect();
    let spec = index_spec(&x.shape, vec![IndexItem::Array; nd], &shapes)
        .map_err(|e| e.with_span(a.span))?;
    let n = if put {
        let values = a.array(ev, "values")?;
        ev.graph.update(&x, spec, arrays, &values, a.span)?
    } else {
        ev.graph.index(&x, spec, arrays, a.span)?
    };
    Ok(Value::Array(ev.fold(n)?))
}

fn diff(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let mut x = a.array(ev, "x")?;
    let n = a.opt_i64(ev, "n")?.unwrap_or(1);
    if n < 0 {
        return Err(value_error("diff's n must be non-negative").with_span(a.span_of("n")));
    }
    let axis = a.opt_i64(ev, "axis")?.unwrap_or(-1);
    let axis = normalize_axis(axis, x.shape.len()).map_err(|e| e.with_span(a.span_of("axis")))?;
    let op = if x.dtype == DType::Bool {
        BinaryOp::Ne
    } else {
        BinaryOp::Sub
    };
    for _ in 0..n {
        let len = x.shape[axis].saturating_sub(1);
        let hi = slice(ev, &x, axis, 1, 1, len, a.span)?;
        let lo = slice(ev, &x, axis, 0, 1, len, a.span)?;
        x = ev.graph.binary(op, &hi, &lo, a.span)?;
    }
    Ok(Value::Array(ev.fold(x)?))
}

/// NumPy's `round`: `rint(x * 10**d) / 10**d` (for negative `d`, `rint(x / 10**-d) *
/// 10**-d`); integers round only for negative `d`.
fn round(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let x = a.array(ev, "x")?;
    let d = a.opt_i64(ev, "decimals")?.unwrap_or(0);
    let span = a.span;
    let g = &mut ev.graph;
    let n = if d == 0 || (d > 0 && !x.dtype.is_inexact()) {
        g.unary(UnaryOp::Round, &x, span)?
    } else {
        let compute = if x.dtype == DType::F32 {
            DType::F32
        } else {
            DType::F64
        };
        let xf = g.cast(&x, compute, span)?;
        let scale = g.constant(
            Array::scalar(Scalar::F64(10f64.powi(d.unsigned_abs() as i32))),
            true,
            span,
        )?;
        let (into, back) = if d > 0 {
            (BinaryOp::Mul, BinaryOp::Div)
        } else {
            (BinaryOp::Div, BinaryOp::Mul)
        };
        let y = g.binary(into, &xf, &scale, span)?;
        let y = g.unary(UnaryOp::Round, &y, span)?;
        let y = g.binary(back, &y, &scale, span)?;
        if x.dtype.is_inexact() {
            y
        } else {
            g.cast(&y, x.dtype, span)?
        }
    };
    Ok(Value::Array(ev.fold(n)?))
}
