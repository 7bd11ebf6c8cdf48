//! The stdlib as every session's prelude, parsed lazily: a session starts knowing each
//! stdlib function's name and where its text lies (`stdlib::items`, no parsing), and parses
//! and binds a function the first time a name lookup would miss it. Parsing the whole
//! stdlib took most of a short script's start (LALRPOP moves large symbols through the
//! precedence chain); a script using no stdlib function now parses none.
//!
//! *Invariant:* a program sees the same bindings as with the stdlib run eagerly first —
//! every path that looks a name up for a use (`read_var`, calls, assignments) calls
//! [`Evaluator::resolve_or_stdlib`] in place of `resolve`, and [`Evaluator::functions`]
//! lists pending functions too. A pending function stays pending once bound: a binding
//! dropped later (a scope restored) is bound again on its next use.

use super::{Binding, Evaluator};
use crate::diag::Result;
use crate::syntax::ast::{FnDef, StmtKind};
use std::cell::OnceCell;
use std::rc::Rc;

/// A stdlib function not bound yet: its file, its text's place, and its definition once
/// parsed (by a listing, which does not bind it).
#[derive(Debug)]
pub(super) struct Pending {
    file: u32,
    text: &'static str,
    bytes: std::ops::Range<usize>,
    def: OnceCell<Rc<FnDef>>,
}

impl Pending {
    /// The function's definition, parsed on first use.
    fn def(&self) -> Result<Rc<FnDef>> {
        if let Some(def) = self.def.get() {
            return Ok(def.clone());
        }
        let program = crate::syntax::parse_part(self.text, self.file, self.bytes.clone())?;
        let def = match program.stmts.as_slice() {
            [stmt] => match &stmt.kind {
                StmtKind::Fn(def) => Some(def.clone()),
                _ => None,
            },
            _ => None,
        };
        let def = def.ok_or_else(|| {
            crate::diag::value_error("internal error: a stdlib item is not one function")
        })?;
        Ok(self.def.get_or_init(|| def).clone())
    }
}

/// The stdlib functions a session has not bound yet, by name.
pub(super) type Prelude = rustc_hash::FxHashMap<&'static str, Pending>;

impl Evaluator {
    /// Registers every stdlib file's text (for error messages) and its functions as pending.
    pub(super) fn load_prelude(&mut self) {
        self.prelude.clear();
        for (name, text) in crate::stdlib::FILES {
            let file = self.sources.add(format!("<stdlib>/{name}"), *text);
            for item in crate::stdlib::items(text) {
                let pending = Pending {
                    file,
                    text,
                    bytes: item.bytes,
                    def: OnceCell::new(),
                };
                self.prelude.insert(item.name, pending);
            }
        }
    }

    /// The scope `name` resolves to (see [`Evaluator::resolve`]), binding the stdlib
    /// function of that name at top level first when nothing visible has it (running the
    /// stdlib first would have bound it there).
    pub(crate) fn resolve_or_stdlib(&mut self, name: &str) -> Result<Option<usize>> {
        if let Some(scope) = self.resolve(name) {
            return Ok(Some(scope));
        }
        let Some(pending) = self.prelude.get(name) else {
            return Ok(None);
        };
        let def = pending.def()?;
        self.scopes[0].insert(name.to_string(), Binding::Func(def));
        Ok(Some(0))
    }

    /// User and stdlib functions visible at top level, with their doc lines, by name.
    pub fn functions(&self) -> Vec<Rc<FnDef>> {
        let mut v: Vec<Rc<FnDef>> = self.scopes[0]
            .values()
            .filter_map(|b| match b {
                Binding::Func(f) => Some(f.clone()),
                Binding::Value(_) => None,
            })
            .collect();
        let pending = self.prelude.iter();
        let unbound = pending.filter(|(name, _)| !self.scopes[0].contains_key(**name));
        // A stdlib item that does not parse is a bug the tests catch; a listing skips it.
        v.extend(unbound.filter_map(|(_, p)| p.def().ok()));
        v.sort_by(|a, b| a.name.text.cmp(&b.name.text));
        v
    }
}
