//! Matrix decompositions on faer with `numpy.linalg`'s conventions: `eigh`, `eigvalsh`,
//! `svd`, `qr`, `cholesky`, `lstsq` (minimum-norm: QR at full column rank, else the SVD), `eig`,
//! `pinv`.
//!
//! A decomposition with several results returns them *packed*: the row-major elements of
//! each, one after another, in one 1-D array (the layouts are on [`LibCall`]'s variants);
//! lowering splits the packed array into the members of a tuple with views.
//!
//! [`LibCall`]: crate::graph::LibCall

use super::linalg::{Field, from_vec, mat_view, order, out_dtype, row_major};
use crate::diag::{Result, shape_error, value_error};
use crate::graph::QrMode;
use crate::runtime::Array;
use faer::linalg::solvers::SolveLstsq;
use faer::{Mat, MatMut, MatRef, Side, c64};
use ndarray::{ArrayD, IxDyn};

/// The dims of a 2-D matrix, or a value error naming `what`.
fn dims(x: &Array, what: &str) -> Result<(usize, usize)> {
    match *x.shape() {
        [r, c] => Ok((r, c)),
        _ => Err(value_error(format!(
            "{what} needs a 2-D matrix, found shape {}",
            crate::graph::fmt_shape(x.shape())
        ))),
    }
}

fn no_convergence(what: &str) -> crate::diag::Error {
    value_error(format!(
        "{what} did not converge (does the matrix hold NaN or infinity?)"
    ))
}

/// Runs `f` on `x` as f64 or, for c128 input, as c128.
macro_rules! by_field {
    ($x:expr, $f:ident($($arg:expr),*)) => {
        if $x.dtype() == crate::dtype::DType::C128 {
            $f::<c64>($x, $($arg),*)
        } else {
            $f::<f64>($x, $($arg),*)
        }
    };
}

/// `eigh`: eigenvalues ascending, then the eigenvectors as columns, packed `[w | v]`
/// (NumPy reads the lower triangle; Hermitian c128 input packs in c128, `w` real).
pub fn eigh(x: &Array) -> Result<Array> {
    fn run<T: Field>(x: &Array) -> Result<Array> {
        let n = order(x, "eigh")?;
        let a = T::view(x);
        let evd = mat_view(&a, false)
            .self_adjoint_eigen(Side::Lower)
            .map_err(|_| no_convergence("eigh"))?;
        let mut packed: Vec<T> = evd.S().column_vector().iter().copied().collect();
        packed.extend(row_major(evd.U()));
        Ok(T::pack(packed, &[n + n * n], out_dtype(x)))
    }
    by_field!(x, run())
}

/// `eigvalsh`: eigenvalues of a symmetric (Hermitian) matrix, ascending, real.
pub fn eigvalsh(x: &Array) -> Result<Array> {
    fn run<T: Field<Real = f64>>(x: &Array) -> Result<Array> {
        let n = order(x, "eigvalsh")?;
        let a = T::view(x);
        let w = mat_view(&a, false)
            .self_adjoint_eigenvalues(Side::Lower)
            .map_err(|_| no_convergence("eigvalsh"))?;
        Ok(from_vec(w, &[n], out_dtype(x).real_part()))
    }
    by_field!(x, run())
}

/// Singular values, largest first (real).
pub fn singular_values(x: &Array) -> Result<Array> {
    fn run<T: Field<Real = f64>>(x: &Array) -> Result<Array> {
        dims(x, "svd")?;
        let s = mat_view(&T::view(x), false)
            .singular_values()
            .map_err(|_| no_convergence("svd"))?;
        let k = s.len();
        Ok(from_vec(s, &[k], out_dtype(x).real_part()))
    }
    by_field!(x, run())
}

/// `svd`: packed `[U | S | Vh]` (`Vh` the conjugate transpose of V), with `U` m×m and `Vh`
/// n×n when `full` (NumPy's default `full_matrices=True`), else m×k and k×n.
pub fn svd(x: &Array, full: bool) -> Result<Array> {
    fn run<T: Field>(x: &Array, full: bool) -> Result<Array> {
        dims(x, "svd")?;
        let a = T::view(x);
        let a = mat_view(&a, false);
        let svd = if full { a.svd() } else { a.thin_svd() }.map_err(|_| no_convergence("svd"))?;
        let mut packed = row_major(svd.U());
        packed.extend(svd.S().column_vector().iter().copied());
        packed.extend(row_major(svd.V().adjoint().to_owned().as_ref()));
        let len = packed.len();
        Ok(T::pack(packed, &[len], out_dtype(x)))
    }
    by_field!(x, run(full))
}

