# `x[i] = v` writes into x's own array only when nothing else can see the old value.
let a = arange(8.0)
let alias = a
a[0] = 100.0
print(a, alias)

# A lazy value read from `a` keeps the old contents.
let total = sum(a)
let head = a[0:3]
let doubled = a * 2
a[1] = -1.0
print(total, head, doubled)

# The value may read the array it is written into (overlapping regions).
let b = arange(6.0)
b[1:] = b[:-1]
print(b)
b[:-1] += b[1:]
print(b)

# A function's argument is a copy from the caller's point of view.
fn bump(x) {
    x[0] = x[0] + 1000
    return x
}
let c = arange(4)
let d = bump(c)
print(c, d)

# Tuples and lists holding the array see the old value.
let e = ones(3)
let t = (e, 1)
let l = [e]
e[2] = 7.0
print(t[0], l[0], e)

# Casts on the way in, broadcasting over the region, and many updates in a loop whose
# shape changes every iteration (not replayed).
let f = zeros(4, 5)
f[1] = 3
f[:, 2] = 1.5
for k in 1..4 {
    f[k, :k] = f[k - 1, :k] + k
}
print(f)

# A large region is copied in row by row, by all cores.
let big = reshape(arange(90000.0), 300, 300)
big[:, 1:] = big[:, :-1] * 0.5 + 1.0
big[1:, :] -= big[:-1, :]
print(sum(big), big[299, 299], big[0, :3])

# An update that fails leaves the array as it was.
let g = arange(5)
g[1] = 10
print(g)
g[2:4] = ones(3)
