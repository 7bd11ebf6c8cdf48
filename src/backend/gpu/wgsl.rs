//! The WGSL renderer: one kernel of the IR as a compute shader, read like the Cranelift
//! translator. Shapes, strides and offsets are not in the text: they are read from a small
//! `info` buffer ([`info`]), with the draws' seeds and numbers, so a loop whose arrays change
//! size or that draws without `seed=` reuses its pipelines. What a shader cannot compute
//! with the same bits as the CPU (libm calls, normal draws) is not rendered: [`render`] says
//! why, and the step runs on the CPU; `sin`/`cos` are rendered with a `status` flag for the
//! huge arguments that take libm's exact path.
//!
//! Device element types: f64 → `f64`, f32 → `f32`, i64 → `i64` (or two u32 words where
//! the adapter lacks `SHADER_INT64`: [`Ints`], `pairs`), bool → `u32` (0 or 1), c128 → two
//! `f64` (the IR reads and writes complex values as halves).
//!
//! Float semantics that differ from IEEE by default in WGSL are spelled out: `!=` is
//! `!(a == b)` (naga's `!=` is ordered, false for NaN), NaN tests look at the bits, and NaN
//! constants are bit patterns.

use super::ops::{Body, cast, constant};
use super::reduce::{combiner, identity};
use crate::dtype::DType;
use crate::fuse::tree::{BLOCK, LANES};
use crate::fuse::{Inst, Kernel, Output, Source};
use std::fmt::Write;

/// Invocations per workgroup.
pub(super) const WORKGROUP: u32 = 256;

/// A kernel rendered as a shader.
#[derive(Debug, Clone)]
pub(super) struct Rendered {
    /// The shader (store, or the first pass of a reduction: one partial per block lane).
    pub text: std::rc::Rc<str>,
    /// What the text depends on, hashed (`shaders::shader_key`): names its pipeline.
    pub key: u64,
    /// The plan buffer behind each input binding (binding `2 + n`), in order.
    pub buffers: Vec<usize>,
    /// Whether the shader has a `status` flag (the binding after the inputs), raised when an
    /// element needs libm's exact path: the kernel is then computed on the CPU instead.
    pub status: bool,
    /// The plan buffer the kernel reads through its output binding (updated in place).
    pub aliased: Option<usize>,
}

/// The iteration rank a shader is written for (at least 1: a 0-d kernel runs over `[1]`).
pub(super) fn rank(kernel: &Kernel) -> usize {
    kernel.dims.len().max(1)
}

/// How shaders hold i64 values: as WGSL's `i64` (the adapter has `SHADER_INT64`), or as
/// two u32 words, low first (`vec2<u32>`, the same bytes in a buffer; see `pairs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ints {
    /// `i64`.
    Native,
    /// `vec2<u32>`.
    Pairs,
}

impl Ints {
    /// The WGSL type of an i64 value.
    fn i64_type(self) -> &'static str {
        match self {
            Ints::Native => "i64",
            Ints::Pairs => "vec2<u32>",
        }
    }
}

/// The WGSL type of a body value of `dtype`.
pub(super) fn value_type(dtype: DType, ints: Ints) -> &'static str {
    match dtype {
        DType::Bool => "bool",
        DType::I64 => ints.i64_type(),
        DType::F32 => "f32",
        DType::F64 => "f64",
        DType::C128 => "vec2<f64>",
    }
}

/// The WGSL element type of a device buffer holding `dtype` elements (c128 as f64 halves).
pub(super) fn element_type(dtype: DType, ints: Ints) -> &'static str {
    match dtype {
        DType::Bool => "u32",
        DType::I64 => ints.i64_type(),
        DType::F32 => "f32",
        DType::F64 | DType::C128 => "f64",
    }
}

