# W12 (`a*b + c` at N = 1000) as a statement inside a loop (w12_loop.py): 100,000 iterations.
let N = 1000
let a = rand(N, seed=1)
let b = rand(N, seed=2)
let c = rand(N, seed=3)
let d = zeros(N)
for k in 0..100000 {
    d = a * b + c
}
print(sum(d))
