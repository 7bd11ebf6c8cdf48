//! Tensor contractions with NumPy's signatures: `einsum` and `tensordot`, lowered to
//! transposes, reshapes and matrix products (two operands), or to a broadcast product and a
//! reduction (one or three and more), so they run as the graph's kernels and GEMMs.

use super::math::reduce_axes;
use super::{Args, Builtin};
use crate::diag::{Result, Span, shape_error, type_error, value_error};
use crate::dtype::DType;
use crate::graph::{BinaryOp, IndexItem, NodeRef, ReduceOp, index_spec, normalize_axis};
use crate::lower::{Evaluator, Value};
use crate::runtime::Scalar;

pub(super) fn builtins() -> Vec<Builtin> {
    vec![
        Builtin {
            name: "einsum",
            signature: "einsum(subscripts, *operands)",
            doc: "Einstein summation (\"ij,jk->ik\"; implicit output without \"->\"), as numpy.einsum.",
            example: "einsum(\"ij,j->i\", [[1, 2], [3, 4]], [1, 1])",
            call: einsum,
        },
        Builtin {
            name: "tensordot",
            signature: "tensordot(a, b, axes=2)",
            doc: "Sum of products over the last `axes` axes of a and the first of b (or given pairs).",
            example: "tensordot(ones(2, 3, 4), ones(3, 4, 5)).shape",
            call: tensordot,
        },
    ]
}

/// Stand-in letters for the axes `...` covers (Greek, so they never clash with the ASCII
/// letters a subscript may use), right-aligned as broadcasting aligns axes.
const BROADCAST: &str = "αβγδεζηθικλμνξοπρστυφχψω";

/// Subscripts with every `...` replaced by stand-ins for the axes it covers in its operand
/// (and, in the output, for the most any operand has).
fn expand_ellipsis(spec: &str, operands: &[NodeRef]) -> std::result::Result<String, String> {
    if !spec.contains("...") {
        return Ok(spec.to_string());
    }
    let pool: Vec<char> = BROADCAST.chars().collect();
    let (inputs, output) = match spec.split_once("->") {
        Some((i, o)) => (i, Some(o)),
        None => (spec, None),
    };
    let mut most = 0;
    let mut terms = Vec::new();
    for (t, x) in inputs.split(',').zip(operands) {
        match t.split_once("...") {
            Some((head, tail)) => {
                let named = head.chars().count() + tail.chars().count();
                let k = x
                    .shape
                    .len()
                    .checked_sub(named)
                    .ok_or_else(|| format!("`{t}` names more axes than its operand has"))?;
                if k > pool.len() {
                    return Err("`...` covers too many axes".into());
                }
                most = most.max(k);
                let fill: String = pool[pool.len() - k..].iter().collect();
                terms.push(format!("{head}{fill}{tail}"));
            }
            None => terms.push(t.to_string()),
        }
    }
    let mut out = terms.join(",");
    if let Some(o) = output {
        let fill: String = pool[pool.len() - most..].iter().collect();
        out = format!("{out}->{}", o.replace("...", &fill));
    }
    Ok(out)
}

/// One operand with a letter per axis.
struct Term {
    node: NodeRef,
    letters: Vec<char>,
}

