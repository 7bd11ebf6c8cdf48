//! i64 as two u32 words, for adapters without `SHADER_INT64` (wgpu's Metal and WebGPU
//! backends, many mobile GPUs, or lavapipe with `ARR_GPU_32BIT=1`): a value is a
//! `vec2<u32>`, low word first — the bytes of an i64 in a buffer, so uploads and read-backs
//! do not change — and each operation the renderer expresses on i64 is a small function of
//! [`PAIRS`] with the CPU's bits: wrapping `+ - *`, signed comparisons, shifts with arr's
//! rule for counts outside 0..63, NaN and out-of-range float casts to i64::MIN, and
//! i64 → f32 rounded to nearest even by hand (WGSL leaves an integer conversion's rounding
//! to the implementation). Positions (`arange`'s counters) and Philox's 32×32 → 64-bit
//! products use them too, so f32 programs that count or draw run on such adapters.

use super::wgsl::{Ints, Unsupported};
use crate::dtype::DType;
use crate::fuse::Combine;
use crate::graph::{BinaryOp, UnaryOp};

/// The WGSL functions of i64 pairs (`p_` names), put in every shader that holds an i64.
pub(super) const PAIRS: &str = "fn p_of_i32(x: i32) -> vec2<u32> {
    return vec2<u32>(bitcast<u32>(x), select(0u, 0xffffffffu, x < 0));
}
fn p_add(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    let lo = a.x + b.x;
    return vec2<u32>(lo, a.y + b.y + select(0u, 1u, lo < a.x));
}
fn p_sub(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    return vec2<u32>(a.x - b.x, a.y - b.y - select(0u, 1u, a.x < b.x));
}
fn p_neg(a: vec2<u32>) -> vec2<u32> { return p_sub(vec2<u32>(0u), a); }
fn p_mul32(a: u32, b: u32) -> vec2<u32> {
    let al = a & 0xffffu;
    let ah = a >> 16u;
    let bl = b & 0xffffu;
    let bh = b >> 16u;
    let ll = al * bl;
    let lh = al * bh;
    let hl = ah * bl;
    let mid = (ll >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
    return vec2<u32>((mid << 16u) | (ll & 0xffffu), ah * bh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u));
}
fn p_mul(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    let p = p_mul32(a.x, b.x);
    return vec2<u32>(p.x, p.y + a.x * b.y + a.y * b.x);
}
fn p_mulhi(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    let ll = p_mul32(a.x, b.x);
    let lh = p_mul32(a.x, b.y);
    let hl = p_mul32(a.y, b.x);
    let hh = p_mul32(a.y, b.y);
    let s1 = ll.y + lh.x;
    let w1 = s1 + hl.x;
    let c1 = select(0u, 1u, s1 < ll.y) + select(0u, 1u, w1 < s1);
    let s2 = hh.x + lh.y;
    let t2 = s2 + hl.y;
    let w2 = t2 + c1;
    let c2 = select(0u, 1u, s2 < hh.x) + select(0u, 1u, t2 < s2) + select(0u, 1u, w2 < t2);
    return vec2<u32>(w2, hh.y + c2);
}
fn p_lt(a: vec2<u32>, b: vec2<u32>) -> bool {
    return select(a.x < b.x, bitcast<i32>(a.y) < bitcast<i32>(b.y), a.y != b.y);
}
fn p_shl(a: vec2<u32>, n: u32) -> vec2<u32> {
    if (n == 0u) { return a; }
    if (n < 32u) { return vec2<u32>(a.x << n, (a.y << n) | (a.x >> (32u - n))); }
    return vec2<u32>(0u, a.x << (n - 32u));
}
fn p_shr(a: vec2<u32>, n: u32) -> vec2<u32> {
    let s = bitcast<i32>(a.y);
    if (n == 0u) { return a; }
    if (n < 32u) { return vec2<u32>((a.x >> n) | (a.y << (32u - n)), bitcast<u32>(s >> n)); }
    return vec2<u32>(bitcast<u32>(s >> (n - 32u)), bitcast<u32>(s >> 31u));
}
fn p_count(n: vec2<u32>) -> bool { return n.y == 0u && n.x < 64u; }
fn p_to_f32(a: vec2<u32>) -> f32 {
    let negative = bitcast<i32>(a.y) < 0;
    let m = select(a, p_neg(a), negative);
    if (m.x == 0u && m.y == 0u) { return 0.0f; }
    let lz = select(32u + countLeadingZeros(m.x), countLeadingZeros(m.y), m.y != 0u);
    let n = p_shl(m, lz);
    var mant = n.y >> 8u;
    var e = 63u - lz;
    let half = (n.y >> 7u) & 1u;
    let sticky = (n.y & 0x7fu) != 0u || n.x != 0u;
    if (half == 1u && (sticky || (mant & 1u) == 1u)) { mant += 1u; }
    if (mant == 0x1000000u) { mant = 0x800000u; e += 1u; }
    return bitcast<f32>(select(0u, 0x80000000u, negative) | ((e + 127u) << 23u) | (mant & 0x7fffffu));
}
fn p_of_f32(x: f32) -> vec2<u32> {
    if (!(x >= bitcast<f32>(0xdf000000u) && x < bitcast<f32>(0x5f000000u))) {
        return vec2<u32>(0u, 0x80000000u);
    }
    let t = abs(trunc(x));
    let hi = floor(t * bitcast<f32>(0x2f800000u));
    let m = vec2<u32>(u32(t - hi * bitcast<f32>(0x4f800000u)), u32(hi));
    return select(m, p_neg(m), x < 0.0f);
}
";

