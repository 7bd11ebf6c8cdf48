# Matrix products on views (issue: library steps): slices, transposes, reversals and
# broadcasts go to the product in place (see the cpu plan's `[view ...]` arguments), with
# NumPy's results; 1-D operands, batches against a shared matrix, i64 and complex.
let A = reshape(f64(arange(12)), 3, 4)
let x = f64(arange(4)) - 1.5
let y = f64(arange(3)) + 0.5
print(A @ x, y @ A, transpose(A) @ y)
print(A[::-1, 1:] @ x[:0:-1])
print(dot(x[::-1], x), dot(A[:, 1], A[:, 2]))
print(A[::2, ::-1] @ transpose(A[::2, :]))
let T = reshape(f64(arange(24)), 2, 3, 4)
print(T[:, ::-1, :] @ x)
print(T @ transpose(A))
print(reshape(arange(6), 2, 3) @ reshape(arange(6), 3, 2))
print(complex(A, -A) @ complex(x, 1.0))
print(reshape(y, 3, 1, 1) @ reshape(x, 1, 4))
explain(transpose(A) @ y)
