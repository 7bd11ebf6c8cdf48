# Burgers' equation in 1-D (CFDPython step 4, L. Barba), ported line for line from
# burgers1d.py: 20,001 points, 2000 steps.
let nx = 20001
let nt = 2000
let dx = 2 * 3.141592653589793 / (nx - 1)
let nu = 0.07
let dt = 0.2 * dx**2 / nu
let x = linspace(0.0, 2 * 3.141592653589793, nx)
let u = 4 - 2 * nu * (-(x - 4 * 0.0) * exp(-(x - 4 * 0.0) ** 2 / (4 * nu)) / (2 * nu)) / exp(-(x - 4 * 0.0) ** 2 / (4 * nu)) + 0.0
for n in 0..nt {
    let un = u
    u[1:-1] = un[1:-1] - un[1:-1] * dt / dx * (un[1:-1] - un[:-2]) + nu * dt / dx**2 * (un[2:] - 2 * un[1:-1] + un[:-2])
    u[0] = un[0] - un[0] * dt / dx * (un[0] - un[-2]) + nu * dt / dx**2 * (un[1] - 2 * un[0] + un[-2])
    u[-1] = u[0]
}
print(sum(u))
