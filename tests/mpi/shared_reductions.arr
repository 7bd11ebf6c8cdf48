# Reductions large enough to be shared between MPI ranks: whole sums, means, minima and
# maxima, axis reductions by rows and by columns, bool and integer accumulators. Every
# rank count must print exactly what one process prints.
let n = 300_001
let x = rand(n, seed=1)
let y = randn(n, seed=2)
print(sum(x), mean(y), min(y), max(x), prod(1.0 + x / n))
print(sum(x * y), sum(exp(-x) * sin(3.0 * y)))
print(any(x > 0.999999), all(x >= 0.0), sum(x < 0.5))
print(sum(arange(n) % 7))
let m = reshape(x[:300_000], 600, 500)
print(sum(m, axis=1)[:3], sum(m, axis=1)[-2:])
print(sum(m, axis=0)[:3], max(m, axis=1)[597:])
print(mean(reshape(y[:300_000], 3000, 100), axis=1)[2990:])
