//! Expressions: literals, names, operators, calls (user functions are inlined here),
//! attributes, lists and `if` expressions.

use super::builtins::{self, Args};
use super::{Binding, Ev, Evaluator, Exit, MAX_CALL_DEPTH, MAX_EXPR_DEPTH, Value};
use crate::diag::{Error, Result, Span, name_error, resource_error, shape_error, type_error};
use crate::dtype::DType;
use crate::graph::{BinaryOp, NodeRef, UnaryOp, fmt_shape};
use crate::runtime::{Array, Scalar};
use crate::syntax::ast::{Arg, BinOp, Expr, ExprKind, FnDef, UnOp};
use std::rc::Rc;

impl Evaluator {
    /// Evaluates an expression to a value (arrays stay lazy).
    pub(crate) fn eval(&mut self, e: &Expr) -> Ev<Value> {
        self.expr_depth += 1;
        let result = if self.expr_depth > MAX_EXPR_DEPTH {
            Err(resource_error("expression nested too deeply")
                .with_span(e.span)
                .into())
        } else {
            self.eval_inner(e)
        };
        self.expr_depth -= 1;
        result
    }

    fn eval_inner(&mut self, e: &Expr) -> Ev<Value> {
        let span = e.span;
        match &e.kind {
            ExprKind::Int(v) => Ok(Value::Array(self.literal(Scalar::I64(*v), span)?)),
            ExprKind::Float(v) => Ok(Value::Array(self.literal(Scalar::F64(*v), span)?)),
            ExprKind::Imag(v) => Ok(Value::Array(
                self.literal(Scalar::C128(num_complex::Complex64::new(0.0, *v)), span)?,
            )),
            ExprKind::None => Ok(Value::None),
            ExprKind::Tuple(items) => {
                let values = items.iter().map(|i| self.eval(i)).collect::<Ev<Vec<_>>>()?;
                Ok(Value::Tuple(values.into()))
            }
            ExprKind::Bool(v) => Ok(Value::Array(self.literal(Scalar::Bool(*v), span)?)),
            ExprKind::Str(s) => Ok(Value::Str(s.as_str().into())),
            ExprKind::Var(name) => self.eval_var(name, span),
            ExprKind::List(items) => {
                let values = items.iter().map(|i| self.eval(i)).collect::<Ev<Vec<_>>>()?;
                Ok(Value::Array(self.list_to_array(&values, span)?))
            }
            ExprKind::Unary(op, x) => {
                let v = self.eval(x)?;
                Ok(self.unop(*op, v, span)?)
            }
            ExprKind::Binary(op, a, b) => {
                let a = self.eval(a)?;
                let b = self.eval(b)?;
                Ok(self.binop(*op, a, b, span)?)
            }
            ExprKind::Call { func, args } => self.eval_call(&func.text, func.span, args, span),
            ExprKind::Index(x, items) => {
                let v = self.eval(x)?;
                if let Value::Tuple(members) = &v {
                    return self.tuple_index(members, items, span);
                }
                let node = self.expect_array(&v, x.span)?;
                Ok(Value::Array(self.index(&node, items, span)?))
            }
            ExprKind::Attr(x, name) => {
                let v = self.eval(x)?;
                Ok(self.attribute(v, &name.text, name.span, span)?)
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                if self.eval_condition(cond)? {
                    self.exec_block(then)
                } else if let Some(b) = otherwise {
                    self.exec_block(b)
                } else {
                    Ok(Value::Unit)
                }
            }
        }
    }

    /// A weak literal scalar.
    fn literal(&mut self, s: Scalar, span: Span) -> Result<NodeRef> {
        // Checked by value: desugared code gives several literals one span (the bounds of
        // `for row in x`), and their values may change between runs of it.
        let key = (span.file, span.start);
        if let Some(node) = self.literals.get(&key)
            && node
                .value()
                .and_then(|v| v.as_scalar())
                .is_some_and(|v| v.same_bits(s))
        {
            return Ok(node.clone());
        }
        let node = self.graph.constant(Array::scalar(s), true, span)?;
        self.literals.insert(key, node.clone());
        Ok(node)
    }

