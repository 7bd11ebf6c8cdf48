"""PolyBench trisolv in NumPy (the original of trisolv.arr): n = 2000."""
import numpy as np

n = 2000
i_ = np.arange(n, dtype=np.float64).reshape(n, 1)
j_ = np.arange(n, dtype=np.float64).reshape(1, n)
L = np.where(j_ <= i_, (i_ + n - j_ + 1) * 2 / n, 0.0)
b = np.arange(n, dtype=np.float64)
x = np.zeros(n)
for i in range(n):
    x[i] = (b[i] - np.dot(L[i, :i], x[:i])) / L[i, i]
print(repr(x.sum()))
