//! Hash-consing keys: a node's structure (op, shape, dtype, weak flag, input ids) as machine
//! words, so that finding an equal node costs a hash of a few words and never formats text.
//! Floats enter by their bits, so `0.0` and `-0.0` (or two NaN payloads) stay distinct.

use super::Op;
use crate::dtype::DType;
use crate::graph::IndexItem;
#[cfg(test)]
use crate::runtime::Array;
use crate::runtime::Scalar;
use smallvec::SmallVec;

/// The structural identity of a node; equal keys mean interchangeable nodes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ConsKey {
    /// Most nodes take under 16 words: kept inline, a key costs no allocation.
    words: SmallVec<[u64; 16]>,
    /// Ops too rare to encode word by word (library calls, draws) are identified by their
    /// debug text.
    text: Option<String>,
}

impl ConsKey {
    /// The key of a node, or `None` for constants over 16 elements and device values, which
    /// are never merged.
    pub(crate) fn new(
        op: &Op,
        shape: &[usize],
        dtype: DType,
        weak: bool,
        inputs: &[u64],
    ) -> Option<ConsKey> {
        if matches!(op, Op::Const(a) if a.len() > 16) {
            return None;
        }
        let mut words = SmallVec::new();
        words.push(dtype as u64 | (u64::from(weak) << 8) | ((shape.len() as u64) << 16));
        words.extend(shape.iter().map(|&d| d as u64));
        words.push(u64::MAX);
        words.extend_from_slice(inputs);
        words.push(u64::MAX);
        let mut text = None;
        match op {
            Op::Const(a) => {
                // The elements in row-major order (the shape is in the key already).
                words.push(0);
                for i in 0..a.len() {
                    scalar(&mut words, a.get_flat(i)?);
                }
            }
            Op::Fill(s) => {
                words.push(2);
                scalar(&mut words, *s);
            }
            Op::Arange { start, step } => {
                words.push(3);
                scalar(&mut words, *start);
                scalar(&mut words, *step);
            }
            Op::Unary(u) => words.extend([4, *u as u64]),
            Op::Binary { op, compute } => words.extend([5, *op as u64, *compute as u64]),
            Op::Where => words.push(6),
            Op::Cast => words.push(7),
            Op::Reduce {
                op,
                axis,
                keepdims,
                ddof,
            } => words.extend([
                8,
                *op as u64,
                axis.map_or(u64::MAX, |a| a as u64),
                u64::from(*keepdims),
                *ddof as u64,
            ]),
            Op::Scan { op, axis } => {
                words.extend([9, *op as u64, axis.map_or(u64::MAX, |a| a as u64)])
            }
            Op::Reshape => words.push(10),
            Op::Transpose(perm) => {
                words.push(11);
                words.extend(perm.iter().map(|&p| p as u64));
            }
            Op::BroadcastTo => words.push(12),
            Op::Index(spec) | Op::Update(spec) => {
                words.push(if matches!(op, Op::Index(_)) { 13 } else { 14 });
                for item in &spec.items {
                    match item {
                        IndexItem::At(i) => words.extend([0, *i as u64]),
                        IndexItem::Slice { start, step, len } => {
                            words.extend([1, *start as u64, *step as u64, *len as u64])
                        }
                        IndexItem::Array => words.push(2),
                        IndexItem::Dynamic => words.push(3),
                    }
                }
                words.push(u64::MAX);
                words.extend(spec.array_shape.iter().map(|&d| d as u64));
                words.push(spec.array_pos as u64);
            }
            Op::Concat(axis) => words.extend([15, *axis as u64]),
            Op::MatMul => words.push(16),
            Op::Param(n) => words.extend([18, *n as u64]),
            Op::Device(_) => return None,
            Op::Position { axis, len } => words.extend([19, *axis as u64, *len as u64]),
            Op::Complex => words.push(20),
            Op::Library(_) | Op::Random { .. } => {
                words.push(17);
                text = Some(format!("{op:?}"));
            }
        }
        Some(ConsKey { words, text })
    }
}

/// Appends a scalar's dtype and bits.
fn scalar(words: &mut SmallVec<[u64; 16]>, s: Scalar) {
    match s {
        Scalar::Bool(b) => words.extend([0, u64::from(b)]),
        Scalar::I64(i) => words.extend([1, i as u64]),
        Scalar::F32(x) => words.extend([2, u64::from(x.to_bits())]),
        Scalar::F64(x) => words.extend([3, x.to_bits()]),
        Scalar::C128(z) => words.extend([4, z.re.to_bits(), z.im.to_bits()]),
    }
}

/// Whether two arrays are the same constant (used by tests of the key).
#[cfg(test)]
fn same(a: &Array, b: &Array) -> bool {
    ConsKey::new(
        &Op::Const(std::rc::Rc::new(a.clone())),
        a.shape(),
        a.dtype(),
        false,
        &[],
    ) == ConsKey::new(
        &Op::Const(std::rc::Rc::new(b.clone())),
        b.shape(),
        b.dtype(),
        false,
        &[],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_are_keyed_by_bits() {
        let s = |x: f64| Array::scalar(Scalar::F64(x));
        assert!(same(&s(1.5), &s(1.5)));
        assert!(!same(&s(0.0), &s(-0.0)));
        assert!(same(&s(f64::NAN), &s(f64::NAN)));
        assert!(!same(&s(1.0), &Array::scalar(Scalar::F32(1.0))));
        // Small arrays by their elements, in order, and their shape.
        let v = |x: Vec<f64>| {
            Array::F64(ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[x.len()]), x).unwrap())
        };
        assert!(same(&v(vec![1.0, 2.0]), &v(vec![1.0, 2.0])));
        assert!(!same(&v(vec![1.0, 2.0]), &v(vec![2.0, 1.0])));
        assert!(!same(&v(vec![0.0, 2.0]), &v(vec![-0.0, 2.0])));
        let m = Array::F64(
            ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[2, 1]), vec![1.0, 2.0]).unwrap(),
        );
        assert!(!same(&v(vec![1.0, 2.0]), &m));
    }
}
