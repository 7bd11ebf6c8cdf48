//! FFT builtins with `numpy.fft`'s signatures: `fft ifft rfft irfft fft2 ifft2 fftn ifftn
//! fftfreq rfftfreq` (`n=`/`s=`, `axis=`/`axes=`, `norm=`). Each transform is a library
//! node per axis; a multi-axis transform applies them last axis first, as NumPy does.

use super::{Args, Builtin};
use crate::diag::{Result, value_error};
use crate::dtype::DType;
use crate::graph::{FftNorm, NodeRef, normalize_axis};
use crate::lower::{Evaluator, Value};
use crate::runtime::Array;

pub(super) fn builtins() -> Vec<Builtin> {
    vec![
        Builtin {
            name: "fft",
            signature: "fft(x, n=, axis=-1, norm=\"backward\")",
            doc: "Discrete Fourier transform along axis (length n: cropped or zero-padded).",
            example: "fft([1.0, 0.0, 0.0, 0.0])",
            call: |ev, a| fft(ev, a, false),
        },
        Builtin {
            name: "ifft",
            signature: "ifft(x, n=, axis=-1, norm=\"backward\")",
            doc: "Inverse discrete Fourier transform (divided by n).",
            example: "ifft(fft([1.0, 2.0]))",
            call: |ev, a| fft(ev, a, true),
        },
        Builtin {
            name: "rfft",
            signature: "rfft(x, n=, axis=-1, norm=\"backward\")",
            doc: "Fourier transform of real input: the n/2 + 1 non-negative frequencies.",
            example: "rfft([1.0, 2.0, 3.0, 4.0])",
            call: |ev, a| {
                let (x, n, axis, norm) = args(ev, a)?;
                Ok(Value::Array(ev.graph.rfft(&x, n, axis, norm, a.span)?))
            },
        },
        Builtin {
            name: "irfft",
            signature: "irfft(x, n=, axis=-1, norm=\"backward\")",
            doc: "Inverse of rfft: n real values (default 2 * (len - 1)).",
            example: "irfft(rfft([1.0, 2.0, 3.0, 4.0]))",
            call: |ev, a| {
                let (x, n, axis, norm) = args(ev, a)?;
                Ok(Value::Array(ev.graph.irfft(&x, n, axis, norm, a.span)?))
            },
        },
        Builtin {
            name: "fft2",
            signature: "fft2(x, s=, axes=(-2,-1), norm=\"backward\")",
            doc: "2-D Fourier transform over the last two axes (or axes).",
            example: "fft2(eye(2))",
            call: |ev, a| fftn(ev, a, false, Some(&[-2, -1])),
        },
        Builtin {
            name: "ifft2",
            signature: "ifft2(x, s=, axes=(-2,-1), norm=\"backward\")",
            doc: "Inverse 2-D Fourier transform over the last two axes (or axes).",
            example: "ifft2(fft2(eye(2)))",
            call: |ev, a| fftn(ev, a, true, Some(&[-2, -1])),
        },
        Builtin {
            name: "fftn",
            signature: "fftn(x, s=, axes=, norm=\"backward\")",
            doc: "N-D Fourier transform over every axis (or axes), lengths s.",
            example: "fftn(ones(2, 2, 2))",
            call: |ev, a| fftn(ev, a, false, None),
        },
        Builtin {
            name: "ifftn",
            signature: "ifftn(x, s=, axes=, norm=\"backward\")",
            doc: "Inverse N-D Fourier transform over every axis (or axes).",
            example: "ifftn(fftn(ones(2, 2)))",
            call: |ev, a| fftn(ev, a, true, None),
        },
        Builtin {
            name: "fftfreq",
            signature: "fftfreq(n, d=1.0)",
            doc: "Sample frequencies of an n-point FFT with sample spacing d.",
            example: "fftfreq(4)",
            call: |ev, a| frequencies(ev, a, false),
        },
        Builtin {
            name: "rfftfreq",
            signature: "rfftfreq(n, d=1.0)",
            doc: "The n/2 + 1 non-negative sample frequencies of an n-point rfft.",
            example: "rfftfreq(8, d=0.5)",
            call: |ev, a| frequencies(ev, a, true),
        },
    ]
}

