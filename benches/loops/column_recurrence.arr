# A column recurrence (a first-order IIR filter along rows), ported line for line from
# column_recurrence.py: each column from the two before it, 1000×1000.
let x = ones(1000, 1000)
let y = zeros(1000, 1000)
for j in 2..1000 {
    y[:, j] = 0.5 * x[:, j] + 0.25 * y[:, j - 1] + 0.125 * y[:, j - 2]
}
print(sum(y))
