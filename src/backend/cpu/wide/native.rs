//! Machine code for cheap f64 bodies at full width, every value in a vector register.
//!
//! A body of IEEE arithmetic with a square root or a division (`sqrt(a*a + b*b)*0.5 +
//! c/(1 + abs(a))`) is bound by those two instructions' throughput, which doubles with each
//! doubling of the vector: Cranelift's two lanes run W2 at about six cycles an element,
//! twice its memory's time. A block [`super::Program`] has the width but makes an L1
//! round trip per instruction, too dear beside ops this cheap. So such a body is assembled
//! here (with iced-x86) into one loop over AVX2 or AVX-512 vectors: each input loaded
//! once, constants broadcast into registers before the loop, values allocated to the 16
//! (AVX2) or 32 (AVX-512) vector registers in order and freed at their last use, the
//! result stored, summed (multiplied) into the fixed tree's four lanes, or folded into
//! four lanes of a `min` or `max`. A body needing
//! more registers, or an op not listed in [`Native::new`], keeps the other paths.
//!
//! Every op here is correctly rounded or exact (add, sub, mul, div, sqrt, neg, abs,
//! floor, ceil, trunc, round-half-even) and none is fused, so the bits are those of every
//! other path at every width; the reduction adds element `i` of a row into lane `i % 4`
//! in order, as [`super::eval`]'s `fold` does. A `min` or `max` is one value in any order
//! (NaN if any element is one, −0 below +0): `vminpd`/`vmaxpd` leave NaNs and a pair of
//! zeros to their second operand, so the loop also keeps which lanes saw a NaN or the
//! winning zero, and the lanes are settled after it.

#![allow(unsafe_code)]

use super::super::reduce::Acc;
use super::{MIN_LEN, Width};
use crate::dtype::DType;
use crate::fuse::{Combine, Inst, Kernel, Output, Source};
use crate::graph::{BinaryOp, UnaryOp};

mod asm;

use asm::{Asm, Code, POINTERS};

/// The shortest row a store of cheap ops (no square root or division) runs here.
const CHEAP_MIN_LEN: usize = 512;

/// What the loop does with the body's value.
#[derive(Debug, Clone, Copy, PartialEq)]
enum End {
    Store,
    Reduce(Combine),
}

/// One body op, over register numbers.
#[derive(Debug, Clone, Copy)]
enum Op {
    /// Input `k` of the address table.
    Load(usize),
    /// Constant `j`, broadcast into a register of its own before the loop.
    Const(usize),
    Unary(UnaryOp, usize),
    Binary(BinaryOp, usize, usize),
}

/// A kernel's rows as machine code (see the module doc).
#[derive(Debug)]
pub(in crate::backend::cpu) struct Native {
    /// The shortest row it runs.
    pub(super) min_len: usize,
    /// f64 lanes a vector holds.
    pub(super) lanes: usize,
    /// The row loop, ending as the kernel does.
    main: Code,
    /// The same body storing its values (a reduction's last part vector is computed by
    /// it and folded here); `None` for a store kernel, whose `main` it would be.
    values: Option<Code>,
    /// The kernel inputs read, in the order of the address table.
    inputs: Vec<usize>,
    consts: Vec<f64>,
    end: End,
}

impl Native {
    /// The code of a kernel run by rows whose body is f64 loads, constants, `+ - * /`,
    /// `sqrt`, `-x`, `abs`, `floor`, `ceil`, `trunc` and `round`, stored or reduced (sum,
    /// product, `min`, `max`), at AVX2 or AVX-512 `width`; `None` for any other kernel.
    pub(super) fn new(kernel: &Kernel, width: Width) -> Option<Native> {
        let end = match kernel.output {
            Output::Store(_) => End::Store,
            Output::Reduce {
                combine: c @ (Combine::Sum | Combine::Prod | Combine::Min | Combine::Max),
                ..
            } => End::Reduce(c),
            _ => return None,
        };
        if kernel.result_dtype() != DType::F64 || kernel.body.iter().any(|v| v.dtype != DType::F64)
        {
            return None;
        }
        let dear = (kernel.body.iter()).any(|v| {
            matches!(
                v.inst,
                Inst::Unary(UnaryOp::Sqrt, _) | Inst::Binary(BinaryOp::Div, _, _)
            )
        });
        // A store of cheap ops gains only on long rows (a 1024² heat step 25% faster,
        // jacobi-2d at 2048² 8%), where wider loads and fewer instructions beat
        // Cranelift's code; on short ones the call and the part vector cost more (a
        // roll's rows in pieces of 511 and 1: game of life 8% slower from 256 up).
        let min_len = if !dear && end == End::Store {
            CHEAP_MIN_LEN
        } else {
            MIN_LEN
        };
        let mut inputs = Vec::new();
        let mut consts = Vec::new();
        let mut ops = Vec::with_capacity(kernel.body.len());
        for v in &kernel.body {
            ops.push(match v.inst {
                Inst::Load(k) if matches!(kernel.inputs[k].source, Source::Buffer(_)) => {
                    inputs.push(k);
                    Op::Load(inputs.len() - 1)
                }
                Inst::Const(c) => {
                    consts.push(c.as_f64());
                    Op::Const(consts.len() - 1)
                }
                Inst::Unary(op, a) if unary(op) => Op::Unary(op, a),
                Inst::Binary(op, a, b) if binary(op) => Op::Binary(op, a, b),
                _ => return None,
            });
        }
        if inputs.len() > POINTERS.len() {
            return None;
        }
        // The masks of `-x` and `abs`, as two more constants.
        let sign = consts.len();
        consts.extend([f64::from_bits(1 << 63), f64::from_bits(!(1 << 63))]);
        let result = kernel.output.value();
        let main = assemble(&ops, result, sign, end, width)?;
        let values = match end {
            End::Store => None,
            End::Reduce(_) => Some(assemble(&ops, result, sign, End::Store, width)?),
        };
        Some(Native {
            min_len,
            lanes: width.lanes(),
            main,
            values,
            inputs,
            consts,
            end,
        })
    }

