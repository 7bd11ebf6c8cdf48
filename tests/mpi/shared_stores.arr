# Costly elementwise kernels large enough to be shared between MPI ranks (each rank computes
# a contiguous part, then the parts are gathered): transcendentals, random draws, f32 and
# complex results. Every rank count must print exactly what one process prints.
let n = 200_003
let x = rand(n, seed=5)
let z = exp(-x) * sin(3.0 * x) + log1p(x)
print(z[0], z[100_000], z[-1], sum(z[::13]))
let f = f32(cos(x))
print(f[7], f[-7], f.dtype)
let c = complex(cos(x), sin(x))
print(c[1], c[-1])
let u = randint(0, 1000, n, seed=9)
print(u[:5], u[-5:], sum(u))
print(tanh(x)[199_999], atan(x)[12345])
save("mpi_stores.npy", z)
