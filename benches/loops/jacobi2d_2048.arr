# PolyBench jacobi-2d, ported line for line from jacobi2d_2048.py: 2048², 50 steps.
let n = 2048
let tsteps = 50
let i = reshape(f64(arange(n)), n, 1)
let j = reshape(f64(arange(n)), 1, n)
let A = i * (j + 2) / n + 2
let B = i * (j + 3) / n + 3
for t in 0..tsteps {
    B[1:-1, 1:-1] = 0.2 * (A[1:-1, 1:-1] + A[1:-1, :-2] + A[1:-1, 2:] + A[2:, 1:-1] + A[:-2, 1:-1])
    A[1:-1, 1:-1] = 0.2 * (B[1:-1, 1:-1] + B[1:-1, :-2] + B[1:-1, 2:] + B[2:, 1:-1] + B[:-2, 1:-1])
}
print(sum(A), sum(B))
