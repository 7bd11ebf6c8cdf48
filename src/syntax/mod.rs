//! The front end: source text → tokens ([`token`]) → [`ast::Program`] via the LALRPOP grammar
//! in `grammar/arr.lalrpop`. [`parse`] is the one seam to the generated parser.
//!
//! Knows nothing of values, shapes or backends.

pub mod ast;
pub mod token;

use crate::diag::{Error, ErrorKind, Result, Span};
use ast::{Arg, BinOp, Expr, ExprKind, FnDef, Name, Program, StmtKind, Target};
use lalrpop_util::ParseError;

lalrpop_util::lalrpop_mod!(
    #[allow(clippy::all, clippy::pedantic, unused, missing_docs)]
    grammar,
    "/arr.rs"
);

/// Parses the text of source file `file` into a program, or the first syntax error.
pub fn parse(src: &str, file: u32) -> Result<Program> {
    parse_part(src, file, 0..src.len())
}

/// Parses the bytes `part` of source file `file` (whose text is `src`) as a program: spans
/// are positions in the whole file (the stdlib's functions are parsed one by one, when
/// first used). `part` must start and end on a line boundary.
pub fn parse_part(src: &str, file: u32, part: std::ops::Range<usize>) -> Result<Program> {
    let end = part.end;
    let tokens = token::lex(src, file, part)?;
    grammar::ProgramParser::new()
        .parse(file, src, tokens)
        .map_err(|e| parse_error(e, file, end))
}

fn parse_error(e: ParseError<usize, token::Token, Error>, file: u32, eof: usize) -> Error {
    let expected_list = |expected: &[String]| {
        let names: Vec<String> = expected.iter().map(|s| describe_terminal(s)).collect();
        match names.len() {
            0 => String::new(),
            1..=6 => format!("expected {}", names.join(", ")),
            _ => format!("expected {}, ...", names[..6].join(", ")),
        }
    };
    match e {
        ParseError::InvalidToken { location } => Error::new(ErrorKind::Syntax, "invalid token")
            .with_span(Span::new(file, location, location + 1)),
        ParseError::UnrecognizedEof { location, expected } => {
            Error::new(ErrorKind::Syntax, "unexpected end of input")
                .with_span(Span::new(file, location.min(eof), eof))
                .with_label(expected_list(&expected))
        }
        ParseError::UnrecognizedToken {
            token: (l, tok, r),
            expected,
        } => {
            let what = describe_token(&tok);
            let msg = format!("unexpected {what}");
            let label = expected_list(&expected);
            let err = Error::new(ErrorKind::Syntax, msg)
                .with_span(Span::new(file, l, r))
                .with_label(if label.is_empty() {
                    format!("unexpected {what}")
                } else {
                    label
                });
            use token::Token as T;
            if matches!(tok, T::EqEq | T::NotEq | T::Lt | T::Le | T::Gt | T::Ge) {
                err.with_help(
                    "comparisons do not chain, and `&` `|` `^` bind tighter than they do \
                     (as in Python): write masks as `(x > 0) & (x < 1)`",
                )
            } else {
                err
            }
        }
        ParseError::ExtraToken { token: (l, tok, r) } => Error::new(
            ErrorKind::Syntax,
            format!("unexpected {}", describe_token(&tok)),
        )
        .with_span(Span::new(file, l, r)),
        ParseError::User { error } => error,
    }
}

fn describe_terminal(s: &str) -> String {
    match s.trim_matches('"') {
        "sep" => "end of statement".to_string(),
        "ident" => "a name".to_string(),
        "int" => "an integer".to_string(),
        "float" | "imag" => "a number".to_string(),
        "string" => "a string".to_string(),
        other => format!("`{other}`"),
    }
}

fn describe_token(tok: &token::Token) -> String {
    use token::Token as T;
    match tok {
        T::Ident(name) => format!("name `{name}`"),
        T::Int(v) => format!("number `{v}`"),
        T::Float(v) => format!("number `{v}`"),
        T::Imag(v) => format!("number `{v}j`"),
        T::Str(_) => "string".to_string(),
        T::Sep => "end of statement".to_string(),
        other => {
            let text = format!("{other:?}");
            format!("token `{}`", token_text(other).unwrap_or(&text))
        }
    }
}

fn token_text(tok: &token::Token) -> Option<&'static str> {
    use token::Token as T;
    Some(match tok {
        T::Let => "let",
        T::Fn => "fn",
        T::If => "if",
        T::Else => "else",
        T::For => "for",
        T::In => "in",
        T::While => "while",
        T::Break => "break",
        T::Continue => "continue",
        T::Return => "return",
        T::Import => "import",
        T::And => "and",
        T::Or => "or",
        T::Not => "not",
        T::None => "None",
        T::True => "true",
        T::False => "false",
        T::Plus => "+",
        T::Minus => "-",
        T::Star => "*",
        T::Slash => "/",
        T::SlashSlash => "//",
        T::Percent => "%",
        T::At => "@",
        T::StarStar => "**",
        T::EqEq => "==",
        T::NotEq => "!=",
        T::Lt => "<",
        T::Le => "<=",
        T::Gt => ">",
        T::Ge => ">=",
        T::Assign => "=",
        T::PlusAssign => "+=",
        T::MinusAssign => "-=",
        T::StarAssign => "*=",
        T::SlashAssign => "/=",
        T::SlashSlashAssign => "//=",
        T::PercentAssign => "%=",
        T::StarStarAssign => "**=",
        T::AmpAssign => "&=",
        T::PipeAssign => "|=",
        T::CaretAssign => "^=",
        T::ShlAssign => "<<=",
        T::ShrAssign => ">>=",
        T::Amp => "&",
        T::Pipe => "|",
        T::Caret => "^",
        T::Tilde => "~",
        T::Shl => "<<",
        T::Shr => ">>",
        T::Ellipsis => "...",
        T::LParen => "(",
        T::RParen => ")",
        T::LBracket => "[",
        T::RBracket => "]",
        T::LBrace => "{",
        T::RBrace => "}",
        T::Comma => ",",
        T::Colon => ":",
        T::Dot => ".",
        T::DotDot => "..",
        _ => return None,
    })
}