    /// Runs a row as [`super::Program::run`] does; false, having done nothing, when an
    /// input read or a stored output does not step one element, or the row is short.
    pub(super) fn run(&self, bases: &[i64], steps: &[i64], len: usize, out: usize) -> bool {
        let contiguous = self.inputs.iter().all(|&k| steps.get(k) == Some(&1))
            && (self.end != End::Store || steps.get(bases.len()) == Some(&1));
        if len < self.min_len || !contiguous {
            return false;
        }
        let w = self.lanes;
        let vectors = len / w;
        let rest = len % w;
        let mut table: smallvec::SmallVec<[*const f64; POINTERS.len()]> = self
            .inputs
            .iter()
            .map(|&k| bases[k] as *const f64)
            .collect();
        // A `min` or `max` runs into its lanes, then the lanes that saw a NaN and the
        // winning zero (see `Asm::finish`).
        let mut extremes = [0.0f64; 12];
        let target = match self.end {
            End::Reduce(c) if extreme(c) => {
                // SAFETY: a reduction's `out` is its four lanes.
                extremes[..4].copy_from_slice(unsafe { &*(out as *const [f64; 4]) });
                extremes.as_mut_ptr()
            }
            _ => out as *mut f64,
        };
        // SAFETY: the code was assembled for a width the CPU has (`width()`); the caller's
        // bases address `len` elements of every input read and of a stored output, or
        // four lanes of a reduction (here twelve), and `vectors · w ≤ len`.
        unsafe { (self.main.entry)(table.as_ptr(), target, vectors, self.consts.as_ptr()) };
        if let End::Reduce(c) = self.end
            && extreme(c)
        {
            // SAFETY: as above.
            let lanes = unsafe { &mut *(out as *mut [f64; 4]) };
            for (l, lane) in lanes.iter_mut().enumerate() {
                let (v, nan, zero) = (extremes[l], extremes[4 + l], extremes[8 + l]);
                *lane = match () {
                    _ if nan.to_bits() != 0 => f64::NAN,
                    _ if v == 0.0 && zero.to_bits() != 0 => match c {
                        Combine::Min => -0.0,
                        _ => 0.0,
                    },
                    _ => v,
                };
            }
        }
        if rest == 0 {
            return true;
        }
        // The last part vector: its inputs copied into zero-padded vectors, its values
        // computed into one and kept up to `rest`.
        let mut padded = [[0.0f64; 8]; POINTERS.len()];
        for (p, t) in padded.iter_mut().zip(table.iter_mut()) {
            // SAFETY: as above, elements `vectors · w .. len` of each input are readable.
            unsafe { std::ptr::copy_nonoverlapping(t.add(vectors * w), p.as_mut_ptr(), rest) };
            *t = p.as_ptr();
        }
        let mut values = [0.0f64; 8];
        let code = self.values.as_ref().unwrap_or(&self.main);
        // SAFETY: one vector of every padded input and of `values`.
        unsafe { (code.entry)(table.as_ptr(), values.as_mut_ptr(), 1, self.consts.as_ptr()) };
        match self.end {
            // SAFETY: the row's output holds `len` elements.
            End::Store => unsafe {
                std::ptr::copy_nonoverlapping(
                    values.as_ptr(),
                    (out as *mut f64).add(vectors * w),
                    rest,
                )
            },
            End::Reduce(c) => {
                // SAFETY: a reduction's `out` is its four lanes. Element `vectors · w + j`
                // goes to lane `j % 4` (`w` is a multiple of four).
                let acc = unsafe { &mut *(out as *mut [f64; 4]) };
                for (j, &v) in values[..rest].iter().enumerate() {
                    acc[j % 4] = <f64 as Acc>::combine(c, acc[j % 4], v);
                }
            }
        }
        true
    }