fn norm(a: &Args) -> Result<FftNorm> {
    let name = a.opt_str("norm")?;
    FftNorm::parse(name.as_deref()).ok_or_else(|| {
        value_error(format!(
            "norm must be \"backward\", \"ortho\" or \"forward\", not `{}`",
            name.unwrap_or_default()
        ))
        .with_span(a.span_of("norm"))
    })
}

fn args(ev: &mut Evaluator, a: &Args) -> Result<(NodeRef, Option<i64>, i64, FftNorm)> {
    let x = a.array(ev, "x")?;
    let n = a.opt_i64(ev, "n")?;
    let axis = a.opt_i64(ev, "axis")?.unwrap_or(-1);
    Ok((x, n, axis, norm(a)?))
}

fn fft(ev: &mut Evaluator, a: &mut Args, inverse: bool) -> Result<Value> {
    let (x, n, axis, norm) = args(ev, a)?;
    Ok(Value::Array(
        ev.graph.fft(&x, n, axis, inverse, norm, a.span)?,
    ))
}

/// A transform over several axes: one FFT per axis, the last axis first (NumPy's order).
fn fftn(ev: &mut Evaluator, a: &mut Args, inverse: bool, two: Option<&[i64]>) -> Result<Value> {
    let x = a.array(ev, "x")?;
    let nd = x.shape.len();
    let sizes = a.opt_axes(ev, "s")?;
    let axes: Vec<i64> = match (a.opt_axes(ev, "axes")?, two, &sizes) {
        (Some(axes), _, _) => axes,
        (None, Some(two), _) => two.to_vec(),
        (None, None, Some(s)) => (nd - s.len().min(nd)..nd).map(|d| d as i64).collect(),
        (None, None, None) => (0..nd as i64).collect(),
    };
    if let Some(&bad) = axes.iter().find(|&&ax| normalize_axis(ax, nd).is_err()) {
        return Err(
            value_error(format!("axis {bad} is out of range for {nd} dimensions"))
                .with_span(a.span_of("axes")),
        );
    }
    if sizes.as_ref().is_some_and(|s| s.len() != axes.len()) {
        return Err(value_error("s and axes need the same length").with_span(a.span));
    }
    let norm = norm(a)?;
    let mut y = x;
    for k in (0..axes.len()).rev() {
        let n = sizes.as_ref().map(|s| s[k]);
        y = ev.graph.fft(&y, n, axes[k], inverse, norm, a.span)?;
    }
    Ok(Value::Array(y))
}

/// `fftfreq` (every frequency, negative ones last) or `rfftfreq` (the non-negative ones).
fn frequencies(ev: &mut Evaluator, a: &mut Args, real: bool) -> Result<Value> {
    let n = a.opt_i64(ev, "n")?.unwrap_or(0);
    let d = a.opt_f64(ev, "d")?.unwrap_or(1.0);
    if n < 1 {
        return Err(value_error(format!("n must be positive, got {n}")).with_span(a.span));
    }
    let len = if real { n / 2 + 1 } else { n };
    ev.graph.check_size(&[len as usize], DType::F64, a.span)?;
    let val = 1.0 / (n as f64 * d);
    let v: Vec<f64> = if real {
        (0..=n / 2).map(|i| i as f64 * val).collect()
    } else {
        let half = (n - 1) / 2 + 1;
        (0..n)
            .map(|i| if i < half { i } else { i - n })
            .map(|i| i as f64 * val)
            .collect()
    };
    let len = v.len();
    let arr = Array::F64(
        ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[len]), v)
            .map_err(|e| value_error(e.to_string()))?,
    );
    Ok(Value::Array(ev.graph.constant(arr, false, a.span)?))
}
