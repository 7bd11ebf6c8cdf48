# Conway's Game of Life with rolls, ported line for line from game_of_life.py: 512², 200
# generations.
let n = 512
let g = f64(rand(n, n, seed=5) < 0.3)
for t in 0..200 {
    let nb = (roll(g, 1, axis=0) + roll(g, -1, axis=0) + roll(g, 1, axis=1) + roll(g, -1, axis=1) +
              roll(roll(g, 1, axis=0), 1, axis=1) + roll(roll(g, 1, axis=0), -1, axis=1) +
              roll(roll(g, -1, axis=0), 1, axis=1) + roll(roll(g, -1, axis=0), -1, axis=1))
    g = where(nb == 3, 1.0, where(nb == 2, g, 0.0))
}
print(sum(g))
