//! Hostile input, as issue 15's corpus found it: each case once panicked, aborted, hung,
//! returned a wrong answer or accepted bad input. Every case runs on the interpreter and on
//! `cpu` (every kernel compiled, nothing folded); both must print NumPy's answer or fail
//! with the same clean error, and the rendered results are snapshotted.

use arr::lower::Options;
use arr::{BackendKind, Session};
use std::path::{Path, PathBuf};

/// Programs and what NumPy (or a clean error) gives; each runs alone.
const CASES: &[(&str, &str)] = &[
    // Integer overflow wraps as in NumPy: no panic in `//` or `%`.
    (
        "let m = -9223372036854775807 - 1\nprint(m // -1, m % -1)",
        "-9223372036854775808 0",
    ),
    (
        "let m = -9223372036854775807 - 1\nlet a = full(5000, m)\n\
         print(min(a // -1), max(a // -1), max(a % -1), min(a // 0), max(a % 0))",
        "-9223372036854775808 -9223372036854775808 0 0 0",
    ),
    (
        "let m = -9223372036854775807 - 1\nprint(abs(m), -m, m * 2, m - 1, 1 << 64, m >> 70)",
        "-9223372036854775808 -9223372036854775808 0 9223372036854775807 0 -1",
    ),
    // Slices with huge steps.
    (
        "print(arange(10)[::9223372036854775807], arange(10)[::-9223372036854775807-1])",
        "[0] [9]",
    ),
    (
        "let a = arange(10)\na[::9223372036854775807] = 99\nprint(a)",
        "[99  1  2  3  4  5  6  7  8  9]",
    ),
    (
        "let a = zeros(4, 6)\na[::9223372036854775807, 5:0:-9223372036854775807] = 1\n\
         print(sum(a), a[0, 5])",
        "1.0 1.0",
    ),
    // `complex` leaves the real part alone.
    (
        "print(complex(0.0, inf), complex(2.0, nan), complex(1.0, -inf), complex(-0.0, 1.0))",
        "infj (2+nanj) (1-infj) (-0+1j)",
    ),
    (
        "print(complex(arange(3), 1.5))",
        "[0.+1.5j 1.+1.5j 2.+1.5j]",
    ),
    // f32 sums as accurate as NumPy's pairwise sums (here: better).
    (
        "print(sum(full(4096, f32(0.1))), sum(full(1000000, f32(0.1))), mean(full(4096, f32(0.1))))",
        "409.6 100000.0 0.1",
    ),
    ("print(det([[1., 2.], [2., 4.]]))", "0.0"),
    // A gathered operand of a matrix product is no strided view (found by tests/fuzz.rs).
    (
        "let b = reshape(arange(4.0), 2, 2)\nprint(b[[0, -1]] @ b[[0, -1]])",
        "[ 6. 11.]]",
    ),
    // Bad input is refused.
    (
        "print(randn(3, seed=-1))",
        "seed must be non-negative, not -1",
    ),
    ("print(arange(0, nan))", "arange: cannot compute the length"),
    ("print(arange(0, inf))", "has infinitely many elements"),
    (
        "print(sum(axis=0, [1]))",
        "positional argument cannot follow a keyword",
    ),
    (
        "fn f(a, a) { return a }\nprint(f(1, 2))",
        "duplicate parameter `a` in `f`",
    ),
    // Messages speak the user's language, not the implementation's.
    (
        "print(norm(eye(2), ord=7.0))",
        "norm: ord=7 is not defined for matrices",
    ),
    (
        "print(norm(ones(2, 2, 2), ord=1))",
        "norm: ord=1 is not defined for 3-D arrays",
    ),
    (
        "fn f(a) { return a }\nprint(f(1, 2))",
        "`f` takes 1 argument but 2 were given",
    ),
    // Sizes are checked before anything is allocated.
    (
        "print(repeat(arange(10), 10**12).shape)",
        "needs 80000000000000 bytes, over the memory limit",
    ),
    ("print(fftfreq(10**12)[0])", "over the memory limit"),
];

