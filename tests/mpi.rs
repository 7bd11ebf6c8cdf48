//! The MPI backend under `mpirun` with 1 to 4 ranks, against one process on `cpu`: every UI
//! script and the scripts of `tests/mpi/` (kernels large enough to be shared between the
//! ranks) must print the same bytes, and an error — on every rank, or on one rank only —
//! must end the whole job quickly with the error printed once.
//!
//! The backend is behind the cargo feature `mpi`, so this test builds arr with it (into
//! `target/mpi`, as trybuild builds its cases) where `mpirun` is installed; elsewhere it is
//! skipped with a notice, unless `ARR_REQUIRE_MPI=1` (CI sets it, with OpenMPI installed),
//! which makes a missing `mpirun` a failure.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The arr binary built with the `mpi` feature, or None (skip) where `mpirun` is missing.
fn mpi_arr() -> Option<&'static Path> {
    static BUILT: OnceLock<Option<PathBuf>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let found = Command::new("mpirun").arg("--version").output();
            if !found.is_ok_and(|o| o.status.success()) {
                if std::env::var("ARR_REQUIRE_MPI").is_ok_and(|v| v == "1") {
                    panic!("ARR_REQUIRE_MPI=1 but `mpirun` is not installed");
                }
                eprintln!(
                    "note: MPI tests skipped, no `mpirun` (install libopenmpi-dev openmpi-bin \
                     libclang-dev, or set ARR_REQUIRE_MPI=1 to fail)"
                );
                return None;
            }
            let root = Path::new(env!("CARGO_MANIFEST_DIR"));
            let target = root.join("target").join("mpi");
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let status = Command::new(cargo)
                .args(["build", "--quiet", "--features", "mpi", "--bin", "arr"])
                .arg("--target-dir")
                .arg(&target)
                .current_dir(root)
                .status()
                .expect("cargo runs");
            assert!(status.success(), "building arr with --features mpi failed");
            Some(target.join("debug").join("arr"))
        })
        .as_deref()
}

/// Runs `script` with `args` after `arr run`, one thread per process.
fn arr(program: &Path, args: &[&str], script: &Path) -> Output {
    Command::new(program)
        .arg("run")
        .args(args)
        .arg(script)
        .current_dir(script.parent().expect("a script's folder"))
        .env("ARR_THREADS", "1")
        .env("NO_PROGRESS", "1")
        .output()
        .expect("arr runs")
}

/// `mpirun` with the flags a root user on a small machine needs, one thread per rank.
fn mpirun(ranks: usize) -> Command {
    let mut cmd = Command::new("mpirun");
    cmd.args(["--allow-run-as-root", "--oversubscribe", "-np"])
        .arg(ranks.to_string())
        .args(["-x", "ARR_THREADS=1", "-x", "NO_PROGRESS=1"]);
    cmd
}

/// Runs `script` on `ranks` MPI ranks, with `args` after `arr run --backend mpi`.
fn on_ranks(mpi: &Path, ranks: usize, args: &[&str], script: &Path) -> Output {
    mpirun(ranks)
        .arg(mpi)
        .args(["run", "--backend", "mpi"])
        .args(args)
        .arg(script)
        .current_dir(script.parent().expect("a script's folder"))
        .output()
        .expect("mpirun runs")
}

/// What `script` prints on `stderr` under `arr run --time` on 2 ranks, which must succeed.
fn timed_on_two_ranks(mpi: &Path, script: &Path) -> String {
    let out = on_ranks(mpi, 2, &["--time"], script);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{err}");
    err
}

/// Checks that `script` prints on each number of `ranks` what it prints in one process on
/// `cpu`, and fails or succeeds alike (with the same error, printed once).
fn same_on_ranks(mpi: &Path, script: &Path, ranks: std::ops::RangeInclusive<usize>) {
    let one = arr(
        Path::new(env!("CARGO_BIN_EXE_arr")),
        &["--backend", "cpu"],
        script,
    );
    let expected_err = String::from_utf8_lossy(&one.stderr).to_string();
    for ranks in ranks {
        let out = on_ranks(mpi, ranks, &[], script);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&one.stdout),
            "{} on {ranks} ranks printed something else (stderr: {err})",
            script.display()
        );
        assert_eq!(
            out.status.success(),
            one.status.success(),
            "{} on {ranks} ranks: {err}",
            script.display()
        );
        if !one.status.success() {
            let first = expected_err.lines().next().unwrap_or_default();
            assert_eq!(err.matches(first).count(), 1, "{err}");
        }
    }
}

