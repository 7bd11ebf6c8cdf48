//! Node constructors: one method per operation, each inferring shape and dtype and
//! reporting shape/dtype/value errors with the span of the expression being built.

use super::{Graph, NodeRef, Op, fmt_shape};
use crate::diag::{Result, Span, shape_error, type_error, value_error};
use crate::dtype::{DType, promote};
use crate::graph::ops::{BinaryOp, UnaryOp};
use crate::graph::{IndexItem, IndexSpec};
use crate::runtime::Scalar;

/// The NumPy broadcast of two shapes, or a shape error naming both.
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for i in 0..n {
        let da = if i + a.len() >= n {
            a[i + a.len() - n]
        } else {
            1
        };
        let db = if i + b.len() >= n {
            b[i + b.len() - n]
        } else {
            1
        };
        out[i] = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => {
                return Err(shape_error(format!(
                    "cannot broadcast shapes {} and {}",
                    fmt_shape(a),
                    fmt_shape(b)
                )));
            }
        };
    }
    Ok(out)
}

/// Resolves a possibly negative axis against `ndim`, or a value error.
pub fn normalize_axis(axis: i64, ndim: usize) -> Result<usize> {
    let n = ndim as i64;
    if axis < -n || axis >= n {
        return Err(value_error(format!(
            "axis {axis} is out of bounds for an array of dimension {ndim}"
        )));
    }
    Ok(if axis < 0 {
        (axis + n) as usize
    } else {
        axis as usize
    })
}

impl Graph {
    /// `shape` filled with `value` cast to `dtype`.
    pub fn fill(
        &mut self,
        shape: Vec<usize>,
        value: Scalar,
        dtype: DType,
        span: Span,
    ) -> Result<NodeRef> {
        self.make(
            Op::Fill(value.cast(dtype)),
            vec![],
            shape,
            dtype,
            false,
            span,
        )
    }

    /// `start, start + step, ...` (`len` elements) in `dtype`.
    pub fn arange(
        &mut self,
        start: Scalar,
        step: Scalar,
        len: usize,
        dtype: DType,
        span: Span,
    ) -> Result<NodeRef> {
        let op = Op::Arange {
            start: start.cast(dtype),
            step: step.cast(dtype),
        };
        self.make(op, vec![], vec![len], dtype, false, span)
    }

    /// An elementwise function of `x`.
    pub fn unary(&mut self, op: UnaryOp, x: &NodeRef, span: Span) -> Result<NodeRef> {
        let dtype = op
            .result_dtype(x.dtype)
            .map_err(|m| type_error(m).with_span(span))?;
        let weak = x.weak && matches!(op, UnaryOp::Neg);
        self.make(
            Op::Unary(op),
            vec![x.clone()],
            x.shape.clone(),
            dtype,
            weak,
            span,
        )
    }

    /// An elementwise function of `a` and `b` with broadcasting and promotion.
    pub fn binary(
        &mut self,
        op: BinaryOp,
        a: &NodeRef,
        b: &NodeRef,
        span: Span,
    ) -> Result<NodeRef> {
        let shape = broadcast_shapes(&a.shape, &b.shape).map_err(|e| e.with_span(span))?;
        let (promoted, weak) = promote(a.dtype, a.weak, b.dtype, b.weak);
        let (compute, dtype) = op
            .dtypes(promoted)
            .map_err(|m| type_error(m).with_span(span))?;
        if op == BinaryOp::Pow
            && !a.weak
            && let Some(n) = self.small_power(a, b, compute, span)?
        {
            return Ok(n);
        }
        let op = Op::Binary { op, compute };
        self.make(op, vec![a.clone(), b.clone()], shape, dtype, weak, span)
    }

