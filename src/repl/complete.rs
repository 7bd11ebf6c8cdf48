//! The REPL's line-editor helper: tab completion (names, builtins, stdlib and user functions,
//! keywords, methods after `x.`, keyword arguments inside a call, paths inside a string) and
//! syntax highlighting. Reads the same builtin registry the evaluator uses.

use crate::lower::builtins;
use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context, Helper};
use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;

const KEYWORDS: &[&str] = &[
    "let", "fn", "if", "else", "for", "in", "while", "break", "continue", "return", "import",
    "and", "or", "not", "true", "false", "None",
];
const ATTRIBUTES: &[&str] = &["T", "shape", "ndim", "size", "dtype"];

/// What the session knows now, refreshed after every entry.
#[derive(Debug, Default, Clone)]
pub struct Scope {
    /// Variables and constants in scope.
    pub variables: Vec<String>,
    /// User and stdlib functions with their parameter names.
    pub functions: Vec<(String, Vec<String>)>,
}

/// The rustyline helper.
pub struct ReplHelper {
    /// The names in scope, shared with the REPL loop.
    pub scope: Rc<RefCell<Scope>>,
    /// Whether to colour the input.
    pub color: bool,
    files: FilenameCompleter,
}

impl ReplHelper {
    /// A helper completing from `scope`.
    pub fn new(scope: Rc<RefCell<Scope>>, color: bool) -> ReplHelper {
        ReplHelper {
            scope,
            color,
            files: FilenameCompleter::new(),
        }
    }

    /// Completion candidates for the text before the cursor: `(start, candidates)`. Names
    /// only, as IPython completes them: a function's `(` is the user's to type.
    pub fn candidates(&self, line: &str, pos: usize) -> (usize, Vec<String>) {
        let before = &line[..pos];
        let start = before
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
            .map_or(0, |i| i + 1);
        let word = &before[start..];
        let scope = self.scope.borrow();
        let mut out: Vec<String> = Vec::new();
        if before[..start].ends_with('.') && !before[..start].ends_with("..") {
            // A method: anything callable with the value as first argument, or an attribute.
            out.extend(ATTRIBUTES.iter().map(|s| s.to_string()));
            out.extend(builtins::registry().iter().map(|b| b.name.to_string()));
            out.extend(scope.functions.iter().map(|(f, _)| f.clone()));
        } else {
            if let Some(func) = open_call(before) {
                let params: Vec<String> = match builtins::find(&func) {
                    Some(b) => b
                        .params()
                        .iter()
                        .map(|(p, _)| p.trim_start_matches('*').to_string())
                        .collect(),
                    None => scope
                        .functions
                        .iter()
                        .find(|(f, _)| *f == func)
                        .map(|(_, p)| p.clone())
                        .unwrap_or_default(),
                };
                out.extend(
                    params
                        .into_iter()
                        .filter(|p| p != "shape" && p != "values")
                        .map(|p| format!("{p}=")),
                );
            }
            out.extend(scope.variables.iter().cloned());
            out.extend(builtins::registry().iter().map(|b| b.name.to_string()));
            out.extend(scope.functions.iter().map(|(f, _)| f.clone()));
            out.extend(KEYWORDS.iter().map(|k| k.to_string()));
        }
        out.retain(|c| c.starts_with(word));
        out.sort();
        out.dedup();
        (start, out)
    }
}

/// Whether the cursor is inside a string literal.
fn in_string(before: &str) -> bool {
    let mut inside = false;
    let mut escaped = false;
    for c in before.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if inside => escaped = true,
            '"' => inside = !inside,
            _ => {}
        }
    }
    inside
}

/// The name of the innermost call whose `(` is still open before the cursor.
fn open_call(before: &str) -> Option<String> {
    let mut depth = 0i32;
    for (i, c) in before.char_indices().rev() {
        match c {
            ')' | ']' => depth += 1,
            '[' if depth > 0 => depth -= 1,
            '(' if depth > 0 => depth -= 1,
            '(' => {
                let head = &before[..i];
                let start = head
                    .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .map_or(0, |j| j + 1);
                let name = &head[start..];
                return (!name.is_empty()).then(|| name.to_string());
            }
            _ => {}
        }
    }
    None
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        if in_string(&line[..pos]) {
            return self.files.complete(line, pos, ctx);
        }
        let (start, words) = self.candidates(line, pos);
        Ok((
            start,
            words
                .into_iter()
                .map(|w| Pair {
                    display: w.clone(),
                    replacement: w,
                })
                .collect(),
        ))
    }
}

