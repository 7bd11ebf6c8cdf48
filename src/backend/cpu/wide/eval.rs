//! Running a [`Program`] over one row: blocks of [`BLOCK`] elements, each step one loop of
//! full-width vectors over scratch slots, compiled once per width behind an entry point
//! with that width's target features.

#![allow(unsafe_code)]

use super::lanes::{Avx2, Avx512, Lanes};
use super::{BLOCK, End, Program, Src, Step, Width};
use crate::fuse::Combine;
use crate::fuse::math;
use crate::graph::{BinaryOp, UnaryOp};
use std::cell::RefCell;

thread_local! {
    /// Per-thread slots and padded inputs, `BLOCK` f64 each.
    static SCRATCH: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

/// Runs `p` on a row of `len ≥ 1` elements whose inputs start at `bases` and step
/// `steps` elements (see [`Program::run`]).
pub(super) fn run(p: &Program, bases: &[i64], steps: &[i64], len: usize, out: usize) {
    SCRATCH.with(|scratch| {
        let mut scratch = scratch.borrow_mut();
        let cells = (p.slots + p.read.len()) * BLOCK;
        if scratch.len() < cells {
            scratch.resize(cells, 0.0);
        }
        let scratch = scratch.as_mut_ptr();
        // SAFETY: `p.width` was chosen by `width()`, which the CPU has (`detected`); the
        // caller's bases address `len` elements of every input and the output.
        match p.width {
            Width::Avx512 => unsafe { run_avx512(p, bases, steps, len, out, scratch) },
            Width::Avx2 => unsafe { run_avx2(p, bases, steps, len, out, scratch) },
            Width::Sse2 => unreachable!("no program at two lanes"),
        }
    });
}

#[target_feature(enable = "avx2,fma")]
unsafe fn run_avx2(
    p: &Program,
    bases: &[i64],
    steps: &[i64],
    len: usize,
    out: usize,
    scratch: *mut f64,
) {
    unsafe { rows::<Avx2>(p, bases, steps, len, out, scratch) }
}

#[target_feature(enable = "avx512f,avx512dq,avx2,fma")]
unsafe fn run_avx512(
    p: &Program,
    bases: &[i64],
    steps: &[i64],
    len: usize,
    out: usize,
    scratch: *mut f64,
) {
    unsafe { rows::<Avx512>(p, bases, steps, len, out, scratch) }
}

/// The row, block by block.
///
/// # Safety
/// As [`run`]; `scratch` holds `(p.slots + p.read.len()) · BLOCK` cells.
#[inline(always)]
unsafe fn rows<L: Lanes>(
    p: &Program,
    bases: &[i64],
    steps: &[i64],
    len: usize,
    out: usize,
    scratch: *mut f64,
) {
    let slot = |s: usize| unsafe { scratch.add(s * BLOCK) };
    // Constants fill what the blocks of this row read (a short row, not a whole block).
    let used = len.div_ceil(L::W).saturating_mul(L::W).min(BLOCK);
    for &(s, x) in &p.consts {
        unsafe { std::slice::from_raw_parts_mut(slot(s), used) }.fill(x);
    }
    // The four lanes of the fixed tree (`out`), by the end's accumulator type.
    let mut acc = [0.0f64; 4];
    let mut counts = [0i64; 4];
    let mut logical = [false; 4];
    match p.end {
        End::Reduce(_) => acc = unsafe { *(out as *const [f64; 4]) },
        End::Count => counts = unsafe { *(out as *const [i64; 4]) },
        End::Logical(_) => logical = unsafe { *(out as *const [bool; 4]) },
        End::Store | End::StoreBools => {}
    }
    let mut inputs: smallvec::SmallVec<[*const f64; 8]> =
        smallvec::smallvec![std::ptr::null(); p.read.len()];
    let mut start = 0;
    while start < len {
        let n = (len - start).min(BLOCK);
        let vectors = n.div_ceil(L::W);
        // A block whose length is not whole vectors reads its inputs from zero-padded
        // copies (the lanes beyond `n` are computed and dropped); a strided input is
        // gathered into its copy.
        let padded = !n.is_multiple_of(L::W);
        let ahead = (len - start - n).min(BLOCK);
        for (k, input) in inputs.iter_mut().enumerate().filter(|(k, _)| p.read[*k]) {
            let step = steps[k] as isize;
            let at = (bases[k] as *const f64).wrapping_offset(start as isize * step);
            if step == 1 && p.prefetch[k] {
                unsafe { prefetch(at.add(n), ahead) };
            }
            *input = if step != 1 {
                let copy = slot(p.slots + k);
                unsafe {
                    let copy_s = std::slice::from_raw_parts_mut(copy, vectors * L::W);
                    let (head, pad) = copy_s.split_at_mut(n);
                    head.iter_mut()
                        .enumerate()
                        .for_each(|(i, c)| *c = *at.offset(i as isize * step));
                    pad.fill(0.0);
                }
                copy
            } else if padded {
                let copy = slot(p.slots + k);
                unsafe {
                    std::ptr::copy_nonoverlapping(at, copy, n);
                    std::slice::from_raw_parts_mut(copy.add(n), vectors * L::W - n).fill(0.0);
                }
                copy
            } else {
                at
            };
        }
        let at = |s: Src| match s {
            Src::Input(k) => inputs[k],
            Src::Slot(s) => slot(s) as *const f64,
        };
        for step in &p.steps {
            unsafe {
                match *step {
                    Step::Unary(op, a, d) => unary::<L>(op, at(a), slot(d), vectors),
                    Step::Binary(op, a, b, d) => binary::<L>(op, at(a), at(b), slot(d), vectors),
                    Step::Compare(op, a, b, d) => compare::<L>(op, at(a), at(b), slot(d), vectors),
                    Step::Select(c, a, b, d) => select::<L>(at(c), at(a), at(b), slot(d), vectors),
                }
            }
        }
        let result = at(p.result);
        match p.end {
            End::Store => unsafe {
                std::ptr::copy_nonoverlapping(result, (out as *mut f64).add(start), n)
            },
            End::StoreBools => {
                let x = unsafe { std::slice::from_raw_parts(result, n) };
                let out = unsafe { std::slice::from_raw_parts_mut((out as *mut u8).add(start), n) };
                out.iter_mut()
                    .zip(x)
                    .for_each(|(o, &v)| *o = u8::from(v != 0.0));
            }
            End::Reduce(c) => {
                let x = unsafe { std::slice::from_raw_parts(result, n) };
                fold(&mut acc, x, c);
            }
            // Integer sums and logical reductions are the same in any order: the block's
            // count goes to lane 0.
            End::Count => {
                let trues = unsafe { count::<L>(result, n) };
                counts[0] = counts[0].wrapping_add(trues as i64);
            }
            End::Logical(c) => {
                let trues = unsafe { count::<L>(result, n) };
                logical[0] = match c {
                    Combine::All => logical[0] && trues == n,
                    _ => logical[0] || trues > 0,
                };
            }
        }
        start += n;
    }
    match p.end {
        End::Reduce(_) => unsafe { *(out as *mut [f64; 4]) = acc },
        End::Count => unsafe { *(out as *mut [i64; 4]) = counts },
        End::Logical(_) => unsafe { *(out as *mut [bool; 4]) = logical },
        End::Store | End::StoreBools => {}
    }
}

/// How many of the `n ≤ BLOCK` bools at `x` (`1.0` or `0.0` each) are true: summed in f64
/// vectors, exact.
///
/// # Safety
/// `x..x + n` is readable.
#[inline(always)]
unsafe fn count<L: Lanes>(x: *const f64, n: usize) -> usize {
    let mut o = L::default();
    let whole = n / L::W;
    // Four independent sums (one would wait on each add's latency).
    let mut acc = [o.c(0.0); 4];
    for v in 0..whole {
        acc[v % 4] = o.add(acc[v % 4], unsafe { L::load(x.add(v * L::W)) });
    }
    let mut lanes = [0.0f64; 8];
    let mut total: f64 = (whole * L::W..n).map(|i| unsafe { *x.add(i) }).sum();
    for a in acc {
        unsafe { L::store(lanes.as_mut_ptr(), a) };
        total += lanes[..L::W].iter().sum::<f64>();
    }
    total as usize
}

/// Combines `x` into the fixed tree's four lanes, element `i` into lane `i % 4` (a block
/// starts at a multiple of four), accumulator first as the scalar code does.
#[inline(always)]
fn fold(acc: &mut [f64; 4], x: &[f64], c: Combine) {
    let groups = x.chunks_exact(4);
    let tail = groups.remainder();
    match c {
        Combine::Prod => {
            for g in groups {
                (0..4).for_each(|l| acc[l] *= g[l]);
            }
            tail.iter().enumerate().for_each(|(l, v)| acc[l] *= v);
        }
        _ => {
            for g in groups {
                (0..4).for_each(|l| acc[l] += g[l]);
            }
            tail.iter().enumerate().for_each(|(l, v)| acc[l] += v);
        }
    }
}

/// `d[i] = op(a[i])` over `vectors` vectors.
///
/// # Safety
/// `a` and `d` hold `vectors · W` elements (`d` may be `a`).
#[inline(always)]
unsafe fn unary<L: Lanes>(op: UnaryOp, a: *const f64, d: *mut f64, vectors: usize) {
    // Two vectors an iteration, as `binary`'s.
    macro_rules! each {
        (|$o:ident, $x:ident| $e:expr) => {{
            let mut $o = L::default();
            let mut v = 0;
            while v + 2 <= vectors {
                unsafe {
                    let (i, j) = (v * L::W, (v + 1) * L::W);
                    let (x0, x1) = (L::load(a.add(i)), L::load(a.add(j)));
                    let r0 = {
                        let $x = x0;
                        $e
                    };
                    let r1 = {
                        let $x = x1;
                        $e
                    };
                    L::store(d.add(i), r0);
                    L::store(d.add(j), r1);
                }
                v += 2;
            }
            if v < vectors {
                unsafe {
                    let $x = L::load(a.add(v * L::W));
                    L::store(d.add(v * L::W), $e);
                }
            }
        }};
    }
    match op {
        UnaryOp::Exp => each!(|o, x| math::exp(&mut o, x)),
        UnaryOp::Exp2 => each!(|o, x| math::exp2(&mut o, x)),
        UnaryOp::Expm1 => each!(|o, x| math::expm1(&mut o, x)),
        UnaryOp::Log => each!(|o, x| math::log(&mut o, x)),
        UnaryOp::Log2 => each!(|o, x| math::log2(&mut o, x)),
        UnaryOp::Log10 => each!(|o, x| math::log10(&mut o, x)),
        UnaryOp::Log1p => each!(|o, x| math::log1p(&mut o, x)),
        UnaryOp::Sin => each!(|o, x| math::sin_cos(&mut o, x, false)),
        UnaryOp::Cos => each!(|o, x| math::sin_cos(&mut o, x, true)),
        UnaryOp::Tan => each!(|o, x| math::tan(&mut o, x)),
        UnaryOp::Atan => each!(|o, x| math::atan(&mut o, x)),
        UnaryOp::Asin => each!(|o, x| math::asin(&mut o, x)),
        UnaryOp::Acos => each!(|o, x| math::acos(&mut o, x)),
        UnaryOp::Sinh => each!(|o, x| sinh::<L>(&mut o, x)),
        UnaryOp::Cosh => each!(|o, x| math::cosh(&mut o, x)),
        UnaryOp::Tanh => each!(|o, x| math::tanh(&mut o, x)),
        UnaryOp::Cbrt => each!(|o, x| math::cbrt(&mut o, x)),
        UnaryOp::Erf => each!(|o, x| math::erf(&mut o, x)),
        UnaryOp::Erfc => each!(|o, x| math::erfc(&mut o, x)),
        UnaryOp::Neg => each!(|o, x| o.neg(x)),
        UnaryOp::Abs => each!(|o, x| o.abs(x)),
        UnaryOp::Sqrt => each!(|o, x| o.sqrt(x)),
        UnaryOp::Floor => each!(|o, x| o.floor(x)),
        UnaryOp::Ceil => each!(|o, x| o.ceil(x)),
        UnaryOp::Trunc => each!(|o, x| o.trunc(x)),
        UnaryOp::Round => each!(|o, x| o.round(x)),
        _ => unreachable!("checked by Program::new"),
    }
}

/// `d[i] = op(a[i], b[i])` over `vectors` vectors.
///
/// # Safety
/// `a`, `b` and `d` hold `vectors · W` elements (`d` may be `a` or `b`).
#[inline(always)]
unsafe fn binary<L: Lanes>(
    op: BinaryOp,
    a: *const f64,
    b: *const f64,
    d: *mut f64,
    vectors: usize,
) {
    // Two vectors an iteration: two independent chains for the core to overlap (a long
    // function's one chain is latency-bound: `pow` 47 -> 41 ms over 10^7 elements).
    macro_rules! each {
        (|$o:ident, $x:ident, $y:ident| $e:expr) => {{
            let mut $o = L::default();
            let mut v = 0;
            while v + 2 <= vectors {
                unsafe {
                    let (i, j) = (v * L::W, (v + 1) * L::W);
                    let (x0, y0) = (L::load(a.add(i)), L::load(b.add(i)));
                    let (x1, y1) = (L::load(a.add(j)), L::load(b.add(j)));
                    let r0 = {
                        let ($x, $y) = (x0, y0);
                        $e
                    };
                    let r1 = {
                        let ($x, $y) = (x1, y1);
                        $e
                    };
                    L::store(d.add(i), r0);
                    L::store(d.add(j), r1);
                }
                v += 2;
            }
            if v < vectors {
                unsafe {
                    let $x = L::load(a.add(v * L::W));
                    let $y = L::load(b.add(v * L::W));
                    L::store(d.add(v * L::W), $e);
                }
            }
        }};
    }
    match op {
        BinaryOp::Add => each!(|o, x, y| o.add(x, y)),
        BinaryOp::Sub => each!(|o, x, y| o.sub(x, y)),
        BinaryOp::Mul => each!(|o, x, y| o.mul(x, y)),
        BinaryOp::Div => each!(|o, x, y| o.div(x, y)),
        BinaryOp::Hypot => each!(|o, x, y| hypot::<L>(&mut o, x, y)),
        BinaryOp::Atan2 => each!(|o, x, y| math::atan2(&mut o, x, y)),
        BinaryOp::Pow => each!(|o, x, y| pow::<L>(&mut o, x, y)),
        _ => unreachable!("checked by Program::new"),
    }
}

/// `math::hypot`, by its common case alone when every lane takes it (the same bits, see
/// `math::hypot_common_case`): the scalings, the negligible part and the infinities cost
/// more than a third of the whole.
#[inline(always)]
fn hypot<L: Lanes>(o: &mut L, x: L::Vf, y: L::Vf) -> L::Vf {
    let m @ [_, _, ax, ay] = math::magnitudes(o, x, y);
    let common = math::hypot_common_case(o, ax, ay);
    if o.all(common) {
        math::hypot_kernel(o, ax, ay)
    } else {
        math::hypot_of(o, m)
    }
}

/// `math::pow`, by its core alone when every lane is in its common case (the same bits,
/// see `math::pow_common_case`): the special cases — a square root, a division and forty
/// selects — cost about a quarter of the whole.
#[inline(always)]
fn pow<L: Lanes>(o: &mut L, x: L::Vf, y: L::Vf) -> L::Vf {
    let core = math::pow_core(o, x, y);
    let (all, none) = math::pow_common_case(o, &core);
    if o.all(all) && o.none(none) {
        core.magnitude
    } else {
        math::pow_cases(o, core)
    }
}

/// `math::sinh`, by its `expm1` part alone when every lane is below 22 (the same bits:
/// the `exp` of the far part is selected away there).
#[inline(always)]
fn sinh<L: Lanes>(o: &mut L, x: L::Vf) -> L::Vf {
    let near = math::sinh_near(o, x);
    let r = if o.all([near.within]) {
        near.value
    } else {
        let far = math::sinh_far(o, near);
        o.select(near.within, near.value, far)
    };
    math::sinh_end(o, x, near, r)
}

/// `d[i] = 1.0` where `a[i] op b[i]`, else `0.0` (`<=` is `<` or `==`, so false on NaN as
/// the scalar code's; `!=` true on NaN).
///
/// # Safety
/// As [`binary`].
#[inline(always)]
unsafe fn compare<L: Lanes>(
    op: BinaryOp,
    a: *const f64,
    b: *const f64,
    d: *mut f64,
    vectors: usize,
) {
    let mut o = L::default();
    let (one, zero) = (o.c(1.0), o.c(0.0));
    // One loop per operator (a `match` inside the loop is a jump per vector).
    macro_rules! each {
        (|$o:ident, $x:ident, $y:ident| $e:expr) => {
            for v in 0..vectors {
                unsafe {
                    let $x = L::load(a.add(v * L::W));
                    let $y = L::load(b.add(v * L::W));
                    let $o = &mut o;
                    L::store(d.add(v * L::W), $e);
                }
            }
        };
    }
    match op {
        BinaryOp::Lt => each!(|o, x, y| {
            let c = o.lt(x, y);
            o.select(c, one, zero)
        }),
        BinaryOp::Gt => each!(|o, x, y| {
            let c = o.lt(y, x);
            o.select(c, one, zero)
        }),
        BinaryOp::Le => each!(|o, x, y| {
            let (c, e) = (o.lt(x, y), o.eq(x, y));
            let r = o.select(e, one, zero);
            o.select(c, one, r)
        }),
        BinaryOp::Ge => each!(|o, x, y| {
            let (c, e) = (o.lt(y, x), o.eq(x, y));
            let r = o.select(e, one, zero);
            o.select(c, one, r)
        }),
        BinaryOp::Eq => each!(|o, x, y| {
            let c = o.eq(x, y);
            o.select(c, one, zero)
        }),
        _ => each!(|o, x, y| {
            let c = o.eq(x, y);
            o.select(c, zero, one)
        }),
    }
}

/// `d[i] = c[i] ? a[i] : b[i]` for bools held as `1.0`/`0.0`.
///
/// # Safety
/// As [`binary`], for `c` too.
#[inline(always)]
unsafe fn select<L: Lanes>(
    c: *const f64,
    a: *const f64,
    b: *const f64,
    d: *mut f64,
    vectors: usize,
) {
    let mut o = L::default();
    let zero = o.c(0.0);
    for v in 0..vectors {
        unsafe {
            let k = L::load(c.add(v * L::W));
            let x = L::load(a.add(v * L::W));
            let y = L::load(b.add(v * L::W));
            let off = o.eq(k, zero);
            L::store(d.add(v * L::W), o.select(off, y, x));
        }
    }
}

/// Asks for the cache lines of the `n` elements at `x` (the next block of a contiguous
/// input, see `Program::prefetch`) ahead of their use, into L2 (into L1, the lines of
/// three inputs' next blocks pushed out the slots: W3 15% slower).
///
/// # Safety
/// None needed beyond `x..x + n` being inside (or one past) an allocation: prefetches
/// never fault.
#[inline(always)]
unsafe fn prefetch(x: *const f64, n: usize) {
    const LINE: usize = 8;
    let mut i = 0;
    while i < n {
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T1 }>(
                x.add(i) as *const i8
            )
        };
        i += LINE;
    }
}
