//! Constructors: `array zeros ones full eye arange linspace`.

use super::{Args, Builtin};
use crate::diag::{Result, type_error, value_error};
use crate::dtype::DType;
use crate::lower::{Evaluator, Value};
use crate::runtime::Scalar;

pub(super) fn builtins() -> Vec<Builtin> {
    vec![
        Builtin {
            name: "array",
            signature: "array(x, dtype=)",
            doc: "An array of x: a list, a tuple of numbers or arrays, or an array (NumPy's np.array).",
            example: "array((1, 2.5))",
            call: |ev, a| {
                let x = a.array(ev, "x")?;
                let n = match a.dtype()? {
                    Some(d) if d != x.dtype => ev.graph.cast(&x, d, a.span)?,
                    _ => x,
                };
                Ok(Value::Array(ev.fold(n)?))
            },
        },
        Builtin {
            name: "zeros",
            signature: "zeros(*shape, dtype=f64)",
            doc: "An array of the given shape filled with 0.",
            example: "zeros(2, 3)",
            call: |ev, a| filled(ev, a, 0.0),
        },
        Builtin {
            name: "empty",
            signature: "empty(*shape, dtype=f64)",
            doc: "numpy.empty: zeros (arr has no uninitialised memory).",
            example: "empty(2, 3)",
            call: |ev, a| filled(ev, a, 0.0),
        },
        Builtin {
            name: "ones",
            signature: "ones(*shape, dtype=f64)",
            doc: "An array of the given shape filled with 1.",
            example: "ones(3)",
            call: |ev, a| filled(ev, a, 1.0),
        },
        Builtin {
            name: "full",
            signature: "full(*shape, dtype=)",
            doc: "An array of the given shape filled with a value (the last positional argument).",
            example: "full(2, 3, 7.5)",
            call: full,
        },
        Builtin {
            name: "eye",
            signature: "eye(n, m=n, k=0, dtype=f64)",
            doc: "The identity matrix (ones on diagonal k of an n×m matrix).",
            example: "eye(3)",
            call: eye,
        },
        Builtin {
            name: "arange",
            signature: "arange(start, stop=, step=1, dtype=)",
            doc: "Evenly spaced values in [start, stop) (one argument: [0, stop)).",
            example: "arange(0, 1, 0.25)",
            call: arange,
        },
        Builtin {
            name: "linspace",
            signature: "linspace(start, stop, num=50, dtype=f64)",
            doc: "num evenly spaced values from start to stop, both included.",
            example: "linspace(0, 1, 5)",
            call: linspace,
        },
    ]
}

/// A shape from varargs (`zeros(3, 4)`) or one i64 array (`zeros(x.shape)`).
pub(super) fn shape_arg(
    ev: &mut Evaluator,
    values: &[(Value, crate::diag::Span)],
    span: crate::diag::Span,
) -> Result<Vec<usize>> {
    let dims: Vec<i64> = match values {
        [(v, s)] => {
            let node = ev.expect_array(v, *s)?;
            if node.shape.len() > 1 {
                return Err(
                    type_error("a shape must be integers or a 1-D integer array").with_span(*s),
                );
            }
            if node.dtype.is_inexact() {
                return Err(type_error(format!(
                    "shape entries must be integers, found {}",
                    node.dtype
                ))
                .with_span(*s));
            }
            ev.force(&node)?.to_i64_vec()
        }
        _ => values
            .iter()
            .map(|(v, s)| ev.value_i64(v, *s))
            .collect::<Result<_>>()?,
    };
    dims.iter()
        .map(|&d| {
            usize::try_from(d).map_err(|_| {
                value_error(format!("negative dimensions are not allowed: {d}")).with_span(span)
            })
        })
        .collect()
}

fn filled(ev: &mut Evaluator, a: &mut Args, v: f64) -> Result<Value> {
    let shape = shape_arg(ev, a.rest(), a.span)?;
    let dtype = a.dtype()?.unwrap_or(DType::F64);
    Ok(Value::Array(ev.graph.fill(
        shape,
        Scalar::F64(v),
        dtype,
        a.span,
    )?))
}

