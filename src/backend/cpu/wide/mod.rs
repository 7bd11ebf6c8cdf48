//! Kernels at the machine's full vector width. Cranelift's x86 backend has no vectors wider
//! than 128 bits, so its kernels run two f64 lanes; on a machine with AVX2 (four lanes) or
//! AVX-512 (eight), a kernel whose body is f64 arithmetic (with comparisons and selects)
//! with a transcendental or a random draw — where the time goes to computing, not to
//! memory — runs as a [`Program`] instead: the body evaluated
//! one instruction at a time over blocks of [`BLOCK`] elements held in per-thread scratch
//! (small enough for L1), each instruction one loop of full-width vectors, each
//! transcendental `fuse::math`'s decomposition inlined over those vectors. A cheap f64 body
//! with a square root or a division, ending in a reduction, or storing long rows is
//! assembled into machine code instead ([`native`]), every value in a register.
//!
//! The same decompositions in the same order of IEEE operations (never a fused
//! multiply-add) give the same bits on every lane width, so the interpreter, the two-lane
//! code and these programs agree to the bit; a sum keeps the fixed tree's four lanes.
//!
//! The width is decided here, once per process: the widest the CPU has, or lower when the
//! environment variable `ARR_SIMD` (`sse2`, `avx2`, `avx512`) asks for it (`sse2`: the
//! two-lane Cranelift code only).

use crate::dtype::DType;
use crate::fuse::{Combine, Inst, Kernel, Output, Source, math};
use crate::graph::{BinaryOp, Distribution, UnaryOp};
use std::sync::OnceLock;

#[cfg(target_arch = "x86_64")]
mod eval;
#[cfg(target_arch = "x86_64")]
mod lanes;
#[cfg(target_arch = "x86_64")]
mod native;

/// Elements per block: a block's live values and inputs stay in the L1 cache.
const BLOCK: usize = 256;
/// Rows shorter than this run Cranelift's code (a program's start costs about as much).
const MIN_LEN: usize = 32;

/// The vector width kernels run at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Width {
    /// Two f64 lanes: Cranelift's code only.
    Sse2,
    /// Four f64 lanes.
    Avx2,
    /// Eight f64 lanes.
    Avx512,
}

impl Width {
    /// The name `ARR_SIMD` takes.
    pub fn name(self) -> &'static str {
        match self {
            Width::Sse2 => "sse2",
            Width::Avx2 => "avx2",
            Width::Avx512 => "avx512",
        }
    }

    /// f64 lanes per vector.
    pub fn lanes(self) -> usize {
        match self {
            Width::Sse2 => 2,
            Width::Avx2 => 4,
            Width::Avx512 => 8,
        }
    }

    fn parse(s: &str) -> Option<Width> {
        let s = s.trim().to_ascii_lowercase();
        [Width::Sse2, Width::Avx2, Width::Avx512]
            .into_iter()
            .find(|w| w.name() == s)
    }
}

/// The widest vectors this CPU has.
fn detected() -> Width {
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512dq") {
            return Width::Avx512;
        }
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            return Width::Avx2;
        }
    }
    Width::Sse2
}

/// The width kernels run at in this process: the CPU's widest, lowered by `ARR_SIMD` (a
/// width the CPU lacks, or a name not listed, leaves the CPU's).
pub fn width() -> Width {
    static WIDTH: OnceLock<Width> = OnceLock::new();
    *WIDTH.get_or_init(|| {
        let best = detected();
        match std::env::var("ARR_SIMD")
            .ok()
            .as_deref()
            .and_then(Width::parse)
        {
            Some(asked) => asked.min(best),
            None => best,
        }
    })
}

/// Every width up to the process's, narrowest first (tests run each).
pub fn widths() -> Vec<Width> {
    [Width::Sse2, Width::Avx2, Width::Avx512]
        .into_iter()
        .filter(|&w| w <= width())
        .collect()
}

/// Where an instruction's operand lives in a block.
#[derive(Debug, Clone, Copy)]
enum Src {
    /// The kernel's input `k`, read in place (or from its padded copy in a short block).
    Input(usize),
    /// Scratch slot `s` (a computed value or a constant).
    Slot(usize),
}

