# Reads that fetch a block of columns of other ranks' rows rather than the rows whole:
# transposes of square and oblong arrays beside reads of the rank's own rows, a slice of a
# transpose, axes swapped in a 3-D array, reversed rows of a column slice. Every rank must
# print exactly what one process prints.
let n = 260
let u = rand(n, n, seed=1)
let w = rand(n, 190, seed=2)
let z = rand(60, 40, 30, seed=3)
let acc = 0.0
for t in 0..5 {
    u = 0.5 * u + 0.25 * u.T + 0.25 * exp(-u.T)
    let q = w.T[0:150, :] + u[0:150, 7:197].T[0:150, 0:150].sum() * 0.0 + t
    let s = swapaxes(z, 0, 1) * 0.5 + t
    let r = u[::-1, 3:193] * 2.0 + w[:, 0:190]
    acc = acc + sum(q) + sum(s[7, :, :]) + sum(r[255, :]) + q[149, 259] + s[39, 59, 29]
    z = z * 0.9 + 0.1 * swapaxes(s, 0, 1)
}
print(acc, sum(u), u[3, 250], sum(z), z[59, 0, 29])
