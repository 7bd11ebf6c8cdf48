//! The x86-64 side of [`super::Native`]: registers, the code assembler at one width, and
//! executable memory.

#![allow(unsafe_code)]

use super::{End, Width, extreme};
use crate::fuse::Combine;
use crate::graph::{BinaryOp, UnaryOp};
use iced_x86::code_asm::*;

/// The entry: `inputs` (one pointer per input read), `out` (the row's output, or the four
/// lanes of a reduction), `vectors ≥ 1` whole vectors, `consts` (one f64 per constant).
pub(super) type Entry = unsafe extern "sysv64" fn(*const *const f64, *mut f64, usize, *const f64);

/// Registers holding the inputs' addresses: the System V ABI's caller-saved ones not
/// taken by the arguments, then callee-saved ones (pushed and popped around the loop).
pub(super) const POINTERS: [AsmRegister64; 11] =
    [r8, r9, r10, r11, rax, rbx, rbp, r12, r13, r14, r15];
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
/// A `min` or `max`: lanes that saw a NaN, lanes that saw the zero that wins (`+0` for
/// `max`, `−0` for `min`), a comparison's mask, and that zero's bits to compare with.
const NANS: usize = 12;
const ZEROS: usize = 11;
const MASK: usize = 10;
const ZERO: usize = 9;

/// The registers left out of allocation for the loop's end at `width`.
pub(super) fn reserved(width: Width, end: End) -> &'static [usize] {
    match (width, end) {
        (_, End::Store) => &[],
        (_, End::Reduce(Combine::Min | Combine::Max)) => &[ACC, HIGH, LOW, NANS, ZEROS, MASK, ZERO],
        (Width::Avx512, End::Reduce(_)) => &[ACC, HIGH, LOW],
        (_, End::Reduce(_)) => &[ACC],
    }
}

/// The code assembler at one width.
pub(super) struct Asm {
    pub(super) a: CodeAssembler,
    width: Width,
    /// Inputs read (their addresses held in [`POINTERS`]).
    inputs: usize,
}

