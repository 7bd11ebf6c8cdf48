"""PolyBench fdtd-2d in NumPy (the original of fdtd2d.arr): 500x600 grid, 200 steps."""
import numpy as np

tmax = 200
nx = 500
ny = 600
ex = np.arange(nx, dtype=np.float64).reshape(nx, 1) * (np.arange(ny) + 1.0).reshape(1, ny) / nx
ey = np.arange(nx, dtype=np.float64).reshape(nx, 1) * (np.arange(ny) + 2.0).reshape(1, ny) / ny
hz = np.arange(nx, dtype=np.float64).reshape(nx, 1) * (np.arange(ny) + 3.0).reshape(1, ny) / nx
fict = np.arange(tmax, dtype=np.float64)
for t in range(tmax):
    ey[0, :] = fict[t]
    ey[1:, :] -= 0.5 * (hz[1:, :] - hz[:-1, :])
    ex[:, 1:] -= 0.5 * (hz[:, 1:] - hz[:, :-1])
    hz[:-1, :-1] -= 0.7 * (ex[:-1, 1:] - ex[:-1, :-1] + ey[1:, :-1] - ey[:-1, :-1])
print(repr(ex.sum()), repr(ey.sum()), repr(hz.sum()))