fn full(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let Some(((value, vspan), dims)) = a.rest().split_last() else {
        return Err(
            type_error("`full` needs a shape and a value: full(2, 3, 7.5)").with_span(a.span),
        );
    };
    let node = ev.expect_array(value, *vspan)?;
    if node.size() != 1 {
        return Err(type_error("the fill value of `full` must be a scalar").with_span(*vspan));
    }
    let s = ev.force(&node)?.as_scalar().unwrap_or(Scalar::F64(0.0));
    let dims = dims.to_vec();
    let shape = shape_arg(ev, &dims, a.span)?;
    let dtype = a.dtype()?.unwrap_or(match node.dtype {
        DType::Bool => DType::Bool,
        d if node.weak && d == DType::I64 => DType::I64,
        d => d,
    });
    Ok(Value::Array(ev.graph.fill(shape, s, dtype, a.span)?))
}

fn eye(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let span = a.span;
    let n = a.opt_i64(ev, "n")?.unwrap_or(0);
    let m = a.opt_i64(ev, "m")?.unwrap_or(n);
    let k = a.opt_i64(ev, "k")?.unwrap_or(0);
    if n < 0 || m < 0 {
        return Err(value_error("eye: sizes must be non-negative").with_span(span));
    }
    let dtype = a.dtype()?.unwrap_or(DType::F64);
    let g = &mut ev.graph;
    let rows = g.arange(Scalar::I64(k), Scalar::I64(1), n as usize, DType::I64, span)?;
    let rows = g.reshape(&rows, vec![n as usize, 1], span)?;
    let cols = g.arange(Scalar::I64(0), Scalar::I64(1), m as usize, DType::I64, span)?;
    let cols = g.reshape(&cols, vec![1, m as usize], span)?;
    let eq = g.binary(crate::graph::BinaryOp::Eq, &rows, &cols, span)?;
    Ok(Value::Array(g.cast(&eq, dtype, span)?))
}

fn arange(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let span = a.span;
    let mut inexact = false;
    let mut num = |ev: &mut Evaluator, name: &str| -> Result<Option<Scalar>> {
        match a.get(name) {
            None => Ok(None),
            Some((v, s)) => {
                let node = ev.expect_array(v, *s)?;
                inexact |= node.dtype.is_inexact();
                let x = ev.value_f64(v, *s)?;
                Ok(Some(Scalar::F64(x)))
            }
        }
    };
    let first = num(ev, "start")?.unwrap_or(Scalar::F64(0.0));
    let second = num(ev, "stop")?;
    let step = num(ev, "step")?.unwrap_or(Scalar::F64(1.0)).as_f64();
    let (start, stop) = match second {
        Some(s) => (first.as_f64(), s.as_f64()),
        None => (0.0, first.as_f64()),
    };
    if step == 0.0 {
        return Err(value_error("arange: step cannot be zero").with_span(span));
    }
    let len = ((stop - start) / step).ceil();
    if len.is_nan() {
        return Err(value_error(format!(
            "arange: cannot compute the length from start {start}, stop {stop}, step {step}"
        ))
        .with_span(span));
    }
    if len == f64::INFINITY {
        return Err(value_error(format!(
            "arange: from {start} to {stop} by {step} has infinitely many elements"
        ))
        .with_span(span));
    }
    let len = if len > 0.0 { len as usize } else { 0 };
    let dtype = a
        .dtype()?
        .unwrap_or(if inexact { DType::F64 } else { DType::I64 });
    let (start, step) = if dtype == DType::I64 && !inexact {
        (Scalar::I64(start as i64), Scalar::I64(step as i64))
    } else {
        (Scalar::F64(start), Scalar::F64(step))
    };
    Ok(Value::Array(
        ev.graph.arange(start, step, len, dtype, span)?,
    ))
}

fn linspace(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let span = a.span;
    let start = a.opt_f64(ev, "start")?.unwrap_or(0.0);
    let stop = a.opt_f64(ev, "stop")?.unwrap_or(0.0);
    let num = a.opt_i64(ev, "num")?.unwrap_or(50);
    if num < 0 {
        return Err(value_error(format!(
            "linspace: number of samples must be non-negative, got {num}"
        ))
        .with_span(span));
    }
    let num = num as usize;
    let dtype = a.dtype()?.unwrap_or(DType::F64);
    let g = &mut ev.graph;
    let node = if num <= 1 {
        g.arange(Scalar::F64(start), Scalar::F64(0.0), num, DType::F64, span)?
    } else {
        let step = (stop - start) / (num - 1) as f64;
        let body = g.arange(
            Scalar::F64(start),
            Scalar::F64(step),
            num - 1,
            DType::F64,
            span,
        )?;
        let last = g.fill(vec![1], Scalar::F64(stop), DType::F64, span)?;
        g.concat(&[body, last], 0, span)?
    };
    Ok(Value::Array(g.cast(&node, dtype, span)?))
}
