//! Memory behaviour of the cpu backend, measured on child processes (one test in this
//! binary, so the children's peak RSS is that test's children's).

use std::process::Command;

/// Peak resident set size, in KiB, of the children this process has waited for.
fn children_peak_rss_kib() -> i64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a full `rusage` into the pointer it is given.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr());
        usage.assume_init()
    };
    usage.ru_maxrss
}

/// Runs `script` with the `arr` binary and checks what it prints.
fn run_script(dir: &std::path::Path, name: &str, script: &str, expected: &str) {
    let path = dir.join(name);
    std::fs::write(&path, script).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_arr"))
        .args(["run", path.to_str().expect("utf-8 path")])
        .output()
        .expect("arr runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
}

/// One test, scripts in order of growing bounds: the peak is over all children so far.
#[test]
fn scripts_run_in_bounded_memory() {
    let dir = std::env::temp_dir().join(format!("arr-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    // 20,000 loop iterations, each with a draw of its own stream: one kernel, no growth.
    run_script(
        &dir,
        "loop.arr",
        "let x = zeros(1000)\nfor i in 0..20000 { x = x + rand(1000) }\nprint(round(sum(x) / 1000.0))\n",
        "10000.0\n",
    );
    let peak = children_peak_rss_kib();
    assert!(peak < 40 * 1024, "peak RSS {peak} KiB after 20,000 draws");
    // Fused reductions over 60 million draws (480 MB each), one of them read twice.
    run_script(
        &dir,
        "draws.arr",
        "print(sum(rand(60000000, seed=1) < 0.5))\nprint(mean(randn(60000000, seed=2)) < 0.01)\n\
         let x = rand(60000000, seed=3)\nprint(sum(sqrt(x) * 2.0 + x * x))\n",
        "29995099\ntrue\n100009590.52295712\n",
    );
    let peak = children_peak_rss_kib();
    assert!(
        peak < 100 * 1024,
        "peak RSS {peak} KiB (the draws are 480 MB each)"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
