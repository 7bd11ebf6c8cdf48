# Sparse updates (a scatter through an index array each step), ported line for line from
# scatter_update.py: 10^6 values, 2000 steps, each relaxing the same 1000 random positions.
let n = 1000000
let x = rand(n, seed=1)
let idx = randint(1, n - 1, 1000, seed=2)
for k in 0..2000 {
    x[idx] = 0.5 * x[idx] + 0.25 * (x[idx - 1] + x[idx + 1])
}
print(sum(x))
