# `load` of a large .npy file on several ranks: each reads only its own block of rows (f64,
# i64, f32, bool), the rest of the program running on them as on arrays it computed; a
# small file and a complex one (converted on reading) load whole. `save` returns on every
# rank once rank 0 has written the file. Every rank must print exactly what one process
# prints.
let n = 700
let u = reshape(f64(arange(n * 90)), n, 90) / n
save("loaded_f64.npy", u)
save("loaded_i64.npy", reshape(arange(n * 90), n, 90) * 3 - 7)
save("loaded_f32.npy", f32(u[:, ::-1]))
save("loaded_bool.npy", u > 31.5)
save("loaded_small.npy", u[:5, :7])
save("loaded_c128.npy", complex(u, -u))
let a = load("loaded_f64.npy")
let k = load("loaded_i64.npy")
let f = load("loaded_f32.npy")
let b = load("loaded_bool.npy")
let s = load("loaded_small.npy")
let z = load("loaded_c128.npy")
print(sum(a), sum(k), sum(f), sum(b), s, sum(z))
for t in 0..4 {
    a[1:-1, 1:-1] = 0.25 * (a[2:, 1:-1] + a[:-2, 1:-1] + a[1:-1, 2:] + a[1:-1, :-2]) + f[1:-1, 1:-1]
    k = k // 2 + where(b, 1, 0)
}
print(a)
print(sum(a), k[::101, ::13], a[::-77, 5::20], z[-3:, :2] * 2)
