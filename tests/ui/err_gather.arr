let v = arange(5)
print(v[[1, 9]])
