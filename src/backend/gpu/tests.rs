//! Snapshots of the WGSL the GPU backend renders (no device needed): an axis reduction of
//! a transposed view compared with a constant (bool loads and stores, an i64 sum, the
//! `exact` barriers), its second pass, an f64 `exp` through `fuse::math`, and an f32 kernel
//! with no 64-bit type (for adapters without them).

use super::reduce::render_finish;
use super::wgsl::render;
use crate::diag::Span;
use crate::fuse::{Plan, Step};
use crate::graph::{BinaryOp, Graph, ReduceOp, UnaryOp};
use crate::runtime::{Array, Scalar};
use ndarray::{ArrayD, IxDyn};

fn shaders(root: &crate::graph::NodeRef) -> String {
    let plan = Plan::build(std::slice::from_ref(root), false);
    let mut out = plan.to_string();
    for step in &plan.steps {
        if let Step::Kernel { kernel, .. } = step {
            match render(kernel, None) {
                Ok(r) => out.push_str(&r.text),
                Err(why) => out.push_str(&format!("not rendered: {why}\n")),
            }
            if let crate::fuse::Output::Reduce {
                combine,
                value,
                divide,
                ..
            } = kernel.output
            {
                out.push_str(&render_finish(combine, kernel.body[value].dtype, divide));
            }
        }
    }
    out
}

#[test]
fn axis_count_of_a_transposed_comparison() {
    let mut g = Graph::new(1 << 30);
    let s = Span::default();
    let a = ArrayD::from_shape_fn(IxDyn(&[3, 4]), |i| (i[0] * 4 + i[1]) as f64);
    let m = g.constant(Array::F64(a), false, s).expect("small");
    let t = g.transpose(&m, vec![1, 0], s).expect("transpose");
    let c = g
        .constant(Array::scalar(Scalar::F64(5.5)), true, s)
        .expect("scalar");
    let gt = g.binary(BinaryOp::Gt, &t, &c, s).expect("compare");
    let n = g
        .reduce(ReduceOp::Sum, &gt, Some(1), false, 0, s)
        .expect("sum");
    insta::assert_snapshot!(shaders(&n));
}

#[test]
fn exp_through_fuse_math_and_asinh_on_the_cpu() {
    let mut g = Graph::new(1 << 30);
    let s = Span::default();
    let a = ArrayD::from_shape_fn(IxDyn(&[5]), |i| i[0] as f64 * 0.5);
    let x = g.constant(Array::F64(a), false, s).expect("small");
    let e = g.unary(UnaryOp::Exp, &x, s).expect("exp");
    let t = g.unary(UnaryOp::Asinh, &x, s).expect("asinh");
    let y = g.binary(BinaryOp::Add, &e, &t, s).expect("add");
    let text = shaders(&y);
    assert!(
        text.contains("not rendered: `asinh` of f64 calls libm"),
        "{text}"
    );
    let e_text = shaders(&e);
    assert!(e_text.contains("exact64("), "{e_text}");
    insta::assert_snapshot!(e_text);
}

#[test]
fn an_f32_kernel_uses_no_64_bit_type() {
    let mut g = Graph::new(1 << 30);
    let s = Span::default();
    let a = ArrayD::from_shape_fn(IxDyn(&[6]), |i| i[0] as f32 * 0.25);
    let x = g.constant(Array::F32(a), false, s).expect("small");
    let y = g.binary(BinaryOp::Mul, &x, &x, s).expect("mul");
    let m = g.reduce(ReduceOp::Max, &y, None, false, 0, s).expect("max");
    let text = shaders(&m);
    assert!(
        !["f64", "i64", "u64"].iter().any(|t| text.contains(t)),
        "{text}"
    );
    insta::assert_snapshot!(text);
}
