//! The loops of store kernels (and of reductions by columns, which combine into an
//! accumulator row): one row, element by element after the vector loop (`simd`), or
//! `rows` rows one after the other, each input moved by its jump between rows.

use super::codegen::{RowWrite, Translator, clif_type};
use super::simd;
use crate::fuse::Inst;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{self, InstBuilder, MemFlagsData, types};

impl Translator<'_> {
    /// [`Self::row_loop`] storing `rows` rows, one after the other: every input's address
    /// and the output's move by their `jumps` entry (in bytes, the output's last) between
    /// rows. The rows' starts, the row count and `jumps` wait in a stack slot while a row
    /// runs, so the row loop has the registers it has in a one-row kernel (a strided row's
    /// scalar loop keeps every cursor and step in one).
    pub(super) fn rows_loop(
        &mut self,
        (n, rows, jumps): (ir::Value, ir::Value, ir::Value),
        out: ir::Value,
        out_step: ir::Value,
        v: usize,
    ) {
        let entries = self.bases.len() + 1;
        let (row_at, rows_at, jumps_at) = (8 * entries, 8 * entries + 8, 8 * entries + 16);
        let slot = self.b.create_sized_stack_slot(ir::StackSlotData::new(
            ir::StackSlotKind::ExplicitSlot,
            8 * entries as u32 + 24,
            3,
        ));
        let starts: Vec<ir::Value> = self.bases.iter().chain([&out]).copied().collect();
        for (k, &at) in starts.iter().enumerate() {
            self.b.ins().stack_store(types::I64, at, slot, 8 * k as i32);
        }
        let zero = self.b.ins().iconst(types::I64, 0);
        self.b
            .ins()
            .stack_store(types::I64, zero, slot, row_at as i32);
        self.b
            .ins()
            .stack_store(types::I64, rows, slot, rows_at as i32);
        self.b
            .ins()
            .stack_store(types::I64, jumps, slot, jumps_at as i32);
        let (body, latch, advance, exit) = (
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
        );
        // `rows` is at least one.
        self.b.ins().jump(body, &[]);
        self.b.switch_to_block(body);
        let load = |t: &mut Self, at: usize| {
            t.b.ins()
                .stack_load(types::I64, types::I64, slot, at as i32)
        };
        self.bases = (0..entries - 1).map(|k| load(self, 8 * k)).collect();
        let out = load(self, 8 * (entries - 1));
        self.row_loop(n, out, out_step, v, RowWrite::Store, Some(latch));
        self.b.switch_to_block(latch);
        let r = load(self, row_at);
        let next = self.b.ins().iadd_imm_s(r, 1);
        self.b
            .ins()
            .stack_store(types::I64, next, slot, row_at as i32);
        let rows = load(self, rows_at);
        let more = self.b.ins().icmp(IntCC::SignedLessThan, next, rows);
        self.b.ins().brif(more, advance, &[], exit, &[]);
        // Only with another row to go: a one-row call passes no jumps.
        self.b.switch_to_block(advance);
        let jumps = load(self, jumps_at);
        for k in 0..entries {
            let flags = MemFlagsData::trusted();
            let jump = self.b.ins().load(types::I64, flags, jumps, 8 * k as i32);
            let start = load(self, 8 * k);
            let moved = self.b.ins().iadd(start, jump);
            self.b
                .ins()
                .stack_store(types::I64, moved, slot, 8 * k as i32);
        }
        self.b.ins().jump(body, &[]);
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
