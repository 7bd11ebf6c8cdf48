//! Snapshots of what the CPU backend generates: fused plans and Cranelift IR for a few
//! representative kernels (a broadcast elementwise kernel with a transcendental, a fused
//! reduction over a random draw, an axis reduction of a transposed view, a mask over a
//! complex array's parts), and the machine code of a cheap body at full width.

use super::*;
use crate::diag::Span;
use crate::dtype::DType;
use crate::graph::{BinaryOp, Distribution, Graph, ReduceOp, UnaryOp};
use crate::runtime::Array;
use ndarray::{ArrayD, IxDyn};

fn matrix(g: &mut Graph, rows: usize, cols: usize) -> NodeRef {
    let a = ArrayD::from_shape_fn(IxDyn(&[rows, cols]), |i| (i[0] * cols + i[1]) as f64);
    g.constant(Array::F64(a), false, Span::default())
        .expect("small")
}

fn plan_and_clif(root: &NodeRef) -> String {
    let plan = Plan::build(std::slice::from_ref(root), false);
    let mut jit = Jit::new().expect("jit");
    let mut out = plan.to_string();
    for step in &plan.steps {
        if let Step::Kernel { kernel, .. } = step {
            out.push_str(&jit.clif(kernel));
        }
    }
    out
}

#[test]
fn broadcast_exp_kernel() {
    let mut g = Graph::new(1 << 30);
    let s = Span::default();
    let m = matrix(&mut g, 3, 4);
    let e = g.unary(UnaryOp::Exp, &m, s).expect("exp");
    let half = g
        .constant(Array::scalar(crate::runtime::Scalar::F64(0.5)), true, s)
        .expect("scalar");
    let y = g.binary(BinaryOp::Mul, &e, &half, s).expect("mul");
    insta::assert_snapshot!(plan_and_clif(&y));
}

#[test]
fn fused_random_reduction() {
    let mut g = Graph::new(1 << 30);
    let s = Span::default();
    let r = g
        .random(Distribution::Uniform, 7, 0, vec![1000], DType::F64, s)
        .expect("draw");
    let half = g
        .constant(Array::scalar(crate::runtime::Scalar::F64(0.5)), true, s)
        .expect("scalar");
    let lt = g.binary(BinaryOp::Lt, &r, &half, s).expect("lt");
    let n = g
        .reduce(ReduceOp::Sum, &lt, None, false, 0, s)
        .expect("sum");
    insta::assert_snapshot!(plan_and_clif(&n));
}

#[test]
fn axis_reduction_of_a_transpose() {
    let mut g = Graph::new(1 << 30);
    let s = Span::default();
    let m = matrix(&mut g, 5, 6);
    let t = g.transpose(&m, vec![1, 0], s).expect("transpose");
    let mx = g
        .reduce(ReduceOp::Max, &t, Some(1), false, 0, s)
        .expect("max");
    insta::assert_snapshot!(plan_and_clif(&mx));
}

#[test]
fn unrolled_arithmetic_kernel() {
    // Plain f64 arithmetic over contiguous rows: four pairs an iteration, then pairs, then
    // single elements.
    let mut g = Graph::new(1 << 30);
    let s = Span::default();
    let a = matrix(&mut g, 3, 19);
    let b = g.unary(UnaryOp::Neg, &a, s).expect("neg");
    let y = g.binary(BinaryOp::Mul, &a, &b, s).expect("mul");
    let z = g.binary(BinaryOp::Add, &y, &a, s).expect("add");
    insta::assert_snapshot!(plan_and_clif(&z));
}

#[test]
fn complex_kernels() {
    // Complex arithmetic on the halves of c128 elements: a stored product (both halves
    // written) and the absolute value of one (`hypot` of the halves).
    let mut g = Graph::new(1 << 30);
    let s = Span::default();
    let z = ArrayD::from_shape_fn(IxDyn(&[2, 3]), |i| {
        num_complex::Complex64::new(i[0] as f64, i[1] as f64 - 1.0)
    });
    let z = g.constant(Array::C128(z), false, s).expect("small");
    let zz = g.binary(BinaryOp::Mul, &z, &z, s).expect("mul");
    let y = g.binary(BinaryOp::Add, &zz, &z, s).expect("add");
    let a = g.unary(UnaryOp::Abs, &y, s).expect("abs");
    insta::assert_snapshot!(format!("{}{}", plan_and_clif(&y), plan_and_clif(&a)));
}

/// A mask over a complex array's parts (`abs(z) <= 2.0`, the escape test of a Mandelbrot
/// loop): its vector loop loads every other f64 into each lane pair and stores two bools
/// per pair from the comparison's lane masks.
#[test]
fn mask_of_complex_parts() {
    let mut g = Graph::new(1 << 30);
    let s = Span::default();
    let z = ArrayD::from_shape_fn(IxDyn(&[5]), |i| {
        num_complex::Complex64::new(i[0] as f64 - 2.0, 0.5)
    });
    let z = g.constant(Array::C128(z), false, s).expect("small");
    let r = g.unary(UnaryOp::Abs, &z, s).expect("abs");
    let two = g
        .constant(Array::scalar(crate::runtime::Scalar::F64(2.0)), true, s)
        .expect("scalar");
    let mask = g.binary(BinaryOp::Le, &r, &two, s).expect("le");
    insta::assert_snapshot!(plan_and_clif(&mask));
}

/// W2's body (`sqrt(a*a + b*b)*0.5 + c/(1 + abs(a))`) as machine code at four and eight
/// lanes, stored and summed: one loop over vectors, constants and masks broadcast before
/// it, each input loaded once into a register.
#[test]
fn machine_code_of_a_cheap_body() {
    let mut g = Graph::new(1 << 30);
    let s = Span::default();
    let [a, b, c] = [0, 1, 2].map(|k| {
        let x = ArrayD::from_shape_fn(IxDyn(&[64]), |i| (i[0] + k) as f64);
        g.constant(Array::F64(x), false, s).expect("small")
    });
    let scalar = |g: &mut Graph, x: f64| {
        g.constant(Array::scalar(crate::runtime::Scalar::F64(x)), true, s)
            .expect("scalar")
    };
    let (half, one) = (scalar(&mut g, 0.5), scalar(&mut g, 1.0));
    let aa = g.binary(BinaryOp::Mul, &a, &a, s).expect("mul");
    let bb = g.binary(BinaryOp::Mul, &b, &b, s).expect("mul");
    let r = g.binary(BinaryOp::Add, &aa, &bb, s).expect("add");
    let r = g.unary(UnaryOp::Sqrt, &r, s).expect("sqrt");
    let r = g.binary(BinaryOp::Mul, &r, &half, s).expect("mul");
    let abs = g.unary(UnaryOp::Abs, &a, s).expect("abs");
    let d = g.binary(BinaryOp::Add, &one, &abs, s).expect("add");
    let q = g.binary(BinaryOp::Div, &c, &d, s).expect("div");
    let y = g.binary(BinaryOp::Add, &r, &q, s).expect("add");
    let sum = g.reduce(ReduceOp::Sum, &y, None, false, 0, s).expect("sum");
    let mut out = String::new();
    for root in [&y, &sum] {
        let plan = Plan::build(std::slice::from_ref(root), false);
        for step in &plan.steps {
            if let Step::Kernel { kernel, .. } = step {
                for width in [wide::Width::Avx2, wide::Width::Avx512] {
                    let wide = wide::Wide::new(kernel, false, width).expect("machine code");
                    out.push_str(&wide.listing().expect("a listing"));
                }
            }
        }
    }
    insta::assert_snapshot!(out);
}
