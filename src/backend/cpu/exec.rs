//! Running compiled kernels on all cores. Work is cut into pieces whose size never depends
//! on the thread count, and reductions follow the fixed tree of `fuse::tree`, so results are
//! bit-identical for any `--threads`.

use super::codegen::KernelFn;
use crate::dtype::DType;
use crate::fuse::tree::{self, BLOCK, LANES};
use crate::fuse::{Combine, Kernel, Output, Source};
use crate::graph::Distribution;
use crate::random::{RangeOut, fill_range};
use crate::runtime::{Array, zeroed_vec};
use ndarray::{ArrayD, IxDyn};
use rayon::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;

/// Elements per parallel task of an elementwise kernel.
const CHUNK: usize = 1 << 14;

/// A random draw read by a kernel: which draw, and the input holding its counter.
struct Draw {
    dist: Distribution,
    seed: u64,
    draw: u64,
    dtype: DType,
    counter: usize,
}

thread_local! {
    /// Per-thread scratch rows of random values, one per draw slot.
    static SCRATCH: RefCell<Vec<Vec<u64>>> = const { RefCell::new(Vec::new()) };
}

/// Fills `row` (8-byte cells) with `len` values of `d` at counters `k0 + i·step` (f32
/// values packed two per cell).
fn fill_draw(d: &Draw, k0: i64, step: i64, len: usize, row: &mut Vec<u64>) {
    use crate::random;
    if row.len() < len {
        row.resize(len, 0);
    }
    let cells = &mut row[..len];
    let (seed, draw) = (d.seed, d.draw);
    if step == 1 {
        let out = match d.dtype {
            DType::F64 => RangeOut::F64(bytes_as(cells)),
            DType::F32 => RangeOut::F32(&mut bytes_as::<f32>(cells)[..len]),
            _ => RangeOut::I64(bytes_as(cells)),
        };
        fill_range(d.dist, seed, draw, k0 as u64, out);
        return;
    }
    let k = |i: usize| (k0 + step * i as i64) as u64;
    match (d.dist, d.dtype) {
        (Distribution::Uniform, DType::F32) => {
            let o = bytes_as::<f32>(cells);
            (0..len).for_each(|i| o[i] = random::uniform_f32(seed, draw, k(i)));
        }
        (Distribution::Uniform, _) => {
            let o = bytes_as::<f64>(cells);
            (0..len).for_each(|i| o[i] = random::uniform_f64(seed, draw, k(i)));
        }
        (Distribution::Normal, _) => {
            let o = bytes_as::<f64>(cells);
            (0..len).for_each(|i| o[i] = random::normal_f64(seed, draw, k(i)));
        }
        (Distribution::Integers { lo, hi }, _) => {
            let o = bytes_as::<i64>(cells);
            (0..len).for_each(|i| o[i] = random::integer(seed, draw, k(i), lo, hi));
        }
    }
}

/// Views 8-byte cells as a slice of a plain 4- or 8-byte number type.
#[allow(unsafe_code)]
fn bytes_as<T: Copy>(cells: &mut [u64]) -> &mut [T] {
    let n = std::mem::size_of_val(cells) / std::mem::size_of::<T>();
    // SAFETY: T is f64, f32 or i64 (every bit pattern valid, alignment ≤ 8), and the new
    // slice covers exactly the bytes of `cells`, borrowed mutably for the same lifetime.
    unsafe { std::slice::from_raw_parts_mut(cells.as_mut_ptr() as *mut T, n) }
}

/// An input resolved against its buffer: byte (or counter) base and strides.
struct Resolved {
    base: i64,
    /// Bytes per element for buffers, 1 for counters.
    scale: i64,
    strides: Vec<i64>,
}

/// The kernel's inputs, ready to address: what the host needs to start any row. The last
/// entry is the output (for stores), addressed like the inputs.
struct Rows {
    inputs: Vec<Resolved>,
    /// How many of `inputs` are the kernel's own (the rest is the output).
    kernel_inputs: usize,
    /// The kernel's random draws, in body order (their scratch slots follow the inputs).
    randoms: Vec<Draw>,
    /// Iteration shape.
    dims: Vec<usize>,
}

