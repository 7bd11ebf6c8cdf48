# A broadcasting tour: NumPy's rules (align trailing dimensions, 1 stretches), weak
# literal scalars that keep an array's dtype, and true vs floor division.
let col = reshape(arange(3), 3, 1)      # shape (3, 1)
let row = arange(4)                     # shape (4,)
print("col + row has shape", (col + row).shape)
print(col * 10 + row)

let x32 = f32([1.5, 2.5])
print("f32 times a literal stays", (x32 * 2.0).dtype)
print("i64 times a literal float is", (arange(3) * 2.0).dtype)
print("true division of integers:", arange(5) / 2)
print("floor division and modulo:", arange(-3, 4) // 2, arange(-3, 4) % 3)

# Outer products by broadcasting, and an explicit comparison table.
let table = expand_dims(arange(1, 6), 1) * arange(1, 6)
print("multiplication table:")
print(table)
print("which products are even:")
print(table % 2 == 0)
