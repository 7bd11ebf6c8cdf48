# Power iteration for the dominant eigenvalue, ported line for line from power_iteration.py:
# a 1000×1000 matrix, 500 iterations.
let n = 1000
let A = rand(n, n, seed=3)
A = (A + transpose(A)) / 2
let x = ones(n)
let lam = 0.0
for it in 0..500 {
    let y = A @ x
    lam = dot(x, y) / dot(x, x)
    x = y / norm(y)
}
print(lam)
