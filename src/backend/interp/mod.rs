//! The reference interpreter: evaluates graph nodes one by one over ndarray. It is the oracle
//! every other backend is tested against, so it favours obviously-right code over speed.

mod complex;
pub(crate) mod elementwise;
mod layout;
mod reduce;

use super::{Backend, ProgramId, Programs};
use crate::diag::{Result, value_error};
use crate::dtype::DType;
use crate::graph::{IndexSpec, Node, NodeRef, Op};
use crate::runtime::{Array, Operand, Scalar, with_host_params};
use ndarray::{ArrayD, IxDyn};
use rustc_hash::FxHashMap as HashMap;
use std::borrow::Cow;
use std::rc::Rc;

/// The interpreter backend. Prepared programs are kept as graphs and evaluated node by node
/// with their parameters bound.
#[derive(Debug, Default)]
pub struct Interp {
    programs: Programs<Vec<NodeRef>>,
}

impl Backend for Interp {
    fn name(&self) -> &'static str {
        "interp"
    }

    fn compute(&mut self, roots: &[NodeRef], cancel: &dyn Fn() -> bool) -> Result<Vec<Rc<Array>>> {
        let mut memo = HashMap::default();
        roots.iter().map(|r| eval(r, &mut memo, cancel)).collect()
    }

    fn prepare(&mut self, roots: &[NodeRef]) -> Result<ProgramId> {
        Ok(self.programs.insert(roots.to_vec()))
    }

    fn run_prepared(
        &mut self,
        program: ProgramId,
        params: &mut [Operand],
        cancel: &dyn Fn() -> bool,
    ) -> Result<crate::runtime::Operands> {
        let roots = self.programs.get(program)?;
        with_host_params(params, |params| {
            let mut memo = HashMap::default();
            let mut seen = std::collections::HashSet::new();
            for r in roots {
                bind_params(r, params, &mut memo, &mut seen)?;
            }
            roots.iter().map(|r| eval(r, &mut memo, cancel)).collect()
        })
    }

    fn release(&mut self, program: ProgramId) {
        self.programs.remove(program);
    }
}

/// The value of `node`, whose inputs are all computed (the evaluator folding a small value
/// as it traces): [`eval`] without its memo.
pub(crate) fn eval_on_computed(node: &Node) -> Result<Rc<Array>> {
    let inputs: Option<Vec<Rc<Array>>> = node.inputs.iter().map(|n| n.value()).collect();
    match inputs {
        Some(inputs) => compute_checked(node, &inputs),
        None => eval(node, &mut HashMap::default(), &|| false),
    }
}

/// Puts the values of the parameters `node` reads into `memo`.
fn bind_params(
    node: &Node,
    params: &[Rc<Array>],
    memo: &mut HashMap<u64, Rc<Array>>,
    seen: &mut std::collections::HashSet<u64>,
) -> Result<()> {
    if !node.reads_param || !seen.insert(node.id) {
        return Ok(());
    }
    if let Op::Param(n) = node.op {
        let v = params
            .get(n)
            .ok_or_else(|| value_error(format!("internal error: parameter {n} is not bound")))?;
        memo.insert(node.id, v.clone());
    }
    node.inputs
        .iter()
        .try_for_each(|i| bind_params(i, params, memo, seen))
}

/// Evaluates `node`, reusing values already computed in this run (`memo`) or earlier.
pub fn eval(
    node: &Node,
    memo: &mut HashMap<u64, Rc<Array>>,
    cancel: &dyn Fn() -> bool,
) -> Result<Rc<Array>> {
    if let Some(v) = node.value() {
        return Ok(v);
    }
    if let Some(v) = memo.get(&node.id) {
        return Ok(v.clone());
    }
    if cancel() {
        return Err(crate::diag::Error::new(
            crate::diag::ErrorKind::Interrupted,
            "cancelled by Ctrl-C",
        ));
    }
    let inputs = node
        .inputs
        .iter()
        .map(|n| eval(n, memo, cancel))
        .collect::<Result<Vec<_>>>()?;
    let value = compute_checked(node, &inputs)?;
    memo.insert(node.id, value.clone());
    Ok(value)
}

