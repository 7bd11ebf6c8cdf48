//! Shape builtins: `reshape transpose ravel expand_dims squeeze concat stack roll flip diag
//! tile repeat len trace`. All are compositions of the graph's layout nodes.

use super::construct::shape_arg;
use super::{Args, Builtin};
use crate::diag::{Result, Span, shape_error, type_error, value_error};
use crate::dtype::DType;
use crate::graph::{IndexItem, NodeRef, ReduceOp, fmt_shape, index_spec, normalize_axis};
use crate::lower::index::along;
use crate::lower::{Evaluator, Value};
use crate::runtime::{Array, Scalar};

pub(super) fn builtins() -> Vec<Builtin> {
    vec![
        Builtin {
            name: "reshape",
            signature: "reshape(x, *shape)",
            doc: "The same elements (row-major) in a new shape; one dimension may be -1.",
            example: "reshape(arange(6), 2, 3)",
            call: reshape,
        },
        Builtin {
            name: "transpose",
            signature: "transpose(x, axes=)",
            doc: "Axes reversed, or permuted by axes.",
            example: "transpose(ones(2, 3)).shape",
            call: transpose,
        },
        Builtin {
            name: "ravel",
            signature: "ravel(x)",
            doc: "The elements as a 1-D array (row-major).",
            example: "ravel([[1, 2], [3, 4]])",
            call: |ev, a| {
                let x = a.array(ev, "x")?;
                let n = x.size();
                Ok(Value::Array(ev.graph.reshape(&x, vec![n], a.span)?))
            },
        },
        Builtin {
            name: "expand_dims",
            signature: "expand_dims(x, axis)",
            doc: "Inserts an axis of length 1 at position axis.",
            example: "expand_dims([1, 2], 0).shape",
            call: expand_dims,
        },
        Builtin {
            name: "squeeze",
            signature: "squeeze(x, axis=)",
            doc: "Removes axes of length 1 (or only axis).",
            example: "squeeze(ones(1, 3, 1)).shape",
            call: squeeze,
        },
        Builtin {
            name: "concat",
            signature: "concat(arrays, axis=0)",
            doc: "Joins a list of arrays along an existing axis.",
            example: "concat([[1, 2], [3]])",
            call: concat,
        },
        Builtin {
            name: "stack",
            signature: "stack(arrays, axis=0)",
            doc: "Joins a list of same-shaped arrays along a new axis.",
            example: "stack([[1, 2], [3, 4]], axis=1)",
            call: stack,
        },
        Builtin {
            name: "roll",
            signature: "roll(x, shift, axis=)",
            doc: "Elements shifted by shift along axis, wrapping around (flattened when no axis).",
            example: "roll([1, 2, 3, 4], 1)",
            call: roll,
        },
        Builtin {
            name: "flip",
            signature: "flip(x, axis=)",
            doc: "Elements in reverse order along axis (all axes when no axis).",
            example: "flip([1, 2, 3])",
            call: flip,
        },
        Builtin {
            name: "diag",
            signature: "diag(x, k=0)",
            doc: "Diagonal k of a matrix, or a matrix with x on diagonal k.",
            example: "diag([1, 2, 3])",
            call: diag,
        },
        Builtin {
            name: "tile",
            signature: "tile(x, reps)",
            doc: "x repeated reps times along each axis.",
            example: "tile([1, 2], 3)",
            call: tile,
        },
        Builtin {
            name: "repeat",
            signature: "repeat(x, repeats, axis=)",
            doc: "Each element repeated (flattened when no axis).",
            example: "repeat([1, 2], 2)",
            call: repeat,
        },
        Builtin {
            name: "len",
            signature: "len(x)",
            doc: "The length of axis 0, or the number of members of a tuple.",
            example: "len(zeros(4, 2))",
            call: |ev, a| {
                let n = if let Some((Value::Tuple(members), _)) = a.get("x") {
                    members.len()
                } else {
                    let x = a.array(ev, "x")?;
                    let Some(&n) = x.shape.first() else {
                        return Err(type_error("len() of a 0-d array").with_span(a.span));
                    };
                    n
                };
                Ok(Value::Array(ev.graph.constant(
                    Array::scalar(Scalar::I64(n as i64)),
                    true,
                    a.span,
                )?))
            },
        },
        Builtin {
            name: "trace",
            signature: "trace(x)",
            doc: "Sum of the main diagonal of a matrix.",
            example: "trace(eye(3))",
            call: |ev, a| {
                let x = a.array(ev, "x")?;
                let d = diagonal(ev, &x, 0, a.span)?;
                let n = ev.graph.reduce(ReduceOp::Sum, &d, None, false, 0, a.span)?;
                Ok(Value::Array(ev.fold(n)?))
            },
        },
    ]
}

