//! Cranelift code generation: one kernel of the IR becomes one native function that walks
//! the innermost iteration dimension (the host walks the outer ones).
//!
//! Every kernel has the signature [`KernelFn`]: `bases[k]` is input k's address at the row's
//! first element (or its counter value), `steps[k]` its stride in elements along the row;
//! after the inputs come one slot per random draw (a scratch row of the draw's values, with
//! a step of one element) and, for stores, the output's step. `n` is the row length, and
//! `out` either the row's first output element (store) or four accumulator lanes of the
//! fixed reduction tree (reduce; read, updated and written back). A store kernel without
//! draws runs `rows` consecutive rows in one call, moving every input and the output by
//! its `jumps` entry (bytes) from one row to the next — the host's per-row work and the
//! kernel's prologue paid once for a whole 2-D region (`jumps` is read only when `rows`
//! is above one); every other kernel runs one row (`rows` is 1).
//!
//! What Cranelift has natively (arithmetic, comparisons, `sqrt`, rounding, casts, select) is
//! generated inline; other functions call the shims, the same code `interp` runs.

use super::{shims, simd, stored};
use crate::dtype::DType;
use crate::fuse::{Combine, Inst, Kernel, Output, Source, math};
use crate::graph::{BinaryOp, UnaryOp};
use crate::runtime::Scalar;
use crate::runtime::team;
use cranelift_codegen::Context;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{self, AbiParam, FuncRef, InstBuilder, MemFlagsData, Type, types};
use cranelift_codegen::isa::TargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{FuncId, Linkage, Module, ModuleReloc};
use std::collections::HashMap;

/// A compiled kernel (see the module docs for the arguments).
pub type KernelFn = unsafe extern "C" fn(
    bases: *const i64,
    steps: *const i64,
    n: i64,
    out: *mut u8,
    rows: i64,
    jumps: *const i64,
);

/// The Cranelift type holding a dtype's elements (bool is a 0/1 byte).
pub(super) fn clif_type(d: DType) -> Type {
    match d {
        DType::Bool => types::I8,
        DType::I64 => types::I64,
        DType::F32 => types::F32,
        DType::F64 => types::F64,
        DType::C128 => unreachable!("complex values are computed as two f64 halves"),
    }
}

/// The signature of every kernel ([`KernelFn`]).
fn kernel_signature(module: &JITModule) -> ir::Signature {
    let mut sig = module.make_signature();
    let ptr = types::I64;
    sig.params
        .extend([ptr, ptr, types::I64, ptr, types::I64, ptr].map(AbiParam::new));
    sig
}

/// Owns the JIT module all kernels of a backend live in.
pub struct Jit {
    module: JITModule,
    ctx: Context,
    fctx: FunctionBuilderContext,
    /// Shims in declaration order (so generated IR is deterministic).
    shims: Vec<(&'static str, FuncId)>,
    next: usize,
    /// Machine code of earlier runs (`None`: compile every kernel).
    store: Option<stored::Store>,
}

impl Jit {
    /// A JIT for the host CPU.
    pub fn new() -> Result<Jit, String> {
        let mut flags = settings::builder();
        for (k, v) in [
            ("opt_level", "speed"),
            ("use_colocated_libcalls", "false"),
            ("is_pic", "false"),
            // The IR verifier checks every function in debug builds (and so in the tests);
            // release builds skip it, a third of the compile time.
            (
                "enable_verifier",
                if cfg!(debug_assertions) {
                    "true"
                } else {
                    "false"
                },
            ),
        ] {
            flags.set(k, v).map_err(|e| e.to_string())?;
        }
        let isa = cranelift_native::builder()
            .map_err(|e| e.to_string())?
            .finish(settings::Flags::new(flags))
            .map_err(|e| e.to_string())?;
        let isa_flags: Vec<String> = isa.isa_flags().iter().map(|v| v.to_string()).collect();
        let target = format!("{} {isa_flags:?} {}", isa.triple(), isa.flags());
        let mut jb = JITBuilder::with_isa(isa, cranelift_module::default_libcall_names());
        for (name, ptr) in shims::symbols() {
            jb.symbol(name, ptr);
        }
        let mut module = JITModule::new(jb);
        let mut shim_ids = Vec::new();
        for (name, params, ret) in shim_signatures() {
            let mut sig = module.make_signature();
            sig.params.extend(params.iter().map(|&t| AbiParam::new(t)));
            sig.returns.push(AbiParam::new(ret));
            let id = module
                .declare_function(name, Linkage::Import, &sig)
                .map_err(|e| e.to_string())?;
            shim_ids.push((name, id));
        }
        Ok(Jit {
            ctx: module.make_context(),
            module,
            fctx: FunctionBuilderContext::new(),
            shims: shim_ids,
            next: 0,
            store: stored::Store::open(&target),
        })
    }