    /// `a ** b` strength-reduced when `b` is a constant scalar with a cheap exact form, as
    /// NumPy's power loop does for a scalar exponent: `0 1 2 -1 0.5` (the same bits as
    /// NumPy), and `3 4 -2 -0.5 1.5 -1.5` as products, quotients and `sqrt` (within 2 ulp
    /// of `pow`).
    /// Integers reduce for exponents 0 to 4 (wrapping products: the same bits as `**`);
    /// complex numbers for 1 and 2 (`z * z`, as NumPy's `nc_pow`). `None` when `pow` stays.
    fn small_power(
        &mut self,
        a: &NodeRef,
        b: &NodeRef,
        compute: DType,
        span: Span,
    ) -> Result<Option<NodeRef>> {
        let Some(e) = b
            .value()
            .filter(|_| b.shape.is_empty())
            .and_then(|v| v.as_scalar())
        else {
            return Ok(None);
        };
        let e = match e {
            Scalar::Bool(_) | Scalar::I64(_) | Scalar::F32(_) | Scalar::F64(_) => e.as_f64(),
            _ => return Ok(None),
        };
        let allowed: &[f64] = match compute {
            DType::F32 | DType::F64 => &[0.0, 1.0, 2.0, 3.0, 4.0, -1.0, -2.0, 0.5, -0.5, 1.5, -1.5],
            DType::I64 => &[0.0, 1.0, 2.0, 3.0, 4.0],
            DType::C128 => &[1.0, 2.0],
            _ => &[],
        };
        if !allowed.contains(&e) {
            return Ok(None);
        }
        let x = self.cast(a, compute, span)?;
        let mul = |g: &mut Graph, p: &NodeRef, q: &NodeRef| g.binary(BinaryOp::Mul, p, q, span);
        let one = |g: &mut Graph| g.fill(vec![], Scalar::I64(1), compute, span);
        let recip = |g: &mut Graph, d: &NodeRef| {
            let one = one(g)?;
            g.binary(BinaryOp::Div, &one, d, span)
        };
        let n = match e {
            0.0 => self.fill(a.shape.clone(), Scalar::I64(1), compute, span)?,
            1.0 => x,
            2.0 => mul(self, &x, &x)?,
            3.0 => {
                let sq = mul(self, &x, &x)?;
                mul(self, &sq, &x)?
            }
            4.0 => {
                let sq = mul(self, &x, &x)?;
                mul(self, &sq, &sq)?
            }
            -1.0 => recip(self, &x)?,
            -2.0 => {
                let sq = mul(self, &x, &x)?;
                recip(self, &sq)?
            }
            0.5 => self.unary(UnaryOp::Sqrt, &x, span)?,
            -0.5 => {
                let r = self.unary(UnaryOp::Sqrt, &x, span)?;
                recip(self, &r)?
            }
            // `x * sqrt(x)`: gravity's and Coulomb's `r ** -1.5` without a `pow` per element.
            _ => {
                let r = self.unary(UnaryOp::Sqrt, &x, span)?;
                let p = mul(self, &x, &r)?;
                if e > 0.0 { p } else { recip(self, &p)? }
            }
        };
        Ok(Some(n))
    }

    /// `complex(re, im)` of real parts (cast to f64, broadcast): a c128 value, weak when
    /// both parts are.
    pub fn complex(&mut self, re: &NodeRef, im: &NodeRef, span: Span) -> Result<NodeRef> {
        let shape = broadcast_shapes(&re.shape, &im.shape).map_err(|e| e.with_span(span))?;
        let weak = re.weak && im.weak;
        let re = self.cast(re, DType::F64, span)?;
        let im = self.cast(im, DType::F64, span)?;
        self.make(Op::Complex, vec![re, im], shape, DType::C128, weak, span)
    }

    /// `where(cond, a, b)`.
    pub fn select(
        &mut self,
        cond: &NodeRef,
        a: &NodeRef,
        b: &NodeRef,
        span: Span,
    ) -> Result<NodeRef> {
        let shape = broadcast_shapes(&cond.shape, &a.shape)
            .and_then(|s| broadcast_shapes(&s, &b.shape))
            .map_err(|e| e.with_span(span))?;
        let (dtype, weak) = promote(a.dtype, a.weak, b.dtype, b.weak);
        let cond = self.cast(cond, DType::Bool, span)?;
        self.make(
            Op::Where,
            vec![cond, a.clone(), b.clone()],
            shape,
            dtype,
            weak,
            span,
        )
    }

    /// `x` converted to `dtype` (the node itself when it already has it).
    pub fn cast(&mut self, x: &NodeRef, dtype: DType, span: Span) -> Result<NodeRef> {
        if x.dtype == dtype && !x.weak {
            return Ok(x.clone());
        }
        self.make(
            Op::Cast,
            vec![x.clone()],
            x.shape.clone(),
            dtype,
            false,
            span,
        )
    }

