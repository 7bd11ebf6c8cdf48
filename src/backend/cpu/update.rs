//! Gathers and updates through index arrays in a plan: an update written into its array
//! when nothing else needs the old one (NumPy's in-place `x[idx] = v`, not a copy of `x`),
//! and the positions of those whose index arrays a run has before it starts checked first,
//! so that they cannot fail once a caller's array is being written.

use crate::diag::Result;
use crate::fuse::{Buffer, Plan, Step};
use crate::runtime::Array;
use smallvec::SmallVec;
use std::rc::Rc;

/// An indexed update (`x[idx] = v`) written into its array, as NumPy's is, when this step is
/// the array's last use and nothing else holds it: a temporary, or a parameter whose
/// caller lent it (see `run::donate`) provided no later step can fail, since the caller's array
/// is then the result. Every position is checked before anything is written, so a failing
/// update leaves the array as it was (a lent parameter goes back to `params`). `None`: the
/// update runs as any library step, on a copy.
pub(super) fn in_place(
    plan: &Plan,
    (last_use, infallible_from): (bool, usize),
    (s, node, inputs): (usize, &crate::graph::NodeRef, &[crate::fuse::Arg]),
    params: &mut [Rc<Array>],
    buffers: &mut [Option<Rc<Array>>],
) -> Result<Option<Rc<Array>>> {
    let crate::graph::Op::Update(spec) = &node.op else {
        return Ok(None);
    };
    let Some((first, rest)) = inputs.split_first() else {
        return Ok(None);
    };
    let b = first.buf;
    if first.view.is_some() || !last_use || rest.iter().any(|a| a.buf == b) {
        return Ok(None);
    }
    let Some(mut old) = buffers[b].take() else {
        return Ok(None);
    };
    let lent = match plan.buffers[b] {
        Buffer::Temp { .. } => None,
        Buffer::Param { index, .. }
            if s + 1 >= infallible_from && super::run::donate(&mut params[index], &old) =>
        {
            Some(index)
        }
        _ => {
            buffers[b] = Some(old);
            return Ok(None);
        }
    };
    let rest: SmallVec<[Rc<Array>; 4]> = (rest.iter())
        .map(|a| {
            buffers[a.buf]
                .clone()
                .expect("plan order: inputs computed first")
        })
        .collect();
    let written = (Rc::get_mut(&mut old).filter(|x| x.is_standard_layout()))
        .map(|x| crate::backend::interp::update_into(x, spec, &rest));
    match written {
        Some(Ok(())) => Ok(Some(old)),
        unwritten => {
            // Unchanged: back where it was.
            if let Some(index) = lent {
                params[index] = old.clone();
            }
            buffers[b] = Some(old);
            match unwritten {
                Some(Err(e)) => Err(e.or_span(node.span)),
                _ => Ok(None),
            }
        }
    }
}

/// A gather or an update through index arrays at step `s` whose index arrays are
/// parameters or constants of the plan (no positions computed by it), so that its positions
/// can be checked before the run starts: its spec, the indexed array's shape, and the
/// buffers of the index arrays.
fn given_positions(
    plan: &Plan,
    s: usize,
) -> Option<(&crate::graph::IndexSpec, &[usize], &[crate::fuse::Arg])> {
    let Step::Node { node, inputs, .. } = &plan.steps[s] else {
        return None;
    };
    let (spec, first) = match &node.op {
        crate::graph::Op::Index(spec) => (spec, 1),
        crate::graph::Op::Update(spec) => (spec, 2),
        _ => return None,
    };
    let arrays = inputs.get(first..).filter(|a| !a.is_empty())?;
    let given = |a: &crate::fuse::Arg| {
        matches!(plan.buffers[a.buf], Buffer::Param { .. } | Buffer::Value(_))
    };
    let x = node.inputs.first()?;
    (spec.dynamic_count() == 0 && arrays.iter().all(given)).then_some((spec, &x.shape[..], arrays))
}

/// Whether step `s` can fail only by positions out of bounds, checkable before the run
/// starts (see [`given_positions`]).
pub(super) fn checkable_positions(plan: &Plan, s: usize) -> bool {
    given_positions(plan, s).is_some()
}

/// Whether the positions of the step `s` [`checkable_positions`] accepts are all within
/// the indexed array: it cannot fail then.
pub(super) fn positions_fit(plan: &Plan, s: usize, params: &[Rc<Array>]) -> bool {
    let Some((spec, shape, args)) = given_positions(plan, s) else {
        return false;
    };
    let arrays: Option<SmallVec<[Rc<Array>; 2]>> = (args.iter())
        .map(|a| match &plan.buffers[a.buf] {
            Buffer::Param { index, .. } => params.get(*index).cloned(),
            Buffer::Value(v) => Some(v.clone()),
            _ => None,
        })
        .collect();
    arrays.is_some_and(|arrays| crate::backend::interp::positions_fit(spec, shape, &arrays))
}
