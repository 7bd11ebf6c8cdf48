# A complex array spread by rows: its kernels read each element as two f64 parts, so a
# read's rows count parts (once taken for elements, rows far past the array's end were
# asked for and never came: observing another rank's rows printed zeros). Stencils along
# both axes, a strided update reading a transpose, a reduction and strided observations.
let c = reshape(arange(48000) * 1j + arange(48000) * 0.5, 1200, 40)
for step in 0..4 {
    c[1:-1, :] = 0.5 * (c[2:, :] + c[:-2, :]) * (1 + 0.25j)
    c[:, 1:-1] = 0.5 * (c[:, 2:] + c[:, :-2]) - 1j
    c[3:-3:2, ::3] = c[3:-3:2, ::3] + c.T[::3, 2:1196:2].T
}
print(c)
print(sum(c), c[::97, ::7])
