# Matrix products spread by rows between the ranks (each computes the rows of its own
# block, reading its own rows of a spread left operand and the right operand whole):
# matrix × matrix and matrix × vector products of every dtype, left operands that are
# views (columns, a transpose, shifted rows), products of spread arrays inside a replayed
# loop (power iteration), and results read whole, by rows and in reductions. Every rank
# must print exactly what one process prints.
let m = 301
let k = 190
let n = 170
let a = sin(linspace(0.0, 40.0, m * k).reshape(m, k)) + 0.01
let b = cos(linspace(0.0, 30.0, k * n).reshape(k, n))
let c = a @ b
print(sum(c), c[0, 0:3], c[300, 169], c[150, 80:83])
print(sum(c * c, axis=1)[148:152], max(c, axis=0)[0:2])
# Views as the left operand: columns (same rows), a transpose and shifted rows (gathered).
let d = a[:, 10:180] @ b[10:180, :]
let e = a.T @ c
let f = a[1:, :] @ b
print(sum(d), d[77, 5], sum(e), e[189, 169], sum(f), f[299, 0])
# Matrix × vector, then a kernel reading the whole (spread) result.
let big = cos(linspace(0.0, 90.0, 4001 * 1200).reshape(4001, 1200))
let x = linspace(-1.0, 1.0, 1200)
let y = big @ x
print(sum(y), y[0], y[2000], y[4000], sum(y / max(abs(y))))
# Power iteration: the product of a spread matrix, replayed.
let s = big[:, 0:1200] * 0.5
let v = ones(1200) / 1200.0
for it in 0..6 {
    let w = s.T @ (s @ v)
    v = w / sqrt(sum(w * w))
}
print(sum(v), v[0:3], v[1199])
# Other dtypes.
let af = f32(a)
let bf = f32(b)
print(sum(af @ bf), (af @ bf)[200, 100])
let ai = i64(a * 10.0)
let bi = i64(b * 10.0)
print(sum(ai @ bi), (ai @ bi)[3, 4])
let az = complex(a, 1.0 - a)
let bz = complex(b, 0.5 * b)
let cz = az @ bz
print(sum(cz), cz[250, 10])
# A product whose rows are too few to spread (runs whole on every rank).
let g = a[0:3, :] @ b
print(sum(g), g[2, 7])
