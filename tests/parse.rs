//! Parse trees of a corpus of snippets, printed as S-expressions and snapshot-tested: the
//! precedence, associativity and statement rules of LANGUAGE.md §1, §3, §4.

use arr::syntax::ast::*;
use arr::syntax::parse;

fn expr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Int(v) => v.to_string(),
        ExprKind::Float(v) => format!("{v:?}"),
        ExprKind::Imag(v) => format!("{v:?}j"),
        ExprKind::None => "None".into(),
        ExprKind::Tuple(items) => {
            format!(
                "(tuple {})",
                items.iter().map(expr).collect::<Vec<_>>().join(" ")
            )
        }
        ExprKind::Str(s) => format!("{s:?}"),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Var(n) => n.clone(),
        ExprKind::List(items) => {
            format!("[{}]", items.iter().map(expr).collect::<Vec<_>>().join(" "))
        }
        ExprKind::Unary(op, x) => format!(
            "({} {})",
            match op {
                UnOp::Neg => "neg",
                UnOp::Pos => "pos",
                UnOp::Not => "not",
                UnOp::Invert => "~",
            },
            expr(x)
        ),
        ExprKind::Binary(op, a, b) => format!("({} {} {})", op.symbol(), expr(a), expr(b)),
        ExprKind::Call { func, args } => {
            let args: Vec<String> = args
                .iter()
                .map(|a| match &a.keyword {
                    Some(k) => format!("{}={}", k.text, expr(&a.value)),
                    None => expr(&a.value),
                })
                .collect();
            format!("(call {} {})", func.text, args.join(" "))
        }
        ExprKind::Index(x, items) => format!(
            "(index {} {})",
            expr(x),
            items.iter().map(item).collect::<Vec<_>>().join(" ")
        ),
        ExprKind::Attr(x, n) => format!("(. {} {})", expr(x), n.text),
        ExprKind::If {
            cond,
            then,
            otherwise,
        } => match otherwise {
            Some(b) => format!("(if {} {} {})", expr(cond), block(then), block(b)),
            None => format!("(if {} {})", expr(cond), block(then)),
        },
    }
}

fn item(i: &IndexItem) -> String {
    let opt = |e: &Option<Expr>| e.as_ref().map_or("_".to_string(), expr);
    match i {
        IndexItem::Expr(e) => expr(e),
        IndexItem::Slice { start, stop, step } => {
            format!("{}:{}:{}", opt(start), opt(stop), opt(step))
        }
        IndexItem::Ellipsis => "...".into(),
    }
}

fn pattern(p: &Pattern) -> String {
    match p {
        Pattern::Name(n) => n.text.clone(),
        Pattern::Tuple(ps, _) => {
            format!("({})", ps.iter().map(pattern).collect::<Vec<_>>().join(" "))
        }
    }
}

fn target(t: &Target) -> String {
    match t {
        Target::Name { name, index: None } => name.text.clone(),
        Target::Name {
            name,
            index: Some(items),
        } => format!(
            "{}[{}]",
            name.text,
            items.iter().map(item).collect::<Vec<_>>().join(" ")
        ),
        Target::Tuple(ts, _) => {
            format!("({})", ts.iter().map(target).collect::<Vec<_>>().join(" "))
        }
    }
}

fn block(b: &Block) -> String {
    format!(
        "{{{}}}",
        b.stmts.iter().map(stmt).collect::<Vec<_>>().join("; ")
    )
}

fn stmt(s: &Stmt) -> String {
    match &s.kind {
        StmtKind::Let { name, value } => format!("(let {} {})", name.text, expr(value)),
        StmtKind::LetTuple { pattern: p, value } => {
            format!("(let {} {})", pattern(p), expr(value))
        }
        StmtKind::AssignMany { targets, value } => format!(
            "(= {} {})",
            targets.iter().map(target).collect::<Vec<_>>().join(" "),
            expr(value)
        ),
        StmtKind::ForEach {
            var,
            iterable,
            body,
        } => format!("(for {} in {} {})", var.text, expr(iterable), block(body)),
        StmtKind::Assign {
            target,
            index,
            op,
            value,
        } => {
            let t = match index {
                Some(items) => format!(
                    "{}[{}]",
                    target.text,
                    items.iter().map(item).collect::<Vec<_>>().join(" ")
                ),
                None => target.text.clone(),
            };
            let op = op.map_or("=".to_string(), |o| format!("{}=", o.symbol()));
            format!("({op} {t} {})", expr(value))
        }
        StmtKind::Fn(f) => {
            let params: Vec<String> = f
                .params
                .iter()
                .map(|p| match &p.default {
                    Some(d) => format!("{}={}", p.name.text, expr(d)),
                    None => p.name.text.clone(),
                })
                .collect();
            let doc = f
                .doc
                .as_ref()
                .map_or(String::new(), |d| format!(" doc={d:?}"));
            format!(
                "(fn {} ({}){doc} {})",
                f.name.text,
                params.join(" "),
                block(&f.body)
            )
        }
        StmtKind::For {
            var,
            start,
            stop,
            step,
            body,
        } => format!(
            "(for {} {} {} {} {})",
            var.text,
            expr(start),
            expr(stop),
            step.as_ref().map_or("1".into(), expr),
            block(body)
        ),
        StmtKind::While { cond, body } => format!("(while {} {})", expr(cond), block(body)),
        StmtKind::Break => "break".into(),
        StmtKind::Continue => "continue".into(),
        StmtKind::Return(e) => format!("(return {})", e.as_ref().map_or("_".into(), expr)),
        StmtKind::Import(p) => format!("(import {p:?})"),
        StmtKind::Expr(e) => expr(e),
    }
}