impl Hinter for ReplHelper {
    type Hint = String;
}

impl Validator for ReplHelper {}

impl Helper for ReplHelper {}

impl Highlighter for ReplHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if !self.color {
            return Cow::Borrowed(line);
        }
        Cow::Owned(highlight(line))
    }

    fn highlight_char(&self, _line: &str, _pos: usize, _kind: CmdKind) -> bool {
        self.color
    }
}

/// Colours keywords (bold blue), numbers (cyan) and strings (green) with ANSI codes.
pub fn highlight(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 16);
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' {
            let mut j = i + 1;
            while j < chars.len() && chars[j] != '"' {
                j += if chars[j] == '\\' { 2 } else { 1 };
            }
            let end = (j + 1).min(chars.len());
            out.push_str("\x1b[32m");
            out.extend(&chars[i..end]);
            out.push_str("\x1b[0m");
            i = end;
        } else if c == '#' {
            out.push_str("\x1b[90m");
            out.extend(&chars[i..]);
            out.push_str("\x1b[0m");
            break;
        } else if c.is_ascii_digit() {
            let mut j = i;
            while j < chars.len()
                && (chars[j].is_ascii_alphanumeric() || chars[j] == '.' || chars[j] == '_')
            {
                j += 1;
            }
            out.push_str("\x1b[36m");
            out.extend(&chars[i..j]);
            out.push_str("\x1b[0m");
            i = j;
        } else if c.is_alphabetic() || c == '_' {
            let mut j = i;
            while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
                j += 1;
            }
            let word: String = chars[i..j].iter().collect();
            if KEYWORDS.contains(&word.as_str()) {
                out.push_str("\x1b[1;34m");
                out.push_str(&word);
                out.push_str("\x1b[0m");
            } else {
                out.push_str(&word);
            }
            i = j;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn helper() -> ReplHelper {
        let scope = Scope {
            variables: vec!["xs".into(), "total".into()],
            functions: vec![("scale".into(), vec!["v".into(), "by".into()])],
        };
        ReplHelper::new(Rc::new(RefCell::new(scope)), false)
    }

    #[test]
    fn completes_names_builtins_and_keywords() {
        let h = helper();
        assert_eq!(h.candidates("let y = su", 10), (8, vec!["sum".to_string()]));
        assert!(h.candidates("to", 2).1.contains(&"total".to_string()));
        assert_eq!(h.candidates("whi", 3).1, vec!["while".to_string()]);
        assert_eq!(h.candidates("x[No", 4).1, vec!["None".to_string()]);
        assert!(
            h.candidates("bitwise_o", 9)
                .1
                .contains(&"bitwise_or".to_string())
        );
        assert!(h.candidates("sc", 2).1.contains(&"scale".to_string()));
        // `linsp`, Tab, then `(0, 1, 3)` is `linspace(0, 1, 3)`, not `linspace((0, 1, 3)`.
        assert_eq!(h.candidates("linsp", 5).1, vec!["linspace".to_string()]);
    }

    #[test]
    fn completes_methods_and_keyword_arguments() {
        let h = helper();
        let (start, c) = h.candidates("xs.sh", 5);
        assert_eq!((start, c), (3, vec!["shape".to_string()]));
        assert!(h.candidates("xs.cums", 7).1.contains(&"cumsum".to_string()));
        assert_eq!(h.candidates("sum(xs, ax", 10).1, vec!["axis=".to_string()]);
        assert!(
            h.candidates("scale(xs, b", 11)
                .1
                .contains(&"by=".to_string())
        );
    }

    #[test]
    fn knows_when_inside_a_string() {
        assert!(in_string("load(\"data/"));
        assert!(!in_string("print(\"a\", x"));
    }

    #[test]
    fn highlights_keywords_numbers_strings() {
        assert_eq!(
            highlight("let x = 1"),
            "\x1b[1;34mlet\x1b[0m x = \x1b[36m1\x1b[0m"
        );
        assert!(highlight("print(\"hi\")").contains("\x1b[32m\"hi\"\x1b[0m"));
    }
}