/// One instruction of a program: an operation over a block, into a slot. Bools are held as
/// f64 `1.0` or `0.0` (a comparison's result), so a cast of one to f64 is its alias.
#[derive(Debug, Clone, Copy)]
enum Step {
    Unary(UnaryOp, Src, usize),
    Binary(BinaryOp, Src, Src, usize),
    /// A comparison of f64 values, `1.0` where it holds.
    Compare(BinaryOp, Src, Src, usize),
    /// `c ? a : b` for a bool `c`.
    Select(Src, Src, Src, usize),
}

/// What a program does with the final value.
#[derive(Debug, Clone, Copy, PartialEq)]
enum End {
    /// Stores f64 values.
    Store,
    /// Stores bools (one byte each).
    StoreBools,
    Reduce(Combine),
    /// Counts the true bools (into four i64 lanes).
    Count,
    /// Any or all of the bools (into four bool lanes).
    Logical(Combine),
}

/// A kernel body as block instructions over scratch slots (slots are reused once a value is
/// dead), run on its contiguous rows at the process's [`width`].
#[derive(Debug)]
pub(super) struct Program {
    width: Width,
    steps: Vec<Step>,
    /// Constant slots and their values, filled once per call.
    consts: Vec<(usize, f64)>,
    /// Slots in all (constants included).
    slots: usize,
    /// Per row input (the kernel's inputs, then its random draws' scratch rows): whether
    /// the program reads it (a counter feeding only draws is not read).
    read: Vec<bool>,
    /// Per row input: whether a block asks for the next block's cache lines of it ahead
    /// (a contiguous buffer read first by a cheap step, whose loop of loads has no
    /// computing to hide memory's latency behind while the long steps between blocks have
    /// left the hardware prefetcher behind: W3, `exp(-a*a)*sin(3*b) + log1p(abs(c))`,
    /// 34 -> 31 ms; a transcendental reading its input directly hides it itself, and
    /// prefetching there costs instructions: `hypot` 5% slower).
    prefetch: Vec<bool>,
    result: Src,
    end: End,
}

/// The operands a value reads.
fn operands(inst: &Inst) -> Vec<usize> {
    match *inst {
        Inst::Unary(_, a) | Inst::Cast(a) => vec![a],
        Inst::Binary(_, a, b) => vec![a, b],
        Inst::Select(c, a, b) => vec![c, a, b],
        _ => Vec::new(),
    }
}

/// How a kernel's contiguous rows run at full width: a block [`Program`] for a body with a
/// transcendental, a random draw or bools, or machine code ([`native`]) for a cheap f64
/// body with a square root or a division, ending in a reduction, or storing long rows.
#[derive(Debug)]
pub(super) enum Wide {
    Blocks(Program),
    #[cfg(target_arch = "x86_64")]
    Native(native::Native),
}

impl Wide {
    /// The full-width code of a kernel run by rows (not `columns`), at `width` when that
    /// is wider than two lanes; `None` leaves every row to Cranelift's code.
    pub(super) fn new(kernel: &Kernel, columns: bool, width: Width) -> Option<Wide> {
        if columns || width == Width::Sse2 {
            return None;
        }
        if worth_it(kernel) {
            return Program::new(kernel, width).map(Wide::Blocks);
        }
        #[cfg(target_arch = "x86_64")]
        {
            native::Native::new(kernel, width).map(Wide::Native)
        }
        #[cfg(not(target_arch = "x86_64"))]
        None
    }

    /// What `arr explain --emit clif` shows beside Cranelift's code: the machine code and
    /// when it runs (a block program has none of its own).
    pub(super) fn listing(&self) -> Option<String> {
        match self {
            Wide::Blocks(_) => None,
            #[cfg(target_arch = "x86_64")]
            Wide::Native(n) => Some(format!(
                "; rows of {} elements and more, {} lanes at a time:\n{}",
                n.min_len,
                n.lanes,
                n.listing()
            )),
        }
    }

    /// The shortest row [`Wide::run`] takes.
    pub(super) fn min_len(&self) -> usize {
        match self {
            Wide::Blocks(_) => MIN_LEN,
            #[cfg(target_arch = "x86_64")]
            Wide::Native(n) => n.min_len,
        }
    }

    /// Runs one row (see [`Program::run`]); false, having done nothing, leaves it to
    /// Cranelift's code.
    pub(super) fn run(&self, bases: &[i64], steps: &[i64], len: usize, out: usize) -> bool {
        match self {
            Wide::Blocks(p) => p.run(bases, steps, len, out),
            #[cfg(target_arch = "x86_64")]
            Wide::Native(n) => n.run(bases, steps, len, out),
        }
    }
}

