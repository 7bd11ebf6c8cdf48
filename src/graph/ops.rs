//! The operations a graph node can perform, with their dtype rules.

use super::IndexSpec;
pub use super::calls::LibCall;
use crate::dtype::DType;
use crate::runtime::{Array, Scalar};
use std::rc::Rc;

/// Elementwise functions of one argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum UnaryOp {
    Neg,
    Not,
    Abs,
    Sign,
    Sqrt,
    Cbrt,
    Exp,
    Exp2,
    Expm1,
    Log,
    Log1p,
    Log2,
    Log10,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Tanh,
    Asinh,
    Acosh,
    Atanh,
    Floor,
    Ceil,
    Round,
    Trunc,
    IsNan,
    IsInf,
    IsFinite,
    Real,
    Imag,
    Conj,
    Angle,
    J0,
    J1,
    Y0,
    Y1,
    Erf,
    Erfc,
    Gamma,
    Lgamma,
    Invert,
}

/// The cost (see [`UnaryOp::cost`]) of a transcendental, a power or a draw.
pub const EXPENSIVE: u32 = 20;

impl UnaryOp {
    /// About how many cycles one element costs: 1 for plain arithmetic, 4 for a square
    /// root, [`EXPENSIVE`] for transcendentals (what fusing and sharing weigh).
    pub fn cost(self) -> u32 {
        use UnaryOp::*;
        match self {
            Sqrt => 4,
            Neg | Not | Abs | Sign | Floor | Ceil | Round | Trunc | IsNan | IsInf | IsFinite
            | Real | Conj | Invert => 1,
            _ => EXPENSIVE,
        }
    }

    /// Every op, in declaration order (`ALL[op as usize] == op`), for compiled code that
    /// passes ops as numbers.
    pub const ALL: [UnaryOp; 45] = {
        use UnaryOp::*;
        [
            Neg, Not, Abs, Sign, Sqrt, Cbrt, Exp, Exp2, Expm1, Log, Log1p, Log2, Log10, Sin, Cos,
            Tan, Asin, Acos, Atan, Sinh, Cosh, Tanh, Asinh, Acosh, Atanh, Floor, Ceil, Round,
            Trunc, IsNan, IsInf, IsFinite, Real, Imag, Conj, Angle, J0, J1, Y0, Y1, Erf, Erfc,
            Gamma, Lgamma, Invert,
        ]
    };

    /// The builtin's name.
    pub fn name(self) -> &'static str {
        use UnaryOp::*;
        match self {
            Neg => "negative",
            Not => "not",
            Abs => "abs",
            Sign => "sign",
            Sqrt => "sqrt",
            Cbrt => "cbrt",
            Exp => "exp",
            Exp2 => "exp2",
            Expm1 => "expm1",
            Log => "log",
            Log1p => "log1p",
            Log2 => "log2",
            Log10 => "log10",
            Sin => "sin",
            Cos => "cos",
            Tan => "tan",
            Asin => "asin",
            Acos => "acos",
            Atan => "atan",
            Sinh => "sinh",
            Cosh => "cosh",
            Tanh => "tanh",
            Asinh => "asinh",
            Acosh => "acosh",
            Atanh => "atanh",
            Floor => "floor",
            Ceil => "ceil",
            Round => "round",
            Trunc => "trunc",
            IsNan => "isnan",
            IsInf => "isinf",
            IsFinite => "isfinite",
            Real => "real",
            Imag => "imag",
            Conj => "conj",
            Angle => "angle",
            J0 => "j0",
            J1 => "j1",
            Y0 => "y0",
            Y1 => "y1",
            Erf => "erf",
            Erfc => "erfc",
            Gamma => "gamma",
            Lgamma => "lgamma",
            Invert => "~",
        }
    }

    /// The result dtype for an input dtype, or a message why the op does not apply.
    pub fn result_dtype(self, x: DType) -> Result<DType, String> {
        use UnaryOp::*;
        let no = || Err(format!("`{}` is not defined for {x}", self.name()));
        Ok(match self {
            Neg if x == DType::Bool => {
                return Err("cannot negate a bool array; use `not`".into());
            }
            Neg | Conj => x,
            // Lowering turns `~` on bool into `Not`.
            Invert if x == DType::I64 => x,
            Invert => return no(),
            Not | IsNan | IsInf | IsFinite => DType::Bool,
            Abs => x.real_part(),
            Sign if x == DType::Bool => return no(),
            Sign => x,
            Floor | Ceil | Round | Trunc => match x {
                DType::Bool => DType::I64,
                DType::C128 => return no(),
                other => other,
            },
            Real | Imag => x.real_part(),
            Angle => x.to_inexact().real_part(),
            J0 | J1 | Y0 | Y1 | Erf | Erfc | Gamma | Lgamma | Cbrt | Log1p | Exp2 | Expm1
            | Log2 | Log10 | Atan | Asin | Acos | Asinh | Acosh | Atanh
                if x == DType::C128 =>
            {
                return no();
            }
            _ => x.to_inexact(),
        })
    }
}

