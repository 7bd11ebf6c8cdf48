//! Host side of reductions: the accumulator types and their combines (matching the
//! generated code), reductions by rows (each output's sequence in the fixed tree's blocks,
//! lanes rotated so a kernel call always starts at lane 0) and by columns (one accumulator
//! row per lane when the reduced axis is strided). Either way the order of every combine is
//! the tree's, so results are bit-identical to the interpreter for any thread count.

use super::exec::Code;
use super::exec::{CHUNK, Rows, call, map_pieces, segments};
use super::share::Share;
use crate::fuse::tree::{self, BLOCK, LANES};
use crate::fuse::{Combine, Kernel, Output, Source};

/// Whether an axis reduction should run by columns: the reduced (last) axis is strided for
/// some input while the axis before it is the one inputs walk contiguously (a `sum` over a
/// leading axis of a row-major matrix).
pub(super) fn by_columns(kernel: &Kernel) -> bool {
    let d = kernel.dims.len();
    let Output::Reduce { axis: true, .. } = kernel.output else {
        return false;
    };
    let draws = kernel
        .body
        .iter()
        .any(|v| matches!(v.inst, crate::fuse::Inst::Random { .. }));
    if d < 2 || kernel.dims[d - 2] < 16 || draws {
        return false;
    }
    let buffers = kernel
        .inputs
        .iter()
        .filter(|i| matches!(i.source, Source::Buffer(_)));
    let mut any_strided = false;
    for i in buffers {
        let (across, along) = (i.strides[d - 2].abs(), i.strides[d - 1].abs());
        if across > 1 && across >= along {
            return false;
        }
        any_strided |= along > 1;
    }
    any_strided
}

/// An axis reduction by columns: for each block of the reduced axis, every reduced index
/// adds one row of the outputs into the lane `index % 4` accumulator row; lanes and blocks
/// then combine exactly as in [`reduce`], so the bits are the same as by rows.
pub(super) fn reduce_columns<T: Acc>(f: Code, mut rows: Rows, c: Combine, divide: bool) -> Vec<T> {
    let d = rows.dims.len();
    rows.dims.to_mut().swap(d - 2, d - 1);
    for i in &mut rows.inputs {
        i.strides.to_mut().swap(d - 2, d - 1);
    }
    let (r, cols) = (rows.dims[d - 2], rows.dims[d - 1]);
    let outer: usize = rows.dims[..d - 2].iter().product();
    // Columns are independent, so how they are split into tasks does not change any bit:
    // one strip per thread, at least 64 columns wide. Wide strips read long runs of each
    // row (measured, `sum(m, axis=0)` of 4000×2500 on 2 cores: four strips per thread
    // 7.4 ms, one 5.2 ms; NumPy 7.2 ms).
    let threads = crate::runtime::team::threads();
    let strip = cols.div_ceil(threads.div_ceil(outer)).max(64);
    let strips = cols.div_ceil(strip);
    // Moving one reduced index moves each input by its stride along that axis.
    let advance: Vec<i64> = rows
        .inputs
        .iter()
        .map(|i| i.strides[d - 2] * i.scale)
        .collect();
    let op = |a, b| T::combine(c, a, b);
    let task = |t: usize| -> Vec<T> {
        let (q, s) = (t / strips, t % strips);
        let (j0, j1) = (s * strip, ((s + 1) * strip).min(cols));
        let w = j1 - j0;
        let mut blocks: Vec<Vec<T>> = Vec::new();
        let mut lanes = vec![T::identity(c); LANES * w];
        let mut bases = vec![0i64; rows.inputs.len()];
        let steps = rows.steps();
        for b in 0..r.div_ceil(BLOCK) {
            lanes.iter_mut().for_each(|l| *l = T::identity(c));
            rows.bases(q * r + b * BLOCK, j0, &mut bases);
            for i in b * BLOCK..((b + 1) * BLOCK).min(r) {
                let lane = &mut lanes[(i % LANES) * w..(i % LANES + 1) * w];
                call(f, &bases, &steps, w, lane.as_mut_ptr() as usize);
                bases.iter_mut().zip(&advance).for_each(|(b, a)| *b += a);
            }
            blocks.push(
                (0..w)
                    .map(|j| tree::lanes_value(std::array::from_fn(|l| lanes[l * w + j]), &op))
                    .collect(),
            );
        }
        (0..w)
            .map(|j| {
                let per_block: Vec<T> = blocks.iter().map(|b| b[j]).collect();
                let v = tree::combine_blocks(&per_block, T::identity(c), &op);
                if divide { v.divide(r) } else { v }
            })
            .collect()
    };
    let parts: Vec<Vec<T>> = map_pieces(outer * r * cols, outer * strips, task);
    parts.into_iter().flatten().collect()
}