/// The `info` words of a kernel run (i32): element count, reduced row length and block
/// count, a zero, the iteration dims, then each input's and the output's offset and
/// strides, then each draw's seed and number. A reduction's first pass reads one word
/// more, its first block (see `bands`), which its caller pushes. `None` when a value does
/// not fit an i32 (the kernel then runs on the CPU).
pub(super) fn info(
    kernel: &Kernel,
    tasks: usize,
    rowlen: usize,
    blocks: usize,
) -> Option<Vec<i32>> {
    let r = rank(kernel);
    // Word 3 is always 0: `math`'s opaque zero.
    let mut words: Vec<i64> = vec![tasks as i64, rowlen as i64, blocks as i64, 0];
    let dims = if kernel.dims.is_empty() {
        vec![1]
    } else {
        kernel.dims.clone()
    };
    words.extend(dims.iter().map(|&d| d as i64));
    let mut affine = |offset: i64, strides: &[i64]| {
        words.push(offset);
        words.extend((0..r).map(|d| strides.get(d).copied().unwrap_or(0)));
    };
    for i in &kernel.inputs {
        affine(i.offset, &i.strides);
    }
    affine(kernel.out_offset, &kernel.out_strides);
    // Every address a run forms must fit too: the extremes of each affine map.
    let extent = |at: usize| -> i128 {
        (0..r)
            .map(|d| (dims[d] as i128 - 1).max(0) * (words[at + 1 + d] as i128).abs())
            .sum::<i128>()
            + (words[at] as i128).abs()
    };
    let first = 4 + r;
    let fits =
        (0..=kernel.inputs.len()).all(|n| extent(first + n * (r + 1)) < i32::MAX as i128 / 2);
    // Each draw's seed and draw number (resolved), as u32 halves.
    for v in &kernel.body {
        if let Inst::Random { seed, draw, .. } = v.inst {
            for half in [
                seed as u32,
                (seed >> 32) as u32,
                draw as u32,
                (draw >> 32) as u32,
            ] {
                words.push(i64::from(half as i32));
            }
        }
    }
    fits.then(|| {
        words
            .iter()
            .map(|&w| i32::try_from(w).ok())
            .collect::<Option<Vec<i32>>>()
    })
    .flatten()
}

/// Why a kernel is not rendered (it runs on the CPU), as `explain` prints it.
pub(super) type Unsupported = String;

