//! Normalised index expressions: what `x[...]` selects along each axis of `x`, and the
//! shape of the result (NumPy's basic and advanced indexing rules).

/// One item of a normalised index: what it selects along one input axis.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IndexItem {
    /// A single position (already made non-negative and checked); drops the axis.
    At(usize),
    /// `len` positions starting at `start` with stride `step` (may be negative).
    Slice { start: i64, step: i64, len: usize },
    /// The next integer-array input of the node gathers along this axis.
    Array,
    /// A single position known only when the node is computed: the node's next position
    /// input (an [`Op::Position`], after the index arrays and an update's value); drops the
    /// axis. Only recorded loop bodies build these (`y[:, j] = y[:, j - 1]`).
    Dynamic,
}

/// A normalised index expression over all axes of its input.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IndexSpec {
    /// One item per input axis.
    pub items: Vec<IndexItem>,
    /// Broadcast shape of the index arrays (empty when there are none).
    pub array_shape: Vec<usize>,
    /// Where the gathered dimensions go in the result: after this many basic dims.
    pub array_pos: usize,
}

impl IndexSpec {
    /// How many position inputs the node has ([`IndexItem::Dynamic`] items).
    pub fn dynamic_count(&self) -> usize {
        self.items
            .iter()
            .filter(|i| matches!(i, IndexItem::Dynamic))
            .count()
    }

    /// The spec with each dynamic item replaced by its position, in order.
    pub fn resolve(&self, positions: &[usize]) -> IndexSpec {
        let mut next = positions.iter();
        let items = self
            .items
            .iter()
            .map(|item| match item {
                IndexItem::Dynamic => IndexItem::At(*next.next().expect("one per dynamic item")),
                other => other.clone(),
            })
            .collect();
        IndexSpec {
            items,
            array_shape: self.array_shape.clone(),
            array_pos: self.array_pos,
        }
    }

    /// The shape of `x[spec]`.
    pub fn result_shape(&self) -> Vec<usize> {
        let mut out = Vec::new();
        let has_arrays = self.items.iter().any(|i| matches!(i, IndexItem::Array));
        for item in &self.items {
            if let IndexItem::Slice { len, .. } = item {
                out.push(*len);
            }
        }
        if has_arrays {
            let at = self.array_pos.min(out.len());
            out.splice(at..at, self.array_shape.iter().copied());
        }
        out
    }
}
