//! Kernels that store into part of an array: an indexed update's region, one part of a
//! concatenation, and row-major copies.

use super::{Builder, broadcast_view, identity};
use crate::dtype::DType;
use crate::fuse::ir::{Kernel, Output, Source};
use crate::fuse::{BufId, Planner, contiguous_strides, is_basic};
use crate::graph::{IndexItem, NodeRef, Op};

/// A store kernel copying buffer `b` (holding `x`) to a new row-major buffer.
pub(in crate::fuse) fn copy(planner: &mut Planner, x: &NodeRef, b: BufId) -> Kernel {
    let mut k = Builder::new(planner, x.shape.clone());
    let (_, strides) = k.planner.layout(b);
    let v = k.load(
        Source::Buffer(b),
        x.dtype,
        0,
        &strides,
        &identity(x.shape.len()),
    );
    k.finish(Output::Store(v))
}

/// The kernel of an indexed update `x[spec] = v` with a basic `spec`: it stores `v` into the
/// region of a row-major copy of `x` (or of `x` itself when nothing else needs it). Returns
/// the kernel and the buffer holding `x`; `None` when the update is not a kernel.
pub(in crate::fuse) fn build_update(
    planner: &mut Planner,
    node: &NodeRef,
) -> Option<(Kernel, BufId)> {
    let Op::Update(spec) = &node.op else {
        return None;
    };
    if node.dtype == DType::C128
        || node.size() == 0
        || !is_basic(&spec.items)
        || node.inputs.len() != 2 + spec.dynamic_count()
    {
        return None;
    }
    let region = spec.result_shape();
    if region.iter().product::<usize>() == 0 {
        return None;
    }
    let old = planner.materialize(&node.inputs[0]);
    let mut positions = node.inputs[2..]
        .iter()
        .map(|p| planner.materialize(p))
        .collect::<Vec<_>>()
        .into_iter();
    let base = contiguous_strides(&node.shape);
    let mut b = Builder::new(planner, region.clone());
    b.out_offset = 0;
    b.out_strides.clear();
    for (item, &stride) in spec.items.iter().zip(&base) {
        match item {
            IndexItem::At(p) => b.out_offset += stride * *p as i64,
            IndexItem::Dynamic => b
                .out_dynamic
                .push((positions.next().expect("one per dynamic item"), stride)),
            IndexItem::Slice { start, step, .. } => {
                b.out_offset += stride * start;
                b.out_strides.push(stride * step);
            }
            IndexItem::Array => unreachable!("basic index only"),
        }
    }
    let v = &node.inputs[1];
    let view = broadcast_view(&v.shape, &region, &identity(region.len()));
    let size = region.iter().product();
    let x = b.emit(v, &view, size);
    let x = b.cast(x, node.dtype);
    Some((b.finish(Output::Store(x)), old))
}

/// The kernel storing `part` into its block of a row-major array of `shape` that starts at
/// index `start` along `axis` (one part of a concatenation: `roll` is two).
pub(in crate::fuse) fn build_part(
    planner: &mut Planner,
    part: &NodeRef,
    shape: &[usize],
    axis: usize,
    start: usize,
) -> Kernel {
    let strides = contiguous_strides(shape);
    let mut b = Builder::new(planner, part.shape.clone());
    b.out_offset = strides[axis] * start as i64;
    b.out_strides = strides;
    b.count_local_users(part);
    let view = identity(part.shape.len());
    let v = b.emit(part, &view, part.size());
    let v = b.cast(v, part.dtype);
    b.finish(Output::Store(v))
}