impl Rows {
    fn new(kernel: &Kernel, buffers: &[Option<Rc<Array>>], out: Option<(i64, i64)>) -> Rows {
        let mut inputs: Vec<Resolved> = kernel
            .inputs
            .iter()
            .map(|i| match i.source {
                Source::Buffer(b) => {
                    let a = buffers[b]
                        .as_ref()
                        .expect("plan order: inputs computed first");
                    let size = i.dtype.size_bytes() as i64;
                    Resolved {
                        base: a.as_byte_ptr() as i64 + i.offset * size,
                        scale: size,
                        strides: i.strides.clone(),
                    }
                }
                Source::Counter => Resolved {
                    base: i.offset,
                    scale: 1,
                    strides: i.strides.clone(),
                },
            })
            .collect();
        let randoms = kernel
            .body
            .iter()
            .filter_map(|v| match v.inst {
                crate::fuse::Inst::Random {
                    dist,
                    seed,
                    draw,
                    counter,
                } => {
                    let crate::fuse::Inst::Load(input) = kernel.body[counter].inst else {
                        unreachable!("a draw's counter is a counter input")
                    };
                    Some(Draw {
                        dist,
                        seed,
                        draw,
                        dtype: v.dtype,
                        counter: input,
                    })
                }
                _ => None,
            })
            .collect();
        if let Some((address, size)) = out {
            inputs.push(Resolved {
                base: address + kernel.out_offset * size,
                scale: size,
                strides: kernel.out_strides.clone(),
            });
        }
        Rows {
            kernel_inputs: kernel.inputs.len(),
            inputs,
            randoms,
            dims: kernel.dims.clone(),
        }
    }

    /// Inner-dimension steps in elements, as kernels take them.
    fn steps(&self) -> Vec<i64> {
        let last = self.dims.len() - 1;
        self.inputs.iter().map(|i| i.strides[last]).collect()
    }

    /// Fills `bases` for row `row` (row-major over all dims but the last) at column `col`.
    fn bases(&self, row: usize, col: usize, bases: &mut [i64]) {
        let last = self.dims.len() - 1;
        for (b, i) in bases.iter_mut().zip(&self.inputs) {
            let mut off = i.strides[last] * col as i64;
            let mut r = row;
            for d in (0..last).rev() {
                off += i.strides[d] * (r % self.dims[d]) as i64;
                r /= self.dims[d];
            }
            *b = i.base + off * i.scale;
        }
    }
}

/// Runs `f` over flattened positions `start..end`, one call per row segment; `visit`
/// receives each call's bases and steps (inputs, random scratch rows, then the output if
/// any), the length and the starting position.
fn segments(
    rows: &Rows,
    start: usize,
    end: usize,
    mut visit: impl FnMut(&[i64], &[i64], usize, usize),
) {
    let inner = rows.dims[rows.dims.len() - 1];
    let resolved = rows.steps();
    let n = rows.inputs.len();
    let mut row_bases = vec![0i64; n];
    SCRATCH.with(|scratch| {
        let mut scratch = scratch.borrow_mut();
        if scratch.len() < rows.randoms.len() {
            scratch.resize_with(rows.randoms.len(), Vec::new);
        }
        let mut pos = start;
        while pos < end {
            let (row, col) = (pos / inner, pos % inner);
            let len = (inner - col).min(end - pos);
            rows.bases(row, col, &mut row_bases);
            if rows.randoms.is_empty() {
                visit(&row_bases, &resolved, len, pos);
            } else {
                // [inputs.., draws.., out?]: the output entry, when present, is the last
                // resolved entry beyond the kernel's own inputs.
                let kernel_inputs = rows.kernel_inputs;
                let mut bases = row_bases[..kernel_inputs].to_vec();
                let mut steps = resolved[..kernel_inputs].to_vec();
                for (d, row_buf) in rows.randoms.iter().zip(scratch.iter_mut()) {
                    fill_draw(d, row_bases[d.counter], resolved[d.counter], len, row_buf);
                    bases.push(row_buf.as_ptr() as i64);
                    steps.push(1);
                }
                bases.extend_from_slice(&row_bases[kernel_inputs..]);
                steps.extend_from_slice(&resolved[kernel_inputs..]);
                visit(&bases, &steps, len, pos);
            }
            pos += len;
        }
    });
}