    fn eval_var(&mut self, name: &str, span: Span) -> Ev<Value> {
        match self.read_var(name)? {
            Some(Binding::Value(v)) => return Ok(v),
            Some(Binding::Func(_)) => {
                return Err(type_error(format!(
                    "`{name}` is a function; call it as `{name}(...)`"
                ))
                .with_span(span)
                .into());
            }
            None => {}
        }
        let constant = match name {
            "pi" => Some(std::f64::consts::PI),
            "e" => Some(std::f64::consts::E),
            "inf" => Some(f64::INFINITY),
            "nan" => Some(f64::NAN),
            "newaxis" => return Ok(Value::None),
            _ => None,
        };
        if let Some(c) = constant {
            return Ok(Value::Array(self.literal(Scalar::F64(c), span)?));
        }
        if builtins::find(name).is_some() {
            return Err(type_error(format!(
                "`{name}` is a builtin function; call it as `{name}(...)`"
            ))
            .with_span(span)
            .into());
        }
        Err(self.unknown_name(name, span).into())
    }

    /// A name error with the closest visible name suggested.
    pub(crate) fn unknown_name(&self, name: &str, span: Span) -> Error {
        let err = name_error(format!("`{name}` is not defined")).with_span(span);
        let best = self
            .visible_names()
            .into_iter()
            .map(|c| (strsim::damerau_levenshtein(name, &c), c))
            .filter(|(d, c)| *d <= (name.len().max(c.len()) / 3).max(1) && *d < name.len())
            .min();
        match best {
            Some((_, c)) => err.with_help(format!("did you mean `{c}`?")),
            None => err,
        }
    }

    /// The array node of a value, or a type error at `span`.
    pub(crate) fn expect_array(&mut self, v: &Value, span: Span) -> Result<NodeRef> {
        match v {
            Value::Array(n) => Ok(n.clone()),
            Value::List(items) => self.list_to_array(items, span),
            // A tuple where an array is wanted is a sequence, as in NumPy (`zeros((3, 4))`).
            Value::Tuple(items) => self.list_to_array(items, span),
            other => Err(
                type_error(format!("expected an array, found {}", other.kind_name()))
                    .with_span(span),
            ),
        }
    }

    /// The integer value of a scalar (computed now).
    pub(crate) fn value_i64(&mut self, v: &Value, span: Span) -> Result<i64> {
        let node = self.expect_array(v, span)?;
        if node.size() != 1 {
            return Err(type_error(format!(
                "expected an integer scalar, found an array of shape {}",
                fmt_shape(&node.shape)
            ))
            .with_span(span));
        }
        if node.dtype.is_inexact() {
            return Err(
                type_error(format!("expected an integer, found {}", node.dtype)).with_span(span),
            );
        }
        let a = self.force(&node).map_err(|e| e.or_span(span))?;
        Ok(a.as_scalar().map_or(0, |s| match s.cast(DType::I64) {
            Scalar::I64(v) => v,
            _ => 0,
        }))
    }

    /// The number value of a scalar as f64 (computed now).
    pub(crate) fn value_f64(&mut self, v: &Value, span: Span) -> Result<f64> {
        let node = self.expect_array(v, span)?;
        if node.size() != 1 {
            return Err(type_error(format!(
                "expected a scalar, found an array of shape {}",
                fmt_shape(&node.shape)
            ))
            .with_span(span));
        }
        let a = self.force(&node).map_err(|e| e.or_span(span))?;
        Ok(a.as_scalar().map_or(f64::NAN, Scalar::as_f64))
    }

    /// Builds an array from a list literal's elements (NumPy's `np.array([...])`).
    pub(crate) fn list_to_array(&mut self, items: &[Value], span: Span) -> Result<NodeRef> {
        if items.is_empty() {
            return self.graph.constant(
                Array::F64(ndarray::ArrayD::zeros(ndarray::IxDyn(&[0]))),
                false,
                span,
            );
        }
        let nodes = items
            .iter()
            .map(|v| self.expect_array(v, span))
            .collect::<Result<Vec<_>>>()?;
        let first = nodes[0].shape.clone();
        if let Some(bad) = nodes.iter().find(|n| n.shape != first) {
            return Err(shape_error(format!(
                "list elements must have the same shape, found {} and {}",
                fmt_shape(&first),
                fmt_shape(&bad.shape)
            ))
            .with_span(span));
        }
        // Strong dtype: np.array([1, 2.5]) is f64 whatever the literals' weakness.
        let dtype = nodes.iter().map(|n| n.dtype).max().unwrap_or(DType::F64);
        let mut parts = Vec::with_capacity(nodes.len());
        let mut shape1 = vec![1];
        shape1.extend(&first);
        for n in &nodes {
            let c = self.graph.cast(n, dtype, span)?;
            let c = self.fold(c)?;
            let c = self.graph.reshape(&c, shape1.clone(), span)?;
            parts.push(self.fold(c)?);
        }
        let node = self.graph.concat(&parts, 0, span)?;
        let node = if nodes.len() == 1 {
            self.graph.cast(&node, dtype, span)?
        } else {
            node
        };
        self.fold(node)
    }

