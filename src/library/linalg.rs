//! Dense linear algebra on faer (multithreaded): LU-based `inv`/`solve`/`det`/`slogdet` (f64
//! and c128) and norms, and the helpers the decompositions (`decomp`) share. Real inputs are
//! computed in f64 (f32 results are rounded back).

use super::lu::Lu;
use crate::diag::{Result, value_error};
use crate::dtype::DType;
use crate::graph::NormOrd;
use crate::runtime::Array;
use faer::traits::ComplexField;
use faer::{MatMut, MatRef, c64};
use ndarray::{ArrayD, Axis, Ix2, IxDyn};
use std::borrow::Cow;

/// `x`'s elements as f64: borrowed when `x` is f64, else one cast.
fn as_f64(x: &Array) -> Cow<'_, ArrayD<f64>> {
    match x {
        Array::F64(a) => Cow::Borrowed(a),
        other => match other.cast(DType::F64) {
            Array::F64(a) => Cow::Owned(a),
            _ => unreachable!("cast to f64"),
        },
    }
}

/// `x`'s elements as c128: borrowed when `x` is c128, else one cast.
fn as_c64(x: &Array) -> Cow<'_, ArrayD<c64>> {
    match x {
        Array::C128(a) => Cow::Borrowed(a),
        other => match other.cast(DType::C128) {
            Array::C128(a) => Cow::Owned(a),
            _ => unreachable!("cast to c128"),
        },
    }
}

/// A faer view of a 2-D array in place, through its strides (1-D is a column when
/// `column`, else a row; 0-d is 1×1). faer's decompositions copy what they factor once.
pub(super) fn mat_view<T: ComplexField>(a: &ArrayD<T>, column: bool) -> MatRef<'_, T> {
    let v = a.view();
    let v = match v.ndim() {
        0 => v.insert_axis(Axis(0)).insert_axis(Axis(0)),
        1 if column => v.insert_axis(Axis(1)),
        1 => v.insert_axis(Axis(0)),
        _ => v,
    };
    super::matmul::faer_ref(&v.into_dimensionality::<Ix2>().expect("at most 2-D"))
}

/// The row-major elements of a faer matrix.
pub(super) fn row_major<T: ComplexField + Copy>(m: MatRef<'_, T>) -> Vec<T> {
    let mut v = vec![T::zero_impl(); m.nrows() * m.ncols()];
    MatMut::from_row_major_slice_mut(&mut v, m.nrows(), m.ncols()).copy_from(m);
    v
}

pub(super) fn from_vec(v: Vec<f64>, shape: &[usize], dtype: DType) -> Array {
    Array::F64(ArrayD::from_shape_vec(IxDyn(shape), v).expect("sizes agree")).cast(dtype)
}

fn from_complex(v: Vec<c64>, shape: &[usize]) -> Array {
    Array::C128(ArrayD::from_shape_vec(IxDyn(shape), v).expect("sizes agree"))
}

/// The result dtype of a decomposition: f32 stays f32, c128 stays c128, everything else is
/// f64.
pub(super) fn out_dtype(x: &Array) -> DType {
    match x.dtype() {
        DType::F32 | DType::C128 => x.dtype(),
        _ => DType::F64,
    }
}

/// The order of a square matrix, or a value error naming `what`.
pub(super) fn order(x: &Array, what: &str) -> Result<usize> {
    match *x.shape() {
        [r, c] if r == c => Ok(r),
        _ => Err(value_error(format!(
            "{what} needs a square matrix, found shape {}",
            crate::graph::fmt_shape(x.shape())
        ))),
    }
}

/// `lu`, or the error of a singular matrix.
fn invertible<T: Field>(lu: Lu<T>) -> Result<Lu<T>> {
    if lu.singular() {
        return Err(value_error("singular matrix")
            .with_help("the matrix has no inverse; lstsq finds a least-squares solution"));
    }
    Ok(lu)
}

/// An element type the linear-algebra calls take: f64 or c128.
pub(super) trait Field: ComplexField + Copy {
    /// A zero or NaN pivot: the matrix is singular (LAPACK's getrf reports it).
    fn bad_pivot(self) -> bool;
    /// `x`'s elements in this type (borrowed when they already are).
    fn view(x: &Array) -> Cow<'_, ArrayD<Self>>;
    /// Row-major elements as an array of `shape`; a real result takes `dtype` (f64 or f32).
    fn pack(v: Vec<Self>, shape: &[usize], dtype: DType) -> Array;
}

