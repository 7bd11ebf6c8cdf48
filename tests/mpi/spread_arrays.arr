# Arrays spread by rows between the ranks (each computes and holds its own block of rows):
# a heat-diffusion stencil (halo rows from the neighbours each step), boundary rows and
# columns, reads across the blocks (a transpose, a reversal, one row of another rank),
# reductions, a mask selection and a matrix product of spread arrays, writes that do not
# follow the rows, and a condition on a spread value. Every rank must print exactly what
# one process prints.
let n = 203
let u = zeros(n, n)
u[n // 4 : n // 2, n // 4 : n // 2] = 1.0
let v = linspace(0.0, 1.0, n * n).reshape(n, n)
for t in 0..40 {
    u[1:-1, 1:-1] = u[1:-1, 1:-1] + 0.1 * (u[2:, 1:-1] + u[:-2, 1:-1] + u[1:-1, 2:] + u[1:-1, :-2] - 4.0 * u[1:-1, 1:-1])
    u[0, :] = u[1, :]
    u[:, -1] = 0.5 * u[:, -2]
    v = 0.5 * v + 0.25 * u.T + 0.25 * v[::-1, :]
}
print(sum(u), sum(v), u[100, 100], v[7, 190])
print(u[n - 1, 50:55], u[60, 40:44])
print(sum(u, axis=1)[95:100], max(v, axis=0)[0:3])
print((u @ v[:, 0:3])[100, :])
print(sum(u[u > 0.01]), len(v[v > 0.5]))
# Writes that do not follow the rows: reversed rows, a transposed block.
let w = rand(n, n, seed=3)
for t in 0..3 {
    w[::-1, :] = w * 0.5 + t
    w[:, 0:50] = w[0:50, :].T + 1.0
}
print(sum(w), w[202, 49], w[3, 100])
# Integers and booleans, one element per row (1-D).
let k = arange(n * n * 2) % 7
for t in 0..5 {
    k = (k * 3 + t) % 11
}
print(sum(k), k[40000:40005], sum(k > 5))
# A condition on a spread value decides alike on every rank.
let h = ones(n, n) * 0.5
let steps = 0
while h[150, 7] < 4.0 {
    h = h * 1.5 + 0.01 * u
    steps = steps + 1
}
print(steps, sum(h))
