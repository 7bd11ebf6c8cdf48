//! Index expressions: turns `x[...]` items into a normalised [`IndexSpec`] (scalars and
//! slice bounds are computed now; bool masks too, since they decide the result's shape).

use super::{Ev, Evaluator, Value};
use crate::diag::{Result, Span, index_error, type_error, value_error};
use crate::dtype::DType;
use crate::graph::{IndexItem, IndexSpec, NodeRef, fmt_shape};
use crate::runtime::Array;
use crate::syntax::ast;

/// Python's `slice.indices`: normalised `(start, step, len)` for an axis of length `n`.
pub(crate) fn slice_indices(
    start: Option<i64>,
    stop: Option<i64>,
    step: Option<i64>,
    n: usize,
) -> Result<(i64, i64, usize)> {
    let n = n as i64;
    let step = step.unwrap_or(1);
    if step == 0 {
        return Err(value_error("slice step cannot be zero"));
    }
    let (lower, upper) = if step < 0 { (-1, n - 1) } else { (0, n) };
    let clamp = |v: Option<i64>, default: i64| v.map_or(default, |v| bound(v, n, step).0);
    let start = clamp(start, if step < 0 { upper } else { lower });
    let stop = clamp(stop, if step < 0 { lower } else { upper });
    // In i128: a step near `i64::MIN` or `i64::MAX` must not overflow.
    let (first, last, by) = (i128::from(start), i128::from(stop), i128::from(step));
    let len = if by > 0 && last > first {
        (last - first + by - 1) / by
    } else if by < 0 && first > last {
        (first - last - by - 1) / -by
    } else {
        0
    };
    // Fewer than two elements: the step only says which way (huge steps then never reach
    // the stride arithmetic of views and kernels).
    let step = if len < 2 { step.signum() } else { step };
    Ok((start, step, len as usize))
}

/// A slice bound `v` on an axis of length `n` as a position: counted from the end when
/// negative, then clamped to the axis (to `-1..=n-1` for a negative `step`, else `0..=n`).
/// Also which branch that took: 0 clamped low, 1 counted from the end, 2 in range, 3
/// clamped high — within one branch the position is affine in `v` (`lower::replay::family`).
pub(crate) fn bound(v: i64, n: i64, step: i64) -> (i64, u8) {
    let (lower, upper) = if step < 0 { (-1, n - 1) } else { (0, n) };
    let (w, branch) = if v < 0 { (v + n, 1) } else { (v, 2) };
    if w < lower {
        (lower, 0)
    } else if w > upper {
        (upper, 3)
    } else {
        (w, branch)
    }
}

/// An index item with its parts evaluated (in source order), `...` expanded.
enum Evaluated {
    /// `start:stop:step`, and the forms of start and stop in the loop variable where a
    /// recording took them from it (`lower::replay::family`).
    Slice(
        Option<i64>,
        Option<i64>,
        Option<i64>,
        [Option<super::replay::Affine>; 2],
    ),
    /// An integer scalar or array, or a bool mask.
    Value(NodeRef, Span),
    /// `None`/`newaxis`.
    NewAxis,
}

/// Index items resolved against the array they index.
enum Resolved {
    /// The spec and its inputs after `x` (the integer index arrays, then the positions of
    /// dynamic items), and where `None` items insert axes of length 1 into the result.
    Spec(IndexSpec, Vec<NodeRef>, Vec<usize>),
    /// `x[mask]` with a mask of `x`'s shape, already selected (one pass over both).
    Selected(NodeRef),
}

impl Evaluator {
    /// Evaluates the parts of index items in source order, and expands `...` into as many
    /// full slices as the other items leave axes of `x`.
    fn evaluate_items(
        &mut self,
        x: &NodeRef,
        items: &[ast::IndexItem],
        span: Span,
    ) -> Ev<Vec<Evaluated>> {
        let mut out = Vec::with_capacity(items.len());
        let mut ellipsis = None;
        for item in items {
            match item {
                ast::IndexItem::Slice { start, stop, step } => {
                    let (a, fa) = self.slice_bound(start)?;
                    let (b, fb) = self.slice_bound(stop)?;
                    let s = step.as_ref().map(|e| self.eval_i64(e)).transpose()?;
                    out.push(Evaluated::Slice(a, b, s, [fa, fb]));
                }
                ast::IndexItem::Expr(e) => match self.eval(e)? {
                    Value::None => out.push(Evaluated::NewAxis),
                    v => {
                        let node = self.expect_array(&v, e.span)?;
                        out.push(Evaluated::Value(node, e.span));
                    }
                },
                ast::IndexItem::Ellipsis => {
                    if ellipsis.is_some() {
                        return Err(index_error("an index can only have one ellipsis (`...`)")
                            .with_span(span)
                            .into());
                    }
                    ellipsis = Some(out.len());
                }
            }
        }
        if let Some(at) = ellipsis {
            let used: usize = out
                .iter()
                .map(|item| match item {
                    Evaluated::Slice(..) => 1,
                    Evaluated::Value(n, _) if n.dtype == DType::Bool => n.shape.len().max(1),
                    Evaluated::Value(..) => 1,
                    Evaluated::NewAxis => 0,
                })
                .sum();
            let fill = x.shape.len().saturating_sub(used);
            let full = (0..fill).map(|_| Evaluated::Slice(None, None, None, [None, None]));
            out.splice(at..at, full);
        }
        Ok(out)
    }

