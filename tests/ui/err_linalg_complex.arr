print(eig([[1j, 0], [0, 1]]))