type GrammarError = ParseError<usize, token::Token, Error>;

fn bad_target(span: Span) -> GrammarError {
    ParseError::User {
        error: Error::new(ErrorKind::Syntax, "cannot assign to this expression")
            .with_span(span)
            .with_help(
                "assign to a name (`x = ...`), an indexed name (`x[i] = ...`) or a tuple of them",
            ),
    }
}

/// The target an expression on the left of `=` stands for.
fn target(e: Expr) -> std::result::Result<Target, GrammarError> {
    match e.kind {
        ExprKind::Var(text) => Ok(Target::Name {
            name: ast::Name { text, span: e.span },
            index: None,
        }),
        ExprKind::Index(base, items) => match base.kind {
            ExprKind::Var(text) => Ok(Target::Name {
                name: ast::Name {
                    text,
                    span: base.span,
                },
                index: Some(items),
            }),
            _ => Err(bad_target(e.span)),
        },
        ExprKind::Tuple(items) => Ok(Target::Tuple(
            items
                .into_iter()
                .map(target)
                .collect::<std::result::Result<_, _>>()?,
            e.span,
        )),
        _ => Err(bad_target(e.span)),
    }
}

/// A call `func(args)`, refused when a positional argument follows a keyword one (as
/// Python refuses `sum(axis=0, x)`: which parameter it fills would be a guess).
pub(crate) fn call(func: Name, args: Vec<Arg>) -> std::result::Result<ExprKind, GrammarError> {
    let first_keyword = args.iter().position(|a| a.keyword.is_some());
    if let Some(k) = first_keyword
        && let Some(a) = args[k..].iter().find(|a| a.keyword.is_none())
    {
        return Err(ParseError::User {
            error: Error::new(
                ErrorKind::Syntax,
                "a positional argument cannot follow a keyword argument",
            )
            .with_span(a.value.span)
            .with_help("put positional arguments first, or name this one too"),
        });
    }
    Ok(ExprKind::Call { func, args })
}

/// A function definition, refused when two parameters share a name.
pub(crate) fn function(def: FnDef) -> std::result::Result<StmtKind, GrammarError> {
    for (i, p) in def.params.iter().enumerate() {
        if def.params[..i].iter().any(|q| q.name.text == p.name.text) {
            return Err(ParseError::User {
                error: Error::new(
                    ErrorKind::Syntax,
                    format!(
                        "duplicate parameter `{}` in `{}`",
                        p.name.text, def.name.text
                    ),
                )
                .with_span(p.name.span),
            });
        }
    }
    Ok(StmtKind::Fn(std::rc::Rc::new(def)))
}

/// Builds an assignment statement, checking that its left side can be assigned to
/// (`name`, `name[index]`, or a tuple of targets). Called by the grammar.
pub(crate) fn assign_target(
    lhs: Expr,
    op: Option<BinOp>,
    value: Expr,
) -> std::result::Result<StmtKind, GrammarError> {
    let span = lhs.span;
    match (target(lhs)?, op) {
        (Target::Name { name, index }, op) => Ok(StmtKind::Assign {
            target: name,
            index,
            op,
            value,
        }),
        (Target::Tuple(..), Some(op)) => Err(ParseError::User {
            error: Error::new(
                ErrorKind::Syntax,
                format!("`{}=` cannot assign to a tuple", op.symbol()),
            )
            .with_span(span),
        }),
        (t @ Target::Tuple(..), None) => Ok(StmtKind::AssignMany {
            targets: vec![t],
            value,
        }),
    }
}

/// Builds a chained assignment `a = b[i] = (c, d) = value`. Called by the grammar.
pub(crate) fn assign_many(
    targets: Vec<Expr>,
    value: Expr,
) -> std::result::Result<StmtKind, GrammarError> {
    let targets = targets
        .into_iter()
        .map(target)
        .collect::<std::result::Result<_, _>>()?;
    Ok(StmtKind::AssignMany { targets, value })
}

/// The `## ` doc comment lines directly above byte offset `at` (where a `fn` starts).
pub(crate) fn doc_comment_before(src: &str, at: usize) -> Option<String> {
    let before = src.get(..at)?;
    let mut lines: Vec<&str> = Vec::new();
    let mut rest = before.trim_end_matches([' ', '\t']);
    rest = rest.strip_suffix('\n').unwrap_or(rest);
    loop {
        let (head, line) = match rest.rfind('\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => ("", rest),
        };
        let Some(doc) = line.trim().strip_prefix("##") else {
            break;
        };
        lines.push(doc.trim());
        if head.is_empty() && line.is_empty() {
            break;
        }
        if rest.is_empty() {
            break;
        }
        rest = head;
        if head.is_empty() {
            break;
        }
    }
    if lines.is_empty() {
        return None;
    }
    lines.reverse();
    Some(lines.join("\n"))
}
