//! Fetching the rows of spread arrays that a kernel's positions read and this process lacks
//! (for a stencil, its neighbours' halo rows): packed into one message per process that
//! has some, sent and received point to point (only between processes that exchange
//! anything, never a collective of every process), and unpacked into the arrays.
//!
//! While the messages travel, the process computes the *interior* of its positions —
//! those that read only its own rows (see [`Spreading::split`]) — and the rest after they
//! arrive. How much travel that hides depends on the MPI library: messages progress inside
//! its calls, so a large one may move mostly in the final wait.

use super::reads::rows_and_columns;
use super::{Spreading, Want, Work, bytes_of, bytes_of_mut, part};
use crate::fuse::{Kernel, Source};
use crate::runtime::Array;
use std::ops::Range;
use std::rc::Rc;

/// Rows of leading coordinates searched from each end of a process's positions for the
/// interior (a stencil reaching further out runs without overlap).
const REACH: usize = 16;

/// One exchange of rows: per process, the bytes sent to it and the bytes received from it
/// (empty: none).
pub(in crate::backend::cpu) struct Halo {
    sends: Vec<Vec<u8>>,
    recvs: Vec<Vec<u8>>,
}

/// This process's positions of a spread store, cut where they start and stop reading
/// rows of other processes: `interior` reads only its own rows, `before` and `after` the
/// rest.
pub(in crate::backend::cpu) struct Split {
    pub before: Range<usize>,
    pub interior: Range<usize>,
    pub after: Range<usize>,
}

impl Spreading<'_> {
    /// Sends every process the rows of `wants` it reads from this one, and receives into
    /// `buffers` (each held only there) those this one reads from the others: the bytes
    /// received.
    pub(in crate::backend::cpu) fn exchange(
        &self,
        wants: &[Want],
        buffers: &mut [Option<Rc<Array>>],
    ) -> usize {
        let mut halo = self.pack(wants, buffers);
        self.transfer(&mut halo, &mut || {});
        self.unpack(halo, wants, buffers)
    }

    /// The rows of `wants` this process sends each other one (copied out of `buffers`
    /// now), and room for those it receives.
    pub(in crate::backend::cpu) fn pack(
        &self,
        wants: &[Want],
        buffers: &[Option<Rc<Array>>],
    ) -> Halo {
        let array = |w: &Want| buffers[w.buffer].as_deref().expect("wanted buffers exist");
        let mut sends = vec![Vec::new(); self.ranks];
        let mut recvs = vec![Vec::new(); self.ranks];
        for (q, (send, recv)) in sends.iter_mut().zip(&mut recvs).enumerate() {
            for w in wants {
                let a = array(w);
                let size = a.dtype().size_bytes();
                for r in w.between(q, self.me, self.ranks) {
                    for span in w.segments(r, q, size) {
                        send.extend_from_slice(&bytes_of(a)[span]);
                    }
                }
                let bytes = w.bytes(self.me, q, self.ranks, size);
                recv.resize(recv.len() + bytes, 0);
            }
        }
        Halo { sends, recvs }
    }

    /// Moves `halo`'s messages, running `meanwhile` while they travel.
    pub(in crate::backend::cpu) fn transfer(&self, halo: &mut Halo, meanwhile: &mut dyn FnMut()) {
        self.share.exchange(&halo.sends, &mut halo.recvs, meanwhile);
    }

    /// Writes the rows `halo` received into the arrays of `wants` in `buffers` (each held
    /// only there): the bytes received.
    pub(in crate::backend::cpu) fn unpack(
        &self,
        halo: Halo,
        wants: &[Want],
        buffers: &mut [Option<Rc<Array>>],
    ) -> usize {
        let mut received = 0;
        for (p, message) in halo.recvs.iter().enumerate() {
            let mut at = 0;
            for w in wants {
                let a = buffers[w.buffer].as_mut().and_then(Rc::get_mut);
                let a = a.expect("the caller holds wanted buffers alone");
                let size = a.dtype().size_bytes();
                let a = bytes_of_mut(a);
                for r in w.between(self.me, p, self.ranks) {
                    for span in w.segments(r, self.me, size) {
                        let n = span.len();
                        a[span].copy_from_slice(&message[at..at + n]);
                        at += n;
                    }
                }
            }
            received += at;
        }
        received
    }

    /// This process's positions of `work` (a store spread by rows) cut into those that
    /// read only its own rows of the buffers of `wants` and those before and after them;
    /// `None` when they are not so cut (another kind of work, nothing wanted, or no
    /// interior).
    pub(in crate::backend::cpu) fn split(
        &self,
        kernel: &Kernel,
        work: &Work,
        wants: &[Want],
    ) -> Option<Split> {
        let Work::Rows(map) = work else {
            return None;
        };
        if wants.is_empty() {
            return None;
        }
        let own = work.positions(self.me, self.ranks);
        let unit = map.inner.max(1);
        // Whether positions `p` read only this process's rows of every wanted buffer.
        let inside = |p: Range<usize>| {
            wants.iter().all(|w| {
                let mine = part(w.rows, self.me, self.ranks);
                (kernel.inputs.iter())
                    .filter(|i| i.source == Source::Buffer(w.buffer))
                    .all(|i| {
                        rows_and_columns(i, &kernel.dims, p.clone(), w.rows, (w.row_len, w.parts))
                            .is_none_or(|(r, _)| {
                                mine.start <= r.range.start && r.range.end <= mine.end
                            })
                    })
            })
        };
        let count = own.len() / unit;
        let row = |c: usize| own.start + c * unit..own.start + (c + 1) * unit;
        let before = (0..REACH.min(count)).find(|&c| inside(row(c)))?;
        let after = (0..REACH.min(count)).find(|&c| inside(row(count - 1 - c)))?;
        let interior = own.start + before * unit..own.end - after * unit;
        let split = Split {
            before: own.start..interior.start,
            after: interior.end..own.end,
            interior: interior.clone(),
        };
        (!interior.is_empty() && inside(interior)).then_some(split)
    }
}

impl Want {
    /// The bytes of row `r`'s elements that `reader` reads, in the buffer (elements of
    /// `size` bytes): one run of them, or one element each where it reads every few.
    fn segments(&self, r: usize, reader: usize, size: usize) -> impl Iterator<Item = Range<usize>> {
        let c = &self.columns[reader];
        let row = r * self.row_len;
        // Contiguous columns are one run (stepping over all of them), others one each.
        let each = if c.step == 1 { c.range.len().max(1) } else { 1 };
        (c.range.clone().step_by(c.step.max(each)))
            .map(move |e| (row + e) * size..(row + e + each) * size)
    }
}
