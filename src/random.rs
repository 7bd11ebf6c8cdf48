//! Counter-based random numbers: Philox4x32-10 (Salmon et al., "Parallel random numbers: as
//! easy as 1, 2, 3", SC 2011). Element `k` of a draw depends only on the seed, the draw's
//! number and `k`, so any backend, thread count or rank count reproduces the same stream.
//!
//! # The exact mapping (every backend must reproduce it bit for bit)
//!
//! Elements come in pairs: elements `2j` and `2j + 1` (row-major index `k`, u64) of draw `d`
//! (u64) with seed `s` (u64) share one Philox block `j = k >> 1`:
//! - key = `(s as u32, (s >> 32) as u32)`, counter = `(j as u32, (j >> 32) as u32,
//!   d as u32, (d >> 32) as u32)`; `[x0, x1, x2, x3] = philox4x32_10(counter, key)`;
//!   the element's word pair `(hi, lo)` is `(x0, x1)` for even `k` and `(x2, x3)` for odd.
//! - **uniform f64** in [0, 1): `((hi as u64) << 21 | (lo >> 11) as u64) as f64 * 2^-53`
//!   (53 random bits; exactly representable, never 1.0).
//! - **uniform f32** in [0, 1): `(hi >> 8) as f32 * 2^-24`.
//! - **integers** in [lo, hi): `lo + ((((hi as u64) << 32 | lo as u64) as u128 *
//!   (hi - lo) as u128) >> 64)` (Lemire's multiply-shift; bias below 2^-64 · range).
//! - **standard normal** (f64): the Box–Muller pair of the block: `u1` is the uniform f64 of
//!   `(x0, x1)`, `u2` that of `(x2, x3)`, `r = sqrt(-2 ln(1 - u1))`; even `k` gets
//!   `r cos(2π u2)`, odd `k` gets `r sin(2π u2)`. f32 normals are the f64 value rounded.

/// Philox multipliers and Weyl constants from Random123.
const M0: u32 = 0xD251_1F53;
const M1: u32 = 0xCD9E_8D57;
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;

/// One Philox4x32 block with 10 rounds.
pub fn philox4x32_10(counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let mut c = counter;
    let mut k = key;
    for round in 0..10 {
        if round > 0 {
            k = [k[0].wrapping_add(W0), k[1].wrapping_add(W1)];
        }
        let p0 = (M0 as u64) * (c[0] as u64);
        let p1 = (M1 as u64) * (c[2] as u64);
        let (hi0, lo0) = ((p0 >> 32) as u32, p0 as u32);
        let (hi1, lo1) = ((p1 >> 32) as u32, p1 as u32);
        c = [hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0];
    }
    c
}

/// The Philox block shared by elements `2j` and `2j + 1` of draw `draw` under `seed`.
pub fn block(seed: u64, draw: u64, j: u64) -> [u32; 4] {
    let counter = [j as u32, (j >> 32) as u32, draw as u32, (draw >> 32) as u32];
    philox4x32_10(counter, [seed as u32, (seed >> 32) as u32])
}

/// The word pair `(hi, lo)` of element `k`.
fn words(seed: u64, draw: u64, k: u64) -> (u32, u32) {
    let x = block(seed, draw, k >> 1);
    if k & 1 == 0 {
        (x[0], x[1])
    } else {
        (x[2], x[3])
    }
}

fn unit_f64(hi: u32, lo: u32) -> f64 {
    // `(hi << 21 | lo >> 11) as f64`, exactly (every step is exact below 2^53), from 32-bit
    // conversions the vector unit has.
    let bits = hi as f64 * (1u64 << 21) as f64 + (lo >> 11) as f64;
    bits * (1.0 / (1u64 << 53) as f64)
}

fn unit_f32(hi: u32) -> f32 {
    (hi >> 8) as f32 * (1.0 / (1u32 << 24) as f32)
}

