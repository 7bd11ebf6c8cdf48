//! Numerics builtins: sorting, random draws and complex numbers.
//! Each lowers to a library-call or random node of the graph.

use super::construct::shape_arg;
use super::{Args, Builtin};
use crate::diag::{Result, type_error, value_error};
use crate::dtype::DType;
use crate::graph::{Distribution, NodeRef, RandomInput};
use crate::lower::{Evaluator, Value};

pub(super) fn builtins() -> Vec<Builtin> {
    vec![
        Builtin {
            name: "sort",
            signature: "sort(x, axis=-1)",
            doc: "Elements sorted along axis (stable, NaN last).",
            example: "sort([3, 1, 2])",
            call: |ev, a| sort(ev, a, false),
        },
        Builtin {
            name: "argsort",
            signature: "argsort(x, axis=-1)",
            doc: "Indices that sort x along axis (stable, NaN last).",
            example: "argsort([3, 1, 2])",
            call: |ev, a| sort(ev, a, true),
        },
        Builtin {
            name: "rand",
            signature: "rand(*shape, seed=, dtype=f64)",
            doc: "Uniform random numbers in [0, 1) (counter-based: reproducible on every backend).",
            example: "rand(2, 3, seed=7)",
            call: |ev, a| random(ev, a, Distribution::Uniform),
        },
        Builtin {
            name: "randn",
            signature: "randn(*shape, seed=, dtype=f64)",
            doc: "Standard normal random numbers.",
            example: "randn(3, seed=7)",
            call: |ev, a| random(ev, a, Distribution::Normal),
        },
        Builtin {
            name: "randint",
            signature: "randint(lo, hi, *shape, seed=)",
            doc: "Uniform random integers in [lo, hi).",
            example: "randint(0, 6, 10, seed=1)",
            call: randint,
        },
        Builtin {
            name: "complex",
            signature: "complex(re, im)",
            doc: "The complex numbers re + im·1j (c128).",
            example: "complex(1.0, 2.0)",
            call: complex,
        },
    ]
}

fn sort(ev: &mut Evaluator, a: &mut Args, indices: bool) -> Result<Value> {
    let x = a.array(ev, "x")?;
    let axis = a.opt_i64(ev, "axis")?.unwrap_or(-1);
    Ok(Value::Array(ev.graph.sort(&x, axis, indices, a.span)?))
}

/// The node of a random call: `seed=` gives stream (seed, 0); otherwise the n-th draw of
/// the program uses (program seed, n) — inside a recorded loop body, n counts from a
/// parameter, and a seed computed from the loop variable is one, so the body replays.
fn draw(
    ev: &mut Evaluator,
    a: &Args,
    dist: Distribution,
    shape: Vec<usize>,
    dtype: DType,
) -> Result<NodeRef> {
    if let Some((Value::Array(seed), _)) = a.get("seed")
        && seed.reads_param
        && seed.value().is_none()
        && seed.shape.is_empty()
        && seed.dtype == DType::I64
    {
        let seed = seed.clone();
        let how = RandomInput::Seed;
        return ev
            .graph
            .random_from(dist, (0, 0), how, &seed, shape, dtype, a.span);
    }
    match a.opt_i64(ev, "seed")? {
        Some(s) if s < 0 => {
            Err(value_error(format!("seed must be non-negative, not {s}")).with_span(a.span))
        }
        Some(s) => ev.graph.random(dist, s as u64, 0, shape, dtype, a.span),
        None => {
            if let Some(node) = ev.recorded_draw(dist, shape.clone(), dtype, a.span)? {
                return Ok(node);
            }
            let n = ev.next_draw()?;
            let seed = ev.options.seed;
            ev.graph.random(dist, seed, n, shape, dtype, a.span)
        }
    }
}

fn random(ev: &mut Evaluator, a: &mut Args, dist: Distribution) -> Result<Value> {
    let shape = shape_arg(ev, a.rest(), a.span)?;
    let dtype = a.dtype()?.unwrap_or(DType::F64);
    if !matches!(dtype, DType::F32 | DType::F64) {
        return Err(
            type_error(format!("random floats are f32 or f64, not {dtype}"))
                .with_span(a.span_of("dtype")),
        );
    }
    Ok(Value::Array(draw(ev, a, dist, shape, dtype)?))
}

fn randint(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let lo = a.opt_i64(ev, "lo")?.unwrap_or(0);
    let hi = a.opt_i64(ev, "hi")?.unwrap_or(0);
    let shape = shape_arg(ev, a.rest(), a.span)?;
    let dist = Distribution::Integers { lo, hi };
    Ok(Value::Array(draw(ev, a, dist, shape, DType::I64)?))
}

fn complex(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let span = a.span;
    let re = a.array(ev, "re")?;
    let im = a.array(ev, "im")?;
    if re.dtype == DType::C128 || im.dtype == DType::C128 {
        return Err(type_error("complex() takes real parts").with_span(span));
    }
    // A lazy node, fused with what computes the parts and what reads the result.
    Ok(Value::Array(ev.graph.complex(&re, &im, span)?))
}
