"""Sparse updates in NumPy (the original of scatter_update.arr): 10^6 values, 2000 steps,
each relaxing the same 1000 random positions towards their neighbours."""
import numpy as np

n = 1_000_000
x = np.random.default_rng(1).random(n)
idx = np.random.default_rng(2).integers(1, n - 1, 1000)
for k in range(2000):
    x[idx] = 0.5 * x[idx] + 0.25 * (x[idx - 1] + x[idx + 1])
print(repr(x.sum()))
