//! End-to-end tests of the `arr` binary: examples run, errors exit with status 1 after the
//! output printed before them, subcommands and flags behave as documented.

mod common;

use std::path::Path;
use std::process::{Command, Output};

fn arr(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_arr"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("arr binary runs")
}

/// `arr args` with the environment variables `env` set.
fn arr_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_arr"));
    command.args(args).env("NO_COLOR", "1");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("arr binary runs")
}

/// Writes `text` as `name` in a fresh directory of its own (`tag` names it); the directory
/// and the script's path.
fn temp_script(tag: &str, name: &str, text: &str) -> (std::path::PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("arr-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let script = dir.join(name);
    std::fs::write(&script, text).expect("write");
    let path = script.to_str().expect("utf-8").to_string();
    (dir, path)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn every_example_runs() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("examples dir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".arr"))
        .collect();
    names.sort();
    assert!(names.len() >= 3);
    // Examples may write files (bessel_drumhead.arr saves a CSV): run them elsewhere.
    let work = std::env::temp_dir().join(format!("arr-examples-{}", std::process::id()));
    std::fs::create_dir_all(&work).expect("temp dir");
    for name in names {
        let path = dir.join(&name);
        let out = Command::new(env!("CARGO_BIN_EXE_arr"))
            .arg("run")
            .arg(&path)
            .current_dir(&work)
            .output()
            .expect("arr runs");
        assert!(out.status.success(), "{name} failed:\n{}", stderr(&out));
        insta::assert_snapshot!(name.clone(), stdout(&out));
    }
    let csv = std::fs::read_to_string(work.join("bessel_j0.csv"))
        .expect("the Bessel example wrote its CSV");
    assert_eq!(csv.lines().count(), 1000);
    assert!(
        csv.starts_with("0.0,1.0\n0.1,0.99750156206604"),
        "{}",
        &csv[..40]
    );
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn shorthand_runs_a_file() {
    let out = arr(&["examples/broadcasting.arr"]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("multiplication table"));
}

#[test]
fn errors_exit_1_and_keep_earlier_output() {
    let out = arr(&["run", "tests/ui/err_shape.arr"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "computed a: [1. 1. 1.]\n");
    let err = stderr(&out);
    assert!(
        err.starts_with("shape error: cannot broadcast shapes (3,) and (4,)"),
        "{err}"
    );
    assert!(err.contains("tests/ui/err_shape.arr:4:9"), "{err}");
    assert!(!err.contains('\u{1b}'), "NO_COLOR is respected");
}

/// Every example prints on the GPU (lavapipe in CI) exactly what it prints on the CPU.
#[test]
fn examples_print_the_same_on_the_gpu() {
    if !common::gpu_available() {
        return;
    }
    for entry in std::fs::read_dir("examples").expect("examples") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "arr") {
            continue;
        }
        let path = path.to_str().expect("utf-8 path");
        let cpu = arr(&["run", path]);
        let gpu = arr(&["run", "--backend", "gpu", path]);
        assert!(gpu.status.success(), "{path}: {}", stderr(&gpu));
        assert_eq!(
            String::from_utf8_lossy(&gpu.stdout),
            String::from_utf8_lossy(&cpu.stdout),
            "{path}"
        );
    }
}

/// A loop whose slices move with its variable (durbin's `r[:k]`) replays as one program for
/// every `k`: `explain` says where the recordings joined, and `run` prints what the
/// interpreter prints.
#[test]
fn moving_slices_join_into_one_program() {
    let (dir, script) = temp_script(
        "family",
        "durbin.arr",
        "let n = 60\nlet r = f64(arange(n)) / 100\nlet y = zeros(n)\n\
         for k in 1..n {\n    let a = -(r[k] + dot(flip(r[:k]), y[:k]))\n    \
         y[:k] = y[:k] + a * flip(y[:k])\n    y[k] = a\n}\nprint(sum(y))\n",
    );
    let out = arr(&["explain", &script]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("joined into one program for every value"),
        "{text}"
    );
    let cpu = arr(&["run", "--time", &script]);
    let interp = arr(&["run", "--backend", "interp", &script]);
    assert_eq!(cpu.stdout, interp.stdout);
    let err = stderr(&cpu);
    let replayed: u64 = common::time_figure(&err, " loop iterations replayed");
    assert!(replayed > 40, "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A loop's state stays on the GPU between iterations: 200 steps upload and read back a
/// handful of arrays, not one per step.
#[test]
fn gpu_loop_state_stays_on_the_device() {
    if !common::gpu_available() {
        return;
    }
    let (dir, script) = temp_script(
        "gpu-loop",
        "loop.arr",
        "let u = zeros(200, 300)\nu[0, :] = 1.0\nfor k in 0..200 {\n    \
         u[1:-1, 1:-1] = 0.25 * (u[2:, 1:-1] + u[:-2, 1:-1] + u[1:-1, 2:] + u[1:-1, :-2])\n}\n\
         print(sum(u))\n",
    );
    let out = arr(&["run", "--backend", "gpu", "--time", &script]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    let count = |what: &str| -> u64 { common::time_figure(&err, what) };
    assert!(count(" uploads to the gpu") < 10, "{err}");
    assert!(count(" read back") < 10, "{err}");
    let cpu = arr(&["run", &script]);
    assert_eq!(out.stdout, cpu.stdout);
    let _ = std::fs::remove_dir_all(&dir);
}

/// On an adapter without 64-bit shader types (`ARR_GPU_32BIT=1` hides lavapipe's, and the
/// device is opened without them, so a shader that used one would be refused): a kernel
/// needing f64 is a device error at its source, or with `--fallback cpu` runs on the CPU
/// while f32 kernels, and i64 ones as u32 pairs, stay on the GPU; `arr info` says so.
#[test]
fn gpu_without_64_bit_shaders_stops_or_falls_back() {
    if !common::gpu_available() {
        return;
    }
    let (dir, script) = temp_script(
        "gpu-32",
        "f32.arr",
        "let x = f32(linspace(0.0, 1.0, 1000))\nlet y = x * f32(2.0) + f32(1.0)\n\
         for k in 0..5 {\n    y = y * f32(0.5) + x\n}\nprint(sum(y), sum(y > f32(1.5)))\n",
    );
    let script = script.as_str();
    let narrow = |args: &[&str]| arr_env(args, &[("ARR_GPU_32BIT", "1")]);
    let out = narrow(&["run", "--backend", "gpu", script]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("device error: this needs f64 in a shader"),
        "{err}"
    );
    assert!(err.contains("f32.arr:1:13"), "{err}");
    assert!(err.contains("--fallback cpu"), "{err}");
    let out = narrow(&["run", "--backend", "gpu", "--fallback", "cpu", script]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(out.stdout, arr(&["run", script]).stdout);
    let out = narrow(&["explain", "--backend", "gpu", "--fallback", "cpu", script]);
    let text = stdout(&out);
    assert!(text.contains("kernel on the gpu"), "{text}");
    assert!(
        text.contains(
            "kernel on the cpu (needs f64, not in the adapter's shaders; --fallback cpu)"
        ),
        "{text}"
    );
    let text = stdout(&narrow(&["info"]));
    assert!(text.contains("i64 as u32 pairs in shaders"), "{text}");
    let out = arr(&["run", "--fallback", "gpu", script]);
    assert!(
        stderr(&out).contains("unknown fallback `gpu`"),
        "{}",
        stderr(&out)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `ARR_GPU_MEMORY` caps the bytes arr keeps on the GPU: passing it is a resource error at
/// the source that allocates, before the device runs out.
#[test]
fn gpu_memory_limit_is_a_resource_error() {
    if !common::gpu_available() {
        return;
    }
    let (dir, script) = temp_script(
        "gpu-mem",
        "big.arr",
        "let x = linspace(0.0, 1.0, 300000)\nprint(sum(x * 2.0 + 1.0))\n",
    );
    let run = |limit: &str| {
        arr_env(
            &["run", "--backend", "gpu", &script],
            &[("ARR_GPU_MEMORY", limit)],
        )
    };
    let out = run("1M");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("resource error: a GPU buffer of 2400000 bytes"),
        "{err}"
    );
    assert!(err.contains("big.arr:1:9"), "{err}");
    let out = run("16M");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "600000.0\n");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn explain_emits_the_generated_code() {
    let out = arr(&["explain", "--emit", "clif", "examples/broadcasting.arr"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("function u0:0("), "{}", stdout(&out));
    let out = arr(&["explain", "--emit", "wgsl", "examples/broadcasting.arr"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--emit wgsl needs --backend gpu"));
    if common::gpu_available() {
        let out = arr(&[
            "explain",
            "--backend",
            "gpu",
            "--emit",
            "wgsl",
            "examples/broadcasting.arr",
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        let text = stdout(&out);
        assert!(text.contains("@compute @workgroup_size(256)"), "{text}");
        assert!(text.contains("placement on "), "{text}");
    }
}

#[test]
fn info_names_each_backend_and_the_gpu_adapter() {
    let out = arr(&["info"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for line in ["interp: ", "cpu: Cranelift JIT", "gpu: ", "mpi: "] {
        assert!(text.contains(line), "{text}");
    }
    // The vector width, narrowed by ARR_SIMD (every x86-64 CPU has SSE2).
    let narrowed = std::process::Command::new(env!("CARGO_BIN_EXE_arr"))
        .arg("info")
        .env("ARR_SIMD", "sse2")
        .output()
        .expect("arr runs");
    assert!(
        stdout(&narrowed).contains("sse2 vectors (2 f64 lanes"),
        "{}",
        stdout(&narrowed)
    );
    if common::gpu_available() {
        assert!(
            text.contains("f64, i64, c128, f32 and bool in shaders"),
            "{text}"
        );
    }
}

#[test]
fn missing_file_is_an_io_error() {
    let out = arr(&["run", "no/such/file.arr"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with("io error: cannot read `no/such/file.arr`"));
}

#[test]
fn unbuilt_backends_say_so() {
    // This binary is built without the cargo feature `mpi` (tests/mpi.rs builds one with it).
    let out = arr(&["run", "--backend", "mpi", "examples/broadcasting.arr"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("built without the MPI backend") && err.contains("--features mpi"),
        "{err}"
    );
    let out = arr(&["run", "--backend", "tpu", "examples/broadcasting.arr"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("unknown backend `tpu`"));
}

#[test]
fn max_memory_refuses_large_arrays() {
    let out = arr(&["run", "--max-memory", "1M", "examples/heat_diffusion.arr"]);
    assert!(out.status.success(), "64x64 fits in 1M: {}", stderr(&out));
    let dir = std::env::temp_dir().join(format!("arr-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let script = dir.join("big.arr");
    std::fs::write(&script, "let x = zeros(1000, 1000)\nprint(sum(x))\n").expect("write");
    let out = arr(&[
        "run",
        "--max-memory",
        "1M",
        script.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("resource error"),
        "{}",
        stderr(&out)
    );
    // The limit is on what the process holds: arrays that each fit do not all fit together
    // (8 MB each under a 20 MB limit), on either backend.
    let many = dir.join("many.arr");
    let text = (1..=4)
        .map(|i| format!("let a{i} = eval(rand(1000000, seed={i}))\nprint(sum(a{i}) > 0)\n"))
        .collect::<String>();
    std::fs::write(&many, text).expect("write");
    for backend in ["interp", "cpu"] {
        let out = arr(&[
            "run",
            "--backend",
            backend,
            "--max-memory",
            "20M",
            many.to_str().expect("utf-8 path"),
        ]);
        assert_eq!(out.status.code(), Some(1), "{backend}: {}", stdout(&out));
        assert!(
            stderr(&out).contains("held already would pass the memory limit"),
            "{backend}: {}",
            stderr(&out)
        );
        assert!(stdout(&out).starts_with("true\ntrue\n"), "{}", stdout(&out));
    }
    // Past this machine's memory and swap, whatever the limit: a clear error at the array's
    // source, not an allocation failure that aborts (8 TB: more than any machine we run).
    let huge = dir.join("huge.arr");
    std::fs::write(
        &huge,
        "let n = 1000000\nlet u = zeros(n, n)\nprint(sum(u))\n",
    )
    .expect("write");
    for backend in ["interp", "cpu"] {
        let path = huge.to_str().expect("utf-8 path");
        let out = arr(&["run", "--backend", backend, "--max-memory", "100000T", path]);
        assert_eq!(out.status.code(), Some(1), "{backend}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("more than this machine's memory and swap"),
            "{err}"
        );
        assert!(err.contains("huge.arr:2:9"), "{err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn check_skips_output_but_finds_errors() {
    let ok = arr(&["check", "examples/statistics.arr"]);
    assert!(ok.status.success());
    assert_eq!(stdout(&ok), "", "check prints nothing");
    let bad = arr(&["check", "tests/ui/err_shape.arr"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).starts_with("shape error"));
}

#[test]
fn explain_prints_graphs() {
    let out = arr(&["explain", "tests/ui/err_value.arr"]);
    assert_eq!(out.status.code(), Some(1));
    let dir = std::env::temp_dir().join(format!("arr-explain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let script = dir.join("e.arr");
    std::fs::write(&script, "let x = arange(4) * 2.0\nprint(sum(x))\n").expect("write");
    let out = arr(&["explain", script.to_str().expect("utf-8 path")]);
    assert!(out.status.success());
    let again = arr(&["run", "--explain", script.to_str().expect("utf-8 path")]);
    assert_eq!(
        stdout(&again),
        stdout(&out),
        "--explain prints what `arr explain` prints"
    );
    let text = stdout(&out);
    assert!(
        text.contains("plan: ")
            && text.contains("kernel over (4,) -> sum over all")
            && text.ends_with("12.0\n"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn explain_marks_scalar_libm_calls() {
    let dir = std::env::temp_dir().join(format!("arr-explain-libm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let script = dir.join("e.arr");
    let code = "let x = linspace(0.5, 2.0, 64)\nprint(sum(exp(x) + x ** x + atan2(x, 2.0)))\n\
                print(sum(asinh(x) * gamma(x)))\n";
    std::fs::write(&script, code).expect("write");
    let out = arr(&["explain", script.to_str().expect("utf-8 path")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    // Only the second print's kernel calls libm per element; exp, pow and atan2 are inline.
    let (first, second) = text
        .split_once("plan: ")
        .and_then(|(_, t)| t.split_once("plan: "))
        .expect("two plans");
    assert!(!first.contains("scalar calls per element"), "{first}");
    assert!(
        second.contains("scalar calls per element (libm, not inlined; one lane):\n"),
        "{second}"
    );
    assert!(second.contains(": asinh, gamma\n"), "{second}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The `(compiled, loaded from disk)` kernel counts of a `--time` line.
fn kernel_counts(err: &str) -> (u64, u64) {
    let counts = err
        .split_once(" kernels compiled, ")
        .and_then(|(before, after)| {
            let compiled = before.rsplit('(').next()?.parse().ok()?;
            let loaded = after.split(' ').next()?.parse().ok()?;
            Some((compiled, loaded))
        });
    counts.unwrap_or_else(|| panic!("no kernel counts in {err}"))
}

#[test]
fn kernels_compiled_once_are_loaded_by_the_next_run() {
    let (dir, script) = temp_script(
        "stored",
        "k.arr",
        "let x = linspace(0, 1, 5000)\nprint(sum(exp(x) * sin(3.0 * x)))\n\
         print(max(sqrt(x) - x * 0.75))\nprint(sum(x[::3] > 0.5))\n",
    );
    let store = dir.join("kernels");
    let store_dir = store.to_str().expect("utf-8");
    let run = |cache: &str| {
        let out = arr_env(&["run", "--time", &script], &[("ARR_KERNEL_CACHE", cache)]);
        assert!(out.status.success(), "{}", stderr(&out));
        (stdout(&out), kernel_counts(&stderr(&out)))
    };
    let (first, (compiled, loaded)) = run(store_dir);
    assert!(compiled >= 3 && loaded == 0, "{compiled} {loaded}");
    let (second, counts) = run(store_dir);
    assert_eq!(second, first);
    assert_eq!(counts, (0, compiled), "the second run loads every kernel");
    // Damaged entries are compiled again, never run.
    for build in std::fs::read_dir(&store).expect("store") {
        for entry in std::fs::read_dir(build.expect("build").path()).expect("entries") {
            let path = entry.expect("entry").path();
            let mut data = std::fs::read(&path).expect("entry");
            let middle = data.len() / 2;
            data[middle] ^= 0x40;
            std::fs::write(&path, data).expect("write");
        }
    }
    let (third, counts) = run(store_dir);
    assert_eq!((third, counts), (first.clone(), (compiled, 0)));
    let (off, counts) = run("off");
    assert_eq!((off, counts), (first, (compiled, 0)));
    let _ = std::fs::remove_dir_all(&dir);
}

/// One plan's kernels compile together (on every thread of the kernel team): a plan whose
/// kernels are partly in the store loads those and compiles the others, with the results of
/// compiling them all.
#[test]
fn a_plan_with_stored_and_new_kernels_loads_some_and_compiles_the_rest() {
    let first = "let x = linspace(0, 1, 5000)\nprint(sum(exp(x) * sin(3.0 * x)))\n";
    let both = "let x = linspace(0, 1, 5000)\nprint(sum(exp(x) * sin(3.0 * x)) + \
                max(sqrt(x) - x * 0.75) + sum(x[::3] > 0.5) + min(x * x - 0.25) + sum(abs(x - 0.5)))\n";
    let (dir, script) = temp_script("batch", "a.arr", first);
    let both_script = dir.join("b.arr");
    std::fs::write(&both_script, both).expect("write");
    let both_script = both_script.to_str().expect("utf-8");
    let store = dir.join("kernels");
    let run = |script: &str, cache: &str| {
        let out = arr_env(&["run", "--time", script], &[("ARR_KERNEL_CACHE", cache)]);
        assert!(out.status.success(), "{}", stderr(&out));
        (stdout(&out), kernel_counts(&stderr(&out)))
    };
    let (_, (stored, _)) = run(&script, store.to_str().expect("utf-8"));
    let (mixed, (compiled, loaded)) = run(both_script, store.to_str().expect("utf-8"));
    assert_eq!(loaded, stored, "the first script's kernels are loaded");
    assert!(
        compiled >= 4,
        "the four new reductions are compiled: {compiled}"
    );
    let (alone, counts) = run(both_script, "off");
    assert_eq!(counts, (compiled + loaded, 0));
    let interp = arr(&["run", "--backend", "interp", both_script]);
    assert_eq!(mixed, stdout(&interp), "each kernel's code is its own");
    assert_eq!(alone, stdout(&interp));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn version_and_time() {
    let out = arr(&["--version"]);
    assert!(out.status.success());
    assert!(stdout(&out).starts_with("arr "));
    let out = arr(&["run", "--time", "examples/broadcasting.arr"]);
    assert!(out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("time: parse") && err.contains("kernels compiled"),
        "{err}"
    );
}

#[test]
fn repl_reads_stdin_when_not_a_terminal() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_arr"))
        .arg("repl")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(
            b"sum(arange(10))\nlet x = [1, 2]\nfn f(v) {\n  v * 2\n}\nf(x)\nundefined_name\nx\n",
        )
        .expect("write");
    let out = child.wait_with_output().expect("finishes");
    assert_eq!(stdout(&out), "45\n[2 4]\n[1 2]\n");
    assert!(stderr(&out).contains("name error: `undefined_name` is not defined"));
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    for example in [
        "examples/option_pricing.arr",
        "examples/monte_carlo_pi.arr",
        "examples/spectrum.arr",
    ] {
        let outputs: Vec<String> = ["1", "2", "7"]
            .iter()
            .map(|t| {
                let out = arr(&["run", "--threads", t, example]);
                assert!(
                    out.status.success(),
                    "{example} with {t} threads: {}",
                    stderr(&out)
                );
                stdout(&out)
            })
            .collect();
        assert_eq!(outputs[0], outputs[1], "{example}: 1 vs 2 threads");
        assert_eq!(outputs[0], outputs[2], "{example}: 1 vs 3 threads");
    }
    let out = arr(&["run", "--threads", "0", "examples/broadcasting.arr"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn thread_counts_are_checked() {
    let many = arr(&["run", "--threads", "10000", "examples/broadcasting.arr"]);
    assert_eq!(many.status.code(), Some(1));
    assert!(
        stderr(&many).contains("10000 threads is too many"),
        "{}",
        stderr(&many)
    );
    let bad = Command::new(env!("CARGO_BIN_EXE_arr"))
        .args(["run", "examples/broadcasting.arr"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("ARR_THREADS", "abc")
        .output()
        .expect("arr runs");
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stderr(&bad).contains("ARR_THREADS must be a whole number of threads, not `abc`"),
        "{}",
        stderr(&bad)
    );
}
