//! The vector types a wide program runs on: [`Lanes`] extends the decompositions'
//! [`Ops`](crate::fuse::math::Ops) with loads, stores and the plain arithmetic of kernel
//! bodies, implemented for AVX2 (four f64 lanes) and AVX-512 (eight).
//!
//! Values are plain arrays (`[f64; 4]`, …), not `__m256d`: a function without the target
//! feature may then take and return them (Rust's ABI rules forbid passing vector registers
//! there), and once everything is inlined into the entry point that has the feature, LLVM
//! keeps them in registers (`pulp`'s technique). Every method is `#[inline(always)]` for
//! that reason; the intrinsics inside are sound because the entry points
//! ([`super::run`]) are only called after the feature was detected.

#![allow(unsafe_code)]

use crate::fuse::math::Ops;
use crate::graph::UnaryOp;
use std::arch::x86_64::*;
use std::mem::transmute;

/// A vector of `W` f64 lanes with the operations of a kernel body.
pub(super) trait Lanes: Ops<F = Self::Vf> + Default {
    /// Lanes per vector.
    const W: usize;
    /// The f64 vector.
    type Vf: Copy;
    /// Reads `W` elements at `p`.
    ///
    /// # Safety
    /// `p..p + W` is readable.
    unsafe fn load(p: *const f64) -> Self::Vf;
    /// Writes `W` elements at `p`.
    ///
    /// # Safety
    /// `p..p + W` is writable.
    unsafe fn store(p: *mut f64, x: Self::Vf);
    /// `-a`.
    fn neg(&mut self, a: Self::Vf) -> Self::Vf;
    /// `|a|`.
    fn abs(&mut self, a: Self::Vf) -> Self::Vf;
    /// Rounding toward +∞.
    fn ceil(&mut self, a: Self::Vf) -> Self::Vf;
    /// Rounding toward zero.
    fn trunc(&mut self, a: Self::Vf) -> Self::Vf;
    /// Whether every condition holds in every lane.
    fn all<const N: usize>(&mut self, conditions: [Self::B; N]) -> bool;
    /// Whether no condition holds in any lane.
    fn none<const N: usize>(&mut self, conditions: [Self::B; N]) -> bool;
}

/// Four f64 lanes (AVX2 with FMA; FMA is never used: products are rounded apart from sums,
/// as everywhere else).
#[derive(Default)]
pub(super) struct Avx2;

/// Eight f64 lanes (AVX-512F and DQ).
#[derive(Default)]
pub(super) struct Avx512;

type F4 = [f64; 4];
type I4 = [i64; 4];
type F8 = [f64; 8];
type I8 = [i64; 8];

// The rounding immediates, with exceptions suppressed.
const NEAREST: i32 = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
const DOWN: i32 = _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC;
const UP: i32 = _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC;
const ZERO: i32 = _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC;

/// `op(x)` on the lanes where `set` holds, libm's exact path (`sin`/`cos` of large
/// arguments), else `fast`.
#[inline(always)]
fn exact_lanes<const W: usize>(
    set: [bool; W],
    op: UnaryOp,
    x: [f64; W],
    fast: [f64; W],
) -> [f64; W] {
    let mut out = fast;
    for l in 0..W {
        if set[l] {
            out[l] = crate::fuse::math::exact(op, x[l]);
        }
    }
    out
}

macro_rules! avx2 {
    ($($body:tt)*) => {
        // SAFETY: reached only from `super::run`'s AVX2 entry point (see the module docs).
        unsafe { $($body)* }
    };
}

#[inline(always)]
fn f4(a: F4) -> __m256d {
    avx2!(transmute(a))
}
#[inline(always)]
fn i4(a: I4) -> __m256i {
    avx2!(transmute(a))
}
#[inline(always)]
fn of4(a: __m256d) -> F4 {
    avx2!(transmute(a))
}
#[inline(always)]
fn oi4(a: __m256i) -> I4 {
    avx2!(transmute(a))
}

