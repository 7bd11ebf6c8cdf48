"""A column recurrence in NumPy (the original of column_recurrence.arr), 1000x1000."""
import numpy as np

x = np.ones((1000, 1000))
y = np.zeros((1000, 1000))
for j in range(2, 1000):
    y[:, j] = 0.5 * x[:, j] + 0.25 * y[:, j - 1] + 0.125 * y[:, j - 2]
print(repr(y.sum()))
