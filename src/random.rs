//! Counter-based random numbers: Philox4x32-10 (Salmon et al., "Parallel random numbers: as
//! easy as 1, 2, 3", SC 2011). Element `k` of a draw depends only on the seed, the draw's
//! number and `k`, so any backend, thread count or rank count reproduces the same stream.
//!
//! # The exact mapping (every backend must reproduce it bit for bit)
//!
//! For element `k` (row-major index, u64) of draw `d` (u64) with seed `s` (u64):
//! - key = `(s as u32, (s >> 32) as u32)`, counter = `(k as u32, (k >> 32) as u32,
//!   d as u32, (d >> 32) as u32)`; `[x0, x1, x2, x3] = philox4x32_10(counter, key)`.
//! - **uniform f64** in [0, 1): `((x0 as u64) << 21 | (x1 >> 11) as u64) as f64 * 2^-53`
//!   (53 random bits; exactly representable, never 1.0).
//! - **uniform f32** in [0, 1): `(x0 >> 8) as f32 * 2^-24`.
//! - **standard normal** (f64): Box–Muller on two uniforms, `u1` from `(x0, x1)` as above
//!   and `u2` from `(x2, x3)` likewise: `sqrt(-2 ln(1 - u1)) * cos(2π u2)`.
//!   f32 normals are the f64 value rounded.
//! - **integers** in [lo, hi): `lo + ((((x0 as u64) << 32 | x1 as u64) as u128 * (hi - lo)
//!   as u128) >> 64)` (Lemire's multiply-shift; bias below 2^-64 · range).

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

/// The four raw words for element `k` of draw `draw` under `seed`.
pub fn block(seed: u64, draw: u64, k: u64) -> [u32; 4] {
    let counter = [k as u32, (k >> 32) as u32, draw as u32, (draw >> 32) as u32];
    philox4x32_10(counter, [seed as u32, (seed >> 32) as u32])
}

fn unit_f64(hi: u32, lo: u32) -> f64 {
    (((hi as u64) << 21) | ((lo >> 11) as u64)) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Uniform f64 in [0, 1) for element `k`.
pub fn uniform_f64(seed: u64, draw: u64, k: u64) -> f64 {
    let x = block(seed, draw, k);
    unit_f64(x[0], x[1])
}

/// Uniform f32 in [0, 1) for element `k`.
pub fn uniform_f32(seed: u64, draw: u64, k: u64) -> f32 {
    let x = block(seed, draw, k);
    (x[0] >> 8) as f32 * (1.0 / (1u32 << 24) as f32)
}

/// Standard normal f64 for element `k` (Box–Muller).
pub fn normal_f64(seed: u64, draw: u64, k: u64) -> f64 {
    let x = block(seed, draw, k);
    let (u1, u2) = (unit_f64(x[0], x[1]), unit_f64(x[2], x[3]));
    (-2.0 * (1.0 - u1).ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Uniform integer in [lo, hi) for element `k`; `hi > lo`.
pub fn integer(seed: u64, draw: u64, k: u64, lo: i64, hi: i64) -> i64 {
    let x = block(seed, draw, k);
    let r = ((x[0] as u64) << 32) | x[1] as u64;
    let range = hi.wrapping_sub(lo) as u64;
    lo.wrapping_add(((r as u128 * range as u128) >> 64) as i64)
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
    let ks = 0..n as u64;
    match (dist, dtype) {
        (Distribution::Uniform, DType::F32) => Array::F32(
            ArrayD::from_shape_vec(dim, ks.map(|k| uniform_f32(seed, draw, k)).collect())
                .expect("n elements"),
        ),
        (Distribution::Uniform, _) => Array::F64(
            ArrayD::from_shape_vec(dim, ks.map(|k| uniform_f64(seed, draw, k)).collect())
                .expect("n elements"),
        )
        .cast(dtype),
        (Distribution::Normal, _) => Array::F64(
            ArrayD::from_shape_vec(dim, ks.map(|k| normal_f64(seed, draw, k)).collect())
                .expect("n elements"),
        )
        .cast(dtype),
        (Distribution::Integers { lo, hi }, _) => Array::I64(
            ArrayD::from_shape_vec(dim, ks.map(|k| integer(seed, draw, k, lo, hi)).collect())
                .expect("n elements"),
        )
        .cast(dtype),
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
