# PolyBench gramschmidt (modified Gram-Schmidt QR, npbench's NumPy form), ported line for
# line from gramschmidt.py: 600×500.
let M = 600
let N = 500
let A = (reshape(f64(arange(M)), M, 1) * reshape(f64(arange(N)), 1, N) % M) / M * 100.0 + 10.0 * eye(M, N)
let Q = zeros(M, N)
let R = zeros(N, N)
for k in 0..N {
    let nrm = dot(A[:, k], A[:, k])
    R[k, k] = sqrt(nrm)
    Q[:, k] = A[:, k] / R[k, k]
    R[k, k + 1:] = Q[:, k] @ A[:, k + 1:]
    A[:, k + 1:] -= outer(Q[:, k], R[k, k + 1:])
}
print(sum(abs(R)), sum(Q * Q))
