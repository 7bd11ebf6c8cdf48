//! Dense linear algebra on faer (multithreaded): matrix products, LU-based `inv`/`solve`/
//! `det`, symmetric eigendecomposition, singular values, least squares and norms. Inputs are
//! computed in f64 (f32 results are rounded back), as NumPy computes in the input's precision.

use crate::diag::{Result, value_error};
use crate::dtype::DType;
use crate::graph::NormOrd;
use crate::runtime::Array;
use faer::linalg::solvers::{DenseSolveCore, SolveLstsqCore};
use faer::{Mat, MatMut, MatRef, Side};
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

/// A faer view of a 2-D f64 array in place, through its strides (1-D is a column when
/// `column`, else a row; 0-d is 1×1). faer's decompositions copy what they factor once.
fn mat_view(a: &ArrayD<f64>, column: bool) -> MatRef<'_, f64> {
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
fn to_mat(x: &Array, column: bool) -> Mat<f64> {
    mat_view(&as_f64(x), column).to_owned()
}

/// A faer matrix as an arr array of `shape`, in the dtype the inputs asked for.
fn from_mat(m: MatRef<'_, f64>, shape: &[usize], dtype: DType) -> Array {
    let mut v = crate::runtime::zeroed_vec(m.nrows() * m.ncols());
    MatMut::from_row_major_slice_mut(&mut v, m.nrows(), m.ncols()).copy_from(m);
    from_vec(v, shape, dtype)
}

fn from_vec(v: Vec<f64>, shape: &[usize], dtype: DType) -> Array {
    Array::F64(ArrayD::from_shape_vec(IxDyn(shape), v).expect("sizes agree")).cast(dtype)
}

/// The result dtype of a decomposition: f32 stays f32, everything else is f64.
fn out_dtype(x: &Array) -> DType {
    if x.dtype() == DType::F32 {
        DType::F32
    } else {
        DType::F64
    }
}

/// `x`'s f64 elements and order, refusing anything but a square matrix.
fn square<'a>(x: &'a Array, what: &str) -> Result<(Cow<'a, ArrayD<f64>>, usize)> {
    match *x.shape() {
        [r, c] if r == c => Ok((as_f64(x), r)),
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

/// LU with partial pivoting, refusing exactly singular matrices (as LAPACK's getrf does).
fn lu(a: MatRef<'_, f64>) -> Result<faer::linalg::solvers::PartialPivLu<f64>> {
    let lu = a.partial_piv_lu();
    let u = lu.U();
    let zero_pivot = (0..u.nrows()).any(|i| u[(i, i)] == 0.0 || u[(i, i)].is_nan());
    if zero_pivot { Err(singular()) } else { Ok(lu) }
}

/// The inverse of a square matrix.
pub fn inv(x: &Array) -> Result<Array> {
    let (a, n) = square(x, "inv")?;
    let lu = lu(mat_view(&a, false))?;
    Ok(from_mat(lu.inverse().as_ref(), &[n, n], out_dtype(x)))
}

/// The solution of `a @ x = b` for a vector or matrix `b`.
pub fn solve(a: &Array, b: &Array) -> Result<Array> {
    let (m, n) = square(a, "solve")?;
    let mut rhs = to_mat(b, true);
    let br = rhs.nrows();
    if br != n {
        return Err(crate::diag::shape_error(format!(
            "solve: a is {n}×{n} but b has {br} rows (shape {})",
            crate::graph::fmt_shape(b.shape())
        )));
    }
    let lu = lu(mat_view(&m, false))?;
    faer::linalg::solvers::SolveCore::solve_in_place_with_conj(&lu, faer::Conj::No, rhs.as_mut());
    Ok(from_mat(
        rhs.as_ref(),
        b.shape(),
        out_dtype(a).max(out_dtype(b)),
    ))
}

/// The determinant of a square matrix.
pub fn det(x: &Array) -> Result<Array> {
    let (a, n) = square(x, "det")?;
    let d = if n == 0 {
        1.0
    } else {
        mat_view(&a, false).determinant()
    };
    Ok(from_vec(vec![d], &[], out_dtype(x)))
}

/// Eigenvalues (ascending) of a symmetric matrix, or its eigenvectors as columns.
pub fn eigh(x: &Array, vectors: bool) -> Result<Array> {
    let (a, n) = square(x, "eigh")?;
    let a = mat_view(&a, false);
    let failed = |e| value_error(format!("eigh did not converge: {e:?}"));
    Ok(if vectors {
        let evd = a.self_adjoint_eigen(Side::Lower).map_err(failed)?;
        from_mat(evd.U(), &[n, n], out_dtype(x))
    } else {
        // Eigenvalues alone skip the eigenvectors' far larger work.
        let s = a.self_adjoint_eigenvalues(Side::Lower).map_err(failed)?;
        from_vec(s, &[n], out_dtype(x))
    })
}

/// Singular values, largest first.
pub fn singular_values(x: &Array) -> Result<Array> {
    if x.shape().len() != 2 {
        return Err(value_error("svd needs a 2-D matrix"));
    }
    let s = mat_view(&as_f64(x), false)
        .singular_values()
        .map_err(|e| value_error(format!("svd did not converge: {e:?}")))?;
    let k = s.len();
    Ok(from_vec(s, &[k], out_dtype(x)))
}

/// The least-squares solution of `a @ x ≈ b` (minimum norm when `a` is rank deficient
/// is not guaranteed; full-rank tall or square `a` is solved by Householder QR).
pub fn lstsq(a: &Array, b: &Array) -> Result<Array> {
    let (r, c) = match *a.shape() {
        [r, c] => (r, c),
        _ => (0, 0),
    };
    let br = b.shape().first().copied().unwrap_or(1);
    if a.shape().len() != 2 || b.shape().len() > 2 || br != r {
        return Err(crate::diag::shape_error(format!(
            "lstsq: a has shape {} but b has shape {}",
            crate::graph::fmt_shape(a.shape()),
            crate::graph::fmt_shape(b.shape())
        )));
    }
    if r < c {
        // Under-determined: the minimum-norm solution is a.T @ solve(a @ a.T, b).
        let data = as_f64(a);
        let am = mat_view(&data, false);
        let aat = am * am.transpose();
        let lu = lu(aat.as_ref())?;
        let mut y = to_mat(b, true);
        let bc = y.ncols();
        faer::linalg::solvers::SolveCore::solve_in_place_with_conj(&lu, faer::Conj::No, y.as_mut());
        let x = am.transpose() * &y;
        let shape = if b.shape().len() == 1 {
            vec![c]
        } else {
            vec![c, bc]
        };
        return Ok(from_mat(x.as_ref(), &shape, out_dtype(a)));
    }
    let qr = mat_view(&as_f64(a), false).col_piv_qr();
    let mut rhs = to_mat(b, true);
    let bc = rhs.ncols();
    qr.solve_lstsq_in_place_with_conj(faer::Conj::No, rhs.as_mut());
    let x = rhs.as_ref().subrows(0, c);
    let shape = if b.shape().len() == 1 {
        vec![c]
    } else {
        vec![c, bc]
    };
    Ok(from_mat(x, &shape, out_dtype(a)))
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
                "norm: ord {ord:?} is not defined for {nd}-D arrays"
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
            .map_err(|e| value_error(format!("svd did not converge: {e:?}")))
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
                "norm: ord {other:?} is not defined for matrices"
            )));
        }
    })
}