    /// `x` with a new shape of the same size.
    pub fn reshape(&mut self, x: &NodeRef, shape: Vec<usize>, span: Span) -> Result<NodeRef> {
        if shape.iter().product::<usize>() != x.size() {
            return Err(shape_error(format!(
                "cannot reshape an array of shape {} (size {}) into shape {}",
                fmt_shape(&x.shape),
                x.size(),
                fmt_shape(&shape)
            ))
            .with_span(span));
        }
        if shape == x.shape {
            return Ok(x.clone());
        }
        self.make(Op::Reshape, vec![x.clone()], shape, x.dtype, x.weak, span)
    }

    /// `x` with its axes permuted by `perm`.
    pub fn transpose(&mut self, x: &NodeRef, perm: Vec<usize>, span: Span) -> Result<NodeRef> {
        let mut seen = vec![false; x.shape.len()];
        let valid = perm.len() == x.shape.len()
            && perm
                .iter()
                .all(|&p| p < seen.len() && !std::mem::replace(&mut seen[p], true));
        if !valid {
            return Err(value_error(format!(
                "axes {perm:?} are not a permutation of the {} axes of the array",
                x.shape.len()
            ))
            .with_span(span));
        }
        if perm.iter().enumerate().all(|(i, &p)| i == p) {
            return Ok(x.clone());
        }
        let shape = perm.iter().map(|&p| x.shape[p]).collect();
        self.make(
            Op::Transpose(perm),
            vec![x.clone()],
            shape,
            x.dtype,
            x.weak,
            span,
        )
    }

    /// `x` broadcast to `shape`.
    pub fn broadcast_to(&mut self, x: &NodeRef, shape: Vec<usize>, span: Span) -> Result<NodeRef> {
        let b = broadcast_shapes(&x.shape, &shape).map_err(|e| e.with_span(span))?;
        if b != shape {
            return Err(shape_error(format!(
                "cannot broadcast shape {} to {}",
                fmt_shape(&x.shape),
                fmt_shape(&shape)
            ))
            .with_span(span));
        }
        if shape == x.shape {
            return Ok(x.clone());
        }
        self.make(
            Op::BroadcastTo,
            vec![x.clone()],
            shape,
            x.dtype,
            x.weak,
            span,
        )
    }

    /// `x[spec]` with `arrays` the integer index arrays, then the positions of its dynamic
    /// items, in order.
    pub fn index(
        &mut self,
        x: &NodeRef,
        spec: IndexSpec,
        arrays: Vec<NodeRef>,
        span: Span,
    ) -> Result<NodeRef> {
        let shape = spec.result_shape();
        let mut inputs = vec![x.clone()];
        inputs.extend(arrays);
        self.make(Op::Index(spec), inputs, shape, x.dtype, false, span)
    }

    /// `x` with `x[spec]` replaced by `value` (broadcast, cast to `x`'s dtype); `arrays` as
    /// for [`Graph::index`].
    pub fn update(
        &mut self,
        x: &NodeRef,
        spec: IndexSpec,
        arrays: Vec<NodeRef>,
        value: &NodeRef,
        span: Span,
    ) -> Result<NodeRef> {
        let region = spec.result_shape();
        let b = broadcast_shapes(&value.shape, &region).map_err(|e| e.with_span(span))?;
        if b != region {
            return Err(shape_error(format!(
                "cannot assign a value of shape {} to a region of shape {}",
                fmt_shape(&value.shape),
                fmt_shape(&region)
            ))
            .with_span(span));
        }
        if value.dtype == DType::C128 && x.dtype != DType::C128 {
            return Err(type_error(format!(
                "cannot assign c128 values into a {} array",
                x.dtype
            ))
            .with_span(span));
        }
        let value = self.cast(value, x.dtype, span)?;
        let mut inputs = vec![x.clone(), value];
        inputs.extend(arrays);
        self.make(
            Op::Update(spec),
            inputs,
            x.shape.clone(),
            x.dtype,
            false,
            span,
        )
    }

    /// The 0-d i64 `index` as a position on `axis`, of `len` elements (checked when
    /// computed): the input of an [`IndexItem::Dynamic`] item.
    pub fn position(
        &mut self,
        index: &NodeRef,
        axis: usize,
        len: usize,
        span: Span,
    ) -> Result<NodeRef> {
        self.make(
            Op::Position { axis, len },
            vec![index.clone()],
            vec![],
            DType::I64,
            false,
            span,
        )
    }

