# Escape-time Mandelbrot with the escaped points filtered out each step (a mask-filtered
# loop variable), ported line for line from mandelbrot_filter.py: 400×400 points, 80 steps.
let n = 400
let xs = linspace(-2.0, 1.0, n)
let ys = linspace(-1.5, 1.5, n)
let C = reshape(complex(reshape(xs, 1, n) + zeros(n, 1), reshape(ys, n, 1) + zeros(1, n)), n * n)
let Z = zeros(n * n) + complex(0.0, 0.0)
for k in 0..80 {
    Z = Z * Z + C
    let I = abs(Z) <= 2.0
    Z = Z[I]
    C = C[I]
}
print(len(Z))