fn einsum(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let span = a.span;
    let spec = a
        .opt_str("subscripts")?
        .ok_or_else(|| type_error("einsum needs subscripts").with_span(span))?;
    let operands = a
        .rest()
        .to_vec()
        .iter()
        .map(|(v, s)| ev.expect_array(v, *s))
        .collect::<Result<Vec<_>>>()?;
    let bad = |m: String| value_error(format!("einsum: {m}")).with_span(span);
    let spec: String = spec.chars().filter(|c| !c.is_whitespace()).collect();
    let spec = expand_ellipsis(&spec, &operands).map_err(bad)?;
    let (inputs, output) = match spec.split_once("->") {
        Some((i, o)) => (i.to_string(), Some(o.to_string())),
        None => (spec.clone(), None),
    };
    let terms: Vec<&str> = inputs.split(',').collect();
    if terms.len() != operands.len() {
        return Err(bad(format!(
            "{} subscripts for {} operands",
            terms.len(),
            operands.len()
        )));
    }
    let mut sizes: Vec<(char, usize)> = Vec::new();
    let mut parsed = Vec::with_capacity(terms.len());
    for (t, x) in terms.iter().zip(&operands) {
        let letters: Vec<char> = t.chars().collect();
        if let Some(c) = letters
            .iter()
            .find(|c| !c.is_ascii_alphabetic() && !BROADCAST.contains(**c))
        {
            return Err(bad(format!("`{c}` is not a subscript letter")));
        }
        if letters.len() != x.shape.len() {
            return Err(bad(format!(
                "`{t}` names {} axes but its operand has {}",
                letters.len(),
                x.shape.len()
            )));
        }
        for (&c, &n) in letters.iter().zip(&x.shape) {
            match sizes.iter_mut().find(|(l, _)| *l == c) {
                Some((_, m)) if *m == 1 => *m = n,
                Some((_, m)) if *m != n && n != 1 => {
                    return Err(shape_error(format!("einsum: `{c}` has length {m} and {n}"))
                        .with_span(span));
                }
                Some(_) => {}
                None => sizes.push((c, n)),
            }
        }
        parsed.push(diagonal(ev, x, letters, span)?);
    }
    let size = |c: char| sizes.iter().find(|(l, _)| *l == c).map_or(1, |(_, n)| *n);
    let out: Vec<char> = match output {
        Some(o) => o.chars().collect(),
        None => {
            // NumPy's implicit output: the broadcast (`...`) axes, then the letters used
            // once, in alphabetical order.
            let mut once: Vec<char> = sizes
                .iter()
                .map(|(c, _)| *c)
                .filter(|c| !BROADCAST.contains(*c))
                .filter(|c| terms.iter().map(|t| t.matches(*c).count()).sum::<usize>() == 1)
                .collect();
            once.sort_unstable();
            let mut lead: Vec<char> = BROADCAST.chars().filter(|c| inputs.contains(*c)).collect();
            lead.extend(once);
            lead
        }
    };
    if let Some(c) = out.iter().find(|c| !sizes.iter().any(|(l, _)| l == *c)) {
        return Err(bad(format!("output letter `{c}` is not in any input")));
    }
    let n = if parsed.len() == 2 {
        let b = parsed.pop().expect("two terms");
        let a = parsed.pop().expect("two terms");
        pair(ev, a, b, &out, &size, span)?
    } else {
        broadcast_product(ev, parsed, &out, &size, span)?
    };
    Ok(Value::Array(ev.fold(n)?))
}

/// An operand whose subscripts repeat a letter (`"ii"`), reduced to its diagonal over
/// each repeated letter, so every term names each axis once.
fn diagonal(ev: &mut Evaluator, x: &NodeRef, letters: Vec<char>, span: Span) -> Result<Term> {
    let mut unique: Vec<char> = Vec::new();
    for &c in &letters {
        if !unique.contains(&c) {
            unique.push(c);
        }
    }
    if unique.len() == letters.len() {
        return Ok(Term {
            node: x.clone(),
            letters,
        });
    }
    // Every axis indexed by an arange of its letter, laid out along that letter's place.
    let mut arrays = Vec::with_capacity(letters.len());
    for (&c, &n) in letters.iter().zip(&x.shape) {
        let at = unique.iter().position(|&u| u == c).unwrap_or(0);
        let r = ev
            .graph
            .arange(Scalar::I64(0), Scalar::I64(1), n, DType::I64, span)?;
        let mut shape = vec![1; unique.len()];
        shape[at] = n;
        arrays.push(ev.graph.reshape(&r, shape, span)?);
    }
    let shapes: Vec<Vec<usize>> = arrays.iter().map(|n| n.shape.clone()).collect();
    let spec = index_spec(&x.shape, vec![IndexItem::Array; letters.len()], &shapes)
        .map_err(|e| e.with_span(span))?;
    let node = ev.graph.index(x, spec, arrays, span)?;
    Ok(Term {
        node,
        letters: unique,
    })
}

