# Loops whose bodies are recorded once and replayed; the output must be what tracing every
# iteration prints (the UI harness runs this with replay off, on, and on cpu).

# A stencil with boundary updates, inside a function with an inner loop (a Poisson solve).
fn relax(p, b, sweeps) {
    for q in 0..sweeps {
        let pn = p
        p[1:-1, 1:-1] = 0.25 * (pn[1:-1, 2:] + pn[1:-1, :-2] + pn[2:, 1:-1] + pn[:-2, 1:-1]) - b[1:-1, 1:-1]
        p[:, -1] = p[:, -2]
        p[0, :] = p[1, :]
        p[:, 0] = p[:, 1]
        p[-1, :] = 0
    }
    p
}
let p = zeros(6, 7)
let b = reshape(f64(arange(42)), 6, 7) / 100
for step in 0..5 {
    p = relax(p, b, 4)
    b = b * 0.9 + 0.01
}
print(p)

# The loop variable and a carried scalar as parameters; a guarded constant.
let dt = 0.5
let t = 0.0
let acc = zeros(4)
for i in 0..8 {
    t = t + dt
    acc = acc + i * t + arange(4) ** 2
}
print(t, acc)

# A shape that changes between iterations: recorded again, or traced.
let grow = ones(1)
for i in 0..7 {
    grow = concat([grow, grow[-1:] * 2])
}
print(grow)

# A branch taken on one iteration only.
let y = ones(3)
for i in 0..9 {
    if i == 5 {
        y = y * 10
    }
    y = y + 1
}
print(y)

# A guarded constant that the body changes on one iteration.
let scale = 2.0
let z = ones(2)
for i in 0..6 {
    z = z * scale
    scale = if i == 3 { 0.5 } else { scale }
}
print(z, scale)

# While loops, draws with a seed= that changes and without seed= (both replay: the seed, or
# the draw count, is an argument of the program), printing inside a loop.
let k = 0
let w = zeros(3)
while k < 6 {
    w = w + rand(3, seed=k)
    k += 1
}
print(w)
let v = zeros(2)
for i in 0..4 {
    v = v + rand(2)
}
print(v)
for i in 0..4 {
    print("step", i, sum(w) * i)
}

# Integer powers, strength-reduced, in and out of loops.
let m = arange(5)
for i in 0..4 {
    m = m ** 2 % 7 + m ** 0 + m ** 1
}
print(m, f64(arange(4)) ** -2, f64(arange(4)) ** 0.5, f32(arange(3)) ** 3)

# The loop variable as an index: positions are arguments of the program, and an update
# whose reads never meet its writes runs in place (an alias made before the loop keeps its
# value).
let col = zeros(4, 6)
col[:, 0] = 1.0
let before = col
for j in 1..6 {
    col[:, j] = col[:, j - 1] * 2.0 + j
}
print(col, before)
let wrap = arange(8.0)
for i in 0..8 {
    wrap[i - 1] = wrap[i - 1] + wrap[i]
}
print(wrap)
let grid = zeros(3, 4)
for i in 0..3 {
    for k in 0..4 {
        grid[i, k] = i * 10 + k
    }
}
print(grid)
let rows = reshape(arange(20.0), 4, 5)
for i in 0..4 {
    rows[i, :] = rows[i, :] / rows[i, i + 1]
}
print(rows)
let dotted = 0.0
let ramp = arange(10.0)
for i in 0..10 {
    dotted = dotted + ramp[i] * ramp[9 - i]
}
print(dotted)

# Levinson–Durbin (PolyBench durbin): a family whose vector loops read a row backwards
# (`flip(y[:k])`) and broadcast a 0-d parameter (`alpha`) along it, odd and even lengths;
# the dot product reads a reversed view in place.
let rr = (101.0 - arange(40)) / 4000.0
let yy = zeros(40)
let zz = zeros(40)
let al = -rr[0]
let be = 1.0
yy[0] = -rr[0]
for k in 1..40 {
  be = (1 - al * al) * be
  al = -(rr[k] + dot(flip(rr[:k]), yy[:k])) / be
  zz[:k] = yy[:k] + al * flip(yy[:k])
  yy[:k] = zz[:k]
  yy[k] = al
}
print(sum(yy), yy[:3], yy[-2:], be)
let g2 = reshape(arange(35) * 0.25, 5, 7)
print(g2[:, ::-1] * 2.0 + reshape(arange(5) * 1.0, 5, 1), flip(g2, axis=1)[1:3, 2:] - g2[1:3, :5])