/// The work a program is worth starting for: a transcendental, or a random draw (its
/// scratch row is read like a buffer, and the rest is cheap beside it at two lanes); or a
/// body Cranelift's code runs one element at a time (bools feeding a reduction or a
/// select, see `simd::vectorisable`).
fn worth_it(kernel: &Kernel) -> bool {
    (kernel.body.iter())
        .any(|v| super::simd::math_call(&v.inst) || matches!(v.inst, Inst::Random { .. }))
        || !super::simd::vectorisable(kernel)
}

impl Program {
    /// The program of a kernel run by rows, at `width` (AVX2 or AVX-512), when the kernel
    /// is f64 arithmetic (with comparisons, selects and random f64 draws)
    /// worth it ([`worth_it`]), ending in a store of f64 or bool values, a sum or product,
    /// or a count, `any` or `all` of bools.
    fn new(kernel: &Kernel, width: Width) -> Option<Program> {
        let stored = kernel.result_dtype();
        let end = match kernel.output {
            Output::Store(_) if stored == DType::F64 => End::Store,
            Output::Store(_) if stored == DType::Bool => End::StoreBools,
            Output::Reduce { combine, .. } if stored == DType::F64 => match combine {
                Combine::Sum | Combine::Prod => End::Reduce(combine),
                _ => return None,
            },
            // Of bools only (checked below, once aliases are known).
            Output::Reduce {
                combine: Combine::Sum,
                ..
            } if stored == DType::I64 => End::Count,
            Output::Reduce {
                combine: combine @ (Combine::Any | Combine::All),
                ..
            } if stored == DType::Bool => End::Logical(combine),
            _ => return None,
        };
        // A cast of a bool to f64, `real` and `conj` of an f64 are their operand's alias.
        let n = kernel.body.len();
        let mut rep: Vec<usize> = Vec::with_capacity(n);
        for (i, v) in kernel.body.iter().enumerate() {
            rep.push(match v.inst {
                Inst::Unary(UnaryOp::Real | UnaryOp::Conj, a) => rep[a],
                Inst::Cast(a) if kernel.body[a].dtype == DType::Bool && v.dtype == DType::F64 => {
                    rep[a]
                }
                // Counted: a bool as an i64 (only as the reduced value, see below).
                Inst::Cast(a)
                    if end == End::Count
                        && kernel.body[a].dtype == DType::Bool
                        && v.dtype == DType::I64 =>
                {
                    rep[a]
                }
                _ => i,
            });
        }
        let reduced = rep[kernel.output.value()];
        if matches!(end, End::Count | End::Logical(_)) && kernel.body[reduced].dtype != DType::Bool
        {
            return None;
        }
        // The last use of each value (the result lives to the end).
        let mut last = vec![0; n];
        for (i, v) in kernel.body.iter().enumerate() {
            operands(&v.inst).into_iter().for_each(|a| last[rep[a]] = i);
        }
        last[rep[kernel.output.value()]] = n;
        let draws = kernel.inputs.len();
        let mut program = Program {
            width,
            steps: Vec::new(),
            consts: Vec::new(),
            slots: 0,
            read: vec![false; draws],
            prefetch: vec![false; draws],
            result: Src::Slot(0),
            end,
        };
        let mut free: Vec<usize> = Vec::new();
        // Each value's place; `None` for a counter, which only draws may use.
        let mut src: Vec<Option<Src>> = Vec::with_capacity(n);
        for (i, v) in kernel.body.iter().enumerate() {
            // Operands dying here free their slots first (constants keep theirs): an
            // instruction may write over its own operand, each lane read before written.
            for a in operands(&v.inst).into_iter().map(|a| rep[a]) {
                if last[a] == i
                    && let Some(Src::Slot(s)) = src[a]
                    && !matches!(kernel.body[a].inst, Inst::Const(_))
                    && !free.contains(&s)
                {
                    free.push(s);
                }
            }
            let mut slot = |p: &mut Program| {
                free.pop().unwrap_or_else(|| {
                    p.slots += 1;
                    p.slots - 1
                })
            };
            let f64s = |ids: &[usize]| ids.iter().all(|&a| kernel.body[a].dtype == DType::F64);
            let at = |a: usize| src[a];
            let s = match &v.inst {
                Inst::Load(k) => match kernel.inputs[*k].source {
                    Source::Buffer(_) if v.dtype == DType::F64 => {
                        program.read[*k] = true;
                        Some(Src::Input(*k))
                    }
                    Source::Counter => None,
                    Source::Buffer(_) => return None,
                },
                // A draw numbered at run time (a replayed loop's) is resolved to a fixed
                // number before its rows run, and filled into a scratch row like any other.
                Inst::Random {
                    dist: Distribution::Uniform | Distribution::Normal,
                    ..
                } if v.dtype == DType::F64 => {
                    program.read.push(true);
                    Some(Src::Input(program.read.len() - 1))
                }
                Inst::Const(c) if v.dtype == DType::F64 => {
                    // A slot of its own, never shared: it is filled once per call.
                    let s = program.slots;
                    program.slots += 1;
                    program.consts.push((s, c.as_f64()));
                    Some(Src::Slot(s))
                }
                Inst::Unary(UnaryOp::Real | UnaryOp::Conj, a) | Inst::Cast(a) if rep[i] != i => {
                    at(*a)
                }
                Inst::Unary(op, a) if supported_unary(*op) && f64s(&[i, *a]) => {
                    let d = slot(&mut program);
                    program.steps.push(Step::Unary(*op, at(*a)?, d));
                    Some(Src::Slot(d))
                }
                Inst::Binary(op, a, b) if supported_binary(*op) && f64s(&[i, *a, *b]) => {
                    let d = slot(&mut program);
                    program.steps.push(Step::Binary(*op, at(*a)?, at(*b)?, d));
                    Some(Src::Slot(d))
                }
                Inst::Binary(op, a, b)
                    if super::codegen::conditions(*op).is_some()
                        && v.dtype == DType::Bool
                        && f64s(&[*a, *b]) =>
                {
                    let d = slot(&mut program);
                    program.steps.push(Step::Compare(*op, at(*a)?, at(*b)?, d));
                    Some(Src::Slot(d))
                }
                Inst::Select(c, a, b)
                    if kernel.body[*c].dtype == DType::Bool && f64s(&[i, *a, *b]) =>
                {
                    let d = slot(&mut program);
                    program
                        .steps
                        .push(Step::Select(at(*c)?, at(*a)?, at(*b)?, d));
                    Some(Src::Slot(d))
                }
                _ => return None,
            };
            src.push(s);
        }
        program.result = src[kernel.output.value()]?;
        program.prefetch.resize(program.read.len(), false);
        let mut seen = vec![false; program.read.len()];
        for step in &program.steps {
            let (cheap, operands) = match *step {
                Step::Unary(op, a, _) => (!math::decomposed(op), [Some(a), None, None]),
                Step::Binary(op, a, b, _) => {
                    (!math::decomposed_binary(op), [Some(a), Some(b), None])
                }
                Step::Compare(_, a, b, _) => (true, [Some(a), Some(b), None]),
                Step::Select(c, a, b, _) => (true, [Some(c), Some(a), Some(b)]),
            };
            for k in operands.into_iter().flatten().filter_map(|s| match s {
                Src::Input(k) => Some(k),
                Src::Slot(_) => None,
            }) {
                if !std::mem::replace(&mut seen[k], true) {
                    program.prefetch[k] = cheap && k < draws;
                }
            }
        }
        Some(program)
    }

