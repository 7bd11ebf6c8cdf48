//! Observation and tooling builtins: `print save load checkpoint eval explain help
//! printoptions assert allclose`.

use super::{Args, Builtin};
use crate::diag::{Error, ErrorKind, Result, type_error};
use crate::graph::{BinaryOp, NodeRef, Op, ReduceOp, UnaryOp};
use crate::lower::{Evaluator, Value};
use crate::runtime::sandbox::FileAccess;
use crate::runtime::{Array, Scalar, format_array, format_shown, summary_edge};

pub(super) fn builtins() -> Vec<Builtin> {
    vec![
        Builtin {
            name: "print",
            signature: "print(*values, sep=\" \", end=\"\\n\")",
            doc: "Prints values separated by `sep` (a space), then `end` (a newline).",
            example: "print(\"x =\", [1, 2])",
            call: print,
        },
        Builtin {
            name: "format",
            signature: "format(x, spec=\"\")",
            doc: "A scalar as text by a Python format spec (\".3f\", \">8.2e\", \",d\", \"#x\").",
            example: "format(pi, \".3f\")",
            call: format,
        },
        Builtin {
            name: "clock",
            signature: "clock()",
            doc: "Seconds on a monotonic clock (f64), after computing every pending value in scope.",
            example: "let t0 = clock()",
            call: clock,
        },
        Builtin {
            name: "save",
            signature: "save(path, *arrays, **named)",
            doc: "Writes x to .npy or .csv; named arrays to .npz (NumPy), .vti or a .pvd step (ParaView).",
            example: "save(\"state.npz\", u=u, v=v)",
            call: save,
        },
        Builtin {
            name: "load",
            signature: "load(path, name=None)",
            doc: "Reads a .npy or .csv file; a .npz file's array `name`, or all as a tuple.",
            example: "let (u, v) = load(\"state.npz\")",
            call: load,
        },
        Builtin {
            name: "checkpoint",
            signature: "checkpoint()",
            doc: "Saves the run's state when the loop's next iteration starts (arr run --checkpoint FILE).",
            example: "if step % 1000 == 0 { checkpoint() }",
            call: |ev, a| {
                ev.request_checkpoint(a.span)?;
                Ok(Value::Unit)
            },
        },
        Builtin {
            name: "eval",
            signature: "eval(x)",
            doc: "Computes x now and returns it.",
            example: "eval(sum(arange(10)))",
            call: |ev, a| {
                let x = a.array(ev, "x")?;
                ev.force(&x)?;
                Ok(Value::Array(x))
            },
        },
        Builtin {
            name: "explain",
            signature: "explain(x)",
            doc: "Prints the plan that computes x.",
            example: "explain(ones(3) * 2)",
            call: |ev, a| {
                let x = a.array(ev, "x")?;
                let plan = ev.explain(&x);
                ev.write_out(&plan)?;
                Ok(Value::Unit)
            },
        },
        Builtin {
            name: "help",
            signature: "help(name=None)",
            doc: "Prints a function's signature, description and example; every one by topic.",
            example: "help(sum)",
            call: |ev, a| {
                let name = match a.get("name") {
                    Some((Value::Str(s), _)) => s.to_string(),
                    Some((_, span)) => {
                        return Err(
                            type_error("help takes a function name: help(sum)").with_span(*span)
                        );
                    }
                    None => {
                        let text = topics(ev);
                        ev.write_out(&text)?;
                        return Ok(Value::Unit);
                    }
                };
                match help_text(ev, &name) {
                    Some(text) => ev.write_out(&text)?,
                    None => return Err(ev.unknown_name(&name, a.span_of("name"))),
                }
                Ok(Value::Unit)
            },
        },
        Builtin {
            name: "printoptions",
            signature: "printoptions(precision=None, threshold=None, linewidth=None, suppress=None, edgeitems=None)",
            doc: "Sets how arrays print (numpy.set_printoptions); with no arguments, shows the settings.",
            example: "printoptions(precision=3, suppress=true)",
            call: printoptions,
        },
        Builtin {
            name: "assert",
            signature: "assert(cond, message=)",
            doc: "Fails with `assertion failed` unless every element of cond is true.",
            example: "assert(sum([1, 2]) == 3, \"sum is wrong\")",
            call: assert,
        },
        Builtin {
            name: "allclose",
            signature: "allclose(a, b, rtol=1e-05, atol=1e-08)",
            doc: "Whether |a - b| <= atol + rtol * |b| everywhere (NaNs never equal).",
            example: "allclose([1.0, 2.0], [1.0, 2.0000001])",
            call: allclose,
        },
    ]
}

