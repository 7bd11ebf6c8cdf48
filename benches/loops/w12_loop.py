"""W12 (`a*b + c` at N = 1000) inside a loop in NumPy (the original of w12_loop.arr)."""
import numpy as np

N = 1000
rng = np.random.default_rng(1)
a, b, c = rng.random(N), rng.random(N), rng.random(N)
d = np.zeros(N)
for k in range(100000):
    d = a * b + c
print(repr(d.sum()))
