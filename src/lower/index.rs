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
    let clamp = |v: Option<i64>, default: i64| match v {
        None => default,
        Some(v) => {
            let v = if v < 0 { v + n } else { v };
            v.clamp(lower, upper)
        }
    };
    let start = clamp(start, if step < 0 { upper } else { lower });
    let stop = clamp(stop, if step < 0 { lower } else { upper });
    let len = if step > 0 {
        if stop > start {
            (stop - start + step - 1) / step
        } else {
            0
        }
    } else if start > stop {
        (start - stop + (-step) - 1) / (-step)
    } else {
        0
    };
    Ok((start, step, len as usize))
}

/// Index items resolved against the array they index.
enum Resolved {
    /// The spec and its inputs after `x` (the integer index arrays, then the positions of
    /// dynamic items).
    Spec(IndexSpec, Vec<NodeRef>),
    /// `x[mask]` with a mask of `x`'s shape, already selected (one pass over both).
    Selected(NodeRef),
}

impl Evaluator {
    /// Resolves index items against `x`. With `select` (reading, not updating), a mask of
    /// `x`'s whole shape selects from `x`'s value at once.
    fn index_spec(
        &mut self,
        x: &NodeRef,
        items: &[ast::IndexItem],
        select: bool,
        span: Span,
    ) -> Ev<Resolved> {
        let mut out: Vec<IndexItem> = Vec::new();
        let mut arrays: Vec<NodeRef> = Vec::new();
        let mut positions: Vec<NodeRef> = Vec::new();
        let ndim = x.shape.len();
        let too_many = |span| {
            index_error(format!(
                "too many indices for an array of shape {}",
                fmt_shape(&x.shape)
            ))
            .with_span(span)
        };
        for item in items {
            let axis = out.len();
            match item {
                ast::IndexItem::Slice { start, stop, step } => {
                    if axis >= ndim {
                        return Err(too_many(span).into());
                    }
                    let mut bound = |e: &Option<ast::Expr>| -> Ev<Option<i64>> {
                        e.as_ref().map(|e| self.eval_i64(e)).transpose()
                    };
                    let (a, b, s) = (bound(start)?, bound(stop)?, bound(step)?);
                    let (start, step, len) =
                        slice_indices(a, b, s, x.shape[axis]).map_err(|e| e.with_span(span))?;
                    out.push(IndexItem::Slice { start, step, len });
                }
                ast::IndexItem::Expr(e) => {
                    let v = self.eval(e)?;
                    let node = self.expect_array(&v, e.span)?;
                    match node.dtype {
                        DType::Bool if !node.shape.is_empty() => {
                            let k = node.shape.len();
                            if axis + k > ndim || node.shape[..] != x.shape[axis..axis + k] {
                                return Err(index_error(format!(
                                    "a boolean mask of shape {} does not match the indexed axes {}",
                                    fmt_shape(&node.shape),
                                    fmt_shape(&x.shape[axis.min(ndim)..(axis + k).min(ndim)])
                                ))
                                .with_span(e.span)
                                .into());
                            }
                            // `x` is materialised for the gather anyway: computing it with
                            // the mask shares their common work (`Z = Z*Z + C; Z = Z[abs(Z) <= 2]`).
                            let both = match x.value() {
                                None if node.value().is_none() && !x.reads_param => {
                                    vec![node.clone(), x.clone()]
                                }
                                _ => vec![node.clone()],
                            };
                            let mask = self
                                .force_all(&both)
                                .map_err(|err| err.or_span(e.span))?
                                .swap_remove(0);
                            if select
                                && items.len() == 1
                                && k == ndim
                                && let (Some(xv), Array::Bool(m)) = (x.value(), &*mask)
                            {
                                let picked = crate::library::select::compress(&xv, m);
                                let node = self.graph.constant(picked, false, e.span)?;
                                return Ok(Resolved::Selected(node));
                            }
                            for positions in nonzero(&mask) {
                                arrays.push(self.graph.constant(positions, false, e.span)?);
                                out.push(IndexItem::Array);
                            }
                        }
                        DType::I64
                            if node.shape.is_empty()
                                && node.reads_param
                                && node.value().is_none() =>
                        {
                            // A recorded loop body indexing with its loop variable: the
                            // position is an argument of the program (`y[:, j - 1]`).
                            if axis >= ndim {
                                return Err(too_many(span).into());
                            }
                            positions.push(self.graph.position(
                                &node,
                                axis,
                                x.shape[axis],
                                e.span,
                            )?);
                            out.push(IndexItem::Dynamic);
                        }
                        DType::Bool | DType::I64 if node.shape.is_empty() => {
                            if axis >= ndim {
                                return Err(too_many(span).into());
                            }
                            let i = self.value_i64(&Value::Array(node), e.span)?;
                            let j = crate::backend::interp::position(i, axis, x.shape[axis])
                                .map_err(|err| err.with_span(e.span))?;
                            out.push(IndexItem::At(j as usize));
                        }
                        DType::I64 => {
                            if axis >= ndim {
                                return Err(too_many(span).into());
                            }
                            arrays.push(node);
                            out.push(IndexItem::Array);
                        }
                        other => {
                            return Err(type_error(format!(
                                "indices must be integers, slices or bool masks, not {other}"
                            ))
                            .with_span(e.span)
                            .into());
                        }
                    }
                }
            }
        }
        while out.len() < ndim {
            let n = x.shape[out.len()];
            out.push(IndexItem::Slice {
                start: 0,
                step: 1,
                len: n,
            });
        }
        let shapes: Vec<Vec<usize>> = arrays.iter().map(|a| a.shape.clone()).collect();
        let spec =
            crate::graph::index_spec(&x.shape, out, &shapes).map_err(|e| e.with_span(span))?;
        arrays.extend(positions);
        Ok(Resolved::Spec(spec, arrays))
    }

