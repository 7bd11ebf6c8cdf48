//! No input may panic: random bytes and random token soup go through the parser, and soup
//! that parses is run; random well-formed expressions over random shapes and dtypes are
//! evaluated, which also checks (by debug assertions in the interpreter) that every
//! inferred shape and dtype is the one computed.

use arr::lower::Options;
use arr::{BackendKind, Session};
use proptest::prelude::*;

fn session() -> Session {
    let options = Options {
        memory_limit: 8 << 20,
        ..Options::default()
    };
    Session::with_options(BackendKind::Interp, options).expect("session")
}

const TOKENS: &[&str] = &[
    "let", "fn", "if", "else", "for", "in", "while", "break", "continue", "return", "import",
    "and", "or", "not", "true", "false", "x", "y", "f", "sum", "zeros", "print", "reshape",
    "arange", "0", "1", "2", "3", "-1", "2.5", ".5", "1e3", "\"s\"", "+", "-", "*", "/", "//", "%",
    "@", "**", "==", "!=", "<", "<=", ">", ">=", "=", "+=", "-=", "(", ")", "[", "]", "{", "}",
    ",", ":", ";", ".", "..", "\n", "&&", "||", "!", "#c\n",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = arr::syntax::parse(&text, 0);
    }

    #[test]
    fn token_soup_never_panics(idx in proptest::collection::vec(0..TOKENS.len(), 0..40)) {
        let src: Vec<&str> = idx.iter().map(|&i| TOKENS[i]).collect();
        let src = src.join(" ");
        if arr::syntax::parse(&src, 0).is_ok() && !src.contains("while") {
            let mut s = session();
            let _ = s.run_str("let x = arange(6)\nlet y = 2.0\nfn f(a) = a + 1");
            let _ = s.run_str(&src);
        }
    }

    #[test]
    fn random_expressions_evaluate_or_fail_cleanly(e in expr_strategy()) {
        let mut s = session();
        s.run_str("let a = reshape(arange(12), 3, 4) * 0.5 - 2\nlet b = arange(4) - 1\nlet c = reshape([true, false, true], 3, 1)\nlet d = f32([1.5, -2.0, 0.25, 3.0])")
            .expect("prelude");
        let _ = s.eval(&e);
    }
}

fn expr_strategy() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("a".to_string()),
        Just("b".to_string()),
        Just("c".to_string()),
        Just("d".to_string()),
        Just("2".to_string()),
        Just("0.5".to_string()),
        Just("true".to_string()),
        Just("a[1:, ::2]".to_string()),
        Just("b[[0, -1]]".to_string()),
        Just("a[a > 0]".to_string()),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        let binop = prop_oneof![
            Just("+"),
            Just("-"),
            Just("*"),
            Just("/"),
            Just("//"),
            Just("%"),
            Just("**"),
            Just("<"),
            Just("=="),
            Just("and"),
            Just("or"),
            Just("@")
        ];
        let unary = prop_oneof![
            Just("abs"),
            Just("sqrt"),
            Just("exp"),
            Just("sin"),
            Just("floor"),
            Just("sign"),
            Just("isnan"),
            Just("f32"),
            Just("i64"),
            Just("bool"),
            Just("ravel"),
            Just("cumsum"),
            Just("flip")
        ];
        let reduce = prop_oneof![
            Just("sum"),
            Just("mean"),
            Just("max"),
            Just("argmin"),
            Just("any"),
            Just("std"),
            Just("prod")
        ];
        prop_oneof![
            (inner.clone(), binop, inner.clone()).prop_map(|(a, op, b)| format!("({a} {op} {b})")),
            (unary, inner.clone()).prop_map(|(f, a)| format!("{f}({a})")),
            (reduce.clone(), inner.clone()).prop_map(|(f, a)| format!("{f}({a})")),
            (reduce, inner.clone(), -2i64..2).prop_map(|(f, a, ax)| format!("{f}({a}, axis={ax})")),
            (inner.clone(), inner.clone(), inner)
                .prop_map(|(c, a, b)| format!("where({c}, {a}, {b})")),
        ]
    })
}