    /// Resolves index items against `x`. With `select` (reading, not updating), a mask of
    /// `x`'s whole shape selects from `x`'s value at once.
    fn index_spec(
        &mut self,
        x: &NodeRef,
        items: &[ast::IndexItem],
        select: bool,
        span: Span,
    ) -> Ev<Resolved> {
        let items = self.evaluate_items(x, items, span)?;
        let mut out: Vec<IndexItem> = Vec::new();
        let mut arrays: Vec<NodeRef> = Vec::new();
        let mut positions: Vec<NodeRef> = Vec::new();
        // For `None` items: the item order of each slice, of the first gather, and of each
        // new axis.
        let mut slice_at: Vec<usize> = Vec::new();
        let mut first_array: Option<usize> = None;
        let mut new_axes: Vec<usize> = Vec::new();
        let ndim = x.shape.len();
        let too_many = |span| {
            index_error(format!(
                "too many indices for an array of shape {}",
                fmt_shape(&x.shape)
            ))
            .with_span(span)
        };
        let only = items.len() == 1;
        for (at, item) in items.into_iter().enumerate() {
            let axis = out.len();
            match item {
                Evaluated::NewAxis => new_axes.push(at),
                Evaluated::Slice(a, b, s, forms) => {
                    if axis >= ndim {
                        return Err(too_many(span).into());
                    }
                    let (start, step, len) =
                        slice_indices(a, b, s, x.shape[axis]).map_err(|e| e.with_span(span))?;
                    self.probe_slice([a, b], forms, s, x.shape[axis])?;
                    out.push(IndexItem::Slice { start, step, len });
                    slice_at.push(at);
                }
                Evaluated::Value(node, vspan) => match node.dtype {
                    DType::Bool if !node.shape.is_empty() => {
                        let k = node.shape.len();
                        if axis + k > ndim || node.shape[..] != x.shape[axis..axis + k] {
                            return Err(index_error(format!(
                                "a boolean mask of shape {} does not match the indexed axes {}",
                                fmt_shape(&node.shape),
                                fmt_shape(&x.shape[axis.min(ndim)..(axis + k).min(ndim)])
                            ))
                            .with_span(vspan)
                            .into());
                        }
                        // `x` is materialised for the gather anyway: computing it with
                        // the mask shares their common work (`Z = Z*Z + C; Z = Z[abs(Z) <= 2]`).
                        // `x` first: the mask's kernel then reads `x`'s buffer instead of
                        // computing `x` again.
                        let both = match x.value() {
                            None if !x.reads_param => vec![x.clone(), node.clone()],
                            _ => vec![node.clone()],
                        };
                        let mask = self
                            .force_all(&both)
                            .map_err(|err| err.or_span(vspan))?
                            .pop()
                            .ok_or_else(|| crate::diag::value_error("backend returned no value"))?;
                        if select
                            && only
                            && k == ndim
                            && let (Some(xv), Array::Bool(m)) = (x.value(), &*mask)
                        {
                            let picked = crate::library::select::compress(&xv, m);
                            let node = self.graph.constant(picked, false, vspan)?;
                            return Ok(Resolved::Selected(node));
                        }
                        first_array.get_or_insert(at);
                        for positions in crate::library::search::nonzero(&mask) {
                            arrays.push(self.graph.constant(positions, false, vspan)?);
                            out.push(IndexItem::Array);
                        }
                    }
                    DType::I64
                        if node.shape.is_empty() && node.reads_param && node.value().is_none() =>
                    {
                        // A recorded loop body indexing with its loop variable: the
                        // position is an argument of the program (`y[:, j - 1]`).
                        if axis >= ndim {
                            return Err(too_many(span).into());
                        }
                        positions.push(self.graph.position(&node, axis, x.shape[axis], vspan)?);
                        out.push(IndexItem::Dynamic);
                    }
                    DType::Bool | DType::I64 if node.shape.is_empty() => {
                        if axis >= ndim {
                            return Err(too_many(span).into());
                        }
                        let i = self.value_i64(&Value::Array(node), vspan)?;
                        let j = crate::backend::interp::position(i, axis, x.shape[axis])
                            .map_err(|err| err.with_span(vspan))?;
                        out.push(IndexItem::At(j as usize));
                    }
                    DType::I64 => {
                        if axis >= ndim {
                            return Err(too_many(span).into());
                        }
                        first_array.get_or_insert(at);
                        arrays.push(node);
                        out.push(IndexItem::Array);
                    }
                    other => {
                        return Err(type_error(format!(
                            "indices must be integers, slices, bool masks, None or `...`, \
                             not {other}"
                        ))
                        .with_span(vspan)
                        .into());
                    }
                },
            }
        }
        while out.len() < ndim {
            let n = x.shape[out.len()];
            out.push(IndexItem::Slice {
                start: 0,
                step: 1,
                len: n,
            });
            slice_at.push(usize::MAX);
        }
        let shapes: Vec<Vec<usize>> = arrays.iter().map(|a| a.shape.clone()).collect();
        let spec =
            crate::graph::index_spec(&x.shape, out, &shapes).map_err(|e| e.with_span(span))?;
        arrays.extend(positions);
        let inserts = new_axis_positions(&spec, &slice_at, first_array, &new_axes);
        Ok(Resolved::Spec(spec, arrays, inserts))
    }

