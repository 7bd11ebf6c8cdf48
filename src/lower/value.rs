//! [`Value`]: what a name or expression denotes while a program is traced.

use crate::graph::NodeRef;
use std::rc::Rc;

/// A traced value: a lazy array, or one of the few non-array values the language has.
#[derive(Debug, Clone)]
pub enum Value {
    /// A lazy array (scalars are 0-d arrays).
    Array(NodeRef),
    /// A string (for print, paths, messages, dtype names).
    Str(Rc<str>),
    /// A bracketed list written directly in a call: `concat([a, b])`.
    List(Vec<Value>),
    /// A tuple `(a, b)`: a fixed group of values of any kinds (LANGUAGE.md §3). Not an
    /// array: it converts to one only where NumPy takes a sequence (shapes, axes, `array`).
    Tuple(Rc<[Value]>),
    /// `None` (also `newaxis`): a new axis in an index, "not given" as an argument.
    None,
    /// The result of a statement or call that yields nothing.
    Unit,
}

impl Value {
    /// A short description of what kind of value this is, for type errors.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Array(_) => "an array",
            Value::Str(_) => "a string",
            Value::List(_) => "a list",
            Value::Tuple(_) => "a tuple",
            Value::None => "None",
            Value::Unit => "nothing",
        }
    }
}
