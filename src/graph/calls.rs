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

impl std::fmt::Display for NormOrd {
    /// As a user writes it: `None`, `'fro'`, `'nuc'`, `1`, `inf`, `0.5`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NormOrd::Default => write!(f, "None"),
            NormOrd::Fro => write!(f, "'fro'"),
            NormOrd::Nuc => write!(f, "'nuc'"),
            NormOrd::P(p) if p.fract() == 0.0 && p.abs() < 1e15 => write!(f, "{}", *p as i64),
            NormOrd::P(p) => write!(f, "{p}"),
        }
    }
}

impl LibCall {
    /// Whether the call applies to a stack of matrices one matrix at a time (NumPy's
    /// batching of `numpy.linalg` over leading axes): the result gains the stack's axes.
    pub fn batches(&self) -> bool {
        matches!(
            self,
            LibCall::Inv
                | LibCall::Det
                | LibCall::Slogdet
                | LibCall::Eigh
                | LibCall::Eigvalsh
                | LibCall::SingularValues
                | LibCall::Svd { .. }
                | LibCall::Qr(_)
                | LibCall::Cholesky
                | LibCall::Pinv { .. }
                | LibCall::Eig { .. }
        )
    }
}

/// Which direction of an FFT is scaled (NumPy's `norm=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FftNorm {
    /// The inverse divides by `n` (NumPy's default).
    Backward,
    /// Both directions divide by `sqrt(n)`.
    Ortho,
    /// The forward transform divides by `n`.
    Forward,
}

impl FftNorm {
    /// NumPy's name for it (`None` means `"backward"`), or `None` for an unknown name.
    pub fn parse(name: Option<&str>) -> Option<FftNorm> {
        Some(match name {
            None | Some("backward") => FftNorm::Backward,
            Some("ortho") => FftNorm::Ortho,
            Some("forward") => FftNorm::Forward,
            Some(_) => return None,
        })
    }

    /// The factor a transform of length `n` multiplies its outputs by (`None`: none).
    pub fn factor(self, inverse: bool, n: usize) -> Option<f64> {
        match (self, inverse) {
            (FftNorm::Backward, false) | (FftNorm::Forward, true) => None,
            (FftNorm::Ortho, _) => Some(1.0 / (n as f64).sqrt()),
            _ => Some(1.0 / n as f64),
        }
    }
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
        norm: FftNorm,
    },
    /// FFT of real input, `n/2 + 1` outputs along `axis`.
    Rfft {
        n: usize,
        axis: usize,
        norm: FftNorm,
    },
    /// Inverse of `Rfft`, `n` real outputs along `axis`.
    Irfft {
        n: usize,
        axis: usize,
        norm: FftNorm,
    },
    /// Stable sort along `axis`, NaN last.
    Sort { axis: usize },
    /// Indices of a stable sort along `axis`.
    Argsort { axis: usize },
    /// `searchsorted(a, v)`: insertion positions of `v`'s elements in sorted 1-D `a`.
    SearchSorted { right: bool },
    /// `interp(x, xp, fp, left, right)`: piecewise-linear interpolation (f64).
    Interp,
    /// `bincount(x[, weights])`: counts (or weight sums, f64) of the values `0..len`.
    Bincount { len: usize },
    /// `histogram(x, lo, hi[, weights])` over `bins` equal bins: packed `[counts | edges]`.
    Histogram { bins: usize },
    /// `histogram(x, edges[, weights])`: counts per bin between given edges.
    HistogramEdges,
    /// `convolve(a, v)` of 1-D arrays, the part `mode` keeps.
    Convolve(ConvolveMode),
}

/// What part of the full discrete convolution `convolve` keeps (NumPy's `mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConvolveMode {
    /// Every overlap: `n + m - 1` values.
    Full,
    /// `max(n, m)` values, centred.
    Same,
    /// Only full overlaps: `max(n, m) - min(n, m) + 1` values.
    Valid,
}

impl ConvolveMode {
    /// The result length for inputs of lengths `n` and `m` (both non-zero).
    pub fn len(self, n: usize, m: usize) -> usize {
        match self {
            ConvolveMode::Full => n + m - 1,
            ConvolveMode::Same => n.max(m),
            ConvolveMode::Valid => n.max(m) - n.min(m) + 1,
        }
    }
}
