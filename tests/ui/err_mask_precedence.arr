# Masks combine with `&` in parentheses: comparisons bind looser, as in Python.
let x = arange(5)
print(x[x > 1 & x < 4])
