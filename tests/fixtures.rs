//! The interpreter against NumPy: every case of `tests/fixtures/cases.txt` is evaluated in
//! arr and compared with the `.npy` file `make_fixtures.py` wrote from the NumPy expression.
//! dtypes and shapes must match exactly; integers and bools exactly; floats within a small
//! relative error (1e-13 for f64, 1e-6 for f32) or, for decompositions and FFTs, within
//! 100 times that of the largest element; NaNs equal; complex numbers part by part.

use arr::{Array, Session};
use ndarray::ArrayD;
use std::path::Path;

fn load_fixture(name: &str) -> Array {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/npy");
    let mut s = Session::new().expect("session");
    let path = dir.join(format!("{name}.npy"));
    s.eval(&format!("load(\"{}\")", path.display()))
        .unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

fn close(x: f64, y: f64, rtol: f64) -> bool {
    (x.is_nan() && y.is_nan())
        || x == y
        || (x - y).abs() <= rtol * y.abs().max(1e-300)
        || (x - y).abs() < 1e-15
}

fn compare(name: &str, got: &Array, want: &Array) -> Result<(), String> {
    if got.dtype() != want.dtype() {
        return Err(format!(
            "{name}: dtype {} but NumPy has {}",
            got.dtype(),
            want.dtype()
        ));
    }
    if got.shape() != want.shape() {
        return Err(format!(
            "{name}: shape {:?} but NumPy has {:?}",
            got.shape(),
            want.shape()
        ));
    }
    let rtol = match got {
        Array::F32(_) => 1e-6,
        Array::F64(_) | Array::C128(_) => 1e-13,
        _ => 0.0,
    };
    let parts = |a: &Array| -> Vec<f64> {
        match a {
            // Complex values compare part by part.
            Array::C128(z) => z.iter().flat_map(|c| [c.re, c.im]).collect(),
            other => other.to_f64_vec(),
        }
    };
    let (g, w) = (parts(got), parts(want));
    let scale = w.iter().fold(
        0.0f64,
        |m, v| if v.is_finite() { m.max(v.abs()) } else { m },
    );
    for (i, (x, y)) in g.iter().zip(&w).enumerate() {
        // Results of decompositions and FFTs are compared relative to the largest element.
        if !close(*x, *y, rtol) && (x - y).abs() > rtol * 100.0 * scale {
            return Err(format!("{name}: element {i} is {x} but NumPy has {y}"));
        }
    }
    Ok(())
}

/// Runs one fixture case on a backend: the expression's value, or the updated name's.
fn run_case(prelude: &str, code: &str, cpu: bool) -> Result<Array, String> {
    let mut s = if cpu {
        let options = arr::lower::Options {
            fold_limit: 0,
            ..Default::default()
        };
        let backend = arr::backend::cpu::Cpu::new()
            .map_err(|e| e.to_string())?
            .always_compile();
        Session::with_backend(Box::new(backend), options).map_err(|e| e.to_string())?
    } else {
        Session::with_options(arr::BackendKind::Interp, Default::default())
            .map_err(|e| e.to_string())?
    };
    s.run_str(prelude).map_err(|e| e.to_string())?;
    let result = match code.split_once("] = ") {
        // An indexed update: run it, then read the updated name.
        Some((target, _)) => {
            let var = target.split('[').next().unwrap_or(target).trim();
            s.run_str(code).and_then(|_| s.get(var))
        }
        None => s.eval(code),
    };
    result.map_err(|e| e.to_string())
}

/// A result as its dtype, shape and the bits of its elements in row-major order.
fn bits(r: Result<Array, String>) -> Result<String, String> {
    let a = r?;
    let elements: Vec<String> = match &a {
        Array::Bool(x) => x.iter().map(|v| v.to_string()).collect(),
        Array::I64(x) => x.iter().map(|v| v.to_string()).collect(),
        Array::F32(x) => x.iter().map(|v| format!("{:x}", v.to_bits())).collect(),
        Array::F64(x) => x.iter().map(|v| format!("{:x}", v.to_bits())).collect(),
        Array::C128(x) => x
            .iter()
            .map(|v| format!("{:x},{:x}", v.re.to_bits(), v.im.to_bits()))
            .collect(),
    };
    Ok(format!(
        "{} {:?} {}",
        a.dtype(),
        a.shape(),
        elements.join(" ")
    ))
}

/// Every case on the interpreter matches NumPy, and the cpu backend (every kernel compiled,
/// nothing folded) gives exactly the interpreter's result.
#[test]
fn backends_match_numpy() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let prelude = std::fs::read_to_string(root.join("prelude.arr")).expect("prelude");
    let cases = std::fs::read_to_string(root.join("cases.txt")).expect("cases");
    let mut failures = Vec::new();
    let mut count = 0;
    for line in cases
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let parts: Vec<&str> = line.split('|').map(str::trim).collect();
        let (name, code) = (parts[0], parts[1]);
        count += 1;
        let interp = run_case(&prelude, code, false);
        match &interp {
            Ok(got) => {
                if let Err(msg) = compare(name, got, &load_fixture(name)) {
                    failures.push(msg);
                }
            }
            Err(e) => failures.push(format!("{name}: {e}")),
        }
        // Compared as dtype, shape and row-major element bits (NaN equal to NaN), any layout.
        let (interp, cpu) = (bits(interp), bits(run_case(&prelude, code, true)));
        if interp != cpu {
            failures.push(format!("{name}: cpu gives {cpu:?}, interp {interp:?}"));
        }
    }
    assert!(count > 100, "cases.txt should hold the whole builtin suite");
    assert!(
        failures.is_empty(),
        "{} of {count} cases fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn npy_round_trip_every_dtype() {
    let dir = std::env::temp_dir().join(format!("arr-npy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut s = Session::new().expect("session");
    for (i, expr) in [
        "[true, false]",
        "arange(6)",
        "f32([1.5, -2.25])",
        "reshape(arange(6) * 0.5, 2, 3)",
    ]
    .iter()
    .enumerate()
    {
        let path = dir.join(format!("x{i}.npy"));
        let want = s.eval(expr).expect("evaluates");
        s.run_str(&format!("save(\"{}\", {expr})", path.display()))
            .expect("saves");
        let got = s
            .eval(&format!("load(\"{}\")", path.display()))
            .expect("loads");
        assert_eq!(got, want, "{expr} round-trips through .npy");
    }
    let f: ArrayD<f64> = s
        .eval("[[1.0, 2.0], [3.0, 4.0]]")
        .expect("eval")
        .try_into()
        .expect("f64");
    assert_eq!(f.shape(), &[2, 2]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn reads_files_numpy_wrote() {
    // i32 (loaded as i64), c128 and a Fortran-ordered array, written by make_fixtures.py.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/npy");
    let mut s = Session::new().expect("session");
    let i32s = s
        .eval(&format!("load(\"{}\")", dir.join("io_int32.npy").display()))
        .expect("loads");
    assert_eq!(i32s.dtype(), arr::DType::I64);
    assert_eq!(i32s.to_i64_vec(), vec![-2, 0, 7]);
    let z = s
        .eval(&format!(
            "load(\"{}\")",
            dir.join("io_complex.npy").display()
        ))
        .expect("loads");
    assert_eq!(z.to_string(), "[ 1.+2.j  -3.+0.5j]", "as NumPy prints it");
    let f = s
        .eval(&format!(
            "load(\"{}\")",
            dir.join("io_fortran.npy").display()
        ))
        .expect("loads");
    assert_eq!(f.to_string(), "[[0 1 2]\n [3 4 5]]");
    let load =
        |s: &mut Session, name: &str| s.eval(&format!("load(\"{}\")", dir.join(name).display()));
    for dt in ["i1", "i2", "u1", "u2", "u4", "u8", "bei4"] {
        let a = load(&mut s, &format!("io_int_{dt}.npy")).expect(dt);
        assert_eq!(a.dtype(), arr::DType::I64, "{dt}");
        assert_eq!(a.to_i64_vec(), vec![0, 7, 100], "{dt}");
    }
    let big = load(&mut s, "io_uint64_big.npy").expect_err("2**63 is not an i64");
    assert_eq!(big.kind, arr::ErrorKind::Value, "{big}");
    let h = load(&mut s, "io_float16.npy").expect("f16 loads");
    assert_eq!(h.dtype(), arr::DType::F32);
    // Widened exactly: 1e-7 in f16 is the subnormal 1.1920929e-07.
    assert_eq!(
        h.to_string(),
        "[ 1.5000000e+00 -2.5000000e-01  6.5504000e+04  1.1920929e-07]"
    );
}

#[test]
fn printing_matches_numpy_on_random_arrays() {
    // 100 arrays of random dtype, scale, shape (some summarised), NaN/inf, f32 and c128,
    // with NumPy's `print` of each, written by make_fixtures.py.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/print");
    let mut s = Session::new().expect("session");
    let mut failures = Vec::new();
    for i in 0..100 {
        let npy = dir.join(format!("p{i:03}.npy"));
        let want =
            std::fs::read_to_string(dir.join(format!("p{i:03}.txt"))).expect("expected text");
        s.run_str(&format!("print(load(\"{}\"))", npy.display()))
            .expect("prints");
        let got = s.take_output();
        if got != want {
            failures.push(format!("p{i:03}:\n{got}---- NumPy:\n{want}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} arrays print differently:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn scalars_print_as_python_and_numpy() {
    // f64 as Python's repr (shortest, ties to even, scientific outside [1e-4, 1e16));
    // f32 as NumPy's str (its own shortest digits, scientific outside [1e-4, 1e6)).
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/print");
    let mut s = Session::new().expect("session");
    for dtype in ["f64", "f32"] {
        let npy = dir.join(format!("scalars_{dtype}.npy"));
        let want = std::fs::read_to_string(dir.join(format!("scalars_{dtype}.txt"))).expect("text");
        s.run_str(&format!(
            "let v = load(\"{}\")\nfor i in 0..len(v) {{ print(v[i]) }}",
            npy.display()
        ))
        .expect("prints");
        let got = s.take_output();
        for (g, w) in got.lines().zip(want.lines()) {
            assert_eq!(g, w, "{dtype} scalar");
        }
        assert_eq!(got.lines().count(), want.lines().count());
    }
}

#[test]
fn reads_npz_files_numpy_wrote() {
    // `numpy.savez` (stored) and `numpy.savez_compressed` (deflated), by make_fixtures.py.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/npy");
    let mut s = Session::new().expect("session");
    s.run_str(&format!(
        "let (u, mask, n) = load(\"{}\")\nprint(u, mask, n)\n\
         let (z, a) = load(\"{}\")\nprint(z, a, load(\"{1}\", \"z\").dtype)",
        dir.join("io_arrays.npz").display(),
        dir.join("io_compressed.npz").display(),
    ))
    .expect("loads");
    assert_eq!(
        s.take_output(),
        "[[0. 1. 2.]\n [3. 4. 5.]] [ true false] 7\n[[0. 0.]\n [0. 0.]] [1.+2.j 0.+3.j] f32\n"
    );
    let err = s
        .eval(&format!(
            "load(\"{}\", \"v\")",
            dir.join("io_arrays.npz").display()
        ))
        .expect_err("no such member");
    assert!(err.to_string().contains("(it has: u, mask, n)"), "{err}");
}

#[test]
fn npz_and_npy_round_trip_and_saves_replace_files_whole() {
    let dir = std::env::temp_dir().join(format!("arr-npz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut s = Session::new().expect("session");
    s.run_str(&format!(
        "let u = reshape(f64(arange(6)), 2, 3)\n\
         save(\"{0}/s.npz\", u, v=u > 2, k=arange(3), z=complex(u, -u), h=f32(u))\n\
         let (v, k, z, h, a) = load(\"{0}/s.npz\")\n\
         assert(all(a == u) and all(v == (u > 2)) and all(k == arange(3)))\n\
         assert(all(real(z) == u) and h.dtype == \"f32\")\n\
         save(\"{0}/u.npy\", u)\n\
         let w = load(\"{0}/u.npy\")\n\
         save(\"{0}/u.npy\", w + 1)\n\
         print(load(\"{0}/u.npy\"))",
        dir.display()
    ))
    .expect("runs");
    assert_eq!(s.take_output(), "[[1. 2. 3.]\n [4. 5. 6.]]\n");
    // Nothing but the files themselves: the temporary files were renamed over them.
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("listed")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["s.npz", "u.npy"]);
    // A failed write names the path and the system's reason, and leaves nothing behind.
    let err = s
        .run_str(&format!("save(\"{}/no/such/dir/x.npy\", u)", dir.display()))
        .expect_err("no such directory");
    assert_eq!(err.kind, arr::ErrorKind::Io, "{err}");
    assert!(err.to_string().contains("no/such/dir/x.npy"), "{err}");
    assert!(
        err.to_string().contains("No such file or directory"),
        "{err}"
    );
    let err = s
        .run_str(&format!("save(\"{}/u.npy\", u, v=u)", dir.display()))
        .expect_err("one array per .npy");
    assert!(err.to_string().contains("holds one array"), "{err}");
    std::fs::remove_dir_all(&dir).expect("cleaned");
}

#[test]
fn a_pvd_series_grows_step_by_step_and_restarts_cleanly() {
    let dir = std::env::temp_dir().join(format!("arr-pvd-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let d = dir.display();
    let mut s = arr::Session::new().expect("session");
    let run = format!(
        "let u = zeros(3, 4)\n\
         for k in 0..3 {{\n    u = u + k\n    save(\"{d}/flow.pvd\", u=u, p=-u, time=k * 0.5)\n}}\n\
         save(\"{d}/last.vti\", u=u, p=-u)"
    );
    s.run_str(&run).expect("series");
    let pvd = std::fs::read_to_string(dir.join("flow.pvd")).expect("pvd");
    let steps: Vec<&str> = pvd.lines().filter(|l| l.contains("<DataSet")).collect();
    assert_eq!(steps.len(), 3, "{pvd}");
    assert!(steps[2].contains("timestep=\"1.0\"") && steps[2].contains("file=\"flow_000002.vti\""));
    // Each step is the grid file a plain save writes.
    assert_eq!(
        std::fs::read(dir.join("flow_000002.vti")).expect("step"),
        std::fs::read(dir.join("last.vti")).expect("vti")
    );
    // Run again from the start: the series is rewritten, not appended to.
    s.run_str(&format!("save(\"{d}/flow.pvd\", u=ones(3, 4), time=0)"))
        .expect("restart");
    let pvd = std::fs::read_to_string(dir.join("flow.pvd")).expect("pvd");
    assert_eq!(pvd.matches("<DataSet").count(), 1, "{pvd}");
    let err = s
        .run_str(&format!("save(\"{d}/flow.pvd\", u=ones(3, 4))"))
        .expect_err("no time");
    assert!(err.to_string().contains("needs its time"), "{err}");
    std::fs::write(dir.join("other.pvd"), "<VTKFile type=\"PolyData\"/>").expect("write");
    let err = s
        .run_str(&format!("save(\"{d}/other.pvd\", u=ones(2), time=0)"))
        .expect_err("not ours");
    assert!(err.to_string().contains("not a .pvd series"), "{err}");
    std::fs::remove_dir_all(&dir).expect("cleaned");
}