/// Computes one node from its input values, after checking its result against the
/// process's memory limit.
fn compute_checked(node: &Node, inputs: &[Rc<Array>]) -> Result<Rc<Array>> {
    let bytes = (node.size() * node.dtype.size_bytes()) as u64;
    crate::runtime::check_alloc(bytes).map_err(|e| e.or_span(node.span))?;
    let value = Rc::new(compute(node, inputs).map_err(|e| e.or_span(node.span))?);
    debug_assert_eq!(
        value.shape(),
        node.shape.as_slice(),
        "shape inferred for {:?}",
        node.op
    );
    debug_assert_eq!(
        value.dtype(),
        node.dtype,
        "dtype inferred for {:?}",
        node.op
    );
    Ok(value)
}

/// Computes one node from its input values.
pub(crate) fn compute(node: &Node, inputs: &[Rc<Array>]) -> Result<Array> {
    if let Some(v) = scalar_f64(node, |i| inputs.get(i).map(|a| &**a)).map(Array::scalar) {
        return Ok(v);
    }
    let x = || &*inputs[0];
    Ok(match &node.op {
        Op::Const(a) => (**a).clone(),
        Op::Fill(s) => Array::full(&node.shape, s.cast(node.dtype)),
        Op::Arange { start, step } => arange(*start, *step, node.shape[0], node.dtype),
        Op::Unary(op) => elementwise::unary(*op, x(), node.dtype)?,
        Op::Binary { op, compute } => {
            elementwise::binary(*op, x(), &inputs[1], *compute, &node.shape)?
        }
        Op::Where => elementwise::select(x(), &inputs[1], &inputs[2], &node.shape, node.dtype),
        Op::Complex => elementwise::complex(x(), &inputs[1], &node.shape),
        Op::Cast => x().cast(node.dtype),
        Op::Reduce {
            op,
            axis,
            keepdims,
            ddof,
        } => reduce::reduce(*op, x(), *axis, *keepdims, *ddof, node.dtype),
        Op::Scan { op, axis } => reduce::scan(*op, x(), *axis, node.dtype),
        Op::Reshape => x().reshape(&node.shape),
        Op::Transpose(perm) => layout::transpose(x(), perm),
        Op::BroadcastTo => layout::broadcast(x(), &node.shape),
        Op::Index(spec) => {
            let (arrays, spec) = resolve_positions(spec, &inputs[1..]);
            layout::index(x(), &spec, arrays)?
        }
        Op::Update(spec) => {
            let (arrays, spec) = resolve_positions(spec, &inputs[2..]);
            layout::update(x(), &spec, &inputs[1], arrays)?
        }
        Op::Position { axis, len } => {
            let Some(Scalar::I64(i)) = x().as_scalar() else {
                unreachable!("a position is computed from a 0-d i64")
            };
            Array::scalar(Scalar::I64(position(i, *axis, *len)?))
        }
        Op::Concat(axis) => layout::concat(inputs, *axis),
        Op::MatMul => {
            crate::library::matmul::matmul_strided((x(), None), (&inputs[1], None), &node.shape)?
        }
        Op::Library(call) => {
            let args: Vec<&Array> = inputs.iter().map(|a| &**a).collect();
            crate::library::call(call, &args, &node.shape)?
        }
        Op::Random {
            dist,
            seed,
            draw,
            input,
        } => {
            // A recorded loop's seed or draw base is its input (`lower::replay`).
            let (seed, draw) = match (input, inputs.first().and_then(|b| b.as_scalar())) {
                (Some(how), Some(Scalar::I64(v))) => how.apply(v, *seed, *draw),
                _ => (*seed, *draw),
            };
            crate::random::draw(*dist, seed, draw, &node.shape, node.dtype)
        }
        Op::Param(n) => {
            return Err(value_error(format!(
                "internal error: loop parameter {n} has no value bound"
            )));
        }
        Op::Device(d) => return Err(d.foreign()),
    })
}

/// The update `spec` of a node whose inputs after `x` are `rest` (the value, index arrays
/// and positions), written into `x` itself, a row-major array: unchanged when this fails
/// (see `layout::update_into`).
pub(crate) fn update_into(x: &mut Array, spec: &IndexSpec, rest: &[Rc<Array>]) -> Result<()> {
    let Some((value, rest)) = rest.split_first() else {
        return Err(value_error("internal error: an update without a value"));
    };
    let (arrays, spec) = resolve_positions(spec, rest);
    layout::update_into(x, &spec, value, arrays)
}

