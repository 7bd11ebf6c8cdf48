#!/usr/bin/env python3
"""Times the workloads of benches/numerics.rs in NumPy/SciPy on this machine and prints
arr's time (from criterion's results in target/criterion) next to NumPy's, with the ratio.

    cargo bench --bench numerics && python3 benches/compare_numpy.py

A ratio below 1 means arr is faster.
"""
import json
import os
import time

import numpy as np
import scipy.special as sp

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def best_of(f, repeat=7):
    f()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def arr_time(name):
    path = os.path.join(ROOT, "target", "criterion", name, "new", "estimates.json")
    try:
        with open(path) as f:
            return json.load(f)["median"]["point_estimate"] / 1e9
    except OSError:
        return None


def main():
    rng = np.random.default_rng(0)
    a, b = rng.random((1024, 1024)), rng.random((1024, 1024))
    c, d = rng.random((2048, 2048)), rng.random((2048, 2048))
    s = rng.random((1000, 1000)) + 1000 * np.eye(1000)
    v = rng.random(1000)
    x = rng.random(2**20)
    r = np.linspace(0, 100, 10**6)
    workloads = [
        ("matmul_1024", lambda: a @ b),
        ("matmul_2048", lambda: c @ d),
        ("inv_1000", lambda: np.linalg.inv(s)),
        ("solve_1000", lambda: np.linalg.solve(s, v)),
        ("fft_2p20", lambda: np.fft.fft(x)),
        ("j0_1e6", lambda: sp.j0(r)),
        ("rand_1e7", lambda: np.random.default_rng(8).random(10**7)),
        ("randn_1e7", lambda: np.random.default_rng(9).standard_normal(10**7)),
    ]
    print(f"{'workload':<14}{'arr':>12}{'numpy':>12}{'arr/numpy':>12}")
    for name, f in workloads:
        t_np = best_of(f)
        t_arr = arr_time(name)
        arr_s = f"{t_arr * 1e3:9.2f} ms" if t_arr else "    (none)"
        ratio = f"{t_arr / t_np:10.2f}" if t_arr else "         -"
        print(f"{name:<14}{arr_s:>12}{t_np * 1e3:9.2f} ms{ratio:>12}")


if __name__ == "__main__":
    main()
