//! The GPU backend: the CPU backend's plans (`fuse`), with every kernel the renderer can
//! express run as a WGSL compute shader through wgpu (`wgsl`, `math`, `device`; arrays above
//! what the adapter binds at once in `bands`), f32/f64 matrix products as a tiled shader
//! (`matmul`), and the rest — other library steps (linear algebra, FFT, sort, gathers) and
//! kernels that call libm or draw normal numbers — on the CPU, with their inputs read back
//! and their results uploaded only when a later step runs on the GPU. `explain` says where
//! each step runs and why (`placement`).
//!
//! Values stay on the device between steps and plans (`slots`): a forced plan's roots are
//! read back, as something observes them, but a prepared program's (a replayed loop
//! body's) stay on the device as [`Operand::Device`] values. f64 is computed as f64 where
//! the adapter offers `SHADER_F64` (else such kernels are an error, or run on the CPU with
//! `--fallback cpu`), with the decompositions of `fuse::math` and the reduction tree of
//! `fuse::tree`, so results have the CPU's bits wherever the adapter rounds `+ - * / sqrt`
//! correctly (lavapipe does) — matrix products excepted (see `matmul`).

mod bands;
mod device;
mod math;
mod matmul;
mod ops;
mod pairs;
mod placement;
mod random;
mod reduce;
mod shaders;
mod slots;
mod transfer;
mod wgsl;

use super::cpu::Cpu;
use super::{Backend, BackendStats, ProgramId, Programs};
use crate::diag::{Error, ErrorKind, Result};
use crate::dtype::DType;
use crate::fuse::{Buffer, Kernel, Output, Plan, Source, Step};
use crate::graph::NodeRef;
use crate::runtime::{Array, DeviceValue, Operand};
use device::{Device, DeviceBuffer};
use reduce::Reduction;
use slots::{Slot, ours};
use std::rc::Rc;
use std::time::Instant;

/// The wgpu backend.
pub struct Gpu {
    device: Device,
    /// Runs the steps the GPU does not (see the module docs).
    cpu: Cpu,
    programs: Programs<Plan>,
    /// Device copies of host arrays this backend has uploaded or read back, by the host
    /// array's address: a value read back at the end of one plan (a loop's state) is not
    /// uploaded again by the next. An entry lives as long as its host array (the `Weak`
    /// keeps the address from being reused meanwhile).
    resident: rustc_hash::FxHashMap<usize, (std::rc::Weak<Array>, Rc<DeviceBuffer>)>,
    /// Whether a kernel needing a dtype the adapter's shaders lack runs on the CPU (else
    /// it is an error).
    fallback_cpu: bool,
    /// Each kernel's shader (its text and whether it has a `status` flag) or why it has
    /// none, by `wgsl::shader_key`: a kernel run again is not rendered again.
    shaders: std::cell::RefCell<rustc_hash::FxHashMap<u64, shaders::ShaderText>>,
    stats: BackendStats,
}

impl Gpu {
    /// Opens the GPU (see [`Device::open`] for which). With `fallback_cpu`, kernels
    /// needing a dtype the adapter's shaders lack (f64 and c128 on an adapter without
    /// `SHADER_F64` and `SHADER_INT64`) run on the CPU; without it, they stop the program
    /// with a device error naming the dtype, the adapter and the source. i64 runs on every
    /// adapter (as u32 pairs where it lacks `SHADER_INT64`).
    pub fn new(fallback_cpu: bool) -> Result<Gpu> {
        Ok(Gpu {
            device: Device::open()?,
            cpu: Cpu::new()?,
            programs: Programs::default(),
            resident: Default::default(),
            fallback_cpu,
            shaders: Default::default(),
            stats: BackendStats::default(),
        })
    }

