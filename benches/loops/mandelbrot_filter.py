"""Escape-time Mandelbrot filtering escaped points (the original of mandelbrot_filter.arr)."""
import numpy as np

n = 400
xs = np.linspace(-2.0, 1.0, n)
ys = np.linspace(-1.5, 1.5, n)
C = (xs.reshape(1, n) + ys.reshape(n, 1) * 1j).reshape(n * n)
Z = np.zeros(n * n) + 0j
for k in range(80):
    Z = Z * Z + C
    I = abs(Z) <= 2.0
    Z = Z[I]
    C = C[I]
print(len(Z))
