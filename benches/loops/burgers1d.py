"""Burgers' equation in 1-D in NumPy (the original of burgers1d.arr)."""
import numpy as np

nx = 20001
nt = 2000
dx = 2 * np.pi / (nx - 1)
nu = 0.07
dt = 0.2 * dx**2 / nu
x = np.linspace(0.0, 2 * np.pi, nx)
u = 4 - 2 * nu * (-(x - 4 * 0.0) * np.exp(-(x - 4 * 0.0) ** 2 / (4 * nu)) / (2 * nu)) / np.exp(-(x - 4 * 0.0) ** 2 / (4 * nu)) + 0.0
for n in range(nt):
    un = u.copy()
    u[1:-1] = un[1:-1] - un[1:-1] * dt / dx * (un[1:-1] - un[:-2]) + nu * dt / dx**2 * (un[2:] - 2 * un[1:-1] + un[:-2])
    u[0] = un[0] - un[0] * dt / dx * (un[0] - un[-2]) + nu * dt / dx**2 * (un[1] - 2 * un[0] + un[-2])
    u[-1] = u[0]
print(repr(u.sum()))
