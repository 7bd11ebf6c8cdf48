//! The kernel workloads W1–W12 (f64, N = 10^7 unless stated), shared by `kernels.rs` (the
//! default backend) and `gpu.rs`; `benches/compare` runs the same in NumPy and numexpr.

const VECTORS: &str = "let a = eval(rand(10000000, seed=1))\nlet b = eval(rand(10000000, seed=2))\n\
                       let c = eval(rand(10000000, seed=3))";

const MATRIX: &str = "let m = eval(rand(4000, 2500, seed=5))";

/// Each workload: its name, the setup run once, and the code timed.
pub const WORKLOADS: &[(&str, &str, &str)] = &[
    ("W1_fma", VECTORS, "a*b + c"),
    ("W2_arith", VECTORS, "sqrt(a*a + b*b)*0.5 + c/(1 + abs(a))"),
    (
        "W3_transcendental",
        VECTORS,
        "exp(-a*a)*sin(3*b) + log1p(abs(c))",
    ),
    ("W4_sum", VECTORS, "sum(a*a + b*b)"),
    (
        "W5_monte_carlo_pi",
        "",
        "let x = rand(10000000)\nlet y = rand(10000000)\n4*mean(x*x + y*y <= 1)",
    ),
    (
        "W10_heat_1024x100",
        "let u0 = eval(rand(1024, 1024, seed=4))",
        "let u = u0\nfor step in 0..100 {\n\
         u[1:-1, 1:-1] = u[1:-1, 1:-1] + 0.1 * (u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2] + u[1:-1, 2:] - 4 * u[1:-1, 1:-1])\n\
         }\nu",
    ),
    ("W11_sum_axis0", MATRIX, "sum(m, axis=0)"),
    ("W11_sum_axis1", MATRIX, "sum(m, axis=1)"),
    (
        "W12_small_1000",
        "let a = eval(rand(1000, seed=1))\nlet b = eval(rand(1000, seed=2))\nlet c = eval(rand(1000, seed=3))",
        "a*b + c",
    ),
];
