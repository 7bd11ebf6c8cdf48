//! The kernel IR: a loop nest over an iteration shape whose body is a list of SSA values
//! computed from strided loads and linear counters, ending in a store or a reduction.
//! Backend-neutral: Cranelift, WGSL and the MPI partitioner read the same [`Kernel`].

use crate::dtype::DType;
use crate::graph::{BinaryOp, Distribution, RandomInput, ReduceOp, UnaryOp};
use crate::runtime::Scalar;
use std::fmt;

/// Index of a value in a kernel body.
pub type ValueId = usize;

/// Where an input's elements come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// Elements of plan buffer `n`, read at `offset + Σ coord[d] · strides[d]`.
    Buffer(usize),
    /// The linear counter `offset + Σ coord[d] · strides[d]` itself (an i64), used for
    /// `arange` and random draws.
    Counter,
}

/// One input of a kernel: an affine map from the iteration coordinates to an element.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Input {
    /// Buffer or counter.
    pub source: Source,
    /// Element dtype (i64 for counters).
    pub dtype: DType,
    /// Element offset at coordinate zero.
    pub offset: i64,
    /// Terms added to `offset` when the kernel runs: `(buffer, k)` adds `k` times the 0-d
    /// i64 position in that buffer (an index on a loop variable, `y[:, j - 1]`).
    pub dynamic: Vec<(usize, i64)>,
    /// Element stride per iteration dimension (0 where the input is broadcast).
    pub strides: Vec<i64>,
}

/// What a body value computes. Operands are earlier values; every operand already has the
/// dtype the operation computes in (lowering inserts the casts).
#[derive(Debug, Clone, PartialEq)]
pub enum Inst {
    /// Reads input `n` at the current coordinate.
    Load(usize),
    /// A constant of the value's dtype.
    Const(Scalar),
    /// An elementwise function of one operand.
    Unary(UnaryOp, ValueId),
    /// An elementwise function of two operands of the same dtype.
    Binary(BinaryOp, ValueId, ValueId),
    /// `c ? a : b` with `c` bool.
    Select(ValueId, ValueId, ValueId),
    /// Conversion with `Array::cast` semantics.
    Cast(ValueId),
    /// A complex value (dtype c128) from its real and imaginary parts (f64). Complex
    /// arithmetic is lowered to f64 arithmetic on the parts (a c128 buffer is read as two
    /// f64 inputs); this only ever is the value a kernel stores, as the two halves of each
    /// 16-byte element.
    Complex(ValueId, ValueId),
    /// Element `counter` of a counter-based random draw (`random`'s exact mapping).
    Random {
        /// The distribution.
        dist: Distribution,
        /// Stream key.
        seed: u64,
        /// Draw number within the stream.
        draw: u64,
        /// A 0-d i64 buffer read when the kernel runs: the seed, or added to the draw
        /// number (a replayed loop's `seed=i`, or its draws without `seed=`).
        base: Option<(usize, RandomInput)>,
        /// The i64 element index.
        counter: ValueId,
    },
}

/// A body value: an instruction and the dtype it yields.
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    /// What it computes.
    pub inst: Inst,
    /// Its dtype.
    pub dtype: DType,
}

/// The reduction a kernel ends in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Combine {
    /// `+` (wrapping for i64).
    Sum,
    /// `*`.
    Prod,
    /// NaN-propagating minimum.
    Min,
    /// NaN-propagating maximum.
    Max,
    /// Logical or (bool accumulator).
    Any,
    /// Logical and (bool accumulator).
    All,
}

impl Combine {
    /// The combine of a graph reduction, or `None` when it is not a single fused pass.
    pub fn of(op: ReduceOp) -> Option<Combine> {
        Some(match op {
            ReduceOp::Sum | ReduceOp::Mean => Combine::Sum,
            ReduceOp::Prod => Combine::Prod,
            ReduceOp::Min => Combine::Min,
            ReduceOp::Max => Combine::Max,
            ReduceOp::Any => Combine::Any,
            ReduceOp::All => Combine::All,
            ReduceOp::Var | ReduceOp::Std | ReduceOp::Argmin | ReduceOp::Argmax => return None,
        })
    }

    /// The name printed in plans.
    pub fn name(self) -> &'static str {
        match self {
            Combine::Sum => "sum",
            Combine::Prod => "prod",
            Combine::Min => "min",
            Combine::Max => "max",
            Combine::Any => "any",
            Combine::All => "all",
        }
    }
}

