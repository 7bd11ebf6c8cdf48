# PolyBench jacobi-1d, ported line for line from jacobi1d.py: 10^4 points, 1000 steps.
let n = 10000
let tsteps = 1000
let A = (f64(arange(n)) + 2) / n
let B = (f64(arange(n)) + 3) / n
for t in 0..tsteps {
    B[1:-1] = 0.33333 * (A[:-2] + A[1:-1] + A[2:])
    A[1:-1] = 0.33333 * (B[:-2] + B[1:-1] + B[2:])
}
print(sum(A), sum(B))