/// An i64 constant as a pair, its words hidden from the shader compiler (see
/// `wgsl::constant`).
pub(super) fn constant(x: i64) -> String {
    format!("({} + vec2<u32>(u32(info[3])))", literal(x))
}

/// An i64 constant as a pair, plainly (reduction identities).
pub(super) fn literal(x: i64) -> String {
    format!(
        "vec2<u32>({:#x}u, {:#x}u)",
        x as u64 as u32,
        (x as u64 >> 32) as u32
    )
}

/// A cast to or from i64 (NumPy's rules, as `wgsl::cast`); f64 needs native 64-bit
/// integers in shaders (`math`'s decompositions work on their bits).
pub(super) fn cast(x: &str, from: DType, to: DType) -> Result<String, Unsupported> {
    use DType::*;
    Ok(match (from, to) {
        _ if from == to => x.to_string(),
        (Bool, I64) => format!("vec2<u32>(select(0u, 1u, {x}), 0u)"),
        (I64, Bool) => format!("any({x} != vec2<u32>(0u))"),
        (I64, F32) => format!("p_to_f32({x})"),
        (F32, I64) => format!("p_of_f32({x})"),
        _ => return Err(format!("casts between {from} and {to} need SHADER_INT64")),
    })
}

/// A unary operation on an i64 pair, if the renderer expresses it.
pub(super) fn unary(op: UnaryOp, x: &str) -> Option<String> {
    match op {
        UnaryOp::Neg => Some(format!("p_neg({x})")),
        UnaryOp::Invert => Some(format!("~{x}")),
        _ => None,
    }
}

/// A binary operation on two i64 pairs, if the renderer expresses it.
pub(super) fn binary(op: BinaryOp, x: &str, y: &str) -> Option<String> {
    use BinaryOp::*;
    Some(match op {
        Eq => format!("all({x} == {y})"),
        Ne => format!("any({x} != {y})"),
        Lt => format!("p_lt({x}, {y})"),
        Le => format!("!p_lt({y}, {x})"),
        Gt => format!("p_lt({y}, {x})"),
        Ge => format!("!p_lt({x}, {y})"),
        BitAnd => format!("({x} & {y})"),
        BitXor => format!("({x} ^ {y})"),
        BitOr => format!("({x} | {y})"),
        // As `interp`: counts outside 0..63 shift every bit out.
        Shl => format!("select(vec2<u32>(0u), p_shl({x}, {y}.x & 63u), p_count({y}))"),
        Shr => format!("select(p_shr({x}, 63u), p_shr({x}, {y}.x & 63u), p_count({y}))"),
        Minimum => format!("select({y}, {x}, p_lt({x}, {y}))"),
        Maximum => format!("select({y}, {x}, p_lt({y}, {x}))"),
        Add => format!("p_add({x}, {y})"),
        Sub => format!("p_sub({x}, {y})"),
        Mul => format!("p_mul({x}, {y})"),
        _ => return None,
    })
}

/// The identity of an i64 combine, as the CPU's accumulators start.
pub(super) fn identity(c: Combine) -> String {
    literal(match c {
        Combine::Sum => 0,
        Combine::Prod => 1,
        Combine::Min => i64::MAX,
        _ => i64::MIN,
    })
}

/// `fn combine(a, b)` of i64 pairs (wrapping, as the CPU's accumulators).
pub(super) fn combiner(c: Combine) -> &'static str {
    match c {
        Combine::Sum => {
            "fn combine(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> { return p_add(a, b); }\n"
        }
        Combine::Prod => {
            "fn combine(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> { return p_mul(a, b); }\n"
        }
        Combine::Min => {
            "fn combine(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> { return select(b, a, p_lt(a, b)); }\n"
        }
        _ => {
            "fn combine(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> { return select(b, a, p_lt(b, a)); }\n"
        }
    }
}

/// The library a shader holding i64 values needs (nothing where they are native).
pub(super) fn library(ints: Ints, holds_i64: bool) -> &'static str {
    if ints == Ints::Pairs && holds_i64 {
        PAIRS
    } else {
        ""
    }
}
