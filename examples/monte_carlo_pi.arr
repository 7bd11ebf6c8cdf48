# Monte Carlo estimate of pi: the fraction of random points in the unit square that land
# inside the quarter circle is pi/4. Shows: counter-based random numbers (the same
# numbers on every backend and thread count) and a fused reduction.
let n = 2000000
let x = rand(n, seed=1)
let y = rand(n, seed=2)
let estimate = 4 * mean(x * x + y * y <= 1)
print("pi is about", estimate, "with", n, "points; error", abs(estimate - pi))
