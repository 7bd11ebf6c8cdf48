# cholesky needs a positive definite matrix.
print(cholesky([[1.0, 2.0], [2.0, 1.0]]))