    /// The adapter, its driver and what arr uses of it (`arr info`).
    pub fn adapter_summary(&self) -> String {
        let types = match (self.device.f64, self.device.ints) {
            (true, _) => "f64, i64, c128, f32 and bool in shaders",
            (false, wgsl::Ints::Native) => {
                "i64, f32 and bool in shaders (no SHADER_F64: f64 kernels need --fallback cpu)"
            }
            (false, wgsl::Ints::Pairs) => {
                "f32, bool and i64 as u32 pairs in shaders (no SHADER_F64/SHADER_INT64: f64 \
                 kernels need --fallback cpu)"
            }
        };
        format!(
            "{}; {types}; binds {} MiB at once (arrays up to {} MiB in bands)",
            self.device.name,
            self.device.max_binding >> 20,
            self.device.max_buffer >> 20
        )
    }

    /// The error for a kernel computing `dtype`, which the adapter's shaders lack.
    fn narrow_error(&self, dtype: DType, span: crate::diag::Span) -> Error {
        Error::new(
            ErrorKind::Device,
            format!(
                "this needs {dtype} in a shader, and the GPU {} has no f64 in shaders \
                 (SHADER_F64, with SHADER_INT64 for its bits); arr never narrows silently",
                self.device.name
            ),
        )
        .with_span(span)
        .with_help(
            "use `--fallback cpu` to run such kernels on the CPU, convert to f32 (`f32(x)`) \
             to keep them on the GPU, or use `--backend cpu`",
        )
    }

    /// Runs a plan with `params` bound to its parameters; the slots of its roots, then of
    /// its kept values.
    fn execute(
        &mut self,
        plan: &Plan,
        params: &[Operand],
        cancel: &dyn Fn() -> bool,
    ) -> Result<Vec<Slot>> {
        let last_use = plan.last_uses();
        let dying = plan.dying_after(&last_use);
        let mut slots = Vec::with_capacity(plan.buffers.len());
        for b in &plan.buffers {
            slots.push(match b {
                Buffer::Value(a) => Slot::host(a.clone()),
                Buffer::Device(d) => Slot::device(ours(d)?),
                Buffer::Param { index, .. } => match params.get(*index) {
                    Some(Operand::Host(a)) => Slot::host(a.clone()),
                    Some(Operand::Device(d)) => Slot::device(ours(d)?),
                    None => Slot::default(),
                },
                Buffer::Temp { .. } => Slot::default(),
            });
        }
        for (s, step) in plan.steps.iter().enumerate() {
            if cancel() {
                return Err(Error::new(ErrorKind::Interrupted, "cancelled by Ctrl-C"));
            }
            match step {
                Step::Kernel {
                    kernel,
                    out,
                    shape,
                    into,
                    in_place_ok,
                    span,
                } => {
                    if !self.device.f64
                        && !self.fallback_cpu
                        && let Some(t) = wgsl::f64_dtype(kernel)
                    {
                        return Err(self.narrow_error(t, *span));
                    }
                    let dynamic = kernel.has_dynamic();
                    let kernel = self.resolved(kernel, &mut slots)?;
                    let dead = into.is_some_and(|b| {
                        last_use[b] == s && !matches!(plan.buffers[b], Buffer::Value(_))
                    });
                    let reads =
                        |b: usize| kernel.inputs.iter().any(|i| i.source == Source::Buffer(b));
                    let in_place_ok = if dynamic {
                        into.is_some_and(|b| {
                            crate::fuse::overlap::update_in_place_ok(&kernel, b, shape)
                        })
                    } else {
                        *in_place_ok
                    };
                    let in_place = into.filter(|&b| dead && (in_place_ok || !reads(b)));
                    let aliased = in_place.filter(|&b| reads(b));
                    let mut placed = self.place(plan, &kernel, shape, aliased);
                    let mut in_place = in_place;
                    // A shader that may hand the kernel back to the CPU keeps its update's
                    // array intact.
                    if in_place.is_some() && matches!(&placed, Ok(shader) if shader.status) {
                        in_place = None;
                        placed = self.place(plan, &kernel, shape, None);
                    }
                    let on_gpu = match placed {
                        Ok(shader) => {
                            let target = match into {
                                Some(b) => Some(
                                    self.update_target(plan, &mut slots, *b, in_place)
                                        .map_err(|e| e.or_span(*span))?,
                                ),
                                None => None,
                            };
                            self.run_on_gpu(&kernel, &shader, &mut slots, shape, target)
                                .map_err(|e| e.or_span(*span))?
                        }
                        Err(_) => None,
                    };
                    let value = match on_gpu {
                        Some(d) => Slot::device(Rc::new(d)),
                        None => Slot::host(Rc::new(
                            self.run_on_cpu(plan, &kernel, &mut slots, shape, *into)?,
                        )),
                    };
                    slots[*out] = value;
                    self.stats.kernels_run += 1;
                }
                Step::Node { node, inputs, out } => {
                    let on_gpu = self.matmul_on_gpu(plan, node, inputs, &mut slots);
                    if let Some(d) = on_gpu.map_err(|e| e.or_span(node.span))? {
                        slots[*out] = Slot::device(Rc::new(d));
                    } else {
                        let mut args = Vec::with_capacity(inputs.len());
                        for a in inputs {
                            let (shape, dtype) = buffer_layout(plan, a.buf);
                            args.push(self.on_host(&mut slots[a.buf], &shape, dtype)?);
                        }
                        let v = super::cpu::library_step(node, inputs, &args)?;
                        slots[*out] = Slot::host(Rc::new(v));
                    }
                }
            }
            // Buffers no later step reads are freed (on the device too).
            for &b in &dying[s] {
                slots[b] = Slot::default();
            }
        }
        self.device.submit()?;
        let wanted = plan.roots.iter().chain(plan.kept.iter().map(|(b, _)| b));
        Ok(wanted.map(|&r| std::mem::take(&mut slots[r])).collect())
    }

