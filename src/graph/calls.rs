//! Library calls: the operations a graph node hands to `library` as whole steps (linear
//! algebra, FFTs, sorting), with the options that select what they compute.

/// The `ord=` of `norm`, as NumPy reads it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NormOrd {
    /// No `ord`: 2-norm of vectors, Frobenius norm of matrices.
    Default,
    /// `ord="fro"`.
    Fro,
    /// `ord="nuc"`: sum of singular values.
    Nuc,
    /// A number (`1`, `2`, `inf`, `-inf`, `0`, any p for vectors).
    P(f64),
}

/// How much of a QR decomposition `qr` returns (NumPy's `mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QrMode {
    /// `Q` m×k and `R` k×n.
    Reduced,
    /// `Q` m×m and `R` m×n.
    Complete,
    /// `R` k×n alone.
    R,
}

/// Library calls: whole-array operations every backend runs as one step (see `library`).
#[derive(Debug, Clone, PartialEq)]
pub enum LibCall {
    /// Matrix inverse.
    Inv,
    /// Solution of `a @ x = b`.
    Solve,
    /// Determinant.
    Det,
    /// `slogdet`: packed `[sign, log|det|]`.
    Slogdet,
    /// `eigh`: packed `[w (n, ascending) | v (n·n, eigenvectors as columns)]`.
    Eigh,
    /// Eigenvalues of a symmetric matrix, ascending.
    Eigvalsh,
    /// Singular values, descending.
    SingularValues,
    /// `svd`: packed `[U | S | Vh]` (`U` m×m and `Vh` n×n when `full`, else m×k, k×n).
    Svd { full: bool },
    /// `qr`: packed `[Q | R]` (or `R` alone), sized by the mode.
    Qr(QrMode),
    /// Lower-triangular Cholesky factor.
    Cholesky,
    /// `lstsq`: packed `[x | residuals (one per column of b) | rank | s]`.
    Lstsq { rcond: Option<f64> },
    /// Pseudo-inverse, cutting singular values at `rcond` times the largest.
    Pinv { rcond: f64 },
    /// `eig` (c128): packed `[w | v]` with `vectors`, else `w`.
    Eig { vectors: bool },
    /// Vector or matrix norm.
    Norm(NormOrd),
    /// Complex FFT of length `n` along `axis` (inverse divides by `n`).
    Fft {
        inverse: bool,
        n: usize,
        axis: usize,
    },
    /// FFT of real input, `n/2 + 1` outputs along `axis`.
    Rfft { n: usize, axis: usize },
    /// Inverse of `Rfft`, `n` real outputs along `axis`.
    Irfft { n: usize, axis: usize },
    /// Stable sort along `axis`, NaN last.
    Sort { axis: usize },
    /// Indices of a stable sort along `axis`.
    Argsort { axis: usize },
}
