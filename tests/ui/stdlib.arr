# Functions from stdlib/core.arr, and help() for builtins and stdlib functions.
print(diff([1, 4, 9, 16]), trapz([1.0, 2.0, 3.0]), trapz([1.0, 2.0, 3.0], dx=0.5))
print(logistic(0.0), softmax([1.0, 2.0, 3.0]), normalize([1.0, 2.0, 3.0]))
help(sum)
help(softmax)
help(where)
