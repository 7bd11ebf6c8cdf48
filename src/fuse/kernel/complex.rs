//! Complex (c128) values in kernels: each complex node is emitted twice, once per half
//! ([`Part`]), as f64 arithmetic on its inputs' halves — exactly the operations `interp`'s
//! complex numbers perform — and a c128 buffer is read as two f64 inputs (the real half at
//! even f64 positions). A kernel whose root is complex stores both halves (`Inst::Complex`).

use super::{Builder, View};
use crate::dtype::DType;
use crate::fuse::ir::{Inst, ValueId};
use crate::graph::{BinaryOp, NodeRef, Op, UnaryOp};
use crate::runtime::Scalar;

/// Which half of a complex (c128) node's value an expression computes: complex arithmetic
/// is lowered to f64 arithmetic on the halves, exactly as `interp` computes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Part {
    /// The real half.
    Re,
    /// The imaginary half.
    Im,
}

/// Whether a node's own operation can be part of a kernel when a complex value is
/// involved (`None` otherwise): complex arithmetic the kernel computes on the halves, views
/// of complex values, and the real values of complex operands.
pub(super) fn fusible(node: &NodeRef) -> Option<bool> {
    if node.dtype == DType::C128 {
        return Some(match &node.op {
            Op::Fill(_)
            | Op::Cast
            | Op::BroadcastTo
            | Op::Transpose(_)
            | Op::Reshape
            | Op::Complex => true,
            Op::Unary(op) => matches!(op, UnaryOp::Neg | UnaryOp::Conj),
            Op::Binary { op, compute } => {
                *compute == DType::C128
                    && matches!(op, BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul)
            }
            Op::Index(spec) => {
                crate::fuse::is_basic(&spec.items) && node.inputs.len() == 1 + spec.dynamic_count()
            }
            _ => false,
        });
    }
    if node.inputs.iter().any(|i| i.dtype == DType::C128) {
        return Some(matches!(
            node.op,
            Op::Unary(UnaryOp::Real | UnaryOp::Imag | UnaryOp::Abs)
        ));
    }
    None
}

impl Builder<'_> {
    /// Runs `f` emitting the `part` half of complex nodes.
    pub(super) fn in_part<T>(&mut self, part: Part, f: impl FnOnce(&mut Self) -> T) -> T {
        let outer = std::mem::replace(&mut self.part, part);
        let v = f(self);
        self.part = outer;
        v
    }

    /// The current half of a complex scalar, as an f64 constant.
    pub(super) fn constant_part(&mut self, s: Scalar) -> ValueId {
        let z = s.as_c128();
        let x = if self.part == Part::Re { z.re } else { z.im };
        self.constant(Scalar::F64(x), DType::F64)
    }

    /// Half `part` of `node`'s input `i` as a complex value (a real input promoted to
    /// `(x, 0.0)`, as `Array::cast` to c128 does).
    pub(super) fn complex_operand(
        &mut self,
        node: &NodeRef,
        i: usize,
        view: &View,
        part: Part,
    ) -> ValueId {
        if node.inputs[i].dtype == DType::C128 {
            return self.in_part(part, |b| b.operand(node, i, view));
        }
        match part {
            Part::Re => {
                let x = self.operand(node, i, view);
                self.cast(x, DType::F64)
            }
            Part::Im => self.constant(Scalar::F64(0.0), DType::F64),
        }
    }

    /// The current half of complex `node` (computed from its inputs' halves).
    pub(super) fn emit_complex_op(&mut self, node: &NodeRef, view: &View) -> ValueId {
        let part = self.part;
        let f64_op = |b: &mut Self, op, x, y| b.push(Inst::Binary(op, x, y), DType::F64);
        match &node.op {
            Op::Fill(s) => self.constant_part(*s),
            // Both parts are real (f64): read as real values, whichever half is emitted.
            Op::Complex => {
                let i = usize::from(part == Part::Im);
                self.in_part(Part::Re, |b| b.complex_operand(node, i, view, Part::Re))
            }
            Op::Cast => self.complex_operand(node, 0, view, part),
            Op::Unary(op) => {
                let x = self.complex_operand(node, 0, view, part);
                match (op, part) {
                    (UnaryOp::Conj, Part::Re) => x,
                    _ => self.push(Inst::Unary(UnaryOp::Neg, x), DType::F64),
                }
            }
            Op::Binary { op, .. } => {
                let (ar, ai) = (
                    self.complex_operand(node, 0, view, Part::Re),
                    self.complex_operand(node, 0, view, Part::Im),
                );
                let (br, bi) = (
                    self.complex_operand(node, 1, view, Part::Re),
                    self.complex_operand(node, 1, view, Part::Im),
                );
                let (a, b) = if part == Part::Re { (ar, br) } else { (ai, bi) };
                match op {
                    BinaryOp::Add | BinaryOp::Sub => f64_op(self, *op, a, b),
                    // num-complex's product: (ar·br − ai·bi) + (ar·bi + ai·br)i.
                    _ if part == Part::Re => {
                        let x = f64_op(self, BinaryOp::Mul, ar, br);
                        let y = f64_op(self, BinaryOp::Mul, ai, bi);
                        f64_op(self, BinaryOp::Sub, x, y)
                    }
                    _ => {
                        let x = f64_op(self, BinaryOp::Mul, ar, bi);
                        let y = f64_op(self, BinaryOp::Mul, ai, br);
                        f64_op(self, BinaryOp::Add, x, y)
                    }
                }
            }
            _ => self.emit_op(node, view),
        }
    }
}
