//! Linear-algebra builtins with `numpy.linalg`'s signatures and return conventions: LU-based
//! calls, decompositions (tuples where NumPy returns tuples) and norms. Each lowers to a
//! library-call node; a decomposition's node holds its results packed, and the members of
//! the tuple are views of it (`split`).

use super::shape::slice;
use super::{Args, Builtin};
use crate::diag::{Result, Span, value_error};
use crate::dtype::DType;
use crate::graph::{LibCall, NodeRef, NormOrd, QrMode, UnaryOp};
use crate::lower::{Evaluator, Value};

pub(super) fn builtins() -> Vec<Builtin> {
    vec![
        Builtin {
            name: "inv",
            signature: "inv(a)",
            doc: "Inverse of a square matrix, f64 or c128 (value error when singular).",
            example: "inv([[2.0, 0.0], [0.0, 4.0]])",
            call: |ev, a| single(ev, a, LibCall::Inv, &["a"]),
        },
        Builtin {
            name: "solve",
            signature: "solve(a, b)",
            doc: "Solution x of a @ x = b for a square a and a vector or matrix b.",
            example: "solve([[3.0, 1.0], [1.0, 2.0]], [9.0, 8.0])",
            call: |ev, a| single(ev, a, LibCall::Solve, &["a", "b"]),
        },
        Builtin {
            name: "det",
            signature: "det(a)",
            doc: "Determinant of a square matrix.",
            example: "det([[1.0, 2.0], [3.0, 4.0]])",
            call: |ev, a| single(ev, a, LibCall::Det, &["a"]),
        },
        Builtin {
            name: "slogdet",
            signature: "slogdet(a)",
            doc: "(sign, logabsdet) of the determinant, without overflow.",
            example: "slogdet([[1.0, 2.0], [3.0, 4.0]])",
            call: slogdet,
        },
        Builtin {
            name: "eigh",
            signature: "eigh(a)",
            doc: "(w, v): eigenvalues (ascending) and eigenvectors (columns) of a symmetric matrix.",
            example: "let (w, v) = eigh([[2.0, 1.0], [1.0, 2.0]])",
            call: eigh,
        },
        Builtin {
            name: "eigvalsh",
            signature: "eigvalsh(a)",
            doc: "Eigenvalues of a symmetric matrix, ascending.",
            example: "eigvalsh([[2.0, 1.0], [1.0, 2.0]])",
            call: |ev, a| single(ev, a, LibCall::Eigvalsh, &["a"]),
        },
        Builtin {
            name: "eig",
            signature: "eig(a)",
            doc: "(w, v): eigenvalues and unit eigenvectors (columns) of a general matrix; c128 unless all are real.",
            example: "let (w, v) = eig([[0.0, -1.0], [1.0, 0.0]])",
            call: |ev, a| eig(ev, a, true),
        },
        Builtin {
            name: "eigvals",
            signature: "eigvals(a)",
            doc: "Eigenvalues of a general matrix; c128 unless all are real.",
            example: "eigvals([[0.0, -1.0], [1.0, 0.0]])",
            call: |ev, a| eig(ev, a, false),
        },
        Builtin {
            name: "svd",
            signature: "svd(a, full_matrices=true, compute_uv=true)",
            doc: "(U, S, Vh) with a == U[:, :k] * S @ Vh[:k]; only S with compute_uv=false.",
            example: "let (u, s, vh) = svd([[3.0, 0.0], [0.0, 4.0]])",
            call: svd,
        },
        Builtin {
            name: "qr",
            signature: "qr(a, mode=\"reduced\")",
            doc: "(Q, R) with a == Q @ R (mode \"reduced\", \"complete\", or \"r\" for R alone).",
            example: "let (q, r) = qr([[1.0, 2.0], [3.0, 4.0]])",
            call: qr,
        },
        Builtin {
            name: "cholesky",
            signature: "cholesky(a)",
            doc: "Lower-triangular L with L @ L.T == a (a positive definite).",
            example: "cholesky([[4.0, 2.0], [2.0, 3.0]])",
            call: |ev, a| single(ev, a, LibCall::Cholesky, &["a"]),
        },
        Builtin {
            name: "lstsq",
            signature: "lstsq(a, b, rcond=)",
            doc: "(x, residuals, rank, s): minimum-norm least-squares solution of a @ x ≈ b, as NumPy.",
            example: "let (x, res, rank, s) = lstsq([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]], [1.0, 2.0, 2.9])",
            call: lstsq,
        },
        Builtin {
            name: "pinv",
            signature: "pinv(a, rcond=1e-15)",
            doc: "Moore–Penrose pseudo-inverse (singular values below rcond × the largest dropped).",
            example: "pinv([[1.0, 2.0], [2.0, 4.0]])",
            call: |ev, a| {
                let rcond = a.opt_f64(ev, "rcond")?.unwrap_or(1e-15);
                single(ev, a, LibCall::Pinv { rcond }, &["a"])
            },
        },
        Builtin {
            name: "norm",
            signature: "norm(x, ord=)",
            doc: "Vector norm (2-norm by default) or matrix norm (Frobenius by default); ord as NumPy.",
            example: "norm([3.0, 4.0])",
            call: norm,
        },
    ]
}