fn reshape(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let x = a.array(ev, "x")?;
    let rest = a.rest().to_vec();
    let dims: Vec<i64> = match rest.as_slice() {
        [(v, s)] => {
            let node = ev.expect_array(v, *s)?;
            ev.force(&node)?.to_i64_vec()
        }
        _ => rest
            .iter()
            .map(|(v, s)| ev.value_i64(v, *s))
            .collect::<Result<_>>()?,
    };
    let unknown: Vec<usize> = dims
        .iter()
        .enumerate()
        .filter(|(_, d)| **d == -1)
        .map(|(i, _)| i)
        .collect();
    if unknown.len() > 1 || dims.iter().any(|&d| d < -1) {
        return Err(value_error(
            "reshape: at most one dimension may be -1, and none may be negative otherwise",
        )
        .with_span(a.span));
    }
    let known: usize = dims
        .iter()
        .filter(|&&d| d >= 0)
        .map(|&d| d as usize)
        .product();
    let mut shape: Vec<usize> = dims.iter().map(|&d| d.max(0) as usize).collect();
    if let Some(&i) = unknown.first() {
        if known == 0 || x.size() % known != 0 {
            return Err(shape_error(format!(
                "cannot reshape an array of shape {} (size {}) into shape {dims:?}",
                fmt_shape(&x.shape),
                x.size()
            ))
            .with_span(a.span));
        }
        shape[i] = x.size() / known;
    }
    Ok(Value::Array(ev.graph.reshape(&x, shape, a.span)?))
}

fn transpose(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let x = a.array(ev, "x")?;
    let nd = x.shape.len();
    let perm: Vec<usize> = match a.get("axes") {
        None => (0..nd).rev().collect(),
        Some((v, s)) => {
            let node = ev.expect_array(v, *s)?;
            let axes = ev.force(&node)?.to_i64_vec();
            axes.iter()
                .map(|&ax| normalize_axis(ax, nd).map_err(|e| e.with_span(*s)))
                .collect::<Result<_>>()?
        }
    };
    Ok(Value::Array(ev.graph.transpose(&x, perm, a.span)?))
}

fn expand_dims(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let x = a.array(ev, "x")?;
    let axes = a.opt_axes(ev, "axis")?.unwrap_or(vec![0]);
    let nd = x.shape.len() + axes.len();
    let mut at = axes
        .iter()
        .map(|&ax| normalize_axis(ax, nd))
        .collect::<Result<Vec<_>>>()
        .map_err(|e| e.with_span(a.span_of("axis")))?;
    at.sort_unstable();
    at.dedup();
    if at.len() != axes.len() {
        return Err(value_error("an axis is repeated in `axis`").with_span(a.span_of("axis")));
    }
    let mut shape = x.shape.clone();
    for ax in at {
        shape.insert(ax, 1);
    }
    Ok(Value::Array(ev.graph.reshape(&x, shape, a.span)?))
}

fn squeeze(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let x = a.array(ev, "x")?;
    let shape: Vec<usize> = match a.opt_axes(ev, "axis")? {
        None => x.shape.iter().copied().filter(|&d| d != 1).collect(),
        Some(axes) => {
            let axes = axes
                .iter()
                .map(|&ax| normalize_axis(ax, x.shape.len()))
                .collect::<Result<Vec<_>>>()
                .map_err(|e| e.with_span(a.span_of("axis")))?;
            if let Some(&ax) = axes.iter().find(|&&ax| x.shape[ax] != 1) {
                return Err(value_error(format!(
                    "cannot squeeze axis {ax} of length {}",
                    x.shape[ax]
                ))
                .with_span(a.span));
            }
            (0..x.shape.len())
                .filter(|d| !axes.contains(d))
                .map(|d| x.shape[d])
                .collect()
        }
    };
    Ok(Value::Array(ev.graph.reshape(&x, shape, a.span)?))
}

/// The members of a list argument (a list literal, a tuple, or the rows of an array).
pub(super) fn list_arg(ev: &mut Evaluator, a: &Args, name: &str) -> Result<Vec<NodeRef>> {
    match a.get(name) {
        Some((Value::List(items), s)) => items.iter().map(|v| ev.expect_array(v, *s)).collect(),
        Some((Value::Tuple(items), s)) => items.iter().map(|v| ev.expect_array(v, *s)).collect(),
        Some((v, s)) => {
            let x = ev.expect_array(v, *s)?;
            if x.shape.is_empty() {
                return Err(type_error("expected a list of arrays").with_span(*s));
            }
            (0..x.shape[0]).map(|i| take(ev, &x, 0, i, *s)).collect()
        }
        None => {
            Err(type_error(format!("`{}` is missing argument `{name}`", a.name)).with_span(a.span))
        }
    }
}

