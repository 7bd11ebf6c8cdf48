"""Conway's Game of Life with rolls in NumPy (the original of game_of_life.arr)."""
import numpy as np

n = 512
g = (np.random.default_rng(5).random((n, n)) < 0.3).astype(np.float64)
for t in range(200):
    nb = (np.roll(g, 1, axis=0) + np.roll(g, -1, axis=0) + np.roll(g, 1, axis=1) + np.roll(g, -1, axis=1) +
          np.roll(np.roll(g, 1, axis=0), 1, axis=1) + np.roll(np.roll(g, 1, axis=0), -1, axis=1) +
          np.roll(np.roll(g, -1, axis=0), 1, axis=1) + np.roll(np.roll(g, -1, axis=0), -1, axis=1))
    g = np.where(nb == 3, 1.0, np.where(nb == 2, g, 0.0))
print(repr(g.sum()))
