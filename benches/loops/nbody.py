"""Direct-sum n-body with leapfrog in NumPy (the original of nbody.arr): 400 bodies."""
import numpy as np

N = 400
steps = 200
dt = 0.01
soft = 0.1
G = 1.0
rng = np.random.default_rng(17)
pos = rng.standard_normal((N, 3))
vel = rng.standard_normal((N, 3)) * 0.1
mass = 20.0 * np.ones((N, 1)) / N
vel = vel - np.mean(mass * vel, axis=0) / np.mean(mass)


def accel(pos, mass):
    x = pos[:, 0:1]
    y = pos[:, 1:2]
    z = pos[:, 2:3]
    dx = x.T - x
    dy = y.T - y
    dz = z.T - z
    inv_r3 = (dx**2 + dy**2 + dz**2 + soft**2) ** (-1.5)
    ax = G * (dx * inv_r3) @ mass
    ay = G * (dy * inv_r3) @ mass
    az = G * (dz * inv_r3) @ mass
    return np.hstack((ax, ay, az))


acc = accel(pos, mass)
for i in range(steps):
    vel += acc * dt / 2.0
    pos += vel * dt
    acc = accel(pos, mass)
    vel += acc * dt / 2.0
print(repr((pos * pos).sum()), repr((vel * vel).sum()))
