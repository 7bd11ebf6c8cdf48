# Laziness (§9): unused values are not computed, deep loops stay bounded, eval forces.
let unused = ones(100000000)    # 800 MB, never observed: never allocated
let x = zeros(1000)
for i in 0..20000 { x = x + 1.0 }
print(x[:3], sum(x))
let y = eval(arange(3) * 2)
print(y)
explain(ones(3) * 2 + arange(3))
