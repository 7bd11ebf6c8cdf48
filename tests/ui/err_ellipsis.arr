let x = ones(2, 3)
print(x[..., 0, ...])
