//! Constructors for library-call and random nodes, with their shape and dtype rules.

use super::{Graph, NodeRef, Op, fmt_shape, normalize_axis};
use crate::diag::{Result, Span, shape_error, type_error, value_error};
use crate::dtype::DType;
use crate::graph::ops::{Distribution, LibCall, RandomInput};

impl Graph {
    /// A linear-algebra call (`inv solve det eigh eigvecs svd lstsq norm`).
    pub fn linalg(&mut self, call: LibCall, inputs: &[NodeRef], span: Span) -> Result<NodeRef> {
        let a = &inputs[0];
        if a.dtype == DType::C128 && !matches!(call, LibCall::Norm(_)) {
            return Err(
                type_error(format!("{call:?} is not available for c128 matrices yet"))
                    .with_span(span),
            );
        }
        let dtype = if a.dtype == DType::F32 && inputs.iter().all(|n| n.dtype == DType::F32) {
            DType::F32
        } else {
            DType::F64
        };
        let square = || -> Result<usize> {
            match a.shape[..] {
                [n, m] if n == m => Ok(n),
                _ => Err(value_error(format!(
                    "{call:?} needs a square matrix, found shape {}",
                    fmt_shape(&a.shape)
                ))
                .with_span(span)),
            }
        };
        let shape = match &call {
            LibCall::Inv | LibCall::Eigvecs => {
                let n = square()?;
                vec![n, n]
            }
            LibCall::Det => {
                square()?;
                vec![]
            }
            LibCall::Eigh => vec![square()?],
            LibCall::Solve => {
                let n = square()?;
                let b = &inputs[1];
                if b.shape.is_empty() || b.shape.len() > 2 || b.shape[0] != n {
                    return Err(shape_error(format!(
                        "solve: a has shape {} but b has shape {}",
                        fmt_shape(&a.shape),
                        fmt_shape(&b.shape)
                    ))
                    .with_span(span));
                }
                b.shape.clone()
            }
            LibCall::Svd => match a.shape[..] {
                [r, c] => vec![r.min(c)],
                _ => return Err(value_error("svd needs a 2-D matrix").with_span(span)),
            },
            LibCall::Lstsq => {
                let b = &inputs[1];
                match (&a.shape[..], &b.shape[..]) {
                    ([r, c], [br]) if br == r => vec![*c],
                    ([r, c], [br, k]) if br == r => vec![*c, *k],
                    _ => {
                        return Err(shape_error(format!(
                            "lstsq: a has shape {} but b has shape {}",
                            fmt_shape(&a.shape),
                            fmt_shape(&b.shape)
                        ))
                        .with_span(span));
                    }
                }
            }
            LibCall::Norm(_) => vec![],
            other => {
                return Err(
                    value_error(format!("{other:?} is not a linear-algebra call")).with_span(span),
                );
            }
        };
        self.make(
            Op::Library(call),
            inputs.to_vec(),
            shape,
            dtype,
            false,
            span,
        )
    }

    /// A complex FFT (`inverse`: divided by `n`) along `axis`, cropping or padding to `n`.
    pub fn fft(
        &mut self,
        x: &NodeRef,
        n: Option<i64>,
        axis: i64,
        inverse: bool,
        span: Span,
    ) -> Result<NodeRef> {
        let (axis, n) = self.fft_axis(x, n, axis, span)?;
        let mut shape = x.shape.clone();
        shape[axis] = n;
        self.make(
            Op::Library(LibCall::Fft { inverse, n, axis }),
            vec![x.clone()],
            shape,
            DType::C128,
            false,
            span,
        )
    }

    /// The FFT of real input along `axis`.
    pub fn rfft(&mut self, x: &NodeRef, n: Option<i64>, axis: i64, span: Span) -> Result<NodeRef> {
        if x.dtype == DType::C128 {
            return Err(
                type_error("rfft takes real input; use fft for complex input").with_span(span),
            );
        }
        let (axis, n) = self.fft_axis(x, n, axis, span)?;
        let mut shape = x.shape.clone();
        shape[axis] = n / 2 + 1;
        self.make(
            Op::Library(LibCall::Rfft { n, axis }),
            vec![x.clone()],
            shape,
            DType::C128,
            false,
            span,
        )
    }