    /// `x[items]`.
    pub(crate) fn index(
        &mut self,
        x: &NodeRef,
        items: &[ast::IndexItem],
        span: Span,
    ) -> Ev<NodeRef> {
        let (spec, arrays) = match self.index_spec(x, items, true, span)? {
            Resolved::Spec(spec, arrays) => (spec, arrays),
            Resolved::Selected(node) => return Ok(node),
        };
        let whole = arrays.is_empty()
            && spec.items.iter().enumerate().all(|(i, it)| {
                matches!(it, IndexItem::Slice { start: 0, step: 1, len } if *len == x.shape[i])
            });
        if whole {
            return Ok(x.clone());
        }
        let node = self.graph.index(x, spec, arrays, span)?;
        Ok(self.fold(node)?)
    }

    /// `x` with `x[items]` replaced by `value`.
    pub(crate) fn update(
        &mut self,
        x: &NodeRef,
        items: &[ast::IndexItem],
        value: &NodeRef,
        span: Span,
    ) -> Ev<NodeRef> {
        let Resolved::Spec(spec, arrays) = self.index_spec(x, items, false, span)? else {
            unreachable!("updates never select")
        };
        let node = self.graph.update(x, spec, arrays, value, span)?;
        Ok(self.fold(node)?)
    }
}

/// The positions of true elements of a mask, one i64 array per axis (NumPy's `nonzero`).
pub(crate) fn nonzero(mask: &Array) -> Vec<Array> {
    let cast;
    let m = match mask {
        Array::Bool(m) => m,
        other => {
            cast = other.cast(DType::Bool);
            let Array::Bool(m) = &cast else {
                unreachable!()
            };
            m
        }
    };
    let shape = m.shape().to_vec();
    let m = m.as_standard_layout();
    let flat = m.as_slice().expect("standard layout");
    let mut cols: Vec<Vec<i64>> = vec![Vec::new(); shape.len()];
    if let [col] = cols.as_mut_slice() {
        col.extend((0..flat.len()).filter(|&k| flat[k]).map(|k| k as i64));
    } else {
        for k in (0..flat.len()).filter(|&k| flat[k]) {
            let mut rest = k;
            for (d, col) in cols.iter_mut().enumerate().rev() {
                col.push((rest % shape[d]) as i64);
                rest /= shape[d];
            }
        }
    }
    cols.into_iter()
        .map(|c| {
            let n = c.len();
            Array::I64(
                ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[n]), c).expect("one per element"),
            )
        })
        .collect()
}
