//! Matrix products spread by rows: each process computes the rows of `a @ b` in its own
//! block (the result's rows are `a`'s), from its own rows of `a` when `a` is spread the same
//! way and `b` whole. Each row has the bits one process alone computes for it (see
//! `library::matmul::matmul_rows`), so results stay identical for any number of processes.

use super::{Held, Spreading, rows_of};
use crate::diag::Result;
use crate::fuse::Arg;
use crate::graph::{NodeRef, Op};
use crate::runtime::Array;
use smallvec::SmallVec;
use std::rc::Rc;

/// Multiply-adds from which a matrix product is spread between processes (0.1 ms of one
/// core or more), when each result element costs at least [`PRODUCT_DEPTH_MIN`] of them
/// (so gathering the result, should it be observed whole, costs far less).
const PRODUCT_SPREAD_MIN: usize = 1 << 18;

/// Multiply-adds per result element from which a product is worth spreading.
const PRODUCT_DEPTH_MIN: usize = 32;

impl Spreading<'_> {
    /// For a matrix product `node` of `inputs` (buffers held as `held`, of shapes
    /// `shape_of`) worth spreading by rows: the buffers to make whole first (the right
    /// operand, and the left one unless this process holds the rows it reads). None when
    /// the product runs whole on every process. Every process decides the same (from
    /// shapes alone; rows too few for `matmul_rows` are refused here).
    pub(in crate::backend::cpu) fn product<'s>(
        &self,
        node: &NodeRef,
        inputs: &[Arg],
        held: &[Held],
        shape_of: impl Fn(usize) -> Option<&'s [usize]>,
    ) -> Option<SmallVec<[usize; 2]>> {
        let (Op::MatMul, [a, b]) = (&node.op, inputs) else {
            return None;
        };
        let array_shape = shape_of(a.buf)?;
        let shape = a.view.as_ref().map_or(array_shape, |v| &v.shape[..]);
        let (&[m, k], &[rows, ..]) = (shape, &node.shape[..]) else {
            return None;
        };
        let n = node.shape.get(1).copied().unwrap_or(1);
        let fewest = m / self.ranks;
        let worth = rows == m
            && node.shape.len() <= 2
            && fewest >= 2
            && fewest * n * k > crate::library::matmul::SMALL_PRODUCT
            && k >= PRODUCT_DEPTH_MIN
            && m * n * k >= PRODUCT_SPREAD_MIN;
        if !worth {
            return None;
        }
        // The left operand's rows lie in its array's rows of the same index (so held by
        // the same process): the whole array, or columns of it.
        let same_rows = match &a.view {
            None => true,
            Some(v) => {
                let (array_rows, row_len) = rows_of(array_shape);
                let last = v.offset + (k as i64 - 1) * v.strides[1];
                array_rows == m
                    && v.strides[0] == row_len as i64
                    && (0..row_len as i64).contains(&v.offset)
                    && (0..row_len as i64).contains(&last)
            }
        };
        let mut whole = SmallVec::new();
        if held[a.buf] == Held::Rows && !same_rows {
            whole.push(a.buf);
        }
        whole.push(b.buf);
        Some(whole)
    }

    /// This process's rows of the product `node` (see [`Spreading::product`]) in an array
    /// of the whole result's shape, valid in those rows only; None when the library
    /// refuses the form (every process alike), to run whole.
    pub(in crate::backend::cpu) fn product_rows(
        &self,
        node: &NodeRef,
        inputs: &[Arg],
        args: &[Rc<Array>],
    ) -> Result<Option<Array>> {
        let (Some(a), Some(b)) = (inputs.first(), inputs.get(1)) else {
            return Ok(None);
        };
        let rows = super::part(node.shape[0], self.me, self.ranks);
        crate::library::matmul::matmul_rows(
            (&args[0], a.view.as_ref()),
            (&args[1], b.view.as_ref()),
            &node.shape,
            rows,
        )
        .map_err(|e| e.or_span(node.span))
    }
}
