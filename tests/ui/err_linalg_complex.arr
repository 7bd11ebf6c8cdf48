print(lstsq([[1j, 0], [0, 1]], [1, 2]))