/// `x` indexed at position `i` along `axis` (the axis removed).
pub(super) fn take(
    ev: &mut Evaluator,
    x: &NodeRef,
    axis: usize,
    i: usize,
    span: Span,
) -> Result<NodeRef> {
    let spec = index_spec(&x.shape, along(&x.shape, axis, IndexItem::At(i)), &[])?;
    ev.graph.index(x, spec, vec![], span)
}

/// `x[start:start+len]` along `axis`, with `step`.
pub(super) fn slice(
    ev: &mut Evaluator,
    x: &NodeRef,
    axis: usize,
    start: i64,
    step: i64,
    len: usize,
    span: Span,
) -> Result<NodeRef> {
    let item = IndexItem::Slice { start, step, len };
    let spec = index_spec(&x.shape, along(&x.shape, axis, item), &[])?;
    ev.graph.index(x, spec, vec![], span)
}

fn concat(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let parts = list_arg(ev, a, "arrays")?;
    let axis = a.opt_i64(ev, "axis")?.unwrap_or(0);
    let n = ev.graph.concat(&parts, axis, a.span)?;
    Ok(Value::Array(ev.fold(n)?))
}

fn stack(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let parts = list_arg(ev, a, "arrays")?;
    let Some(first) = parts.first() else {
        return Err(value_error("need at least one array to stack").with_span(a.span));
    };
    let shape = first.shape.clone();
    if let Some(bad) = parts.iter().find(|p| p.shape != shape) {
        return Err(shape_error(format!(
            "all arrays must have the same shape to stack, found {} and {}",
            fmt_shape(&shape),
            fmt_shape(&bad.shape)
        ))
        .with_span(a.span));
    }
    let axis = a.opt_i64(ev, "axis")?.unwrap_or(0);
    let axis = normalize_axis(axis, shape.len() + 1).map_err(|e| e.with_span(a.span_of("axis")))?;
    let mut new_shape = shape.clone();
    new_shape.insert(axis, 1);
    let parts = parts
        .iter()
        .map(|p| ev.graph.reshape(p, new_shape.clone(), a.span))
        .collect::<Result<Vec<_>>>()?;
    let n = ev.graph.concat(&parts, axis as i64, a.span)?;
    Ok(Value::Array(ev.fold(n)?))
}

fn roll(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let x0 = a.array(ev, "x")?;
    let shift = a.opt_i64(ev, "shift")?.unwrap_or(0);
    let axis = a.opt_i64(ev, "axis")?;
    let span = a.span;
    let (x, axis) = match axis {
        Some(ax) => (
            x0.clone(),
            normalize_axis(ax, x0.shape.len()).map_err(|e| e.with_span(a.span_of("axis")))?,
        ),
        None => (ev.graph.reshape(&x0, vec![x0.size()], span)?, 0),
    };
    let n = x.shape[axis] as i64;
    if n == 0 {
        return Ok(Value::Array(x0));
    }
    let s = shift.rem_euclid(n);
    let rolled = if s == 0 {
        x
    } else {
        let tail = slice(ev, &x, axis, n - s, 1, s as usize, span)?;
        let head = slice(ev, &x, axis, 0, 1, (n - s) as usize, span)?;
        ev.graph.concat(&[tail, head], axis as i64, span)?
    };
    let out = ev.graph.reshape(&rolled, x0.shape.clone(), span)?;
    Ok(Value::Array(ev.fold(out)?))
}

fn flip(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let x = a.array(ev, "x")?;
    let axes: Vec<usize> = match a.opt_axes(ev, "axis")? {
        Some(axes) => axes
            .iter()
            .map(|&ax| normalize_axis(ax, x.shape.len()))
            .collect::<Result<_>>()
            .map_err(|e| e.with_span(a.span_of("axis")))?,
        None => (0..x.shape.len()).collect(),
    };
    let items = x
        .shape
        .iter()
        .enumerate()
        .map(|(ax, &n)| {
            if axes.contains(&ax) && n > 0 {
                IndexItem::Slice {
                    start: n as i64 - 1,
                    step: -1,
                    len: n,
                }
            } else {
                IndexItem::Slice {
                    start: 0,
                    step: 1,
                    len: n,
                }
            }
        })
        .collect();
    let spec = index_spec(&x.shape, items, &[])?;
    let n = ev.graph.index(&x, spec, vec![], a.span)?;
    Ok(Value::Array(ev.fold(n)?))
}

