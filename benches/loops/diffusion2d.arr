# 2-D diffusion (CFDPython step 7, L. Barba), ported line for line from diffusion2d.py:
# 301×301 grid, 500 steps.
let nx = 301
let ny = 301
let nt = 500
let nu = 0.05
let dx = 2 / (nx - 1)
let dy = 2 / (ny - 1)
let sigma = 0.25
let dt = sigma * dx * dy / nu
let u = ones(ny, nx)
u[75:151, 75:151] = 2.0
for n in 0..nt {
    let un = u
    u[1:-1, 1:-1] = (un[1:-1, 1:-1] +
                     nu * dt / dx**2 * (un[1:-1, 2:] - 2 * un[1:-1, 1:-1] + un[1:-1, 0:-2]) +
                     nu * dt / dy**2 * (un[2:, 1:-1] - 2 * un[1:-1, 1:-1] + un[0:-2, 1:-1]))
    u[0, :] = 1.0
    u[-1, :] = 1.0
    u[:, 0] = 1.0
    u[:, -1] = 1.0
}
print(sum(u))
