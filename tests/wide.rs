//! The wide programs (`backend::cpu::wide`, four or eight f64 lanes) give the interpreter's
//! bits at every vector width the machine has, for every function they run, over special
//! values (zeros of both signs, subnormals, the edges of `exp`'s range, the arguments where
//! `sin` and `cos` take libm's exact path, infinities, NaN) and ordinary ones; stored, summed
//! (the fixed tree's four lanes) and multiplied, over rows that are whole blocks, blocks
//! with a padded tail and rows too short to take the program; with comparisons, selects,
//! bools stored and random draws (read from the draws' scratch rows); with inputs that
//! step other than one element (a complex array's parts, a reversed view).

mod common;

use arr::backend::cpu::{Cpu, wide};
use arr::lower::Options;
use arr::{BackendKind, Session};
use common::fingerprint;

/// Special values first, then ordinary ones spread over each function's domain.
const PRELUDE: &str = "\
let special = [0.0, -0.0, 1.0, -1.0, 0.5, 1e-300, 5e-324, 2.2250738585072014e-308, \
  709.78, 710.0, -745.1, -746.0, -1e4, 1e4, 99999.0, 100001.0, 1e6, 1e22, 1e300, -1e300, \
  3.141592653589793, 1.5707963267948966, -0.9999999999, -1.0000001, 1e-17, inf, -inf, nan]
let ordinary = linspace(-40, 40, 997) * linspace(0.5, 1.5, 997)
let x = concat([special, ordinary, special * 0.75])
let y = concat([ordinary[:28], special[::-1], ordinary[::-1] + 0.25])
let m = reshape(x[:1036], 28, 37)
let z = complex(x, y)[(abs(x) >= 0) | (x != x)]
";

fn session(width: Option<wide::Width>) -> Session {
    match width {
        Some(w) => {
            // Nothing folded while tracing: every value is computed by a compiled kernel.
            let options = Options {
                fold_limit: 0,
                ..Options::default()
            };
            let cpu = Cpu::new().expect("jit").always_compile().at_width(w);
            Session::with_backend(Box::new(cpu), options).expect("session")
        }
        None => Session::with_options(BackendKind::Interp, Options::default()).expect("session"),
    }
}

/// The value's bits, every NaN written `nan`: which NaN an invalid operation gives
/// (`inf - inf`: the sign of x86's default NaN or of an operand's) is not part of the
/// contract, and the interpreter's order of operands differs from compiled code's there.
fn value(s: &mut Session, code: &str) -> String {
    match s.eval(code) {
        Ok(v) => fingerprint(&v)
            .split(' ')
            .map(|t| match u64::from_str_radix(t, 16) {
                Ok(b) if t.len() == 16 && f64::from_bits(b).is_nan() => "nan",
                _ => t,
            })
            .collect::<Vec<_>>()
            .join(" "),
        Err(e) => format!("error: {e}"),
    }
}

#[test]
fn every_width_gives_the_interpreters_bits() {
    let functions = [
        "exp(x)",
        "log(x)",
        "log1p(x)",
        "sin(x)",
        "cos(x)",
        "hypot(x, y)",
        // Around where hypot scales (2^±511) and where the smaller part stops counting
        // (2^-54 of the larger): whole blocks of its common case and blocks that leave it.
        "hypot(x * 1.7e152, y * 1.7e152) + hypot(x * 4e-156, y * 4e-156)",
        "hypot(x, x * 5.5e-17) + hypot(y * 5.6e-17, y) + hypot(x * 1e-20, 1.0)",
        "atan2(x, y) + atan2(y, 0.5) + atan2(-0.0, x)",
        "atan(x)",
        "asin(x / 40)",
        "acos(y / 40)",
        "asin(x) + acos(y)",
        "tan(x)",
        "exp2(x * 20)",
        "expm1(x / 8) + expm1(y)",
        "sinh(x * 20) + cosh(y * 20)",
        // Vectors wholly below 22 (sinh by its expm1 part alone) and vectors mixed.
        "sinh(x / 20) + sinh(y / 2)",
        "tanh(x / 8)",
        "log2(x) + log10(y)",
        "cbrt(x * 1e5) + cbrt(y)",
        "erf(x / 4) + erfc(y / 4)",
        "abs(x) ** y + x ** 3.5 + 1.5 ** x + pow(abs(y), x * 40)",
        // Vectors of pow's common case and vectors of its exact cases (y = 0, ±1, 2, ½).
        "abs(x) ** floor(y / 4) + abs(y) ** (floor(x * 2) / 2) + 1.0 ** y",
        "sqrt(abs(x)) + floor(x) - ceil(y) + trunc(x * 0.5) + round(y)",
        // Cheap bodies with a square root or a division: machine code (`wide::native`).
        "sqrt(x * x + y * y) * 0.5 + y / (1 + abs(x))",
        "-x / y - (x - 0.5) * -y",
        "floor(x / 3) + ceil(y / 7) - trunc(x / y) + round(y / 0.5)",
        "exp(-x * x) * sin(3 * y) + log1p(abs(x))",
        "-exp(x / 50) / (1 + cos(y))",
        "exp(m / 40) - sin(m)",
        "where(x < y, exp(x / 40), sin(y))",
        "where(x != x, 1.0, cos(x)) + f64(x >= y) - f64(x > 0.5) + f64(y <= x) + f64(x == 1)",
        "exp(x / 50) * (f64(x <= x) + 2 * f64(y >= y) + 4 * f64(x <= 1) + 8 * f64(y >= 1))",
        "exp(rand(1053, seed=5) * 3) * 2",
        "randn(1053, seed=6) * 2 + sin(rand(1053, seed=7))",
        "f64(rand(1053, seed=8) < 0.5) * exp(x)",
        // Strided inputs: the parts of a stored complex array, a reversed view.
        "abs(z * z + complex(0.5, 0.25))",
        "exp(real(z) / 40) * imag(z)",
        "sin(x[::-1]) + y",
    ];
    let mut interp = session(None);
    interp.run_str(PRELUDE).expect("prelude");
    for width in wide::widths() {
        let mut cpu = session(Some(width));
        cpu.run_str(PRELUDE).expect("prelude");
        for f in functions {
            for code in [
                f.to_string(),
                format!("sum({f})"),
                format!("prod(1 + {f} * 1e-3)"),
                format!("mean({f}[:40])"),
                format!("max({f}) + min({f}[3:]) + max({f}[::-1])"),
                format!("max(m * {f}[:37], axis=1) - min(m - {f}[:37], axis=1)"),
                format!("sum(exp(m / 40) * {f}[:37], axis=1)"),
                format!("({f})[3:29]"),
                // Bools stored from a comparison, and the mean of one.
                format!("exp({f}) > 2"),
                format!("mean(exp({f}) <= 2)"),
            ] {
                let want = value(&mut interp, &code);
                let got = value(&mut cpu, &code);
                assert_eq!(got, want, "{code} at {}", width.name());
            }
        }
    }
}

