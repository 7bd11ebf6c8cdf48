//! Tokens and the lexer: logos turns source text into [`Token`]s, then [`lex`] applies the
//! statement rules of LANGUAGE.md §1 (newlines inside `()`/`[]` and after a binary operator
//! are ignored; runs of newlines and `;` become one [`Token::Sep`]) so the grammar stays simple.
//!
//! Does not build trees; that is the parser's job.

use crate::diag::{Error, ErrorKind, Span};
use logos::Logos;

/// One lexical token of arr source.
#[derive(Logos, Debug, Clone, PartialEq)]
#[logos(skip r"[ \t\r\f]+")]
#[logos(skip(r"#[^\n]*", allow_greedy = true))]
pub enum Token {
    #[token("let")]
    Let,
    #[token("fn")]
    Fn,
    #[token("if")]
    If,
    #[token("else")]
    Else,
    #[token("for")]
    For,
    #[token("in")]
    In,
    #[token("while")]
    While,
    #[token("break")]
    Break,
    #[token("continue")]
    Continue,
    #[token("return")]
    Return,
    #[token("import")]
    Import,
    #[token("and")]
    #[token("&&")]
    And,
    #[token("or")]
    #[token("||")]
    Or,
    #[token("not")]
    #[token("!")]
    Not,
    #[token("None")]
    None,
    #[token("true")]
    True,
    #[token("false")]
    False,
    /// An identifier.
    #[regex(r"[A-Za-z_][A-Za-z0-9_]*", |lex| lex.slice().to_string())]
    Ident(String),
    /// An integer literal (decimal, or `0x` hex, `0o` octal, `0b` binary).
    #[regex(r"[0-9][0-9_]*", |lex| parse_int(lex.slice()))]
    #[regex(r"0[xX][0-9a-fA-F_]+", |lex| parse_radix(lex.slice(), 16))]
    #[regex(r"0[oO][0-7_]+", |lex| parse_radix(lex.slice(), 8))]
    #[regex(r"0[bB][01_]+", |lex| parse_radix(lex.slice(), 2))]
    Int(i64),
    /// An integer immediately followed by `..`; split into `Int` and `DotDot` by [`lex`].
    #[regex(r"[0-9][0-9_]*\.\.", |lex| { let s = lex.slice(); parse_int(&s[..s.len() - 2]) })]
    IntRange(i64),
    /// A float literal.
    #[regex(r"[0-9][0-9_]*\.([0-9][0-9_]*)?([eE][+-]?[0-9]+)?", |lex| parse_float(lex.slice()))]
    #[regex(r"\.[0-9][0-9_]*([eE][+-]?[0-9]+)?", |lex| parse_float(lex.slice()))]
    #[regex(r"[0-9][0-9_]*[eE][+-]?[0-9]+", |lex| parse_float(lex.slice()))]
    Float(f64),
    /// An imaginary literal (`2j`, `1.5j`, `1e-3j`): its imaginary part.
    #[regex(r"[0-9][0-9_]*(\.([0-9][0-9_]*)?)?([eE][+-]?[0-9]+)?[jJ]", |lex| imaginary(lex.slice()))]
    #[regex(r"\.[0-9][0-9_]*([eE][+-]?[0-9]+)?[jJ]", |lex| imaginary(lex.slice()))]
    Imag(f64),
    /// A string literal with its escapes already decoded.
    #[regex(r#""([^"\\\n]|\\.)*""#, |lex| unescape(lex.slice()))]
    Str(String),
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("/")]
    Slash,
    #[token("//")]
    SlashSlash,
    #[token("%")]
    Percent,
    #[token("@")]
    At,
    #[token("**")]
    StarStar,
    #[token("==")]
    EqEq,
    #[token("!=")]
    NotEq,
    #[token("<")]
    Lt,
    #[token("<=")]
    Le,
    #[token(">")]
    Gt,
    #[token(">=")]
    Ge,
    #[token("=")]
    Assign,
    #[token("+=")]
    PlusAssign,
    #[token("-=")]
    MinusAssign,
    #[token("*=")]
    StarAssign,
    #[token("/=")]
    SlashAssign,
    #[token("//=")]
    SlashSlashAssign,
    #[token("%=")]
    PercentAssign,
    #[token("**=")]
    StarStarAssign,
    #[token("&=")]
    AmpAssign,
    #[token("|=")]
    PipeAssign,
    #[token("^=")]
    CaretAssign,
    #[token("<<=")]
    ShlAssign,
    #[token(">>=")]
    ShrAssign,
    #[token("&")]
    Amp,
    #[token("|")]
    Pipe,
    #[token("^")]
    Caret,
    #[token("~")]
    Tilde,
    #[token("<<")]
    Shl,
    #[token(">>")]
    Shr,
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token(",")]
    Comma,
    #[token(":")]
    Colon,
    #[token(".")]
    Dot,
    #[token("..")]
    DotDot,
    #[token("...")]
    Ellipsis,
    /// A raw newline (only before [`lex`] normalises separators).
    #[token("\n")]
    Newline,
    /// A raw `;` (only before [`lex`] normalises separators).
    #[token(";")]
    Semi,
    /// A statement separator: one or more newlines and `;`s.
    Sep,
}

