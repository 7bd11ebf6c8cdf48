//! The stdlib: library functions written in arr (`stdlib/*.arr`), embedded in the binary and
//! run as the prelude of every session, so they fuse with the code that calls them.

/// Every stdlib file: its name (as `import` finds it) and its source text.
pub const FILES: &[(&str, &str)] = &[
    ("core.arr", include_str!("../stdlib/core.arr")),
    ("numpy.arr", include_str!("../stdlib/numpy.arr")),
];

/// One function of a stdlib file: its name and the bytes of its definition (its `##` doc
/// lines, the definition, and any comment or blank lines before the next one).
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// The function's name.
    pub name: &'static str,
    /// Where its text lies in the file.
    pub bytes: std::ops::Range<usize>,
}

/// The functions defined in a stdlib file's `text`, in order, found without parsing: each
/// starts at a line `fn name(` (or at the `##` doc lines right above it) and runs to the
/// next one. A stdlib file holds nothing else at top level but comments (tested), so each
/// item parses alone — when the function is first used, not at every start.
pub fn items(text: &'static str) -> Vec<Item> {
    let mut starts = vec![];
    let (mut at, mut doc) = (0, None);
    for line in text.split_inclusive('\n') {
        if line.starts_with("##") {
            doc.get_or_insert(at);
        } else if let Some(rest) = line.strip_prefix("fn ") {
            let name = rest
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .next();
            starts.push((doc.unwrap_or(at), name.unwrap_or_default()));
            doc = None;
        } else {
            doc = None;
        }
        at += line.len();
    }
    let ends = starts.iter().skip(1).map(|&(s, _)| s).chain([text.len()]);
    starts
        .iter()
        .zip(ends)
        .map(|(&(start, name), end)| Item {
            name,
            bytes: start..end,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::ast::StmtKind;

    /// Every stdlib file is exactly its items: the whole file parses to one function
    /// definition per item, in order, and each item alone parses to that same function
    /// with the same spans (positions in the file).
    #[test]
    fn items_are_the_files_functions() {
        for (name, text) in FILES {
            let whole = crate::syntax::parse(text, 7).expect("stdlib parses");
            let items = items(text);
            assert_eq!(
                whole.stmts.len(),
                items.len(),
                "{name}: top-level statements"
            );
            for (stmt, item) in whole.stmts.iter().zip(&items) {
                let StmtKind::Fn(def) = &stmt.kind else {
                    panic!("{name}: a top-level statement is not a function");
                };
                assert_eq!(def.name.text, item.name, "{name}");
                let alone = crate::syntax::parse_part(text, 7, item.bytes.clone())
                    .unwrap_or_else(|e| panic!("{name}: `{}` alone: {e:?}", item.name));
                assert_eq!(alone.stmts.len(), 1, "{name}: `{}`", item.name);
                assert_eq!(alone.stmts[0], *stmt, "{name}: `{}`", item.name);
            }
        }
    }

    #[test]
    fn items_take_their_doc_lines() {
        let text =
            "# file comment\n\n## Doc.\n## example: f(1)\nfn f(x) = x\n\nfn g(y) {\n    y\n}\n";
        let found = items(text);
        let names: Vec<&str> = found.iter().map(|i| i.name).collect();
        assert_eq!(names, ["f", "g"]);
        assert!(text[found[0].bytes.clone()].starts_with("## Doc."));
        assert!(text[found[1].bytes.clone()].starts_with("fn g(y)"));
        assert_eq!(found[1].bytes.end, text.len());
    }
}