fn lemire(hi: u32, lo: u32, low: i64, high: i64) -> i64 {
    let r = ((hi as u64) << 32) | lo as u64;
    let range = high.wrapping_sub(low) as u64;
    low.wrapping_add(((r as u128 * range as u128) >> 64) as i64)
}

/// The Box–Muller pair of a block.
fn normal_pair(x: [u32; 4]) -> (f64, f64) {
    let (u1, u2) = (unit_f64(x[0], x[1]), unit_f64(x[2], x[3]));
    let r = (-2.0 * (1.0 - u1).ln()).sqrt();
    let (s, c) = (std::f64::consts::TAU * u2).sin_cos();
    (r * c, r * s)
}

/// Uniform f64 in [0, 1) for element `k`.
pub fn uniform_f64(seed: u64, draw: u64, k: u64) -> f64 {
    let (hi, lo) = words(seed, draw, k);
    unit_f64(hi, lo)
}

/// Uniform f32 in [0, 1) for element `k`.
pub fn uniform_f32(seed: u64, draw: u64, k: u64) -> f32 {
    unit_f32(words(seed, draw, k).0)
}

/// Standard normal f64 for element `k` (Box–Muller).
pub fn normal_f64(seed: u64, draw: u64, k: u64) -> f64 {
    let (c, s) = normal_pair(block(seed, draw, k >> 1));
    if k & 1 == 0 { c } else { s }
}

/// Uniform integer in [lo, hi) for element `k`; `hi > lo`.
pub fn integer(seed: u64, draw: u64, k: u64, lo: i64, hi: i64) -> i64 {
    let (h, l) = words(seed, draw, k);
    lemire(h, l, lo, hi)
}

/// Elements per parallel chunk: fixed, so results never depend on the thread count.
const CHUNK: usize = 1 << 15;
/// Counters per batch of the vectorised generator (a multiple of 8).
const LANES: usize = 32;

/// Philox4x32-10 on `LANES` counters at once: with AVX-512 or AVX2, each word in the low
/// halves of 64-bit lanes ([`philox_avx512`], [`philox_avx2`]), otherwise lane-wise code
/// the compiler vectorises.
#[allow(unsafe_code)]
fn philox_lanes(c: &mut [[u32; LANES]; 4], key: [u32; 2]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F, checked just now.
            unsafe { philox_avx512(c, key) };
            return;
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just now.
            unsafe { philox_avx2(c, key) };
            return;
        }
    }
    philox_portable(c, key)
}

/// [`philox_lanes`] on AVX2: as [`philox_avx512`], four counters per register, two
/// registers per word at a time (their 8 registers and the constants fit the 16 there are),
/// kept widened through the ten rounds — the portable form, vectorised by the compiler,
/// widens and narrows around every multiplication.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[allow(unsafe_code, clippy::needless_range_loop)] // the groups are indexed across words
fn philox_avx2(c: &mut [[u32; LANES]; 4], key: [u32; 2]) {
    use std::arch::x86_64::*;
    /// Counters per register, and registers per word run interleaved.
    const GROUP: usize = 4;
    const AT_ONCE: usize = 2;
    let (m0, m1) = (_mm256_set1_epi64x(M0 as i64), _mm256_set1_epi64x(M1 as i64));
    let low = _mm256_set1_epi64x(0xFFFF_FFFF);
    // The low words of the four 64-bit lanes first.
    let narrow = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
    for first in (0..LANES).step_by(GROUP * AT_ONCE) {
        let mut x = [[_mm256_setzero_si256(); AT_ONCE]; 4];
        for (words, regs) in c.iter().zip(x.iter_mut()) {
            for (g, reg) in regs.iter_mut().enumerate() {
                // SAFETY: 4 u32 (128 bits) of `words` from lane `first + 4g`, unaligned.
                let at = words[first + GROUP * g..].as_ptr().cast();
                *reg = _mm256_cvtepu32_epi64(unsafe { _mm_loadu_si128(at) });
            }
        }
        let mut k = key;
        for round in 0..10 {
            if round > 0 {
                k = [k[0].wrapping_add(W0), k[1].wrapping_add(W1)];
            }
            let (k0, k1) = (
                _mm256_set1_epi64x(k[0] as i64),
                _mm256_set1_epi64x(k[1] as i64),
            );
            for g in 0..AT_ONCE {
                let p0 = _mm256_mul_epu32(x[0][g], m0);
                let p1 = _mm256_mul_epu32(x[2][g], m1);
                let n0 =
                    _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64::<32>(p1), x[1][g]), k0);
                let n2 =
                    _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64::<32>(p0), x[3][g]), k1);
                x[1][g] = _mm256_and_si256(p1, low);
                x[3][g] = _mm256_and_si256(p0, low);
                x[0][g] = n0;
                x[2][g] = n2;
            }
        }
        for (words, regs) in c.iter_mut().zip(x) {
            for (g, reg) in regs.into_iter().enumerate() {
                let packed = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(reg, narrow));
                // SAFETY: as the loads.
                let at = words[first + GROUP * g..].as_mut_ptr().cast();
                unsafe { _mm_storeu_si128(at, packed) };
            }
        }
    }
}