    /// The values of a plan's result slots on the host, read back where needed.
    fn read_back(&mut self, plan: &Plan, slots: Vec<Slot>) -> Result<Vec<Rc<Array>>> {
        let wanted = plan.roots.iter().chain(plan.kept.iter().map(|(b, _)| b));
        let mut values = Vec::with_capacity(slots.len());
        for (&r, mut slot) in wanted.zip(slots) {
            let (shape, dtype) = buffer_layout(plan, r);
            values.push(self.on_host(&mut slot, &shape, dtype)?);
        }
        Ok(values)
    }

    /// `kernel` with its run-time positions read (from the host, reading 0-d values back
    /// from the device) and each input's offset moved by its upload's shift.
    fn resolved(&mut self, kernel: &Kernel, slots: &mut [Slot]) -> Result<Kernel> {
        let mut positions = rustc_hash::FxHashMap::default();
        for b in kernel.position_buffers() {
            let v = self.on_host(&mut slots[b], &[], DType::I64)?;
            let p = match v.as_scalar() {
                Some(crate::runtime::Scalar::I64(p)) => p,
                _ => return Err(internal("a position is not a 0-d i64")),
            };
            positions.insert(b, p);
        }
        Ok(kernel.resolve(|b| positions.get(&b).copied().unwrap_or(0)))
    }

