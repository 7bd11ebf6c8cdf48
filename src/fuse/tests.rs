//! Plans for graphs whose fusion choices matter beyond their values (the values themselves
//! are checked against `interp` by the differential tests).

use super::{Plan, Step};
use crate::diag::Span;
use crate::dtype::DType;
use crate::graph::{BinaryOp, Distribution, Graph, ReduceOp, UnaryOp};

#[test]
fn a_value_already_in_a_buffer_is_read_not_recomputed() {
    // `b = -sum(x)` is a root, so it has a buffer before the kernel of `x * b` is built;
    // that kernel must load it (as a broadcast scalar) instead of negating the sum again.
    // In a recorded loop body this is what keeps a chain of scalars (`beta = (1 - alpha *
    // alpha) * beta`) from being re-emitted, link by link, into every later kernel.
    let mut g = Graph::new(1 << 30);
    let s = Span::default();
    let x = g
        .random(Distribution::Uniform, 7, 0, vec![100], DType::F64, s)
        .expect("draw");
    let total = g.reduce(ReduceOp::Sum, &x, None, false, 0, s).expect("sum");
    let b = g.unary(UnaryOp::Neg, &total, s).expect("neg");
    let y = g.binary(BinaryOp::Mul, &x, &b, s).expect("mul");
    let plan = Plan::build(&[b, y], false);
    let Some(Step::Kernel { kernel, .. }) = plan.steps.last() else {
        panic!("the product is a kernel:\n{plan}");
    };
    let text = kernel.to_string();
    assert!(!text.contains("negative"), "negation recomputed:\n{plan}");
    insta::assert_snapshot!(plan.to_string());
}

#[test]
fn complex_values_are_built_inside_the_kernel_that_reads_them() {
    // `reshape(complex(re, im), n) * z`: one kernel builds the grid from the two vectors
    // it broadcasts (no buffers of broadcast parts), and the product's kernel reads the
    // reshaped grid as a strided view of its pairs (no copy step: every step a kernel).
    let mut g = Graph::new(1 << 30);
    let s = Span::default();
    let draw = |g: &mut Graph, seed, shape| {
        g.random(Distribution::Uniform, seed, 0, shape, DType::F64, s)
            .expect("draw")
    };
    let re = draw(&mut g, 1, vec![1, 40]);
    let im = draw(&mut g, 2, vec![30, 1]);
    let grid = g.complex(&re, &im, s).expect("complex");
    let flat = g.reshape(&grid, vec![1200], s).expect("reshape");
    let real = draw(&mut g, 3, vec![1200]);
    let z = g.cast(&real, DType::C128, s).expect("cast");
    let product = g.binary(BinaryOp::Mul, &flat, &z, s).expect("mul");
    let plan = Plan::build(&[product], false);
    let kernels = plan
        .steps
        .iter()
        .filter(|step| matches!(step, Step::Kernel { .. }))
        .count();
    assert_eq!(kernels, plan.steps.len(), "{plan}");
    assert!(plan.to_string().contains("complex v0 v1"), "{plan}");
    insta::assert_snapshot!(plan.to_string());
}

#[test]
fn values_held_on_a_device_are_not_kept_on_the_host() {
    // `u` (held by a name) is a device value (a GPU's buffer, an MPI rank's spread rows):
    // observing `sum(u)` must not keep `u` as the plan's other lazy values held by names
    // are kept, which would read it back or gather it whole only to hold a host copy.
    let mut g = Graph::new(1 << 30);
    let s = Span::default();
    let held = crate::runtime::DeviceValue {
        shape: vec![64, 8],
        dtype: DType::F64,
        handle: std::rc::Rc::new(()),
    };
    let u = g.device_value(held, false, s).expect("device value");
    let total = g.reduce(ReduceOp::Sum, &u, None, false, 0, s).expect("sum");
    let plan = Plan::build(&[total], true);
    assert!(plan.kept.is_empty(), "{plan}");
    drop(u);
}
