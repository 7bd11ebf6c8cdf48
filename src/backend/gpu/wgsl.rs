//! The WGSL renderer: one kernel of the IR as a compute shader, read like the Cranelift
//! translator. Shapes, strides and offsets are not in the text: they are read from a small
//! `info` buffer ([`info`]), with the draws' seeds and numbers, so a loop whose arrays change
//! size or that draws without `seed=` reuses its pipelines. What a shader cannot compute
//! with the same bits as the CPU (libm calls, normal draws) is not rendered: [`render`] says
//! why, and the step runs on the CPU; `sin`/`cos` are rendered with a `status` flag for the
//! huge arguments that take libm's exact path.
//!
//! Device element types: f64 → `f64`, f32 → `f32`, i64 → `i64`, bool → `u32` (0 or 1),
//! c128 → two `f64` (the IR reads and writes complex values as halves).
//!
//! Float semantics that differ from IEEE by default in WGSL are spelled out: `!=` is
//! `!(a == b)` (naga's `!=` is ordered, false for NaN), NaN tests look at the bits, and NaN
//! constants are bit patterns.

use super::reduce::{combiner, identity};
use crate::dtype::DType;
use crate::fuse::tree::{BLOCK, LANES};
use crate::fuse::{Inst, Kernel, Output, Source};
use crate::graph::{BinaryOp, UnaryOp};
use crate::runtime::Scalar;
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

/// The WGSL type of a body value of `dtype`.
pub(super) fn value_type(dtype: DType) -> &'static str {
    match dtype {
        DType::Bool => "bool",
        DType::I64 => "i64",
        DType::F32 => "f32",
        DType::F64 => "f64",
        DType::C128 => "vec2<f64>",
    }
}

/// The WGSL element type of a device buffer holding `dtype` elements (c128 as f64 halves).
pub(super) fn element_type(dtype: DType) -> &'static str {
    match dtype {
        DType::Bool => "u32",
        DType::I64 => "i64",
        DType::F32 => "f32",
        DType::F64 | DType::C128 => "f64",
    }
}

/// The `info` words of a kernel run (i32): element count, reduced row length and block
/// count, a zero, the iteration dims, then each input's and the output's offset and strides. `None`
/// when a value does not fit an i32 (the kernel then runs on the CPU).
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