impl Asm {
    pub(super) fn new(width: Width) -> Result<Asm, IcedError> {
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

    /// Broadcasts constants into registers (`(constant, register)` pairs), loads the
    /// addresses of `inputs` inputs, turns `rdx` into the row's end in bytes and `rcx` into
    /// its start, and loads the lanes of a reduction; constant `sign` is `-0.0`.
    pub(super) fn prologue(
        &mut self,
        broadcasts: &[(usize, usize)],
        sign: usize,
        inputs: usize,
        end: End,
    ) -> Result<(), IcedError> {
        for &(j, r) in broadcasts {
            let at = qword_ptr(rcx + 8 * j as i32);
            match self.width {
                Width::Avx512 => self.a.vbroadcastsd(ZMM[r], at)?,
                _ => self.a.vbroadcastsd(YMM[r], at)?,
            }
        }
        match end {
            End::Reduce(Combine::Min) => self
                .a
                .vbroadcastsd(YMM[ZERO], qword_ptr(rcx + 8 * sign as i32))?,
            End::Reduce(Combine::Max) => self.a.vxorpd(YMM[ZERO], YMM[ZERO], YMM[ZERO])?,
            _ => {}
        }
        self.inputs = inputs;
        for &p in self.saved() {
            self.a.push(p)?;
        }
        for (k, &p) in POINTERS[..self.inputs].iter().enumerate() {
            self.a.mov(p, qword_ptr(rdi + 8 * k as i32))?;
        }
        self.a.shl(rdx, self.bytes().trailing_zeros())?;
        self.a.xor(ecx, ecx)?;
        if let End::Reduce(c) = end {
            self.a.vmovupd(YMM[ACC], ymmword_ptr(rsi))?;
            if extreme(c) {
                self.a.vxorpd(YMM[NANS], YMM[NANS], YMM[NANS])?;
                self.a.vxorpd(YMM[ZEROS], YMM[ZEROS], YMM[ZEROS])?;
            }
        }
        Ok(())
    }

    pub(super) fn load(&mut self, d: usize, p: AsmRegister64) -> Result<(), IcedError> {
        match self.width {
            Width::Avx512 => self.a.vmovupd(ZMM[d], zmmword_ptr(p + rcx)),
            _ => self.a.vmovupd(YMM[d], ymmword_ptr(p + rcx)),
        }
    }

    pub(super) fn binary(
        &mut self,
        op: BinaryOp,
        d: usize,
        x: usize,
        y: usize,
    ) -> Result<(), IcedError> {
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

    pub(super) fn xor(&mut self, d: usize, x: usize, mask: usize) -> Result<(), IcedError> {
        match self.width {
            Width::Avx512 => self.a.vxorpd(ZMM[d], ZMM[x], ZMM[mask]),
            _ => self.a.vxorpd(YMM[d], YMM[x], YMM[mask]),
        }
    }

    pub(super) fn and(&mut self, d: usize, x: usize, mask: usize) -> Result<(), IcedError> {
        match self.width {
            Width::Avx512 => self.a.vandpd(ZMM[d], ZMM[x], ZMM[mask]),
            _ => self.a.vandpd(YMM[d], YMM[x], YMM[mask]),
        }
    }

    pub(super) fn sqrt(&mut self, d: usize, x: usize) -> Result<(), IcedError> {
        match self.width {
            Width::Avx512 => self.a.vsqrtpd(ZMM[d], ZMM[x]),
            _ => self.a.vsqrtpd(YMM[d], YMM[x]),
        }
    }

    /// `floor`, `ceil`, `trunc` or `round` (half to even), the inexact exception
    /// suppressed (bit 3).
    pub(super) fn round(&mut self, d: usize, x: usize, op: UnaryOp) -> Result<(), IcedError> {
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
    pub(super) fn finish(
        &mut self,
        value: usize,
        end: End,
        top: &mut CodeLabel,
    ) -> Result<(), IcedError> {
        // `vmaxpd`/`vminpd` keep their second operand, the lanes, where either is NaN
        // or both are zeros: which lanes saw a NaN, or the winning zero, is kept aside
        // and settled after the loop (`Native::run`).
        let fold = |a: &mut CodeAssembler, c: Combine, x: AsmRegisterYmm| match c {
            Combine::Prod => a.vmulpd(YMM[ACC], YMM[ACC], x),
            Combine::Max | Combine::Min => {
                match c {
                    Combine::Max => a.vmaxpd(YMM[ACC], x, YMM[ACC])?,
                    _ => a.vminpd(YMM[ACC], x, YMM[ACC])?,
                }
                a.vcmpunordpd(YMM[MASK], x, x)?;
                a.vorpd(YMM[NANS], YMM[NANS], YMM[MASK])?;
                a.vpcmpeqq(YMM[MASK], x, YMM[ZERO])?;
                a.vorpd(YMM[ZEROS], YMM[ZEROS], YMM[MASK])
            }
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
        if let End::Reduce(c) = end {
            self.a.vmovupd(ymmword_ptr(rsi), YMM[ACC])?;
            if extreme(c) {
                self.a.vmovupd(ymmword_ptr(rsi + 32), YMM[NANS])?;
                self.a.vmovupd(ymmword_ptr(rsi + 64), YMM[ZEROS])?;
            }
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
pub(super) struct Code {
    pub(super) at: *mut libc::c_void,
    /// Bytes of code (at least a `ret`).
    pub(super) len: usize,
    pub(super) entry: Entry,
}

// SAFETY: the mapping is read-only once made, so any thread may run it.
unsafe impl Send for Code {}
unsafe impl Sync for Code {}

impl Code {
    /// Maps `bytes` (position-independent code) executable; `None` if the system refuses.
    pub(super) fn new(bytes: &[u8]) -> Option<Code> {
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
