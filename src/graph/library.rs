//! Constructors for library-call and random nodes, with their shape and dtype rules.

use super::{Graph, NodeRef, Op, fmt_shape, normalize_axis};
use crate::diag::{Result, Span, shape_error, type_error, value_error};
use crate::dtype::DType;
use crate::graph::ops::{Distribution, LibCall, RandomInput};
use crate::graph::{FftNorm, QrMode};

/// The function name of a linear-algebra call, for messages.
fn call_name(call: &LibCall) -> &'static str {
    match call {
        LibCall::Inv => "inv",
        LibCall::Solve => "solve",
        LibCall::Det => "det",
        LibCall::Slogdet => "slogdet",
        LibCall::Eigh => "eigh",
        LibCall::Eigvalsh => "eigvalsh",
        LibCall::SingularValues | LibCall::Svd { .. } => "svd",
        LibCall::Qr(_) => "qr",
        LibCall::Cholesky => "cholesky",
        LibCall::Lstsq { .. } => "lstsq",
        LibCall::Pinv { .. } => "pinv",
        LibCall::Eig { .. } => "eig",
        LibCall::Norm(_) => "norm",
        _ => "this call",
    }
}

impl Graph {
    /// A linear-algebra call (see [`LibCall`] for the packed layouts of decompositions).
    pub fn linalg(&mut self, call: LibCall, inputs: &[NodeRef], span: Span) -> Result<NodeRef> {
        let a = &inputs[0];
        let dtype = if inputs.iter().any(|n| n.dtype == DType::C128) {
            DType::C128
        } else if a.dtype == DType::F32 && inputs.iter().all(|n| n.dtype == DType::F32) {
            DType::F32
        } else {
            DType::F64
        };
        // A stack of matrices (NumPy batches these calls over leading axes).
        let nd = a.shape.len();
        let batch: Vec<usize> = if nd > 2 && call.batches() {
            a.shape[..nd - 2].to_vec()
        } else {
            vec![]
        };
        let last_two = &a.shape[batch.len()..];
        let square = || -> Result<usize> {
            match *last_two {
                [n, m] if n == m => Ok(n),
                _ => Err(value_error(format!(
                    "{} needs a square matrix, found shape {}",
                    call_name(&call),
                    fmt_shape(&a.shape)
                ))
                .with_span(span)),
            }
        };
        let matrix = || -> Result<(usize, usize)> {
            match *last_two {
                [r, c] => Ok((r, c)),
                _ => Err(value_error(format!(
                    "{} needs a 2-D matrix, found shape {}",
                    call_name(&call),
                    fmt_shape(&a.shape)
                ))
                .with_span(span)),
            }
        };
        let (shape, dtype) = match &call {
            LibCall::Inv | LibCall::Cholesky => {
                let n = square()?;
                (vec![n, n], dtype)
            }
            LibCall::Det => {
                square()?;
                (vec![], dtype)
            }
            LibCall::Slogdet => {
                square()?;
                (vec![2], dtype)
            }
            LibCall::Eigh => {
                let n = square()?;
                (vec![n + n * n], dtype)
            }
            LibCall::Eigvalsh => (vec![square()?], dtype.real_part()),
            LibCall::Eig { vectors } => {
                let n = square()?;
                (vec![if *vectors { n + n * n } else { n }], DType::C128)
            }
            LibCall::Solve => {
                // NumPy 2: b is one vector when 1-D, else a stack of n×k matrices; the
                // stacks of a and b broadcast.
                let b = &inputs[1];
                let mismatch = || {
                    shape_error(format!(
                        "solve: a has shape {} but b has shape {}",
                        fmt_shape(&a.shape),
                        fmt_shape(&b.shape)
                    ))
                    .with_span(span)
                };
                let n = match a.shape[..] {
                    [.., r, c] if r == c => r,
                    _ => square()?,
                };
                let (b_batch, tail) = match b.shape[..] {
                    [m] if m == n => (&[][..], vec![n]),
                    [ref lead @ .., m, k] if m == n => (lead, vec![n, k]),
                    _ => return Err(mismatch()),
                };
                let a_batch = &a.shape[..a.shape.len() - 2];
                let batch = super::broadcast_shapes(a_batch, b_batch).map_err(|_| mismatch())?;
                ([batch, tail].concat(), dtype)
            }
            LibCall::SingularValues => {
                let (r, c) = matrix()?;
                (vec![r.min(c)], dtype.real_part())
            }
            LibCall::Svd { full } => {
                let (m, n) = matrix()?;
                let k = m.min(n);
                let len = if *full {
                    m * m + k + n * n
                } else {
                    m * k + k + k * n
                };
                (vec![len], dtype)
            }
            LibCall::Qr(mode) => {
                let (m, n) = matrix()?;
                let k = m.min(n);
                let len = match mode {
                    QrMode::Reduced => m * k + k * n,
                    QrMode::Complete => m * m + m * n,
                    QrMode::R => k * n,
                };
                (vec![len], dtype)
            }
            LibCall::Pinv { .. } => {
                let (m, n) = matrix()?;
                (vec![n, m], dtype)
            }
            LibCall::Lstsq { .. } => {
                let (r, c) = matrix()?;
                let b = &inputs[1];
                let nrhs = match b.shape[..] {
                    [br] if br == r => 1,
                    [br, k] if br == r => k,
                    _ => {
                        return Err(shape_error(format!(
                            "lstsq: a has shape {} but b has shape {}",
                            fmt_shape(&a.shape),
                            fmt_shape(&b.shape)
                        ))
                        .with_span(span));
                    }
                };
                (vec![c * nrhs + nrhs + 1 + r.min(c)], dtype)
            }
            LibCall::Norm(_) => (vec![], dtype.real_part()),
            other => {
                return Err(
                    value_error(format!("{other:?} is not a linear-algebra call")).with_span(span),
                );
            }
        };
        let shape = [batch, shape].concat();
        self.make(
            Op::Library(call),
            inputs.to_vec(),
            shape,
            dtype,
            false,
            span,
        )
    }

