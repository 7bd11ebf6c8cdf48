//! A spread array's own rows, moved whole: what an update keeps of them in its copy, and
//! gathering every process's rows.

use super::{Spreading, bytes_of, bytes_of_mut, part, rows_of};
use crate::backend::cpu::memory::Gaps;
use crate::runtime::Array;

impl Spreading<'_> {
    /// Copies into `to` what an update keeps of `from` (its old array, of the same shape
    /// and dtype) in this process's rows: the `gaps` between the rows of the region its
    /// kernel stores, in rows of `inner` elements.
    pub(in crate::backend::cpu) fn copy_own_gaps(
        &self,
        to: &mut Array,
        from: &Array,
        gaps: &Gaps,
        inner: usize,
    ) {
        let (rows, row_len) = rows_of(from.shape());
        let size = from.dtype().size_bytes();
        let own = part(rows, self.me, self.ranks);
        let (to, from) = (bytes_of_mut(to), bytes_of(from));
        for gap in gaps.within(inner, own.start * row_len..own.end * row_len) {
            let span = gap.start * size..gap.end * size;
            to[span.clone()].copy_from_slice(&from[span]);
        }
    }

    /// Copies into `to` this process's rows of `from` (of the same shape and dtype,
    /// row-major).
    pub(in crate::backend::cpu) fn copy_own_rows(&self, to: &mut Array, from: &Array) {
        let (rows, row_len) = rows_of(from.shape());
        let bytes = row_len * from.dtype().size_bytes();
        let own = part(rows, self.me, self.ranks);
        let span = own.start * bytes..own.end * bytes;
        bytes_of_mut(to)[span.clone()].copy_from_slice(&bytes_of(from)[span]);
    }

    /// Makes `array`, held in this process's rows, whole: every process's rows gathered.
    /// The bytes received.
    pub(in crate::backend::cpu) fn gather(&self, array: &mut Array) -> usize {
        let (rows, row_len) = rows_of(array.shape());
        let row_bytes = row_len * array.dtype().size_bytes();
        let counts: Vec<usize> = (0..self.ranks)
            .map(|p| part(rows, p, self.ranks).len() * row_bytes)
            .collect();
        let own = part(rows, self.me, self.ranks);
        let all = bytes_of_mut(array);
        let mine = all[own.start * row_bytes..own.end * row_bytes].to_vec();
        self.share.all_gather(&mine, &counts, all);
        all.len() - mine.len()
    }
}
