"""Matrix-free CG for 2-D Poisson in NumPy (the original of conjugate_gradient.arr)."""
import numpy as np

n = 256


def laplace(v):
    out = 4 * v
    out[1:, :] -= v[:-1, :]
    out[:-1, :] -= v[1:, :]
    out[:, 1:] -= v[:, :-1]
    out[:, :-1] -= v[:, 1:]
    return out


b = np.ones((n, n)) / (n * n)
x = np.zeros((n, n))
r = b - laplace(x)
p = r
rr = np.sum(r * r)
for it in range(300):
    Ap = laplace(p)
    alpha = rr / np.sum(p * Ap)
    x = x + alpha * p
    r = r - alpha * Ap
    rr_new = np.sum(r * r)
    p = r + (rr_new / rr) * p
    rr = rr_new
print(repr(x.sum()), repr(np.sqrt(rr)))
