//! Reductions in WGSL: the identities and combines of the CPU's accumulators, and the
//! second pass that combines a row's block partials in the fixed tree of `fuse::tree`.

use super::ops::{bits_f32, bits_f64, bits_i64};
use super::wgsl::{Ints, MAIN, element_type, value_type};
use crate::diag::Result;
use crate::dtype::DType;
use crate::fuse::tree::{BLOCK, LANES};
use crate::fuse::{Combine, Kernel, Output};

/// The shape of a reduction kernel's work: `rows` results, each over `rowlen` elements in
/// `blocks` blocks of the fixed tree (an all-axes reduction is one row of every element).
pub(super) struct Reduction {
    pub rows: usize,
    pub rowlen: usize,
    pub blocks: usize,
    /// The body value reduced.
    pub value: usize,
    pub combine: Combine,
    /// Whether the result is divided by the row length (a mean).
    pub divide: bool,
}

impl Reduction {
    /// The reduction `kernel` computes (an error for a store).
    pub(super) fn of(kernel: &Kernel) -> Result<Reduction> {
        let Output::Reduce {
            combine,
            value,
            axis,
            divide,
        } = kernel.output
        else {
            return Err(super::internal("a store run as a reduction"));
        };
        let total: usize = kernel.dims.iter().product();
        let rowlen = if axis {
            kernel.dims.last().copied().unwrap_or(1)
        } else {
            total
        };
        let rows = match (axis, rowlen) {
            (true, 0) => kernel.dims[..kernel.dims.len() - 1].iter().product(),
            (true, _) => total / rowlen,
            (false, _) => 1,
        };
        Ok(Reduction {
            rows,
            rowlen,
            blocks: rowlen.div_ceil(BLOCK),
            value,
            combine,
            divide,
        })
    }
}

/// The second pass of a reduction: per output row, the lanes of each block and then the
/// blocks pairwise, in the fixed tree of `fuse::tree` (an explicit stack stands in for its
/// recursion), divided by the row length for a mean. `info` is `[rows, rowlen, blocks, 0]`;
/// binding 2 holds the first pass's partials; i64 values are held as `ints`.
pub(super) fn render_finish(combine: Combine, dtype: DType, divide: bool, ints: Ints) -> String {
    let ty = value_type(dtype, ints);
    let elem = element_type(dtype, ints);
    let (load, store) = if dtype == DType::Bool {
        ("p[i] != 0u", "select(0u, 1u, r)")
    } else {
        ("p[i]", "r")
    };
    let divide = if divide {
        format!("r = r / {ty}(rowlen);\n    ")
    } else {
        String::new()
    };
    let prelude = super::wgsl::prelude(matches!(dtype, DType::F64 | DType::C128))
        + super::pairs::library(ints, dtype == DType::I64);
    format!(
        "@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<{elem}>;
@group(0) @binding(2) var<storage, read> p: array<{elem}>;
{prelude}{op}
fn partial(i: u32) -> {ty} {{ return {load}; }}
fn block(row: u32, blocks: u32, b: u32) -> {ty} {{
    let i = (row * blocks + b) * {LANES}u;
    return combine(combine(partial(i), partial(i + 1u)), combine(partial(i + 2u), partial(i + 3u)));
}}
{MAIN}    let rows = u32(info[0]);
    if (g >= rows) {{ return; }}
    let rowlen = u32(info[1]);
    let blocks = u32(info[2]);
    var r: {ty} = {identity};
    if (blocks > 0u) {{
        // t(lo, hi) = t(lo, mid) ∘ t(mid, hi), mid = lo + (hi - lo) / 2, evaluated in
        // post-order: `state` 0 = split left next, 1 = right next, 2 = combine.
        var lo: array<u32, 64>;
        var hi: array<u32, 64>;
        var state: array<u32, 64>;
        var vals: array<{ty}, 64>;
        var sp = 1u;
        var vp = 0u;
        lo[0] = 0u;
        hi[0] = blocks;
        state[0] = 0u;
        loop {{
            if (sp == 0u) {{ break; }}
            let t = sp - 1u;
            let l = lo[t];
            let h = hi[t];
            if (h - l == 1u) {{
                vals[vp] = block(g, blocks, l);
                vp += 1u;
                sp -= 1u;
                continue;
            }}
            let mid = l + (h - l) / 2u;
            if (state[t] == 0u) {{
                state[t] = 1u;
                lo[sp] = l; hi[sp] = mid; state[sp] = 0u; sp += 1u;
            }} else if (state[t] == 1u) {{
                state[t] = 2u;
                lo[sp] = mid; hi[sp] = h; state[sp] = 0u; sp += 1u;
            }} else {{
                vals[vp - 2u] = combine(vals[vp - 2u], vals[vp - 1u]);
                vp -= 1u;
                sp -= 1u;
            }}
        }}
        r = vals[0];
    }}
    {divide}out[g] = {store};
}}
",
        op = combiner(combine, dtype, ints),
        identity = identity(combine, dtype, ints),
    )
}

