# PolyBench fdtd-2d, ported line for line from fdtd2d.py: 500×600 grid, 200 steps.
let tmax = 200
let nx = 500
let ny = 600
let ex = reshape(f64(arange(nx)), nx, 1) * reshape(f64(arange(ny) + 1), 1, ny) / nx
let ey = reshape(f64(arange(nx)), nx, 1) * reshape(f64(arange(ny) + 2), 1, ny) / ny
let hz = reshape(f64(arange(nx)), nx, 1) * reshape(f64(arange(ny) + 3), 1, ny) / nx
let fict = f64(arange(tmax))
for t in 0..tmax {
    ey[0, :] = fict[t]
    ey[1:, :] -= 0.5 * (hz[1:, :] - hz[:-1, :])
    ex[:, 1:] -= 0.5 * (hz[:, 1:] - hz[:, :-1])
    hz[:-1, :-1] -= 0.7 * (ex[:-1, 1:] - ex[:-1, :-1] + ey[1:, :-1] - ey[:-1, :-1])
}
print(sum(ex), sum(ey), sum(hz))
