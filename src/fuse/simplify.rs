//! Tidying a built kernel: values the output does not need are dropped, length-1
//! dimensions removed, and dimensions every input walks contiguously merged, so the
//! backends loop over as few, as long rows as possible.

use super::ir::{Input, Inst, Kernel, Output, Value};

/// `kernel` with dead values dropped and its dimensions dropped or merged.
pub(super) fn simplify(kernel: Kernel) -> Kernel {
    let Kernel {
        mut dims,
        inputs,
        body,
        output,
        out_offset,
        out_dynamic,
        mut out_strides,
    } = kernel;
    let reduce_last = matches!(output, Output::Reduce { axis: true, .. });
    let (mut inputs, body, output) = live_only(inputs, body, output);
    if matches!(output, Output::Reduce { .. }) {
        out_strides = vec![0; dims.len()];
    }
    let keep_last = usize::from(reduce_last);
    // Drop length-1 dims (not the reduced one).
    let mut d = 0;
    while d + keep_last < dims.len() {
        if dims[d] == 1 {
            dims.remove(d);
            remove_dim(d, &mut out_strides, &mut inputs);
        } else {
            d += 1;
        }
    }
    // Merge d into d + 1 where every input steps evenly across both.
    let mut d = 0;
    while d + 1 + keep_last < dims.len() {
        let steps_evenly = |s: &[i64]| s[d] == s[d + 1] * dims[d + 1] as i64;
        let mergeable =
            inputs.iter().all(|i| steps_evenly(&i.strides)) && steps_evenly(&out_strides);
        if mergeable {
            dims[d + 1] *= dims[d];
            dims.remove(d);
            remove_dim(d, &mut out_strides, &mut inputs);
        } else {
            d += 1;
        }
    }
    if dims.is_empty() {
        dims.push(1);
        out_strides.push(0);
        inputs.iter_mut().for_each(|i| i.strides.push(0));
    }
    Kernel {
        dims,
        inputs,
        body,
        output,
        out_offset,
        out_dynamic,
        out_strides,
    }
}

/// Drops iteration dimension `d` from the output's and every input's strides.
fn remove_dim(d: usize, out_strides: &mut Vec<i64>, inputs: &mut [Input]) {
    out_strides.remove(d);
    for i in inputs {
        i.strides.remove(d);
    }
}

/// The inputs and body values the output depends on, renumbered in order (constants folded
/// into casts leave dead values behind).
fn live_only(
    inputs: Vec<Input>,
    body: Vec<Value>,
    output: Output,
) -> (Vec<Input>, Vec<Value>, Output) {
    let mut live = vec![false; body.len()];
    live[output.value()] = true;
    for v in (0..body.len()).rev() {
        if !live[v] {
            continue;
        }
        match body[v].inst {
            Inst::Unary(_, a) | Inst::Cast(a) => live[a] = true,
            Inst::Random { counter, .. } => live[counter] = true,
            Inst::Binary(_, a, b) | Inst::Complex(a, b) => {
                live[a] = true;
                live[b] = true;
            }
            Inst::Select(c, a, b) => {
                live[c] = true;
                live[a] = true;
                live[b] = true;
            }
            Inst::Load(_) | Inst::Const(_) => {}
        }
    }
    let mut new_id = vec![usize::MAX; body.len()];
    let mut input_id = vec![usize::MAX; inputs.len()];
    let mut kept_inputs = Vec::new();
    let mut kept = Vec::new();
    for (v, value) in body.into_iter().enumerate() {
        if !live[v] {
            continue;
        }
        let map = |x: usize| new_id[x];
        let inst = match value.inst {
            Inst::Load(n) => {
                if input_id[n] == usize::MAX {
                    input_id[n] = kept_inputs.len();
                    kept_inputs.push(inputs[n].clone());
                }
                Inst::Load(input_id[n])
            }
            Inst::Const(c) => Inst::Const(c),
            Inst::Unary(op, a) => Inst::Unary(op, map(a)),
            Inst::Binary(op, a, b) => Inst::Binary(op, map(a), map(b)),
            Inst::Select(c, a, b) => Inst::Select(map(c), map(a), map(b)),
            Inst::Cast(a) => Inst::Cast(map(a)),
            Inst::Complex(re, im) => Inst::Complex(map(re), map(im)),
            Inst::Random {
                dist,
                seed,
                draw,
                base,
                counter,
            } => Inst::Random {
                dist,
                seed,
                draw,
                base,
                counter: map(counter),
            },
        };
        new_id[v] = kept.len();
        kept.push(Value {
            inst,
            dtype: value.dtype,
        });
    }
    let output = match output {
        Output::Store(v) => Output::Store(new_id[v]),
        Output::Reduce {
            combine,
            value,
            axis,
            divide,
        } => Output::Reduce {
            combine,
            value: new_id[value],
            axis,
            divide,
        },
    };
    (kept_inputs, kept, output)
}
