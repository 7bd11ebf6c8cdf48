//! Diagnostics as data: an [`Error`] is a value (kind, message, labelled span, help) created
//! where a problem is found and rendered only at the edge (CLI, REPL, API) by [`render`].
//!
//! Owns [`Span`] (byte range in a source file) and [`SourceMap`] (the texts spans point into).

use std::fmt;

/// A byte range in one source file of a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// Index of the file in the session's [`SourceMap`].
    pub file: u32,
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// A span of `start..end` in `file`.
    pub fn new(file: u32, start: usize, end: usize) -> Span {
        Span {
            file,
            start: start as u32,
            end: end as u32,
        }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        if self.file != other.file {
            return self;
        }
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// Whether `other` lies within this span.
    pub fn contains(self, other: Span) -> bool {
        self.file == other.file && self.start <= other.start && other.end <= self.end
    }
}

/// The kind word every error starts with (LANGUAGE.md §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Malformed source.
    Syntax,
    /// An unknown name.
    Name,
    /// A value of the wrong kind or dtype.
    Type,
    /// Shapes that do not fit together.
    Shape,
    /// An index out of range.
    Index,
    /// A value outside what an operation accepts.
    Value,
    /// A file that cannot be read or written.
    Io,
    /// A memory or recursion limit.
    Resource,
    /// A failed `assert`.
    Assertion,
    /// A computation cancelled by the user (Ctrl-C).
    Interrupted,
    /// A checkpoint that cannot be resumed (another script, another seed, a damaged file).
    Resume,
    /// A file outside what a sandboxed run may use.
    Permission,
    /// A GPU that is missing, refuses work or fails.
    Device,
}

impl ErrorKind {
    /// The words that start the rendered error.
    pub fn word(self) -> &'static str {
        match self {
            ErrorKind::Syntax => "syntax error",
            ErrorKind::Name => "name error",
            ErrorKind::Type => "type error",
            ErrorKind::Shape => "shape error",
            ErrorKind::Index => "index error",
            ErrorKind::Value => "value error",
            ErrorKind::Io => "io error",
            ErrorKind::Resource => "resource error",
            ErrorKind::Assertion => "assertion failed",
            ErrorKind::Interrupted => "interrupted",
            ErrorKind::Resume => "resume error",
            ErrorKind::Permission => "permission error",
            ErrorKind::Device => "device error",
        }
    }
}

/// An arr error: what went wrong and where.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    /// The kind of error.
    pub kind: ErrorKind,
    /// What went wrong, in one sentence.
    pub message: String,
    /// Where it went wrong, when known.
    pub span: Option<Span>,
    /// A label shown under the span (defaults to the message).
    pub label: Option<String>,
    /// A hint on how to fix it.
    pub help: Option<String>,
    /// The calls of user functions the error passed through, innermost first: the name
    /// of the function and the span of its call.
    pub calls: Vec<(String, Span)>,
}

impl Error {
    /// An error of `kind` with `message` and no location yet.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            span: None,
            label: None,
            help: None,
            calls: vec![],
        }
    }

    /// Sets the span (replacing any earlier one).
    pub fn with_span(mut self, span: Span) -> Error {
        self.span = Some(span);
        self
    }

    /// Sets the span only if none is set yet: inner code knows better where it went wrong.
    pub fn or_span(mut self, span: Span) -> Error {
        self.span.get_or_insert(span);
        self
    }

    /// Adds a label under the span.
    pub fn with_label(mut self, label: impl Into<String>) -> Error {
        self.label = Some(label.into());
        self
    }

    /// Adds a hint.
    pub fn with_help(mut self, help: impl Into<String>) -> Error {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.word(), self.message)
    }
}

impl std::error::Error for Error {}

/// Shorthand constructors, one per kind.
macro_rules! error_ctor {
    ($($name:ident => $kind:ident),* $(,)?) => {
        $(
            #[doc = concat!("A `", stringify!($name), "` error with this message.")]
            pub fn $name(message: impl Into<String>) -> Error {
                Error::new(ErrorKind::$kind, message)
            }
        )*
    };
}
error_ctor!(
    syntax_error => Syntax, name_error => Name, type_error => Type, shape_error => Shape,
    index_error => Index, value_error => Value, io_error => Io, resource_error => Resource,
);

