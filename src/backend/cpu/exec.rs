//! Running compiled kernels on all cores. Work is cut into pieces whose size never depends
//! on the thread count, and reductions follow the fixed tree of `fuse::tree`, so results are
//! bit-identical for any `--threads`.

use super::codegen::KernelFn;
use super::share::{self, Share};
use super::wide;
use crate::dtype::DType;
use crate::fuse::{Kernel, Output, Source};
use crate::graph::Distribution;
use crate::random::{RangeOut, fill_range};
use crate::runtime::{Array, zeroed_vec};
use ndarray::{ArrayD, IxDyn};
use smallvec::SmallVec;
use std::borrow::Cow;
use std::cell::RefCell;
use std::ops::Range;
use std::rc::Rc;

/// Elements per parallel task of an elementwise kernel.
pub(super) const CHUNK: usize = 1 << 14;
/// How many contiguous elements one element costs when a kernel steps across cache lines
/// in its inner loop, for [`TEAM_MIN`]: a column of a large matrix touches a page an
/// element (measured: ~12 ns an element of a 1000×1000 column update, 30× a contiguous
/// one), so 512 of them are worth splitting (column recurrence 1000², run phase: 20 → 14 ms).
const STRIDED_COST: usize = 32;
/// Per-input values of one kernel run, on the stack for kernels of up to eight inputs
/// (running a small kernel allocates nothing).
pub(super) type PerInput<T> = SmallVec<[T; 8]>;
/// Kernels over fewer elements run on the calling thread: handing pieces to the team
/// ([`crate::runtime::team`], about 0.6 µs on 2 cores) costs more than it saves. At 2^13
/// a 99×99 stencil sweep is split (its two-lane division costs ~0.6 ns an element): the
/// 101² cavity flow's run phase took 62 ms against 91 ms at 2^14, the Lorenz ensemble
/// of 10^4 systems 90 against 148 ms, although the small border updates that follow the
/// sweep on the caller read rows the helper wrote.
const TEAM_MIN: usize = 1 << 13;

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
pub(super) struct Resolved<'k> {
    base: i64,
    /// Bytes per element for buffers, 1 for counters.
    pub(super) scale: i64,
    /// The kernel's own strides (copied only when a column reduction reorders them).
    pub(super) strides: Cow<'k, [i64]>,
}

/// The kernel's inputs, ready to address: what the host needs to start any row. The last
/// entry is the output (for stores), addressed like the inputs.
pub(super) struct Rows<'k> {
    pub(super) inputs: PerInput<Resolved<'k>>,
    /// How many of `inputs` are the kernel's own (the rest is the output).
    kernel_inputs: usize,
    /// The kernel's random draws, in body order (their scratch slots follow the inputs).
    randoms: Vec<Draw>,
    /// Iteration shape.
    pub(super) dims: Cow<'k, [usize]>,
}

