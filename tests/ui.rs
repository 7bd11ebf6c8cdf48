//! UI tests, as rustc's: every `tests/ui/*.arr` script is run on the interpreter tracing
//! every loop iteration, and its output — stdout, then the rendered error if any — is
//! compared with a snapshot; then it is run on the interpreter replaying recorded loop
//! bodies, and on the `cpu` and `gpu` backends, whose outputs must be byte-for-byte the
//! same (same digits, same errors) — except in scripts that print plans with `explain`,
//! whose cpu output has its own snapshot (the gpu's names the machine's adapter, so it is
//! not compared). The gpu runs where an adapter opens (see `common::gpu_available`).
//! Adding a case is adding a file.

mod common;

use arr::lower::Options;
use arr::{BackendKind, Session};

fn run_script(path: &std::path::Path, kind: BackendKind, replay: bool) -> String {
    let backend: Box<dyn arr::backend::Backend> = match kind {
        BackendKind::Cpu => Box::new(arr::backend::cpu::Cpu::new().expect("jit").always_compile()),
        other => other.create(false).expect("backend"),
    };
    // On cpu nothing is folded while tracing, so every operation reaches generated code.
    let fold_limit = if kind == BackendKind::Cpu { 0 } else { 64 };
    let options = Options {
        memory_limit: 1 << 30,
        fold_limit,
        replay,
        ..Options::default()
    };
    let mut s = Session::with_backend(backend, options).expect("session starts");
    common::script_output(&mut s, path)
}

#[test]
fn ui_scripts() {
    insta::glob!("ui/*.arr", |path| {
        // The oracle: the interpreter tracing every loop iteration.
        let interp = run_script(path, BackendKind::Interp, false);
        insta::assert_snapshot!(interp);
        // Replayed loop bodies must print exactly what tracing prints.
        let replayed = run_script(path, BackendKind::Interp, true);
        pretty_assert(&interp, &replayed, path);
        let cpu = run_script(path, BackendKind::Cpu, true);
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.contains("explain(") {
            // Plans are the backend's own: snapshot them (these are the fused-plan tests).
            insta::assert_snapshot!("cpu", cpu);
        } else {
            pretty_assert(&interp, &cpu, path);
            if common::gpu_available() {
                let gpu = run_script(path, BackendKind::Gpu, true);
                pretty_assert(&interp, &gpu, path);
            }
        }
    });
}

/// Fails with the first differing line between the interpreter's and a backend's output.
fn pretty_assert(interp: &str, cpu: &str, path: &std::path::Path) {
    if interp == cpu {
        return;
    }
    for (n, (a, b)) in interp.lines().zip(cpu.lines()).enumerate() {
        if a != b {
            panic!(
                "{}: the backend differs from interp at line {}:\n interp:  {a}\n backend: {b}\n--- its output ---\n{cpu}",
                path.display(),
                n + 1
            );
        }
    }
    panic!(
        "{}: the backend's output has {} lines, interp {}",
        path.display(),
        cpu.lines().count(),
        interp.lines().count()
    );
}
