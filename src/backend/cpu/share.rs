//! Sharing a kernel's work between the processes of an SPMD job (the MPI backend's ranks).
//! Every process runs the same plan; a reduction worth sharing is cut into one contiguous
//! part per process — of the fixed tree's blocks for a whole reduction, of its outputs for
//! an axis reduction — and the parts are gathered, so every process ends with the whole
//! result. (A store is spread by rows instead, see [`super::spread`].) Each part computes
//! exactly what one process alone computes there (the same pieces, blocks and combines),
//! so results are bit-identical for any number of processes.

use crate::fuse::{Inst, Kernel, Output};
use crate::graph::EXPENSIVE;
use std::ops::Range;

/// The processes of a job, as a kernel's run sees them.
pub trait Share {
    /// This process's index and the number of processes.
    fn place(&self) -> (usize, usize);

    /// Gathers every process's part: process `p` contributes `counts[p]` bytes (this one
    /// `mine`), written to `out` in process order. Every process calls it with the same
    /// `counts`.
    fn all_gather(&self, mine: &[u8], counts: &[usize], out: &mut [u8]);

    /// Sends `sends[q]` to each process `q` and receives from each process `p` the
    /// `recvs[p].len()` bytes it sends, point to point — nothing to or from a process whose
    /// buffer is empty, so only the processes that exchange anything take part — calling
    /// `meanwhile` while the messages travel. Every pair of processes agrees on the sizes.
    fn exchange(&self, sends: &[Vec<u8>], recvs: &mut [Vec<u8>], meanwhile: &mut dyn FnMut());
}

/// Positions below which a kernel runs whole on every process: gathering a small result
/// costs more than computing it (for a store into a new array in a one-off plan, see
/// `spread`).
const SHARE_MIN: usize = 1 << 16;

/// The part of `n` items (positions, blocks or outputs) process `p` of `ranks` takes:
/// contiguous, in order, sizes differing by at most one.
pub fn part(n: usize, p: usize, ranks: usize) -> Range<usize> {
    let (q, r) = (n / ranks, n % ranks);
    let start = p * q + p.min(r);
    start..start + q + usize::from(p < r)
}

/// Whether a kernel over `positions` elements is worth sharing: a reduction always (its
/// parts gather to a few values), a store into a new array only when each element costs
/// much more than moving it (transcendental functions, powers, random draws), as every
/// process may need the whole result.
pub(super) fn worth_sharing(kernel: &Kernel, positions: usize) -> bool {
    if positions < SHARE_MIN {
        return false;
    }
    match kernel.output {
        Output::Reduce { .. } => true,
        Output::Store(_) => expensive(kernel),
    }
}

/// Whether a kernel's body computes a transcendental function, a power or a random draw.
fn expensive(kernel: &Kernel) -> bool {
    kernel.body.iter().any(|v| match &v.inst {
        Inst::Random { .. } => true,
        Inst::Unary(op, _) => op.cost() >= EXPENSIVE,
        Inst::Binary(op, ..) => op.cost() >= EXPENSIVE,
        _ => false,
    })
}

/// Element types whose values are plain bytes (no padding, every pattern written comes
/// from a value of the same type), so parts can travel as bytes.
pub(super) trait Plain: Copy {}
impl Plain for f64 {}
impl Plain for f32 {}
impl Plain for i64 {}
impl Plain for bool {}
impl Plain for num_complex::Complex64 {}

/// Gathers the parts of `out` that each process computed (`part(n, p, ranks)` of its `n`
/// items of `T`, this process's already in place) so that every process holds all of it.
pub(super) fn gather_parts<T: Plain>(share: &dyn Share, out: &mut [T]) {
    let (me, ranks) = share.place();
    let size = std::mem::size_of::<T>();
    let counts: Vec<usize> = (0..ranks)
        .map(|p| part(out.len(), p, ranks).len() * size)
        .collect();
    let mine = part(out.len(), me, ranks);
    let sent = as_bytes(&out[mine]).to_vec();
    let all = as_bytes_mut(out);
    share.all_gather(&sent, &counts, all);
}

/// The bytes of plain values (floats, integers, bools and complex numbers).
#[allow(unsafe_code)]
pub(super) fn as_bytes<T: Plain>(v: &[T]) -> &[u8] {
    // SAFETY: `Plain` types have no padding, every byte is initialised, and u8 has
    // alignment 1.
    unsafe { std::slice::from_raw_parts(v.as_ptr() as *const u8, std::mem::size_of_val(v)) }
}

/// [`as_bytes`], writable: every byte pattern written is a value some process computed
/// for the same element.
#[allow(unsafe_code)]
pub(super) fn as_bytes_mut<T: Plain>(v: &mut [T]) -> &mut [u8] {
    // SAFETY: as for `as_bytes`; the bytes written come from the same type's values.
    unsafe { std::slice::from_raw_parts_mut(v.as_mut_ptr() as *mut u8, std::mem::size_of_val(v)) }
}

#[cfg(test)]
mod tests {
    use super::part;

    #[test]
    fn parts_tile_in_order() {
        for n in [0, 1, 5, 7, 4096] {
            for ranks in 1..5 {
                let mut next = 0;
                for p in 0..ranks {
                    let r = part(n, p, ranks);
                    assert_eq!(r.start, next);
                    assert!(r.len() <= n / ranks + 1);
                    next = r.end;
                }
                assert_eq!(next, n);
            }
        }
    }
}
