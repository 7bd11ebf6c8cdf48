# An error raised by a replayed iteration points at the line that caused it.
let m = eye(2)
let acc = zeros(2, 2)
for i in 0..8 {
    m = m - eye(2) * 0.25
    acc = acc + inv(m)
}
print(acc)