    /// Applies a prefix operator.
    pub(crate) fn unop(&mut self, op: UnOp, v: Value, span: Span) -> Result<Value> {
        not_a_tuple(&v, span)?;
        let x = self.expect_array(&v, span)?;
        let node = match op {
            UnOp::Pos => return Ok(Value::Array(x)),
            UnOp::Neg => self.graph.unary(UnaryOp::Neg, &x, span)?,
            UnOp::Not => self.graph.unary(UnaryOp::Not, &x, span)?,
            // `~` on bool is logical not (NumPy's `invert`).
            UnOp::Invert if x.dtype == DType::Bool => self.graph.unary(UnaryOp::Not, &x, span)?,
            UnOp::Invert => self.graph.unary(UnaryOp::Invert, &x, span)?,
        };
        Ok(Value::Array(self.fold(node)?))
    }

    /// Applies an infix operator.
    pub(crate) fn binop(&mut self, op: BinOp, a: Value, b: Value, span: Span) -> Result<Value> {
        if let (Value::Str(x), Value::Str(y)) = (&a, &b) {
            let eq = match op {
                BinOp::Add => return Ok(Value::Str(format!("{x}{y}").into())),
                BinOp::Eq => x == y,
                BinOp::Ne => x != y,
                _ => {
                    return Err(type_error(format!(
                        "`{}` is not defined for strings",
                        op.symbol()
                    ))
                    .with_span(span));
                }
            };
            return Ok(Value::Array(self.graph.constant(
                Array::scalar(Scalar::Bool(eq)),
                false,
                span,
            )?));
        }
        if matches!(op, BinOp::Eq | BinOp::Ne)
            && (matches!(a, Value::None) || matches!(b, Value::None))
        {
            // `x == None` (Python's `x is None`): whether an optional argument was given.
            let same = matches!(a, Value::None) && matches!(b, Value::None);
            let v = Array::scalar(Scalar::Bool(same == (op == BinOp::Eq)));
            return Ok(Value::Array(self.graph.constant(v, false, span)?));
        }
        not_a_tuple(&a, span)?;
        not_a_tuple(&b, span)?;
        let mut x = self.expect_array(&a, span)?;
        let y = self.expect_array(&b, span)?;
        let bop = match op {
            BinOp::MatMul => {
                let n = self.graph.matmul(&x, &y, span)?;
                return Ok(Value::Array(self.fold(n)?));
            }
            BinOp::Add => BinaryOp::Add,
            BinOp::Sub => BinaryOp::Sub,
            BinOp::Mul => BinaryOp::Mul,
            BinOp::Div => BinaryOp::Div,
            BinOp::FloorDiv => BinaryOp::FloorDiv,
            BinOp::Mod => BinaryOp::Mod,
            BinOp::Pow => {
                // Python: a literal int to a negative literal int power is a float.
                if x.weak && y.weak && x.dtype == DType::I64 && y.dtype == DType::I64 {
                    let negative = y
                        .value()
                        .and_then(|v| v.as_scalar())
                        .is_some_and(|s| s.as_f64() < 0.0);
                    if negative {
                        x = self.graph.constant(
                            x.value()
                                .map_or(Array::scalar(Scalar::F64(0.0)), |v| v.cast(DType::F64)),
                            true,
                            x.span,
                        )?;
                    }
                }
                BinaryOp::Pow
            }
            BinOp::Eq => BinaryOp::Eq,
            BinOp::Ne => BinaryOp::Ne,
            BinOp::Lt => BinaryOp::Lt,
            BinOp::Le => BinaryOp::Le,
            BinOp::Gt => BinaryOp::Gt,
            BinOp::Ge => BinaryOp::Ge,
            BinOp::And => BinaryOp::And,
            BinOp::Or => BinaryOp::Or,
            BinOp::BitAnd => BinaryOp::BitAnd,
            BinOp::BitOr => BinaryOp::BitOr,
            BinOp::BitXor => BinaryOp::BitXor,
            BinOp::Shl => BinaryOp::Shl,
            BinOp::Shr => BinaryOp::Shr,
        };
        let n = self.graph.binary(bop, &x, &y, span)?;
        Ok(Value::Array(self.fold(n)?))
    }

