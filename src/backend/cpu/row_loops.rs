//! The loops of store kernels (and of reductions by columns, which combine into an
//! accumulator row): one row, element by element after the vector loop (`simd`), or
//! `rows` rows one after the other, each input moved by its jump between rows.

use super::codegen::{RowWrite, Translator, clif_type};
use super::simd;
use crate::fuse::Inst;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{self, InstBuilder, MemFlagsData, types};
use cranelift_frontend::Variable;

impl Translator<'_> {
    /// [`Self::row_loop`] storing `rows` rows, one after the other: every input's address
    /// and the output's move by their `jumps` entry (in bytes, the output's last) between
    /// rows.
    pub(super) fn rows_loop(
        &mut self,
        (n, rows, jumps): (ir::Value, ir::Value, ir::Value),
        out: ir::Value,
        out_step: ir::Value,
        v: usize,
    ) {
        let row = self.counter();
        let starts: Vec<Variable> = (self.bases.iter().chain([&out]))
            .map(|&at| {
                let var = self.b.declare_var(types::I64);
                self.b.def_var(var, at);
                var
            })
            .collect();
        let (header, body, latch, advance, exit) = (
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
        );
        self.b.ins().jump(header, &[]);
        self.b.switch_to_block(header);
        let r = self.b.use_var(row);
        let more = self.b.ins().icmp(IntCC::SignedLessThan, r, rows);
        self.b.ins().brif(more, body, &[], exit, &[]);
        self.b.switch_to_block(body);
        let (inputs, out_start) = starts.split_at(starts.len() - 1);
        self.bases = inputs.iter().map(|&at| self.b.use_var(at)).collect();
        let out = self.b.use_var(out_start[0]);
        self.row_loop(n, out, out_step, v, RowWrite::Store, Some(latch));
        self.b.switch_to_block(latch);
        let r = self.b.use_var(row);
        let next = self.b.ins().iadd_imm_s(r, 1);
        self.b.def_var(row, next);
        let more = self.b.ins().icmp(IntCC::SignedLessThan, next, rows);
        self.b.ins().brif(more, advance, &[], exit, &[]);
        // Only with another row to go: a one-row call passes no jumps.
        self.b.switch_to_block(advance);
        for (k, &at) in starts.iter().enumerate() {
            let flags = MemFlagsData::trusted();
            let jump = self.b.ins().load(types::I64, flags, jumps, 8 * k as i32);
            let start = self.b.use_var(at);
            let moved = self.b.ins().iadd(start, jump);
            self.b.def_var(at, moved);
        }
        self.b.ins().jump(header, &[]);
        self.b.switch_to_block(exit);
        self.b.ins().return_(&[]);
    }

    /// `for i in 0..n { out[i·step] = v(i) }` (store) or `out[i·step] ∘= v(i)` (combining
    /// into an accumulator row), bumping one address per input; then returns, or continues
    /// at `then`.
    pub(super) fn row_loop(
        &mut self,
        n: ir::Value,
        out: ir::Value,
        out_step: ir::Value,
        v: usize,
        write: RowWrite,
        then: Option<ir::Block>,
    ) {
        let i = self.counter();
        let cursors = self.cursors();
        let out_cursor = self.b.declare_var(types::I64);
        self.b.def_var(out_cursor, out);
        let (header, body, exit) = (
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
        );
        if simd::vectorisable(self.kernel) {
            self.vector_row(n, out_step, (i, &cursors, out_cursor), v, write, header);
        } else {
            self.b.ins().jump(header, &[]);
        }
        self.b.switch_to_block(header);
        let iv = self.b.use_var(i);
        let more = self.b.ins().icmp(IntCC::SignedLessThan, iv, n);
        self.b.ins().brif(more, body, &[], exit, &[]);
        self.b.switch_to_block(body);
        let at: Vec<ir::Value> = cursors.iter().map(|&c| self.b.use_var(c)).collect();
        let vals = self.body(&at);
        let addr = self.b.use_var(out_cursor);
        let flags = MemFlagsData::trusted();
        match (write, &self.kernel.body[v].inst) {
            (RowWrite::Store, Inst::Complex(re, im)) => {
                self.b.ins().store(flags, vals[*re], addr, 0);
                self.b.ins().store(flags, vals[*im], addr, 8);
            }
            (RowWrite::Store, _) => {
                self.b.ins().store(flags, vals[v], addr, 0);
            }
            (RowWrite::Combine(combine), _) => {
                let dtype = self.kernel.body[v].dtype;
                let old = self.b.ins().load(clif_type(dtype), flags, addr, 0);
                let x = self.combine(combine, dtype, old, vals[v]);
                self.b.ins().store(flags, x, addr, 0);
            }
        }
        for (k, &c) in cursors.iter().enumerate() {
            let next = self.b.ins().iadd(at[k], self.steps[k]);
            self.b.def_var(c, next);
        }
        let next_out = self.b.ins().iadd(addr, out_step);
        self.b.def_var(out_cursor, next_out);
        let next = self.b.ins().iadd_imm_s(iv, 1);
        self.b.def_var(i, next);
        self.b.ins().jump(header, &[]);
        self.b.switch_to_block(exit);
        match then {
            Some(block) => self.b.ins().jump(block, &[]),
            None => self.b.ins().return_(&[]),
        };
    }
}