impl Ops for Avx2 {
    type F = F4;
    type I = I4;
    /// All-ones lanes where true, as f64 bits.
    type B = F4;
    #[inline(always)]
    fn c(&mut self, x: f64) -> F4 {
        [x; 4]
    }
    #[inline(always)]
    fn ci(&mut self, x: i64) -> I4 {
        [x; 4]
    }
    #[inline(always)]
    fn add(&mut self, a: F4, b: F4) -> F4 {
        avx2!(of4(_mm256_add_pd(f4(a), f4(b))))
    }
    #[inline(always)]
    fn sub(&mut self, a: F4, b: F4) -> F4 {
        avx2!(of4(_mm256_sub_pd(f4(a), f4(b))))
    }
    #[inline(always)]
    fn mul(&mut self, a: F4, b: F4) -> F4 {
        avx2!(of4(_mm256_mul_pd(f4(a), f4(b))))
    }
    #[inline(always)]
    fn div(&mut self, a: F4, b: F4) -> F4 {
        avx2!(of4(_mm256_div_pd(f4(a), f4(b))))
    }
    #[inline(always)]
    fn sqrt(&mut self, a: F4) -> F4 {
        avx2!(of4(_mm256_sqrt_pd(f4(a))))
    }
    #[inline(always)]
    fn round(&mut self, a: F4) -> F4 {
        avx2!(of4(_mm256_round_pd::<NEAREST>(f4(a))))
    }
    #[inline(always)]
    fn floor(&mut self, a: F4) -> F4 {
        avx2!(of4(_mm256_round_pd::<DOWN>(f4(a))))
    }
    #[inline(always)]
    fn bits(&mut self, a: F4) -> I4 {
        avx2!(transmute(a))
    }
    #[inline(always)]
    fn float_from_bits(&mut self, a: I4) -> F4 {
        avx2!(transmute(a))
    }
    #[inline(always)]
    fn iadd(&mut self, a: I4, b: I4) -> I4 {
        avx2!(oi4(_mm256_add_epi64(i4(a), i4(b))))
    }
    #[inline(always)]
    fn iand(&mut self, a: I4, b: I4) -> I4 {
        avx2!(oi4(_mm256_and_si256(i4(a), i4(b))))
    }
    #[inline(always)]
    fn ior(&mut self, a: I4, b: I4) -> I4 {
        avx2!(oi4(_mm256_or_si256(i4(a), i4(b))))
    }
    #[inline(always)]
    fn shl(&mut self, a: I4, n: u8) -> I4 {
        avx2!(oi4(_mm256_sll_epi64(
            i4(a),
            _mm_cvtsi32_si128(i32::from(n))
        )))
    }
    #[inline(always)]
    fn ushr(&mut self, a: I4, n: u8) -> I4 {
        avx2!(oi4(_mm256_srl_epi64(
            i4(a),
            _mm_cvtsi32_si128(i32::from(n))
        )))
    }
    #[inline(always)]
    fn lt(&mut self, a: F4, b: F4) -> F4 {
        avx2!(of4(_mm256_cmp_pd::<_CMP_LT_OQ>(f4(a), f4(b))))
    }
    #[inline(always)]
    fn eq(&mut self, a: F4, b: F4) -> F4 {
        avx2!(of4(_mm256_cmp_pd::<_CMP_EQ_OQ>(f4(a), f4(b))))
    }
    #[inline(always)]
    fn ieq(&mut self, a: I4, b: I4) -> F4 {
        avx2!(transmute(_mm256_cmpeq_epi64(i4(a), i4(b))))
    }
    #[inline(always)]
    fn select(&mut self, c: F4, a: F4, b: F4) -> F4 {
        avx2!(of4(_mm256_blendv_pd(f4(b), f4(a), f4(c))))
    }
    #[inline(always)]
    fn iselect(&mut self, c: F4, a: I4, b: I4) -> I4 {
        avx2!(transmute(_mm256_blendv_pd(
            transmute::<I4, __m256d>(b),
            transmute::<I4, __m256d>(a),
            f4(c)
        )))
    }
    #[inline(always)]
    fn exact_if(&mut self, c: F4, op: UnaryOp, x: F4, fast: F4) -> F4 {
        let mask = avx2!(_mm256_movemask_pd(f4(c)));
        if mask == 0 {
            return fast;
        }
        exact_lanes(std::array::from_fn(|l| mask & (1 << l) != 0), op, x, fast)
    }
}

