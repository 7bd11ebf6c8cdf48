# An index on the loop variable goes out of bounds on a replayed iteration: the error names
# the statement, and the statements before it in that iteration took effect.
let v = zeros(8)
let y = ones(2, 8)
for i in 0..10 {
    y[:, i] = y[:, i] * 3.0
    v[i + 5] = v[i] + 1.0
}