/// A row-major array shaped and typed like `like`, contents to be overwritten.
pub(super) fn blank_like(like: &Array) -> Array {
    let dim = IxDyn(like.shape());
    let n = like.len();
    macro_rules! blank {
        ($variant:ident) => {
            Array::$variant(ArrayD::from_shape_vec(dim, zeroed_vec(n)).expect("n elements"))
        };
    }
    match like.dtype() {
        DType::F64 => blank!(F64),
        DType::F32 => blank!(F32),
        DType::I64 => blank!(I64),
        DType::Bool => blank!(Bool),
        DType::C128 => blank!(C128),
    }
}

/// For an indexed update that covers most of its array: copies from `src` into `dst` only
/// the elements outside the region `kernel` stores (the gaps between its rows), so the
/// array is written once. Returns false, copying nothing, when the region's rows are not
/// contiguous and increasing or cover less than half the array (then copy it all).
pub(super) fn copy_outside(dst: &mut Array, src: &Array, kernel: &Kernel) -> bool {
    let d = kernel.dims.len();
    let inner = kernel.dims[d - 1];
    let total = src.len();
    if kernel.out_strides[d - 1] != 1 || 2 * kernel.dims.iter().product::<usize>() < total {
        return false;
    }
    let rows: usize = kernel.dims[..d - 1].iter().product();
    let mut starts = Vec::with_capacity(rows);
    for row in 0..rows {
        let (mut off, mut r) = (kernel.out_offset, row);
        for k in (0..d - 1).rev() {
            off += kernel.out_strides[k] * (r % kernel.dims[k]) as i64;
            r /= kernel.dims[k];
        }
        let prev_end = starts.last().map_or(0, |&s: &usize| s + inner);
        if off < prev_end as i64 {
            return false;
        }
        starts.push(off as usize);
    }
    macro_rules! gaps {
        ($variant:ident) => {{
            let (Array::$variant(dv), Array::$variant(sv)) = (dst, src) else {
                unreachable!("same dtype")
            };
            let (Some(dv), Some(sv)) = (dv.as_slice_mut(), sv.as_slice()) else {
                return false;
            };
            let mut from = 0;
            for &start in &starts {
                dv[from..start].copy_from_slice(&sv[from..start]);
                from = start + inner;
            }
            dv[from..].copy_from_slice(&sv[from..]);
        }};
    }
    match src.dtype() {
        DType::F64 => gaps!(F64),
        DType::F32 => gaps!(F32),
        DType::I64 => gaps!(I64),
        DType::Bool => gaps!(Bool),
        DType::C128 => gaps!(C128),
    }
    true
}

/// Copies `src` into `dst` (same dtype and length, `dst` row-major), in parallel pieces.
pub(super) fn copy_into(dst: &mut Array, src: &Array) {
    macro_rules! copy {
        ($variant:ident) => {{
            let (Array::$variant(d), Array::$variant(s)) = (dst, src) else {
                unreachable!("same dtype")
            };
            match (d.as_slice_mut(), s.as_slice()) {
                (Some(d), Some(s)) => d
                    .par_chunks_mut(CHUNK)
                    .zip(s.par_chunks(CHUNK))
                    .for_each(|(d, s)| d.copy_from_slice(s)),
                _ => d.assign(s),
            }
        }};
    }
    match src.dtype() {
        DType::F64 => copy!(F64),
        DType::F32 => copy!(F32),
        DType::I64 => copy!(I64),
        DType::Bool => copy!(Bool),
        DType::C128 => copy!(C128),
    }
}

