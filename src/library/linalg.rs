//! Dense linear algebra on faer (multithreaded): LU-based `inv`/`solve`/`det`/`slogdet` (f64
//! and c128) and norms, and the helpers the decompositions (`decomp`) share. Real inputs are
//! computed in f64 (f32 results are rounded back).

use crate::diag::{Result, value_error};
use crate::dtype::DType;
use crate::graph::NormOrd;
use crate::runtime::Array;
use faer::linalg::solvers::{DenseSolveCore, PartialPivLu, SolveCore};
use faer::traits::ComplexField;
use faer::{Mat, MatMut, MatRef, c64};
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

/// A column-major f64 copy of a 2-D array (as [`mat_view`] reads it).
pub(super) fn to_mat(x: &Array, column: bool) -> Mat<f64> {
    mat_view(&as_f64(x), column).to_owned()
}

/// The row-major elements of a faer matrix.
pub(super) fn row_major<T: ComplexField + Copy>(m: MatRef<'_, T>) -> Vec<T> {
    let mut v = vec![T::zero_impl(); m.nrows() * m.ncols()];
    MatMut::from_row_major_slice_mut(&mut v, m.nrows(), m.ncols()).copy_from(m);
    v
}

/// A faer matrix as an arr array of `shape`, in the dtype the inputs asked for.
pub(super) fn from_mat(m: MatRef<'_, f64>, shape: &[usize], dtype: DType) -> Array {
    from_vec(row_major(m), shape, dtype)
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

fn singular() -> crate::diag::Error {
    value_error("singular matrix")
        .with_help("the matrix has no inverse; lstsq finds a least-squares solution")
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

/// LU with partial pivoting; `None` for an exactly singular matrix.
fn lu<T: Field>(a: MatRef<'_, T>) -> Option<PartialPivLu<T>> {
    let lu = a.partial_piv_lu();
    let u = lu.U();
    let bad = (0..u.nrows()).any(|i| u[(i, i)].bad_pivot());
    (!bad).then_some(lu)
}

/// The diagonal of U and the parity of the row permutation of an LU (`None` when singular).
fn lu_diagonal<T: Field>(a: MatRef<'_, T>) -> Option<(Vec<T>, bool)> {
    let lu = lu(a)?;
    let (forward, _) = lu.P().arrays();
    let mut seen = vec![false; forward.len()];
    let mut odd = false;
    for start in 0..forward.len() {
        let mut k = start;
        let mut len = 0;
        while !seen[k] {
            seen[k] = true;
            k = forward[k];
            len += 1;
        }
        odd ^= len > 0 && len % 2 == 0;
    }
    let u = lu.U();
    Some(((0..u.nrows()).map(|i| u[(i, i)]).collect(), odd))
}

/// The inverse of a square matrix (f64 or c128).
pub fn inv(x: &Array) -> Result<Array> {
    let n = order(x, "inv")?;
    if x.dtype() == DType::C128 {
        let a = as_c64(x);
        let lu = lu(mat_view(&a, false)).ok_or_else(singular)?;
        return Ok(from_complex(row_major(lu.inverse().as_ref()), &[n, n]));
    }
    let a = as_f64(x);
    let lu = lu(mat_view(&a, false)).ok_or_else(singular)?;
    Ok(from_mat(lu.inverse().as_ref(), &[n, n], out_dtype(x)))
}

/// The solution of `a @ x = b` for a vector or matrix `b` (f64 or c128).
pub fn solve(a: &Array, b: &Array) -> Result<Array> {
    let n = order(a, "solve")?;
    let br = b.shape().first().copied().unwrap_or(1);
    if br != n || b.shape().len() > 2 {
        return Err(crate::diag::shape_error(format!(
            "solve: a is {n}×{n} but b has shape {}",
            crate::graph::fmt_shape(b.shape())
        )));
    }
    if a.dtype() == DType::C128 || b.dtype() == DType::C128 {
        let (m, rhs) = (as_c64(a), as_c64(b));
        let lu = lu(mat_view(&m, false)).ok_or_else(singular)?;
        let mut rhs = mat_view(&rhs, true).to_owned();
        lu.solve_in_place_with_conj(faer::Conj::No, rhs.as_mut());
        return Ok(from_complex(row_major(rhs.as_ref()), b.shape()));
    }
    let m = as_f64(a);
    let lu = lu(mat_view(&m, false)).ok_or_else(singular)?;
    let mut rhs = to_mat(b, true);
    lu.solve_in_place_with_conj(faer::Conj::No, rhs.as_mut());
    Ok(from_mat(
        rhs.as_ref(),
        b.shape(),
        out_dtype(a).max(out_dtype(b)),
    ))
}

/// The determinant of a square matrix (f64 or c128).
pub fn det(x: &Array) -> Result<Array> {
    let n = order(x, "det")?;
    if x.dtype() == DType::C128 {
        let a = as_c64(x);
        let d = if n == 0 {
            c64::new(1.0, 0.0)
        } else {
            mat_view(&a, false).determinant()
        };
        // A singular matrix's determinant is +0, as NumPy's (LAPACK reports the zero pivot
        // and NumPy returns sign 0): adding +0 turns a -0 product into +0.
        return Ok(from_complex(vec![d + c64::new(0.0, 0.0)], &[]));
    }
    let a = as_f64(x);
    let d = if n == 0 {
        1.0
    } else {
        mat_view(&a, false).determinant()
    };
    Ok(from_vec(vec![d + 0.0], &[], out_dtype(x)))
}

/// `slogdet`: `[sign, log|det|]` packed in one array (c128 for complex input, whose
/// second member has no imaginary part), as NumPy computes them from LU (a singular
/// matrix gives sign 0 and −∞).
pub fn slogdet(x: &Array) -> Result<Array> {
    order(x, "slogdet")?;
    if x.dtype() == DType::C128 {
        let a = as_c64(x);
        let (sign, log) = match lu_diagonal(mat_view(&a, false)) {
            None => (c64::new(0.0, 0.0), f64::NEG_INFINITY),
            Some((diag, odd)) => {
                let start = c64::new(if odd { -1.0 } else { 1.0 }, 0.0);
                let sign = diag.iter().fold(start, |s, p| s * (p / p.norm()));
                (sign, diag.iter().map(|p| p.norm().ln()).sum())
            }
        };
        return Ok(from_complex(vec![sign, c64::new(log, 0.0)], &[2]));
    }
    let a = as_f64(x);
    let (sign, log) = match lu_diagonal(mat_view(&a, false)) {
        None => (0.0, f64::NEG_INFINITY),
        Some((diag, odd)) => {
            let start = if odd { -1.0 } else { 1.0 };
            let sign = diag.iter().fold(start, |s, p| s * p.signum());
            (sign, diag.iter().map(|p| p.abs().ln()).sum())
        }
    };
    Ok(from_vec(vec![sign, log], &[2], out_dtype(x)))
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
