# A replayed loop whose body holds shared kernels (a Monte Carlo estimate refined each step,
# with draws numbered by the loop variable), and a condition on a shared reduction: every
# rank must take the same branches and print exactly what one process prints.
let n = 100_000
let hits = 0.0
for i in 0..12 {
    let x = rand(n, seed=i)
    let y = rand(n, seed=i + 100)
    hits = hits + sum(x * x + y * y <= 1.0)
    if sum(exp(x)) > 171_850.0 {
        print("high", i)
    }
}
print(4.0 * hits / (12 * n))
let s = 0.0
while s < 3.0e5 {
    s = s + sum(sqrt(rand(n, seed=i64(s) % 17)))
}
print(s)
