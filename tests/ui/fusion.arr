# Fused kernels: random draws read through views (reversed, strided, odd starts,
# transposed), reductions over blocks of the fixed tree, updates in loops, and
# transcendentals — on cpu every line must print exactly what the interpreter prints.
let r = rand(10001, seed=5)
print(r[::-1][:3], r[9998:], r[1::2][:3])
print(sum(rand(100001, seed=2) < 0.5), mean(randn(20001, seed=3)))
let m = rand(300, 7, seed=3)
print(m.T[2, :4], sum(m, axis=0)[:3], max(m, axis=1)[-2:])
print(randn(5, seed=1)[1:4], randint(0, 10, 9, seed=4)[::-2])
let x = linspace(-30, 30, 9001)
print(sum(exp(x)), sum(sin(x * 1e3)), sum(cos(x)), sum(log1p(abs(x))), sum(log(abs(x) + 1e-300)))
print(exp(-745.2), exp(709.8), exp(-708.5), sin(1e6), cos(-3e5), log(5e-324), log1p(-1.0))
let u = zeros(50, 40)
for step in 0..40 {
  u[1:-1, 1:-1] = u[1:-1, 1:-1] + 0.1 * (u[:-2, 1:-1] + u[2:, 1:-1] - 2 * u[1:-1, 1:-1]) + 1.0
  u[0, :] = step
}
print(sum(u), u[0, :3], u[25, 20])
let v = arange(20000) * 1.0
v[::3] = -v[::3]
print(sum(v), prod(v[1:4]), min(v), argmax(v), any(v > 19990), all(v < 20000))
let w = rand(5000, 40, seed=9)
print(sum(w, axis=0)[:3], mean(w, axis=0)[-2:], max(w * 2 - 1, axis=0)[:2], sum(w[::-1, ::2] > 0.5, axis=0)[:4])
print(sum(reshape(w, 50, 100, 40), axis=1)[7, :3], prod(w[:30] + 0.5, axis=0)[:2])
# complex() is fused: a grid built from broadcast parts, filtered by a mask each step.
let c = reshape(complex(reshape(linspace(-2, 1, 60), 1, 60) + zeros(50, 1), reshape(linspace(-1.5, 1.5, 50), 50, 1) + zeros(1, 60)), 3000)
let z = zeros(3000) + complex(0.0, 0.0)
for k in 0..8 {
  z = z * z + c
  let keep = abs(z) <= 2.0
  z = z[keep]
  c = c[keep]
}
print(len(z), sum(real(z)), sum(imag(c)), z[:2])
print(complex(-0.0, inf), complex(real(c[:2]), -0.0), complex(3, arange(3) * 0.5) * complex(1.5, -2.0))