const CORPUS: &[&str] = &[
    "1 + 2 * 3 - 4 / 5 // 6 % 7",
    "-2 ** 2; 2 ** -1; 2 ** 3 ** 2; -x ** -y",
    "a or b and not c == d; a || b && !c",
    "a < b + 1; x @ y * z",
    "f(x, 1, axis=0, keepdims=true)",
    "x.sum(axis=1).T.shape",
    "x[1]; x[a:b]; x[a:b:s]; x[::-1]; x[:, j]; x[:]; x[1:]; x[:-1]; x[x > 0]; x[[0, 2]]",
    "[1, 2, 3]; [[1, 2], [3, 4]]; []; [1,]",
    "let x = 1\nx = 2; x[0] = 3\nx += 1; x -= 1; x *= 2; x /= 2; x[1:] += 1",
    "fn f(a, b, c = 1.0) = a + b * c",
    "## Adds one.\nfn inc(x) {\n    let y = x + 1\n    y\n}",
    "if a { 1 } else if b { 2 } else { 3 }",
    "if a {\n  print(1)\n}\nelse {\n  print(2)\n}",
    "for i in 0..10 { print(i) }\nfor i in 10..0..-2 { continue }",
    "while x < 10 { x += 1; if x == 5 { break } }",
    "fn f(n) { if n <= 1 { return 1 } n * f(n - 1) }",
    "import \"lib.arr\"",
    "let total = a +\n    b +\n    c",
    "let m = zeros(\n  3,\n  4\n)",
    "1_000_000; 1.5; .5; 3.; 1e-3; 2.5E+4; \"s\\t\\\"q\\\"\\n\"",
    "let v = if c { 1.5 } else { 2.5 } + 1",
    "# comment only\n\n;; x ; # trailing",
    "a | b ^ c & d << 1 + 2; (x > 0) & (y < 1); x == a | b; ~a ** 2; -~a; a >> b >> c",
    "0x1F; 0o17; 0b1011; 0xff_ff; 2j; 1.5j; 1e-3j; .5j; 1 + 2J; \"\\r\"",
    "(a, b); (a,); (); (a, (b, c),); (1 + 2) * 3",
    "let (q, r) = f(x); let ((a, b), c) = t; (a, b) = (b, a); a = b[0] = (c, d) = e",
    "x //= 2; x %= 3; x **= 2; x &= m; x |= m; x ^= m; x <<= 1; x >>= 1",
    "x[None]; x[:, None]; x[..., 0]; x[None, ..., None]; x[newaxis, 1:]",
    "for row in x { print(row) }; for v in (1, 2) { v }; sum(x, axis=None)",
];

#[test]
fn parse_corpus() {
    let mut out = String::new();
    for src in CORPUS {
        let program = parse(src, 0).unwrap_or_else(|e| panic!("{src:?} should parse: {e}"));
        out.push_str(&format!("{src:?}\n"));
        for s in &program.stmts {
            out.push_str(&format!("  {}\n", stmt(s)));
        }
    }
    insta::assert_snapshot!(out);
}

#[test]
fn spans_point_at_source() {
    let src = "let x = a + b";
    let program = parse(src, 0).expect("parses");
    let StmtKind::Let { value, .. } = &program.stmts[0].kind else {
        panic!("a let")
    };
    assert_eq!(
        &src[value.span.start as usize..value.span.end as usize],
        "a + b"
    );
}

#[test]
fn syntax_errors_have_spans() {
    for (src, at) in [
        ("let = 3", 4),
        ("x = (1 + ", 8),
        ("1 2", 2),
        ("f(1) = 2", 0),
        ("\"open", 0),
        ("let x = $", 8),
    ] {
        let err = parse(src, 0).expect_err(src);
        assert_eq!(err.kind, arr::ErrorKind::Syntax, "{src}");
        assert_eq!(err.span.map(|s| s.start), Some(at), "{src}: {err}");
    }
}
