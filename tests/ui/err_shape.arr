let a = ones(3)
let b = ones(4)
print("computed a:", a)
let c = a + b
print("never printed")