/// Cheap bodies as machine code: rows of every length around a vector's (a part vector at
/// the end, stored or folded into the fixed tree's lanes), inputs that step other than one
/// element, and bodies with more inputs or constants than it takes (the other paths run
/// them): the interpreter's bits at every width.
#[test]
fn machine_code_bodies_give_the_interpreters_bits() {
    let many_constants = (1..=40)
        .map(|k| format!("(x + {k}.5) / (y - {k}.25)"))
        .collect::<Vec<_>>()
        .join(" + ");
    // Four pairs (eight inputs) hold callee-saved registers; seven are more than it takes.
    let many_inputs = |pairs: usize| {
        (0..pairs)
            .map(|k| format!("x[{k}:{}] / y[{}:{}]", 900 + k, pairs - k, 900 + pairs - k))
            .collect::<Vec<_>>()
            .join(" + ")
    };
    let bodies = [
        "sqrt(x * x + y * y) * 0.5 + y / (1 + abs(x))".to_string(),
        "x * y - x / 3".to_string(),
        "sqrt(abs(x[::-1])) / y".to_string(),
        "sqrt(abs(real(z))) + imag(z)".to_string(),
        many_constants,
        many_inputs(4),
        many_inputs(7),
    ];
    let mut interp = session(None);
    interp.run_str(PRELUDE).expect("prelude");
    for width in wide::widths() {
        let mut cpu = session(Some(width));
        cpu.run_str(PRELUDE).expect("prelude");
        for f in &bodies {
            for n in [31, 32, 33, 36, 39, 40, 41, 47, 48, 63, 64, 65, 900] {
                for code in [
                    format!("({f})[:{n}]"),
                    format!("({f})[1:{n}]"),
                    format!("sum(({f})[:{n}])"),
                    format!("prod(1 + ({f})[:{n}] * 1e-3)"),
                    format!("sum(reshape(({f})[:{}], {n}, 2), axis=0)", 2 * n),
                    format!("sum(reshape(({f})[:{}], 2, {n}), axis=1)", 2 * n),
                ] {
                    let want = value(&mut interp, &code);
                    let got = value(&mut cpu, &code);
                    assert_eq!(got, want, "{code} at {}", width.name());
                }
            }
        }
    }
}

/// Updates in place whose rows are long enough for machine code even without a square
/// root or a division, reading their own array ahead of, behind and beside the written
/// region: the interpreter's bits at every width.
#[test]
fn long_rows_updated_in_place_give_the_interpreters_bits() {
    let steps = [
        "v[:-1] = v[1:] * 0.5 + v[:-1]",
        "v[1:] = v[:-1] * 0.25 - v[1:]",
        "v[3:-3] = v[6:] + v[:-6] - 2 * v[3:-3]",
        "u[1:-1, 1:-1] = u[1:-1, 1:-1] + 0.1 * (u[2:, 1:-1] + u[:-2, 1:-1] + u[1:-1, 2:] + u[1:-1, :-2] - 4 * u[1:-1, 1:-1])",
        "u[:, 1:] = u[:, :-1] - u[:, 1:] / 3",
        "u = u[:, ::-1] * 1.5 + u",
    ];
    let setup = "let v = concat([x, y, x * 0.5])\nlet u = reshape(concat([x, y, x, y])[:3 * 1300], 3, 1300)";
    let mut interp = session(None);
    interp.run_str(PRELUDE).expect("prelude");
    for width in wide::widths() {
        let mut cpu = session(Some(width));
        cpu.run_str(PRELUDE).expect("prelude");
        for step in steps {
            for s in [&mut interp, &mut cpu] {
                s.run_str(setup).expect("setup");
                for _ in 0..3 {
                    s.run_str(step).expect("step");
                }
            }
            for array in ["v", "u"] {
                let want = value(&mut interp, array);
                let got = value(&mut cpu, array);
                assert_eq!(got, want, "{step} ({array}) at {}", width.name());
            }
        }
    }
}

