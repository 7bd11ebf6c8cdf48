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