/// The identity of a combine, as the CPU's accumulators start.
pub(super) fn identity(c: Combine, dtype: DType, ints: Ints) -> String {
    match (dtype, c) {
        (DType::I64, c) if ints == Ints::Pairs => super::pairs::identity(c),
        (DType::Bool, Combine::All | Combine::Min) => "true".into(),
        (DType::Bool, _) => "false".into(),
        (DType::I64, Combine::Sum) => "0li".into(),
        (DType::I64, Combine::Prod) => "1li".into(),
        (DType::I64, Combine::Min) => bits_i64(i64::MAX),
        (DType::I64, _) => bits_i64(i64::MIN),
        (DType::F32, c) => bits_f32(match c {
            Combine::Sum => 0.0,
            Combine::Prod => 1.0,
            Combine::Min => f32::INFINITY,
            _ => f32::NEG_INFINITY,
        }),
        (_, c) => bits_f64(match c {
            Combine::Sum => 0.0,
            Combine::Prod => 1.0,
            Combine::Min => f64::INFINITY,
            _ => f64::NEG_INFINITY,
        }),
    }
}

/// `fn combine(a, b)`: the CPU accumulators' combine (floats: IEEE minimum/maximum, NaN
/// wins and -0 < +0; integers wrap).
pub(super) fn combiner(c: Combine, dtype: DType, ints: Ints) -> &'static str {
    use Combine::*;
    match (dtype, c) {
        (DType::I64, c) if ints == Ints::Pairs => super::pairs::combiner(c),
        (DType::Bool, All | Min) => "fn combine(a: bool, b: bool) -> bool { return a && b; }\n",
        (DType::Bool, _) => "fn combine(a: bool, b: bool) -> bool { return a || b; }\n",
        (DType::I64, Sum) => "fn combine(a: i64, b: i64) -> i64 { return a + b; }\n",
        (DType::I64, Prod) => "fn combine(a: i64, b: i64) -> i64 { return a * b; }\n",
        (DType::I64, Min) => "fn combine(a: i64, b: i64) -> i64 { return min(a, b); }\n",
        (DType::I64, _) => "fn combine(a: i64, b: i64) -> i64 { return max(a, b); }\n",
        (DType::F32, Sum) => "fn combine(a: f32, b: f32) -> f32 { return exact32(a + b); }\n",
        (DType::F32, Prod) => "fn combine(a: f32, b: f32) -> f32 { return exact32(a * b); }\n",
        (DType::F32, Min) => {
            "fn combine(a: f32, b: f32) -> f32 {
    if (isnan32(a) || isnan32(b)) { return nan32(); }
    if (!(a == b)) { return select(b, a, a < b); }
    return select(b, a, (bitcast<u32>(a) >> 31u) == 1u);
}
"
        }
        (DType::F32, _) => {
            "fn combine(a: f32, b: f32) -> f32 {
    if (isnan32(a) || isnan32(b)) { return nan32(); }
    if (!(a == b)) { return select(b, a, a > b); }
    return select(b, a, (bitcast<u32>(a) >> 31u) == 0u);
}
"
        }
        (_, Sum) => "fn combine(a: f64, b: f64) -> f64 { return exact64(a + b); }\n",
        (_, Prod) => "fn combine(a: f64, b: f64) -> f64 { return exact64(a * b); }\n",
        (_, Min) => {
            "fn combine(a: f64, b: f64) -> f64 {
    if (isnan64(a) || isnan64(b)) { return nan64(); }
    if (!(a == b)) { return select(b, a, a < b); }
    return select(b, a, (bitcast<u64>(a) >> 63u) == 1lu);
}
"
        }
        (_, _) => {
            "fn combine(a: f64, b: f64) -> f64 {
    if (isnan64(a) || isnan64(b)) { return nan64(); }
    if (!(a == b)) { return select(b, a, a > b); }
    return select(b, a, (bitcast<u64>(a) >> 63u) == 0lu);
}
"
        }
    }
}
