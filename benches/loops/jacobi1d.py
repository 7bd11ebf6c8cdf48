"""PolyBench jacobi-1d in NumPy (the original of jacobi1d.arr): 10^4 points, 1000 steps."""
import numpy as np

n = 10000
tsteps = 1000
A = (np.arange(n, dtype=np.float64) + 2) / n
B = (np.arange(n, dtype=np.float64) + 3) / n
for t in range(tsteps):
    B[1:-1] = 0.33333 * (A[:-2] + A[1:-1] + A[2:])
    A[1:-1] = 0.33333 * (B[:-2] + B[1:-1] + B[2:])
print(repr(A.sum()), repr(B.sum()))
