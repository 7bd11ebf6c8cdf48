//! Shaders found again by key: a kernel run again (a replayed loop body's, every
//! iteration) is neither rendered again nor its text hashed to find its pipeline. The key
//! ([`shader_key`]) hashes everything the WGSL text depends on and nothing it does not
//! (shapes, strides, offsets and draw streams are in the `info` buffer), the way the CPU
//! backend names compiled code by `Kernel::code_key`.

use super::{Gpu, wgsl};
use crate::fuse::{Inst, Kernel, Source};
use std::rc::Rc;

/// A kernel's shader text and whether it has a `status` flag, or why it has none.
pub(super) type ShaderText = std::result::Result<(Rc<str>, bool), wgsl::Unsupported>;

/// A 64-bit hash of everything `wgsl::render`'s text depends on — the kernel's code
/// (`Kernel::hash_code`: no shapes, strides, offsets or draw streams), its rank, its
/// draws' distributions and which of its inputs share a binding or read the output's —
/// so a kernel run again (a replayed loop's) finds its shader and pipeline without
/// rendering or hashing text.
pub(super) fn shader_key(kernel: &Kernel, aliased: Option<usize>) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    kernel.hash_code(&mut h);
    wgsl::rank(kernel).hash(&mut h);
    for (n, input) in kernel.inputs.iter().enumerate() {
        let binding = match input.source {
            Source::Counter => usize::MAX,
            Source::Buffer(b) if Some(b) == aliased => usize::MAX - 1,
            // The first input reading the same buffer: inputs sharing one share a binding.
            Source::Buffer(b) => (kernel.inputs[..n].iter())
                .position(|i| i.source == Source::Buffer(b))
                .unwrap_or(n),
        };
        binding.hash(&mut h);
    }
    for v in &kernel.body {
        if let Inst::Random { dist, .. } = v.inst {
            dist.hash(&mut h);
        }
    }
    h.finish()
}

/// The plan buffer behind each input binding (binding `2 + n`) of `kernel`'s shader, in
/// order: its buffers other than `aliased`, each once.
pub(super) fn input_buffers(kernel: &Kernel, aliased: Option<usize>) -> Vec<usize> {
    let mut buffers: Vec<usize> = vec![];
    for input in &kernel.inputs {
        if let Source::Buffer(b) = input.source
            && Some(b) != aliased
            && !buffers.contains(&b)
        {
            buffers.push(b);
        }
    }
    buffers
}

impl Gpu {
    /// `kernel`'s shader with `aliased` read through its output binding: rendered on
    /// first use, then found by its key.
    pub(super) fn rendered(
        &self,
        kernel: &Kernel,
        aliased: Option<usize>,
    ) -> std::result::Result<wgsl::Rendered, String> {
        let key = shader_key(kernel, aliased);
        let cached = self.shaders.borrow().get(&key).cloned();
        let (text, status) = match cached {
            Some(shader) => shader?,
            None => {
                let shader =
                    wgsl::render(kernel, aliased, self.device.ints).map(|r| (r.text, r.status));
                self.shaders.borrow_mut().insert(key, shader.clone());
                shader?
            }
        };
        Ok(wgsl::Rendered {
            text,
            key,
            buffers: input_buffers(kernel, aliased),
            status,
            aliased,
        })
    }
}