/// Diagonal `k` of a 2-D array, as a gather with two index arrays.
fn diagonal(ev: &mut Evaluator, x: &NodeRef, k: i64, span: Span) -> Result<NodeRef> {
    if x.shape.len() != 2 {
        return Err(value_error(format!(
            "expected a 2-D array, found shape {}",
            fmt_shape(&x.shape)
        ))
        .with_span(span));
    }
    let (r0, c0) = if k >= 0 { (0, k) } else { (-k, 0) };
    let len = (x.shape[0] as i64 - r0).min(x.shape[1] as i64 - c0).max(0) as usize;
    let rows = ev
        .graph
        .arange(Scalar::I64(r0), Scalar::I64(1), len, DType::I64, span)?;
    let cols = ev
        .graph
        .arange(Scalar::I64(c0), Scalar::I64(1), len, DType::I64, span)?;
    let spec = index_spec(
        &x.shape,
        vec![IndexItem::Array, IndexItem::Array],
        &[vec![len], vec![len]],
    )?;
    ev.graph.index(x, spec, vec![rows, cols], span)
}

fn diag(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let x = a.array(ev, "x")?;
    let k = a.opt_i64(ev, "k")?.unwrap_or(0);
    let span = a.span;
    let n = match x.shape.len() {
        2 => diagonal(ev, &x, k, span)?,
        1 => {
            let len = x.shape[0];
            let size = len + k.unsigned_abs() as usize;
            let zeros = ev
                .graph
                .fill(vec![size, size], Scalar::I64(0), x.dtype, span)?;
            let (r0, c0) = if k >= 0 { (0, k) } else { (-k, 0) };
            let rows = ev
                .graph
                .arange(Scalar::I64(r0), Scalar::I64(1), len, DType::I64, span)?;
            let cols = ev
                .graph
                .arange(Scalar::I64(c0), Scalar::I64(1), len, DType::I64, span)?;
            let spec = index_spec(
                &[size, size],
                vec![IndexItem::Array, IndexItem::Array],
                &[vec![len], vec![len]],
            )?;
            ev.graph.update(&zeros, spec, vec![rows, cols], &x, span)?
        }
        _ => return Err(value_error("diag expects a 1-D or 2-D array").with_span(span)),
    };
    Ok(Value::Array(ev.fold(n)?))
}

fn tile(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let x = a.array(ev, "x")?;
    let reps = match a.get("reps") {
        Some((v, s)) => {
            let (v, s) = (v.clone(), *s);
            shape_arg(ev, &[(v, s)], s)?
        }
        None => vec![1],
    };
    let nd = x.shape.len().max(reps.len());
    let mut xs = vec![1; nd - x.shape.len()];
    xs.extend(&x.shape);
    let mut rs = vec![1; nd - reps.len()];
    rs.extend(&reps);
    let span = a.span;
    let inter: Vec<usize> = xs.iter().flat_map(|&d| [1, d]).collect();
    let big: Vec<usize> = xs.iter().zip(&rs).flat_map(|(&d, &r)| [r, d]).collect();
    let out: Vec<usize> = xs.iter().zip(&rs).map(|(&d, &r)| d * r).collect();
    let y = ev.graph.reshape(&x, inter, span)?;
    let y = ev.graph.broadcast_to(&y, big, span)?;
    let y = ev.graph.reshape(&y, out, span)?;
    Ok(Value::Array(ev.fold(y)?))
}

fn repeat(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let x0 = a.array(ev, "x")?;
    let span = a.span;
    let (x, axis) = match a.opt_i64(ev, "axis")? {
        Some(ax) => (
            x0.clone(),
            normalize_axis(ax, x0.shape.len()).map_err(|e| e.with_span(a.span_of("axis")))?,
        ),
        None => (ev.graph.reshape(&x0, vec![x0.size()], span)?, 0),
    };
    let n = x.shape[axis];
    let reps_node = a.array(ev, "repeats")?;
    let reps = ev.force(&reps_node)?.to_i64_vec();
    let reps: Vec<i64> = if reps.len() == 1 {
        vec![reps[0]; n]
    } else {
        reps
    };
    if reps.len() != n || reps.iter().any(|&r| r < 0) {
        return Err(value_error(format!(
            "repeats must be one non-negative count or {n} of them"
        ))
        .with_span(a.span_of("repeats")));
    }
    let total = reps
        .iter()
        .try_fold(0usize, |acc, &r| acc.checked_add(r as usize))
        .unwrap_or(usize::MAX);
    ev.graph.check_size(&[total], DType::I64, span)?;
    let idx: Vec<i64> = reps
        .iter()
        .enumerate()
        .flat_map(|(i, &r)| std::iter::repeat_n(i as i64, r as usize))
        .collect();
    let len = idx.len();
    let idx = Array::I64(
        ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[len]), idx)
            .map_err(|e| value_error(e.to_string()))?,
    );
    let idx = ev.graph.constant(idx, false, span)?;
    let spec = index_spec(
        &x.shape,
        along(&x.shape, axis, IndexItem::Array),
        &[vec![len]],
    )?;
    let n = ev.graph.index(&x, spec, vec![idx], span)?;
    Ok(Value::Array(ev.fold(n)?))
}
