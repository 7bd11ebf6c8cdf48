# An ensemble of 10,000 Lorenz systems integrated with classical RK4, ported line for line
# from lorenz_rk4.py: 2000 steps.
let m = 10000
let sigma = 10.0
let rho = 28.0
let beta = 8.0 / 3.0
let dt = 0.001
let x = 1.0 + rand(m, seed=1) * 0.01
let y = ones(m)
let z = ones(m)
for s in 0..2000 {
    let k1x = sigma * (y - x)
    let k1y = x * (rho - z) - y
    let k1z = x * y - beta * z
    let x2 = x + 0.5 * dt * k1x
    let y2 = y + 0.5 * dt * k1y
    let z2 = z + 0.5 * dt * k1z
    let k2x = sigma * (y2 - x2)
    let k2y = x2 * (rho - z2) - y2
    let k2z = x2 * y2 - beta * z2
    let x3 = x + 0.5 * dt * k2x
    let y3 = y + 0.5 * dt * k2y
    let z3 = z + 0.5 * dt * k2z
    let k3x = sigma * (y3 - x3)
    let k3y = x3 * (rho - z3) - y3
    let k3z = x3 * y3 - beta * z3
    let x4 = x + dt * k3x
    let y4 = y + dt * k3y
    let z4 = z + dt * k3z
    let k4x = sigma * (y4 - x4)
    let k4y = x4 * (rho - z4) - y4
    let k4z = x4 * y4 - beta * z4
    x = x + dt / 6.0 * (k1x + 2 * k2x + 2 * k3x + k4x)
    y = y + dt / 6.0 * (k1y + 2 * k2y + 2 * k3y + k4y)
    z = z + dt / 6.0 * (k1z + 2 * k2z + 2 * k3z + k4z)
}
print(mean(x), mean(y), mean(z))