    /// `parts` joined along `axis`; they must agree on every other axis.
    pub fn concat(&mut self, parts: &[NodeRef], axis: i64, span: Span) -> Result<NodeRef> {
        let Some(first) = parts.first() else {
            return Err(value_error("need at least one array to concatenate").with_span(span));
        };
        let ndim = first.shape.len();
        if ndim == 0 {
            return Err(
                value_error("zero-dimensional arrays cannot be concatenated").with_span(span),
            );
        }
        let axis = normalize_axis(axis, ndim).map_err(|e| e.with_span(span))?;
        let mut shape = first.shape.clone();
        shape[axis] = 0;
        let (mut dtype, mut weak) = (first.dtype, first.weak);
        for p in parts {
            let same = p.shape.len() == ndim
                && p.shape
                    .iter()
                    .enumerate()
                    .all(|(i, &d)| i == axis || d == first.shape[i]);
            if !same {
                return Err(shape_error(format!(
                    "cannot concatenate shapes {} and {} along axis {axis}",
                    fmt_shape(&first.shape),
                    fmt_shape(&p.shape)
                ))
                .with_span(span));
            }
            shape[axis] += p.shape[axis];
            (dtype, weak) = promote(dtype, weak, p.dtype, p.weak);
        }
        if parts.len() == 1 {
            return Ok(first.clone());
        }
        let inputs = parts
            .iter()
            .map(|p| self.cast(p, dtype, span))
            .collect::<Result<Vec<_>>>()?;
        self.make(Op::Concat(axis), inputs, shape, dtype, false, span)
    }

    /// `a @ b` with NumPy `matmul` rules (1-D operands promoted and the added axis removed).
    pub fn matmul(&mut self, a: &NodeRef, b: &NodeRef, span: Span) -> Result<NodeRef> {
        if a.shape.is_empty() || b.shape.is_empty() {
            return Err(value_error(
                "matmul: operands must have at least one dimension; use `*` for scalars",
            )
            .with_span(span));
        }
        let (promoted, _) = promote(a.dtype, false, b.dtype, false);
        let dtype = if promoted == DType::Bool {
            DType::I64
        } else {
            promoted
        };
        let av = if a.shape.len() == 1 {
            vec![1, a.shape[0]]
        } else {
            a.shape.clone()
        };
        let bv = if b.shape.len() == 1 {
            vec![b.shape[0], 1]
        } else {
            b.shape.clone()
        };
        let (m, k) = (av[av.len() - 2], av[av.len() - 1]);
        let (k2, n) = (bv[bv.len() - 2], bv[bv.len() - 1]);
        if k != k2 {
            return Err(shape_error(format!(
                "matmul: shapes {} and {} are not aligned ({k} != {k2})",
                fmt_shape(&a.shape),
                fmt_shape(&b.shape)
            ))
            .with_span(span));
        }
        let batch = broadcast_shapes(&av[..av.len() - 2], &bv[..bv.len() - 2])
            .map_err(|e| e.with_span(span))?;
        let mut shape = batch;
        if a.shape.len() > 1 {
            shape.push(m);
        }
        if b.shape.len() > 1 {
            shape.push(n);
        }
        let a = self.cast(a, dtype, span)?;
        let b = self.cast(b, dtype, span)?;
        self.make(Op::MatMul, vec![a, b], shape, dtype, false, span)
    }
}

/// Builds the normalised spec for basic and advanced index items over `shape`.
pub(crate) fn index_spec(
    shape: &[usize],
    items: Vec<IndexItem>,
    array_shapes: &[Vec<usize>],
) -> Result<IndexSpec> {
    let mut array_shape: Vec<usize> = Vec::new();
    for s in array_shapes {
        array_shape = broadcast_shapes(&array_shape, s).map_err(|_| {
            crate::diag::index_error(format!(
                "index arrays of shapes {} and {} cannot be broadcast together",
                fmt_shape(&array_shape),
                fmt_shape(s)
            ))
        })?;
    }
    let positions: Vec<usize> = items
        .iter()
        .enumerate()
        .filter(|(_, it)| matches!(it, IndexItem::Array))
        .map(|(i, _)| i)
        .collect();
    let adjacent = positions.windows(2).all(|w| w[1] == w[0] + 1);
    let array_pos = match positions.first() {
        Some(&first) if adjacent => items[..first]
            .iter()
            .filter(|it| matches!(it, IndexItem::Slice { .. }))
            .count(),
        _ => 0,
    };
    debug_assert_eq!(items.len(), shape.len());
    Ok(IndexSpec {
        items,
        array_shape,
        array_pos,
    })
}
