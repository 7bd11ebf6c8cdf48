"""An ensemble of Lorenz systems with RK4 in NumPy (the original of lorenz_rk4.arr)."""
import numpy as np

m = 10000
sigma = 10.0
rho = 28.0
beta = 8.0 / 3.0
dt = 0.001
x = 1.0 + np.random.default_rng(1).random(m) * 0.01
y = np.ones(m)
z = np.ones(m)
for s in range(2000):
    k1x = sigma * (y - x)
    k1y = x * (rho - z) - y
    k1z = x * y - beta * z
    x2 = x + 0.5 * dt * k1x
    y2 = y + 0.5 * dt * k1y
    z2 = z + 0.5 * dt * k1z
    k2x = sigma * (y2 - x2)
    k2y = x2 * (rho - z2) - y2
    k2z = x2 * y2 - beta * z2
    x3 = x + 0.5 * dt * k2x
    y3 = y + 0.5 * dt * k2y
    z3 = z + 0.5 * dt * k2z
    k3x = sigma * (y3 - x3)
    k3y = x3 * (rho - z3) - y3
    k3z = x3 * y3 - beta * z3
    x4 = x + dt * k3x
    y4 = y + dt * k3y
    z4 = z + dt * k3z
    k4x = sigma * (y4 - x4)
    k4y = x4 * (rho - z4) - y4
    k4z = x4 * y4 - beta * z4
    x = x + dt / 6.0 * (k1x + 2 * k2x + 2 * k3x + k4x)
    y = y + dt / 6.0 * (k1y + 2 * k2y + 2 * k3y + k4y)
    z = z + dt / 6.0 * (k1z + 2 * k2z + 2 * k3z + k4z)
print(repr(x.mean()), repr(y.mean()), repr(z.mean()))
