//! Running compiled kernels on all cores. Work is cut into pieces whose size never depends
//! on the thread count, and reductions follow the fixed tree of `fuse::tree`, so results are
//! bit-identical for any `--threads`.

use super::codegen::KernelFn;
use crate::dtype::DType;
use crate::fuse::tree::{self, BLOCK, LANES};
use crate::fuse::{Combine, Kernel, Output, Source};
use crate::runtime::{Array, zeroed_vec};
use ndarray::{ArrayD, IxDyn};
use rayon::prelude::*;
use std::rc::Rc;

/// Elements per parallel task of an elementwise kernel.
const CHUNK: usize = 1 << 14;

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
        if let Some((address, size)) = out {
            inputs.push(Resolved {
                base: address + kernel.out_offset * size,
                scale: size,
                strides: kernel.out_strides.clone(),
            });
        }
        Rows {
            inputs,
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
/// receives each call's bases, steps, length and starting position.
fn segments(
    rows: &Rows,
    start: usize,
    end: usize,
    mut visit: impl FnMut(&[i64], &[i64], usize, usize),
) {
    let inner = rows.dims[rows.dims.len() - 1];
    let steps = rows.steps();
    let mut bases = vec![0i64; rows.inputs.len()];
    let mut pos = start;
    while pos < end {
        let (row, col) = (pos / inner, pos % inner);
        let len = (inner - col).min(end - pos);
        rows.bases(row, col, &mut bases);
        visit(&bases, &steps, len, pos);
        pos += len;
    }
}

/// Computes a kernel into a new array of `shape`, or for an indexed update into `target`
/// (row-major, owned), whose region it overwrites.
pub(super) fn run(
    f: KernelFn,
    kernel: &Kernel,
    buffers: &[Option<Rc<Array>>],
    shape: &[usize],
    target: Option<Array>,
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
                    reduce::<$t>(f, &rows, combine, axis, divide)
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
