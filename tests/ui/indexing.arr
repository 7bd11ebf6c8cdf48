# Every indexing form of LANGUAGE.md §3 and the functional update of §4.
let A = reshape(arange(12), 3, 4)
print(A[1], A[-1], A[1, 2], A[-1, -1])
print(A[:, 1], A[1:], A[:2, ::2], A[::-1, 0], A[::-2])
print(A[A > 5])
print(A[[0, 2]])
print(A[[0, 1], [1, 2]])
print(A[:, [0, 3]])
print(A[1:100], A[5:], A[-100:1])
let v = arange(10)
print(v[2:8:3], v[::-1], v[-3:], v[[-1, 0]])
let B = zeros(3, 3)
B[1, :] = [1, 2, 3]
B[:, 0] += 10
B[B > 5] = -1
B[[0, 2], [2, 2]] = 7
print(B)
let w = arange(5)
w[0] = 2.9
print(w)
# Gathers and scatters through slices, reversed steps, masks and transposed arrays.
let C = reshape(arange(60), 3, 4, 5)
print(C[1:, [3, 0, -1], ::-2])
print(C[[2, 0], 1:3, [4, 0]])
print(C[C % 7 == 0])
print(C[:, C[0, :, 0] > 4, 2])
let T = transpose(reshape(arange(12.0), 3, 4))
T[[1, 3], ::-1] = [[-1.0, -2.0, -3.0]]
print(T)
# A loop variable filtered by a mask (computed with its mask, once per iteration).
let z = linspace(-2.0, 2.0, 41)
let c = z * 0.5
for k in 0..6 {
  z = z * z + c
  let keep = abs(z) <= 2.0
  z = z[keep]
  c = c[keep]
}
print(len(z), sum(z))