fn inputs(ev: &mut Evaluator, a: &Args, names: &[&str]) -> Result<Vec<NodeRef>> {
    names.iter().map(|n| a.array(ev, n)).collect()
}

/// A call with one result.
fn single(ev: &mut Evaluator, a: &mut Args, call: LibCall, names: &[&str]) -> Result<Value> {
    let inputs = inputs(ev, a, names)?;
    Ok(Value::Array(ev.graph.linalg(call, &inputs, a.span)?))
}

/// The members of a packed result: views of consecutive runs of its last axis (one packed
/// run per matrix of a stack), reshaped to the stack's axes and each member's shape.
fn split(
    ev: &mut Evaluator,
    packed: &NodeRef,
    shapes: &[Vec<usize>],
    span: Span,
) -> Result<Vec<NodeRef>> {
    let last = packed.shape.len() - 1;
    let batch = &packed.shape[..last];
    let mut start = 0;
    let mut out = Vec::with_capacity(shapes.len());
    for shape in shapes {
        let len: usize = shape.iter().product();
        let run = slice(ev, packed, last, start as i64, 1, len, span)?;
        let member = ev.graph.reshape(&run, [batch, &shape[..]].concat(), span)?;
        out.push(ev.fold(member)?);
        start += len;
    }
    Ok(out)
}

/// The order of the matrices of a square stack (its last axis), and their rows and
/// columns.
fn last_two(x: &NodeRef) -> (usize, usize) {
    match x.shape[..] {
        [.., m, n] => (m, n),
        _ => (0, 0),
    }
}

fn tuple(members: Vec<NodeRef>) -> Value {
    Value::Tuple(members.into_iter().map(Value::Array).collect())
}

fn slogdet(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let x = a.array(ev, "a")?;
    let packed = ev.graph.linalg(LibCall::Slogdet, &[x], a.span)?;
    let mut parts = split(ev, &packed, &[vec![], vec![]], a.span)?;
    if packed.dtype == DType::C128 {
        // The log of |det| is real; only the sign is complex.
        parts[1] = ev.graph.unary(UnaryOp::Real, &parts[1], a.span)?;
    }
    Ok(tuple(parts))
}

fn eigh(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let x = a.array(ev, "a")?;
    let n = last_two(&x).1;
    let packed = ev.graph.linalg(LibCall::Eigh, &[x], a.span)?;
    let mut parts = split(ev, &packed, &[vec![n], vec![n, n]], a.span)?;
    if packed.dtype == DType::C128 {
        // A Hermitian matrix's eigenvalues are real.
        parts[0] = ev.graph.unary(UnaryOp::Real, &parts[0], a.span)?;
    }
    Ok(tuple(parts))
}

fn svd(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let x = a.array(ev, "a")?;
    let full = a.get("full_matrices").is_none() || a.flag(ev, "full_matrices")?;
    let uv = a.get("compute_uv").is_none() || a.flag(ev, "compute_uv")?;
    if !uv {
        return Ok(Value::Array(ev.graph.linalg(
            LibCall::SingularValues,
            &[x],
            a.span,
        )?));
    }
    let (m, n) = last_two(&x);
    let k = m.min(n);
    let packed = ev.graph.linalg(LibCall::Svd { full }, &[x], a.span)?;
    let shapes = if full {
        [vec![m, m], vec![k], vec![n, n]]
    } else {
        [vec![m, k], vec![k], vec![k, n]]
    };
    let mut parts = split(ev, &packed, &shapes, a.span)?;
    if packed.dtype == DType::C128 {
        // Singular values are real.
        parts[1] = ev.graph.unary(UnaryOp::Real, &parts[1], a.span)?;
    }
    Ok(tuple(parts))
}