/// Help for a builtin or a user/stdlib function: signature, doc line, example.
pub fn help_text(ev: &Evaluator, name: &str) -> Option<String> {
    if let Some(f) = ev.functions().into_iter().find(|f| f.name.text == name) {
        let source = |span: crate::diag::Span| {
            let (_, text) = ev.sources.get(span.file)?;
            text.get(span.start as usize..span.end as usize)
                .map(str::to_string)
        };
        let params: Vec<String> = f
            .params
            .iter()
            .map(|p| match &p.default {
                Some(d) => format!(
                    "{}={}",
                    p.name.text,
                    source(d.span).unwrap_or_else(|| "…".into())
                ),
                None => p.name.text.clone(),
            })
            .collect();
        let doc = f
            .doc
            .clone()
            .unwrap_or_else(|| "(user function, no doc comment)".into());
        return Some(format!(
            "{}({})\n  {}\n",
            f.name.text,
            params.join(", "),
            doc.replace('\n', "\n  ")
        ));
    }
    let b = super::find(name)?;
    Some(format!(
        "{}\n  {}\n  example: {}\n",
        b.signature, b.doc, b.example
    ))
}

fn topics(ev: &Evaluator) -> String {
    let mut out = String::from("builtins (help(name) or ?name for one):\n");
    for (title, names) in super::groups() {
        out.push_str(&format!("  {title}:\n"));
        out.push_str(&wrap(&names, 4, 88));
    }
    out.push_str("functions (stdlib and yours):\n");
    for f in ev.functions() {
        let doc = f
            .doc
            .as_deref()
            .unwrap_or("")
            .lines()
            .next()
            .unwrap_or("")
            .to_string();
        out.push_str(&format!("  {:<14} {}\n", f.name.text, doc));
    }
    out
}