/// Elementwise functions of two arguments (operators and binary builtins).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    FloorDiv,
    Mod,
    Pow,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    Minimum,
    Maximum,
    Atan2,
    Hypot,
    Fmod,
    Copysign,
    BitAnd,
    BitOr,
    BitXor,
    Shl,
    Shr,
}

impl BinaryOp {
    /// About how many cycles one element costs, as [`UnaryOp::cost`].
    pub fn cost(self) -> u32 {
        use BinaryOp::*;
        match self {
            Pow | Atan2 | Hypot | Fmod | Mod | FloorDiv => EXPENSIVE,
            Div => 4,
            _ => 1,
        }
    }

    /// Every op, in declaration order (`ALL[op as usize] == op`).
    pub const ALL: [BinaryOp; 26] = {
        use BinaryOp::*;
        [
            Add, Sub, Mul, Div, FloorDiv, Mod, Pow, Eq, Ne, Lt, Le, Gt, Ge, And, Or, Minimum,
            Maximum, Atan2, Hypot, Fmod, Copysign, BitAnd, BitOr, BitXor, Shl, Shr,
        ]
    };

    /// The operator symbol or builtin name.
    pub fn name(self) -> &'static str {
        use BinaryOp::*;
        match self {
            Add => "+",
            Sub => "-",
            Mul => "*",
            Div => "/",
            FloorDiv => "//",
            Mod => "%",
            Pow => "**",
            Eq => "==",
            Ne => "!=",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            And => "and",
            Or => "or",
            Minimum => "minimum",
            Maximum => "maximum",
            Atan2 => "atan2",
            Hypot => "hypot",
            Fmod => "fmod",
            Copysign => "copysign",
            BitAnd => "&",
            BitOr => "|",
            BitXor => "^",
            Shl => "<<",
            Shr => ">>",
        }
    }

    /// Whether the result is bool whatever the inputs.
    pub fn is_predicate(self) -> bool {
        use BinaryOp::*;
        matches!(self, Eq | Ne | Lt | Le | Gt | Ge | And | Or)
    }

    /// Given the promoted input dtype, the dtype the op computes in and the dtype it yields.
    pub fn dtypes(self, promoted: DType) -> Result<(DType, DType), String> {
        use BinaryOp::*;
        let arith = if promoted == DType::Bool {
            DType::I64
        } else {
            promoted
        };
        let complex_no = |d: DType| {
            if d == DType::C128 {
                Err(format!("`{}` is not defined for c128", self.name()))
            } else {
                Ok(d)
            }
        };
        Ok(match self {
            Add | Sub | Mul | Pow => (arith, arith),
            Div => (promoted.to_inexact(), promoted.to_inexact()),
            FloorDiv | Mod | Fmod => {
                let d = complex_no(arith)?;
                (d, d)
            }
            Eq | Ne => (promoted, DType::Bool),
            Lt | Le | Gt | Ge => (complex_no(promoted)?, DType::Bool),
            And | Or => (DType::Bool, DType::Bool),
            Minimum | Maximum => {
                let d = complex_no(promoted)?;
                (d, d)
            }
            Atan2 | Hypot | Copysign => {
                let d = complex_no(promoted.to_inexact())?;
                (d, d)
            }
            // Bitwise on integers, elementwise logic on bools (NumPy's `&`, `|`, `^`).
            BitAnd | BitOr | BitXor if matches!(promoted, DType::Bool | DType::I64) => {
                (promoted, promoted)
            }
            Shl | Shr if matches!(promoted, DType::Bool | DType::I64) => (DType::I64, DType::I64),
            BitAnd | BitOr | BitXor | Shl | Shr => {
                return Err(format!(
                    "`{}` is not defined for {promoted}; it takes integers or bools",
                    self.name()
                ));
            }
        })
    }
}

