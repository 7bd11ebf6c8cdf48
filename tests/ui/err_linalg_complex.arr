print(eigh([[1j, 0], [0, 1]]))
