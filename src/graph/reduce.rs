//! Reductions and scans: nodes that combine elements along an axis (or all of them).

use super::{Graph, NodeRef, Op, fmt_shape, normalize_axis};
use crate::diag::{Result, Span, type_error, value_error};
use crate::dtype::DType;
use crate::graph::ops::{ReduceOp, ScanOp};

impl Graph {
    /// A reduction over `axis` (all elements when `None`).
    pub fn reduce(
        &mut self,
        op: ReduceOp,
        x: &NodeRef,
        axis: Option<i64>,
        keepdims: bool,
        ddof: i64,
        span: Span,
    ) -> Result<NodeRef> {
        if x.dtype == DType::F32
            && matches!(
                op,
                ReduceOp::Sum | ReduceOp::Prod | ReduceOp::Mean | ReduceOp::Var | ReduceOp::Std
            )
        {
            // f32 accumulates in f64 and rounds once at the end: the fixed tree's long
            // leaves would otherwise lose ~100× NumPy's pairwise accuracy. Every backend
            // builds the same nodes, so the bits agree everywhere.
            let wide = self.cast(x, DType::F64, span)?;
            let r = self.reduce(op, &wide, axis, keepdims, ddof, span)?;
            return self.cast(&r, DType::F32, span);
        }
        let dtype = op
            .result_dtype(x.dtype)
            .map_err(|m| type_error(m).with_span(span))?;
        let axis = axis
            .map(|a| normalize_axis(a, x.shape.len()))
            .transpose()
            .map_err(|e| e.with_span(span))?;
        let reduced_len = match axis {
            Some(a) => x.shape[a],
            None => x.size(),
        };
        if reduced_len == 0
            && matches!(
                op,
                ReduceOp::Min | ReduceOp::Max | ReduceOp::Argmin | ReduceOp::Argmax
            )
        {
            return Err(value_error(format!(
                "`{}` of an empty sequence (shape {}) has no answer",
                op.name(),
                fmt_shape(&x.shape)
            ))
            .with_span(span));
        }
        let shape: Vec<usize> = match (axis, keepdims) {
            (None, false) => vec![],
            (None, true) => vec![1; x.shape.len()],
            (Some(a), keep) => x
                .shape
                .iter()
                .enumerate()
                .filter_map(|(i, &d)| if i == a { keep.then_some(1) } else { Some(d) })
                .collect(),
        };
        let op = Op::Reduce {
            op,
            axis,
            keepdims,
            ddof,
        };
        self.make(op, vec![x.clone()], shape, dtype, false, span)
    }

    /// A running sum or product along `axis` (flattened when `None`).
    pub fn scan(
        &mut self,
        op: ScanOp,
        x: &NodeRef,
        axis: Option<i64>,
        span: Span,
    ) -> Result<NodeRef> {
        let dtype = match x.dtype {
            DType::Bool => DType::I64,
            d => d,
        };
        let axis = axis
            .map(|a| normalize_axis(a, x.shape.len()))
            .transpose()
            .map_err(|e| e.with_span(span))?;
        let shape = match axis {
            Some(_) => x.shape.clone(),
            None => vec![x.size()],
        };
        self.make(
            Op::Scan { op, axis },
            vec![x.clone()],
            shape,
            dtype,
            false,
            span,
        )
    }
}