    /// The row loop in Intel syntax, an instruction a line, for `arr explain --emit clif`.
    pub(super) fn listing(&self) -> String {
        use iced_x86::{Decoder, DecoderOptions, Formatter, IntelFormatter};
        // SAFETY: the mapping holds `len` bytes of code and stays readable.
        let bytes = unsafe { std::slice::from_raw_parts(self.main.at as *const u8, self.main.len) };
        let mut formatter = IntelFormatter::new();
        let mut text = String::new();
        for instruction in Decoder::with_ip(64, bytes, 0, DecoderOptions::NONE) {
            let mut line = String::new();
            formatter.format(&instruction, &mut line);
            text.push_str(&format!("  {:04x}  {line}\n", instruction.ip()));
        }
        text
    }
}

/// Whether a reduction is a `min` or `max` (which keeps lanes of NaNs and zeros aside).
fn extreme(c: Combine) -> bool {
    matches!(c, Combine::Min | Combine::Max)
}

fn unary(op: UnaryOp) -> bool {
    use UnaryOp::*;
    matches!(op, Neg | Abs | Sqrt | Floor | Ceil | Trunc | Round)
}

fn binary(op: BinaryOp) -> bool {
    use BinaryOp::*;
    matches!(op, Add | Sub | Mul | Div)
}

/// Assembles the row loop of `ops` (the kernel body's, operands by body index), its value
/// `result` ending as `end`; the masks of `-x` and `abs` are constants `sign` and
/// `sign + 1`. `None` when the body needs more registers than the width has.
fn assemble(ops: &[Op], result: usize, sign: usize, end: End, width: Width) -> Option<Code> {
    let mut last = vec![0; ops.len()];
    for (i, op) in ops.iter().enumerate() {
        match *op {
            Op::Unary(_, a) => last[a] = i,
            Op::Binary(_, a, b) => (last[a], last[b]) = (i, i),
            Op::Load(_) | Op::Const(_) => {}
        }
    }
    last[result] = ops.len();
    let count = if width == Width::Avx512 { 32 } else { 16 };
    let reserved = asm::reserved(width, end);
    let mut free: Vec<usize> = (0..count).rev().filter(|r| !reserved.contains(r)).collect();
    let mut asm = Asm::new(width).ok()?;
    // Constants (the masks only when used) get registers for the whole loop.
    let used = |op: UnaryOp| ops.iter().any(|o| matches!(o, Op::Unary(u, _) if *u == op));
    let mut reg: Vec<usize> = vec![usize::MAX; ops.len()];
    // Which constant each broadcast register holds.
    let mut broadcasts = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        if let Op::Const(j) = *op {
            reg[i] = free.pop()?;
            broadcasts.push((j, reg[i]));
        }
    }
    let mut mask = |op: UnaryOp, j: usize| match used(op) {
        true => free.pop().inspect(|&r| broadcasts.push((j, r))).map(Some),
        false => Some(None),
    };
    let (neg, abs) = (mask(UnaryOp::Neg, sign)?, mask(UnaryOp::Abs, sign + 1)?);
    let inputs = ops.iter().filter(|o| matches!(o, Op::Load(_))).count();
    asm.prologue(&broadcasts, sign, inputs, end).ok()?;
    let mut top = asm.a.create_label();
    asm.a.set_label(&mut top).ok()?;
    for (i, op) in ops.iter().enumerate() {
        // Operands dying here free their registers first (a constant keeps its own).
        let operands = match *op {
            Op::Unary(_, a) => vec![a],
            Op::Binary(_, a, b) => vec![a, b],
            _ => vec![],
        };
        for &a in &operands {
            if last[a] == i && !matches!(ops[a], Op::Const(_)) && !free.contains(&reg[a]) {
                free.push(reg[a]);
            }
        }
        if matches!(op, Op::Const(_)) {
            continue;
        }
        let d = free.pop()?;
        reg[i] = d;
        let r = |a: usize| reg[a];
        match *op {
            Op::Load(k) => asm.load(d, POINTERS[k]),
            Op::Unary(UnaryOp::Neg, a) => asm.xor(d, r(a), neg?),
            Op::Unary(UnaryOp::Abs, a) => asm.and(d, r(a), abs?),
            Op::Unary(UnaryOp::Sqrt, a) => asm.sqrt(d, r(a)),
            Op::Unary(op, a) => asm.round(d, r(a), op),
            Op::Binary(op, a, b) => asm.binary(op, d, r(a), r(b)),
            Op::Const(_) => unreachable!("constants are pinned"),
        }
        .ok()?;
        // A value never read (dead code the planner left) frees its register at once.
        if last[i] <= i {
            free.push(d);
        }
    }
    asm.finish(reg[result], end, &mut top).ok()?;
    Code::new(&asm.a.assemble(0).ok()?)
}
