"""The 2-D wave equation in NumPy (the original of wave2d.arr): 512^2, 1000 steps."""
import numpy as np

n = 512
steps = 1000
c2 = 0.2
r = np.linspace(-1.0, 1.0, n).reshape(n, 1) ** 2 + np.linspace(-1.0, 1.0, n).reshape(1, n) ** 2
u = np.exp(-100.0 * r)
prev = u
for s in range(steps):
    lap = np.zeros((n, n))
    lap[1:-1, 1:-1] = u[2:, 1:-1] + u[:-2, 1:-1] + u[1:-1, 2:] + u[1:-1, :-2] - 4 * u[1:-1, 1:-1]
    nxt = 2 * u - prev + c2 * lap
    prev = u
    u = nxt
print(repr((u * u).sum()))
