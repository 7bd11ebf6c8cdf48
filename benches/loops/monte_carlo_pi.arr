# Monte Carlo estimate of pi written with `**2`, as a NumPy user writes it
# (monte_carlo_pi.py): 10 estimates of 10^7 draw pairs each.
let n = 10_000_000
let total = 0.0
for k in 0..10 {
    total += 4 * mean(rand(n)**2 + rand(n)**2 <= 1)
}
print(total / 10)
