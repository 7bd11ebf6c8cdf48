# Tuples (LANGUAGE.md §3, v2): literals, indexing, len, printing, destructuring, functions
# returning tuples, tuples as shapes and axes, and iteration.
let t = (1, [2, 3], "s")
print(t, t[0], t[-1], len(t), t[1:], t[::-1])
print((1,), (), ((1, 2), 3), (None, 2.5))
let (p, q) = (3, 4)
print(p, q)
(p, q) = (q, p)
print(p, q)
let ((a, b), c) = ((1, 2), 3)
print(a, b, c)
fn split_half(x) = (x[:len(x) // 2], x[len(x) // 2:])
let (lo, hi) = split_half(arange(6.0))
print(lo, hi)
let pair = split_half(arange(4))
print(pair)
let z = arange(6).reshape((2, 3))
let (rows, cols) = z.shape
print(rows, cols, zeros((2, 2)), ones((1, 3), dtype=i64))
print(sum(z, axis=(0, 1)), sum(z, axis=None), max(z, axis=(1,)), mean(z, axis=(0, 1), keepdims=true))
print(transpose(reshape(arange(8), (2, 2, 2)), (2, 0, 1))[1])
for v in (1, "two", (3,)) { print(v) }
for row in z { print(row * 10) }
let total = 0
for row in reshape(arange(12.0), 4, 3) { total += sum(row) }
print(total)
# Chained assignment: one value, every target.
let u = 0
let w = zeros(3)
u = w[1] = 5
print(u, w)
let m = 0
let n = 0
m = n = (7, 8)
print(m, n)
print(1, 2, 3, sep=", ", end=" <-\n")
print("a", "b", sep="")