/// Words joined by spaces in lines of at most `width` characters, each indented by `indent`.
fn wrap(words: &[&str], indent: usize, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for w in words {
        if !line.is_empty() && indent + line.len() + 1 + w.len() > width {
            out.push_str(&format!("{:indent$}{line}\n", ""));
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(w);
    }
    if !line.is_empty() {
        out.push_str(&format!("{:indent$}{line}\n", ""));
    }
    out
}

/// How `print` shows a value.
fn display(ev: &mut Evaluator, v: &Value, span: crate::diag::Span) -> Result<String> {
    Ok(match v {
        Value::Str(s) => s.to_string(),
        Value::Unit => String::new(),
        Value::None => "None".to_string(),
        Value::Tuple(members) => {
            let parts = members
                .iter()
                .map(|m| display(ev, m, span))
                .collect::<Result<Vec<_>>>()?;
            match parts.as_slice() {
                [one] => format!("({one},)"),
                _ => format!("({})", parts.join(", ")),
            }
        }
        other => {
            let node = ev.expect_array(other, span)?;
            match summary_edge(&node.shape) {
                Some(edge) if edge > 0 && off_host(&node) => {
                    let shown = shown_node(ev, &node, edge, span)?;
                    let shown = ev.force(&shown)?;
                    format_shown(&shown, &node.shape)
                }
                _ => format_array(&*ev.force(&node)?),
            }
        }
    })
}

/// Whether `node` is a value a backend keeps on its device (a GPU, or spread between MPI
/// ranks) not yet brought to the host, or a view of one: `print` then brings back only the
/// elements it shows.
fn off_host(node: &NodeRef) -> bool {
    node.value().is_none()
        && match &node.op {
            Op::Device(_) => true,
            Op::Index(_) | Op::Transpose(_) | Op::Reshape | Op::Cast => {
                node.inputs.len() == 1 && off_host(&node.inputs[0])
            }
            _ => false,
        }
}

/// The elements `print` shows of `node` (see `runtime::format_shown`): along each axis
/// longer than twice `edge`, its first and last `edge` items joined.
fn shown_node(
    ev: &mut Evaluator,
    node: &NodeRef,
    edge: usize,
    span: crate::diag::Span,
) -> Result<NodeRef> {
    let mut shown = node.clone();
    for (axis, &n) in node.shape.iter().enumerate() {
        if n > 2 * edge {
            let head = super::shape::slice(ev, &shown, axis, 0, 1, edge, span)?;
            let tail = super::shape::slice(ev, &shown, axis, (n - edge) as i64, 1, edge, span)?;
            shown = ev.graph.concat(&[head, tail], axis as i64, span)?;
        }
    }
    Ok(shown)
}

fn print(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    if ev.options.check_only {
        return Ok(Value::Unit);
    }
    let parts = a.rest().to_vec();
    let texts = parts
        .iter()
        .map(|(v, s)| display(ev, v, *s))
        .collect::<Result<Vec<_>>>()?;
    let sep = a.opt_str("sep")?.unwrap_or_else(|| " ".into());
    let end = a.opt_str("end")?.unwrap_or_else(|| "\n".into());
    ev.write_out(&format!("{}{end}", texts.join(&sep)))?;
    Ok(Value::Unit)
}

fn format(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let spec = a.opt_str("spec")?.unwrap_or_default();
    let x = a.array(ev, "x")?;
    if x.size() != 1 {
        return Err(type_error(format!(
            "format takes a scalar, found an array of shape {}",
            crate::graph::fmt_shape(&x.shape)
        ))
        .with_span(a.span_of("x")));
    }
    let value = ev.force(&x)?;
    let scalar = value
        .as_scalar()
        .ok_or_else(|| type_error("format takes a scalar").with_span(a.span))?;
    let text = crate::runtime::format_with_spec(scalar, &spec)
        .map_err(|m| crate::diag::value_error(m).with_span(a.span_of("spec")))?;
    Ok(Value::Str(text.into()))
}

/// `clock()`: an observation point, so time measured between two calls includes the work
/// of the statements between them (every lazy value bound in scope is computed first).
fn clock(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    ev.effect()?;
    ev.force_pending()?;
    let seconds = ev.clock_seconds();
    Ok(Value::Array(ev.graph.constant(
        Array::scalar(Scalar::F64(seconds)),
        false,
        a.span,
    )?))
}

/// The `path` argument, for `access` (checked against the sandbox, if any).
fn path_arg(ev: &Evaluator, a: &Args, access: FileAccess) -> Result<std::path::PathBuf> {
    match a.get("path") {
        Some((Value::Str(s), span)) => ev.file_path(std::path::Path::new(&**s), access, *span),
        Some((_, span)) => Err(type_error("a path must be a string").with_span(*span)),
        None => Err(type_error("missing path").with_span(a.span)),
    }
}

fn save(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    ev.effect()?;
    let path = path_arg(ev, a, FileAccess::Write)?;
    // Positional arrays are NumPy's `arr_0`, `arr_1`, …, after the named ones (as
    // `numpy.savez` names and orders them).
    let mut named: Vec<(String, crate::graph::NodeRef)> = Vec::new();
    let positional = (a.rest().iter().cloned().enumerate()).map(|(i, v)| (format!("arr_{i}"), v));
    for (name, (v, s)) in a.named().iter().cloned().chain(positional) {
        if named.iter().any(|(n, _)| *n == name) {
            return Err(type_error(format!("two arrays named `{name}`")).with_span(s));
        }
        named.push((name, ev.expect_array(&v, s)?));
    }
    if named.is_empty() {
        return Err(
            type_error("`save` needs an array: save(path, x) or save(path, name=x)")
                .with_span(a.span),
        );
    }
    // A step of a `.pvd` time series: `time=` is the step's time, not a field.
    let series = path.extension().is_some_and(|e| e == "pvd");
    let time = match named.iter().position(|(n, _)| series && n == "time") {
        Some(k) => Some(named.remove(k).1),
        None if series => {
            return Err(type_error(
                "a step of a .pvd series needs its time: save(\"run.pvd\", u=u, time=t)",
            )
            .with_span(a.span));
        }
        None => None,
    };
    if ev.options.check_only {
        return Ok(Value::Unit);
    }
    let mut nodes: Vec<_> = named.iter().map(|(_, n)| n.clone()).collect();
    nodes.extend(time.clone());
    let mut values = ev.force_all(&nodes)?;
    let time = match time {
        Some(_) => {
            let v = values.pop().and_then(|v| v.as_scalar());
            match v.map(|s| s.cast(crate::dtype::DType::F64)) {
                Some(Scalar::F64(t)) if t.is_finite() => Some(t),
                _ => {
                    let span = a.named().iter().find(|(n, _)| n == "time");
                    return Err(type_error("time= must be a finite real scalar")
                        .with_span(span.map_or(a.span, |(_, (_, s))| *s)));
                }
            }
        }
        None => None,
    };
    let arrays: Vec<(&str, &Array)> = named
        .iter()
        .zip(&values)
        .map(|((name, _), v)| (name.as_str(), &**v))
        .collect();
    if ev.leads() {
        match time {
            Some(t) => crate::runtime::io::save_series_step(&path, &arrays, t),
            None => crate::runtime::io::save(&path, &arrays),
        }
        .map_err(|e| e.with_span(a.span))?;
    }
    // Every process goes on once the leading one has written the file (under MPI, rank 0
    // writes it and a later `load` on any rank reads it): a broadcast from it.
    ev.backend.agree(0.0);
    Ok(Value::Unit)
}

fn load(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    ev.effect()?;
    let path = path_arg(ev, a, FileAccess::Read)?;
    let limit = ev.options.memory_limit;
    let name = a.opt_str("name")?;
    let npz = path.extension().is_some_and(|e| e == "npz");
    if !npz && name.is_none() {
        if let Some(node) = load_spread(ev, &path, a.span)? {
            return Ok(Value::Array(node));
        }
        let value = crate::runtime::io::load(&path, limit).map_err(|e| e.with_span(a.span))?;
        return Ok(Value::Array(ev.graph.constant(value, false, a.span)?));
    }
    let arrays = crate::runtime::io::load_npz(&path, limit, name.as_deref())
        .map_err(|e| e.with_span(a.span))?;
    let mut values = Vec::with_capacity(arrays.len());
    for (_, array) in arrays {
        values.push(Value::Array(ev.graph.constant(array, false, a.span)?));
    }
    Ok(match (name, values.len()) {
        (Some(_), 1) => values.pop().unwrap_or(Value::None),
        _ => Value::Tuple(values.into()),
    })
}

/// The `.npy` file at `path` spread by rows between the processes of an SPMD job, each
/// reading only its own block of rows (a file larger than one machine's memory loads onto
/// several); None where the backend does not spread it (one process, a small array) or
/// its elements need converting (the whole-file reader loads it then).
fn load_spread(
    ev: &mut Evaluator,
    path: &std::path::Path,
    span: crate::diag::Span,
) -> Result<Option<NodeRef>> {
    if crate::runtime::reserve::spread_ranks() <= 1 {
        return Ok(None);
    }
    let Some(layout) = crate::runtime::io::npy_layout(path) else {
        return Ok(None);
    };
    ev.graph.check_size(&layout.shape, layout.dtype, span)?;
    let mut fill = |rows: std::ops::Range<usize>, bytes: &mut [u8]| {
        crate::runtime::io::read_npy_rows(path, &layout, rows, bytes)
    };
    let spread = ev
        .backend
        .spread_array(&layout.shape, layout.dtype, &mut fill);
    match spread.map_err(|e| e.with_span(span))? {
        Some(value) => Ok(Some(ev.graph.device_value(value, false, span)?)),
        None => Ok(None),
    }
}

fn printoptions(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let mut o = crate::runtime::print_options();
    let count = |ev: &mut Evaluator, name: &str, least: i64| -> Result<Option<usize>> {
        match a.opt_i64(ev, name)? {
            Some(n) if n < least => Err(crate::diag::value_error(format!(
                "`{name}` must be at least {least}, not {n}"
            ))
            .with_span(a.span_of(name))),
            n => Ok(n.map(|n| n as usize)),
        }
    };
    let precision = count(ev, "precision", 0)?;
    let threshold = count(ev, "threshold", 0)?;
    let linewidth = count(ev, "linewidth", 1)?;
    let edgeitems = count(ev, "edgeitems", 1)?;
    let suppress = match a.get("suppress") {
        Some(_) => Some(a.flag(ev, "suppress")?),
        None => None,
    };
    let given = [precision, threshold, linewidth, edgeitems]
        .iter()
        .any(Option::is_some)
        || suppress.is_some();
    if !given {
        let text = format!(
            "precision={} threshold={} linewidth={} suppress={} edgeitems={}\n",
            o.precision, o.threshold, o.linewidth, o.suppress, o.edgeitems
        );
        ev.write_out(&text)?;
        return Ok(Value::Unit);
    }
    o.precision = precision.unwrap_or(o.precision).min(MAX_PRECISION);
    o.threshold = threshold.unwrap_or(o.threshold);
    o.linewidth = linewidth.unwrap_or(o.linewidth);
    o.edgeitems = edgeitems.unwrap_or(o.edgeitems);
    o.suppress = suppress.unwrap_or(o.suppress);
    crate::runtime::set_print_options(o);
    Ok(Value::Unit)
}

/// Digits after the point beyond which nothing changes for an f64 (NumPy accepts any).
const MAX_PRECISION: usize = 64;

fn assert(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let cond = a.array(ev, "cond")?;
    let message = a
        .opt_str("message")?
        .unwrap_or_else(|| "condition is false".into());
    let all = ev
        .graph
        .reduce(ReduceOp::All, &cond, None, false, 0, a.span)?;
    let ok = ev.force(&all)?.as_scalar() == Some(Scalar::Bool(true));
    if ok {
        Ok(Value::Unit)
    } else {
        Err(Error::new(ErrorKind::Assertion, message).with_span(a.span))
    }
}

fn allclose(ev: &mut Evaluator, a: &mut Args) -> Result<Value> {
    let span = a.span;
    let x = a.array(ev, "a")?;
    let y = a.array(ev, "b")?;
    let rtol = a.opt_f64(ev, "rtol")?.unwrap_or(1e-5);
    let atol = a.opt_f64(ev, "atol")?.unwrap_or(1e-8);
    let g = &mut ev.graph;
    let rtol = g.constant(Array::scalar(Scalar::F64(rtol)), true, span)?;
    let atol = g.constant(Array::scalar(Scalar::F64(atol)), true, span)?;
    let diff = g.binary(BinaryOp::Sub, &x, &y, span)?;
    let diff = g.unary(UnaryOp::Abs, &diff, span)?;
    let scale = g.unary(UnaryOp::Abs, &y, span)?;
    let scale = g.binary(BinaryOp::Mul, &rtol, &scale, span)?;
    let tol = g.binary(BinaryOp::Add, &atol, &scale, span)?;
    let close = g.binary(BinaryOp::Le, &diff, &tol, span)?;
    // Infinities of the same sign are close; NaNs never are.
    let same = g.binary(BinaryOp::Eq, &x, &y, span)?;
    let close = g.binary(BinaryOp::Or, &close, &same, span)?;
    let all = g.reduce(ReduceOp::All, &close, None, false, 0, span)?;
    Ok(Value::Array(ev.fold(all)?))
}