/// Reductions over one axis or all elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum ReduceOp {
    Sum,
    Prod,
    Mean,
    Var,
    Std,
    Min,
    Max,
    Argmin,
    Argmax,
    Any,
    All,
}

impl ReduceOp {
    /// The builtin's name.
    pub fn name(self) -> &'static str {
        use ReduceOp::*;
        match self {
            Sum => "sum",
            Prod => "prod",
            Mean => "mean",
            Var => "var",
            Std => "std",
            Min => "min",
            Max => "max",
            Argmin => "argmin",
            Argmax => "argmax",
            Any => "any",
            All => "all",
        }
    }

    /// The result dtype for an input dtype (NumPy's rules).
    pub fn result_dtype(self, x: DType) -> Result<DType, String> {
        use ReduceOp::*;
        Ok(match self {
            Sum | Prod => {
                if x == DType::Bool {
                    DType::I64
                } else {
                    x
                }
            }
            Mean => x.to_inexact(),
            Var | Std => x.to_inexact().real_part(),
            Min | Max => {
                if x == DType::C128 {
                    return Err(format!("`{}` is not defined for c128", self.name()));
                }
                x
            }
            Argmin | Argmax => DType::I64,
            Any | All => DType::Bool,
        })
    }
}

/// Running reductions along an axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum ScanOp {
    Cumsum,
    Cumprod,
}

/// What a random node's input stands for (only recorded loop bodies build such nodes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RandomInput {
    /// The stream's seed (`seed=i` with `i` the loop variable).
    Seed,
    /// Added to the draw number: the draws without `seed=` made before the iteration.
    DrawBase,
}

impl RandomInput {
    /// The (seed, draw) of a draw built with (`seed`, `draw`) once its input is `value`.
    pub fn apply(self, value: i64, seed: u64, draw: u64) -> (u64, u64) {
        match self {
            RandomInput::Seed => (value as u64, draw),
            RandomInput::DrawBase => (seed, draw.wrapping_add(value as u64)),
        }
    }
}

/// The distribution of a random draw (bit-exact mapping documented in `random`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Distribution {
    /// Uniform on [0, 1).
    Uniform,
    /// Standard normal.
    Normal,
    /// Uniform integers in [lo, hi).
    Integers { lo: i64, hi: i64 },
}

/// What a node computes from its inputs. Shape and dtype live on the node.
#[derive(Debug, Clone)]
pub enum Op {
    /// A materialised value.
    Const(Rc<Array>),
    /// Every element equal to this scalar (cast to the node's dtype).
    Fill(Scalar),
    /// `start + i * step` for i in 0..len (in the node's dtype).
    Arange { start: Scalar, step: Scalar },
    /// An elementwise function of input 0.
    Unary(UnaryOp),
    /// An elementwise function of inputs 0 and 1 (broadcast), computed in `compute` dtype.
    Binary { op: BinaryOp, compute: DType },
    /// `where(c, a, b)` over inputs 0, 1, 2 (broadcast).
    Where,
    /// `complex(re, im)`: a c128 value from its real and imaginary parts, inputs 0 and 1
    /// (f64, broadcast). Never `re + im * 1j`, which turns an infinite `im` into a NaN
    /// real part and loses the sign of a zero `re`.
    Complex,
    /// Input 0 converted to the node's dtype.
    Cast,
    /// A reduction of input 0 over `axis` (all axes when `None`).
    Reduce {
        op: ReduceOp,
        axis: Option<usize>,
        keepdims: bool,
        ddof: i64,
    },
    /// A running reduction along `axis` (flattened first when `None`).
    Scan { op: ScanOp, axis: Option<usize> },
    /// Input 0 with the same elements in row-major order and the node's shape.
    Reshape,
    /// Input 0 with axes permuted.
    Transpose(Vec<usize>),
    /// Input 0 broadcast to the node's shape.
    BroadcastTo,
    /// `x[spec]`: input 0 indexed; then the integer index arrays, then the positions of
    /// dynamic items.
    Index(IndexSpec),
    /// `x[spec] = v`: input 0 with the region replaced by input 1 (broadcast); then the
    /// integer index arrays, then the positions of dynamic items.
    Update(IndexSpec),
    /// A 0-d i64 index made a position on `axis`, of `len` elements: a negative one counts
    /// from the end; one out of bounds is an index error when computed.
    Position { axis: usize, len: usize },
    /// Inputs joined along an axis.
    Concat(usize),
    /// Matrix product of inputs 0 and 1 with NumPy `matmul` rules.
    MatMul,
    /// A library call over the inputs.
    Library(LibCall),
    /// Random numbers: element k is a function of (seed, draw, k) only; with `input`, input
    /// 0 (a 0-d i64 known when the node is computed) is the seed or is added to `draw`.
    Random {
        dist: Distribution,
        seed: u64,
        draw: u64,
        input: Option<RandomInput>,
    },
    /// Parameter `n` of a replayed loop body (`lower::replay`): a value bound each time the
    /// recorded program runs. Never computed by itself.
    Param(usize),
    /// A value a backend computed and keeps on its device (a replayed loop's state on the
    /// GPU): read back when something observes it.
    Device(crate::runtime::DeviceValue),
}

