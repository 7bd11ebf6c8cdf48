//! The abstract syntax tree. Every node carries the [`Span`] of the source it came from, so
//! later stages can point errors at the right place.

use crate::diag::Span;

/// A whole script or REPL entry: a list of statements.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    /// The statements in source order.
    pub stmts: Vec<Stmt>,
}

/// A statement with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    /// What the statement is.
    pub kind: StmtKind,
    /// Where it is.
    pub span: Span,
}

/// The kinds of statement of LANGUAGE.md §4.
// Trees are small and short-lived; boxing variants would only add noise.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum StmtKind {
    /// `let name = value`
    Let { name: Name, value: Expr },
    /// `name = value`, `name[index] = value`, and `op=` forms (`op` is the arithmetic op).
    Assign {
        target: Name,
        index: Option<Vec<IndexItem>>,
        op: Option<BinOp>,
        value: Expr,
    },
    /// `let (a, b) = value`: destructures a tuple into new bindings.
    LetTuple { pattern: Pattern, value: Expr },
    /// `a = b = value`, `(a, b) = value`: assigns one value to several targets, left to
    /// right (each a name, an indexed name or a tuple of targets).
    AssignMany { targets: Vec<Target>, value: Expr },
    /// `fn name(params) = expr` or `fn name(params) { ... }`
    Fn(std::rc::Rc<FnDef>),
    /// `for var in start..stop..step { body }`
    For {
        var: Name,
        start: Expr,
        stop: Expr,
        step: Option<Expr>,
        body: Block,
    },
    /// `for var in iterable { body }`: over axis 0 of an array, or over a tuple's members.
    ForEach {
        var: Name,
        iterable: Expr,
        body: Block,
    },
    /// `while cond { body }`
    While { cond: Expr, body: Block },
    /// `break`
    Break,
    /// `continue`
    Continue,
    /// `return value?`
    Return(Option<Expr>),
    /// `import "path"`
    Import(String),
    /// An expression evaluated for its value (shown by the REPL) or its effect.
    Expr(Expr),
}

/// An identifier with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Name {
    /// The identifier text.
    pub text: String,
    /// Where it is.
    pub span: Span,
}

/// The left side of `let (a, (b, c)) = ...`.
#[derive(Debug, Clone, PartialEq)]
pub enum Pattern {
    /// A name to bind.
    Name(Name),
    /// A tuple of patterns, destructured member by member.
    Tuple(Vec<Pattern>, Span),
}

/// One target of an assignment with several targets (`a = b = ...`, `(a, b) = ...`).
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// `name`, or `name[index]` when `index` is given.
    Name {
        /// The name assigned.
        name: Name,
        /// The index of an update `name[index] = ...`.
        index: Option<Vec<IndexItem>>,
    },
    /// `(t1, t2, ...)`: the value is destructured into the members.
    Tuple(Vec<Target>, Span),
}

/// A function definition.
#[derive(Debug, Clone, PartialEq)]
pub struct FnDef {
    /// The function's name.
    pub name: Name,
    /// Parameters in order, each with an optional default.
    pub params: Vec<Param>,
    /// The body; an `= expr` function has a block of that one expression.
    pub body: Block,
    /// Doc comment lines (`## ...`) written just above the definition.
    pub doc: Option<String>,
}

/// A function parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// The parameter's name.
    pub name: Name,
    /// Its default value, evaluated at call time when the argument is omitted.
    pub default: Option<Expr>,
}

/// A `{ ... }` block: its value is the value of its last statement when that is an expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// The statements of the block.
    pub stmts: Vec<Stmt>,
    /// Where the block is (braces included).
    pub span: Span,
}

/// An expression with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What the expression is.
    pub kind: ExprKind,
    /// Where it is.
    pub span: Span,
}

/// The kinds of expression of LANGUAGE.md §3.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// An integer literal.
    Int(i64),
    /// A float literal.
    Float(f64),
    /// An imaginary literal (`2j`): its imaginary part.
    Imag(f64),
    /// `None`: a new axis in an index, "not given" as an argument.
    None,
    /// `(a, b)`, `(a,)`, `()`
    Tuple(Vec<Expr>),
    /// A string literal.
    Str(String),
    /// `true` or `false`.
    Bool(bool),
    /// A name.
    Var(String),
    /// `[a, b, ...]`
    List(Vec<Expr>),
    /// A unary operator applied to an operand.
    Unary(UnOp, Box<Expr>),
    /// A binary operator.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `f(args)`; method calls `x.f(args)` are desugared to this with `x` first.
    Call { func: Name, args: Vec<Arg> },
    /// `x[items]`
    Index(Box<Expr>, Vec<IndexItem>),
    /// `x.name` (attribute)
    Attr(Box<Expr>, Name),
    /// `if cond { then } else { otherwise }`
    If {
        cond: Box<Expr>,
        then: Block,
        otherwise: Option<Block>,
    },
}

/// A call argument, positional or keyword.
#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    /// The keyword, for `name = value` arguments.
    pub keyword: Option<Name>,
    /// The argument's value.
    pub value: Expr,
}

/// One item between the brackets of an index expression.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum IndexItem {
    /// An integer scalar, an integer array, or a bool mask.
    Expr(Expr),
    /// `start:stop:step` with each part optional.
    Slice {
        start: Option<Expr>,
        stop: Option<Expr>,
        step: Option<Expr>,
    },
    /// `...`: as many full slices as the other items leave axes.
    Ellipsis,
}

/// Prefix operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnOp {
    /// `-x`
    Neg,
    /// `+x`
    Pos,
    /// `not x` / `!x`
    Not,
    /// `~x`: bitwise not on integers, logical not on bools.
    Invert,
}

/// Infix operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    FloorDiv,
    Mod,
    Pow,
    MatMul,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    BitAnd,
    BitOr,
    BitXor,
    Shl,
    Shr,
}

impl BinOp {
    /// The operator as written in source.
    pub fn symbol(self) -> &'static str {
        use BinOp::*;
        match self {
            Add => "+",
            Sub => "-",
            Mul => "*",
            Div => "/",
            FloorDiv => "//",
            Mod => "%",
            Pow => "**",
            MatMul => "@",
            Eq => "==",
            Ne => "!=",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            And => "and",
            Or => "or",
            BitAnd => "&",
            BitOr => "|",
            BitXor => "^",
            Shl => "<<",
            Shr => ">>",
        }
    }
}
