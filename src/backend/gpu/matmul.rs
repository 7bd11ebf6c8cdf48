//! Matrix products on the GPU: one tiled WGSL shader per element type (f32, f64) for every
//! shape NumPy's `matmul` takes — vectors, matrices and broadcast batches of them — reading
//! each operand through its offset and strides (a transpose, slice, reversal or broadcast
//! is never copied first).
//!
//! A workgroup of 256 invocations computes a 16×16 tile of one output matrix, staging
//! 16×16 tiles of both operands in workgroup memory. Each element is the dot product
//! summed in order of `k`, every product and sum rounded on its own (through `exact`, so no
//! compiler fuses them): the result differs from the CPU's (faer's blocked sums) by at
//! most 2·γ_k·(|A|·|B|) elementwise, γ_k = k·u/(1 − k·u) — the bound `tests/gpu.rs` checks.

use super::device::DeviceBuffer;
use super::slots::Slot;
use super::{buffer_layout, device_bytes_of};
use crate::diag::Result;
use crate::dtype::DType;
use crate::fuse::{Arg, Buffer, Plan};
use crate::graph::NodeRef;
use crate::runtime::strided::Strided;

/// Rows and columns of an output tile.
const TILE: usize = 16;

/// Workgroups to dispatch (as invocations: 256 per tile) and the `info` words of `a @ b`,
/// each operand the view of its device buffer the shader reads:
/// `[m, n, k, 0, batches, batch rank, a offset, a row stride, a column stride, b offset,
/// b row stride, b column stride]`, then per batch axis its length and both operands'
/// strides (0 where an operand is broadcast). `None` when an address exceeds 32 bits.
pub(super) fn info(a: &Strided, b: &Strided) -> Option<(u64, Vec<i32>)> {
    // NumPy's promotion: a vector on the left is a row, on the right a column.
    let (mut a, mut b) = (a.clone(), b.clone());
    if a.shape.len() == 1 {
        a.shape.insert(0, 1);
        a.strides.insert(0, 0);
    }
    if b.shape.len() == 1 {
        b.shape.push(1);
        b.strides.push(0);
    }
    let (ra, rb) = (a.shape.len(), b.shape.len());
    let (m, k, n) = (a.shape[ra - 2], a.shape[ra - 1], b.shape[rb - 1]);
    let rank = (ra - 2).max(rb - 2);
    // Batch axes aligned on the right; a missing or length-1 axis broadcasts (stride 0).
    let batch_axis = |x: &Strided, r: usize, d: usize| -> (usize, i64) {
        let missing = rank - (r - 2);
        match d.checked_sub(missing) {
            Some(i) if x.shape[i] != 1 => (x.shape[i], x.strides[i]),
            _ => (1, 0),
        }
    };
    let mut words: Vec<i64> = vec![
        m as i64,
        n as i64,
        k as i64,
        0,
        0,
        rank as i64,
        a.offset,
        a.strides[ra - 2],
        a.strides[ra - 1],
        b.offset,
        b.strides[rb - 2],
        b.strides[rb - 1],
    ];
    let mut batches = 1usize;
    for d in 0..rank {
        let (la, sa) = batch_axis(&a, ra, d);
        let (lb, sb) = batch_axis(&b, rb, d);
        let len = la.max(lb);
        batches *= len;
        words.extend([len as i64, sa, sb]);
    }
    words[4] = batches as i64;
    let tiles = batches * m.div_ceil(TILE) * n.div_ceil(TILE);
    let fits = words.iter().all(|&w| i32::try_from(w).is_ok())
        && i32::try_from(batches * m * n).is_ok()
        && i32::try_from(tiles * TILE * TILE).is_ok();
    fits.then(|| {
        let words = words.into_iter().map(|w| w as i32).collect();
        ((tiles * TILE * TILE) as u64, words)
    })
}

