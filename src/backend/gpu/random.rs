//! Random draws in WGSL: Philox4x32-10 and `random`'s exact mappings for uniform f64 and
//! f32 and for integers, so a kernel draws on the GPU the numbers the CPU draws. Normals
//! (Box–Muller through libm's `ln`, `sin` and `cos`) are drawn on the CPU.

use crate::dtype::DType;
use crate::graph::Distribution;

/// Philox4x32-10 (multiply-high through u64) and the word pair of element `k` of the draw
/// whose seed and number are at `info[at..at + 4]` (u32 halves, low first).
pub(super) const PHILOX: &str = "fn philox(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
    var c = counter;
    var k = key;
    for (var round = 0u; round < 10u; round += 1u) {
        if (round > 0u) { k = vec2<u32>(k.x + 0x9E3779B9u, k.y + 0xBB67AE85u); }
        let p0 = u64(0xD2511F53u) * u64(c.x);
        let p1 = u64(0xCD9E8D57u) * u64(c.z);
        c = vec4<u32>(u32(p1 >> 32u) ^ c.y ^ k.x, u32(p1), u32(p0 >> 32u) ^ c.w ^ k.y, u32(p0));
    }
    return c;
}
fn draw_words(at: u32, k: u64) -> vec2<u32> {
    let j = k >> 1u;
    let x = philox(vec4<u32>(u32(j), u32(j >> 32u), bitcast<u32>(info[at + 2u]), bitcast<u32>(info[at + 3u])),
                   vec2<u32>(bitcast<u32>(info[at]), bitcast<u32>(info[at + 1u])));
    if ((k & 1lu) == 0lu) { return x.xy; }
    return x.zw;
}
fn mulhi64(a: u64, b: u64) -> u64 {
    let al = a & 0xfffffffflu;
    let ah = a >> 32u;
    let bl = b & 0xfffffffflu;
    let bh = b >> 32u;
    let ll = al * bl;
    let lh = al * bh;
    let hl = ah * bl;
    let hh = ah * bh;
    let mid = (ll >> 32u) + (lh & 0xfffffffflu) + (hl & 0xfffffffflu);
    return hh + (lh >> 32u) + (hl >> 32u) + (mid >> 32u);
}
";

/// The statement computing the word pair `words` of one draw's element at the i64 value
/// `counter` (seeds at `info[at..]`), and the element's expression.
pub(super) fn draw(
    dist: Distribution,
    dtype: DType,
    at: usize,
    counter: &str,
    words: &str,
) -> Result<(String, String), String> {
    let pair = format!("    let {words} = draw_words({at}u, bitcast<u64>({counter}));\n");
    let expr = match (dist, dtype) {
        // `hi · 2^21 + (lo >> 11)`, exact, times 2^-53.
        (Distribution::Uniform, DType::F64) => format!(
            "exact64(exact64(f64({words}.x) * 2097152.0lf) + f64({words}.y >> 11u)) * {}",
            super::wgsl::bits_f64(1.0 / (1u64 << 53) as f64)
        ),
        (Distribution::Uniform, DType::F32) => format!(
            "f32({words}.x >> 8u) * {}",
            super::wgsl::bits_f32(1.0 / (1u32 << 24) as f32)
        ),
        // Lemire's multiply-shift: lo + ((hi:lo) · (high - low)) >> 64, wrapping.
        (Distribution::Integers { lo, hi }, DType::I64) => format!(
            "{} + bitcast<i64>(mulhi64((u64({words}.x) << 32u) | u64({words}.y), {:#x}lu))",
            super::wgsl::bits_i64(lo),
            hi.wrapping_sub(lo) as u64
        ),
        _ => return Err("normal draws use libm (`ln`, `sin`, `cos`) on the CPU".into()),
    };
    Ok((pair, expr))
}