    /// The Cranelift IR of a kernel, as text (for snapshots and debugging).
    pub fn clif(&mut self, kernel: &Kernel) -> String {
        self.translate(kernel, false);
        let text = self.ctx.func.display().to_string();
        self.module.clear_context(&mut self.ctx);
        text
    }

    /// Compiles kernels to native code, or loads the code an earlier run compiled for them
    /// from the kernel store (then `true`), in order. With `columns`, a reduction over the
    /// last axis is compiled to run along the *previous* axis instead, combining each
    /// element into the accumulator row `out` (`out[j] = out[j] ∘ v(j)`): the host then
    /// feeds it one reduced index at a time, which walks memory contiguously when the
    /// reduced axis is strided.
    ///
    /// Kernels are translated here, then compiled (and saved to the store) as pieces of
    /// the kernel team, so a plan's kernels compile on every core at once: Cranelift takes
    /// 0.2–0.7 ms a kernel, and a loop body's plan may compile a dozen.
    #[allow(unsafe_code)]
    pub fn compile(
        &mut self,
        kernels: &[(&Kernel, bool)],
    ) -> Result<Vec<(KernelFn, bool)>, String> {
        let shims = self.shims.len() as u32;
        let mut ids = Vec::with_capacity(kernels.len());
        let mut keys = Vec::with_capacity(kernels.len());
        let mut codes = Vec::with_capacity(kernels.len());
        let mut translated = vec![];
        for (i, &(kernel, columns)) in kernels.iter().enumerate() {
            let key =
                (self.store.as_ref()).map(|s| s.key(kernel, columns, simd::layout_key(kernel)));
            let saved = (self.store.as_ref())
                .zip(key)
                .and_then(|(s, k)| s.load(k, shims));
            self.next += 1;
            let name = format!("kernel{}", self.next);
            let id = self
                .module
                .declare_function(&name, Linkage::Local, &kernel_signature(&self.module))
                .map_err(|e| e.to_string())?;
            if saved.is_none() {
                self.translate(kernel, columns);
                translated.push((
                    i,
                    std::mem::replace(&mut self.ctx.func, ir::Function::new()),
                ));
            }
            ids.push(id);
            keys.push(key);
            codes.push(saved);
        }
        let (isa, store) = (self.module.isa(), self.store.as_ref());
        let compiled = team::map(translated.len(), |t| {
            let (i, func) = &translated[t];
            let code = emit(isa, func.clone(), ids[*i])?;
            if let (Some(store), Some(key)) = (store, keys[*i]) {
                store.save(key, &code);
            }
            Ok::<_, String>(code)
        });
        let mut loaded = vec![true; kernels.len()];
        for ((i, _), code) in translated.iter().zip(compiled) {
            codes[*i] = Some(code?);
            loaded[*i] = false;
        }
        for (&id, code) in ids.iter().zip(&codes) {
            let code = code.as_ref().ok_or("a kernel was not compiled")?;
            self.module
                .define_function_bytes(id, code.align, &code.bytes, &code.relocs)
                .map_err(|e| e.to_string())?;
        }
        self.module
            .finalize_definitions()
            .map_err(|e| e.to_string())?;
        Ok(ids
            .iter()
            .zip(loaded)
            .map(|(&id, loaded)| {
                let f = self.module.get_finalized_function(id);
                // SAFETY: the code was generated (now or by an earlier run of this build,
                // see `stored`) with exactly the signature of `KernelFn`.
                let f = unsafe { std::mem::transmute::<*const u8, KernelFn>(f) };
                (f, loaded)
            })
            .collect())
    }

