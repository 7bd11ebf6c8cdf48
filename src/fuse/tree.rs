//! The fixed reduction tree every backend follows, so a float sum has the same bits on any
//! backend and any thread count:
//!
//! 1. the reduced sequence (row-major order) is cut into blocks of [`BLOCK`] elements;
//! 2. inside a block, element `i` is combined into lane `i % LANES` in order, each lane
//!    starting from the identity; the block's value is `(l0 ∘ l1) ∘ (l2 ∘ l3)`;
//! 3. block values are combined pairwise: `t(b[lo..hi]) = t(b[lo..mid]) ∘ t(b[mid..hi])` with
//!    `mid = lo + (hi - lo) / 2`.
//!
//! Error is O(BLOCK / LANES + log n) ulp for sums, like NumPy's pairwise summation.

/// Elements per block (a multiple of [`LANES`]); also the unit of parallel work.
pub const BLOCK: usize = 4096;
/// Accumulators per block.
pub const LANES: usize = 4;

/// Combines the lanes of one block.
pub fn lanes_value<T: Copy>(l: [T; LANES], f: &impl Fn(T, T) -> T) -> T {
    f(f(l[0], l[1]), f(l[2], l[3]))
}

/// Combines block values pairwise (the identity for none).
pub fn combine_blocks<T: Copy>(blocks: &[T], identity: T, f: &impl Fn(T, T) -> T) -> T {
    match blocks.len() {
        0 => identity,
        1 => blocks[0],
        n => {
            let mid = n / 2;
            f(
                combine_blocks(&blocks[..mid], identity, f),
                combine_blocks(&blocks[mid..], identity, f),
            )
        }
    }
}

/// Reduces `xs` in the fixed tree.
pub fn reduce<T: Copy>(
    xs: impl ExactSizeIterator<Item = T>,
    identity: T,
    f: impl Fn(T, T) -> T,
) -> T {
    let mut blocks = Vec::with_capacity(xs.len().div_ceil(BLOCK));
    let mut lanes = [identity; LANES];
    let mut filled = 0;
    for x in xs {
        let lane = filled % LANES;
        lanes[lane] = f(lanes[lane], x);
        filled += 1;
        if filled == BLOCK {
            blocks.push(lanes_value(lanes, &f));
            lanes = [identity; LANES];
            filled = 0;
        }
    }
    if filled > 0 {
        blocks.push(lanes_value(lanes, &f));
    }
    combine_blocks(&blocks, identity, &f)
}

/// IEEE 754 `minimum`: NaN if either is NaN, and -0 below +0 (what compiled kernels do).
pub fn minimum(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a != b {
        if a < b { a } else { b }
    } else if a.is_sign_negative() {
        a
    } else {
        b
    }
}

/// IEEE 754 `maximum`: NaN if either is NaN, and +0 above -0.
pub fn maximum(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a != b {
        if a > b { a } else { b }
    } else if a.is_sign_positive() {
        a
    } else {
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_lanes_then_pairs() {
        let xs = [1.0, 2.0, 3.0, 4.0, 5.0];
        // lanes: 1+5, 2, 3, 4 → (6 + 2) + (3 + 4)
        assert_eq!(reduce(xs.iter().copied(), 0.0, |a, b| a + b), 15.0);
        let big: Vec<f64> = (0..3 * BLOCK + 7).map(|i| 1.0 / (i as f64 + 1.0)).collect();
        let tree = reduce(big.iter().copied(), 0.0, |a, b| a + b);
        let exact: f64 = big.iter().rev().sum();
        assert!((tree - exact).abs() < 1e-13, "{tree} vs {exact}");
        assert_eq!(reduce(std::iter::empty::<f64>(), 0.0, |a, b| a + b), 0.0);
    }
}
