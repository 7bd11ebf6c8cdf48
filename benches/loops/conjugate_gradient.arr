# Matrix-free conjugate gradients for the 2-D Poisson equation (5-point Laplacian), ported
# line for line from conjugate_gradient.py: 256² unknowns, 300 iterations.
let n = 256
fn laplace(v) {
    let out = 4 * v
    out[1:, :] -= v[:-1, :]
    out[:-1, :] -= v[1:, :]
    out[:, 1:] -= v[:, :-1]
    out[:, :-1] -= v[:, 1:]
    out
}
let b = ones(n, n) / (n * n)
let x = zeros(n, n)
let r = b - laplace(x)
let p = r
let rr = sum(r * r)
for it in 0..300 {
    let Ap = laplace(p)
    let alpha = rr / sum(p * Ap)
    x = x + alpha * p
    r = r - alpha * Ap
    let rr_new = sum(r * r)
    p = r + (rr_new / rr) * p
    rr = rr_new
}
print(sum(x), sqrt(rr))
