# PolyBench floyd-warshall, ported line for line from floyd_warshall.py: 500 nodes.
let n = 500
let i_ = reshape(arange(n), n, 1)
let j_ = reshape(arange(n), 1, n)
let path = f64(i_ * j_ % 7 + 1)
path = where((i_ + j_) % 13 == 0, 999.0, path)
path = where((i_ + j_) % 7 == 0, 999.0, path)
path = where((i_ + j_) % 11 == 0, 999.0, path)
for k in 0..n {
    path = minimum(path, reshape(path[:, k], n, 1) + reshape(path[k, :], 1, n))
}
print(sum(path))
