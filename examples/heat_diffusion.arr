# 2-D heat diffusion: explicit finite differences on a square plate.
# Shows: indexed functional update (`u[1:-1, 1:-1] = ...`) inside a loop, slicing with
# negative bounds, and that a long time-stepping loop runs in bounded memory.
let n = 64
let alpha = 0.2
let u = zeros(n, n)
u[n // 2 - 4:n // 2 + 4, n // 2 - 4:n // 2 + 4] = 100.0   # a hot square in the middle
let total0 = sum(u)

for step in 0..200 {
    let lap = u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2] + u[1:-1, 2:] - 4 * u[1:-1, 1:-1]
    u[1:-1, 1:-1] = u[1:-1, 1:-1] + alpha * lap
}

print("peak temperature:", max(u))
print("heat kept inside the plate:", sum(u) / total0)
print("centre row, every 8th cell:", u[n // 2, ::8])
assert(max(u) < 100.0, "heat must spread out")
