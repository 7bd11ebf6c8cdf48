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
//! result stored, or summed (multiplied) into the fixed tree's four lanes. A body needing
//! more registers, or an op not listed in [`Native::new`], keeps the other paths.
//!
//! Every op here is correctly rounded or exact (add, sub, mul, div, sqrt, neg, abs,
//! floor, ceil, trunc, round-half-even) and none is fused, so the bits are those of every
//! other path at every width; the reduction adds element `i` of a row into lane `i % 4`
//! in order, as [`super::eval`]'s `fold` does.

#![allow(unsafe_code)]

use super::{MIN_LEN, Width};
use crate::dtype::DType;
use crate::fuse::{Combine, Inst, Kernel, Output, Source};
use crate::graph::{BinaryOp, UnaryOp};
use iced_x86::code_asm::*;

/// The entry: `inputs` (one pointer per input read), `out` (the row's output, or the four
/// lanes of a reduction), `vectors ≥ 1` whole vectors, `consts` (one f64 per constant).
type Entry = unsafe extern "sysv64" fn(*const *const f64, *mut f64, usize, *const f64);

/// The shortest row a store of cheap ops (no square root or division) runs here.
const CHEAP_MIN_LEN: usize = 512;

/// Registers holding the inputs' addresses: the System V ABI's caller-saved ones not
/// taken by the arguments, then callee-saved ones (pushed and popped around the loop).
const POINTERS: [AsmRegister64; 11] = [r8, r9, r10, r11, rax, rbx, rbp, r12, r13, r14, r15];
/// The callee-saved registers of [`POINTERS`].
const SAVED: [AsmRegister64; 6] = [rbx, rbp, r12, r13, r14, r15];

const YMM: [AsmRegisterYmm; 16] = [
    ymm0, ymm1, ymm2, ymm3, ymm4, ymm5, ymm6, ymm7, ymm8, ymm9, ymm10, ymm11, ymm12, ymm13, ymm14,
    ymm15,
];
const ZMM: [AsmRegisterZmm; 32] = [
    zmm0, zmm1, zmm2, zmm3, zmm4, zmm5, zmm6, zmm7, zmm8, zmm9, zmm10, zmm11, zmm12, zmm13, zmm14,
    zmm15, zmm16, zmm17, zmm18, zmm19, zmm20, zmm21, zmm22, zmm23, zmm24, zmm25, zmm26, zmm27,
    zmm28, zmm29, zmm30, zmm31,
];
/// The reduction's four lanes and two halves of a 512-bit result (AVX-512), or its lanes
/// alone (AVX2): the highest registers, left out of allocation.
const ACC: usize = 15;
const HIGH: usize = 14;
const LOW: usize = 13;

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
    /// `sqrt`, `-x`, `abs`, `floor`, `ceil`, `trunc` and `round`, with a square root or a
    /// division in it or ending in a sum or product, at AVX2 or AVX-512 `width`; `None` for
    /// any other kernel.
    pub(super) fn new(kernel: &Kernel, width: Width) -> Option<Native> {
        let end = match kernel.output {
            Output::Store(_) => End::Store,
            Output::Reduce {
                combine: c @ (Combine::Sum | Combine::Prod),
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
        // SAFETY: the code was assembled for a width the CPU has (`width()`); the caller's
        // bases address `len` elements of every input read and of a stored output, or
        // four lanes of a reduction, and `vectors · w ≤ len`.
        unsafe {
            (self.main.entry)(
                table.as_ptr(),
                out as *mut f64,
                vectors,
                self.consts.as_ptr(),
            )
        };
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
                for (j, v) in values[..rest].iter().enumerate() {
                    match c {
                        Combine::Prod => acc[j % 4] *= v,
                        _ => acc[j % 4] += v,
                    }
                }
            }
        }
        true
    }
}