impl Lanes for Avx2 {
    const W: usize = 4;
    type Vf = F4;
    #[inline(always)]
    unsafe fn load(p: *const f64) -> F4 {
        avx2!(of4(_mm256_loadu_pd(p)))
    }
    #[inline(always)]
    unsafe fn store(p: *mut f64, x: F4) {
        avx2!(_mm256_storeu_pd(p, f4(x)))
    }
    #[inline(always)]
    fn neg(&mut self, a: F4) -> F4 {
        avx2!(of4(_mm256_xor_pd(f4(a), _mm256_set1_pd(-0.0))))
    }
    #[inline(always)]
    fn abs(&mut self, a: F4) -> F4 {
        avx2!(of4(_mm256_andnot_pd(_mm256_set1_pd(-0.0), f4(a))))
    }
    #[inline(always)]
    fn ceil(&mut self, a: F4) -> F4 {
        avx2!(of4(_mm256_round_pd::<UP>(f4(a))))
    }
    #[inline(always)]
    fn trunc(&mut self, a: F4) -> F4 {
        avx2!(of4(_mm256_round_pd::<ZERO>(f4(a))))
    }
    #[inline(always)]
    fn all<const N: usize>(&mut self, conditions: [F4; N]) -> bool {
        let both = conditions
            .into_iter()
            .reduce(|a, b| avx2!(of4(_mm256_and_pd(f4(a), f4(b)))));
        both.is_none_or(|c| avx2!(_mm256_movemask_pd(f4(c))) == 0xF)
    }
    #[inline(always)]
    fn none<const N: usize>(&mut self, conditions: [F4; N]) -> bool {
        let either = conditions
            .into_iter()
            .reduce(|a, b| avx2!(of4(_mm256_or_pd(f4(a), f4(b)))));
        either.is_none_or(|c| avx2!(_mm256_movemask_pd(f4(c))) == 0)
    }
}

macro_rules! avx512 {
    ($($body:tt)*) => {
        // SAFETY: reached only from `super::run`'s AVX-512 entry point (see the module docs).
        unsafe { $($body)* }
    };
}

#[inline(always)]
fn f8(a: F8) -> __m512d {
    avx512!(transmute(a))
}
#[inline(always)]
fn i8v(a: I8) -> __m512i {
    avx512!(transmute(a))
}
#[inline(always)]
fn of8(a: __m512d) -> F8 {
    avx512!(transmute(a))
}
#[inline(always)]
fn oi8(a: __m512i) -> I8 {
    avx512!(transmute(a))
}