    /// `t[i]` or `t[a:b]` on a tuple: members picked by integer scalars (computed now).
    fn tuple_index(
        &mut self,
        members: &[Value],
        items: &[crate::syntax::ast::IndexItem],
        span: Span,
    ) -> Ev<Value> {
        use crate::syntax::ast::IndexItem;
        let n = members.len();
        match items {
            [IndexItem::Expr(e)] => {
                let i = self.eval_i64(e)?;
                let k = if i < 0 { i + n as i64 } else { i };
                if k < 0 || k >= n as i64 {
                    return Err(crate::diag::index_error(format!(
                        "tuple index {i} is out of range for a tuple of length {n}"
                    ))
                    .with_span(e.span)
                    .into());
                }
                Ok(members[k as usize].clone())
            }
            [IndexItem::Slice { start, stop, step }] => {
                let mut bound = |e: &Option<Expr>| -> Ev<Option<i64>> {
                    e.as_ref().map(|e| self.eval_i64(e)).transpose()
                };
                let (a, b, s) = (bound(start)?, bound(stop)?, bound(step)?);
                let (start, step, len) =
                    super::index::slice_indices(a, b, s, n).map_err(|e| e.with_span(span))?;
                let picked: Vec<Value> = (0..len as i64)
                    .map(|k| members[(start + k * step) as usize].clone())
                    .collect();
                Ok(Value::Tuple(picked.into()))
            }
            _ => Err(type_error(
                "a tuple is indexed by one integer or one slice (`t[0]`, `t[1:]`)",
            )
            .with_span(span)
            .into()),
        }
    }