/// Result with an arr [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// The source texts that spans point into: file 0 is the first one added.
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    files: Vec<(String, String)>,
}

impl SourceMap {
    /// Adds a file (its display name and text) and returns its id.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> u32 {
        self.files.push((name.into(), text.into()));
        (self.files.len() - 1) as u32
    }

    /// The display name and text of a file.
    pub fn get(&self, file: u32) -> Option<(&str, &str)> {
        self.files
            .get(file as usize)
            .map(|(n, t)| (n.as_str(), t.as_str()))
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, span: Span) -> Option<(usize, usize)> {
        let (_, text) = self.get(span.file)?;
        let at = (span.start as usize).min(text.len());
        Some(line_col(text.get(..at)?))
    }
}

/// 1-based line and column (in characters) of the position just after `before`.
pub fn line_col(before: &str) -> (usize, usize) {
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Whether output to `stream` may be coloured: it is a terminal and `NO_COLOR` is unset.
pub fn color_enabled(stream: &impl std::io::IsTerminal) -> bool {
    std::env::var_os("NO_COLOR").is_none() && stream.is_terminal()
}

/// Renders an error with its source line and a marker under the span, as the CLI and REPL
/// show it. `color` enables ANSI colours.
pub fn render(err: &Error, sources: &SourceMap, color: bool) -> String {
    use ariadne::{CharSet, Config, IndexType, Label, Report, ReportKind, Source};
    let located = err.span.and_then(|s| Some((s, sources.get(s.file)?)));
    let Some((span, (name, text))) = located else {
        let mut out = format!("{err}\n");
        if let Some(help) = &err.help {
            out.push_str(&format!("  help: {help}\n"));
        }
        out.push_str(&call_chain(err, sources));
        return out;
    };
    let (line, col) = sources.line_col(span).unwrap_or((1, 1));
    let mut end = (span.end as usize).clamp(span.start as usize, text.len());
    let start = (span.start as usize).min(end);
    if end == start && start < text.len() {
        end = start + text[start..].chars().next().map_or(1, char::len_utf8);
    }
    let id = name.to_string();
    let config = Config::default()
        .with_color(color)
        .with_char_set(CharSet::Ascii)
        .with_index_type(IndexType::Byte);
    let label = err.label.clone().unwrap_or_else(|| err.message.clone());
    let mut report = Report::build(
        ReportKind::Custom(err.kind.word(), ariadne::Color::Red),
        (id.clone(), start..end),
    )
    .with_config(config)
    .with_message(&err.message)
    .with_label(Label::new((id.clone(), start..end)).with_message(label));
    if let Some(help) = &err.help {
        report = report.with_help(help);
    }
    let mut buf = Vec::new();
    let written = report
        .finish()
        .write((id.clone(), Source::from(text)), &mut buf);
    let mut out = match written {
        Ok(()) if color => String::from_utf8_lossy(&buf).into_owned(),
        Ok(()) => strip_ansi(&String::from_utf8_lossy(&buf)),
        Err(_) => format!("{err}\n --> {id}:{line}:{col}\n"),
    };
    out.push_str(&call_chain(err, sources));
    out
}

/// `in `f`, called from main.arr:12:5` lines, innermost call first (as Python's traceback
/// read from the bottom).
fn call_chain(err: &Error, sources: &SourceMap) -> String {
    let mut out = String::new();
    for (function, span) in &err.calls {
        let file = sources.get(span.file).map_or("?", |(n, _)| n);
        let (line, col) = sources.line_col(*span).unwrap_or((1, 1));
        out.push_str(&format!(
            "  in `{function}`, called from {file}:{line}:{col}\n"
        ));
    }
    out
}

/// Removes ANSI colour sequences (ariadne colours the header even with colour off).
fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