fn run(program: &str, kind: BackendKind, dir: &Path) -> String {
    let backend: Box<dyn arr::backend::Backend> = match kind {
        BackendKind::Cpu => Box::new(arr::backend::cpu::Cpu::new().expect("jit").always_compile()),
        other => other.create(false).expect("backend"),
    };
    let options = Options {
        memory_limit: 1 << 30,
        fold_limit: if kind == BackendKind::Cpu { 0 } else { 64 },
        ..Options::default()
    };
    let mut s = Session::with_backend(backend, options).expect("session");
    let result = s
        .evaluator()
        .run_source("hostile.arr", program, Some(dir.to_path_buf()));
    let mut out = s.take_output();
    if let Err(e) = result {
        out.push_str(&s.render_error(&e, false));
    }
    out
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("arr-hostile-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn hostile_programs_get_numpys_answer_or_a_clean_error() {
    let dir = scratch("cases");
    let mut all = String::new();
    for (program, expected) in CASES {
        let interp = run(program, BackendKind::Interp, &dir);
        let cpu = run(program, BackendKind::Cpu, &dir);
        assert!(
            interp.contains(expected),
            "{program}\nexpected {expected}, got\n{interp}"
        );
        assert_eq!(interp, cpu, "cpu differs on {program}");
        all.push_str(&format!("=== {program}\n{interp}\n"));
    }
    insta::assert_snapshot!(all);
}

#[test]
fn a_lying_npy_header_is_refused_before_allocating() {
    let dir = scratch("npy");
    // A valid header for 6 f64 claiming shape (10**15,), over 48 bytes of data.
    let mut header =
        "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000000,), }".to_string();
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend((header.len() as u16).to_le_bytes());
    bytes.extend(header.as_bytes());
    bytes.extend([0u8; 48]);
    std::fs::write(dir.join("lie.npy"), &bytes).expect("write");
    let program = format!("print(load(\"{}\"))", dir.join("lie.npy").display());
    let out = run(&program, BackendKind::Interp, &dir);
    assert!(
        out.contains("declares shape (1000000000000000,) of 8-byte elements, but the file holds only 48 bytes"),
        "{out}"
    );
    // The same member inside an .npz archive, and an .npz that is no archive at all.
    let mut zip = zip::ZipWriter::new(std::fs::File::create(dir.join("lie.npz")).expect("create"));
    zip.start_file("x.npy", zip::write::SimpleFileOptions::default())
        .expect("member");
    std::io::Write::write_all(&mut zip, &bytes).expect("written");
    zip.finish().expect("finished");
    std::fs::write(dir.join("junk.npz"), b"not a zip archive").expect("write");
    let program = format!(
        "let x = 0\nx = load(\"{}\", \"x\")",
        dir.join("lie.npz").display()
    );
    let out = run(&program, BackendKind::Interp, &dir);
    assert!(
        out.contains("lie.npz:x`: its header declares shape (1000000000000000,)"),
        "{out}"
    );
    let out = run(
        &format!("print(load(\"{}\"))", dir.join("junk.npz").display()),
        BackendKind::Interp,
        &dir,
    );
    assert!(
        out.contains("io error") && out.contains("junk.npz"),
        "{out}"
    );
}

#[test]
fn csv_files_load_as_loadtxt_reads_them_or_fail_with_a_position() {
    let dir = scratch("csv");
    let files: &[(&str, &str)] = &[
        ("bom.csv", "\u{feff}1,2\n3,4\n"),
        ("quoted.csv", "\"1\",\"2\"\n"),
        ("trailing.csv", "1,2,\n"),
        ("semicolon.csv", "1;2\n"),
        ("headers.csv", "a,b\nc,d\n1,2\n"),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("write");
    }
    let program = |f: &str| format!("print(load(\"{}\"))", dir.join(f).display());
    let load = |f: &str| run(&program(f), BackendKind::Interp, &dir);
    assert_eq!(load("bom.csv"), "[[1. 2.]\n [3. 4.]]\n");
    assert_eq!(load("quoted.csv"), "[1. 2.]\n");
    assert!(load("trailing.csv").contains("line 1, column 5: an empty field"));
    assert!(load("semicolon.csv").contains("line 1, column 1: `1;2` is not a number"));
    assert!(load("headers.csv").contains("line 2, column 1: `c` is not a number"));
    // Complex values round-trip through CSV.
    let z = dir.join("z.csv").display().to_string();
    let round = run(
        &format!("let z = complex(arange(4.0), -1.5)\nsave(\"{z}\", z)\nprint(load(\"{z}\") == z)"),
        BackendKind::Interp,
        &dir,
    );
    assert_eq!(round, "[ true  true  true  true]\n");
}

#[test]
fn a_byte_that_is_not_utf8_is_reported_with_its_position() {
    let dir = scratch("utf8");
    let path = dir.join("bad.arr");
    std::fs::write(&path, b"print(1)\nlet x = \"\xff\"\n").expect("write");
    let mut s = Session::new().expect("session");
    let err = s.run_file(&path).expect_err("refused");
    assert!(
        err.message
            .ends_with("line 2, column 10: byte 0xff is not UTF-8 (the file must be UTF-8 text)"),
        "{}",
        err.message
    );
}

#[test]
fn imports_are_arr_files_and_never_cycles() {
    let dir = scratch("import");
    std::fs::write(dir.join("secret.txt"), "top secret line\n").expect("write");
    std::fs::write(dir.join("a.arr"), "import \"b.arr\"\nprint(1)\n").expect("write");
    std::fs::write(dir.join("b.arr"), "import \"a.arr\"\nprint(2)\n").expect("write");
    let leak = run("import \"secret.txt\"", BackendKind::Interp, &dir);
    assert!(leak.contains("only `.arr` files can be imported"), "{leak}");
    assert!(!leak.contains("top secret"), "{leak}");
    let text = std::fs::read_to_string(dir.join("a.arr")).expect("read");
    let mut s = Session::new().expect("session");
    let result = s.evaluator().run_source("a.arr", &text, Some(dir.clone()));
    let err = s.render_error(&result.expect_err("a cycle"), false);
    assert!(
        err.contains("import cycle: `a.arr` is being run already"),
        "{err}"
    );
    assert!(err.contains("b.arr:1:1"), "{err}");
}