    /// Runs one row of the kernel (`bases`/`steps` per input, then the output's step for a
    /// store) at `out` (the row's first output element, or the four lanes of a reduction).
    /// Inputs may step any number of elements (one part of a complex buffer steps two):
    /// a strided input is gathered into scratch block by block. Returns false, having done
    /// nothing, when the output is not one contiguous run or the row is too short;
    /// Cranelift's code runs it then.
    pub(super) fn run(&self, bases: &[i64], steps: &[i64], len: usize, out: usize) -> bool {
        let output_step = match self.end {
            End::Reduce(_) => None,
            _ => steps.get(bases.len()),
        };
        if len < MIN_LEN || output_step.is_some_and(|&s| s != 1) || bases.len() != self.read.len() {
            return false;
        }
        #[cfg(target_arch = "x86_64")]
        {
            eval::run(self, bases, steps, len, out);
            true
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = (out, steps);
            false
        }
    }
}

fn supported_unary(op: UnaryOp) -> bool {
    use UnaryOp::*;
    matches!(op, Neg | Abs | Sqrt | Floor | Ceil | Trunc | Round) || math::decomposed(op)
}

fn supported_binary(op: BinaryOp) -> bool {
    use BinaryOp::*;
    matches!(op, Add | Sub | Mul | Div) || math::decomposed_binary(op)
}
