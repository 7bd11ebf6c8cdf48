# Principal component analysis of a noisy 3-D point cloud, written as NumPy code is:
# tuples from numpy.linalg (svd, eigh), None-indexing, masks combined with `&`, histogram.
let n = 2000
let t = randn(n, seed=1)
let s = randn(n, seed=2)
let noise = randn(n, 3, seed=3) * 0.05
# Points near the plane spanned by (1, 2, 2)/3 (long) and (2, -2, 1)/3 (short).
let X = t[:, None] * [1.0, 2.0, 2.0] + 0.3 * s[:, None] * [2.0, -2.0, 1.0] + noise
let Xc = X - mean(X, axis=0)

let (U, S, Vt) = svd(Xc, full_matrices=false)
let explained = S ** 2 / sum(S ** 2)
print("singular values", round(S, 3))
print("explained variance", round(explained, 4))
# The first direction is ±(1, 2, 2)/3 whatever sign the SVD picks.
print("first direction", round(abs(Vt[0]), 2))

# The covariance's eigenvectors agree with the SVD (eigh: ascending eigenvalues).
let (w, v) = eigh(Xc.T @ Xc / (n - 1))
print("eigenvalues match", allclose(w[::-1], S ** 2 / (n - 1)))

# Scores on the first component, and how many fall within one standard deviation.
let scores = Xc @ Vt[0]
let sd = std(scores)
let inside = count_nonzero((scores > -sd) & (scores < sd))
print("within one sd:", format(inside / n, ".1%"))
let (counts, edges) = histogram(scores, bins=8, range=(-4 * sd, 4 * sd))
print("histogram", counts)
print("edges", round(edges / sd, 1))