impl Field for f64 {
    fn bad_pivot(self) -> bool {
        self == 0.0 || self.is_nan()
    }
    fn view(x: &Array) -> Cow<'_, ArrayD<f64>> {
        as_f64(x)
    }
    fn pack(v: Vec<f64>, shape: &[usize], dtype: DType) -> Array {
        from_vec(v, shape, dtype)
    }
}

impl Field for c64 {
    fn bad_pivot(self) -> bool {
        self == c64::new(0.0, 0.0) || self.re.is_nan() || self.im.is_nan()
    }
    fn view(x: &Array) -> Cow<'_, ArrayD<c64>> {
        as_c64(x)
    }
    fn pack(v: Vec<c64>, shape: &[usize], _: DType) -> Array {
        from_complex(v, shape)
    }
}

/// The inverse of a square matrix (f64 or c128).
pub fn inv(x: &Array) -> Result<Array> {
    fn run<T: Field>(x: &Array, n: usize) -> Result<Array> {
        let lu = invertible(Lu::<T>::new(x, n))?;
        Ok(T::pack(lu.inverse(), &[n, n], out_dtype(x)))
    }
    let n = order(x, "inv")?;
    match x.dtype() {
        DType::C128 => run::<c64>(x, n),
        _ => run::<f64>(x, n),
    }
}

/// The solution of `a @ x = b` for a vector or matrix `b` (f64 or c128).
pub fn solve(a: &Array, b: &Array) -> Result<Array> {
    fn run<T: Field>(a: &Array, b: &Array, n: usize) -> Result<Array> {
        let lu = invertible(Lu::<T>::new(a, n))?;
        let rhs = T::view(b);
        let mut rhs = mat_view(&rhs, true).to_owned();
        lu.solve_in_place(rhs.as_mut());
        let dtype = out_dtype(a).max(out_dtype(b));
        Ok(T::pack(row_major(rhs.as_ref()), b.shape(), dtype))
    }
    let n = order(a, "solve")?;
    let br = b.shape().first().copied().unwrap_or(1);
    if br != n || b.shape().len() > 2 {
        return Err(crate::diag::shape_error(format!(
            "solve: a is {n}×{n} but b has shape {}",
            crate::graph::fmt_shape(b.shape())
        )));
    }
    if a.dtype() == DType::C128 || b.dtype() == DType::C128 {
        run::<c64>(a, b, n)
    } else {
        run::<f64>(a, b, n)
    }
}

/// The determinant of a square matrix (f64 or c128): the product of the pivots, in order,
/// signed by the row exchanges, up to the first zero pivot (faer's later ones are NaN;
/// NumPy's determinant of a singular matrix is 0).
pub fn det(x: &Array) -> Result<Array> {
    fn run<T: Field>(x: &Array, n: usize) -> Array {
        let lu = Lu::<T>::new(x, n);
        let (zero, one) = (T::zero_impl(), T::one_impl());
        let mut d = if lu.odd() { -&one } else { one };
        for p in lu.diagonal() {
            d *= p;
            if p == zero {
                break;
            }
        }
        // Adding +0 turns a -0 product into +0, as NumPy's.
        T::pack(vec![d + zero], &[], out_dtype(x))
    }
    let n = order(x, "det")?;
    Ok(match x.dtype() {
        DType::C128 => run::<c64>(x, n),
        _ => run::<f64>(x, n),
    })
}