/// `t` with the axes of `letters` kept in that order (each present in `t`).
fn arrange(ev: &mut Evaluator, t: &Term, letters: &[char], span: Span) -> Result<NodeRef> {
    let perm: Vec<usize> = letters
        .iter()
        .filter_map(|c| t.letters.iter().position(|l| l == c))
        .collect();
    ev.graph.transpose(&t.node, perm, span)
}

/// Sums `t` over the letters no other term and not the output names.
fn sum_private(
    ev: &mut Evaluator,
    t: Term,
    other: &[char],
    out: &[char],
    span: Span,
) -> Result<Term> {
    let axes: Vec<usize> = (0..t.letters.len())
        .filter(|&d| !other.contains(&t.letters[d]) && !out.contains(&t.letters[d]))
        .collect();
    if axes.is_empty() {
        return Ok(t);
    }
    let node = reduce_axes(ev, ReduceOp::Sum, &t.node, &axes, false, 0, span)?;
    let letters = (0..t.letters.len())
        .filter(|d| !axes.contains(d))
        .map(|d| t.letters[d])
        .collect();
    Ok(Term { node, letters })
}

/// Two operands as one batched matrix product: `[batch, free a, contracted] @ [batch,
/// contracted, free b]`, then reshaped and transposed to the output.
fn pair(
    ev: &mut Evaluator,
    a: Term,
    b: Term,
    out: &[char],
    size: &dyn Fn(char) -> usize,
    span: Span,
) -> Result<NodeRef> {
    let a = sum_private(ev, a, &b.letters.clone(), out, span)?;
    let b = sum_private(ev, b, &a.letters.clone(), out, span)?;
    let shared: Vec<char> = a
        .letters
        .iter()
        .copied()
        .filter(|c| b.letters.contains(c))
        .collect();
    let batch: Vec<char> = shared.iter().copied().filter(|c| out.contains(c)).collect();
    let contract: Vec<char> = shared
        .iter()
        .copied()
        .filter(|c| !out.contains(c))
        .collect();
    let free_a: Vec<char> = a
        .letters
        .iter()
        .copied()
        .filter(|c| !shared.contains(c))
        .collect();
    let free_b: Vec<char> = b
        .letters
        .iter()
        .copied()
        .filter(|c| !shared.contains(c))
        .collect();
    let prod = |cs: &[char]| cs.iter().map(|&c| size(c)).product::<usize>();
    let (nb, nk, na, nf) = (prod(&batch), prod(&contract), prod(&free_a), prod(&free_b));
    let order_a: Vec<char> = [&batch[..], &free_a, &contract].concat();
    let order_b: Vec<char> = [&batch[..], &contract, &free_b].concat();
    let full = |cs: &[char]| cs.iter().map(|&c| size(c)).collect::<Vec<_>>();
    let xa = arrange(ev, &a, &order_a, span)?;
    let xa = ev.graph.broadcast_to(&xa, full(&order_a), span)?;
    let xa = ev.graph.reshape(&xa, vec![nb, na, nk], span)?;
    let xb = arrange(ev, &b, &order_b, span)?;
    let xb = ev.graph.broadcast_to(&xb, full(&order_b), span)?;
    let xb = ev.graph.reshape(&xb, vec![nb, nk, nf], span)?;
    let p = ev.graph.matmul(&xa, &xb, span)?;
    let have: Vec<char> = [&batch[..], &free_a, &free_b].concat();
    let p = ev.graph.reshape(&p, full(&have), span)?;
    let perm: Vec<usize> = out
        .iter()
        .map(|c| have.iter().position(|h| h == c).unwrap_or(0))
        .collect();
    ev.graph.transpose(&p, perm, span)
}

