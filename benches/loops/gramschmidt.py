"""PolyBench gramschmidt in NumPy (npbench's form; the original of gramschmidt.arr)."""
import numpy as np

M = 600
N = 500
A = (np.arange(M, dtype=np.float64).reshape(M, 1) * np.arange(N, dtype=np.float64).reshape(1, N) % M) / M * 100.0 + 10.0 * np.eye(M, N)
Q = np.zeros((M, N))
R = np.zeros((N, N))
for k in range(N):
    nrm = np.dot(A[:, k], A[:, k])
    R[k, k] = np.sqrt(nrm)
    Q[:, k] = A[:, k] / R[k, k]
    R[k, k + 1:] = Q[:, k] @ A[:, k + 1:]
    A[:, k + 1:] -= np.outer(Q[:, k], R[k, k + 1:])
print(repr(np.abs(R).sum()), repr((Q * Q).sum()))
