# Printing what a loop leaves on a device (a GPU's resident state, MPI's spread rows):
# only the elements shown are brought back, and they print as a host array's would.
let u = reshape(f64(arange(36000)), 40, 30, 30) / 7
let c = zeros(1200, 40) + 1j
let k = reshape(arange(48000), 1200, 40)
let f = f32(reshape(arange(48000), 1200, 40)) * 0.3
for step in 0..3 {
    u[1:-1, :, :] = 0.5 * (u[2:, :, :] + u[:-2, :, :]) + step
    c = c * (1 + 0.5j) - u[0, 0, 0]
    k = k * 3 - step
    f = f * 1.5 + 1
}
print(u)
print(u.T)
print(u[:, 1, ::2])
print(c, k)
print(f, k > 1000)
print(f64(k[::7]))
printoptions(edgeitems=1)
print(u)
print(k)
printoptions(threshold=100000)
print(k[:30])
printoptions()