    fn translate(&mut self, kernel: &Kernel, columns: bool) {
        self.module.clear_context(&mut self.ctx);
        self.ctx.func.signature = kernel_signature(&self.module);
        let mut b = FunctionBuilder::new(&mut self.ctx.func, &mut self.fctx);
        let mut refs = HashMap::new();
        for &(name, id) in &self.shims {
            refs.insert(name, self.module.declare_func_in_func(id, b.func));
        }
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        let p = b.block_params(entry).to_vec();
        let (bases_ptr, steps_ptr, n, out, rows, jumps) = (p[0], p[1], p[2], p[3], p[4], p[5]);
        let flags = MemFlagsData::trusted();
        let mut bases = vec![];
        let mut steps = vec![];
        for (k, input) in kernel.inputs.iter().enumerate() {
            bases.push(b.ins().load(types::I64, flags, bases_ptr, 8 * k as i32));
            let step = b.ins().load(types::I64, flags, steps_ptr, 8 * k as i32);
            steps.push(match input.source {
                Source::Buffer(_) => b.ins().imul_imm_s(step, input.dtype.size_bytes() as i64),
                Source::Counter => step,
            });
        }
        // Random draws are read from scratch rows the host fills with the vectorised
        // generator, one slot per draw after the inputs.
        let mut random_slots = HashMap::new();
        for (v, value) in kernel.body.iter().enumerate() {
            if let Inst::Random { .. } = value.inst {
                let k = bases.len();
                random_slots.insert(v, k);
                bases.push(b.ins().load(types::I64, flags, bases_ptr, 8 * k as i32));
                steps.push(b.ins().iconst(types::I64, value.dtype.size_bytes() as i64));
            }
        }
        let out_slot = bases.len() as i32;
        let mut t = Translator {
            random_slots,
            b,
            kernel,
            refs,
            bases,
            steps,
        };
        match kernel.output {
            Output::Store(v) => {
                let step = t.b.ins().load(types::I64, flags, steps_ptr, 8 * out_slot);
                let size = kernel.body[v].dtype.size_bytes() as i64;
                let out_step = t.b.ins().imul_imm_s(step, size);
                if t.random_slots.is_empty() {
                    t.rows_loop((n, rows, jumps), out, out_step, v)
                } else {
                    t.row_loop(n, out, out_step, v, RowWrite::Store, None)
                }
            }
            Output::Reduce { combine, value, .. } if columns => {
                // The accumulator row is contiguous.
                let size = kernel.body[value].dtype.size_bytes() as i64;
                let out_step = t.b.ins().iconst(types::I64, size);
                t.row_loop(n, out, out_step, value, RowWrite::Combine(combine), None)
            }
            Output::Reduce { combine, value, .. } => t.reduce_loop(n, out, value, combine),
        }
        t.b.seal_all_blocks();
        t.b.finalize(self.module.target_config());
    }
}

/// The machine code of a translated kernel `func` declared as `id`.
fn emit(isa: &dyn TargetIsa, func: ir::Function, id: FuncId) -> Result<stored::Code, String> {
    let mut ctx = Context::for_function(func);
    ctx.compile(isa, &mut Default::default())
        .map_err(|e| format!("{e:?}"))?;
    let compiled = ctx.compiled_code().ok_or("no code was compiled")?;
    Ok(stored::Code {
        align: u64::from(compiled.buffer.alignment),
        bytes: compiled.code_buffer().to_vec(),
        relocs: (compiled.buffer.relocs().iter())
            .map(|r| ModuleReloc::from_mach_reloc(r, &ctx.func, id))
            .collect(),
    })
}

fn shim_signatures() -> Vec<(&'static str, Vec<Type>, Type)> {
    use types::{F32, F64, I32, I64};
    vec![
        ("arr_unary_f64", vec![I32, F64], F64),
        ("arr_unary_f32", vec![I32, F32], F32),
        ("arr_unary_i64", vec![I32, I64], I64),
        ("arr_binary_f64", vec![I32, F64, F64], F64),
        ("arr_binary_f32", vec![I32, F32, F32], F32),
        ("arr_binary_i64", vec![I32, I64, I64], I64),
    ]
}

/// What a row loop does with each element's value.
#[derive(Clone, Copy)]
pub(super) enum RowWrite {
    /// Store it.
    Store,
    /// Combine it into the accumulator already there.
    Combine(Combine),
}

/// Builds one function's body.
pub(super) struct Translator<'a> {
    pub(super) b: FunctionBuilder<'a>,
    /// Body value of each random draw → its slot in `bases`/`steps`.
    random_slots: HashMap<usize, usize>,
    pub(super) kernel: &'a Kernel,
    refs: HashMap<&'static str, FuncRef>,
    pub(super) bases: Vec<ir::Value>,
    pub(super) steps: Vec<ir::Value>,
}