impl Native {
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
    let reserved: &[usize] = match (width, end) {
        (_, End::Store) => &[],
        (Width::Avx512, End::Reduce(_)) => &[ACC, HIGH, LOW],
        (_, End::Reduce(_)) => &[ACC],
    };
    let mut free: Vec<usize> = (0..count).rev().filter(|r| !reserved.contains(r)).collect();
    let mut asm = Asm::new(width).ok()?;
    // Constants (the masks only when used) get registers for the whole loop.
    let used = |op: UnaryOp| ops.iter().any(|o| matches!(o, Op::Unary(u, _) if *u == op));
    let mut pinned = Vec::new();
    for (j, _) in ops
        .iter()
        .enumerate()
        .filter(|(_, o)| matches!(o, Op::Const(_)))
    {
        pinned.push((j, free.pop()?));
    }
    let mut mask = |op: UnaryOp| match used(op) {
        true => free.pop().map(Some),
        false => Some(None),
    };
    let (neg, abs) = (mask(UnaryOp::Neg)?, mask(UnaryOp::Abs)?);
    asm.prologue(ops, &pinned, [(sign, neg), (sign + 1, abs)], end)
        .ok()?;
    let mut top = asm.a.create_label();
    asm.a.set_label(&mut top).ok()?;
    let mut reg: Vec<usize> = vec![usize::MAX; ops.len()];
    pinned.iter().for_each(|&(j, r)| reg[j] = r);
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

/// The code assembler at one width.
struct Asm {
    a: CodeAssembler,
    width: Width,
    /// Inputs read (their addresses held in [`POINTERS`]).
    inputs: usize,
}

impl Asm {
    fn new(width: Width) -> Result<Asm, IcedError> {
        Ok(Asm {
            a: CodeAssembler::new(64)?,
            width,
            inputs: 0,
        })
    }

    /// The callee-saved registers holding addresses, which the code saves and restores.
    fn saved(&self) -> &'static [AsmRegister64] {
        let caller_saved = POINTERS.len() - SAVED.len();
        &SAVED[..self.inputs.saturating_sub(caller_saved)]
    }

    /// Bytes a vector takes.
    fn bytes(&self) -> i32 {
        self.width.lanes() as i32 * 8
    }

    /// Broadcasts the constants into their registers, loads the inputs' addresses, turns
    /// `rdx` into the row's end in bytes and `rcx` into its start, and loads the lanes of a
    /// reduction.
    fn prologue(
        &mut self,
        ops: &[Op],
        pinned: &[(usize, usize)],
        masks: [(usize, Option<usize>); 2],
        end: End,
    ) -> Result<(), IcedError> {
        let consts = pinned.iter().map(|&(i, r)| match ops[i] {
            Op::Const(j) => (j, r),
            _ => unreachable!("only constants are pinned"),
        });
        let masks = masks.into_iter().filter_map(|(j, r)| r.map(|r| (j, r)));
        for (j, r) in consts.chain(masks) {
            let at = qword_ptr(rcx + 8 * j as i32);
            match self.width {
                Width::Avx512 => self.a.vbroadcastsd(ZMM[r], at)?,
                _ => self.a.vbroadcastsd(YMM[r], at)?,
            }
        }
        self.inputs = ops.iter().filter(|o| matches!(o, Op::Load(_))).count();
        for &p in self.saved() {
            self.a.push(p)?;
        }
        for (k, &p) in POINTERS[..self.inputs].iter().enumerate() {
            self.a.mov(p, qword_ptr(rdi + 8 * k as i32))?;
        }
        self.a.shl(rdx, self.bytes().trailing_zeros())?;
        self.a.xor(ecx, ecx)?;
        if let End::Reduce(_) = end {
            self.a.vmovupd(YMM[ACC], ymmword_ptr(rsi))?;
        }
        Ok(())
    }

    fn load(&mut self, d: usize, p: AsmRegister64) -> Result<(), IcedError> {
        match self.width {
            Width::Avx512 => self.a.vmovupd(ZMM[d], zmmword_ptr(p + rcx)),
            _ => self.a.vmovupd(YMM[d], ymmword_ptr(p + rcx)),
        }
    }

    fn binary(&mut self, op: BinaryOp, d: usize, x: usize, y: usize) -> Result<(), IcedError> {
        macro_rules! each {
            ($regs:ident) => {{
                let (d, x, y) = ($regs[d], $regs[x], $regs[y]);
                match op {
                    BinaryOp::Add => self.a.vaddpd(d, x, y),
                    BinaryOp::Sub => self.a.vsubpd(d, x, y),
                    BinaryOp::Mul => self.a.vmulpd(d, x, y),
                    BinaryOp::Div => self.a.vdivpd(d, x, y),
                    _ => unreachable!("ops are checked by `binary`"),
                }
            }};
        }
        match self.width {
            Width::Avx512 => each!(ZMM),
            _ => each!(YMM),
        }
    }

