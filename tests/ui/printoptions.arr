# printoptions as numpy.set_printoptions (outputs checked against NumPy 2.4).
let x = [1.0 / 3, 2.0e-6, 150.0]
print(x)
printoptions(precision=3, suppress=true)
print(x)
printoptions()
printoptions(threshold=5, edgeitems=2, linewidth=20)
print(arange(10))
print(linspace(0, 1, 4))
print(reshape(f64(arange(36)), 6, 6))
printoptions(precision=-1)