impl Translator<'_> {
    /// A loop counter starting at zero.
    pub(super) fn counter(&mut self) -> Variable {
        let i = self.b.declare_var(types::I64);
        let zero = self.b.ins().iconst(types::I64, 0);
        self.b.def_var(i, zero);
        i
    }

    /// One address (or counter value) per input, starting at the row's bases.
    pub(super) fn cursors(&mut self) -> Vec<Variable> {
        (0..self.bases.len())
            .map(|k| {
                let var = self.b.declare_var(types::I64);
                self.b.def_var(var, self.bases[k]);
                var
            })
            .collect()
    }

    pub(super) fn call(&mut self, shim: &'static str, args: &[ir::Value]) -> ir::Value {
        let f = self.refs[shim];
        let call = self.b.ins().call(f, args);
        self.b.inst_results(call)[0]
    }

    /// Each input's address (or counter value) at row position `i`.
    pub(super) fn addresses(&mut self, i: ir::Value) -> Vec<ir::Value> {
        (0..self.bases.len())
            .map(|k| {
                let off = self.b.ins().imul(i, self.steps[k]);
                self.b.ins().iadd(self.bases[k], off)
            })
            .collect()
    }

    /// The body's values given each input's current address.
    pub(super) fn body(&mut self, at: &[ir::Value]) -> Vec<ir::Value> {
        let mut vals: Vec<ir::Value> = Vec::with_capacity(self.kernel.body.len());
        for v in &self.kernel.body {
            let x = match &v.inst {
                Inst::Load(k) => match self.kernel.inputs[*k].source {
                    Source::Buffer(_) => {
                        let ty = clif_type(v.dtype);
                        self.b.ins().load(ty, MemFlagsData::trusted(), at[*k], 0)
                    }
                    Source::Counter => at[*k],
                },
                Inst::Const(s) => self.constant(*s),
                Inst::Cast(a) => {
                    let from = self.kernel.body[*a].dtype;
                    self.cast(vals[*a], from, v.dtype)
                }
                Inst::Unary(op, a) => {
                    let from = self.kernel.body[*a].dtype;
                    self.unary(*op, vals[*a], from)
                }
                Inst::Binary(op, a, c) => {
                    let from = self.kernel.body[*a].dtype;
                    self.binary(*op, vals[*a], vals[*c], from)
                }
                Inst::Select(c, a, e) => self.b.ins().select(vals[*c], vals[*a], vals[*e]),
                // Stands for its real half; `store` writes both.
                Inst::Complex(re, _) => vals[*re],
                Inst::Random { .. } => {
                    let slot = self.random_slots[&vals.len()];
                    let ty = clif_type(v.dtype);
                    self.b.ins().load(ty, MemFlagsData::trusted(), at[slot], 0)
                }
            };
            vals.push(x);
        }
        vals
    }

    fn constant(&mut self, s: Scalar) -> ir::Value {
        let ins = self.b.ins();
        match s {
            Scalar::Bool(v) => ins.iconst(types::I8, v as i64),
            Scalar::I64(v) => ins.iconst(types::I64, v),
            Scalar::F32(v) => ins.f32const(v),
            Scalar::F64(v) => ins.f64const(v),
            Scalar::C128(_) => unreachable!("complex constants are split into halves"),
        }
    }

    /// `Array::cast` of one element.
    fn cast(&mut self, x: ir::Value, from: DType, to: DType) -> ir::Value {
        use DType::*;
        let ins = self.b.ins();
        match (from, to) {
            _ if from == to => x,
            (Bool, I64) => ins.uextend(types::I64, x),
            (Bool, F32 | F64) => {
                let wide = ins.uextend(types::I64, x);
                self.b.ins().fcvt_from_sint(clif_type(to), wide)
            }
            (I64, F32 | F64) => ins.fcvt_from_sint(clif_type(to), x),
            (F32, F64) => ins.fpromote(types::F64, x),
            (F64, F32) => ins.fdemote(types::F32, x),
            (F32 | F64, I64) => {
                let x = if from == F32 {
                    ins.fpromote(types::F64, x)
                } else {
                    x
                };
                // NumPy on x86: NaN and out-of-range values give i64::MIN.
                let sat = self.b.ins().fcvt_to_sint_sat(types::I64, x);
                let lo = self.b.ins().f64const(-9.223_372_036_854_776e18);
                let hi = self.b.ins().f64const(9.223_372_036_854_776e18);
                let above = self.b.ins().fcmp(FloatCC::GreaterThanOrEqual, x, lo);
                let below = self.b.ins().fcmp(FloatCC::LessThan, x, hi);
                let ok = self.b.ins().band(above, below);
                let min = self.b.ins().iconst(types::I64, i64::MIN);
                self.b.ins().select(ok, sat, min)
            }
            (I64, Bool) => ins.icmp_imm_s(IntCC::NotEqual, x, 0),
            (F32, Bool) => {
                let z = ins.f32const(0.0);
                self.b.ins().fcmp(FloatCC::NotEqual, x, z)
            }
            (F64, Bool) => {
                let z = ins.f64const(0.0);
                self.b.ins().fcmp(FloatCC::NotEqual, x, z)
            }
            _ => unreachable!("complex values are computed as two f64 halves"),
        }
    }

    fn unary(&mut self, op: UnaryOp, x: ir::Value, dtype: DType) -> ir::Value {
        use UnaryOp::*;
        if let Some(shim) = shims::unary_shim(dtype, op) {
            let code = self.b.ins().iconst(types::I32, op as i64);
            return self.call(shim, &[code, x]);
        }
        let ins = self.b.ins();
        match (dtype, op) {
            (DType::Bool, Not) => ins.bxor_imm_s(x, 1),
            (DType::F64 | DType::F32, IsNan) => ins.fcmp(FloatCC::Unordered, x, x),
            (DType::F64 | DType::F32, IsInf | IsFinite) => {
                let a = ins.fabs(x);
                let inf = if dtype == DType::F64 {
                    self.b.ins().f64const(f64::INFINITY)
                } else {
                    self.b.ins().f32const(f32::INFINITY)
                };
                let cc = if op == IsInf {
                    FloatCC::Equal
                } else {
                    FloatCC::LessThan
                };
                self.b.ins().fcmp(cc, a, inf)
            }
            (DType::F64 | DType::F32, Neg) => ins.fneg(x),
            (DType::F64 | DType::F32, Abs) => ins.fabs(x),
            (DType::F64 | DType::F32, Sqrt) => ins.sqrt(x),
            (DType::F64 | DType::F32, Floor) => ins.floor(x),
            (DType::F64 | DType::F32, Ceil) => ins.ceil(x),
            (DType::F64 | DType::F32, Trunc) => ins.trunc(x),
            (DType::F64 | DType::F32, Round) => ins.nearest(x),
            (DType::F64 | DType::F32, Real | Conj) => x,
            (DType::F64, op) if math::decomposed(op) => math::unary(self, op, x),
            (DType::I64, Neg) => ins.ineg(x),
            (DType::I64, Invert) => ins.bnot(x),
            _ => unreachable!("lowering casts operands to a dtype the op accepts"),
        }
    }

    /// `op` over operands of dtype `dtype` (the compute dtype).
    fn binary(&mut self, op: BinaryOp, a: ir::Value, c: ir::Value, dtype: DType) -> ir::Value {
        use BinaryOp::*;
        if dtype == DType::I64 && matches!(op, FloorDiv | Mod | Fmod) {
            return self.int_divide(op, a, c);
        }
        if let Some(shim) = shims::binary_shim(dtype, op) {
            let code = self.b.ins().iconst(types::I32, op as i64);
            return self.call(shim, &[code, a, c]);
        }
        let ins = self.b.ins();
        let float = matches!(dtype, DType::F64 | DType::F32);
        if let Some((fcc, icc)) = conditions(op) {
            return if float {
                ins.fcmp(fcc, a, c)
            } else if dtype == DType::Bool {
                ins.icmp(icc.unsigned(), a, c)
            } else {
                ins.icmp(icc, a, c)
            };
        }
        match (dtype, op) {
            (DType::Bool | DType::I64, BitAnd) | (DType::Bool, And | Minimum) => ins.band(a, c),
            (DType::Bool | DType::I64, BitXor) => ins.bxor(a, c),
            (DType::Bool, _) | (DType::I64, BitOr) => ins.bor(a, c),
            (DType::I64, Shl | Shr) => {
                // As `interp`: counts outside 0..63 shift every bit out.
                let in_range = ins.icmp_imm_u(IntCC::UnsignedLessThan, c, 64);
                let (shifted, out) = if op == Shl {
                    let zero = self.b.ins().iconst(types::I64, 0);
                    (self.b.ins().ishl(a, c), zero)
                } else {
                    let sign = self.b.ins().sshr_imm_u(a, 63);
                    (self.b.ins().sshr(a, c), sign)
                };
                self.b.ins().select(in_range, shifted, out)
            }
            (_, Add) if float => ins.fadd(a, c),
            (_, Sub) if float => ins.fsub(a, c),
            (_, Mul) if float => ins.fmul(a, c),
            (_, Div) if float => ins.fdiv(a, c),
            (DType::F64, op) if math::decomposed_binary(op) => math::binary(self, op, a, c),
            (_, Minimum | Maximum) if float => {
                // As `interp`: NaN if either is, else the smaller (larger), the second
                // operand when equal.
                let cc = if op == Minimum {
                    FloatCC::LessThan
                } else {
                    FloatCC::GreaterThan
                };
                let first = ins.fcmp(cc, a, c);
                let pick = self.b.ins().select(first, a, c);
                let nan = self.b.ins().fcmp(FloatCC::Unordered, a, c);
                let canonical = if dtype == DType::F64 {
                    self.b.ins().f64const(f64::NAN)
                } else {
                    self.b.ins().f32const(f32::NAN)
                };
                self.b.ins().select(nan, canonical, pick)
            }
            (DType::I64, Minimum | Maximum) => {
                let cc = if op == Minimum {
                    IntCC::SignedLessThan
                } else {
                    IntCC::SignedGreaterThan
                };
                let first = ins.icmp(cc, a, c);
                self.b.ins().select(first, a, c)
            }
            (DType::I64, Add) => ins.iadd(a, c),
            (DType::I64, Sub) => ins.isub(a, c),
            (DType::I64, Mul) => ins.imul(a, c),
            _ => unreachable!("complex values are computed as two f64 halves"),
        }
    }
}

/// The float and (signed) integer conditions of a comparison `op`; `None` for other ops.
pub(super) fn conditions(op: BinaryOp) -> Option<(FloatCC, IntCC)> {
    use BinaryOp::*;
    Some(match op {
        Eq => (FloatCC::Equal, IntCC::Equal),
        Ne => (FloatCC::NotEqual, IntCC::NotEqual),
        Lt => (FloatCC::LessThan, IntCC::SignedLessThan),
        Le => (FloatCC::LessThanOrEqual, IntCC::SignedLessThanOrEqual),
        Gt => (FloatCC::GreaterThan, IntCC::SignedGreaterThan),
        Ge => (FloatCC::GreaterThanOrEqual, IntCC::SignedGreaterThanOrEqual),
        _ => return None,
    })
}
