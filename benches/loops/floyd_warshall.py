"""PolyBench floyd-warshall in NumPy (the original of floyd_warshall.arr): 500 nodes."""
import numpy as np

n = 500
i_ = np.arange(n).reshape(n, 1)
j_ = np.arange(n).reshape(1, n)
path = (i_ * j_ % 7 + 1).astype(np.float64)
path = np.where((i_ + j_) % 13 == 0, 999.0, path)
path = np.where((i_ + j_) % 7 == 0, 999.0, path)
path = np.where((i_ + j_) % 11 == 0, 999.0, path)
for k in range(n):
    path = np.minimum(path, path[:, k].reshape(n, 1) + path[k, :].reshape(1, n))
print(repr(path.sum()))
