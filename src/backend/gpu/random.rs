//! Random draws in WGSL: Philox4x32-10 and `random`'s exact mappings for uniform f64 and
//! f32 and for integers, so a kernel draws on the GPU the numbers the CPU draws. Normals
//! (Box–Muller through libm's `ln`, `sin` and `cos`) are drawn on the CPU.

use super::wgsl::Ints;
use crate::dtype::DType;
use crate::graph::Distribution;

/// Philox4x32-10 and the word pair of element `k` of the draw whose seed and number are at
/// `info[at..at + 4]` (u32 halves, low first): the round's 32×32 → 64-bit products through
/// u64, or through `pairs`'s `p_mul32` where i64 values are u32 pairs (which then also
/// provides `p_mulhi` for the integer mapping).
pub(super) fn philox(ints: Ints) -> String {
    let (products, counter, word, odd) = match ints {
        Ints::Native => (
            "let p0 = u64(0xD2511F53u) * u64(c.x);
        let p1 = u64(0xCD9E8D57u) * u64(c.z);
        c = vec4<u32>(u32(p1 >> 32u) ^ c.y ^ k.x, u32(p1), u32(p0 >> 32u) ^ c.w ^ k.y, u32(p0));",
            "u64",
            "let j = k >> 1u;
    let lo = u32(j);
    let hi = u32(j >> 32u);",
            "(k & 1lu) == 0lu",
        ),
        Ints::Pairs => (
            "let p0 = p_mul32(0xD2511F53u, c.x);
        let p1 = p_mul32(0xCD9E8D57u, c.z);
        c = vec4<u32>(p1.y ^ c.y ^ k.x, p1.x, p0.y ^ c.w ^ k.y, p0.x);",
            "vec2<u32>",
            "let lo = (k.x >> 1u) | (k.y << 31u);
    let hi = k.y >> 1u;",
            "(k.x & 1u) == 0u",
        ),
    };
    let mulhi = match ints {
        Ints::Native => MULHI64,
        Ints::Pairs => "",
    };
    format!(
        "fn philox(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {{
    var c = counter;
    var k = key;
    for (var round = 0u; round < 10u; round += 1u) {{
        if (round > 0u) {{ k = vec2<u32>(k.x + 0x9E3779B9u, k.y + 0xBB67AE85u); }}
        {products}
    }}
    return c;
}}
fn draw_words(at: u32, k: {counter}) -> vec2<u32> {{
    {word}
    let x = philox(vec4<u32>(lo, hi, bitcast<u32>(info[at + 2u]), bitcast<u32>(info[at + 3u])),
                   vec2<u32>(bitcast<u32>(info[at]), bitcast<u32>(info[at + 1u])));
    if ({odd}) {{ return x.xy; }}
    return x.zw;
}}
{mulhi}"
    )
}

/// The high 64 bits of a u64 product, through 32-bit halves.
const MULHI64: &str = "fn mulhi64(a: u64, b: u64) -> u64 {
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
/// `counter` (seeds at `info[at..]`), and the element's expression; i64 values are held as
/// `ints`.
pub(super) fn draw(
    dist: Distribution,
    dtype: DType,
    at: usize,
    counter: &str,
    words: &str,
    ints: Ints,
) -> Result<(String, String), String> {
    let k = match ints {
        Ints::Native => format!("bitcast<u64>({counter})"),
        Ints::Pairs => counter.to_string(),
    };
    let pair = format!("    let {words} = draw_words({at}u, {k});\n");
    let expr = match (dist, dtype) {
        // `hi · 2^21 + (lo >> 11)`, exact, times 2^-53.
        (Distribution::Uniform, DType::F64) => format!(
            "exact64(exact64(f64({words}.x) * 2097152.0lf) + f64({words}.y >> 11u)) * {}",
            super::ops::bits_f64(1.0 / (1u64 << 53) as f64)
        ),
        (Distribution::Uniform, DType::F32) => format!(
            "f32({words}.x >> 8u) * {}",
            super::ops::bits_f32(1.0 / (1u32 << 24) as f32)
        ),
        // Lemire's multiply-shift: lo + ((hi:lo) · (high - low)) >> 64, wrapping.
        (Distribution::Integers { lo, hi }, DType::I64) if ints == Ints::Pairs => format!(
            "p_add({}, p_mulhi(vec2<u32>({words}.y, {words}.x), {}))",
            super::pairs::literal(lo),
            super::pairs::literal(hi.wrapping_sub(lo)),
        ),
        (Distribution::Integers { lo, hi }, DType::I64) => format!(
            "{} + bitcast<i64>(mulhi64((u64({words}.x) << 32u) | u64({words}.y), {:#x}lu))",
            super::ops::bits_i64(lo),
            hi.wrapping_sub(lo) as u64
        ),
        _ => return Err("normal draws use libm (`ln`, `sin`, `cos`) on the CPU".into()),
    };
    Ok((pair, expr))
}