    /// Runs a rendered kernel: its inputs uploaded where they are not on the device yet,
    /// its result in `target` (an update) or a new buffer. `None` when the shader raised
    /// its `status` flag (an element needs libm's exact path): the caller computes the
    /// kernel on the CPU instead.
    fn run_on_gpu(
        &mut self,
        kernel: &Kernel,
        shader: &wgsl::Rendered,
        slots: &mut [Slot],
        shape: &[usize],
        target: Option<DeviceBuffer>,
    ) -> Result<Option<DeviceBuffer>> {
        let mut kernel = kernel.clone();
        let mut inputs = Vec::with_capacity(shader.buffers.len());
        for &b in &shader.buffers {
            inputs.push(self.on_device(&mut slots[b])?);
        }
        for i in &mut kernel.inputs {
            if let Source::Buffer(b) = i.source {
                i.offset += slots[b].shift_bytes / i.dtype.size_bytes() as i64;
            }
        }
        let status = if shader.status {
            Some(self.device.upload(&[0; 4])?)
        } else {
            None
        };
        let inputs: Vec<&DeviceBuffer> = inputs
            .iter()
            .map(|d| d.as_ref())
            .chain(status.as_ref())
            .collect();
        let before = self.compiled_so_far();
        let dtype = kernel.result_dtype();
        let whole = inputs.iter().map(|b| b.bytes);
        let banded = whole.max() > Some(self.device.max_binding);
        let result = match kernel.output {
            Output::Store(_) => {
                let out = match target {
                    Some(t) => t,
                    None => self.device.alloc(
                        (shape.iter().product::<usize>() * transfer::device_size(dtype)) as u64,
                    )?,
                };
                if banded || out.bytes > self.device.max_binding {
                    let bands = self
                        .bands(&kernel, shader)
                        .ok_or_else(|| internal("a kernel placed in bands has none"))?;
                    for band in bands {
                        self.store(&band.kernel, shader, &out, &inputs, &band.windows)?;
                    }
                } else {
                    self.store(&kernel, shader, &out, &inputs, &[])?;
                }
                out
            }
            Output::Reduce { .. } if banded => {
                let bands = self
                    .bands(&kernel, shader)
                    .ok_or_else(|| internal("a kernel placed in bands has none"))?;
                if bands.first().is_some_and(|b| b.span.is_some()) {
                    // Spans of blocks: their partials end to end, then one second pass.
                    let mut parts = Vec::with_capacity(bands.len());
                    for band in &bands {
                        parts.push(self.partials(
                            &band.kernel,
                            shader,
                            &inputs,
                            band.span,
                            &band.windows,
                        )?);
                    }
                    let whole = self.whole_partials(&kernel, &parts)?;
                    self.finish(&kernel, &whole)?
                } else {
                    let bytes = shape.iter().product::<usize>() * transfer::device_size(dtype);
                    let out = (self.device).alloc(bytes as u64)?;
                    let mut at = 0;
                    for band in &bands {
                        let partials =
                            self.partials(&band.kernel, shader, &inputs, band.span, &band.windows)?;
                        let rows = self.finish(&band.kernel, &partials)?;
                        self.device.copy_into(&rows, &out, at)?;
                        at += rows.bytes;
                    }
                    out
                }
            }
            Output::Reduce { .. } => {
                let partials = self.partials(&kernel, shader, &inputs, None, &[])?;
                self.finish(&kernel, &partials)?
            }
        };
        self.count_compiles(before);
        if let Some(flag) = status
            && self.device.read(&flag)? != [0; 4]
        {
            return Ok(None);
        }
        Ok(Some(result))
    }

    /// Pipelines compiled so far and the time spent compiling them (for
    /// [`Self::count_compiles`]).
    fn compiled_so_far(&self) -> (usize, std::time::Duration) {
        (self.device.pipelines(), self.device.compile_time)
    }

    /// Adds the pipelines compiled since `before` (a [`Self::compiled_so_far`]) and their
    /// time to the stats, or a cache hit when there were none.
    fn count_compiles(&mut self, before: (usize, std::time::Duration)) {
        self.stats.compile += self.device.compile_time - before.1;
        let compiled = (self.device.pipelines() - before.0) as u64;
        self.stats.kernels_compiled += compiled;
        self.stats.cache_hits += u64::from(compiled == 0);
    }

    /// Stores `kernel`'s elements into `out` (its bindings from 1 on in `windows` where
    /// given).
    fn store(
        &mut self,
        kernel: &Kernel,
        shader: &wgsl::Rendered,
        out: &DeviceBuffer,
        inputs: &[&DeviceBuffer],
        windows: &[Option<(u64, u64)>],
    ) -> Result<()> {
        let total: usize = kernel.dims.iter().product();
        let info = wgsl::info(kernel, total, 0, 0)
            .ok_or_else(|| internal("a kernel's addresses do not fit 32 bits"))?;
        let text = (shader.key, &*shader.text);
        (self.device).dispatch(text, &info, out, inputs, windows, total as u64)
    }

