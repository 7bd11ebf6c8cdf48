"""Monte Carlo pi with `**2` in NumPy (the original of monte_carlo_pi.arr)."""
import numpy as np

rng = np.random.default_rng(0)
n = 10_000_000
total = 0.0
for k in range(10):
    total += 4 * np.mean(rng.random(n)**2 + rng.random(n)**2 <= 1)
print(total / 10)