fn parse_int(s: &str) -> Option<i64> {
    s.replace('_', "").parse().ok()
}

fn parse_radix(s: &str, radix: u32) -> Option<i64> {
    i64::from_str_radix(&s[2..].replace('_', ""), radix).ok()
}

fn imaginary(s: &str) -> Option<f64> {
    parse_float(&s[..s.len() - 1])
}

fn parse_float(s: &str) -> Option<f64> {
    s.replace('_', "").parse().ok()
}

fn unescape(s: &str) -> Option<String> {
    let inner = &s[1..s.len() - 1];
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(match chars.next()? {
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            '"' => '"',
            '\\' => '\\',
            _ => return None,
        });
    }
    Some(out)
}

impl Token {
    /// Whether this token can begin a statement but never continue an expression.
    fn starts_statement(&self) -> bool {
        use Token::*;
        matches!(
            self,
            Ident(_)
                | Int(_)
                | Float(_)
                | Imag(_)
                | Str(_)
                | None
                | Tilde
                | Let
                | Fn
                | If
                | For
                | While
                | Break
                | Continue
                | Return
                | Import
                | True
                | False
                | Not
        )
    }

    /// Whether a line ending in this token continues on the next line.
    fn continues_line(&self) -> bool {
        use Token::*;
        matches!(
            self,
            Plus | Minus
                | Star
                | Slash
                | SlashSlash
                | Percent
                | At
                | StarStar
                | EqEq
                | NotEq
                | Lt
                | Le
                | Gt
                | Ge
                | Assign
                | PlusAssign
                | MinusAssign
                | StarAssign
                | SlashAssign
                | SlashSlashAssign
                | PercentAssign
                | StarStarAssign
                | AmpAssign
                | PipeAssign
                | CaretAssign
                | ShlAssign
                | ShrAssign
                | Amp
                | Pipe
                | Caret
                | Tilde
                | Shl
                | Shr
                | And
                | Or
                | Not
                | Comma
                | Dot
                | DotDot
                | LBrace
                | Sep
        )
    }
}

/// Deepest bracket nesting accepted (deeper input is refused before it is parsed).
const MAX_NESTING: usize = 256;

/// A token with its byte range in the source.
pub type Spanned = (usize, Token, usize);

/// Lexes the bytes `part` of `src` into normalised tokens (see the module doc), or the
/// first lexical error; positions are `src`'s.
pub fn lex(src: &str, file: u32, part: std::ops::Range<usize>) -> Result<Vec<Spanned>, Error> {
    let mut out: Vec<Spanned> = Vec::new();
    let mut brackets: Vec<Token> = Vec::new();
    let err = |msg: String, start: usize, end: usize| {
        Error::new(ErrorKind::Syntax, msg).with_span(Span::new(file, start, end))
    };
    let at = part.start;
    for (tok, range) in Token::lexer(&src[part]).spanned() {
        let (start, end) = (range.start + at, range.end + at);
        let tok = match tok {
            Ok(t) => t,
            Err(()) => {
                let text = &src[start..end];
                let msg = if text.starts_with('"') {
                    "unterminated string, or an unknown escape (allowed: \\n \\t \\r \\\" \\\\)"
                        .to_string()
                } else if text.starts_with(|c: char| c.is_ascii_digit()) {
                    format!("number literal `{text}` is out of range")
                } else {
                    format!("unexpected character `{text}`")
                };
                return Err(err(msg, start, end));
            }
        };
        match tok {
            Token::Float(f) | Token::Imag(f) if !f.is_finite() => {
                return Err(err("float literal overflows f64".into(), start, end));
            }
            Token::IntRange(v) => {
                out.push((start, Token::Int(v), end - 2));
                out.push((end - 2, Token::DotDot, end));
            }
            Token::Newline | Token::Semi => {
                let in_parens = matches!(brackets.last(), Some(Token::LParen | Token::LBracket));
                let explicit = tok == Token::Semi;
                let skip = match out.last() {
                    None => true,
                    Some((_, last, _)) => (!explicit && in_parens) || last.continues_line(),
                };
                if !skip {
                    out.push((start, Token::Sep, end));
                }
            }
            Token::LParen | Token::LBracket | Token::LBrace => {
                if brackets.len() >= MAX_NESTING {
                    return Err(err(
                        format!("brackets nested more than {MAX_NESTING} deep"),
                        start,
                        end,
                    ));
                }
                brackets.push(tok.clone());
                out.push((start, tok, end));
            }
            Token::RParen | Token::RBracket | Token::RBrace => {
                brackets.pop();
                if tok == Token::RBrace && matches!(out.last(), Some((_, Token::Sep, _))) {
                    out.pop();
                }
                out.push((start, tok, end));
            }
            Token::Else => {
                if matches!(out.last(), Some((_, Token::Sep, _))) {
                    out.pop();
                }
                out.push((start, tok, end));
            }
            other => {
                // `{ if c { return 1 } n * 2 }`: a statement may follow a block on one line.
                if matches!(out.last(), Some((_, Token::RBrace, _))) && other.starts_statement() {
                    out.push((start, Token::Sep, start));
                }
                out.push((start, other, end))
            }
        }
    }
    if matches!(out.last(), Some((_, Token::Sep, _))) {
        out.pop();
    }
    Ok(out)
}
