# PolyBench trisolv (forward substitution), ported line for line from trisolv.py: n = 2000.
let n = 2000
let i_ = reshape(f64(arange(n)), n, 1)
let j_ = reshape(f64(arange(n)), 1, n)
let L = where(j_ <= i_, (i_ + n - j_ + 1) * 2 / n, 0.0)
let b = f64(arange(n))
let x = zeros(n)
for i in 0..n {
    x[i] = (b[i] - dot(L[i, :i], x[:i])) / L[i, i]
}
print(sum(x))
