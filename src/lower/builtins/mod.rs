//! The builtin registry: one [`Builtin`] entry per function, holding its signature (with
//! defaults), its doc line, an example and the code that lowers a call into graph nodes.
//! `help(name)`, the REPL's completion and the evaluator all read this one table.
//!
//! The shape/dtype rule of each builtin lives in the graph constructor it calls; the
//! interpreter kernel in `backend::interp`.

mod arrange;
mod construct;
mod contract;
mod fourier;
mod linalg;
mod math;
mod misc;
mod numerics;
mod plot;
mod search;
mod shape;
mod stats;

use super::{Evaluator, Value};
use crate::diag::{Result, Span, type_error};
use crate::graph::NodeRef;

/// How a call to a builtin is lowered.
pub type Lowering = fn(&mut Evaluator, &mut Args) -> Result<Value>;

/// One builtin function.
pub struct Builtin {
    /// The name it is called by.
    pub name: &'static str,
    /// Parameters as written in help: `sum(x, axis=none, keepdims=false)`; `*shape` takes the
    /// remaining positional arguments, `**arrays` the keyword arguments no parameter names.
    pub signature: &'static str,
    /// One line saying what it does.
    pub doc: &'static str,
    /// A short example call.
    pub example: &'static str,
    /// Lowers a call.
    pub call: Lowering,
}

impl std::fmt::Debug for Builtin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.signature)
    }
}

impl Builtin {
    /// Parameter names in order, with `*` on a varargs parameter and whether each has a default.
    pub fn params(&self) -> Vec<(&'static str, bool)> {
        let inner = self
            .signature
            .split_once('(')
            .map_or("", |(_, r)| r.trim_end_matches(')'));
        inner
            .split(", ")
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((n, _)) => (n, true),
                None => (p, false),
            })
            .collect()
    }
}

/// All builtins, sorted by name.
pub fn registry() -> &'static [Builtin] {
    use std::sync::OnceLock;
    static REGISTRY: OnceLock<Vec<Builtin>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut v = Vec::new();
        v.extend(arrange::builtins());
        v.extend(construct::builtins());
        v.extend(contract::builtins());
        v.extend(fourier::builtins());
        v.extend(linalg::builtins());
        v.extend(math::builtins());
        v.extend(shape::builtins());
        v.extend(misc::builtins());
        v.extend(numerics::builtins());
        v.extend(plot::builtins());
        v.extend(search::builtins());
        v.extend(stats::builtins());
        v.sort_by_key(|b| b.name);
        v
    })
}

/// The builtins by topic, as `help()` lists them: (title, names sorted).
pub fn groups() -> Vec<(&'static str, Vec<&'static str>)> {
    let names = |v: Vec<Builtin>| {
        let mut n: Vec<&'static str> = v.iter().map(|b| b.name).collect();
        n.sort_unstable();
        n
    };
    vec![
        ("creating arrays", names(construct::builtins())),
        (
            "elementwise math, reductions, products",
            names(math::builtins()),
        ),
        ("shapes", names(shape::builtins())),
        ("stacking, splitting, gathers", names(arrange::builtins())),
        ("contractions", names(contract::builtins())),
        ("linear algebra", names(linalg::builtins())),
        ("Fourier transforms", names(fourier::builtins())),
        (
            "sorting, random draws, complex numbers",
            names(numerics::builtins()),
        ),
        ("searching, counting, binning", names(search::builtins())),
        ("order statistics", names(stats::builtins())),
        ("output, files, tools", names(misc::builtins())),
        ("plots", names(plot::builtins())),
    ]
}

/// The builtin called `name`.
pub fn find(name: &str) -> Option<&'static Builtin> {
    let r = registry();
    r.binary_search_by_key(&name, |b| b.name)
        .ok()
        .map(|i| &r[i])
}

/// One argument of a call as written: its keyword (with span), value and value span.
pub type CallArg = (Option<(String, Span)>, Value, Span);

/// An argument value with the span of its expression.
pub type ArgValue = (Value, Span);

