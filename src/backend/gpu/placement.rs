//! Where each step of a plan runs on the GPU backend (`place`), and how `explain` and
//! `--emit wgsl` show it: the placement with its reasons and the bytes moved, and the shaders.

use super::reduce::Reduction;
use super::{Gpu, buffer_layout, device_bytes_of, reduce, transfer, wgsl};
use crate::fuse::tree::LANES;
use crate::fuse::{Buffer, Kernel, Output, Plan, Source, Step};
use crate::graph::NodeRef;
use std::fmt::Write;

impl Gpu {
    /// The shader of a kernel step when it runs on the GPU, or why it runs on the CPU: its
    /// code (see `wgsl::render`), a 64-bit dtype the adapter's shaders lack (with
    /// `--fallback cpu`; without it, `execute` stops), an array above what the adapter
    /// binds at once in a kernel that cannot run in bands (`bands`), or an address beyond
    /// 32 bits.
    pub(super) fn place(
        &self,
        plan: &Plan,
        kernel: &Kernel,
        shape: &[usize],
        aliased: Option<usize>,
    ) -> std::result::Result<wgsl::Rendered, String> {
        let total: usize = kernel.dims.iter().product();
        let result = transfer::device_size(kernel.result_dtype());
        // A reduction writes its partials (one per lane of each block) and its results.
        let out_bytes = match Reduction::of(kernel) {
            Ok(r) => (r.rows * result)
                .max(r.rows * r.blocks * LANES * transfer::device_size(kernel.body[r.value].dtype)),
            Err(_) => shape.iter().product::<usize>().max(total) * result,
        };
        let largest = kernel
            .inputs
            .iter()
            .filter_map(|i| match i.source {
                Source::Buffer(b) => Some(device_bytes_of(plan, b)),
                Source::Counter => None,
            })
            .chain([out_bytes])
            .max()
            .unwrap_or(0);
        let banded = largest as u64 > self.device.max_binding;
        if banded && largest as u64 > self.device.max_buffer {
            return Err(format!(
                "an array of {largest} bytes is above the adapter's largest buffer of {} bytes",
                self.device.max_buffer
            ));
        }
        if !self.device.f64
            && let Some(t) = wgsl::f64_dtype(kernel)
        {
            let then = if self.fallback_cpu {
                "--fallback cpu"
            } else {
                "an error without --fallback cpu"
            };
            return Err(format!("needs {t}, not in the adapter's shaders; {then}"));
        }
        if wgsl::info(kernel, total.max(1) * LANES, 0, 0).is_none() {
            return Err("an address does not fit 32 bits".into());
        }
        let rendered = self.rendered(kernel, aliased)?;
        if banded && self.bands(kernel, &rendered).is_none() {
            return Err(format!(
                "an array of {largest} bytes is above the {} bytes the adapter binds at once, \
                 and the kernel cannot run in bands of rows",
                self.device.max_binding
            ));
        }
        Ok(rendered)
    }

    /// The bands a kernel runs in when one of its arrays is above what the adapter binds
    /// at once (see `bands`).
    pub(super) fn bands(
        &self,
        kernel: &Kernel,
        shader: &wgsl::Rendered,
    ) -> Option<Vec<super::bands::Band>> {
        super::bands::bands(
            kernel,
            &shader.buffers,
            shader.aliased,
            self.device.max_binding,
            self.device.align,
        )
    }