/// Whether an axis reduction should run by columns: the reduced (last) axis is strided for
/// some input while the axis before it is the one inputs walk contiguously (a `sum` over a
/// leading axis of a row-major matrix).
pub(super) fn by_columns(kernel: &Kernel) -> bool {
    let d = kernel.dims.len();
    let Output::Reduce { axis: true, .. } = kernel.output else {
        return false;
    };
    let draws = kernel
        .body
        .iter()
        .any(|v| matches!(v.inst, crate::fuse::Inst::Random { .. }));
    if d < 2 || kernel.dims[d - 2] < 16 || draws {
        return false;
    }
    let buffers = kernel
        .inputs
        .iter()
        .filter(|i| matches!(i.source, Source::Buffer(_)));
    let mut any_strided = false;
    for i in buffers {
        let (across, along) = (i.strides[d - 2].abs(), i.strides[d - 1].abs());
        if across > 1 && across >= along {
            return false;
        }
        any_strided |= along > 1;
    }
    any_strided
}

/// An axis reduction by columns: for each block of the reduced axis, every reduced index
/// adds one row of the outputs into the lane `index % 4` accumulator row; lanes and blocks
/// then combine exactly as in [`reduce`], so the bits are the same as by rows.
fn reduce_columns<T: Acc>(f: KernelFn, mut rows: Rows, c: Combine, divide: bool) -> Vec<T> {
    let d = rows.dims.len();
    rows.dims.swap(d - 2, d - 1);
    for i in &mut rows.inputs {
        i.strides.swap(d - 2, d - 1);
    }
    let (r, cols) = (rows.dims[d - 2], rows.dims[d - 1]);
    let outer: usize = rows.dims[..d - 2].iter().product();
    // Columns are independent, so how they are split into tasks does not change any bit:
    // a few strips per thread, at least 64 columns wide.
    let per_thread = 4 * rayon::current_num_threads();
    let strip = cols.div_ceil(per_thread.div_ceil(outer)).max(64);
    let strips = cols.div_ceil(strip);
    // Moving one reduced index moves each input by its stride along that axis.
    let advance: Vec<i64> = rows
        .inputs
        .iter()
        .map(|i| i.strides[d - 2] * i.scale)
        .collect();
    let op = |a, b| T::combine(c, a, b);
    let task = |t: usize| -> Vec<T> {
        let (q, s) = (t / strips, t % strips);
        let (j0, j1) = (s * strip, ((s + 1) * strip).min(cols));
        let w = j1 - j0;
        let mut blocks: Vec<Vec<T>> = Vec::new();
        let mut lanes = vec![T::identity(c); LANES * w];
        let mut bases = vec![0i64; rows.inputs.len()];
        let steps = rows.steps();
        for b in 0..r.div_ceil(BLOCK) {
            lanes.iter_mut().for_each(|l| *l = T::identity(c));
            rows.bases(q * r + b * BLOCK, j0, &mut bases);
            for i in b * BLOCK..((b + 1) * BLOCK).min(r) {
                let lane = &mut lanes[(i % LANES) * w..(i % LANES + 1) * w];
                call(f, &bases, &steps, w, lane.as_mut_ptr() as usize);
                bases.iter_mut().zip(&advance).for_each(|(b, a)| *b += a);
            }
            blocks.push(
                (0..w)
                    .map(|j| tree::lanes_value(std::array::from_fn(|l| lanes[l * w + j]), &op))
                    .collect(),
            );
        }
        (0..w)
            .map(|j| {
                let per_block: Vec<T> = blocks.iter().map(|b| b[j]).collect();
                let v = tree::combine_blocks(&per_block, T::identity(c), &op);
                if divide { v.divide(r) } else { v }
            })
            .collect()
    };
    let parts: Vec<Vec<T>> = (0..outer * strips).into_par_iter().map(task).collect();
    parts.into_iter().flatten().collect()
}

