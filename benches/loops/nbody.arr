# Direct-sum gravitational n-body with leapfrog steps (the Python n-body tutorial's NumPy
# version), ported line for line from nbody.py: 400 bodies, 200 steps.
let N = 400
let steps = 200
let dt = 0.01
let soft = 0.1
let G = 1.0
let pos = randn(N, 3, seed=17)
let vel = randn(N, 3, seed=18) * 0.1
let mass = 20.0 * ones(N, 1) / N
vel = vel - mean(mass * vel, axis=0) / mean(mass)

fn accel(pos, mass) {
    let x = pos[:, 0:1]
    let y = pos[:, 1:2]
    let z = pos[:, 2:3]
    let dx = transpose(x) - x
    let dy = transpose(y) - y
    let dz = transpose(z) - z
    let inv_r3 = (dx**2 + dy**2 + dz**2 + soft**2) ** (-1.5)
    let ax = G * (dx * inv_r3) @ mass
    let ay = G * (dy * inv_r3) @ mass
    let az = G * (dz * inv_r3) @ mass
    concat([ax, ay, az], axis=1)
}

let acc = accel(pos, mass)
for i in 0..steps {
    vel += acc * dt / 2.0
    pos += vel * dt
    acc = accel(pos, mass)
    vel += acc * dt / 2.0
}
print(sum(pos * pos), sum(vel * vel))