/// Accumulator element types and their combines (matching the generated code).
pub(super) trait Acc: super::share::Plain + Default + Send + Sync {
    fn identity(c: Combine) -> Self;
    fn combine(c: Combine, a: Self, b: Self) -> Self;
    fn divide(self, n: usize) -> Self;
}

macro_rules! float_acc {
    ($t:ty) => {
        impl Acc for $t {
            fn identity(c: Combine) -> $t {
                match c {
                    Combine::Sum => 0.0,
                    Combine::Prod => 1.0,
                    Combine::Min => <$t>::INFINITY,
                    Combine::Max => <$t>::NEG_INFINITY,
                    Combine::Any | Combine::All => unreachable!("bool accumulator"),
                }
            }
            fn combine(c: Combine, a: $t, b: $t) -> $t {
                match c {
                    Combine::Sum => a + b,
                    Combine::Prod => a * b,
                    // IEEE minimum/maximum, as the generated `fmin`/`fmax`: NaN wins, -0 < +0.
                    Combine::Min | Combine::Max => {
                        let min = c == Combine::Min;
                        if a.is_nan() || b.is_nan() {
                            <$t>::NAN
                        } else if a != b {
                            if (a < b) == min { a } else { b }
                        } else if a.is_sign_negative() == min {
                            a
                        } else {
                            b
                        }
                    }
                    Combine::Any | Combine::All => unreachable!("bool accumulator"),
                }
            }
            fn divide(self, n: usize) -> $t {
                self / n as $t
            }
        }
    };
}
float_acc!(f64);
float_acc!(f32);

impl Acc for i64 {
    fn identity(c: Combine) -> i64 {
        match c {
            Combine::Sum => 0,
            Combine::Prod => 1,
            Combine::Min => i64::MAX,
            Combine::Max => i64::MIN,
            Combine::Any | Combine::All => unreachable!("bool accumulator"),
        }
    }
    fn combine(c: Combine, a: i64, b: i64) -> i64 {
        match c {
            Combine::Sum => a.wrapping_add(b),
            Combine::Prod => a.wrapping_mul(b),
            Combine::Min => a.min(b),
            Combine::Max => a.max(b),
            Combine::Any | Combine::All => unreachable!("bool accumulator"),
        }
    }
    fn divide(self, _: usize) -> i64 {
        unreachable!("means are taken in floats")
    }
}

impl Acc for bool {
    fn identity(c: Combine) -> bool {
        matches!(c, Combine::All | Combine::Min)
    }
    fn combine(c: Combine, a: bool, b: bool) -> bool {
        match c {
            Combine::All | Combine::Min => a && b,
            _ => a || b,
        }
    }
    fn divide(self, _: usize) -> bool {
        unreachable!("means are taken in floats")
    }
}

/// One block (flattened positions `start..end`) in lanes, rotating the lanes so the
/// kernel's lane 0 is the segment's first element.
fn block<T: Acc>(f: Code, rows: &Rows, c: Combine, start: usize, end: usize) -> T {
    let mut lanes = [T::identity(c); LANES];
    segments(rows, start, end, |bases, steps, len, pos| {
        let phase = (pos - start) % LANES;
        let mut rotated = [T::identity(c); LANES];
        for (r, l) in rotated.iter_mut().enumerate() {
            *l = lanes[(phase + r) % LANES];
        }
        call(f, bases, steps, len, rotated.as_mut_ptr() as usize);
        for (r, l) in rotated.iter().enumerate() {
            lanes[(phase + r) % LANES] = *l;
        }
    });
    tree::lanes_value(lanes, &|a, b| T::combine(c, a, b))
}