/// One or three and more operands: each laid out over `out` then the summed letters,
/// multiplied with broadcasting, and summed over the letters not in the output.
fn broadcast_product(
    ev: &mut Evaluator,
    terms: Vec<Term>,
    out: &[char],
    size: &dyn Fn(char) -> usize,
    span: Span,
) -> Result<NodeRef> {
    let mut all: Vec<char> = out.to_vec();
    for t in &terms {
        for &c in &t.letters {
            if !all.contains(&c) {
                all.push(c);
            }
        }
    }
    let mut product: Option<NodeRef> = None;
    for t in &terms {
        let x = arrange(ev, t, &all, span)?;
        let shape: Vec<usize> = all
            .iter()
            .map(|&c| if t.letters.contains(&c) { size(c) } else { 1 })
            .collect();
        let x = ev.graph.reshape(&x, shape, span)?;
        product = Some(match product {
            None => x,
            Some(p) => ev.graph.binary(BinaryOp::Mul, &p, &x, span)?,
        });
    }
    let p = product.ok_or_else(|| value_error("einsum needs an operand").with_span(span))?;
    let p = ev
        .graph
        .broadcast_to(&p, all.iter().map(|&c| size(c)).collect(), span)?;
    let summed: Vec<usize> = (out.len()..all.len()).collect();
    if summed.is_empty() {
        return Ok(p);
    }
    reduce_axes(ev, ReduceOp::Sum, &p, &summed, false, 0, span)
}

fn tensordot(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let (x, y) = (a.array(ev, "a")?, a.array(ev, "b")?);
    let span = a.span;
    let (nx, ny) = (x.shape.len(), y.shape.len());
    let (ax, by): (Vec<usize>, Vec<usize>) = match a.get("axes") {
        Some((Value::Tuple(pair), s)) if pair.len() == 2 => {
            let s = *s;
            let mut side = |v: &Value, nd: usize| -> Result<Vec<usize>> {
                let n = ev.expect_array(v, s)?;
                let vals = ev.force(&n)?.to_i64_vec();
                vals.iter()
                    .map(|&d| normalize_axis(d, nd).map_err(|e| e.with_span(s)))
                    .collect()
            };
            (side(&pair[0], nx)?, side(&pair[1], ny)?)
        }
        _ => {
            let n = a.opt_i64(ev, "axes")?.unwrap_or(2);
            if n < 0 || n as usize > nx.min(ny) {
                return Err(value_error(format!("tensordot: cannot contract {n} axes"))
                    .with_span(a.span_of("axes")));
            }
            let n = n as usize;
            ((nx - n..nx).collect(), (0..n).collect())
        }
    };
    if ax.len() != by.len() || ax.iter().zip(&by).any(|(&i, &j)| x.shape[i] != y.shape[j]) {
        return Err(shape_error("tensordot: the contracted axes differ in length").with_span(span));
    }
    let free_x: Vec<usize> = (0..nx).filter(|d| !ax.contains(d)).collect();
    let free_y: Vec<usize> = (0..ny).filter(|d| !by.contains(d)).collect();
    let k: usize = ax.iter().map(|&d| x.shape[d]).product();
    let m: usize = free_x.iter().map(|&d| x.shape[d]).product();
    let n: usize = free_y.iter().map(|&d| y.shape[d]).product();
    let xt = ev.graph.transpose(&x, [&free_x[..], &ax].concat(), span)?;
    let xt = ev.graph.reshape(&xt, vec![m, k], span)?;
    let yt = ev.graph.transpose(&y, [&by[..], &free_y].concat(), span)?;
    let yt = ev.graph.reshape(&yt, vec![k, n], span)?;
    let p = ev.graph.matmul(&xt, &yt, span)?;
    let mut shape: Vec<usize> = free_x.iter().map(|&d| x.shape[d]).collect();
    shape.extend(free_y.iter().map(|&d| y.shape[d]));
    let p = ev.graph.reshape(&p, shape, span)?;
    Ok(Value::Array(ev.fold(p)?))
}
