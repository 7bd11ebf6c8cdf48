# Netflix-style matrix factorisation by alternating least squares: recover a rank-3
# "ratings" matrix from its product form. Shows: solve() inside a loop, matrix algebra,
# and the relative error falling sweep by sweep.
let users = 60
let items = 40
let rank = 3
let R = randn(users, rank, seed=1) @ randn(rank, items, seed=2)   # the true low-rank ratings
let U = randn(users, rank, seed=3)
let V = randn(items, rank, seed=4)
let lam = 1e-3
let I = eye(rank)

for sweep in 0..8 {
    # Fix V, solve for U; then fix U, solve for V (ridge-regularised normal equations).
    U = transpose(solve(V.T @ V + lam * I, V.T @ R.T))
    V = transpose(solve(U.T @ U + lam * I, U.T @ R))
    let err = norm(R - U @ V.T) / norm(R)
    print("sweep", sweep, "relative error", round(err * 1e6) / 1e6)
}