/// Computes a kernel into a new array of `shape`, or into `target` (row-major, owned: an
/// indexed update's copy of its array, or a recycled array), whose elements it overwrites
/// where it stores.
pub(super) fn run(
    f: KernelFn,
    kernel: &Kernel,
    buffers: &[Option<Rc<Array>>],
    shape: &[usize],
    target: Option<Array>,
    columns: bool,
) -> Array {
    let dtype = kernel.result_dtype();
    let size = dtype.size_bytes() as i64;
    macro_rules! typed {
        ($t:ty, $variant:ident) => {{
            let v: Vec<$t> = match kernel.output {
                Output::Store(_) => {
                    let mut out: Vec<$t> = match target {
                        Some(Array::$variant(a)) => {
                            // Row-major, but possibly a window of a larger allocation.
                            let n = a.len();
                            let (v, offset) = a.into_raw_vec_and_offset();
                            let offset = offset.unwrap_or(0);
                            if offset == 0 && v.len() == n {
                                v
                            } else {
                                v[offset..offset + n].to_vec()
                            }
                        }
                        Some(_) => unreachable!("an update keeps its dtype"),
                        None => zeroed_vec(shape.iter().product()),
                    };
                    let address = out.as_mut_ptr() as i64;
                    store(f, &Rows::new(kernel, buffers, Some((address, size))));
                    out
                }
                Output::Reduce {
                    combine,
                    axis,
                    divide,
                    ..
                } => {
                    let rows = Rows::new(kernel, buffers, None);
                    if columns {
                        reduce_columns::<$t>(f, rows, combine, divide)
                    } else {
                        reduce::<$t>(f, &rows, combine, axis, divide)
                    }
                }
            };
            Array::$variant(ArrayD::from_shape_vec(IxDyn(shape), v).expect("kernel sizes agree"))
        }};
    }
    match dtype {
        DType::F64 => typed!(f64, F64),
        DType::F32 => typed!(f32, F32),
        DType::I64 => typed!(i64, I64),
        DType::Bool => typed!(bool, Bool),
        DType::C128 => unreachable!("complex values are never fused"),
    }
}

#[allow(unsafe_code)]
fn call(f: KernelFn, bases: &[i64], steps: &[i64], len: usize, out: usize) {
    // SAFETY: `bases`/`steps` hold one entry per kernel input, every address the kernel
    // forms stays inside its buffer (the plan's strides come from the buffers' shapes),
    // and `out` points at `len` writable elements (store) or four lanes (reduce).
    unsafe { f(bases.as_ptr(), steps.as_ptr(), len as i64, out as *mut u8) }
}

/// Runs a store kernel; the output is the last entry of `rows` (its base comes with the
/// other bases, its step with the other steps).
fn store(f: KernelFn, rows: &Rows) {
    let total: usize = rows.dims.iter().product();
    let work = |c: usize| {
        let end = ((c + 1) * CHUNK).min(total);
        segments(rows, c * CHUNK, end, |bases, steps, len, _| {
            let (out, inputs) = bases.split_last().expect("the output entry");
            call(f, inputs, steps, len, *out as usize)
        });
    };
    let chunks = total.div_ceil(CHUNK);
    if chunks <= 1 {
        (0..chunks).for_each(work);
    } else {
        (0..chunks).into_par_iter().for_each(work);
    }
}

/// Accumulator element types and their combines (matching the generated code).
trait Acc: Copy + Default + Send + Sync {
    fn identity(c: Combine) -> Self;
    fn combine(c: Combine, a: Self, b: Self) -> Self;
    fn divide(self, n: usize) -> Self;
}

macro_rules! float_acc {
    ($t:ty) => {
        impl Acc for $t {
            fn identity(c: Combine) -> $t {
                match c {
                    Combine::Sum => 0.0,
                    Combine::Prod => 1.0,
                    Combine::Min => <$t>::INFINITY,
                    Combine::Max => <$t>::NEG_INFINITY,
                    Combine::Any | Combine::All => unreachable!("bool accumulator"),
                }
            }
            fn combine(c: Combine, a: $t, b: $t) -> $t {
                match c {
                    Combine::Sum => a + b,
                    Combine::Prod => a * b,
                    // IEEE minimum/maximum, as the generated `fmin`/`fmax`: NaN wins, -0 < +0.
                    Combine::Min | Combine::Max => {
                        let min = c == Combine::Min;
                        if a.is_nan() || b.is_nan() {
                            <$t>::NAN
                        } else if a != b {
                            if (a < b) == min { a } else { b }
                        } else if a.is_sign_negative() == min {
                            a
                        } else {
                            b
                        }
                    }
                    Combine::Any | Combine::All => unreachable!("bool accumulator"),
                }
            }
            fn divide(self, n: usize) -> $t {
                self / n as $t
            }
        }
    };
}
float_acc!(f64);
float_acc!(f32);

