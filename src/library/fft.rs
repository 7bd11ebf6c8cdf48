//! FFTs along one axis with NumPy's conventions: `n` crops or zero-pads the input, the
//! inverse transforms divide by `n`, `rfft` keeps the `n/2 + 1` non-negative frequencies.

use crate::dtype::DType;
use crate::graph::FftNorm;
use crate::runtime::Array;
use ndarray::{ArrayD, Axis, IxDyn};
use num_complex::Complex64;
use realfft::RealFftPlanner;
use rustfft::FftPlanner;
use std::cell::RefCell;

fn complex(x: &Array) -> ArrayD<Complex64> {
    match x.cast(DType::C128) {
        Array::C128(a) => a,
        _ => unreachable!("cast to c128 yields c128"),
    }
}

fn real(x: &Array) -> ArrayD<f64> {
    match x.cast(DType::F64) {
        Array::F64(a) => a,
        _ => unreachable!("cast to f64 yields f64"),
    }
}

/// A new array like `a` but with `len` elements along `axis`.
fn resized_shape(shape: &[usize], axis: usize, len: usize) -> Vec<usize> {
    let mut s = shape.to_vec();
    s[axis] = len;
    s
}

thread_local! {
    /// Planners cache their plans: repeated transforms of one length plan once.
    static PLANNER: RefCell<FftPlanner<f64>> = RefCell::new(FftPlanner::new());
    static REAL_PLANNER: RefCell<RealFftPlanner<f64>> = RefCell::new(RealFftPlanner::new());
}

/// The complex FFT (or its inverse) of length `n` along `axis`, scaled as `norm` says.
pub fn fft(x: &Array, n: usize, axis: usize, inverse: bool, norm: FftNorm) -> Array {
    let a = complex(x);
    let mut out = ArrayD::<Complex64>::zeros(IxDyn(&resized_shape(a.shape(), axis, n)));
    let plan = PLANNER.with(|p| {
        let mut p = p.borrow_mut();
        if inverse {
            p.plan_fft_inverse(n)
        } else {
            p.plan_fft_forward(n)
        }
    });
    let mut buf = vec![Complex64::new(0.0, 0.0); n];
    let mut scratch = vec![Complex64::new(0.0, 0.0); plan.get_inplace_scratch_len()];
    let scale = norm.factor(inverse, n);
    for (src, mut dst) in a
        .lanes(Axis(axis))
        .into_iter()
        .zip(out.lanes_mut(Axis(axis)))
    {
        let m = src.len().min(n);
        buf[m..]
            .iter_mut()
            .for_each(|b| *b = Complex64::new(0.0, 0.0));
        buf[..m]
            .iter_mut()
            .zip(src.iter())
            .for_each(|(b, s)| *b = *s);
        plan.process_with_scratch(&mut buf, &mut scratch);
        match scale {
            Some(f) => dst.iter_mut().zip(&buf).for_each(|(d, b)| *d = b * f),
            None => dst.iter_mut().zip(&buf).for_each(|(d, b)| *d = *b),
        }
    }
    Array::C128(out)
}

/// The FFT of real input: `n/2 + 1` complex outputs along `axis`.
pub fn rfft(x: &Array, n: usize, axis: usize, norm: FftNorm) -> Array {
    let scale = norm.factor(false, n);
    let a = real(x);
    let m = n / 2 + 1;
    let mut out = ArrayD::<Complex64>::zeros(IxDyn(&resized_shape(a.shape(), axis, m)));
    let plan = REAL_PLANNER.with(|p| p.borrow_mut().plan_fft_forward(n));
    let mut input = vec![0.0; n];
    let mut spectrum = plan.make_output_vec();
    for (src, mut dst) in a
        .lanes(Axis(axis))
        .into_iter()
        .zip(out.lanes_mut(Axis(axis)))
    {
        input.iter_mut().for_each(|v| *v = 0.0);
        input.iter_mut().zip(src.iter()).for_each(|(v, s)| *v = *s);
        if plan.process(&mut input, &mut spectrum).is_ok() {
            match scale {
                Some(f) => dst.iter_mut().zip(&spectrum).for_each(|(d, s)| *d = s * f),
                None => dst.iter_mut().zip(&spectrum).for_each(|(d, s)| *d = *s),
            }
        }
    }
    Array::C128(out)
}

/// The inverse of [`rfft`]: `n` real outputs along `axis` from `n/2 + 1` frequencies.
pub fn irfft(x: &Array, n: usize, axis: usize, norm: FftNorm) -> Array {
    let a = complex(x);
    let m = n / 2 + 1;
    let mut out = ArrayD::<f64>::zeros(IxDyn(&resized_shape(a.shape(), axis, n)));
    let plan = REAL_PLANNER.with(|p| p.borrow_mut().plan_fft_inverse(n));
    let mut spectrum = vec![Complex64::new(0.0, 0.0); m];
    let mut output = plan.make_output_vec();
    for (src, mut dst) in a
        .lanes(Axis(axis))
        .into_iter()
        .zip(out.lanes_mut(Axis(axis)))
    {
        spectrum
            .iter_mut()
            .for_each(|v| *v = Complex64::new(0.0, 0.0));
        spectrum
            .iter_mut()
            .zip(src.iter())
            .for_each(|(v, s)| *v = *s);
        // NumPy ignores the imaginary parts of the DC and Nyquist terms; realfft insists.
        spectrum[0].im = 0.0;
        if n.is_multiple_of(2) {
            spectrum[m - 1].im = 0.0;
        }
        if plan.process(&mut spectrum, &mut output).is_ok() {
            match norm {
                FftNorm::Backward => dst
                    .iter_mut()
                    .zip(&output)
                    .for_each(|(d, o)| *d = o / n as f64),
                FftNorm::Forward => dst.iter_mut().zip(&output).for_each(|(d, o)| *d = *o),
                FftNorm::Ortho => {
                    let f = 1.0 / (n as f64).sqrt();
                    dst.iter_mut().zip(&output).for_each(|(d, o)| *d = o * f);
                }
            }
        }
    }
    Array::F64(out)
}
