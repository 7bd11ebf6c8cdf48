"""PolyBench jacobi-2d in NumPy (the original of jacobi2d_2048.arr): 2048², 50 steps."""
import numpy as np

n = 2048
tsteps = 50
i = np.arange(n, dtype=np.float64).reshape(n, 1)
j = np.arange(n, dtype=np.float64).reshape(1, n)
A = i * (j + 2) / n + 2
B = i * (j + 3) / n + 3
for t in range(tsteps):
    B[1:-1, 1:-1] = 0.2 * (A[1:-1, 1:-1] + A[1:-1, :-2] + A[1:-1, 2:] + A[2:, 1:-1] + A[:-2, 1:-1])
    A[1:-1, 1:-1] = 0.2 * (B[1:-1, 1:-1] + B[1:-1, :-2] + B[1:-1, 2:] + B[2:, 1:-1] + B[:-2, 1:-1])
print(repr(A.sum()), repr(B.sum()))