fn qr(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let x = a.array(ev, "a")?;
    let mode = match a.opt_str("mode")?.as_deref() {
        None | Some("reduced") => QrMode::Reduced,
        Some("complete") => QrMode::Complete,
        Some("r") => QrMode::R,
        Some(other) => {
            return Err(value_error(format!(
                "unknown qr mode `{other}` (use \"reduced\", \"complete\" or \"r\")"
            ))
            .with_span(a.span_of("mode")));
        }
    };
    let (m, n) = last_two(&x);
    let k = m.min(n);
    let packed = ev.graph.linalg(LibCall::Qr(mode), &[x], a.span)?;
    Ok(match mode {
        QrMode::Reduced => tuple(split(ev, &packed, &[vec![m, k], vec![k, n]], a.span)?),
        QrMode::Complete => tuple(split(ev, &packed, &[vec![m, m], vec![m, n]], a.span)?),
        QrMode::R => Value::Array(split(ev, &packed, &[vec![k, n]], a.span)?.remove(0)),
    })
}

/// `lstsq`: computed at once (an observation point), since NumPy's `residuals` is empty or
/// not depending on the rank it finds.
fn lstsq(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let (x, b) = (a.array(ev, "a")?, a.array(ev, "b")?);
    let rcond = a.opt_f64(ev, "rcond")?;
    let (m, n) = match x.shape[..] {
        [m, n] => (m, n),
        _ => (0, 0),
    };
    let vector = b.shape.len() == 1;
    let nrhs = if vector {
        1
    } else {
        b.shape.get(1).copied().unwrap_or(1)
    };
    let packed = ev.graph.linalg(LibCall::Lstsq { rcond }, &[x, b], a.span)?;
    let value = ev.force(&packed)?;
    let rank = value
        .get_flat(n * nrhs + nrhs)
        .map_or(0.0, |s| s.as_c128().re) as usize;
    let solution = if vector { vec![n] } else { vec![n, nrhs] };
    let residuals = if rank == n && m > n { nrhs } else { 0 };
    let mut parts = split(
        ev,
        &packed,
        &[solution, vec![nrhs], vec![], vec![m.min(n)]],
        a.span,
    )?;
    if packed.dtype == DType::C128 {
        // Residuals, rank and singular values are real.
        for p in &mut parts[1..] {
            *p = ev.graph.unary(UnaryOp::Real, p, a.span)?;
        }
    }
    if residuals == 0 {
        let empty = crate::runtime::Array::F64(ndarray::ArrayD::zeros(ndarray::IxDyn(&[0])));
        let empty = ev
            .graph
            .constant(empty.cast(parts[1].dtype), false, a.span)?;
        parts[1] = empty;
    }
    parts[2] = ev.graph.cast(&parts[2], DType::I64, a.span)?;
    for p in &mut parts {
        *p = ev.fold(p.clone())?;
    }
    Ok(tuple(parts))
}

/// `eig`/`eigvals`: computed at once (an observation point), since NumPy's result is real
/// when every eigenvalue is, and complex otherwise.
fn eig(ev: &mut Evaluator, a: &mut Args, vectors: bool) -> Result<Value> {
    let x = a.array(ev, "a")?;
    let complex_input = x.dtype == DType::C128;
    let n = last_two(&x).1;
    let packed = ev.graph.linalg(LibCall::Eig { vectors }, &[x], a.span)?;
    let value = ev.force(&packed)?;
    let per = packed.shape.last().copied().unwrap_or(1).max(1);
    let real = !complex_input
        && match &*value {
            crate::runtime::Array::C128(z) => {
                let z = z.as_standard_layout();
                let flat = z.as_slice().unwrap_or(&[]);
                flat.chunks(per)
                    .all(|run| run.iter().take(n).all(|w| w.im == 0.0))
            }
            _ => true,
        };
    let packed = if real {
        let re = ev.graph.unary(UnaryOp::Real, &packed, a.span)?;
        ev.fold(re)?
    } else {
        packed
    };
    if !vectors {
        return Ok(Value::Array(packed));
    }
    Ok(tuple(split(ev, &packed, &[vec![n], vec![n, n]], a.span)?))
}

fn norm(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let x = a.array(ev, "x")?;
    let ord = match a.get("ord") {
        None => NormOrd::Default,
        Some((Value::Str(s), span)) => match &**s {
            "fro" => NormOrd::Fro,
            "nuc" => NormOrd::Nuc,
            other => {
                return Err(value_error(format!(
                    "unknown norm order `{other}` (use \"fro\", \"nuc\" or a number)"
                ))
                .with_span(*span));
            }
        },
        Some((v, span)) => NormOrd::P(ev.value_f64(v, *span)?),
    };
    Ok(Value::Array(ev.graph.linalg(
        LibCall::Norm(ord),
        &[x],
        a.span,
    )?))
}