/// A reduction by rows: a whole one (`axis` false) or one output per row of the last axis.
/// With `share`, this process computes its part of the blocks (or of the outputs) and the
/// parts are gathered (see [`share`](super::share)).
pub(super) fn reduce<T: Acc>(
    f: Code,
    rows: &Rows,
    c: Combine,
    axis: bool,
    divide: bool,
    share: Option<&dyn Share>,
) -> Vec<T> {
    let op = |a, b| T::combine(c, a, b);
    let total: usize = rows.dims.iter().product();
    let mine = |n: usize| match share {
        Some(s) => {
            let (me, ranks) = s.place();
            super::share::part(n, me, ranks)
        }
        None => 0..n,
    };
    if !axis {
        let blocks = total.div_ceil(BLOCK);
        let one = |b: usize| block::<T>(f, rows, c, b * BLOCK, ((b + 1) * BLOCK).min(total));
        let part = mine(blocks);
        // The positions the part covers decide whether the team runs it, as for all blocks.
        let covered = (part.end * BLOCK).min(total) - (part.start * BLOCK).min(total);
        let computed: Vec<T> = map_pieces(covered, part.len(), |i| one(part.start + i));
        let partials = gathered(share, blocks, part, computed, T::identity(c));
        let v = tree::combine_blocks(&partials, T::identity(c), &op);
        return vec![if divide { v.divide(total) } else { v }];
    }
    let r = rows.dims[rows.dims.len() - 1];
    let outputs = total / r;
    let one = |o: usize| {
        let partials: Vec<T> = (0..r.div_ceil(BLOCK))
            .map(|b| {
                block::<T>(
                    f,
                    rows,
                    c,
                    o * r + b * BLOCK,
                    o * r + ((b + 1) * BLOCK).min(r),
                )
            })
            .collect();
        let v = tree::combine_blocks(&partials, T::identity(c), &op);
        if divide { v.divide(r) } else { v }
    };
    let part = mine(outputs);
    let per_task = (CHUNK / r).max(1);
    let computed: Vec<T> = if part.len() <= per_task {
        part.clone().map(one).collect()
    } else {
        let tasks = part.len().div_ceil(per_task);
        let parts = map_pieces(part.len() * r, tasks, |t| {
            (part.start + t * per_task..(part.start + (t + 1) * per_task).min(part.end))
                .map(one)
                .collect::<Vec<T>>()
        });
        parts.into_iter().flatten().collect()
    };
    gathered(share, outputs, part, computed, T::identity(c))
}

/// The positions process `p` of `ranks` reads when a reduction over `dims` is shared (see
/// [`reduce`]): those of its part of the blocks (`axis` false) or of the outputs.
pub(super) fn shared_positions(
    dims: &[usize],
    axis: bool,
    p: usize,
    ranks: usize,
) -> std::ops::Range<usize> {
    let total: usize = dims.iter().product();
    if !axis {
        let part = super::share::part(total.div_ceil(BLOCK), p, ranks);
        return (part.start * BLOCK).min(total)..(part.end * BLOCK).min(total);
    }
    let r = dims[dims.len() - 1].max(1);
    let part = super::share::part(total / r, p, ranks);
    part.start * r..part.end * r
}

/// All `n` values of a reduction, given this process's `computed` ones (at `part`): the
/// other processes' gathered in with `share`, else `computed` is all of them.
fn gathered<T: Acc>(
    share: Option<&dyn Share>,
    n: usize,
    part: std::ops::Range<usize>,
    computed: Vec<T>,
    fill: T,
) -> Vec<T> {
    let Some(s) = share else {
        return computed;
    };
    let mut all = vec![fill; n];
    all[part].copy_from_slice(&computed);
    super::share::gather_parts(s, &mut all);
    all
}