impl Op {
    /// A short name for plans and `explain`.
    pub fn label(&self) -> String {
        match self {
            Op::Const(a) if a.len() == 1 => match a.as_scalar() {
                Some(s) => format!("const {}", crate::runtime::format_scalar(s)),
                None => "const".into(),
            },
            Op::Const(_) => "const".into(),
            Op::Device(_) => "on device".into(),
            Op::Fill(s) => format!("fill {}", crate::runtime::format_scalar(*s)),
            Op::Arange { start, step } => format!(
                "arange start={} step={}",
                crate::runtime::format_scalar(*start),
                crate::runtime::format_scalar(*step)
            ),
            Op::Unary(u) => u.name().to_string(),
            Op::Binary { op, .. } => op.name().to_string(),
            Op::Where => "where".into(),
            Op::Complex => "complex".into(),
            Op::Cast => "cast".into(),
            Op::Reduce {
                op,
                axis,
                keepdims,
                ddof,
            } => {
                let mut s = op.name().to_string();
                if let Some(a) = axis {
                    s += &format!(" axis={a}");
                }
                if *keepdims {
                    s += " keepdims";
                }
                if *ddof != 0 {
                    s += &format!(" ddof={ddof}");
                }
                s
            }
            Op::Scan { op, axis } => {
                let name = match op {
                    ScanOp::Cumsum => "cumsum",
                    ScanOp::Cumprod => "cumprod",
                };
                match axis {
                    Some(a) => format!("{name} axis={a}"),
                    None => name.to_string(),
                }
            }
            Op::Reshape => "reshape".into(),
            Op::Transpose(p) => format!("transpose {p:?}"),
            Op::BroadcastTo => "broadcast".into(),
            Op::Index(_) => "index".into(),
            Op::Update(_) => "update".into(),
            Op::Concat(a) => format!("concat axis={a}"),
            Op::MatMul => "matmul".into(),
            Op::Library(call) => format!("library {call:?}"),
            Op::Random {
                dist,
                seed,
                draw,
                input,
            } => match input {
                None => format!("random {dist:?} seed={seed} draw={draw}"),
                Some(RandomInput::Seed) => format!("random {dist:?} seed=input draw={draw}"),
                Some(RandomInput::DrawBase) => {
                    format!("random {dist:?} seed={seed} draw=input+{draw}")
                }
            },
            Op::Param(n) => format!("param {n}"),
            Op::Position { axis, len } => format!("position axis={axis} len={len}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op_tables_follow_declaration_order() {
        for (i, op) in UnaryOp::ALL.iter().enumerate() {
            assert_eq!(*op as usize, i);
        }
        for (i, op) in BinaryOp::ALL.iter().enumerate() {
            assert_eq!(*op as usize, i);
        }
    }
}
