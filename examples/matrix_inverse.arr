# Matrix inverse: inv() through faer's LU, checked by multiplying back.
# Shows: linear algebra library calls, `@`, allclose, and how close to I floating point gets.
let A = [[1, 2, 4], [2, 5, 3], [7, 8, 9]]
let Ainv = inv(A)
print("A^-1 =")
print(Ainv)
let P = A @ Ainv
print("A @ A^-1, with rounding noise below 1e-12 shown as 0:")
print(where(abs(P) < 1e-12, 0.0, P))
print("largest deviation from I is below 1e-14:", max(abs(P - eye(3))) < 1e-14)
print("close to the identity:", allclose(A @ Ainv, eye(3)))
print("det(A) =", round(det(A)), " solve(A, [1, 2, 3]) =", solve(A, [1, 2, 3]))