impl<'k> Rows<'k> {
    /// `out` is the output's (address, element size); reads of buffer `in_place` (an update
    /// running on its own array) go to the output's memory.
    fn new(
        kernel: &'k Kernel,
        buffers: &[Option<Rc<Array>>],
        out: Option<(i64, i64)>,
        in_place: Option<usize>,
    ) -> Rows<'k> {
        let mut inputs: PerInput<Resolved<'k>> = kernel
            .inputs
            .iter()
            .map(|i| match i.source {
                Source::Buffer(b) => {
                    let size = i.dtype.size_bytes() as i64;
                    let start = match (&buffers[b], out) {
                        (Some(a), _) => a.as_byte_ptr() as i64,
                        (None, Some((address, _))) if in_place == Some(b) => address,
                        (None, _) => unreachable!("plan order: inputs computed first"),
                    };
                    Resolved {
                        base: start + i.offset * size,
                        scale: size,
                        strides: Cow::Borrowed(&i.strides),
                    }
                }
                Source::Counter => Resolved {
                    base: i.offset,
                    scale: 1,
                    strides: Cow::Borrowed(&i.strides),
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
                    base: None,
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
                strides: Cow::Borrowed(&kernel.out_strides),
            });
        }
        Rows {
            kernel_inputs: kernel.inputs.len(),
            inputs,
            randoms,
            dims: Cow::Borrowed(&kernel.dims),
        }
    }

    /// Inner-dimension steps in elements, as kernels take them.
    pub(super) fn steps(&self) -> PerInput<i64> {
        let last = self.dims.len() - 1;
        self.inputs.iter().map(|i| i.strides[last]).collect()
    }

    /// Fills `bases` for row `row` (row-major over all dims but the last) at column `col`.
    pub(super) fn bases(&self, row: usize, col: usize, bases: &mut [i64]) {
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
pub(super) fn segments(
    rows: &Rows,
    start: usize,
    end: usize,
    mut visit: impl FnMut(&[i64], &[i64], usize, usize),
) {
    if start >= end {
        return;
    }
    let resolved = rows.steps();
    if rows.dims.len() == 1 && rows.randoms.is_empty() {
        // One row (a vector kernel, a single element): no odometer, no scratch.
        let bases: PerInput<i64> = (rows.inputs.iter())
            .map(|i| i.base + i.strides[0] * start as i64 * i.scale)
            .collect();
        visit(&bases, &resolved, end - start, start);
        return;
    }
    let inner = rows.dims[rows.dims.len() - 1];
    let n = rows.inputs.len();
    let outer_dims = &rows.dims[..rows.dims.len() - 1];
    // Byte steps per outer dimension and input, flat: moving one along dimension `d` moves
    // input `i` by `jumps[d * n + i]`.
    let jumps: SmallVec<[i64; 32]> = (0..outer_dims.len())
        .flat_map(|d| rows.inputs.iter().map(move |i| i.strides[d] * i.scale))
        .collect();
    // Bases at the start of the current row, and its coordinates in the outer dimensions.
    let mut row_start: PerInput<i64> = smallvec::smallvec![0; n];
    let mut outer: SmallVec<[usize; 4]> = smallvec::smallvec![0; outer_dims.len()];
    let (row, mut col) = (start / inner, start % inner);
    rows.bases(row, 0, &mut row_start);
    let mut r = row;
    for d in (0..outer.len()).rev() {
        outer[d] = r % outer_dims[d];
        r /= outer_dims[d];
    }
    let mut row_bases = row_start.clone();
    let mut pos = start;
    SCRATCH.with(|scratch| {
        let mut scratch = scratch.borrow_mut();
        if scratch.len() < rows.randoms.len() {
            scratch.resize_with(rows.randoms.len(), Vec::new);
        }
        while pos < end {
            let len = (inner - col).min(end - pos);
            let bases = if col == 0 {
                &row_start
            } else {
                for ((b, &s), (i, &step)) in row_bases
                    .iter_mut()
                    .zip(&row_start)
                    .zip(rows.inputs.iter().zip(&resolved))
                {
                    *b = s + step * col as i64 * i.scale;
                }
                &row_bases
            };
            if rows.randoms.is_empty() {
                visit(bases, &resolved, len, pos);
            } else {
                // [inputs.., draws.., out?]: the output entry, when present, is the last
                // resolved entry beyond the kernel's own inputs.
                let kernel_inputs = rows.kernel_inputs;
                let mut with_draws = bases[..kernel_inputs].to_vec();
                let mut steps = resolved[..kernel_inputs].to_vec();
                for (d, row_buf) in rows.randoms.iter().zip(scratch.iter_mut()) {
                    fill_draw(d, bases[d.counter], resolved[d.counter], len, row_buf);
                    with_draws.push(row_buf.as_ptr() as i64);
                    steps.push(1);
                }
                with_draws.extend_from_slice(&bases[kernel_inputs..]);
                steps.extend_from_slice(&resolved[kernel_inputs..]);
                visit(&with_draws, &steps, len, pos);
            }
            pos += len;
            col = 0;
            if pos < end {
                next_row(outer_dims, &jumps, &mut outer, &mut row_start);
            }
        }
    });
}

/// Moves `bases` from the start of a row to the start of the next one; `outer` holds the
/// row's coordinates in `dims` (an odometer: one addition per input, rarely more).
fn next_row(dims: &[usize], jumps: &[i64], outer: &mut [usize], bases: &mut [i64]) {
    let n = bases.len();
    for d in (0..outer.len()).rev() {
        let jump = &jumps[d * n..(d + 1) * n];
        outer[d] += 1;
        bases.iter_mut().zip(jump).for_each(|(b, j)| *b += j);
        if outer[d] < dims[d] {
            return;
        }
        let back = dims[d] as i64;
        bases.iter_mut().zip(jump).for_each(|(b, j)| *b -= j * back);
        outer[d] = 0;
    }
}

/// An array a store kernel writes into instead of a new one.
pub(super) struct Target {
    /// Held only here (so written in place, and handed back in the same allocation): an
    /// indexed update's copy of its array, its own array, or a recycled array.
    pub(super) array: Rc<Array>,
    /// What the kernel's pieces copy from the update's old array first, if anything.
    pub(super) gaps: Option<super::memory::Gaps>,
    /// The buffer `array` was taken from when the kernel also reads it (its reads never
    /// meet its writes, see `fuse::overlap`): those reads go to `array`.
    pub(super) in_place: Option<usize>,
}

/// Computes a kernel into a new array of `shape`, or into `target`, whose elements it
/// overwrites where it stores: all its positions, or only `own` (this process's rows of a
/// spread array, see [`super::spread`]; a new array's other elements are then zero). With
/// `share`, a reduction is shared with the other processes of a job where worth it (see
/// [`share`]).
#[allow(clippy::too_many_arguments)]
pub(super) fn run(
    f: Code,
    kernel: &Kernel,
    buffers: &[Option<Rc<Array>>],
    shape: &[usize],
    target: Option<Target>,
    columns: bool,
    share: Option<&dyn Share>,
    own: Option<Range<usize>>,
) -> Rc<Array> {
    let (target, gaps, in_place) = match target {
        Some(Target {
            array,
            gaps,
            in_place,
        }) => (Some(array), gaps, in_place),
        None => (None, None, None),
    };
    let dtype = kernel.result_dtype();
    let size = dtype.size_bytes() as i64;
    macro_rules! stored {
        ($t:ty, $variant:ident) => {{
            // A new array is row-major and the kernel stores every element of it (see
            // `Kernel::out_strides`): it starts uninitialised, its length set once stored.
            let total: usize = shape.iter().product();
            // The kernel's positions: every element of a new array, a region of a target.
            let stores: usize = kernel.dims.iter().product();
            let whole = target.is_none() && stores == total;
            if whole && super::memory::fills_zeros(kernel) {
                // Zeros from the allocator (calloc): pages nothing writes later are never
                // touched, as NumPy's `zeros` (and a spread array's other rows).
                return Rc::new(Array::$variant(
                    ArrayD::from_shape_vec(IxDyn(shape), zeroed_vec::<$t>(total))
                        .expect("a kernel's shape has its size"),
                ));
            }
            let fresh = whole && own.is_none();
            let positions = own.clone().unwrap_or(0..stores);
            let mut out: Vec<$t> = match target {
                None if fresh => Vec::with_capacity(total),
                // Written where it is (possibly a window of a larger allocation), made
                // row-major of `shape` first when it is not (a recycled array of another
                // shape).
                Some(mut target) => {
                    let Some(Array::$variant(a)) = Rc::get_mut(&mut target) else {
                        unreachable!("a target keeps its dtype and is held only here")
                    };
                    if !a.is_standard_layout() || !crate::runtime::same_shape(a.shape(), shape) {
                        let old = std::mem::take(a);
                        *a = (old.as_standard_layout().into_owned())
                            .into_shape_with_order(IxDyn(shape))
                            .expect("a target has the kernel's size");
                    }
                    let address = a.as_mut_ptr() as i64;
                    store(
                        f,
                        &Rows::new(kernel, buffers, Some((address, size)), in_place),
                        gaps.as_ref().map(|g| (g, address)),
                        positions,
                    );
                    return target;
                }
                None => zeroed_vec(total),
            };
            let address = out.as_mut_ptr() as i64;
            store(
                f,
                &Rows::new(kernel, buffers, Some((address, size)), in_place),
                gaps.as_ref().map(|g| (g, address)),
                positions,
            );
            if fresh {
                // SAFETY: the store wrote all `total` elements (its iteration space has
                // `total` positions, row-major over the array); a failed piece unwinds
                // before this, leaving the vector empty.
                #[allow(unsafe_code)]
                unsafe {
                    out.set_len(total)
                };
            }
            out
        }};
    }
    macro_rules! typed {
        ($t:ty, $variant:ident) => {{
            let v: Vec<$t> = match kernel.output {
                Output::Store(_) => stored!($t, $variant),
                Output::Reduce {
                    combine,
                    axis,
                    divide,
                    ..
                } => {
                    let rows = Rows::new(kernel, buffers, None, None);
                    if columns {
                        super::reduce::reduce_columns::<$t>(f, rows, combine, divide)
                    } else {
                        let positions = rows.dims.iter().product();
                        let share = share.filter(|_| share::worth_sharing(kernel, positions));
                        super::reduce::reduce::<$t>(f, &rows, combine, axis, divide, share)
                    }
                }
            };
            Rc::new(Array::$variant(
                ArrayD::from_shape_vec(IxDyn(shape), v).expect("kernel sizes agree"),
            ))
        }};
    }
    match dtype {
        DType::F64 => typed!(f64, F64),
        DType::F32 => typed!(f32, F32),
        DType::I64 => typed!(i64, I64),
        DType::Bool => typed!(bool, Bool),
        // Only stores make complex values (`fuse::kernel`).
        DType::C128 => {
            let v = stored!(num_complex::Complex64, C128);
            Rc::new(Array::C128(
                ArrayD::from_shape_vec(IxDyn(shape), v).expect("kernel sizes agree"),
            ))
        }
    }
}

/// A compiled kernel: Cranelift's code, and the program that runs its contiguous rows at
/// full vector width where it has one (see [`wide`]). Both live as long as the process,
/// like the JIT's code memory.
#[derive(Clone, Copy)]
pub(super) struct Code {
    /// Cranelift's code, for every row.
    pub(super) jit: KernelFn,
    /// The full-width code, for the rows it takes.
    pub(super) wide: Option<&'static wide::Wide>,
}

impl Code {
    /// Whether two kernels run the same code.
    pub(super) fn same(self, other: Code) -> bool {
        self.jit as usize == other.jit as usize
    }
}

/// Runs one row segment of a kernel (see [`KernelFn`]).
#[allow(unsafe_code)]
pub(super) fn call(f: Code, bases: &[i64], steps: &[i64], len: usize, out: usize) {
    if let Some(w) = f.wide
        && w.run(bases, steps, len, out)
    {
        return;
    }
    let f = f.jit;
    // SAFETY: `bases`/`steps` hold one entry per kernel input, every address the kernel
    // forms stays inside its buffer (the plan's strides come from the buffers' shapes),
    // and `out` points at `len` writable elements (store) or four lanes (reduce). One row
    // reads no jumps.
    unsafe {
        f(
            bases.as_ptr(),
            steps.as_ptr(),
            len as i64,
            out as *mut u8,
            1,
            std::ptr::null(),
        )
    }
}

/// Runs a store kernel without draws over `rows` whole rows of `len` elements from `bases`
/// (inputs, then the output), moving by `jumps` (bytes, one per entry) from row to row.
#[allow(unsafe_code)]
fn call_rows(f: Code, bases: &[i64], steps: &[i64], len: usize, rows: usize, jumps: &[i64]) {
    let (out, inputs) = bases.split_last().expect("the output entry");
    // SAFETY: as `call`'s, for every row; `jumps` has an entry per input and the output,
    // each the distance between the rows' first elements.
    unsafe {
        (f.jit)(
            inputs.as_ptr(),
            steps.as_ptr(),
            len as i64,
            *out as *mut u8,
            rows as i64,
            jumps.as_ptr(),
        )
    }
}

/// Stores positions `start..end` one call per row segment.
fn store_segments(f: Code, rows: &Rows, start: usize, end: usize) {
    segments(rows, start, end, |bases, steps, len, _| {
        let (out, inputs) = bases.split_last().expect("the output entry");
        call(f, inputs, steps, len, *out as usize)
    });
}

/// Stores positions `start..end` of a two-dimensional kernel without draws or a wide
/// program: a partial first and last row alone, the whole rows between in one call.
fn store_rows(f: Code, rows: &Rows, start: usize, end: usize) {
    let inner = rows.dims[1];
    let first_whole = start.next_multiple_of(inner).min(end);
    store_segments(f, rows, start, first_whole);
    let whole = (end - first_whole) / inner;
    if whole > 0 {
        let mut bases: PerInput<i64> = smallvec::smallvec![0; rows.inputs.len()];
        rows.bases(first_whole / inner, 0, &mut bases);
        let jumps: PerInput<i64> = (rows.inputs.iter())
            .map(|i| i.strides[0] * i.scale)
            .collect();
        call_rows(f, &bases, &rows.steps(), inner, whole, &jumps);
    }
    store_segments(f, rows, first_whole + whole * inner, end);
}

/// `f(0)`, …, `f(n - 1)` in index order: on the team when the `n` pieces cover at least
/// [`TEAM_MIN`] elements in all, else on the calling thread.
pub(super) fn map_pieces<T: Send + Sync>(
    elements: usize,
    n: usize,
    f: impl Fn(usize) -> T + Sync,
) -> Vec<T> {
    if elements < TEAM_MIN {
        (0..n).map(f).collect()
    } else {
        crate::runtime::team::map(n, f)
    }
}

/// Runs a store kernel at `positions` (all of them, or this process's part, see
/// [`share`]); the output is the last entry of `rows` (its base comes with the
/// other bases, its step with the other steps). Kernels of [`TEAM_MIN`] elements and more
/// are cut into pieces run by the team ([`crate::runtime::team`]): one per thread, at most
/// [`CHUNK`] elements each.
fn store(f: Code, rows: &Rows, gaps: Option<(&super::memory::Gaps, i64)>, positions: Range<usize>) {
    let all: usize = rows.dims.iter().product();
    let total = positions.len();
    let inner = rows.dims[rows.dims.len() - 1];
    let threads = crate::runtime::team::threads();
    // An element read or written across rows (a column) costs a cache line of its own.
    let last = rows.dims.len() - 1;
    let strided =
        (rows.inputs.iter()).any(|i| i.strides[last].unsigned_abs() * i.scale.unsigned_abs() > 64);
    let work_size = if strided { total * STRIDED_COST } else { total };
    let piece = if work_size < TEAM_MIN {
        total.max(1)
    } else {
        CHUNK.min(total.div_ceil(threads).next_multiple_of(8))
    };
    let work = |c: usize| {
        let start = positions.start + c * piece;
        let end = (start + piece).min(positions.end);
        if let Some((g, dst)) = gaps {
            g.copy(dst, inner, start, end, all);
        }
        if rows.dims.len() == 2
            && rows.randoms.is_empty()
            && f.wide.is_none_or(|w| inner < w.min_len())
        {
            store_rows(f, rows, start, end);
        } else {
            store_segments(f, rows, start, end);
        }
    };
    let pieces = total.div_ceil(piece);
    crate::runtime::team::run(pieces, &work);
}