    /// Where each step of `plan` runs, for `explain`, with the bytes each moves between
    /// host and device (a host value already resident on the device moves none). A
    /// prepared program's (a replayed loop body's) parameters are the loop's state, which
    /// the previous iteration left on the device, except 0-d ones (the loop variable, a
    /// draw count), which come from the host; its results stay where they were computed.
    pub(super) fn placement(&self, plan: &Plan) -> String {
        let mut s = format!("placement on {}:\n", self.device.name);
        let mut on_device: Vec<bool> = plan
            .buffers
            .iter()
            .map(|b| match b {
                Buffer::Value(a) => self.resident(a).is_some(),
                Buffer::Device(_) => true,
                Buffer::Param { shape, .. } => !shape.is_empty(),
                Buffer::Temp { .. } => false,
            })
            .collect();
        let mut on_host: Vec<bool> = plan
            .buffers
            .iter()
            .map(|b| match b {
                Buffer::Value(_) => true,
                Buffer::Param { shape, .. } => shape.is_empty(),
                Buffer::Device(_) | Buffer::Temp { .. } => false,
            })
            .collect();
        let bytes = |b: usize| {
            let (shape, dtype) = buffer_layout(plan, b);
            shape.iter().product::<usize>() * dtype.size_bytes()
        };
        // Brings the buffers `reads` to the side `here` marks, returning the bytes moved.
        let fetch = |here: &mut [bool], reads: Vec<usize>| {
            let mut moved = 0;
            for b in reads {
                if !here[b] {
                    here[b] = true;
                    moved += bytes(b);
                }
            }
            moved
        };
        let moved = |n: usize, to_device: bool| match (n, to_device) {
            (0, _) => String::new(),
            (n, true) => format!(", uploads {n} bytes"),
            (n, false) => format!(", reads back {n} bytes"),
        };
        for (n, step) in plan.steps.iter().enumerate() {
            let (where_, why, out) = match step {
                Step::Kernel {
                    kernel,
                    shape,
                    out,
                    into,
                    ..
                } => {
                    let reads = kernel
                        .inputs
                        .iter()
                        .filter_map(|i| match i.source {
                            Source::Buffer(b) => Some(b),
                            Source::Counter => None,
                        })
                        .chain(*into)
                        .collect();
                    match self.place(plan, kernel, shape, None) {
                        Ok(shader) => {
                            let why = if shader.status {
                                " (on the cpu instead if an element needs libm's exact \
                                 `sin`/`cos`)"
                            } else {
                                ""
                            };
                            let m = moved(fetch(&mut on_device, reads), true);
                            (true, format!("kernel on the gpu{why}{m}"), *out)
                        }
                        Err(why) => {
                            let m = moved(fetch(&mut on_host, reads), false);
                            (false, format!("kernel on the cpu ({why}){m}"), *out)
                        }
                    }
                }
                Step::Node { node, inputs, out } => {
                    let reads = inputs.iter().map(|a| a.buf).collect();
                    match self.matmul_operands(plan, node, inputs) {
                        Ok(_) => {
                            let m = moved(fetch(&mut on_device, reads), true);
                            let what = format!("{} on the gpu (tiled shader){m}", node.op.label());
                            (true, what, *out)
                        }
                        Err(why) => {
                            let m = moved(fetch(&mut on_host, reads), false);
                            let what = format!("{} on the cpu ({why}){m}", node.op.label());
                            (false, what, *out)
                        }
                    }
                }
            };
            on_device[out] = where_;
            on_host[out] = !where_;
            let _ = writeln!(s, "  step {n}: {why}");
        }
        let program = plan
            .buffers
            .iter()
            .any(|b| matches!(b, Buffer::Param { .. }));
        if program {
            let _ = writeln!(s, "  results: stay where they were computed");
        } else {
            let back = fetch(&mut on_host, plan.roots.clone());
            if back > 0 {
                let _ = writeln!(s, "  results: read back {back} bytes");
            }
        }
        s
    }

    /// The shaders of `roots`' plan (`--emit wgsl`), and why any kernel is not one.
    pub(super) fn shaders(&self, roots: &[NodeRef]) -> String {
        let plan = Plan::build(roots, false);
        let mut text = String::new();
        for (n, step) in plan.steps.iter().enumerate() {
            let (kernel, shape) = match step {
                Step::Kernel { kernel, shape, .. } => (kernel, shape),
                Step::Node { node, inputs, .. } => {
                    if self.matmul_operands(&plan, node, inputs).is_ok() {
                        let _ = writeln!(text, "// step {n}: matmul");
                        text.push_str(&super::matmul::render(node.dtype));
                    }
                    continue;
                }
            };
            let _ = writeln!(text, "// step {n}");
            match self.place(&plan, kernel, shape, None) {
                Ok(shader) => {
                    text.push_str(&shader.text);
                    if let Output::Reduce {
                        combine,
                        value,
                        divide,
                        ..
                    } = kernel.output
                    {
                        let _ = writeln!(text, "// step {n}, second pass");
                        text.push_str(&reduce::render_finish(
                            combine,
                            kernel.body[value].dtype,
                            divide,
                            self.device.ints,
                        ));
                    }
                }
                Err(why) => {
                    let _ = writeln!(text, "// on the cpu: {why}");
                }
            }
        }
        text
    }
}
