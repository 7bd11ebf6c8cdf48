# A vector scatter checks each position as it stores it: one below -n is named, at the
# statement that stores it.
let v = arange(5.0)
v[[1, 3, -2]] = 9.0
print(v)
v[[0, -6, 2]] = 7.0
print(v)
