# Bitwise operators, literals and None/... indexing (LANGUAGE.md §1, §3, v2).
let a = [1, 2, 12, -7]
print(a & 6, a | 1, a ^ 3, a << 2, a >> 1, ~a)
print(5 << 64, -8 >> 70, 1 << 63, 3 | 4 ^ 1 & 7)
let x = [0.5, -1.0, 2.0]
print((x > 0) & (x < 1), (x > 0) | (x < -0.5), (x > 0) ^ (x < 1), ~(x > 0))
print(x[(x > 0) & (x < 1)], sum((x > -2) & ~(x > 1)))
print(0xFF, 0o17, 0b1011, 0x_dead_beef, 1_000)
print(1 + 2j, 2j * 2j, 1.5j, 1e-3j, abs(3 + 4j), (2j).dtype)
print((-0.5 + 0j) ** 2, (1 + 1j) ** 8, (1 + 2j) ** -1, (1 + 2j) / (3 - 4j))
let k = 5
k //= 2
k **= 3
k <<= 1
k |= 1
k ^= 3
k &= 0xF
k >>= 1
k %= 4
print(k)
let z = reshape(arange(6), 2, 3)
print(z[:, None].shape, z[None].shape, z[..., 0], z[None, ..., None].shape, z[newaxis, 1])
print(z[..., None, 1], z[1, ...], z[...], z[[1, 0], None].shape, z[None, :, [2, 0]].shape)
z[:, None, 0] = [[10], [20]]
z[..., -1] = -1
print(z)
print(invert(5), bitwise_and(12, 10), bitwise_or(12, 10), bitwise_xor(12, 10), left_shift(1, 4), right_shift(-16, 2))
print("tab\there")
