let p = arange(3) - 1
print(2 ** p)
