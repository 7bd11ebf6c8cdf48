# Values nothing observes yet stay spread between the ranks (each its own rows): a loop's
# starting state computed lazily (draws, a reshape of a linspace) and updated by programs
# before the loop reads it (a region set to a constant, a stencil), a spread array updated
# again after its loop (by a lazy value, and a region by a constant), aliases of one
# starting state, and a graph settled between statements of a loop that is not replayed.
# Every rank must print exactly what one process prints.
let n = 211
let u = rand(n, n, seed=5)
u[n // 4 : n // 2, 3:9] = 1.0
u[1:-1, 1:-1] = 0.5 * u[1:-1, 1:-1] + 0.125 * (u[2:, 1:-1] + u[:-2, 1:-1] + u[1:-1, 2:] + u[1:-1, :-2])
let v = linspace(-1.0, 1.0, n * n).reshape(n, n) * 2.0
let a = v
for t in 0..30 {
    u[1:-1, 1:-1] = u[1:-1, 1:-1] + 0.1 * (u[2:, 1:-1] + u[:-2, 1:-1] + u[1:-1, 2:] + u[1:-1, :-2] - 4.0 * u[1:-1, 1:-1])
    v = 0.5 * v + 0.25 * u + 0.25 * a[::-1, :]
}
print(sum(u), sum(v), sum(a), u[100, 100], v[7, 190], a[3, 4])
u[1:-1, 1:-1] = u[1:-1, 1:-1] * 2.0 + v[1:-1, 1:-1]
print(sum(u), u[0, 0:3], u[n - 1, 100], u[105, 105])
v[150:160, :] = -1.0
print(sum(v), v[155, 0:2], v[149, 7])
let w = exp(-v * v)
for t in 0..3 {
    if t == 1 {
        print(t)
    }
    w = w * 0.5 + sin(w) * 0.5
}
print(sum(w), w[200, 3])