    /// The first pass of a reduction (`kernel` over whole rows, or the `span` of blocks
    /// given as (first, count); its bindings from 1 on in `windows` where given): one
    /// partial per block lane.
    fn partials(
        &mut self,
        kernel: &Kernel,
        shader: &wgsl::Rendered,
        inputs: &[&DeviceBuffer],
        span: Option<(usize, usize)>,
        windows: &[Option<(u64, u64)>],
    ) -> Result<DeviceBuffer> {
        let shape = Reduction::of(kernel)?;
        let (first, blocks) = span.unwrap_or((0, shape.blocks));
        let tasks = shape.rows * blocks * crate::fuse::tree::LANES;
        let acc = kernel.body[shape.value].dtype;
        let partials = (self.device).alloc((tasks * transfer::device_size(acc)) as u64)?;
        let mut info = wgsl::info(kernel, tasks, shape.rowlen, blocks)
            .ok_or_else(|| internal("a kernel's addresses do not fit 32 bits"))?;
        info.push(first as i32);
        let text = (shader.key, &*shader.text);
        (self.device).dispatch(text, &info, &partials, inputs, windows, tasks as u64)?;
        Ok(partials)
    }

    /// The partials of an all-axes reduction's spans laid end to end in one buffer.
    fn whole_partials(&mut self, kernel: &Kernel, parts: &[DeviceBuffer]) -> Result<DeviceBuffer> {
        let shape = Reduction::of(kernel)?;
        let acc = kernel.body[shape.value].dtype;
        let bytes = shape.blocks * crate::fuse::tree::LANES * transfer::device_size(acc);
        let whole = self.device.alloc(bytes as u64)?;
        let mut at = 0;
        for part in parts {
            self.device.copy_into(part, &whole, at)?;
            at += part.bytes;
        }
        Ok(whole)
    }

    /// The second pass of a reduction: a new buffer of its results, one per row, from the
    /// partials of all its blocks.
    fn finish(&mut self, kernel: &Kernel, partials: &DeviceBuffer) -> Result<DeviceBuffer> {
        let shape = Reduction::of(kernel)?;
        let out = (self.device)
            .alloc((shape.rows * transfer::device_size(kernel.result_dtype())) as u64)?;
        let acc = kernel.body[shape.value].dtype;
        let finish = reduce::render_finish(shape.combine, acc, shape.divide, self.device.ints);
        let words = [shape.rows, shape.rowlen, shape.blocks, 0].map(|w| w as i32);
        let finish = (device::text_key(&finish), finish.as_str());
        (self.device).dispatch(finish, &words, &out, &[partials], &[], shape.rows as u64)?;
        Ok(out)
    }

    /// Runs a kernel the renderer does not express on the CPU backend's compiled code.
    fn run_on_cpu(
        &mut self,
        plan: &Plan,
        kernel: &Kernel,
        slots: &mut [Slot],
        shape: &[usize],
        into: Option<usize>,
    ) -> Result<Array> {
        let mut hosts: Vec<Option<Rc<Array>>> = vec![None; slots.len()];
        let reads = kernel.inputs.iter().filter_map(|i| match i.source {
            Source::Buffer(b) => Some(b),
            Source::Counter => None,
        });
        for b in reads.chain(into) {
            let (shape, dtype) = buffer_layout(plan, b);
            hosts[b] = Some(self.on_host(&mut slots[b], &shape, dtype)?);
        }
        let target = into
            .and_then(|b| hosts[b].clone())
            .map(|a| a.as_ref().clone().into_standard_layout());
        self.cpu.run_kernel(kernel, &hosts, shape, target)
    }
}

/// The shape and dtype of a plan buffer.
fn buffer_layout(plan: &Plan, b: usize) -> (Vec<usize>, DType) {
    match &plan.buffers[b] {
        Buffer::Value(a) => (a.shape().to_vec(), a.dtype()),
        Buffer::Param { shape, dtype, .. }
        | Buffer::Temp { shape, dtype }
        | Buffer::Device(DeviceValue { shape, dtype, .. }) => (shape.clone(), *dtype),
    }
}