/// `qr`: packed `[Q | R]` (or `R` alone) by Householder reflections, as LAPACK's geqrf.
pub fn qr(x: &Array, mode: QrMode) -> Result<Array> {
    fn run<T: Field>(x: &Array, mode: QrMode) -> Result<Array> {
        let (m, n) = dims(x, "qr")?;
        let a = T::view(x);
        let qr = mat_view(&a, false).qr();
        let k = m.min(n);
        let (q, r, rows) = match mode {
            QrMode::Complete => (Some(qr.compute_Q()), qr.R().to_owned(), m),
            QrMode::Reduced => (Some(qr.compute_thin_Q()), qr.thin_R().to_owned(), k),
            QrMode::R => (None, qr.thin_R().to_owned(), k),
        };
        // faer's R holds only the rows it computed; NumPy's complete R is m×n, zero below.
        let mut r_full = Mat::<T>::zeros(rows, n);
        r_full
            .as_mut()
            .submatrix_mut(0, 0, r.nrows(), r.ncols())
            .copy_from(r.as_ref());
        let mut packed = q.map(|q| row_major(q.as_ref())).unwrap_or_default();
        packed.extend(row_major(r_full.as_ref()));
        let len = packed.len();
        Ok(T::pack(packed, &[len], out_dtype(x)))
    }
    by_field!(x, run(mode))
}

/// `cholesky`: the lower-triangular `L` with `L @ L.T == a` (`L @ conj(L).T` for c128;
/// value error unless `a` is positive definite).
pub fn cholesky(x: &Array) -> Result<Array> {
    fn run<T: Field>(x: &Array) -> Result<Array> {
        let n = order(x, "cholesky")?;
        let a = T::view(x);
        let llt = mat_view(&a, false)
            .llt(Side::Lower)
            .map_err(|_| value_error("cholesky: the matrix is not positive definite"))?;
        Ok(T::pack(row_major(llt.L()), &[n, n], out_dtype(x)))
    }
    by_field!(x, run())
}

/// The thin SVD of `a` and the number of singular values above `rcond` times the largest.
struct Truncated<T> {
    u: Mat<T>,
    s: Vec<f64>,
    v: Mat<T>,
    rank: usize,
}

fn truncated<T: Field<Real = f64>>(
    a: MatRef<'_, T>,
    rcond: f64,
    what: &str,
) -> Result<Truncated<T>> {
    let svd = a.thin_svd().map_err(|_| no_convergence(what))?;
    let s: Vec<f64> = svd
        .S()
        .column_vector()
        .iter()
        .map(T::real_part_impl)
        .collect();
    Ok(Truncated {
        u: svd.U().to_owned(),
        v: svd.V().to_owned(),
        rank: rank(&s, rcond),
        s,
    })
}

/// Multiplies column `j` of `m` by `1 / s[j]` for each singular value kept.
fn divide_columns<T: Field<Real = f64>>(mut m: MatMut<'_, T>, s: &[f64]) {
    for (j, &v) in s.iter().enumerate() {
        let inv = 1.0 / v;
        (m.as_mut().col_mut(j).iter_mut()).for_each(|c| *c = T::mul_real_impl(c, &inv));
    }
}

/// How many singular values (largest first) are more than `rcond` times the largest.
fn rank(s: &[f64], rcond: f64) -> usize {
    let cut = rcond * s.first().copied().unwrap_or(0.0);
    s.iter().filter(|&&v| v > cut).count()
}

