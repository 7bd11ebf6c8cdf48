print(reshape(arange(6), 4, 2))
