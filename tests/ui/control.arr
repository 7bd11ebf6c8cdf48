# if/else-if/else as statement and expression, for with steps, while, break, continue.
for i in 0..10 {
    if i % 2 == 0 { continue }
    if i > 7 { break }
    print(i)
}
for i in 10..0..-4 { print("down", i) }
let n = 0
while true {
    n += 1
    if n >= 5 { break }
}
let kind = if n > 10 { "big" } else if n > 3 { "medium" } else { "small" }
print(n, kind)
let x = 0.0
for k in 0..3 {
    let x = 100        # shadows inside the block only
    print(x)
}
for k in 0..3 { x += k }
print(x)
let s = if sum([1, 2]) == 3 { 1.5 } else { 2.5 }
print(s + 1)
