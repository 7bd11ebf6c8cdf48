# Strided reads of arrays spread by rows fetch only the rows (and the elements of each row)
# they read from other ranks: samples of every few rows and columns, reversed, of a 3-D
# array, of a complex one, and a spread update whose region and reads both stride. Every
# rank must print exactly what one process prints.
let n = 420
let u = reshape(f64(arange(n * 300)), n, 300) / 1000
let w = reshape(f64(arange(n * 10 * 30)), n, 10, 30) * 0.5
let z = complex(u, u * 0.25)
for step in 0..3 {
    u[1:-1, 1:-1] = 0.25 * (u[2:, 1:-1] + u[:-2, 1:-1] + u[1:-1, 2:] + u[1:-1, :-2]) + 0.5
    w = w * 0.75 + w[::-1, :, :] * 0.25
    z = z * (1 - 0.5j) + u
    u[2:-2:3, ::5] = u[2:-2:3, ::5] + u[::-3, ::-5][1:, :] * 0.1
}
print(u[::37, ::29])
print(sum(u[::7, ::3]), u[::-41, 1::70])
print(w[::50, ::3, 1::7])
print(z[5::100, ::60], sum(z[::9, 3::11]))
save("strided_sample.npy", u[::8, ::8])
print(sum(load("strided_sample.npy")))