    /// The inverse of `rfft`: `n` real outputs (default `2 * (m - 1)`).
    pub fn irfft(&mut self, x: &NodeRef, n: Option<i64>, axis: i64, span: Span) -> Result<NodeRef> {
        let ndim = x.shape.len();
        let ax = normalize_axis(axis, ndim).map_err(|e| e.with_span(span))?;
        let n = n.unwrap_or(2 * (x.shape[ax] as i64 - 1));
        if n < 1 {
            return Err(
                value_error(format!("invalid number of data points ({n}) for irfft"))
                    .with_span(span),
            );
        }
        let n = n as usize;
        let mut shape = x.shape.clone();
        shape[ax] = n;
        self.make(
            Op::Library(LibCall::Irfft { n, axis: ax }),
            vec![x.clone()],
            shape,
            DType::F64,
            false,
            span,
        )
    }

    fn fft_axis(
        &mut self,
        x: &NodeRef,
        n: Option<i64>,
        axis: i64,
        span: Span,
    ) -> Result<(usize, usize)> {
        if x.shape.is_empty() {
            return Err(value_error("FFTs need at least one dimension").with_span(span));
        }
        let axis = normalize_axis(axis, x.shape.len()).map_err(|e| e.with_span(span))?;
        let n = n.unwrap_or(x.shape[axis] as i64);
        if n < 1 {
            return Err(
                value_error(format!("invalid number of data points ({n}) for an FFT"))
                    .with_span(span),
            );
        }
        Ok((axis, n as usize))
    }

    /// `x` sorted (or its sorting indices, when `indices`) along `axis`.
    pub fn sort(&mut self, x: &NodeRef, axis: i64, indices: bool, span: Span) -> Result<NodeRef> {
        let x = if x.shape.is_empty() {
            self.reshape(x, vec![1], span)?
        } else {
            x.clone()
        };
        let axis = normalize_axis(axis, x.shape.len()).map_err(|e| e.with_span(span))?;
        let (call, dtype) = if indices {
            (LibCall::Argsort { axis }, DType::I64)
        } else {
            (LibCall::Sort { axis }, x.dtype)
        };
        let shape = x.shape.clone();
        self.make(Op::Library(call), vec![x], shape, dtype, false, span)
    }

    /// A random draw of `shape` (see `random` for the exact mapping).
    pub fn random(
        &mut self,
        dist: Distribution,
        seed: u64,
        draw: u64,
        shape: Vec<usize>,
        dtype: DType,
        span: Span,
    ) -> Result<NodeRef> {
        self.random_node(dist, (seed, draw), None, shape, dtype, span)
    }

    /// A draw whose seed, or the base its draw number counts from, is the 0-d i64 `value`,
    /// known only when the node is computed (a recorded loop body, see `lower::replay`).
    #[allow(clippy::too_many_arguments)]
    pub fn random_from(
        &mut self,
        dist: Distribution,
        stream: (u64, u64),
        input: RandomInput,
        value: &NodeRef,
        shape: Vec<usize>,
        dtype: DType,
        span: Span,
    ) -> Result<NodeRef> {
        self.random_node(dist, stream, Some((input, value)), shape, dtype, span)
    }

    fn random_node(
        &mut self,
        dist: Distribution,
        (seed, draw): (u64, u64),
        input: Option<(RandomInput, &NodeRef)>,
        shape: Vec<usize>,
        dtype: DType,
        span: Span,
    ) -> Result<NodeRef> {
        if let Distribution::Integers { lo, hi } = dist
            && hi <= lo
        {
            return Err(
                value_error(format!("randint: low ({lo}) must be below high ({hi})"))
                    .with_span(span),
            );
        }
        let op = Op::Random {
            dist,
            seed,
            draw,
            input: input.map(|(how, _)| how),
        };
        let inputs = input.map(|(_, v)| v.clone()).into_iter().collect();
        self.make(op, inputs, shape, dtype, false, span)
    }
}