/// Whether every position of `arrays`, the index arrays of an update `spec` (no dynamic
/// items) of an array of `shape`, is within it: [`update_into`] cannot fail then.
pub(crate) fn positions_fit(spec: &IndexSpec, shape: &[usize], arrays: &[Rc<Array>]) -> bool {
    layout::positions_fit(spec, shape, arrays)
}

/// Splits an index node's inputs after `x` (and an update's value) into its index arrays and
/// the spec with its dynamic items resolved by the position inputs that follow them.
fn resolve_positions<'a>(
    spec: &'a IndexSpec,
    inputs: &'a [Rc<Array>],
) -> (&'a [Rc<Array>], Cow<'a, IndexSpec>) {
    let n = spec.dynamic_count();
    if n == 0 {
        return (inputs, Cow::Borrowed(spec));
    }
    let (arrays, positions) = inputs.split_at(inputs.len() - n);
    let positions: Vec<usize> = positions
        .iter()
        .map(|p| match p.as_scalar() {
            Some(Scalar::I64(i)) => i as usize,
            _ => unreachable!("positions are 0-d i64"),
        })
        .collect();
    (arrays, Cow::Owned(spec.resolve(&positions)))
}

/// `index` as a position on `axis`, of `len` elements (NumPy's rules), or an index error.
pub(crate) fn position(index: i64, axis: usize, len: usize) -> Result<i64> {
    let n = len as i64;
    let j = if index < 0 { index + n } else { index };
    if j < 0 || j >= n {
        return Err(crate::diag::index_error(format!(
            "index {index} is out of bounds for axis {axis} with size {n}"
        )));
    }
    Ok(j)
}

fn arange(start: Scalar, step: Scalar, len: usize, dtype: DType) -> Array {
    match dtype {
        DType::I64 => {
            let (Scalar::I64(a), Scalar::I64(s)) = (start, step) else {
                unreachable!("cast when built")
            };
            Array::I64(ArrayD::from_shape_fn(IxDyn(&[len]), |i| {
                a.wrapping_add(s.wrapping_mul(i[0] as i64))
            }))
        }
        _ => {
            let (a, s) = (start.as_f64(), step.as_f64());
            Array::F64(ArrayD::from_shape_fn(IxDyn(&[len]), |i| {
                a + s * i[0] as f64
            }))
            .cast(dtype)
        }
    }
}

/// The value of `node` when it is arithmetic or a comparison computed in f64 on 0-d f64 or
/// i64 values (`(1 - alpha * alpha) * beta` in a loop body): the element functions every
/// backend uses, without the array machinery. `None` for anything else. `input(i)` is the
/// value of input `i`.
pub(crate) fn scalar_f64<'a>(
    node: &Node,
    input: impl Fn(usize) -> Option<&'a Array>,
) -> Option<Scalar> {
    if !node.shape.is_empty() {
        return None;
    }
    let value = |i: usize| match input(i) {
        Some(Array::F64(a)) if a.ndim() == 0 => a.first().copied(),
        _ => None,
    };
    // A binary operation computing in f64 casts an integer operand (`1 - a * a`).
    let operand = |i: usize| match input(i) {
        Some(Array::I64(a)) if a.ndim() == 0 => a.first().map(|&x| x as f64),
        _ => value(i),
    };
    let scalar = match node.op {
        Op::Unary(op) if node.dtype == DType::F64 => {
            Scalar::F64(elementwise::unary_f64(op, value(0)?))
        }
        Op::Binary {
            op,
            compute: DType::F64,
        } => {
            let (a, b) = (operand(0)?, operand(1)?);
            match node.dtype {
                DType::F64 if !op.is_predicate() => Scalar::F64(elementwise::binary_f64(op, a, b)),
                DType::Bool if op.is_predicate() => Scalar::Bool(elementwise::compare(op, a, b)),
                _ => return None,
            }
        }
        _ => return None,
    };
    Some(scalar)
}