/// Renders `kernel`. `aliased`: the plan buffer the kernel writes in place (its reads of
/// that buffer go through the output binding, as one buffer cannot be bound twice).
pub(super) fn render(kernel: &Kernel, aliased: Option<usize>) -> Result<Rendered, Unsupported> {
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
                    element_type(input.dtype)
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
        element_type(out_dtype)
    );
    s.push_str(&decls);
    let prelude_at = s.len();
    s.push_str(&prelude(wide_dtype(kernel).is_some()));
    let _ = writeln!(s, "const R: u32 = {r}u;");
    s.push_str(COORDS);
    if kernel
        .body
        .iter()
        .any(|v| matches!(v.inst, Inst::Random { .. }))
    {
        s.push_str(super::random::PHILOX);
    }
    // The body: one function from a linear position to the value stored or reduced.
    let result = kernel.output.value();
    let _ = writeln!(
        s,
        "fn element(g: u32) -> {} {{",
        value_type(kernel.body[result].dtype)
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
    };
    for (n, v) in kernel.body.iter().enumerate() {
        let expr = match &v.inst {
            Inst::Load(k) => {
                let input = &kernel.inputs[*k];
                match input.source {
                    Source::Counter => format!("i64(a{k})"),
                    Source::Buffer(_) if input.dtype == DType::Bool => {
                        format!("{}[a{k}] != 0u", binding_of[*k])
                    }
                    Source::Buffer(_) => format!("{}[a{k}]", binding_of[*k]),
                }
            }
            Inst::Const(c) => constant(*c)?,
            Inst::Cast(a) => cast(&format!("v{a}"), kernel.body[*a].dtype, v.dtype)?,
            Inst::Unary(op, a) => body.unary(*op, *a, kernel.body[*a].dtype)?,
            Inst::Binary(op, a, b) => body.binary(*op, *a, *b, kernel.body[*a].dtype)?,
            Inst::Select(c, a, e) => format!("select(v{e}, v{a}, v{c})"),
            Inst::Complex(re, im) => format!("vec2<f64>(v{re}, v{im})"),
            Inst::Random { dist, counter, .. } => {
                let at = draws_at + 4 * draws;
                draws += 1;
                let words = format!("w{n}");
                let (pair, expr) =
                    super::random::draw(*dist, v.dtype, at, &format!("v{counter}"), &words)?;
                body.text.push_str(&pair);
                expr
            }
        };
        s.push_str(&body.text);
        body.text.clear();
        let _ = writeln!(s, "    let v{n}: {} = {expr};", value_type(v.dtype));
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
            let (identity, op) = (identity(combine, dtype), combiner(combine, dtype));
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
    let block = (g / {LANES}u) % blocks;
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
                ty = value_type(dtype),
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
/// xors with it would cancel). The 64-bit ones only where the shader uses 64-bit types
/// (`wide`): an adapter without them refuses a module that mentions them.
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

/// The first 64-bit dtype a kernel reads or computes, if any (i64 too where it counts
/// positions or draws random numbers, which use 64-bit counters): its shader needs
/// `SHADER_F64`/`SHADER_INT64`.
pub(super) fn wide_dtype(kernel: &Kernel) -> Option<DType> {
    let counts = kernel.inputs.iter().any(|i| i.source == Source::Counter)
        || (kernel.body.iter()).any(|v| matches!(v.inst, Inst::Random { .. }));
    let dtypes = (kernel.inputs.iter().map(|i| i.dtype)).chain(kernel.body.iter().map(|v| v.dtype));
    dtypes
        .chain(counts.then_some(DType::I64))
        .find(|d| matches!(d, DType::F64 | DType::C128 | DType::I64))
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

pub(super) fn bits_f64(x: f64) -> String {
    format!("bitcast<f64>({:#x}lu)", x.to_bits())
}

pub(super) fn bits_f32(x: f32) -> String {
    format!("bitcast<f32>({:#x}u)", x.to_bits())
}

pub(super) fn bits_i64(x: i64) -> String {
    format!("bitcast<i64>({:#x}lu)", x as u64)
}

/// A constant, exactly (floats and i64 by their bits), hidden from the shader compiler
/// (`opaque`, or adding the run-time zero): knowing a float constant, it folds `x * 0.0` to
/// 0 and `x + 0.0` to `x`, which IEEE does not (NaN, infinities, -0); knowing an i64 one,
/// Mesa's llvmpipe got `i > 4` wrong (true for every `i`; found by the UI scripts on gpu).
fn constant(c: Scalar) -> Result<String, Unsupported> {
    Ok(match c {
        Scalar::Bool(b) => format!("(info[3] {} 0)", if b { "==" } else { "!=" }),
        Scalar::I64(x) => format!("({} + i64(info[3]))", bits_i64(x)),
        Scalar::F32(x) => format!("opaque32({})", bits_f32(x)),
        Scalar::F64(x) => format!("opaque64({})", bits_f64(x)),
        Scalar::C128(_) => return Err("complex constants are split into halves".into()),
    })
}

/// `Array::cast` of one value (NumPy's rules on x86: NaN and out-of-range floats give
/// i64::MIN).
fn cast(x: &str, from: DType, to: DType) -> Result<String, Unsupported> {
    use DType::*;
    Ok(match (from, to) {
        _ if from == to => x.to_string(),
        (Bool, I64) => format!("select(0li, 1li, {x})"),
        (Bool, F32) => format!("select(0.0f, 1.0f, {x})"),
        (Bool, F64) => format!("select(0.0lf, 1.0lf, {x})"),
        (I64, F32) => format!("f32({x})"),
        (I64 | F32, F64) => format!("f64({x})"),
        (F64, F32) => format!("f32({x})"),
        (F32 | F64, I64) => {
            let wide = if from == F32 {
                format!("f64({x})")
            } else {
                x.to_string()
            };
            format!(
                "select({}, i64({wide}), {wide} >= {} && {wide} < {})",
                bits_i64(i64::MIN),
                bits_f64(-9.223_372_036_854_776e18),
                bits_f64(9.223_372_036_854_776e18)
            )
        }
        (I64, Bool) => format!("{x} != 0li"),
        (F32, Bool) => format!("!({x} == 0.0f)"),
        (F64, Bool) => format!("!({x} == 0.0lf)"),
        _ => return Err("complex casts are computed on the CPU".into()),
    })
}

/// The text of a body being rendered: temporaries of the decomposed functions go before the
/// value that uses them.
pub(super) struct Body {
    pub(super) text: String,
    pub(super) temps: u32,
    /// Set when a decomposition raises the `status` flag (libm's exact path).
    pub(super) flags: bool,
}

impl Body {
    fn unary(&mut self, op: UnaryOp, a: usize, dtype: DType) -> Result<String, Unsupported> {
        use UnaryOp::*;
        let x = format!("v{a}");
        let float = matches!(dtype, DType::F64 | DType::F32);
        let (bits, mask, inf) = if dtype == DType::F64 {
            (
                "bitcast<u64>",
                "0x7fffffffffffffffu",
                "0x7ff0000000000000lu",
            )
        } else {
            ("bitcast<u32>", "0x7fffffffu", "0x7f800000u")
        };
        let mask = if dtype == DType::F64 {
            format!("{mask}l")
        } else {
            mask.to_string()
        };
        Ok(match (dtype, op) {
            (DType::Bool, Not) => format!("!{x}"),
            (DType::F64, IsNan) => format!("isnan64({x})"),
            (DType::F32, IsNan) => format!("isnan32({x})"),
            (_, IsInf) if float => format!("({bits}({x}) & {mask}) == {inf}"),
            (_, IsFinite) if float => format!("({bits}({x}) & {mask}) < {inf}"),
            (_, Neg) if float => format!("-{x}"),
            (_, Abs) if float => format!("abs({x})"),
            (_, Sqrt) if float => format!("sqrt({x})"),
            (_, Floor) if float => format!("floor({x})"),
            (_, Ceil) if float => format!("ceil({x})"),
            (_, Trunc) if float => format!("trunc({x})"),
            (_, Round) if float => format!("round({x})"),
            (_, Real | Conj) if float => x,
            (DType::F64, op) if crate::fuse::math::decomposed(op) => {
                self.math(|o, v| crate::fuse::math::unary(o, op, v), &x)
            }
            (DType::I64, Neg) => format!("-{x}"),
            (DType::I64, Invert) => format!("~{x}"),
            _ => return Err(format!("`{}` of {dtype} calls libm", op.name())),
        })
    }

    fn binary(
        &mut self,
        op: BinaryOp,
        a: usize,
        b: usize,
        dtype: DType,
    ) -> Result<String, Unsupported> {
        use BinaryOp::*;
        let (x, y) = (format!("v{a}"), format!("v{b}"));
        let float = matches!(dtype, DType::F64 | DType::F32);
        let isnan = if dtype == DType::F64 {
            "isnan64"
        } else {
            "isnan32"
        };
        let nan = if dtype == DType::F64 {
            "nan64()"
        } else {
            "nan32()"
        };
        let exact = if dtype == DType::F64 {
            "exact64"
        } else {
            "exact32"
        };
        // Bools compare as 0 and 1.
        let (cx, cy) = if dtype == DType::Bool {
            (format!("u32({x})"), format!("u32({y})"))
        } else {
            (x.clone(), y.clone())
        };
        Ok(match (dtype, op) {
            (_, Eq) => format!("{cx} == {cy}"),
            (_, Ne) => format!("!({cx} == {cy})"),
            (_, Lt) => format!("{cx} < {cy}"),
            (_, Le) => format!("{cx} <= {cy}"),
            (_, Gt) => format!("{cx} > {cy}"),
            (_, Ge) => format!("{cx} >= {cy}"),
            (DType::Bool, BitAnd | And | Minimum) => format!("{x} && {y}"),
            (DType::Bool, BitXor) => format!("{x} != {y}"),
            (DType::Bool, _) => format!("{x} || {y}"),
            (DType::I64, BitAnd) => format!("{x} & {y}"),
            (DType::I64, BitXor) => format!("{x} ^ {y}"),
            (DType::I64, BitOr) => format!("{x} | {y}"),
            // As `interp`: counts outside 0..63 shift every bit out.
            (DType::I64, Shl) => {
                format!("select(0li, {x} << u32({y} & 63li), bitcast<u64>({y}) < 64lu)")
            }
            (DType::I64, Shr) => {
                format!("select({x} >> 63u, {x} >> u32({y} & 63li), bitcast<u64>({y}) < 64lu)")
            }
            (_, Add) if float => format!("{exact}({x} + {y})"),
            (_, Sub) if float => format!("{exact}({x} - {y})"),
            (_, Mul) if float => format!("{exact}({x} * {y})"),
            (_, Div) if float => format!("{x} / {y}"),
            (DType::F64, op) if crate::fuse::math::decomposed_binary(op) => {
                let (tx, ty) = (self.temp(&x), self.temp(&y));
                let mut e = super::math::Emit::new(self);
                let h = crate::fuse::math::binary(&mut e, op, tx, ty);
                e.name(h)
            }
            (_, Minimum) if float => {
                format!("select(select({y}, {x}, {x} < {y}), {nan}, {isnan}({x}) || {isnan}({y}))")
            }
            (_, Maximum) if float => {
                format!("select(select({y}, {x}, {x} > {y}), {nan}, {isnan}({x}) || {isnan}({y}))")
            }
            (DType::I64, Minimum) => format!("select({y}, {x}, {x} < {y})"),
            (DType::I64, Maximum) => format!("select({y}, {x}, {x} > {y})"),
            (DType::I64, Add) => format!("{x} + {y}"),
            (DType::I64, Sub) => format!("{x} - {y}"),
            (DType::I64, Mul) => format!("{x} * {y}"),
            _ => return Err(format!("`{}` of {dtype} calls libm", op.name())),
        })
    }

    /// A temporary holding `expr` (for the decompositions' operands).
    fn temp(&mut self, expr: &str) -> super::math::Temp {
        let t = super::math::Temp(self.temps);
        self.temps += 1;
        let _ = writeln!(self.text, "    let m{} = {expr};", t.0);
        t
    }

    /// The decomposition `f` of `fuse::math` applied to `x`, as temporaries.
    fn math(
        &mut self,
        f: impl FnOnce(&mut super::math::Emit<'_>, super::math::Temp) -> super::math::Temp,
        x: &str,
    ) -> String {
        let t = self.temp(x);
        let mut e = super::math::Emit::new(self);
        let r = f(&mut e, t);
        e.name(r)
    }
}
