# PolyBench durbin (Levinson-Durbin recursion), ported line for line from durbin.py: n = 2000.
let n = 2000
let r = (f64(n + 1) - f64(arange(n))) / (n * 100.0)
let y = zeros(n)
let z = zeros(n)
let alpha = -r[0]
let beta = 1.0
y[0] = -r[0]
for k in 1..n {
    beta = (1 - alpha * alpha) * beta
    alpha = -(r[k] + dot(flip(r[:k]), y[:k])) / beta
    z[:k] = y[:k] + alpha * flip(y[:k])
    y[:k] = z[:k]
    y[k] = alpha
}
print(sum(y))