/// How a kernel ends.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Every coordinate's value is stored, row-major, into a new buffer.
    Store(ValueId),
    /// Values are combined along the last iteration dimension (`axis`) or over all of them,
    /// in the fixed tree of [`super::tree`]; `divide` divides the result by the count (mean).
    Reduce {
        /// The combine.
        combine: Combine,
        /// The value reduced (already in the accumulator dtype).
        value: ValueId,
        /// Only the last dimension is reduced (otherwise all).
        axis: bool,
        /// Divide by the number of elements reduced (`mean`).
        divide: bool,
    },
}

impl Output {
    /// The body value that is stored or reduced.
    pub fn value(&self) -> ValueId {
        match *self {
            Output::Store(v) | Output::Reduce { value: v, .. } => v,
        }
    }
}

/// One fused kernel.
#[derive(Debug, Clone, PartialEq)]
pub struct Kernel {
    /// The iteration shape, after merging dimensions every input walks contiguously.
    pub dims: Vec<usize>,
    /// Loads and counters.
    pub inputs: Vec<Input>,
    /// SSA values in order.
    pub body: Vec<Value>,
    /// Store or reduction.
    pub output: Output,
    /// Where a store writes: element offset and strides per iteration dimension in the
    /// output buffer (row-major contiguous for a new buffer; a strided region of an existing
    /// array for an indexed update). Zero for reductions.
    pub out_offset: i64,
    /// Terms added to `out_offset` when the kernel runs, as [`Input::dynamic`].
    pub out_dynamic: Vec<(usize, i64)>,
    /// See `out_offset`.
    pub out_strides: Vec<i64>,
}

impl Kernel {
    /// The buffers holding run-time scalars its addresses (see [`Input::dynamic`]) or draw
    /// numbers depend on.
    pub fn position_buffers(&self) -> impl Iterator<Item = usize> + '_ {
        self.inputs
            .iter()
            .flat_map(|i| &i.dynamic)
            .chain(&self.out_dynamic)
            .map(|&(b, _)| b)
            .chain(self.body.iter().filter_map(|v| match v.inst {
                Inst::Random { base, .. } => base.map(|(b, _)| b),
                _ => None,
            }))
    }

    /// Whether some address depends on a position known only when the kernel runs.
    pub fn has_dynamic(&self) -> bool {
        self.position_buffers().next().is_some()
    }

    /// The kernel with its dynamic offset terms and draw bases added in, `position(b)`
    /// reading buffer `b`'s value.
    pub fn resolve(&self, position: impl Fn(usize) -> i64) -> Kernel {
        let mut k = self.clone();
        self.resolve_into(&mut k, position);
        k
    }

    /// [`Kernel::resolve`] written into `into`, a kernel of the same structure (an earlier
    /// resolution of this one): only numbers are copied, nothing is allocated.
    pub fn resolve_into(&self, into: &mut Kernel, position: impl Fn(usize) -> i64) {
        let terms = |dynamic: &[(usize, i64)]| -> i64 {
            dynamic.iter().map(|&(b, c)| c * position(b)).sum()
        };
        if into.inputs.len() != self.inputs.len() || into.body.len() != self.body.len() {
            *into = self.clone();
        }
        into.dims.clone_from(&self.dims);
        for (to, from) in into.inputs.iter_mut().zip(&self.inputs) {
            to.source = from.source;
            to.dtype = from.dtype;
            to.offset = from.offset + terms(&from.dynamic);
            to.dynamic.clear();
            to.strides.clone_from(&from.strides);
        }
        for (to, from) in into.body.iter_mut().zip(&self.body) {
            to.clone_from(from);
            if let Inst::Random {
                seed, draw, base, ..
            } = &mut to.inst
                && let Some((b, how)) = base.take()
            {
                (*seed, *draw) = how.apply(position(b), *seed, *draw);
            }
        }
        into.output.clone_from(&self.output);
        into.out_offset = self.out_offset + terms(&self.out_dynamic);
        into.out_dynamic.clear();
        into.out_strides.clone_from(&self.out_strides);
    }

    /// The dtype of the kernel's result.
    pub fn result_dtype(&self) -> DType {
        self.body[self.output.value()].dtype
    }

    /// A 64-bit hash of the kernel's code without shapes, strides, buffer numbers or draw
    /// streams: kernels with equal code compile to the same machine code, so this is the
    /// compile-cache key.
    pub fn code_key(&self) -> u64 {
        use std::hash::Hasher;
        let mut h = rustc_hash::FxHasher::default();
        self.hash_code(&mut h);
        h.finish()
    }

    /// Feeds `h` what [`Kernel::code_key`] hashes: everything the compiled code depends
    /// on (so a wider hash of it can name the code on disk, `backend/cpu/stored.rs`).
    pub fn hash_code(&self, h: &mut impl std::hash::Hasher) {
        use std::hash::Hash;
        for i in &self.inputs {
            matches!(i.source, Source::Counter).hash(h);
            i.dtype.hash(h);
        }
        for v in &self.body {
            v.dtype.hash(h);
            std::mem::discriminant(&v.inst).hash(h);
            match &v.inst {
                Inst::Load(n) => n.hash(h),
                Inst::Const(s) => match s {
                    Scalar::Bool(b) => b.hash(h),
                    Scalar::I64(x) => x.hash(h),
                    Scalar::F32(x) => x.to_bits().hash(h),
                    Scalar::F64(x) => x.to_bits().hash(h),
                    Scalar::C128(z) => (z.re.to_bits(), z.im.to_bits()).hash(h),
                },
                Inst::Unary(op, a) => (op, a).hash(h),
                Inst::Binary(op, a, b) => (op, a, b).hash(h),
                Inst::Select(c, a, b) => (c, a, b).hash(h),
                Inst::Cast(a) => a.hash(h),
                Inst::Complex(re, im) => (re, im).hash(h),
                // A draw's distribution, stream and draw number are arguments of the
                // kernel (the host fills its values), so every draw shares one kernel.
                Inst::Random { counter, .. } => counter.hash(h),
            }
        }
        match &self.output {
            Output::Store(v) => (0u8, v).hash(h),
            Output::Reduce {
                combine,
                value,
                axis,
                divide,
            } => (1u8, combine, value, axis, divide).hash(h),
        }
    }
}

