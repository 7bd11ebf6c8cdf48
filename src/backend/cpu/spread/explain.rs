//! What a plan moves between the processes of a job, step by step, as `arr explain` shows
//! it under MPI: the same decisions [`Cpu::execute`](crate::backend::cpu::Cpu) takes (which
//! work is spread, which rows are fetched, what is gathered), made from the plan's shapes
//! without running it.

use super::{Held, Spread, Spreading, Work, part, rows_of};
use crate::fuse::{Buffer, Plan, Step};
use std::fmt::Write;

impl Spreading<'_> {
    /// One line per step of `plan`: how its work is divided between the processes and the
    /// bytes this process receives for it. Values spread on the ranks come in by rows; where
    /// the plan's values are kept (`every_store`: a prepared program, `compute_kept`), so do
    /// its large parameters (a replayed loop's state, as the previous run leaves it), and
    /// its spread results stay spread instead of being gathered.
    pub(in crate::backend::cpu) fn explain(&self, plan: &Plan) -> String {
        let shape_of = |b: usize| -> Option<&[usize]> {
            Some(match &plan.buffers[b] {
                Buffer::Value(a) => a.shape(),
                Buffer::Param { shape, .. } | Buffer::Temp { shape, .. } => shape,
                Buffer::Device(d) => &d.shape,
            })
        };
        let size_of = |b: usize| match &plan.buffers[b] {
            Buffer::Value(a) => a.dtype().size_bytes(),
            Buffer::Param { dtype, .. } | Buffer::Temp { dtype, .. } => dtype.size_bytes(),
            Buffer::Device(d) => d.dtype.size_bytes(),
        };
        let row_bytes = |b: usize| shape_of(b).map_or(0, |s| rows_of(s).1 * size_of(b));
        // The bytes gathering spread buffer `b` brings this process: the others' rows.
        let gathered = |b: usize| {
            let rows = shape_of(b).map_or(1, |s| rows_of(s).0);
            (rows - part(rows, self.me, self.ranks).len()) * row_bytes(b)
        };
        let mut held: Vec<Held> = (plan.buffers.iter())
            .map(|b| match b {
                Buffer::Device(d) if Spread::borrowed(d).is_some() => Held::Rows,
                Buffer::Param { shape, .. } if self.every_store && self.spreadable(shape) => {
                    Held::Rows
                }
                _ => Held::Whole,
            })
            .collect();
        let mut text = format!(
            "between the {} MPI ranks, as rank {} sees it:\n",
            self.ranks, self.me
        );
        for step in &plan.steps {
            match step {
                Step::Kernel {
                    kernel,
                    out,
                    shape,
                    into,
                    ..
                } => {
                    let columns = super::super::reduce::by_columns(kernel);
                    let work = self.work(kernel, shape, into.is_some(), columns);
                    let wants =
                        self.wants(kernel, &work, &held, |b| Some((shape_of(b)?, size_of(b))));
                    let received: usize = (wants.iter())
                        .flat_map(|w| (0..self.ranks).map(move |p| (w, p)))
                        .map(|(w, p)| w.bytes(self.me, p, self.ranks, size_of(w.buffer)))
                        .sum();
                    for w in wants.iter().filter(|w| w.whole()) {
                        held[w.buffer] = Held::Whole;
                    }
                    let what = match &work {
                        Work::Rows(_) => {
                            let own = work.positions(self.me, self.ranks);
                            format!(
                                "spread by rows (this rank: positions {}..{} of {})",
                                own.start,
                                own.end,
                                kernel.dims.iter().product::<usize>()
                            )
                        }
                        Work::Reduce(..) => "reduction shared (partials all-gathered)".into(),
                        Work::Whole(_) => "whole on every rank".into(),
                    };
                    let spread_into = into.is_some_and(|b| held[b] == Held::Rows);
                    held[*out] = if matches!(work, Work::Rows(_)) || spread_into {
                        Held::Rows
                    } else {
                        Held::Whole
                    };
                    let _ = write!(text, "  buf{out}: kernel {what}");
                    if received > 0 {
                        let _ = write!(text, ", receives {received} bytes of others' rows");
                    }
                    if let Some(split) = self.split(kernel, &work, &wants) {
                        let (i, n) = (split.interior, work.positions(self.me, self.ranks).len());
                        let _ = write!(
                            text,
                            " while computing positions {}..{} ({}%)",
                            i.start,
                            i.end,
                            (100 * i.len()).checked_div(n).unwrap_or(0)
                        );
                    }
                    text.push('\n');
                }
                Step::Node { node, inputs, out } => {
                    let product = self.product(node, inputs, &held, shape_of);
                    let spread = product.is_some();
                    let what = if spread {
                        "matrix product spread by the rows of its result"
                    } else {
                        "library step, whole on every rank"
                    };
                    let whole = match product {
                        Some(whole) => whole,
                        None => inputs.iter().map(|a| a.buf).collect(),
                    };
                    let mut bytes = 0;
                    for b in whole {
                        if held[b] == Held::Rows {
                            bytes += gathered(b);
                            held[b] = Held::Whole;
                        }
                    }
                    held[*out] = if spread { Held::Rows } else { Held::Whole };
                    let _ = write!(text, "  buf{out}: {what}");
                    if bytes > 0 {
                        let _ = write!(text, ", gathers its inputs first: {bytes} bytes");
                    }
                    text.push('\n');
                }
            }
        }
        let spread_roots = (plan.roots.iter()).filter(|&&b| held[b] == Held::Rows);
        if self.every_store {
            let kept = spread_roots.count();
            if kept > 0 {
                let _ = writeln!(
                    text,
                    "  results kept spread: {kept} (each rank keeps its own rows; nothing gathered)"
                );
            }
            return text;
        }
        let results: usize = spread_roots.map(|&b| gathered(b)).sum();
        if results > 0 {
            let _ = writeln!(text, "  results gathered whole: {results} bytes");
        }
        text
    }
}
