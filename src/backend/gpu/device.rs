//! The wgpu side: one adapter and device per session, storage buffers, compute pipelines
//! cached by shader text, dispatches and read-back. Errors wgpu reports (validation, out of
//! memory, a lost device) become arr errors instead of wgpu's default panic.

use crate::diag::{Error, ErrorKind, Result};
use rustc_hash::FxHashMap as HashMap;
use std::cell::Cell;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use super::wgsl::{Ints, WORKGROUP};

/// Workgroups per dispatch dimension (WebGPU's guaranteed limit).
const MAX_GROUPS: u64 = 65_535;

/// An open GPU.
pub(super) struct Device {
    device: wgpu::Device,
    queue: wgpu::Queue,
    /// The adapter's name and driver, for `explain` and errors.
    pub(super) name: String,
    /// Largest storage buffer window a shader may bind, in bytes.
    pub(super) max_binding: u64,
    /// Largest buffer, in bytes (arrays above `max_binding` are bound in windows, see
    /// `bands`).
    pub(super) max_buffer: u64,
    /// The alignment of a window's start, in bytes.
    pub(super) align: u64,
    /// Compiled pipelines by their shader's key (`wgsl::Rendered::key`, or [`text_key`]).
    pipelines: HashMap<u64, wgpu::ComputePipeline>,
    /// Time spent compiling pipelines.
    pub(super) compile_time: std::time::Duration,
    /// The first error wgpu reported outside an error scope (and whether it was for lack
    /// of memory).
    uncaptured: Arc<Mutex<Option<(bool, String)>>>,
    /// Bytes of arr's buffers alive on the device (each buffer subtracts its own when
    /// dropped).
    live: Rc<Cell<u64>>,
    /// The most bytes arr keeps on the device at once (`ARR_GPU_MEMORY`), if set.
    memory_limit: Option<u64>,
    /// Commands recorded since the last submission: a plan's copies and dispatches go to
    /// the GPU in one submission, at the end of the plan or when something is read back.
    pending: Option<wgpu::CommandEncoder>,
    /// Whether shaders may use f64 (the adapter has `SHADER_F64` and `SHADER_INT64`, which
    /// the f64 helpers need, and `ARR_GPU_32BIT=1` does not hide them).
    pub(super) f64: bool,
    /// How shaders hold i64: natively where the adapter has `SHADER_INT64` (and
    /// `ARR_GPU_32BIT=1` does not hide it), else as u32 pairs.
    pub(super) ints: Ints,
    /// Submissions the GPU may not have finished, oldest first.
    in_flight: std::collections::VecDeque<wgpu::SubmissionIndex>,
}

/// Submissions the host may run ahead of the GPU: enough to keep it busy while the host
/// records the next plan, few enough that the buffers they hold stay bounded.
const MAX_IN_FLIGHT: usize = 2;

/// The key of a shader rendered whole for each run (a matrix product's, a reduction's
/// second pass): a hash of its text.
pub(super) fn text_key(text: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    text.hash(&mut h);
    h.finish()
}

/// A storage buffer on the device and its size in bytes.
pub(super) struct DeviceBuffer {
    pub(super) buffer: wgpu::Buffer,
    pub(super) bytes: u64,
    /// The device's count of live bytes, which this buffer leaves when dropped.
    live: Rc<Cell<u64>>,
}

impl Drop for DeviceBuffer {
    fn drop(&mut self) {
        self.live.set(self.live.get() - self.buffer.size());
    }
}

fn gpu_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Device, message.into()).with_help("use `--backend cpu`")
}

