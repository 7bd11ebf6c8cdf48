let x = arange(3)
print(x[None, 1, None])
print(x[None, None, 5])
