//! Memory behaviour of the cpu backend, measured on a child process (alone in this test
//! binary, so the children's peak RSS is this test's child's).

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

#[test]
fn fused_reduction_over_60_million_draws_stays_small() {
    let dir = std::env::temp_dir().join(format!("arr-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let script = dir.join("m.arr");
    std::fs::write(
        &script,
        "print(sum(rand(60000000, seed=1) < 0.5))\nprint(mean(randn(60000000, seed=2)) < 0.01)\n",
    )
    .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_arr"))
        .args(["run", script.to_str().expect("utf-8 path")])
        .output()
        .expect("arr runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "29995099\ntrue\n");
    let peak = children_peak_rss_kib();
    assert!(
        peak < 100 * 1024,
        "peak RSS {peak} KiB (the draws are 480 MB each)"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
