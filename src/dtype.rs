//! Element types and NumPy 2 promotion (LANGUAGE.md §2), shared by every stage.

use std::fmt;

/// The element type of an array.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    /// `bool`
    Bool,
    /// `i64`
    I64,
    /// `f32`
    F32,
    /// `f64`
    F64,
    /// `c128` (complex with f64 parts)
    C128,
}

impl DType {
    /// The name as printed by `x.dtype` and accepted by `dtype=`.
    pub fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::I64 => "i64",
            DType::F32 => "f32",
            DType::F64 => "f64",
            DType::C128 => "c128",
        }
    }

    /// Parses a dtype name (`float64` and friends are accepted as NumPy spells them).
    pub fn parse(name: &str) -> Option<DType> {
        Some(match name {
            "bool" => DType::Bool,
            "i64" | "int" | "int64" => DType::I64,
            "f32" | "float32" => DType::F32,
            "f64" | "float" | "float64" => DType::F64,
            "c128" | "complex" | "complex128" => DType::C128,
            _ => return None,
        })
    }

    /// Bytes per element.
    pub fn size_bytes(self) -> usize {
        match self {
            DType::Bool => 1,
            DType::F32 => 4,
            DType::I64 | DType::F64 => 8,
            DType::C128 => 16,
        }
    }

    /// Whether this is a floating or complex type.
    pub fn is_inexact(self) -> bool {
        matches!(self, DType::F32 | DType::F64 | DType::C128)
    }

    /// The float type an operation like `sqrt` or `/` produces from this type.
    pub fn to_inexact(self) -> DType {
        match self {
            DType::Bool | DType::I64 => DType::F64,
            other => other,
        }
    }

    /// The real type of a complex type's parts (itself for real types).
    pub fn real_part(self) -> DType {
        if self == DType::C128 {
            DType::F64
        } else {
            self
        }
    }

    /// The kind rank used for weak (literal) scalars: bool < int < float < complex.
    fn kind(self) -> u8 {
        match self {
            DType::Bool => 0,
            DType::I64 => 1,
            DType::F32 | DType::F64 => 2,
            DType::C128 => 3,
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The dtype of a binary operation's result before any op-specific rule, with NumPy 2's
/// weak-scalar rule: a weak (literal) operand only matters when its kind is higher.
/// Returns the dtype and whether the result is weak too.
pub fn promote(a: DType, a_weak: bool, b: DType, b_weak: bool) -> (DType, bool) {
    match (a_weak, b_weak) {
        (true, false) => (promote_weak(b, a), false),
        (false, true) => (promote_weak(a, b), false),
        (weak, _) => (a.max(b), weak),
    }
}

fn promote_weak(strong: DType, weak: DType) -> DType {
    if weak.kind() <= strong.kind() {
        strong
    } else {
        match weak {
            DType::C128 => DType::C128,
            DType::F32 | DType::F64 => DType::F64,
            other => other.max(strong),
        }
    }
}