    /// A searching or binning call (`searchsorted interp bincount histogram convolve`),
    /// with its inputs in the order `library::search` takes them.
    pub fn search(&mut self, call: LibCall, inputs: &[NodeRef], span: Span) -> Result<NodeRef> {
        let one_d = |n: &NodeRef, what: &str| -> Result<usize> {
            match n.shape[..] {
                [len] => Ok(len),
                _ => Err(value_error(format!(
                    "{what} must be 1-D, found shape {}",
                    fmt_shape(&n.shape)
                ))
                .with_span(span)),
            }
        };
        let (shape, dtype) = match &call {
            LibCall::SearchSorted { .. } => {
                one_d(&inputs[0], "the sorted array")?;
                (inputs[1].shape.clone(), DType::I64)
            }
            LibCall::Interp => {
                let n = one_d(&inputs[1], "xp")?;
                if one_d(&inputs[2], "fp")? != n || n == 0 {
                    return Err(
                        value_error("interp: xp and fp need the same non-zero length")
                            .with_span(span),
                    );
                }
                (inputs[0].shape.clone(), DType::F64)
            }
            LibCall::Bincount { len } => {
                one_d(&inputs[0], "bincount's input")?;
                (vec![*len], DType::F64)
            }
            LibCall::Histogram { bins } => (vec![2 * bins + 1], DType::F64),
            LibCall::HistogramEdges => (
                vec![one_d(&inputs[1], "bins")?.saturating_sub(1)],
                DType::F64,
            ),
            LibCall::Convolve(mode) => {
                let (n, m) = (one_d(&inputs[0], "a")?, one_d(&inputs[1], "v")?);
                if n == 0 || m == 0 {
                    return Err(value_error("convolve: empty input").with_span(span));
                }
                let dtype = inputs[0].dtype.max(inputs[1].dtype).max(DType::I64);
                (vec![mode.len(n, m)], dtype)
            }
            other => {
                return Err(value_error(format!("{other:?} is not a search call")).with_span(span));
            }
        };
        if inputs.iter().any(|n| n.dtype == DType::C128) && !matches!(call, LibCall::Convolve(_)) {
            return Err(type_error("this function does not take complex values").with_span(span));
        }
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
        norm: FftNorm,
        span: Span,
    ) -> Result<NodeRef> {
        let (axis, n) = self.fft_axis(x, n, axis, span)?;
        let mut shape = x.shape.clone();
        shape[axis] = n;
        self.make(
            Op::Library(LibCall::Fft {
                inverse,
                n,
                axis,
                norm,
            }),
            vec![x.clone()],
            shape,
            DType::C128,
            false,
            span,
        )
    }

    /// The FFT of real input along `axis`.
    pub fn rfft(
        &mut self,
        x: &NodeRef,
        n: Option<i64>,
        axis: i64,
        norm: FftNorm,
        span: Span,
    ) -> Result<NodeRef> {
        if x.dtype == DType::C128 {
            return Err(
                type_error("rfft takes real input; use fft for complex input").with_span(span),
            );
        }
        let (axis, n) = self.fft_axis(x, n, axis, span)?;
        let mut shape = x.shape.clone();
        shape[axis] = n / 2 + 1;
        self.make(
            Op::Library(LibCall::Rfft { n, axis, norm }),
            vec![x.clone()],
            shape,
            DType::C128,
            false,
            span,
        )
    }

    /// The inverse of `rfft`: `n` real outputs (default `2 * (m - 1)`).
    pub fn irfft(
        &mut self,
        x: &NodeRef,
        n: Option<i64>,
        axis: i64,
        norm: FftNorm,
        span: Span,
    ) -> Result<NodeRef> {
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
            Op::Library(LibCall::Irfft { n, axis: ax, norm }),
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
