print(sum([1, 2], axes=0))