impl Ops for Avx512 {
    type F = F8;
    type I = I8;
    /// One bit per lane.
    type B = u8;
    #[inline(always)]
    fn c(&mut self, x: f64) -> F8 {
        [x; 8]
    }
    #[inline(always)]
    fn ci(&mut self, x: i64) -> I8 {
        [x; 8]
    }
    #[inline(always)]
    fn add(&mut self, a: F8, b: F8) -> F8 {
        avx512!(of8(_mm512_add_pd(f8(a), f8(b))))
    }
    #[inline(always)]
    fn sub(&mut self, a: F8, b: F8) -> F8 {
        avx512!(of8(_mm512_sub_pd(f8(a), f8(b))))
    }
    #[inline(always)]
    fn mul(&mut self, a: F8, b: F8) -> F8 {
        avx512!(of8(_mm512_mul_pd(f8(a), f8(b))))
    }
    #[inline(always)]
    fn div(&mut self, a: F8, b: F8) -> F8 {
        avx512!(of8(_mm512_div_pd(f8(a), f8(b))))
    }
    #[inline(always)]
    fn sqrt(&mut self, a: F8) -> F8 {
        avx512!(of8(_mm512_sqrt_pd(f8(a))))
    }
    #[inline(always)]
    fn round(&mut self, a: F8) -> F8 {
        avx512!(of8(_mm512_roundscale_pd::<NEAREST>(f8(a))))
    }
    #[inline(always)]
    fn floor(&mut self, a: F8) -> F8 {
        avx512!(of8(_mm512_roundscale_pd::<DOWN>(f8(a))))
    }
    #[inline(always)]
    fn bits(&mut self, a: F8) -> I8 {
        avx512!(transmute(a))
    }
    #[inline(always)]
    fn float_from_bits(&mut self, a: I8) -> F8 {
        avx512!(transmute(a))
    }
    #[inline(always)]
    fn iadd(&mut self, a: I8, b: I8) -> I8 {
        avx512!(oi8(_mm512_add_epi64(i8v(a), i8v(b))))
    }
    #[inline(always)]
    fn iand(&mut self, a: I8, b: I8) -> I8 {
        avx512!(oi8(_mm512_and_si512(i8v(a), i8v(b))))
    }
    #[inline(always)]
    fn ior(&mut self, a: I8, b: I8) -> I8 {
        avx512!(oi8(_mm512_or_si512(i8v(a), i8v(b))))
    }
    #[inline(always)]
    fn shl(&mut self, a: I8, n: u8) -> I8 {
        avx512!(oi8(_mm512_sll_epi64(
            i8v(a),
            _mm_cvtsi32_si128(i32::from(n))
        )))
    }
    #[inline(always)]
    fn ushr(&mut self, a: I8, n: u8) -> I8 {
        avx512!(oi8(_mm512_srl_epi64(
            i8v(a),
            _mm_cvtsi32_si128(i32::from(n))
        )))
    }
    #[inline(always)]
    fn lt(&mut self, a: F8, b: F8) -> u8 {
        avx512!(_mm512_cmp_pd_mask::<_CMP_LT_OQ>(f8(a), f8(b)))
    }
    #[inline(always)]
    fn eq(&mut self, a: F8, b: F8) -> u8 {
        avx512!(_mm512_cmp_pd_mask::<_CMP_EQ_OQ>(f8(a), f8(b)))
    }
    #[inline(always)]
    fn ieq(&mut self, a: I8, b: I8) -> u8 {
        avx512!(_mm512_cmpeq_epi64_mask(i8v(a), i8v(b)))
    }
    #[inline(always)]
    fn select(&mut self, c: u8, a: F8, b: F8) -> F8 {
        avx512!(of8(_mm512_mask_blend_pd(c, f8(b), f8(a))))
    }
    #[inline(always)]
    fn iselect(&mut self, c: u8, a: I8, b: I8) -> I8 {
        avx512!(oi8(_mm512_mask_blend_epi64(c, i8v(b), i8v(a))))
    }
    #[inline(always)]
    fn exact_if(&mut self, c: u8, op: UnaryOp, x: F8, fast: F8) -> F8 {
        if c == 0 {
            return fast;
        }
        exact_lanes(std::array::from_fn(|l| c & (1 << l) != 0), op, x, fast)
    }
}

impl Lanes for Avx512 {
    const W: usize = 8;
    type Vf = F8;
    #[inline(always)]
    unsafe fn load(p: *const f64) -> F8 {
        avx512!(of8(_mm512_loadu_pd(p)))
    }
    #[inline(always)]
    unsafe fn store(p: *mut f64, x: F8) {
        avx512!(_mm512_storeu_pd(p, f8(x)))
    }
    #[inline(always)]
    fn neg(&mut self, a: F8) -> F8 {
        let sign = avx512!(_mm512_set1_epi64(i64::MIN));
        avx512!(of8(_mm512_castsi512_pd(_mm512_xor_si512(
            _mm512_castpd_si512(f8(a)),
            sign
        ))))
    }
    #[inline(always)]
    fn abs(&mut self, a: F8) -> F8 {
        let magnitude = avx512!(_mm512_set1_epi64(i64::MAX));
        avx512!(of8(_mm512_castsi512_pd(_mm512_and_si512(
            _mm512_castpd_si512(f8(a)),
            magnitude
        ))))
    }
    #[inline(always)]
    fn ceil(&mut self, a: F8) -> F8 {
        avx512!(of8(_mm512_roundscale_pd::<UP>(f8(a))))
    }
    #[inline(always)]
    fn trunc(&mut self, a: F8) -> F8 {
        avx512!(of8(_mm512_roundscale_pd::<ZERO>(f8(a))))
    }
    #[inline(always)]
    fn all<const N: usize>(&mut self, conditions: [u8; N]) -> bool {
        conditions.into_iter().fold(0xFF, |a, b| a & b) == 0xFF
    }
    #[inline(always)]
    fn none<const N: usize>(&mut self, conditions: [u8; N]) -> bool {
        conditions.into_iter().fold(0, |a, b| a | b) == 0
    }
}
