"""PolyBench durbin in NumPy (the original of durbin.arr): n = 2000."""
import numpy as np

n = 2000
r = (float(n + 1) - np.arange(n, dtype=np.float64)) / (n * 100.0)
y = np.zeros(n)
z = np.zeros(n)
alpha = -r[0]
beta = 1.0
y[0] = -r[0]
for k in range(1, n):
    beta = (1 - alpha * alpha) * beta
    alpha = -(r[k] + np.dot(np.flip(r[:k]), y[:k])) / beta
    z[:k] = y[:k] + alpha * np.flip(y[:k])
    y[:k] = z[:k]
    y[k] = alpha
print(repr(y.sum()))