/// `max` and `min` of signed zeros and NaN in every position of rows of every length
/// around the vector loops' groups (eight, then four): −0 below +0, NaN if any is one.
#[test]
fn extremes_of_signed_zeros_and_nan_give_the_interpreters_bits() {
    // Stored (a body of loads alone: machine code), and `late`, the one winning zero of
    // each extreme after the other zeros of its lane.
    let prelude = "let k = arange(300)\nlet zeros = where(k % 5 == 2, 0.0, -0.0)\n\
                   let negative = -zeros\nlet holes = where(k == 211, 0.0 / 0.0, x[:300])\n\
                   let stored = eval(holes)\nlet late = eval(where(k == 250, 0.0, -0.0))\n\
                   let late_negative = eval(-late)";
    let mut interp = session(None);
    interp.run_str(PRELUDE).expect("prelude");
    interp.run_str(prelude).expect("prelude");
    for width in wide::widths() {
        let mut cpu = session(Some(width));
        cpu.run_str(PRELUDE).expect("prelude");
        cpu.run_str(prelude).expect("prelude");
        for a in [
            "zeros",
            "negative",
            "holes",
            "stored",
            "late",
            "late_negative",
        ] {
            for n in [1, 3, 4, 7, 8, 9, 15, 16, 17, 23, 200, 212, 300] {
                for code in [
                    format!("max({a}[:{n}])"),
                    format!("min({a}[:{n}])"),
                    format!("max({a}[{n}::-1])"),
                    format!("min({a}[:{n}] * 1.0)"),
                ] {
                    let want = value(&mut interp, &code);
                    let got = value(&mut cpu, &code);
                    assert_eq!(got, want, "{code} at {}", width.name());
                }
            }
        }
    }
}

/// Counts, `any` and `all` of bools (kept as f64 `1.0`/`0.0` in the program, counted into
/// i64 lanes), with and without a transcendental, whole and along an axis: the
/// interpreter's values at every width, on rows of every length around a block's.
#[test]
fn bool_reductions_give_the_interpreters_values_at_every_width() {
    let masks = [
        "x < y",
        "x != x",
        "exp(x / 50) > 1.2",
        "(x * y >= 0.5) == (y > 0)",
        "hypot(real(z), imag(z)) <= 2.0",
        "where(x > 0, x, y) > 1",
        "m > 0",
        "x != 1e-5",
    ];
    let mut interp = session(None);
    interp.run_str(PRELUDE).expect("prelude");
    for width in wide::widths() {
        let mut cpu = session(Some(width));
        cpu.run_str(PRELUDE).expect("prelude");
        for mask in masks {
            for code in [
                format!("sum({mask})"),
                format!("count_nonzero({mask})"),
                format!("any({mask})"),
                format!("all({mask})"),
                format!("all(~({mask}))"),
                format!("sum(({mask})[:255]) + sum(({mask})[1:258]) + sum(({mask})[:31])"),
                format!("sum(where({mask}, 1.5, -0.25))"),
                format!("sum(reshape(({mask})[:1036], 28, 37), axis=1)"),
                format!("any(reshape(({mask})[:1036], 28, 37), axis=0)"),
            ] {
                let want = value(&mut interp, &code);
                let got = value(&mut cpu, &code);
                assert_eq!(got, want, "{code} at {}", width.name());
            }
        }
    }
}

/// Draws in a replayed loop (their numbers a parameter of the recorded program, resolved
/// before the rows run) go through the wide program too, with the interpreter's values.
#[test]
fn draws_in_a_replayed_loop_give_the_interpreters_values_at_every_width() {
    let code = "let t = 0.0
let c = 0
for k in 0..6 {
    t += sum(exp(rand(1053)) * 2 + randn(1053))
    c += sum(rand(1053) ** 2 + rand(1053) ** 2 <= 1)
}
[t, f64(c)]";
    let want = value(&mut session(None), code);
    for width in wide::widths() {
        assert_eq!(
            value(&mut session(Some(width)), code),
            want,
            "{}",
            width.name()
        );
    }
}

#[test]
fn the_width_is_named_and_ordered() {
    let widths = wide::widths();
    assert_eq!(widths.first(), Some(&wide::Width::Sse2));
    assert_eq!(widths.last(), Some(&wide::width()));
    assert!(widths.windows(2).all(|w| w[0].lanes() < w[1].lanes()));
}