/// The `.arr` files of a test folder, sorted.
fn scripts(folder: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(folder);
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("test folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "arr"))
        .collect();
    v.sort();
    v
}

#[test]
fn shared_kernels_give_one_process_bits() {
    let Some(mpi) = mpi_arr() else { return };
    for script in scripts("mpi") {
        same_on_ranks(mpi, &script, 1..=4);
    }
    // Rank 0 alone wrote the files `save` names, with one process's bits.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("mpi");
    let loaded = ["f64", "i64", "f32", "bool", "small", "c128"].map(|t| format!("loaded_{t}.npy"));
    for name in ["mpi_stores.npy", "strided_sample.npy"]
        .iter()
        .chain(&loaded.each_ref().map(String::as_str))
    {
        let saved = dir.join(name);
        assert!(saved.is_file(), "{name}");
        std::fs::remove_file(saved).expect("remove the saved file");
    }
}

/// Two ranks, and three (parts of unequal sizes).
#[test]
fn ui_scripts_print_the_same_on_two_and_three_ranks() {
    let Some(mpi) = mpi_arr() else { return };
    for script in scripts("ui") {
        let text = std::fs::read_to_string(&script).unwrap_or_default();
        // Plans name the backend; timings and clocks differ from run to run.
        if text.contains("explain(") || text.contains("clock(") {
            continue;
        }
        same_on_ranks(mpi, &script, 2..=3);
    }
}

#[test]
fn an_error_on_one_rank_ends_the_job() {
    let Some(mpi) = mpi_arr() else { return };
    let dir = tempdir();
    let good = dir.join("good.arr");
    let bad = dir.join("bad.arr");
    // The same program, but for a file only the last rank cannot read: the other ranks
    // wait for it in the shared sum, and must not wait forever.
    let body = "let x = ones(100_000)\nprint(sum(x))\nlet y = PATH\nprint(sum(x * 2.0))\n";
    std::fs::write(&good, body.replace("PATH", "1.0")).expect("write script");
    std::fs::write(&bad, body.replace("PATH", "load(\"missing.npy\")")).expect("write script");
    let start = Instant::now();
    let out = mpirun(2)
        .arg(mpi)
        .args(["run", "--backend", "mpi"])
        .arg(&good)
        .args([":", "-np", "1"])
        .arg(mpi)
        .args(["run", "--backend", "mpi"])
        .arg(&bad)
        .current_dir(&dir)
        .output()
        .expect("mpirun runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "took {:?}",
        start.elapsed()
    );
    assert_eq!(err.matches("error on MPI rank 2 of 3").count(), 1, "{err}");
    assert_eq!(
        err.matches("io error: cannot read `missing.npy`").count(),
        1,
        "{err}"
    );
    assert!(err.contains("bad.arr:3:9"), "{err}");
}

#[test]
fn mpi_refuses_what_ranks_would_decide_apart() {
    let Some(mpi) = mpi_arr() else { return };
    let dir = tempdir();
    let script = dir.join("s.arr");
    std::fs::write(&script, "print(1)\n").expect("write script");
    let out = Command::new(mpi)
        .args(["run", "--backend", "mpi", "--timeout", "5s"])
        .arg(&script)
        .output()
        .expect("arr runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--backend mpi takes no"), "{err}");
}