/// `slogdet`: `[sign, log|det|]` packed in one array (c128 for complex input, whose
/// second member has no imaginary part), as NumPy computes them from LU (a singular
/// matrix gives sign 0 and −∞).
pub fn slogdet(x: &Array) -> Result<Array> {
    let n = order(x, "slogdet")?;
    if x.dtype() == DType::C128 {
        let lu = Lu::<c64>::new(x, n);
        let (sign, log) = match lu.singular() {
            true => (c64::new(0.0, 0.0), f64::NEG_INFINITY),
            false => {
                let start = c64::new(if lu.odd() { -1.0 } else { 1.0 }, 0.0);
                let sign = lu.diagonal().fold(start, |s, p| s * (p / p.norm()));
                (sign, log_sum(lu.diagonal().map(|p| p.norm())))
            }
        };
        return Ok(from_complex(vec![sign, c64::new(log, 0.0)], &[2]));
    }
    let lu = Lu::<f64>::new(x, n);
    let (sign, log) = match lu.singular() {
        true => (0.0, f64::NEG_INFINITY),
        false => {
            let start = if lu.odd() { -1.0 } else { 1.0 };
            let sign = lu.diagonal().fold(start, |s, p| s * p.signum());
            (sign, log_sum(lu.diagonal().map(f64::abs)))
        }
    };
    Ok(from_vec(vec![sign, log], &[2], out_dtype(x)))
}

/// `Σ ln(m)` over the pivots' magnitudes, +0 for none (Rust's empty f64 sum is -0; NumPy's
/// `slogdet` of a 0×0 matrix is `(1, 0)`).
fn log_sum(magnitudes: impl Iterator<Item = f64>) -> f64 {
    magnitudes.map(f64::ln).sum::<f64>() + 0.0
}

/// Vector and matrix norms with NumPy's `ord` meanings.
pub fn norm(x: &Array, ord: NormOrd) -> Result<Array> {
    let v: Vec<f64> = match x.dtype() {
        DType::C128 => match x {
            Array::C128(a) => a.iter().map(|z| z.norm()).collect(),
            _ => unreachable!(),
        },
        _ => x.to_f64_vec().iter().map(|v| v.abs()).collect(),
    };
    let dtype = out_dtype(x);
    let value = match (x.shape().len(), ord) {
        (2, NormOrd::Default | NormOrd::Fro) | (0 | 1, NormOrd::Default) => {
            v.iter().map(|a| a * a).sum::<f64>().sqrt()
        }
        (0 | 1, NormOrd::P(p)) => vector_norm(&v, p),
        (2, ord) => matrix_norm(&v, x.shape()[0], x.shape()[1], ord)?,
        (_, NormOrd::Default) => v.iter().map(|a| a * a).sum::<f64>().sqrt(),
        (nd, ord) => {
            return Err(value_error(format!(
                "norm: ord={ord} is not defined for {nd}-D arrays"
            )));
        }
    };
    Ok(from_vec(vec![value], &[], dtype))
}

fn vector_norm(v: &[f64], p: f64) -> f64 {
    if p == f64::INFINITY {
        v.iter().copied().fold(0.0, f64::max)
    } else if p == f64::NEG_INFINITY {
        v.iter().copied().fold(f64::INFINITY, f64::min)
    } else if p == 0.0 {
        v.iter().filter(|&&a| a != 0.0).count() as f64
    } else {
        v.iter().map(|a| a.powf(p)).sum::<f64>().powf(1.0 / p)
    }
}

fn matrix_norm(v: &[f64], r: usize, c: usize, ord: NormOrd) -> Result<f64> {
    let col_sums = || (0..c).map(|j| (0..r).map(|i| v[i * c + j]).sum::<f64>());
    let row_sums = || (0..r).map(|i| v[i * c..(i + 1) * c].iter().sum::<f64>());
    let singular = || -> Result<Vec<f64>> {
        MatRef::from_row_major_slice(v, r, c)
            .singular_values()
            .map_err(|_| value_error("norm: the singular value decomposition did not converge (does the matrix hold NaN or infinity?)"))
    };
    Ok(match ord {
        NormOrd::P(1.0) => col_sums().fold(0.0, f64::max),
        NormOrd::P(-1.0) => col_sums().fold(f64::INFINITY, f64::min),
        NormOrd::P(p) if p == f64::INFINITY => row_sums().fold(0.0, f64::max),
        NormOrd::P(p) if p == f64::NEG_INFINITY => row_sums().fold(f64::INFINITY, f64::min),
        NormOrd::P(2.0) => singular()?.first().copied().unwrap_or(0.0),
        NormOrd::P(-2.0) => singular()?.last().copied().unwrap_or(0.0),
        NormOrd::Nuc => singular()?.iter().sum(),
        other => {
            return Err(value_error(format!(
                "norm: ord={other} is not defined for matrices (use 1, -1, 2, -2, inf, -inf, 'fro' or 'nuc')"
            )));
        }
    })
}