    fn xor(&mut self, d: usize, x: usize, mask: usize) -> Result<(), IcedError> {
        match self.width {
            Width::Avx512 => self.a.vxorpd(ZMM[d], ZMM[x], ZMM[mask]),
            _ => self.a.vxorpd(YMM[d], YMM[x], YMM[mask]),
        }
    }

    fn and(&mut self, d: usize, x: usize, mask: usize) -> Result<(), IcedError> {
        match self.width {
            Width::Avx512 => self.a.vandpd(ZMM[d], ZMM[x], ZMM[mask]),
            _ => self.a.vandpd(YMM[d], YMM[x], YMM[mask]),
        }
    }

    fn sqrt(&mut self, d: usize, x: usize) -> Result<(), IcedError> {
        match self.width {
            Width::Avx512 => self.a.vsqrtpd(ZMM[d], ZMM[x]),
            _ => self.a.vsqrtpd(YMM[d], YMM[x]),
        }
    }

    /// `floor`, `ceil`, `trunc` or `round` (half to even), the inexact exception
    /// suppressed (bit 3).
    fn round(&mut self, d: usize, x: usize, op: UnaryOp) -> Result<(), IcedError> {
        let mode = 8 | match op {
            UnaryOp::Floor => 1,
            UnaryOp::Ceil => 2,
            UnaryOp::Trunc => 3,
            _ => 0,
        };
        match self.width {
            Width::Avx512 => self.a.vrndscalepd(ZMM[d], ZMM[x], mode),
            _ => self.a.vroundpd(YMM[d], YMM[x], mode),
        }
    }

    /// Stores or reduces `value`, closes the loop at `top`, and returns.
    fn finish(&mut self, value: usize, end: End, top: &mut CodeLabel) -> Result<(), IcedError> {
        let fold = |a: &mut CodeAssembler, c: Combine, x: AsmRegisterYmm| match c {
            Combine::Prod => a.vmulpd(YMM[ACC], YMM[ACC], x),
            _ => a.vaddpd(YMM[ACC], YMM[ACC], x),
        };
        match (end, self.width) {
            (End::Store, Width::Avx512) => self.a.vmovupd(zmmword_ptr(rsi + rcx), ZMM[value])?,
            (End::Store, _) => self.a.vmovupd(ymmword_ptr(rsi + rcx), YMM[value])?,
            // Lanes 0..4 of the vector, then 4..8, each into the accumulator's four.
            (End::Reduce(c), Width::Avx512) => {
                self.a.vextractf64x4(YMM[LOW], ZMM[value], 0)?;
                self.a.vextractf64x4(YMM[HIGH], ZMM[value], 1)?;
                fold(&mut self.a, c, YMM[LOW])?;
                fold(&mut self.a, c, YMM[HIGH])?;
            }
            (End::Reduce(c), _) => fold(&mut self.a, c, YMM[value])?,
        }
        self.a.add(rcx, self.bytes())?;
        self.a.cmp(rcx, rdx)?;
        self.a.jb(*top)?;
        if let End::Reduce(_) = end {
            self.a.vmovupd(ymmword_ptr(rsi), YMM[ACC])?;
        }
        for &p in self.saved().iter().rev() {
            self.a.pop(p)?;
        }
        self.a.vzeroupper()?;
        self.a.ret()
    }
}

/// Machine code in memory of its own, mapped executable and never written again.
#[derive(Debug)]
struct Code {
    at: *mut libc::c_void,
    /// Bytes of code (at least a `ret`).
    len: usize,
    entry: Entry,
}

// SAFETY: the mapping is read-only once made, so any thread may run it.
unsafe impl Send for Code {}
unsafe impl Sync for Code {}

impl Code {
    /// Maps `bytes` (position-independent code) executable; `None` if the system refuses.
    fn new(bytes: &[u8]) -> Option<Code> {
        let len = bytes.len();
        // SAFETY: a fresh private anonymous mapping, written while writable, then made
        // read-and-execute; nothing else points into it.
        unsafe {
            let at = libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            if at == libc::MAP_FAILED {
                return None;
            }
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), at as *mut u8, bytes.len());
            if libc::mprotect(at, len, libc::PROT_READ | libc::PROT_EXEC) != 0 {
                libc::munmap(at, len);
                return None;
            }
            let entry = std::mem::transmute::<*mut libc::c_void, Entry>(at);
            Some(Code { at, len, entry })
        }
    }
}

impl Drop for Code {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`, no longer run by anyone (its owner is gone).
        unsafe { libc::munmap(self.at, self.len) };
    }
}