/// A call's arguments bound to the builtin's parameters.
#[derive(Debug)]
pub struct Args {
    /// The builtin's name.
    pub name: &'static str,
    /// The span of the whole call.
    pub span: Span,
    slots: Vec<(&'static str, Option<ArgValue>)>,
    rest: Vec<ArgValue>,
    named: Vec<(String, ArgValue)>,
}

impl Args {
    /// Binds positional and keyword arguments to `b`'s parameters.
    pub(crate) fn bind(b: &'static Builtin, values: Vec<CallArg>, span: Span) -> Result<Args> {
        let params = b.params();
        let mut slots: Vec<(&'static str, Option<ArgValue>)> =
            params.iter().map(|(n, _)| (*n, None)).collect();
        let mut rest = Vec::new();
        let mut named = Vec::new();
        let varargs = params
            .iter()
            .position(|(n, _)| n.starts_with('*') && !n.starts_with("**"));
        let keywords = params.iter().any(|(n, _)| n.starts_with("**"));
        let mut next = 0;
        for (keyword, value, vspan) in values {
            // `None` as an argument means "not given" (`axis=None`, `rcond=None`).
            let given = !matches!(value, Value::None);
            match keyword {
                None => {
                    if Some(next) == varargs {
                        rest.push((value, vspan));
                        continue;
                    }
                    if next >= slots.len() {
                        return Err(type_error(format!(
                            "`{}` takes at most {} positional arguments",
                            b.name,
                            slots.len()
                        ))
                        .with_span(vspan)
                        .with_help(format!("signature: {}", b.signature)));
                    }
                    slots[next].1 = given.then_some((value, vspan));
                    next += 1;
                }
                Some((k, kspan)) => {
                    let unnamed = !slots.iter().any(|(n, _)| *n == k);
                    if keywords && unnamed {
                        if named.iter().any(|(n, _)| *n == k) {
                            return Err(
                                type_error(format!("argument `{k}` given twice")).with_span(kspan)
                            );
                        }
                        named.push((k, (value, vspan)));
                        continue;
                    }
                    let Some(slot) = slots.iter_mut().find(|(n, _)| *n == k) else {
                        return Err(type_error(format!(
                            "`{}` has no keyword argument `{k}`",
                            b.name
                        ))
                        .with_span(kspan)
                        .with_help(format!("signature: {}", b.signature)));
                    };
                    if slot.1.is_some() {
                        return Err(
                            type_error(format!("argument `{k}` given twice")).with_span(kspan)
                        );
                    }
                    slot.1 = given.then_some((value, vspan));
                }
            }
        }
        for ((name, has_default), (_, v)) in params.iter().zip(&slots) {
            if v.is_none() && !has_default && !name.starts_with('*') {
                return Err(
                    type_error(format!("`{}` is missing argument `{name}`", b.name))
                        .with_span(span)
                        .with_help(format!("signature: {}", b.signature)),
                );
            }
        }
        Ok(Args {
            name: b.name,
            span,
            slots,
            rest,
            named,
        })
    }

    /// The argument bound to `name`, if given.
    pub fn get(&self, name: &str) -> Option<&ArgValue> {
        self.slots
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| v.as_ref())
    }

    /// The varargs values.
    pub fn rest(&self) -> &[ArgValue] {
        &self.rest
    }

    /// The keyword arguments a `**` parameter took, in call order.
    pub fn named(&self) -> &[(String, ArgValue)] {
        &self.named
    }

    /// A required array argument.
    pub fn array(&self, ev: &mut Evaluator, name: &str) -> Result<NodeRef> {
        match self.get(name) {
            Some((v, s)) => ev.expect_array(v, *s),
            None => Err(
                type_error(format!("`{}` is missing argument `{name}`", self.name))
                    .with_span(self.span),
            ),
        }
    }

    /// An optional integer argument.
    pub fn opt_i64(&self, ev: &mut Evaluator, name: &str) -> Result<Option<i64>> {
        match self.get(name) {
            Some((v, s)) => ev.value_i64(v, *s).map(Some),
            None => Ok(None),
        }
    }

    /// An optional axis or tuple of axes (`axis=1`, `axis=(0, 2)`), not yet normalised.
    pub fn opt_axes(&self, ev: &mut Evaluator, name: &str) -> Result<Option<Vec<i64>>> {
        let Some((v, s)) = self.get(name) else {
            return Ok(None);
        };
        let node = ev.expect_array(v, *s)?;
        if node.dtype.is_inexact() || node.shape.len() > 1 {
            return Err(type_error(format!(
                "`{name}` must be an integer or a tuple of integers"
            ))
            .with_span(*s));
        }
        let value = ev.force(&node).map_err(|e| e.or_span(*s))?;
        Ok(Some(value.to_i64_vec()))
    }

    /// An optional float argument.
    pub fn opt_f64(&self, ev: &mut Evaluator, name: &str) -> Result<Option<f64>> {
        match self.get(name) {
            Some((v, s)) => ev.value_f64(v, *s).map(Some),
            None => Ok(None),
        }
    }

    /// A bool flag (`keepdims=true`).
    pub fn flag(&self, ev: &mut Evaluator, name: &str) -> Result<bool> {
        match self.get(name) {
            Some((v, s)) => Ok(ev.value_f64(v, *s)? != 0.0),
            None => Ok(false),
        }
    }

    /// An optional string argument.
    pub fn opt_str(&self, name: &str) -> Result<Option<String>> {
        match self.get(name) {
            Some((Value::Str(s), _)) => Ok(Some(s.to_string())),
            Some((v, span)) => Err(type_error(format!(
                "`{name}` must be a string, found {}",
                v.kind_name()
            ))
            .with_span(*span)),
            None => Ok(None),
        }
    }

    /// The `dtype=` argument, if given.
    pub fn dtype(&self) -> Result<Option<crate::dtype::DType>> {
        match self.get("dtype") {
            None => Ok(None),
            Some((Value::Str(s), span)) => {
                crate::dtype::DType::parse(s).map(Some).ok_or_else(|| {
                    type_error(format!("unknown dtype `{s}`"))
                        .with_span(*span)
                        .with_help("dtypes are bool, i64, f32, f64, c128")
                })
            }
            Some((v, span)) => Err(type_error(format!(
                "dtype must be a dtype name, found {}",
                v.kind_name()
            ))
            .with_span(*span)),
        }
    }

    /// The span of argument `name` (or of the call).
    pub fn span_of(&self, name: &str) -> Span {
        self.get(name).map_or(self.span, |(_, s)| *s)
    }
}