    /// `x[items]`.
    pub(crate) fn index(
        &mut self,
        x: &NodeRef,
        items: &[ast::IndexItem],
        span: Span,
    ) -> Ev<NodeRef> {
        let (spec, arrays, inserts) = match self.index_spec(x, items, true, span)? {
            Resolved::Spec(spec, arrays, inserts) => (spec, arrays, inserts),
            Resolved::Selected(node) => return Ok(node),
        };
        let whole = arrays.is_empty()
            && spec.items.iter().enumerate().all(|(i, it)| {
                matches!(it, IndexItem::Slice { start: 0, step: 1, len } if *len == x.shape[i])
            });
        let node = if whole {
            x.clone()
        } else {
            let node = self.graph.index(x, spec, arrays, span)?;
            self.fold(node)?
        };
        if inserts.is_empty() {
            return Ok(node);
        }
        let shape = with_new_axes(&node.shape, &inserts);
        let node = self.graph.reshape(&node, shape, span)?;
        Ok(self.fold(node)?)
    }

    /// `x[k]`: row `k` (in range) of an array of at least one axis.
    pub(crate) fn row(&mut self, x: &NodeRef, k: usize, span: Span) -> Result<NodeRef> {
        let spec = crate::graph::index_spec(&x.shape, along(&x.shape, 0, IndexItem::At(k)), &[])
            .map_err(|e| e.with_span(span))?;
        let node = self.graph.index(x, spec, vec![], span)?;
        self.fold(node)
    }

    /// The node of `x` with `x[items]` replaced by `value` (not computed yet).
    pub(crate) fn update(
        &mut self,
        x: &NodeRef,
        items: &[ast::IndexItem],
        value: &NodeRef,
        span: Span,
    ) -> Ev<NodeRef> {
        let Resolved::Spec(spec, arrays, inserts) = self.index_spec(x, items, false, span)? else {
            unreachable!("updates never select")
        };
        let mut value = value.clone();
        if !inserts.is_empty() {
            // `x[:, None] = v`: `v` fills the region with its new axes, which are then
            // dropped.
            let region = spec.result_shape();
            let with = with_new_axes(&region, &inserts);
            let fits = crate::graph::broadcast_shapes(&value.shape, &with).is_ok_and(|b| b == with);
            if !fits {
                return Err(crate::diag::shape_error(format!(
                    "cannot assign a value of shape {} to a region of shape {}",
                    fmt_shape(&value.shape),
                    fmt_shape(&with)
                ))
                .with_span(span)
                .into());
            }
            let full = self.graph.broadcast_to(&value, with, span)?;
            value = self.graph.reshape(&full, region, span)?;
        }
        Ok(self.graph.update(x, spec, arrays, &value, span)?)
    }
}

/// Index items selecting `item` on `axis` of an array of `shape` and every element of the
/// other axes.
pub(crate) fn along(shape: &[usize], axis: usize, item: IndexItem) -> Vec<IndexItem> {
    let mut item = Some(item);
    (0..shape.len())
        .map(|d| match item.take_if(|_| d == axis) {
            Some(it) => it,
            None => IndexItem::Slice {
                start: 0,
                step: 1,
                len: shape[d],
            },
        })
        .collect()
}

/// Where `None` items put their axes of length 1 in the result of `spec`: each goes after
/// the result axes that come from items before it (slices, in `slice_at` item order, and the
/// gathered axes, at the first gather's item when NumPy keeps them in place).
fn new_axis_positions(
    spec: &IndexSpec,
    slice_at: &[usize],
    first_array: Option<usize>,
    new_axes: &[usize],
) -> Vec<usize> {
    if new_axes.is_empty() {
        return vec![];
    }
    let mut origins: Vec<usize> = slice_at.to_vec();
    if let Some(first) = first_array {
        let at = spec.array_pos.min(origins.len());
        // The gathered axes stay where the gathers are when they are adjacent, else lead.
        let kept = at == slice_at.iter().filter(|&&s| s < first).count();
        let origin = if kept { first } else { 0 };
        origins.splice(at..at, spec.array_shape.iter().map(|_| origin));
    }
    new_axes
        .iter()
        .enumerate()
        .map(|(k, &item)| origins.iter().filter(|&&o| o < item).count() + k)
        .collect()
}

/// `shape` with an axis of length 1 inserted at each of `inserts` (ascending positions in
/// the new shape).
fn with_new_axes(shape: &[usize], inserts: &[usize]) -> Vec<usize> {
    let mut out = shape.to_vec();
    for &at in inserts {
        out.insert(at.min(out.len()), 1);
    }
    out
}