/// [`philox_lanes`] on AVX-512: each word of 8 counters in the low halves of one register's
/// 64-bit lanes, so one `vpmuludq` gives all 8 full products (high and low words), where
/// the portable form widens and narrows around every multiplication; the `LANES / 8`
/// groups of 8 run interleaved, hiding the multiplier's latency.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[allow(unsafe_code, clippy::needless_range_loop)] // the groups are indexed across words
fn philox_avx512(c: &mut [[u32; LANES]; 4], key: [u32; 2]) {
    use std::arch::x86_64::*;
    const GROUPS: usize = LANES / 8;
    let zero = _mm512_setzero_si512();
    let mut x = [[zero; GROUPS]; 4];
    for (words, regs) in c.iter().zip(x.iter_mut()) {
        for (g, reg) in regs.iter_mut().enumerate() {
            // SAFETY: 8 u32 (256 bits) of `words` from lane 8g, read unaligned.
            let v = unsafe { _mm256_loadu_si256(words[8 * g..].as_ptr().cast()) };
            *reg = _mm512_cvtepu32_epi64(v);
        }
    }
    let (m0, m1) = (_mm512_set1_epi64(M0 as i64), _mm512_set1_epi64(M1 as i64));
    let low = _mm512_set1_epi64(0xFFFF_FFFF);
    let mut k = key;
    for round in 0..10 {
        if round > 0 {
            k = [k[0].wrapping_add(W0), k[1].wrapping_add(W1)];
        }
        let (k0, k1) = (
            _mm512_set1_epi64(k[0] as i64),
            _mm512_set1_epi64(k[1] as i64),
        );
        for g in 0..GROUPS {
            let p0 = _mm512_mul_epu32(x[0][g], m0);
            let p1 = _mm512_mul_epu32(x[2][g], m1);
            let n0 = _mm512_xor_si512(_mm512_xor_si512(_mm512_srli_epi64::<32>(p1), x[1][g]), k0);
            let n2 = _mm512_xor_si512(_mm512_xor_si512(_mm512_srli_epi64::<32>(p0), x[3][g]), k1);
            x[1][g] = _mm512_and_si512(p1, low);
            x[3][g] = _mm512_and_si512(p0, low);
            x[0][g] = n0;
            x[2][g] = n2;
        }
    }
    for (words, regs) in c.iter_mut().zip(x) {
        for (g, reg) in regs.into_iter().enumerate() {
            // SAFETY: as the loads.
            let at = words[8 * g..].as_mut_ptr().cast();
            unsafe { _mm256_storeu_si256(at, _mm512_cvtepi64_epi32(reg)) };
        }
    }
}