/// Renders `kernel` with i64 values held as `ints`. `aliased`: the plan buffer the kernel
/// writes in place (its reads of that buffer go through the output binding, as one buffer
/// cannot be bound twice).
pub(super) fn render(
    kernel: &Kernel,
    aliased: Option<usize>,
    ints: Ints,
) -> Result<Rendered, Unsupported> {
    let r = rank(kernel);
    let mut buffers: Vec<usize> = vec![];
    let mut binding_of = vec![String::new(); kernel.inputs.len()];
    let mut decls = String::new();
    for (n, input) in kernel.inputs.iter().enumerate() {
        let Source::Buffer(b) = input.source else {
            continue;
        };
        if Some(b) == aliased {
            binding_of[n] = "out".into();
            continue;
        }
        let k = match buffers.iter().position(|&x| x == b) {
            Some(k) => k,
            None => {
                buffers.push(b);
                let k = buffers.len() - 1;
                let _ = writeln!(
                    decls,
                    "@group(0) @binding({}) var<storage, read> b{k}: array<{}>;",
                    k + 2,
                    element_type(input.dtype, ints)
                );
                k
            }
        };
        binding_of[n] = format!("b{k}");
    }
    let out_dtype = match kernel.output {
        Output::Store(_) => kernel.result_dtype(),
        // Partials of the accumulator type.
        Output::Reduce { .. } => kernel.result_dtype(),
    };
    let mut s = String::new();
    let _ = writeln!(
        s,
        "@group(0) @binding(0) var<storage, read> info: array<i32>;"
    );
    let _ = writeln!(
        s,
        "@group(0) @binding(1) var<storage, read_write> out: array<{}>;",
        element_type(out_dtype, ints)
    );
    s.push_str(&decls);
    let prelude_at = s.len();
    s.push_str(&prelude(f64_dtype(kernel).is_some()));
    s.push_str(super::pairs::library(ints, holds_i64(kernel)));
    let _ = writeln!(s, "const R: u32 = {r}u;");
    s.push_str(COORDS);
    if kernel
        .body
        .iter()
        .any(|v| matches!(v.inst, Inst::Random { .. }))
    {
        s.push_str(&super::random::philox(ints));
    }
    // The body: one function from a linear position to the value stored or reduced.
    let result = kernel.output.value();
    let _ = writeln!(
        s,
        "fn element(g: u32) -> {} {{",
        value_type(kernel.body[result].dtype, ints)
    );
    s.push_str("    let c = coords(g);\n");
    for (n, input) in kernel.inputs.iter().enumerate() {
        let _ = writeln!(s, "    let a{n} = address(c, {}u);", 4 + r + n * (r + 1));
        let _ = input;
    }
    // Draws' seeds and numbers follow the output's affine map in `info`.
    let draws_at = 4 + r + (kernel.inputs.len() + 1) * (r + 1);
    let mut draws = 0;
    let mut body = Body {
        text: String::new(),
        temps: 0,
        flags: false,
        ints,
    };
    for (n, v) in kernel.body.iter().enumerate() {
        let expr = match &v.inst {
            Inst::Load(k) => {
                let input = &kernel.inputs[*k];
                match input.source {
                    Source::Counter if ints == Ints::Pairs => format!("p_of_i32(a{k})"),
                    Source::Counter => format!("i64(a{k})"),
                    Source::Buffer(_) if input.dtype == DType::Bool => {
                        format!("{}[a{k}] != 0u", binding_of[*k])
                    }
                    Source::Buffer(_) => format!("{}[a{k}]", binding_of[*k]),
                }
            }
            Inst::Const(c) => constant(*c, ints)?,
            Inst::Cast(a) => cast(&format!("v{a}"), kernel.body[*a].dtype, v.dtype, ints)?,
            Inst::Unary(op, a) => body.unary(*op, *a, kernel.body[*a].dtype)?,
            Inst::Binary(op, a, b) => body.binary(*op, *a, *b, kernel.body[*a].dtype)?,
            Inst::Select(c, a, e) => format!("select(v{e}, v{a}, v{c})"),
            Inst::Complex(re, im) => format!("vec2<f64>(v{re}, v{im})"),
            Inst::Random { dist, counter, .. } => {
                let at = draws_at + 4 * draws;
                draws += 1;
                let words = format!("w{n}");
                let (pair, expr) =
                    super::random::draw(*dist, v.dtype, at, &format!("v{counter}"), &words, ints)?;
                body.text.push_str(&pair);
                expr
            }
        };
        s.push_str(&body.text);
        body.text.clear();
        let _ = writeln!(s, "    let v{n}: {} = {expr};", value_type(v.dtype, ints));
    }
    let _ = writeln!(s, "    return v{result};\n}}");
    let out_at = 4 + r + kernel.inputs.len() * (r + 1);
    match kernel.output {
        Output::Store(_) => {
            let store = match kernel.result_dtype() {
                DType::Bool => "out[o] = select(0u, 1u, v);".to_string(),
                DType::C128 => "out[2 * o] = v.x;\n    out[2 * o + 1] = v.y;".to_string(),
                _ => "out[o] = v;".to_string(),
            };
            let _ = write!(
                s,
                "{MAIN}    if (g >= u32(info[0])) {{ return; }}\n    let v = element(g);\n    \
                 let o = address(coords(g), {out_at}u);\n    {store}\n}}\n"
            );
        }
        Output::Reduce { combine, value, .. } => {
            let dtype = kernel.body[value].dtype;
            let (identity, op) = (
                identity(combine, dtype, ints),
                combiner(combine, dtype, ints),
            );
            let store = if dtype == DType::Bool {
                "select(0u, 1u, acc)"
            } else {
                "acc"
            };
            s.push_str(op);
            let _ = write!(
                s,
                "{MAIN}    if (g >= u32(info[0])) {{ return; }}
    let lane = g % {LANES}u;
    let blocks = u32(info[2]);
    let block = (g / {LANES}u) % blocks + u32(info[{first}u]);
    let row = g / {LANES}u / blocks;
    let rowlen = u32(info[1]);
    var acc: {ty} = {identity};
    let end = min(block * {BLOCK}u + {BLOCK}u, rowlen);
    for (var e = block * {BLOCK}u + lane; e < end; e += {LANES}u) {{
        acc = combine(acc, element(row * rowlen + e));
    }}
    out[g] = {store};
}}
",
                ty = value_type(dtype, ints),
                first = draws_at + 4 * draws,
            );
        }
    }
    if body.flags {
        let status = format!(
            "@group(0) @binding({}) var<storage, read_write> status: array<atomic<u32>>;\n",
            buffers.len() + 2
        );
        s.insert_str(prelude_at, &status);
    }
    Ok(Rendered {
        text: s.into(),
        key: super::shaders::shader_key(kernel, aliased),
        buffers,
        status: body.flags,
        aliased,
    })
}