    fn attribute(&mut self, v: Value, name: &str, name_span: Span, span: Span) -> Result<Value> {
        not_a_tuple(&v, span)?;
        let x = self.expect_array(&v, span)?;
        let int = |ev: &mut Evaluator, n: usize| {
            ev.graph
                .constant(Array::scalar(Scalar::I64(n as i64)), true, span)
        };
        Ok(match name {
            "T" => {
                let nd = x.shape.len();
                let mut perm: Vec<usize> = (0..nd).collect();
                if nd >= 2 {
                    perm.swap(nd - 1, nd - 2);
                }
                Value::Array(self.graph.transpose(&x, perm, span)?)
            }
            "shape" => {
                let dims: Vec<i64> = x.shape.iter().map(|&d| d as i64).collect();
                let a = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[dims.len()]), dims)
                    .map_err(|e| type_error(e.to_string()))?;
                Value::Array(self.graph.constant(Array::I64(a), false, span)?)
            }
            "ndim" => Value::Array(int(self, x.shape.len())?),
            "size" => Value::Array(int(self, x.size())?),
            "dtype" => Value::Str(x.dtype.name().into()),
            _ => {
                return Err(name_error(format!("arrays have no attribute `{name}`"))
                    .with_span(name_span)
                    .with_help(
                        "attributes are .T .shape .ndim .size .dtype; call functions as x.f()",
                    ));
            }
        })
    }

    fn eval_call(&mut self, name: &str, name_span: Span, args: &[Arg], span: Span) -> Ev<Value> {
        self.resolve_or_stdlib(name)?;
        if let Some(Binding::Func(def)) = self.lookup(name) {
            let def = def.clone();
            return self.call_user(&def, args, span);
        }
        if let Some(Binding::Value(_)) = self.lookup(name) {
            return Err(
                type_error(format!("`{name}` is a variable, not a function"))
                    .with_span(name_span)
                    .into(),
            );
        }
        let Some(builtin) = builtins::find(name) else {
            return Err(self.unknown_name(name, name_span).into());
        };
        let mut values = Vec::with_capacity(args.len());
        for a in args {
            let keyword = a.keyword.as_ref().map(|k| (k.text.clone(), k.span));
            let v = self.eval_arg(builtin, keyword.as_ref().map(|k| k.0.as_str()), &a.value)?;
            values.push((keyword, v, a.value.span));
        }
        let mut bound = Args::bind(builtin, values, span)?;
        Ok((builtin.call)(self, &mut bound)?)
    }

    /// Evaluates one builtin argument. A list literal stays a list (so `concat([a, b])` can
    /// take members of different shapes), and a bare name is taken as text where the builtin
    /// wants a name (`help(sum)`, `dtype=f32`).
    fn eval_arg(&mut self, b: &builtins::Builtin, keyword: Option<&str>, e: &Expr) -> Ev<Value> {
        if let Some(name) = Self::bare_name(e) {
            let wants_name = keyword == Some("dtype") || (b.name == "help" && keyword.is_none());
            if wants_name && !matches!(self.lookup(name), Some(Binding::Value(_))) {
                return Ok(Value::Str(name.into()));
            }
        }
        if let ExprKind::List(items) = &e.kind {
            let values = items.iter().map(|i| self.eval(i)).collect::<Ev<Vec<_>>>()?;
            return Ok(Value::List(values));
        }
        self.eval(e)
    }

    /// Calls a user function by tracing its body with the arguments bound (inlining).
    fn call_user(&mut self, def: &Rc<FnDef>, args: &[Arg], span: Span) -> Ev<Value> {
        if self.call_depth >= MAX_CALL_DEPTH {
            return Err(resource_error(format!(
                "recursion deeper than {MAX_CALL_DEPTH} calls in `{}`",
                def.name.text
            ))
            .with_span(span)
            .into());
        }
        let mut bound: Vec<Option<Value>> = vec![None; def.params.len()];
        let mut positional = 0;
        for a in args {
            let slot = match &a.keyword {
                None => {
                    positional += 1;
                    if positional > def.params.len() {
                        let given = args.iter().filter(|a| a.keyword.is_none()).count();
                        let n = def.params.len();
                        return Err(type_error(format!(
                            "`{}` takes {n} argument{} but {given} were given",
                            def.name.text,
                            if n == 1 { "" } else { "s" }
                        ))
                        .with_span(a.value.span)
                        .into());
                    }
                    positional - 1
                }
                Some(k) => def
                    .params
                    .iter()
                    .position(|p| p.name.text == k.text)
                    .ok_or_else(|| {
                        type_error(format!("`{}` has no parameter `{}`", def.name.text, k.text))
                            .with_span(k.span)
                    })?,
            };
            if bound[slot].is_some() {
                return Err(type_error(format!(
                    "argument `{}` given twice",
                    def.params[slot].name.text
                ))
                .with_span(a.value.span)
                .into());
            }
            bound[slot] = Some(self.eval(&a.value)?);
        }
        self.frames.push(self.scopes.len());
        self.scopes.push(super::Scope::default());
        self.call_depth += 1;
        let result = self.call_user_body(def, bound, span);
        self.call_depth -= 1;
        self.scopes.pop();
        self.frames.pop();
        match result {
            Err(Exit::Return(v, _)) => Ok(v),
            Err(Exit::Break(s) | Exit::Continue(s)) => Err(crate::diag::syntax_error(
                "`break` or `continue` outside of a loop",
            )
            .with_span(s)
            .into()),
            // The error happened inside this call: say where it was called from.
            Err(Exit::Error(mut e)) if e.span.is_some_and(|s| !span.contains(s)) => {
                e.calls.push((def.name.text.clone(), span));
                Err(Exit::Error(e))
            }
            other => other,
        }
    }

    fn call_user_body(&mut self, def: &FnDef, bound: Vec<Option<Value>>, span: Span) -> Ev<Value> {
        for (p, v) in def.params.iter().zip(bound) {
            let v = match (v, &p.default) {
                (Some(v), _) => v,
                (None, Some(d)) => self.eval(d)?,
                (None, None) => {
                    return Err(type_error(format!(
                        "`{}` is missing argument `{}`",
                        def.name.text, p.name.text
                    ))
                    .with_span(span)
                    .into());
                }
            };
            self.define(&p.name.text, Binding::Value(v));
        }
        self.exec_block_stmts(&def.body.stmts)
    }
}

/// A type error when `v` is a tuple: tuples are not arrays (LANGUAGE.md §3), so operators
/// and attributes do not apply to them.
fn not_a_tuple(v: &Value, span: Span) -> Result<()> {
    match v {
        Value::Tuple(_) => Err(type_error("a tuple is not an array")
            .with_span(span)
            .with_help("pick a member (`t[0]`) or make an array of it (`array(t)`)")),
        Value::None => Err(type_error("None is not an array").with_span(span)),
        _ => Ok(()),
    }
}
