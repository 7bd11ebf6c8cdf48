"""Power iteration in NumPy (the original of power_iteration.arr): 1000x1000, 500 steps."""
import numpy as np

n = 1000
A = np.random.default_rng(3).random((n, n))
A = (A + A.T) / 2
x = np.ones(n)
lam = 0.0
for it in range(500):
    y = A @ x
    lam = np.dot(x, y) / np.dot(x, x)
    x = y / np.linalg.norm(y)
print(repr(lam))