impl Device {
    /// Opens the best adapter (a real GPU before a software one; with 64-bit floats and
    /// integers in shaders, `SHADER_F64` and `SHADER_INT64`, before one without). Without
    /// them, f64 kernels do not run on the GPU (arr never narrows f64), and i64 values are
    /// u32 pairs in shaders.
    pub(super) fn open() -> Result<Device> {
        let mut desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
        desc.backends = wgpu::Backends::from_env().unwrap_or(wgpu::Backends::PRIMARY);
        let instance = wgpu::Instance::new(desc);
        let wide_features = wgpu::Features::SHADER_F64 | wgpu::Features::SHADER_INT64;
        let adapters = pollster::block_on(instance.enumerate_adapters(desc_backends()));
        // A real GPU before a software one; among equals, one with 64-bit shader types.
        let adapter = adapters
            .into_iter()
            .min_by_key(|a| {
                let kind = match a.get_info().device_type {
                    wgpu::DeviceType::DiscreteGpu => 0,
                    wgpu::DeviceType::IntegratedGpu => 1,
                    wgpu::DeviceType::VirtualGpu => 2,
                    wgpu::DeviceType::Cpu => 3,
                    wgpu::DeviceType::Other => 4,
                };
                (kind, !a.features().contains(wide_features))
            })
            .ok_or_else(|| {
                gpu_error("no GPU adapter was found").with_help(
                    "install a Vulkan driver (on Debian: `apt-get install mesa-vulkan-drivers \
                     libvulkan1` gives lavapipe, a software GPU), or use `--backend cpu`",
                )
            })?;
        let info = adapter.get_info();
        let limits = adapter.limits();
        let narrow_only = std::env::var("ARR_GPU_32BIT").is_ok_and(|v| v == "1");
        let offered = if narrow_only {
            wgpu::Features::empty()
        } else {
            adapter.features()
        };
        // f64 only with 64-bit integers too: its helpers work on the bits.
        let mut features = offered & wgpu::Features::SHADER_INT64;
        if offered.contains(wide_features) {
            features |= wgpu::Features::SHADER_F64;
        }
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("arr"),
            required_features: features,
            required_limits: limits.clone(),
            ..Default::default()
        }))
        .map_err(|e| gpu_error(format!("cannot open the GPU {}: {e}", info.name)))?;
        let uncaptured = Arc::new(Mutex::new(None));
        let sink = uncaptured.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            if let Ok(mut first) = sink.lock() {
                let oom = matches!(e, wgpu::Error::OutOfMemory { .. });
                first.get_or_insert_with(|| (oom, e.to_string()));
            }
        }));
        let memory_limit = match std::env::var("ARR_GPU_MEMORY") {
            Ok(text) => Some(crate::runtime::parse_size(&text).ok_or_else(|| {
                gpu_error(format!(
                    "cannot read ARR_GPU_MEMORY=`{text}` as a size (try 4G or 512M)"
                ))
            })?),
            Err(_) => None,
        };
        Ok(Device {
            device,
            queue,
            name: format!("{} ({:?}, {})", info.name, info.backend, info.driver),
            max_binding: limits
                .max_storage_buffer_binding_size
                .min(limits.max_buffer_size),
            max_buffer: limits.max_buffer_size,
            align: u64::from(limits.min_storage_buffer_offset_alignment),
            pipelines: HashMap::default(),
            compile_time: std::time::Duration::ZERO,
            uncaptured,
            live: Rc::new(Cell::new(0)),
            memory_limit,
            pending: None,
            in_flight: Default::default(),
            f64: features.contains(wgpu::Features::SHADER_F64),
            ints: if features.contains(wgpu::Features::SHADER_INT64) {
                Ints::Native
            } else {
                Ints::Pairs
            },
        })
    }

    /// An error wgpu reported since the last check, as an arr error.
    fn check(&self) -> Result<()> {
        let reported = self.uncaptured.lock().ok().and_then(|mut e| e.take());
        match reported {
            Some((true, e)) => Err(crate::diag::resource_error(format!(
                "the GPU is out of memory with {} bytes of arrays on it: {e}",
                self.live.get()
            ))
            .with_help(
                "set ARR_GPU_MEMORY below the GPU's memory to stop at a clear limit, let go \
                 of arrays no longer needed, or use `--backend cpu`",
            )),
            Some((false, e)) => Err(gpu_error(format!("the GPU reported an error: {e}"))),
            None => Ok(()),
        }
    }

    /// A buffer of `bytes` (at least 16: wgpu binds no empty buffer), uninitialised.
    pub(super) fn alloc(&self, bytes: u64) -> Result<DeviceBuffer> {
        if bytes > self.max_buffer {
            return Err(gpu_error(format!(
                "an array of {bytes} bytes is larger than the GPU's largest buffer ({} bytes)",
                self.max_buffer
            )));
        }
        let size = bytes.max(16).next_multiple_of(4);
        let live = self.live.get();
        if let Some(limit) = self.memory_limit
            && live + size > limit
        {
            return Err(crate::diag::resource_error(format!(
                "a GPU buffer of {size} bytes with {live} bytes on the GPU already would pass \
                 its memory limit of {limit} bytes (ARR_GPU_MEMORY)"
            ))
            .with_help("raise ARR_GPU_MEMORY, or let go of arrays no longer needed"));
        }
        self.live.set(live + size);
        let buffer = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size,
            usage: wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_SRC
                | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        Ok(DeviceBuffer {
            buffer,
            bytes,
            live: self.live.clone(),
        })
    }

    /// A buffer holding `data`.
    pub(super) fn upload(&self, data: &[u8]) -> Result<DeviceBuffer> {
        let b = self.alloc(data.len() as u64)?;
        let mut padded;
        let data = if !data.len().is_multiple_of(4) {
            padded = data.to_vec();
            padded.resize(data.len().next_multiple_of(4), 0);
            &padded[..]
        } else {
            data
        };
        if !data.is_empty() {
            self.queue.write_buffer(&b.buffer, 0, data);
        }
        Ok(b)
    }

    /// The encoder of the pending submission.
    fn encoder(&mut self) -> &mut wgpu::CommandEncoder {
        let device = &self.device;
        self.pending
            .get_or_insert_with(|| device.create_command_encoder(&Default::default()))
    }

    /// Submits the recorded commands (a plan's, or those before a read-back), first waiting
    /// for the oldest submission while [`MAX_IN_FLIGHT`] are unfinished.
    pub(super) fn submit(&mut self) -> Result<()> {
        let Some(enc) = self.pending.take() else {
            return self.check();
        };
        while self.in_flight.len() >= MAX_IN_FLIGHT {
            let oldest = self.in_flight.pop_front();
            self.device
                .poll(wgpu::PollType::Wait {
                    submission_index: oldest,
                    timeout: None,
                })
                .map_err(|e| gpu_error(format!("waiting for the GPU failed: {e}")))?;
        }
        self.in_flight.push_back(self.queue.submit([enc.finish()]));
        self.check()
    }

    /// A copy of `src` in a new buffer.
    pub(super) fn duplicate(&mut self, src: &DeviceBuffer) -> Result<DeviceBuffer> {
        let b = self.alloc(src.bytes)?;
        let size = src.buffer.size();
        self.encoder()
            .copy_buffer_to_buffer(&src.buffer, 0, &b.buffer, 0, size);
        Ok(b)
    }

    /// Copies `src`'s bytes into `dst` from byte `at` on (a multiple of 4).
    pub(super) fn copy_into(
        &mut self,
        src: &DeviceBuffer,
        dst: &DeviceBuffer,
        at: u64,
    ) -> Result<()> {
        if src.bytes == 0 {
            return Ok(());
        }
        (self.encoder()).copy_buffer_to_buffer(&src.buffer, 0, &dst.buffer, at, src.bytes);
        self.check()
    }

    /// Records `invocations` invocations of the shader `text` with `info` at binding 0, `out`
    /// at binding 1 and `inputs` from binding 2 on: whole, or where `windows` has one (byte
    /// offset, bytes) for it, that window (`windows[0]` for binding 1, and so on).
    pub(super) fn dispatch(
        &mut self,
        (key, text): (u64, &str),
        info: &[i32],
        out: &DeviceBuffer,
        inputs: &[&DeviceBuffer],
        windows: &[Option<(u64, u64)>],
        invocations: u64,
    ) -> Result<()> {
        if invocations == 0 {
            return Ok(());
        }
        let info = self.upload(bytemuck_i32(info))?;
        let pipeline = self.pipeline(key, text)?;
        let mut entries = vec![wgpu::BindGroupEntry {
            binding: 0,
            resource: info.buffer.as_entire_binding(),
        }];
        for (n, b) in std::iter::once(out)
            .chain(inputs.iter().copied())
            .enumerate()
        {
            let window = windows.get(n).copied().flatten();
            entries.push(wgpu::BindGroupEntry {
                binding: n as u32 + 1,
                resource: match window {
                    None => b.buffer.as_entire_binding(),
                    Some((offset, size)) => wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                        buffer: &b.buffer,
                        offset,
                        size: std::num::NonZeroU64::new(size),
                    }),
                },
            });
        }
        let group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &pipeline.get_bind_group_layout(0),
            entries: &entries,
        });
        let groups = invocations.div_ceil(u64::from(WORKGROUP));
        let (x, y) = (groups.min(MAX_GROUPS), groups.div_ceil(MAX_GROUPS));
        if y > MAX_GROUPS {
            return Err(gpu_error("a kernel is too large for one GPU dispatch"));
        }
        let mut pass = self.encoder().begin_compute_pass(&Default::default());
        pass.set_pipeline(&pipeline);
        pass.set_bind_group(0, &group, &[]);
        pass.dispatch_workgroups(x as u32, y as u32, 1);
        drop(pass);
        self.check()
    }

    /// The pipeline of the shader `text` named `key`, compiled on first use.
    fn pipeline(&mut self, key: u64, text: &str) -> Result<wgpu::ComputePipeline> {
        if let Some(p) = self.pipelines.get(&key) {
            return Ok(p.clone());
        }
        let start = std::time::Instant::now();
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = self
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: None,
                source: wgpu::ShaderSource::Wgsl(text.into()),
            });
        let pipeline = self
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: None,
                layout: None,
                module: &module,
                entry_point: Some("main"),
                compilation_options: Default::default(),
                cache: None,
            });
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(gpu_error(format!(
                "internal error: a generated shader was refused: {e}"
            )));
        }
        self.compile_time += start.elapsed();
        self.pipelines.insert(key, pipeline.clone());
        Ok(pipeline)
    }

    /// Pipelines compiled so far.
    pub(super) fn pipelines(&self) -> usize {
        self.pipelines.len()
    }

    /// The first `bytes` of a buffer, read back to the host (after the pending commands).
    pub(super) fn read(&mut self, src: &DeviceBuffer) -> Result<Vec<u8>> {
        self.submit()?;
        let size = src.buffer.size();
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut enc = self.device.create_command_encoder(&Default::default());
        enc.copy_buffer_to_buffer(&src.buffer, 0, &staging, 0, size);
        self.queue.submit([enc.finish()]);
        let mapped = Arc::new(Mutex::new(None));
        let done = mapped.clone();
        staging.slice(..).map_async(wgpu::MapMode::Read, move |r| {
            if let Ok(mut d) = done.lock() {
                *d = Some(r.is_ok());
            }
        });
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| gpu_error(format!("waiting for the GPU failed: {e}")))?;
        self.in_flight.clear();
        self.check()?;
        if mapped.lock().ok().and_then(|d| *d) != Some(true) {
            return Err(gpu_error("reading a result back from the GPU failed"));
        }
        let view = staging
            .slice(..)
            .get_mapped_range()
            .map_err(|e| gpu_error(format!("reading a result back from the GPU failed: {e}")))?;
        let bytes = view[..src.bytes as usize].to_vec();
        drop(view);
        staging.unmap();
        Ok(bytes)
    }
}

/// The backends to look for adapters on (`WGPU_BACKEND` chooses, as in wgpu's examples).
fn desc_backends() -> wgpu::Backends {
    wgpu::Backends::from_env().unwrap_or(wgpu::Backends::PRIMARY)
}

/// The bytes of i32 words.
fn bytemuck_i32(words: &[i32]) -> &[u8] {
    bytemuck::cast_slice(words)
}
