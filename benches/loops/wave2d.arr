# The 2-D wave equation, leapfrog, ported line for line from wave2d.py: 512², 1000 steps.
let n = 512
let steps = 1000
let c2 = 0.2
let r = reshape(linspace(-1.0, 1.0, n), n, 1) ** 2 + reshape(linspace(-1.0, 1.0, n), 1, n) ** 2
let u = exp(-100.0 * r)
let prev = u
for s in 0..steps {
    let lap = zeros(n, n)
    lap[1:-1, 1:-1] = u[2:, 1:-1] + u[:-2, 1:-1] + u[1:-1, 2:] + u[1:-1, :-2] - 4 * u[1:-1, 1:-1]
    let next = 2 * u - prev + c2 * lap
    prev = u
    u = next
}
print(sum(u * u))