/// The entry point's opening: `g` is the invocation's linear index.
pub(super) const MAIN: &str = "@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let g = (wid.y * nwg.x + wid.x) * 256u + lid;
";

/// Helpers every shader has: NaN tests on the bits, the canonical NaNs, and `exact64`/
/// `exact32`, which pass a float through an xor with a run-time zero (`info[3]`): every
/// `+ - *` result goes through them, so no shader compiler contracts a product into an
/// FMA or reassociates a sum (both change bits; WGSL has no way to forbid them).
/// `opaque64`/`opaque32` add the zero instead (for constants and `math`'s barrier: two
/// xors with it would cancel). The f64 ones only where the shader uses f64 (`wide`): an
/// adapter without 64-bit types refuses a module that mentions them.
pub(super) fn prelude(wide: bool) -> String {
    let narrow =
        "fn exact32(v: f32) -> f32 { return bitcast<f32>(bitcast<u32>(v) ^ u32(info[3])); }
fn opaque32(v: f32) -> f32 { return bitcast<f32>(bitcast<u32>(v) + u32(info[3])); }
fn isnan32(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn nan32() -> f32 { return bitcast<f32>(0x7fc00000u); }
";
    let wide_helpers = "fn exact64(v: f64) -> f64 { return bitcast<f64>(bitcast<u64>(v) ^ u64(u32(info[3]))); }
fn opaque64(v: f64) -> f64 { return bitcast<f64>(bitcast<u64>(v) + u64(u32(info[3]))); }
fn isnan64(x: f64) -> bool { return (bitcast<u64>(x) & 0x7ffffffffffffffflu) > 0x7ff0000000000000lu; }
fn nan64() -> f64 { return bitcast<f64>(0x7ff8000000000000lu); }
";
    if wide {
        format!("{wide_helpers}{narrow}")
    } else {
        narrow.to_string()
    }
}

/// The first 64-bit float dtype a kernel reads or computes, if any: its shader needs
/// `SHADER_F64`, and `SHADER_INT64` too (the f64 helpers and `math`'s decompositions work
/// on the bits as u64/i64).
pub(super) fn f64_dtype(kernel: &Kernel) -> Option<DType> {
    let dtypes = (kernel.inputs.iter().map(|i| i.dtype)).chain(kernel.body.iter().map(|v| v.dtype));
    dtypes
        .into_iter()
        .find(|d| matches!(d, DType::F64 | DType::C128))
}

/// Whether a kernel's shader holds an i64 value: it reads, computes or reduces one, counts
/// positions or draws random numbers (their counters are i64).
fn holds_i64(kernel: &Kernel) -> bool {
    kernel.inputs.iter().any(|i| i.source == Source::Counter)
        || kernel.body.iter().any(|v| v.dtype == DType::I64)
        || kernel.inputs.iter().any(|i| i.dtype == DType::I64)
        || (kernel.body.iter()).any(|v| matches!(v.inst, Inst::Random { .. }))
}

/// Coordinates of a linear position (row-major over the `R` dims in `info[3..]`) and the
/// address an affine map (offset, strides at `info[at..]`) gives them.
const COORDS: &str = "fn coords(g: u32) -> array<i32, R> {
    var c: array<i32, R>;
    var rem = g;
    for (var d = R; d > 1u; d -= 1u) {
        let n = u32(info[3u + d]);
        c[d - 1u] = i32(rem % n);
        rem = rem / n;
    }
    c[0] = i32(rem);
    return c;
}
fn address(c: array<i32, R>, at: u32) -> i32 {
    var a = info[at];
    for (var d = 0u; d < R; d += 1u) { a += c[d] * info[at + 1u + d]; }
    return a;
}
";