/// What `arr explain --backend mpi` prints for the script `text` on `ranks` ranks.
fn explained(mpi: &Path, ranks: usize, text: &str) -> String {
    let script = tempdir().join("explained.arr");
    std::fs::write(&script, text).expect("write script");
    let out = mpirun(ranks)
        .arg(mpi)
        .args(["explain", "--backend", "mpi"])
        .arg(&script)
        .output()
        .expect("mpirun runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// `explain` under MPI says, step by step, how the work is divided between the ranks and
/// the bytes each step brings rank 0: a stencil's halo rows, a product spread by rows
/// whose transposed operand is gathered first, a small reduction reading spread rows.
#[test]
fn explain_shows_what_moves_between_ranks() {
    let Some(mpi) = mpi_arr() else { return };
    let text = explained(
        mpi,
        3,
        "let u = rand(300, 300, seed=1)\n\
         let v = u[1:-1, 1:-1] + u[2:, 1:-1] + u[:-2, 1:-1] + exp(u[1:-1, 1:-1])\n\
         print(sum(v.T @ v[:, 0:5]))\n",
    );
    let moves: String = (text.lines())
        .skip_while(|l| !l.starts_with("between the"))
        .take_while(|l| l.starts_with("between") || l.starts_with("  "))
        .map(|l| format!("{l}\n"))
        .collect();
    insta::assert_snapshot!(moves);
}

/// `explain` of values that stay spread — a loop's starting state, a replayed loop body —
/// shows them as they run: the body's parameter comes in by rows (so the step receives its
/// halo rows) and its result stays spread, as does the starting state; the reduction that
/// observes the result reads it where it is. (It showed them gathered whole, and the body
/// receiving nothing.)
#[test]
fn explain_shows_a_loops_state_staying_spread() {
    let Some(mpi) = mpi_arr() else { return };
    let text = explained(
        mpi,
        2,
        "let u = zeros(600, 300)\nu[0, :] = 1.0\nfor k in 0..10 {\n    \
         u[1:-1, 1:-1] = 0.25 * (u[2:, 1:-1] + u[:-2, 1:-1] + u[1:-1, 2:] + u[1:-1, :-2])\n}\n\
         print(sum(u))\n",
    );
    let moves: String = (text.lines())
        .filter(|l| {
            l.starts_with("between") || l.starts_with("  buf") || l.starts_with("  results")
        })
        .filter(|l| !l.contains(" = ") && !l.contains(" : "))
        .map(|l| format!("{l}\n"))
        .collect();
    insta::assert_snapshot!(moves);
}

/// A stencil loop's array stays spread when only a reduction of it, its summary in
/// `print` or a strided sample of it is observed: each rank receives its neighbours' halo
/// rows each step, the reduction's partials, the rows `print` shows and the elements of the
/// sample, not the other ranks' rows of the array (gathering it whole to keep a host copy
/// of it is what an observation did before; a strided read fetched every row between its
/// first and last).
#[test]
fn observing_a_reduction_or_a_print_of_a_spread_array_gathers_little() {
    let Some(mpi) = mpi_arr() else { return };
    let dir = tempdir();
    let script = dir.join("halo.arr");
    // 600 x 300 f64: 1.44 MB, of which each of 2 ranks holds half; a halo row is 2.4 kB.
    std::fs::write(
        &script,
        "let u = zeros(600, 300)\nu[0, :] = 1.0\nfor k in 0..40 {\n    \
         u[1:-1, 1:-1] = 0.25 * (u[2:, 1:-1] + u[:-2, 1:-1] + u[1:-1, 2:] + u[1:-1, :-2])\n}\n\
         print(sum(u))\nprint(sum(u * u))\nprint(u)\nprint(u[::50, ::60])\n\
         print(sum(u[::7, ::3]))\n",
    )
    .expect("write script");
    let out = on_ranks(mpi, 2, &["--time"], &script);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let one = arr(Path::new(env!("CARGO_BIN_EXE_arr")), &[], &script);
    assert_eq!(out.stdout, one.stdout, "{err}");
    let received: f64 = common::time_figure(&err, " MB received from other ranks");
    // 40 halo rows (0.1 MB) and a few partials; the other rank's half would be 0.72 MB.
    assert!(received < 0.3, "{err}");
}

/// A spread kernel that lacks halo rows computes the positions reading only its rank's
/// rows while the rows travel, the rest after they arrive, with one process's bits: a
/// stencil update (the array copied), a new array of shifted rows, and an update in place
/// whose region reads rows of the array it writes (its rows received into the value being
/// written). Each rank counts the overlapped kernels in `--time`.
#[test]
fn kernels_compute_their_interior_while_halo_rows_travel() {
    let Some(mpi) = mpi_arr() else { return };
    let dir = tempdir();
    let script = dir.join("overlap.arr");
    std::fs::write(
        &script,
        "let u = rand(400, 300, seed=1)
for k in 0..6 {
    \
         u[1:-1, 1:-1] = 0.25 * (u[2:, 1:-1] + u[:-2, 1:-1] + u[1:-1, 2:] + u[1:-1, :-2])
    \
         let v = u[3:, :] - u[:-3, :] * 0.5
    \
         u[:-2, 0:100] = u[2:, 100:200] * 0.5 + 1.0
    \
         u[1:-2, :] = u[1:-2, :] + v * 0.125
}
print(sum(u))
print(u[::37, ::29])
",
    )
    .expect("write script");
    same_on_ranks(mpi, &script, 1..=4);
    let err = timed_on_two_ranks(mpi, &script);
    let overlapped: u64 = common::time_figure(&err, " of them computing while");
    assert!(overlapped >= 6, "{err}");
}

/// An update of whole rows (`u[1:-1, :] = …`, whose kernel runs over its elements as one
/// dimension) is spread by rows like any other: each rank receives its halo rows per step.
/// Before, such a kernel ran whole on every rank, each step fetching the array whole.
#[test]
fn an_update_of_whole_rows_is_spread() {
    let Some(mpi) = mpi_arr() else { return };
    let dir = tempdir();
    let script = dir.join("rows.arr");
    // 600 x 300 f64: 1.44 MB; a halo row is 2.4 kB.
    std::fs::write(
        &script,
        "let u = rand(600, 300, seed=3)\nfor k in 0..40 {\n    \
         u[1:-1, :] = 0.5 * u[1:-1, :] + 0.25 * (u[2:, :] + u[:-2, :])\n}\nprint(sum(u))\n",
    )
    .expect("write script");
    same_on_ranks(mpi, &script, 2..=3);
    let err = timed_on_two_ranks(mpi, &script);
    let received: f64 = common::time_figure(&err, " MB received from other ranks");
    // 40 halo rows (0.1 MB) and a reduction's partials; whole, 40 x 0.72 MB.
    assert!(received < 0.3, "{err}");
}

/// The memory limit counts what a rank holds of a spread array, its share: a stencil loop
/// over two 72 MB arrays (u and the update's copy) runs on 2 ranks under a limit of 120 MB
/// each, where one process, holding both whole, is refused. Before, every rank counted
/// the arrays whole (and an array larger than a node could not be allocated at all).
#[test]
fn the_memory_limit_counts_a_ranks_share_of_a_spread_array() {
    let Some(mpi) = mpi_arr() else { return };
    let dir = tempdir();
    let script = dir.join("limit.arr");
    std::fs::write(
        &script,
        "let n = 3000\nlet u = zeros(n, n)\nu[0, :] = 1.0\nfor k in 0..20 {\n    \
         u[1:-1, 1:-1] = 0.25 * (u[2:, 1:-1] + u[:-2, 1:-1] + u[1:-1, 2:] + u[1:-1, :-2])\n}\n\
         print(sum(u))\n",
    )
    .expect("write script");
    let limit = ["--max-memory", "120MB"];
    let one = arr(Path::new(env!("CARGO_BIN_EXE_arr")), &limit, &script);
    let refused = String::from_utf8_lossy(&one.stderr);
    assert!(refused.contains("would pass the memory limit"), "{refused}");
    let two = on_ranks(mpi, 2, &limit, &script);
    let err = String::from_utf8_lossy(&two.stderr);
    assert!(two.status.success(), "{err}");
    let whole = arr(Path::new(env!("CARGO_BIN_EXE_arr")), &[], &script);
    assert_eq!(two.stdout, whole.stdout, "{err}");
}

/// The peak memory, in MB, that `--time` printed in `err` (rank 0's).
fn peak_memory(err: &str) -> f64 {
    (err.split("peak memory ").nth(1))
        .and_then(|rest| rest.split(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no peak memory in {err}"))
}

/// `load` of a large `.npy` file on 2 ranks reads each rank's own rows only, and a stencil
/// loop runs on them as spread: a rank's peak memory grows by about one array's worth (its
/// half as loaded, its half of the update's copy), where reading the file whole on every
/// rank grew it by at least one and a half.
#[test]
fn a_large_npy_file_loads_by_rows() {
    let Some(mpi) = mpi_arr() else { return };
    let dir = tempdir();
    let make = dir.join("make.arr");
    std::fs::write(
        &make,
        "save(\"big.npy\", reshape(f64(arange(2896 * 2896)), 2896, 2896) / 1000)\n",
    )
    .expect("write script");
    let made = arr(Path::new(env!("CARGO_BIN_EXE_arr")), &[], &make);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let peak = |name: &str, text: &str| -> (f64, Vec<u8>) {
        let script = dir.join(name);
        std::fs::write(&script, text).expect("write script");
        let out = on_ranks(mpi, 2, &["--time"], &script);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{err}");
        (peak_memory(&err), out.stdout)
    };
    let (empty, _) = peak("empty.arr", "print(1)\n");
    let text = "let u = load(\"big.npy\")\nfor k in 0..10 {\n    \
         u[1:-1, 1:-1] = 0.25 * (u[2:, 1:-1] + u[:-2, 1:-1] + u[1:-1, 2:] + u[1:-1, :-2])\n}\n\
         print(sum(u))\n";
    let (loaded, printed) = peak("load.arr", text);
    let one = arr(
        Path::new(env!("CARGO_BIN_EXE_arr")),
        &[],
        &dir.join("load.arr"),
    );
    assert_eq!(printed, one.stdout);
    let array = 2896.0 * 2896.0 * 8.0 / 1e6;
    assert!(
        loaded - empty < 1.3 * array,
        "peak {loaded} MB against {empty} MB for an empty script"
    );
}

/// A rank holds its own rows of a spread array, not the whole array: the peak memory of a
/// stencil loop on 2 ranks (rank 0's, from `--time`) grows by about half of its two arrays
/// over an empty script's. Before, the start-up update of a small region copied the whole
/// array, and the first step copied it again to receive its halo rows (the name and the
/// step's parameter both held it): each rank peaked at twice the single process's arrays.
#[test]
fn a_rank_holds_its_own_rows_of_a_spread_array() {
    let Some(mpi) = mpi_arr() else { return };
    let dir = tempdir();
    let peak = |name: &str, text: &str| -> f64 {
        let script = dir.join(name);
        std::fs::write(&script, text).expect("write script");
        let err = timed_on_two_ranks(mpi, &script);
        peak_memory(&err)
    };
    let empty = peak("empty.arr", "print(1)\n");
    // 2896 x 2896 f64: 67 MB an array; the loop holds u and the update's copy.
    let heat = peak(
        "heat.arr",
        "let n = 2896\nlet u = zeros(n, n)\nu[n // 4 : n // 2, n // 4 : n // 2] = 1.0\n\
         for t in 0..10 {\n    u[1:-1, 1:-1] = u[1:-1, 1:-1] + 0.1 * (u[2:, 1:-1] + u[:-2, 1:-1] \
         + u[1:-1, 2:] + u[1:-1, :-2] - 4.0 * u[1:-1, 1:-1])\n}\nprint(sum(u))\n",
    );
    let array = 2896.0 * 2896.0 * 8.0 / 1e6;
    assert!(
        heat - empty < 1.5 * array,
        "peak {heat} MB against {empty} MB for an empty script"
    );
}

/// A fresh folder under the target dir for one test's files.
fn tempdir() -> PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("mpi-tests")
        .join(format!("{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create test folder");
    dir
}

#[test]
fn the_repl_runs_on_one_rank() {
    let Some(mpi) = mpi_arr() else { return };
    let repl = |ranks: usize| {
        use std::io::Write;
        let mut child = mpirun(ranks)
            .arg(mpi)
            .args(["repl", "--backend", "mpi", "--no-history"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("mpirun runs");
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(b"print(sum(exp(rand(100_000, seed=1))))\n")
            .expect("write");
        drop(stdin);
        child.wait_with_output().expect("mpirun ends")
    };
    let one = repl(1);
    assert!(
        one.status.success(),
        "{}",
        String::from_utf8_lossy(&one.stderr)
    );
    assert!(String::from_utf8_lossy(&one.stdout).contains("171879.517346064"));
    let two = repl(2);
    assert!(!two.status.success());
    let err = String::from_utf8_lossy(&two.stderr);
    assert!(
        err.contains("the REPL runs on one MPI rank, not 2"),
        "{err}"
    );
}
