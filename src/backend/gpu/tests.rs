//! Snapshots of the WGSL the GPU backend renders (no device needed): an axis reduction of
//! a transposed view compared with a constant (bool loads and stores, an i64 sum, the
//! `exact` barriers), its second pass, an f64 `exp` through `fuse::math`, an f32 kernel
//! with no 64-bit type and an i64 kernel as u32 pairs (for adapters without them).

use super::reduce::render_finish;
use super::shaders::{input_buffers, shader_key};
use super::wgsl::{Ints, render};
use crate::diag::Span;
use crate::fuse::{Plan, Step};
use crate::graph::{BinaryOp, Graph, ReduceOp, UnaryOp};
use crate::runtime::{Array, Scalar};
use ndarray::{ArrayD, IxDyn};

fn shaders(root: &crate::graph::NodeRef) -> String {
    shaders_with(root, Ints::Native)
}

/// The plan of `root` and its kernels' shaders, i64 values held as `ints`.
fn shaders_with(root: &crate::graph::NodeRef, ints: Ints) -> String {
    let plan = Plan::build(std::slice::from_ref(root), false);
    let mut out = plan.to_string();
    for step in &plan.steps {
        if let Step::Kernel { kernel, .. } = step {
            match render(kernel, None, ints) {
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
                out.push_str(&render_finish(
                    combine,
                    kernel.body[value].dtype,
                    divide,
                    ints,
                ));
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

/// Integer draws shifted by positions and summed by rows, with i64 held as u32 pairs (an
/// adapter without `SHADER_INT64`): no 64-bit type in the text, Philox's products through
/// `p_mul32`, the integer mapping through `p_mulhi`, the sum's combine through `p_add`.
#[test]
fn an_i64_kernel_as_u32_pairs() {
    let mut g = Graph::new(1 << 30);
    let s = Span::default();
    let dist = crate::graph::Distribution::Integers {
        lo: -7,
        hi: 1 << 40,
    };
    let r = g
        .random(dist, 11, 0, vec![3, 5], crate::dtype::DType::I64, s)
        .expect("draw");
    let n = g
        .arange(
            Scalar::I64(-2),
            Scalar::I64(3),
            5,
            crate::dtype::DType::I64,
            s,
        )
        .expect("arange");
    let y = g.binary(BinaryOp::Shl, &r, &n, s).expect("shl");
    let m = g
        .reduce(ReduceOp::Sum, &y, Some(1), false, 0, s)
        .expect("sum");
    let text = shaders_with(&m, Ints::Pairs);
    let wgsl = &text[text.find("@group").unwrap_or(0)..];
    assert!(
        !["f64", "i64", "u64"].iter().any(|t| wgsl.contains(t)),
        "{text}"
    );
    for f in [
        "p_mul32(0xD2511F53u",
        "p_mulhi(",
        "p_shl(",
        "return p_add(a, b)",
    ] {
        assert!(text.contains(f), "{f}: {text}");
    }
    insta::assert_snapshot!(text);
}

/// The kernels of `a * transpose(b) + a` over a square `shape`, `a` and `b` distinct
/// arrays or the same one (then two inputs read one buffer, through one binding).
fn kernels_of(shape: &[usize], same: bool) -> Vec<crate::fuse::Kernel> {
    let mut g = Graph::new(1 << 30);
    let s = Span::default();
    let array = |k: f64| Array::F64(ArrayD::from_shape_fn(IxDyn(shape), |i| i[0] as f64 * k));
    let a = g.constant(array(0.5), false, s).expect("small");
    let b = if same {
        a.clone()
    } else {
        g.constant(array(0.25), false, s).expect("small")
    };
    let t = g.transpose(&b, vec![1, 0], s).expect("transpose");
    let m = g.binary(BinaryOp::Mul, &a, &t, s).expect("mul");
    let y = g.binary(BinaryOp::Add, &m, &a, s).expect("add");
    Plan::build(std::slice::from_ref(&y), false)
        .steps
        .into_iter()
        .filter_map(|step| match step {
            Step::Kernel { kernel, .. } => Some(kernel),
            _ => None,
        })
        .collect()
}

/// A shader is found again by its key (`wgsl::shader_key`): the key is the same for the
/// same code over other shapes (their text is the same), and differs wherever the text
/// does — inputs sharing a binding or not, an input read through the output's binding.
#[test]
fn a_shader_key_names_its_text() {
    let [k1] = &kernels_of(&[4, 4], false)[..] else {
        panic!("one kernel")
    };
    let [k2] = &kernels_of(&[6, 6], false)[..] else {
        panic!("one kernel")
    };
    let [shared] = &kernels_of(&[4, 4], true)[..] else {
        panic!("one kernel")
    };
    let text = |k, aliased| render(k, aliased, Ints::Native).expect("renders").text;
    assert_eq!(shader_key(k1, None), shader_key(k2, None));
    assert_eq!(text(k1, None), text(k2, None));
    assert_eq!(
        render(k1, None, Ints::Native).expect("renders").key,
        shader_key(k1, None)
    );
    assert_eq!(k1.inputs.len(), shared.inputs.len());
    assert_ne!(text(k1, None), text(shared, None));
    assert_ne!(shader_key(k1, None), shader_key(shared, None));
    let crate::fuse::Source::Buffer(b) = k1.inputs[0].source else {
        panic!("a buffer input")
    };
    assert_ne!(text(k1, None), text(k1, Some(b)));
    assert_ne!(shader_key(k1, None), shader_key(k1, Some(b)));
    assert_eq!(
        input_buffers(k1, None),
        render(k1, None, Ints::Native).expect("renders").buffers
    );
    assert_eq!(
        input_buffers(k1, Some(b)),
        render(k1, Some(b), Ints::Native).expect("renders").buffers
    );
}