/// The shader of `a @ b` for f32 or f64 elements.
pub(super) fn render(dtype: DType) -> String {
    let (ty, exact, zero) = match dtype {
        DType::F32 => ("f32", "exact32", "0.0f"),
        _ => ("f64", "exact64", "0.0lf"),
    };
    let prelude = super::wgsl::prelude(dtype == DType::F64);
    format!(
        "@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<{ty}>;
@group(0) @binding(2) var<storage, read> a: array<{ty}>;
@group(0) @binding(3) var<storage, read> b: array<{ty}>;
{prelude}var<workgroup> ta: array<{ty}, 256>;
var<workgroup> tb: array<{ty}, 256>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {{
    let m = u32(info[0]);
    let n = u32(info[1]);
    let k = u32(info[2]);
    let tm = (m + 15u) / 16u;
    let tn = (n + 15u) / 16u;
    let tile = wid.y * nwg.x + wid.x;
    if (tile >= u32(info[4]) * tm * tn) {{ return; }}
    let batch = tile / (tm * tn);
    let ty = lid / 16u;
    let tx = lid % 16u;
    let i = ((tile / tn) % tm) * 16u + ty;
    let j = (tile % tn) * 16u + tx;
    // The batch's offsets: its coordinates, last axis fastest.
    var ao = info[6];
    var bo = info[9];
    var rem = batch;
    for (var d = u32(info[5]); d > 0u; d -= 1u) {{
        let at = 12u + 3u * (d - 1u);
        let len = u32(info[at]);
        let c = i32(rem % len);
        rem = rem / len;
        ao += c * info[at + 1u];
        bo += c * info[at + 2u];
    }}
    var acc: {ty} = {zero};
    for (var k0 = 0u; k0 < k; k0 += 16u) {{
        let ka = k0 + tx;
        if (i < m && ka < k) {{
            ta[lid] = a[ao + i32(i) * info[7] + i32(ka) * info[8]];
        }} else {{
            ta[lid] = {zero};
        }}
        let kb = k0 + ty;
        if (kb < k && j < n) {{
            tb[lid] = b[bo + i32(kb) * info[10] + i32(j) * info[11]];
        }} else {{
            tb[lid] = {zero};
        }}
        workgroupBarrier();
        let steps = min(16u, k - k0);
        for (var kk = 0u; kk < steps; kk += 1u) {{
            acc = {exact}(acc + {exact}(ta[ty * 16u + kk] * tb[kk * 16u + tx]));
        }}
        workgroupBarrier();
    }}
    if (i < m && j < n) {{
        out[(batch * m + i) * n + j] = acc;
    }}
}}
"
    )
}

impl super::Gpu {
    /// The operands of a plan step when it is a matrix product the GPU computes (f32, or
    /// f64 on an adapter with 64-bit types; every operand and the result bound at once;
    /// 32-bit addresses), before the uploads' shifts; else why it runs on the CPU.
    pub(super) fn matmul_operands(
        &self,
        plan: &Plan,
        node: &NodeRef,
        inputs: &[Arg],
    ) -> std::result::Result<[Strided; 2], String> {
        let [a, b] = inputs else {
            return Err("library step".into());
        };
        if !matches!(node.op, crate::graph::Op::MatMul) {
            return Err("library step".into());
        }
        match node.dtype {
            DType::F32 => {}
            DType::F64 if self.device.f64 => {}
            t => return Err(format!("library step; no {t} matmul shader")),
        }
        let largest = (device_bytes_of(plan, a.buf))
            .max(device_bytes_of(plan, b.buf))
            .max(node.size() * node.dtype.size_bytes());
        if largest as u64 > self.device.max_binding {
            return Err(format!(
                "library step; an array of {largest} bytes is above the {} bytes the adapter \
                 binds at once",
                self.device.max_binding
            ));
        }
        let operand = |arg: &Arg| match (&arg.view, &plan.buffers[arg.buf]) {
            (Some(v), _) => v.clone(),
            (None, Buffer::Value(v)) => Strided {
                offset: 0,
                shape: v.shape().to_vec(),
                strides: v.strides(),
            },
            (None, _) => {
                let shape = buffer_layout(plan, arg.buf).0;
                Strided {
                    offset: 0,
                    strides: crate::fuse::contiguous_strides(&shape),
                    shape,
                }
            }
        };
        let (a, b) = (operand(a), operand(b));
        if info(&a, &b).is_none() {
            return Err("library step; an address does not fit 32 bits".into());
        }
        Ok([a, b])
    }

    /// Computes `node` (a plan's library step) on the GPU when it is a matrix product the
    /// GPU takes (see [`Self::matmul_operands`]); `None` otherwise.
    pub(super) fn matmul_on_gpu(
        &mut self,
        plan: &Plan,
        node: &NodeRef,
        inputs: &[Arg],
        slots: &mut [Slot],
    ) -> Result<Option<DeviceBuffer>> {
        let Ok(mut operands) = self.matmul_operands(plan, node, inputs) else {
            return Ok(None);
        };
        let mut buffers = Vec::with_capacity(2);
        for (arg, operand) in inputs.iter().zip(&mut operands) {
            buffers.push(self.on_device(&mut slots[arg.buf])?);
            operand.offset += slots[arg.buf].shift_bytes / node.dtype.size_bytes() as i64;
        }
        let [a, b] = &operands;
        let Some((invocations, words)) = info(a, b) else {
            return Ok(None);
        };
        let out = (self.device).alloc((node.size() * node.dtype.size_bytes()) as u64)?;
        let before = self.compiled_so_far();
        let inputs: Vec<&DeviceBuffer> = buffers.iter().map(|d| d.as_ref()).collect();
        let text = render(node.dtype);
        let shader = (super::device::text_key(&text), text.as_str());
        (self.device).dispatch(shader, &words, &out, &inputs, &[], invocations)?;
        self.count_compiles(before);
        self.stats.kernels_run += 1;
        Ok(Some(out))
    }
}