/// [`philox_lanes`] written lane-wise so the compiler vectorises it.
#[allow(clippy::needless_range_loop)] // lane-indexed loops are what LLVM vectorises
fn philox_portable(c: &mut [[u32; LANES]; 4], key: [u32; 2]) {
    let mut k = key;
    for round in 0..10 {
        if round > 0 {
            k = [k[0].wrapping_add(W0), k[1].wrapping_add(W1)];
        }
        for l in 0..LANES {
            let p0 = (M0 as u64) * (c[0][l] as u64);
            let p1 = (M1 as u64) * (c[2][l] as u64);
            let (c1, c3) = (c[1][l], c[3][l]);
            c[0][l] = ((p1 >> 32) as u32) ^ c1 ^ k[0];
            c[1][l] = p1 as u32;
            c[2][l] = ((p0 >> 32) as u32) ^ c3 ^ k[1];
            c[3][l] = p0 as u32;
        }
    }
}

/// Fills `out` with the elements `first..first + out.len()` of a draw (`first` even);
/// `f(block)` gives the pair of values of elements `2j` and `2j + 1`.
#[allow(clippy::needless_range_loop)] // lane-indexed loops are what LLVM vectorises
fn fill<T: Send + Copy>(
    out: &mut [T],
    first: u64,
    seed: u64,
    draw: u64,
    f: impl Fn([u32; 4]) -> (T, T) + Sync,
) {
    let key = [seed as u32, (seed >> 32) as u32];
    for (b, batch) in out.chunks_mut(2 * LANES).enumerate() {
        let j0 = (first >> 1) + (b * LANES) as u64;
        let mut c = [[0u32; LANES]; 4];
        for l in 0..LANES {
            let j = j0 + l as u64;
            c[0][l] = j as u32;
            c[1][l] = (j >> 32) as u32;
            c[2][l] = draw as u32;
            c[3][l] = (draw >> 32) as u32;
        }
        philox_lanes(&mut c, key);
        if batch.len() == 2 * LANES {
            // Lane-wise, then interleaved: loops the compiler vectorises.
            let mut even = [batch[0]; LANES];
            let mut odd = [batch[0]; LANES];
            for l in 0..LANES {
                (even[l], odd[l]) = f([c[0][l], c[1][l], c[2][l], c[3][l]]);
            }
            for l in 0..LANES {
                batch[2 * l] = even[l];
                batch[2 * l + 1] = odd[l];
            }
            continue;
        }
        for (l, pair) in batch.chunks_mut(2).enumerate() {
            let (even, odd) = f([c[0][l], c[1][l], c[2][l], c[3][l]]);
            pair[0] = even;
            if let Some(slot) = pair.get_mut(1) {
                *slot = odd;
            }
        }
    }
}

/// [`fill`] from any element `first` (odd starts take their first element alone).
fn fill_from<T: Send + Copy>(
    out: &mut [T],
    first: u64,
    seed: u64,
    draw: u64,
    single: impl Fn(u64) -> T,
    f: impl Fn([u32; 4]) -> (T, T) + Sync,
) {
    if out.is_empty() {
        return;
    }
    if first & 1 == 1 {
        out[0] = single(first);
        fill(&mut out[1..], first + 1, seed, draw, f);
    } else {
        fill(out, first, seed, draw, f);
    }
}