impl Acc for i64 {
    fn identity(c: Combine) -> i64 {
        match c {
            Combine::Sum => 0,
            Combine::Prod => 1,
            Combine::Min => i64::MAX,
            Combine::Max => i64::MIN,
            Combine::Any | Combine::All => unreachable!("bool accumulator"),
        }
    }
    fn combine(c: Combine, a: i64, b: i64) -> i64 {
        match c {
            Combine::Sum => a.wrapping_add(b),
            Combine::Prod => a.wrapping_mul(b),
            Combine::Min => a.min(b),
            Combine::Max => a.max(b),
            Combine::Any | Combine::All => unreachable!("bool accumulator"),
        }
    }
    fn divide(self, _: usize) -> i64 {
        unreachable!("means are taken in floats")
    }
}

impl Acc for bool {
    fn identity(c: Combine) -> bool {
        matches!(c, Combine::All | Combine::Min)
    }
    fn combine(c: Combine, a: bool, b: bool) -> bool {
        match c {
            Combine::All | Combine::Min => a && b,
            _ => a || b,
        }
    }
    fn divide(self, _: usize) -> bool {
        unreachable!("means are taken in floats")
    }
}

/// One block (flattened positions `start..end`) in lanes, rotating the lanes so the
/// kernel's lane 0 is the segment's first element.
fn block<T: Acc>(f: KernelFn, rows: &Rows, c: Combine, start: usize, end: usize) -> T {
    let mut lanes = [T::identity(c); LANES];
    segments(rows, start, end, |bases, steps, len, pos| {
        let phase = (pos - start) % LANES;
        let mut rotated = [T::identity(c); LANES];
        for (r, l) in rotated.iter_mut().enumerate() {
            *l = lanes[(phase + r) % LANES];
        }
        call(f, bases, steps, len, rotated.as_mut_ptr() as usize);
        for (r, l) in rotated.iter().enumerate() {
            lanes[(phase + r) % LANES] = *l;
        }
    });
    tree::lanes_value(lanes, &|a, b| T::combine(c, a, b))
}

fn reduce<T: Acc>(f: KernelFn, rows: &Rows, c: Combine, axis: bool, divide: bool) -> Vec<T> {
    let op = |a, b| T::combine(c, a, b);
    let total: usize = rows.dims.iter().product();
    if !axis {
        let blocks = total.div_ceil(BLOCK);
        let one = |b: usize| block::<T>(f, rows, c, b * BLOCK, ((b + 1) * BLOCK).min(total));
        let partials: Vec<T> = if blocks <= 1 {
            (0..blocks).map(one).collect()
        } else {
            (0..blocks).into_par_iter().map(one).collect()
        };
        let v = tree::combine_blocks(&partials, T::identity(c), &op);
        return vec![if divide { v.divide(total) } else { v }];
    }
    let r = rows.dims[rows.dims.len() - 1];
    let outputs = total / r;
    let one = |o: usize| {
        let partials: Vec<T> = (0..r.div_ceil(BLOCK))
            .map(|b| {
                block::<T>(
                    f,
                    rows,
                    c,
                    o * r + b * BLOCK,
                    o * r + ((b + 1) * BLOCK).min(r),
                )
            })
            .collect();
        let v = tree::combine_blocks(&partials, T::identity(c), &op);
        if divide { v.divide(r) } else { v }
    };
    let per_task = (CHUNK / r).max(1);
    if outputs <= per_task {
        (0..outputs).map(one).collect()
    } else {
        (0..outputs)
            .into_par_iter()
            .with_min_len(per_task)
            .map(one)
            .collect()
    }
}
