# `~` takes integers or bools.
print(~[1, 2])
print(~1.5)