/// Where [`fill_range`] writes: a slice of the draw's natural element type.
pub enum RangeOut<'a> {
    /// Uniform or normal f64 draws.
    F64(&'a mut [f64]),
    /// Uniform f32 draws.
    F32(&'a mut [f32]),
    /// Integer draws.
    I64(&'a mut [i64]),
}

/// Elements `first..first + len` of a draw, vectorised: what compiled kernels read when a
/// random draw is fused into them (the same values as [`draw`] gives element by element).
pub fn fill_range(
    dist: crate::graph::Distribution,
    seed: u64,
    draw: u64,
    first: u64,
    out: RangeOut,
) {
    use crate::graph::Distribution;
    match (dist, out) {
        (Distribution::Uniform, RangeOut::F32(o)) => fill_from(
            o,
            first,
            seed,
            draw,
            |k| uniform_f32(seed, draw, k),
            |x| (unit_f32(x[0]), unit_f32(x[2])),
        ),
        (Distribution::Uniform, RangeOut::F64(o)) => fill_from(
            o,
            first,
            seed,
            draw,
            |k| uniform_f64(seed, draw, k),
            |x| (unit_f64(x[0], x[1]), unit_f64(x[2], x[3])),
        ),
        (Distribution::Normal, RangeOut::F64(o)) => fill_from(
            o,
            first,
            seed,
            draw,
            |k| normal_f64(seed, draw, k),
            normal_pair,
        ),
        (Distribution::Integers { lo, hi }, RangeOut::I64(o)) => fill_from(
            o,
            first,
            seed,
            draw,
            |k| integer(seed, draw, k, lo, hi),
            |x| (lemire(x[0], x[1], lo, hi), lemire(x[2], x[3], lo, hi)),
        ),
        _ => unreachable!("the natural dtype of each distribution"),
    }
}

/// Computes `n` elements in parallel chunks of fixed size.
fn generate<T: Send + Copy + Default>(
    n: usize,
    seed: u64,
    draw: u64,
    f: impl Fn([u32; 4]) -> (T, T) + Sync,
) -> Vec<T> {
    use rayon::prelude::*;
    let mut out = crate::runtime::zeroed_vec(n);
    out.par_chunks_mut(CHUNK)
        .enumerate()
        .for_each(|(i, chunk)| fill(chunk, (i * CHUNK) as u64, seed, draw, &f));
    out
}

/// A whole draw as an array of `shape` and `dtype` (the interpreter's kernel; compiled
/// backends generate the same elements inside their kernels).
pub fn draw(
    dist: crate::graph::Distribution,
    seed: u64,
    draw: u64,
    shape: &[usize],
    dtype: crate::dtype::DType,
) -> crate::runtime::Array {
    use crate::dtype::DType;
    use crate::graph::Distribution;
    use crate::runtime::Array;
    use ndarray::{ArrayD, IxDyn};
    let n: usize = shape.iter().product();
    let dim = IxDyn(shape);
    let array = match (dist, dtype) {
        (Distribution::Uniform, DType::F32) => Array::F32(
            ArrayD::from_shape_vec(
                dim,
                generate(n, seed, draw, |x| (unit_f32(x[0]), unit_f32(x[2]))),
            )
            .expect("n elements"),
        ),
        (Distribution::Uniform, _) => Array::F64(
            ArrayD::from_shape_vec(
                dim,
                generate(n, seed, draw, |x| {
                    (unit_f64(x[0], x[1]), unit_f64(x[2], x[3]))
                }),
            )
            .expect("n elements"),
        ),
        (Distribution::Normal, _) => Array::F64(
            ArrayD::from_shape_vec(dim, generate(n, seed, draw, normal_pair)).expect("n elements"),
        ),
        (Distribution::Integers { lo, hi }, _) => {
            let f = move |x: [u32; 4]| (lemire(x[0], x[1], lo, hi), lemire(x[2], x[3], lo, hi));
            Array::I64(ArrayD::from_shape_vec(dim, generate(n, seed, draw, f)).expect("n elements"))
        }
    };
    if array.dtype() == dtype {
        array
    } else {
        array.cast(dtype)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Known-answer vectors of Random123's `kat_vectors` for philox4x32_10.
    #[test]
    fn philox_known_answers() {
        assert_eq!(
            philox4x32_10([0, 0, 0, 0], [0, 0]),
            [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
        );
        assert_eq!(
            philox4x32_10([0xffffffff; 4], [0xffffffff; 2]),
            [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]
        );
        assert_eq!(
            philox4x32_10(
                [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
                [0xa4093822, 0x299f31d0]
            ),
            [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]
        );
    }

    #[test]
    fn batched_generator_matches_the_scalar_definition() {
        use crate::dtype::DType;
        use crate::graph::Distribution;
        let n = 100_003;
        let u = draw(Distribution::Uniform, 5, 9, &[n], DType::F64).to_f64_vec();
        let z = draw(Distribution::Normal, 5, 9, &[n], DType::F64).to_f64_vec();
        let f = draw(Distribution::Uniform, 5, 9, &[n], DType::F32).to_f64_vec();
        let i = draw(
            Distribution::Integers { lo: -4, hi: 9 },
            5,
            9,
            &[n],
            DType::I64,
        )
        .to_i64_vec();
        for k in [0, 1, 7, 8, 32767, 32768, 99_999, 100_002] {
            assert_eq!(u[k], uniform_f64(5, 9, k as u64));
            assert_eq!(z[k], normal_f64(5, 9, k as u64));
            assert_eq!(f[k], uniform_f32(5, 9, k as u64) as f64);
            assert_eq!(i[k], integer(5, 9, k as u64, -4, 9));
        }
    }

    #[test]
    fn lane_rounds_match_the_scalar_rounds() {
        let mut c = [[0u32; LANES]; 4];
        for (w, words) in c.iter_mut().enumerate() {
            for (l, x) in words.iter_mut().enumerate() {
                *x =
                    (l as u32 + 1).wrapping_mul(0x9E37_79B9) ^ (w as u32).rotate_left(7 * w as u32);
            }
        }
        let key = [0xDEAD_BEEF, 0x0123_4567];
        let (mut portable, mut dispatched) = (c, c);
        philox_portable(&mut portable, key);
        philox_lanes(&mut dispatched, key);
        assert_eq!(portable, dispatched);
        for l in 0..LANES {
            let scalar = philox4x32_10([c[0][l], c[1][l], c[2][l], c[3][l]], key);
            let lanes = [
                portable[0][l],
                portable[1][l],
                portable[2][l],
                portable[3][l],
            ];
            assert_eq!(scalar, lanes, "lane {l}");
        }
    }

    #[test]
    fn every_uniform_is_the_documented_mapping_of_its_philox_block() {
        use crate::dtype::DType;
        use crate::graph::Distribution;
        let n = 5_003;
        let u = draw(Distribution::Uniform, 11, 2, &[n], DType::F64).to_f64_vec();
        let mut ranged = vec![0.0; n - 3];
        fill_range(Distribution::Uniform, 11, 2, 3, RangeOut::F64(&mut ranged));
        let scale = 1.0 / (1u64 << 53) as f64;
        for k in 0..n as u64 {
            let j = k >> 1;
            let x = philox4x32_10([j as u32, (j >> 32) as u32, 2, 0], [11, 0]);
            let (hi, lo) = if k & 1 == 0 {
                (x[0], x[1])
            } else {
                (x[2], x[3])
            };
            let expected = (((hi as u64) << 21) | (lo >> 11) as u64) as f64 * scale;
            assert_eq!(u[k as usize].to_bits(), expected.to_bits(), "element {k}");
            if k >= 3 {
                assert_eq!(ranged[k as usize - 3].to_bits(), expected.to_bits());
            }
        }
        let top = ((1u64 << 53) - 1) as f64 * scale;
        assert_eq!(unit_f64(u32::MAX, u32::MAX), top);
        assert_eq!(unit_f64(0, 0), 0.0);
    }

    #[test]
    fn uniforms_are_in_range_and_normals_are_finite() {
        for k in 0..10_000 {
            let u = uniform_f64(7, 3, k);
            assert!((0.0..1.0).contains(&u));
            let f = uniform_f32(7, 3, k);
            assert!((0.0..1.0).contains(&f));
            assert!(normal_f64(7, 3, k).is_finite());
            assert!((-3..5).contains(&integer(7, 3, k, -3, 5)));
        }
    }
}