/// `lstsq`: NumPy's minimum-norm least-squares solution (by QR at full column rank, else
/// through the SVD), packed
/// `[x | residuals | rank | s]`, with `residuals` one sum of squares per column of `b`
/// (lowering drops them, as NumPy does, unless `a` has full column rank and more rows than
/// columns). `rcond` defaults to machine epsilon times the larger dimension. c128 input
/// packs in c128 (everything but `x` has no imaginary part).
pub fn lstsq(a: &Array, b: &Array, rcond: Option<f64>) -> Result<Array> {
    let (m, n) = dims(a, "lstsq")?;
    let br = b.shape().first().copied().unwrap_or(0);
    if b.shape().is_empty() || b.shape().len() > 2 || br != m {
        return Err(shape_error(format!(
            "lstsq: a has shape {} but b has shape {}",
            crate::graph::fmt_shape(a.shape()),
            crate::graph::fmt_shape(b.shape())
        )));
    }
    let rcond = rcond.unwrap_or(f64::EPSILON * m.max(n) as f64);
    fn run<T: Field<Real = f64>>(a: &Array, b: &Array, rcond: f64) -> Result<Array> {
        let data = T::view(a);
        let am = mat_view(&data, false);
        let bd = T::view(b);
        let bm = mat_view(&bd, true);
        // The singular values first (NumPy returns them): with full column rank and at
        // least as many rows as columns the solution is unique, and QR finds it for a
        // fraction of the singular vectors' cost (1000²: 307 → 190 ms). Otherwise the
        // minimum-norm solution x = V · diag(1/s) · Uᴴ b over the singular values kept.
        let (m, n) = (am.nrows(), am.ncols());
        let s = am.singular_values().map_err(|_| no_convergence("lstsq"))?;
        let (x, s, k) = match rank(&s, rcond) {
            k if k == n && m >= n => (am.qr().solve_lstsq(bm), s, k),
            _ => {
                let t = truncated(am, rcond, "lstsq")?;
                let k = t.rank;
                let mut coef = t.u.as_ref().subcols(0, k).adjoint() * bm;
                divide_columns(coef.as_mut().transpose_mut(), &t.s[..k]);
                (t.v.as_ref().subcols(0, k) * &coef, t.s, k)
            }
        };
        let residual = bm - am * &x;
        let nrhs = x.ncols();
        let real = |v: f64| T::from_real_impl(&v);
        let mut packed = row_major(x.as_ref());
        packed.extend((0..nrhs).map(|j| real(residual.col(j).iter().map(T::abs2_impl).sum())));
        packed.push(real(k as f64));
        packed.extend(s.iter().map(|&v| real(v)));
        let len = packed.len();
        Ok(T::pack(packed, &[len], out_dtype(a).max(out_dtype(b))))
    }
    if a.dtype() == crate::dtype::DType::C128 || b.dtype() == crate::dtype::DType::C128 {
        run::<c64>(a, b, rcond)
    } else {
        run::<f64>(a, b, rcond)
    }
}

/// `pinv`: the pseudo-inverse `V · diag(1/s) · Uᴴ` through the SVD, singular values at most
/// `rcond` times the largest taken as zero (NumPy's default `rcond` is 1e-15).
pub fn pinv(x: &Array, rcond: f64) -> Result<Array> {
    fn run<T: Field<Real = f64>>(x: &Array, rcond: f64) -> Result<Array> {
        let (m, n) = dims(x, "pinv")?;
        let data = T::view(x);
        let t = truncated(mat_view(&data, false), rcond, "pinv")?;
        let k = t.rank;
        let mut vs = t.v.as_ref().subcols(0, k).to_owned();
        divide_columns(vs.as_mut(), &t.s[..k]);
        let p = vs * t.u.as_ref().subcols(0, k).adjoint();
        Ok(T::pack(row_major(p.as_ref()), &[n, m], out_dtype(x)))
    }
    by_field!(x, run(rcond))
}

/// `eig`: eigenvalues and unit-norm eigenvectors (as columns) of a general matrix, packed
/// `[w | v]` in c128.
pub fn eig(x: &Array, vectors: bool) -> Result<Array> {
    fn run<T: Field<Real = f64>>(x: &Array, vectors: bool) -> Result<Array> {
        let n = order(x, "eig")?;
        let data = T::view(x);
        let a = mat_view(&data, false);
        let mut packed: Vec<c64> = Vec::new();
        if vectors {
            let evd = a.eigen().map_err(|_| no_convergence("eig"))?;
            packed.extend(evd.S().column_vector().iter().copied());
            let mut v = evd.U().to_owned();
            for j in 0..n {
                let norm = v.col(j).iter().map(|z| z.norm_sqr()).sum::<f64>().sqrt();
                if norm > 0.0 {
                    v.as_mut().col_mut(j).iter_mut().for_each(|z| *z /= norm);
                }
            }
            packed.extend(row_major(v.as_ref()));
        } else {
            packed = a.eigenvalues().map_err(|_| no_convergence("eig"))?;
        }
        let len = packed.len();
        Ok(Array::C128(
            ArrayD::from_shape_vec(IxDyn(&[len]), packed).expect("sizes agree"),
        ))
    }
    by_field!(x, run(vectors))
}