fn fmt_inst(f: &mut fmt::Formatter<'_>, inst: &Inst) -> fmt::Result {
    match inst {
        Inst::Load(n) => write!(f, "load in{n}"),
        Inst::Const(s) => write!(f, "const {}", crate::runtime::format_scalar(*s)),
        Inst::Unary(op, a) => write!(f, "{} v{a}", op.name()),
        Inst::Binary(op, a, b) => write!(f, "{} v{a} v{b}", op.name()),
        Inst::Select(c, a, b) => write!(f, "where v{c} v{a} v{b}"),
        Inst::Cast(a) => write!(f, "cast v{a}"),
        Inst::Complex(re, im) => write!(f, "complex v{re} v{im}"),
        Inst::Random {
            dist,
            seed,
            draw,
            base,
            counter,
        } => {
            write!(f, "random {dist:?} seed={seed} draw={draw}")?;
            match base {
                Some((b, RandomInput::Seed)) => write!(f, " seed from buf{b}")?,
                Some((b, RandomInput::DrawBase)) => write!(f, " + buf{b}")?,
                None => {}
            }
            write!(f, " at v{counter}")
        }
    }
}

impl fmt::Display for Kernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dims = crate::graph::fmt_shape(&self.dims);
        match &self.output {
            Output::Store(_) => writeln!(f, "kernel over {dims} -> store")?,
            Output::Reduce {
                combine,
                axis,
                divide,
                ..
            } => writeln!(
                f,
                "kernel over {dims} -> {}{} over {}",
                combine.name(),
                if *divide { "/n" } else { "" },
                if *axis { "last axis" } else { "all" }
            )?,
        }
        for (n, i) in self.inputs.iter().enumerate() {
            let what = match i.source {
                Source::Buffer(b) => format!("buf{b}"),
                Source::Counter => "counter".into(),
            };
            writeln!(
                f,
                "    in{n} = {what} {} offset={}{} strides={:?}",
                i.dtype,
                i.offset,
                fmt_dynamic(&i.dynamic),
                i.strides
            )?;
        }
        for (n, v) in self.body.iter().enumerate() {
            write!(f, "    v{n} = ")?;
            fmt_inst(f, &v.inst)?;
            writeln!(f, " : {}", v.dtype)?;
        }
        match &self.output {
            Output::Store(v)
                if self.out_offset != 0
                    || !self.out_dynamic.is_empty()
                    || !contiguous(&self.dims, &self.out_strides) =>
            {
                writeln!(
                    f,
                    "    store v{v} into region offset={}{} strides={:?}",
                    self.out_offset,
                    fmt_dynamic(&self.out_dynamic),
                    self.out_strides
                )
            }
            Output::Store(v) => writeln!(f, "    store v{v}"),
            Output::Reduce { value, .. } => writeln!(f, "    reduce v{value}"),
        }
    }
}

/// ` + k·pos(bufN)` for each dynamic offset term.
fn fmt_dynamic(terms: &[(usize, i64)]) -> String {
    terms
        .iter()
        .map(|(b, k)| format!(" + {k}·pos(buf{b})"))
        .collect()
}

/// Whether `strides` are the row-major strides of `dims`.
fn contiguous(dims: &[usize], strides: &[i64]) -> bool {
    super::contiguous_strides(dims) == strides
}