/// The bytes a plan buffer takes on the device (a strided host value's: the span it
/// addresses, which is what is uploaded).
fn device_bytes_of(plan: &Plan, b: usize) -> usize {
    match &plan.buffers[b] {
        Buffer::Value(a) => transfer::span_elements(a) * transfer::device_size(a.dtype()),
        _ => {
            let (shape, dtype) = buffer_layout(plan, b);
            shape.iter().product::<usize>() * transfer::device_size(dtype)
        }
    }
}

/// A plan's results (`slots` of its roots) where they are: on the device unless they were
/// computed on the host.
fn staying(plan: &Plan, slots: Vec<Slot>) -> Result<crate::runtime::Operands> {
    let layouts = plan.roots.iter().map(|&r| buffer_layout(plan, r));
    (slots.into_iter().zip(layouts))
        .map(|(slot, (shape, dtype))| match (slot.host, slot.device) {
            (Some(h), _) => Ok(Operand::Host(h)),
            (None, Some(handle)) => Ok(Operand::Device(Box::new(DeviceValue {
                shape,
                dtype,
                handle,
            }))),
            (None, None) => Err(internal(
                "a result is neither on the host nor on the device",
            )),
        })
        .collect()
}

fn internal(what: &str) -> Error {
    crate::diag::value_error(format!("internal error in the gpu backend: {what}"))
}

impl Backend for Gpu {
    fn name(&self) -> &'static str {
        "gpu"
    }

    fn compute(&mut self, roots: &[NodeRef], cancel: &dyn Fn() -> bool) -> Result<Vec<Rc<Array>>> {
        let start = Instant::now();
        let plan = Plan::build(roots, true);
        self.stats.fuse += start.elapsed();
        let slots = self.execute(&plan, &[], cancel)?;
        let mut values = self.read_back(&plan, slots)?;
        for ((_, node), value) in plan.kept.iter().zip(values.drain(roots.len()..)) {
            node.set_value(value);
        }
        Ok(values)
    }

    fn prepare(&mut self, roots: &[NodeRef]) -> Result<ProgramId> {
        let start = Instant::now();
        let plan = Plan::build(roots, false);
        self.stats.fuse += start.elapsed();
        Ok(self.programs.insert(plan))
    }

    fn run_prepared(
        &mut self,
        program: ProgramId,
        params: &mut [Operand],
        cancel: &dyn Fn() -> bool,
    ) -> Result<crate::runtime::Operands> {
        let plan = self.programs.take(program)?;
        let result = self.execute(&plan, params, cancel);
        let result = result.and_then(|slots| staying(&plan, slots));
        self.programs.put_back(program, plan);
        result
    }

    fn compute_kept(
        &mut self,
        roots: &[NodeRef],
        cancel: &dyn Fn() -> bool,
    ) -> Result<crate::runtime::Operands> {
        let start = Instant::now();
        let plan = Plan::build(roots, false);
        self.stats.fuse += start.elapsed();
        let slots = self.execute(&plan, &[], cancel)?;
        staying(&plan, slots)
    }

    fn release(&mut self, program: ProgramId) {
        self.programs.remove(program);
    }

    fn explain(&self, roots: &[NodeRef]) -> String {
        let plan = Plan::build(roots, false);
        format!("{plan}{}", self.placement(&plan))
    }

    fn code(&self, roots: &[NodeRef]) -> Option<String> {
        Some(self.shaders(roots))
    }

    fn stats(&self) -> BackendStats {
        let cpu = self.cpu.stats();
        BackendStats {
            kernels_compiled: self.stats.kernels_compiled + cpu.kernels_compiled,
            kernels_loaded: cpu.kernels_loaded,
            cache_hits: self.stats.cache_hits + cpu.cache_hits,
            compile: self.stats.compile + cpu.compile,
            ..self.stats
        }
    }
}

#[cfg(test)]
mod tests;
