//! The sandbox for untrusted scripts: `arr run --sandbox` reads and writes files only
//! beneath the script's directory and each `--allow-dir` — every escape tried here (`..`,
//! absolute paths, symbolic links to files and directories, a dangling link, an import, a
//! plot file) is a
//! `permission error` at the path's span and touches nothing outside — `--timeout` stops a
//! run, `Session::sandboxed` does the same from Rust, and Landlock confines a thread at the
//! kernel level where the kernel has it.

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// A directory holding `inside/` (the script's) and `outside/secret.npy`.
fn layout(name: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("arr-sandbox-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("inside")).expect("inside");
    std::fs::create_dir_all(root.join("outside")).expect("outside");
    let mut s = arr::Session::new().expect("session");
    s.run_str(&format!(
        "save(\"{}\", arange(3))",
        root.join("outside/secret.npy").display()
    ))
    .expect("secret");
    std::fs::write(root.join("outside/evil.arr"), "let stolen = 1\n").expect("evil");
    root
}

fn run(root: &Path, script: &str, args: &[&str]) -> Output {
    let inside = root.join("inside");
    std::fs::write(inside.join("s.arr"), script).expect("script");
    Command::new(env!("CARGO_BIN_EXE_arr"))
        .current_dir(&inside)
        .arg("run")
        .arg("--sandbox")
        .args(args)
        .arg("s.arr")
        .output()
        .expect("run arr")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn every_escape_is_a_permission_error_at_its_span() {
    let root = layout("escapes");
    let inside = root.join("inside");
    symlink(root.join("outside/secret.npy"), inside.join("link.npy")).expect("file link");
    symlink(root.join("outside"), inside.join("door")).expect("dir link");
    symlink(root.join("outside/new.npy"), inside.join("dangling.npy")).expect("dangling");
    let secret = root.join("outside/secret.npy").display().to_string();
    let attempts = [
        ("print(load(\"../outside/secret.npy\"))", "read"),
        (&format!("print(load(\"{secret}\"))") as &str, "read"),
        ("print(load(\"/etc/passwd\"))", "read"),
        ("print(load(\"link.npy\"))", "read"),
        ("print(load(\"door/secret.npy\"))", "read"),
        ("print(load(\"sub/../../outside/secret.npy\"))", "read"),
        ("save(\"../outside/new.npy\", ones(2))", "write"),
        ("save(\"door/new.npy\", ones(2))", "write"),
        ("save(\"link.npy\", ones(2))", "write"),
        ("import \"../outside/evil.arr\"", "read"),
        ("plot(arange(3), file=\"../outside/p.svg\")", "write"),
        ("import \"door/evil.arr\"", "read"),
    ];
    for (script, verb) in attempts {
        let out = run(&root, &format!("let x = 1\n{script}\n"), &[]);
        let err = stderr(&out);
        assert!(!out.status.success(), "{script} ran");
        assert!(
            err.contains(&format!("permission error: a sandboxed run cannot {verb}"))
                && err.contains("s.arr:2:")
                && err.contains("--allow-dir"),
            "{script}: {err}"
        );
        assert!(out.stdout.is_empty(), "{script} printed");
    }
    // A link to nothing is not a place to write.
    let out = run(&root, "save(\"dangling.npy\", ones(2))\n", &[]);
    assert!(!out.status.success() && stderr(&out).contains("symbolic link"));
    // Nothing was written outside, and the secret is as it was.
    let mut names: Vec<String> = std::fs::read_dir(root.join("outside"))
        .expect("list")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["evil.arr", "secret.npy"]);
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn allowed_directories_work_as_usual() {
    let root = layout("allowed");
    let script = "save(\"mine.npy\", arange(4) * 2)\nprint(load(\"mine.npy\"))\n\
                  print(load(\"../outside/secret.npy\"))\n";
    let out = run(&root, script, &["--allow-dir", "../outside"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "[0 2 4 6]\n[0 1 2]\n");
    // Without --allow-dir, the same script stops at the third line, after printing the
    // first load.
    let out = run(&root, script, &[]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "[0 2 4 6]\n");
    assert!(stderr(&out).contains("s.arr:3:"), "{}", stderr(&out));
    // --allow-dir means nothing without --sandbox.
    let out = Command::new(env!("CARGO_BIN_EXE_arr"))
        .args(["run", "--allow-dir", "/tmp", "x.arr"])
        .output()
        .expect("run");
    assert!(!out.status.success() && stderr(&out).contains("--sandbox"));
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn timeout_stops_a_run_with_a_resource_error() {
    let root = layout("timeout");
    let began = Instant::now();
    let out = run(
        &root,
        "let x = 0\nwhile true {\n    x += 1\n}\n",
        &["--timeout", "1s"],
    );
    let took = began.elapsed();
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(
        err.contains("resource error: the run took longer than its time limit of 1s"),
        "{err}"
    );
    assert!(took < Duration::from_secs(20), "took {took:?}");
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn the_api_sandboxes_and_limits_time() {
    let root = layout("api");
    let inside = root.join("inside");
    let mut s =
        arr::Session::sandboxed(std::slice::from_ref(&inside), Some(Duration::from_secs(1)))
            .expect("session");
    let err = s
        .run_str("let p = load(\"/etc/passwd\")")
        .expect_err("outside");
    assert_eq!(err.kind, arr::ErrorKind::Permission);
    let err = s
        .run_str("let n = 0\nwhile true { n += 1 }")
        .expect_err("endless");
    assert_eq!(err.kind, arr::ErrorKind::Resource);
    // The session goes on, and files inside work.
    s.run_str(&format!(
        "save(\"{0}/a.npy\", ones(2))\nlet a = load(\"{0}/a.npy\")",
        inside.display()
    ))
    .expect("inside");
    assert_eq!(s.eval("sum(a)").expect("sum").to_string(), "2.0");
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn landlock_confines_a_thread_to_its_directories() {
    let root = layout("landlock");
    let inside = root.join("inside");
    std::fs::write(inside.join("here.txt"), "ok").expect("write");
    let secret = root.join("outside/secret.npy");
    let (confinement, read_inside, read_outside) = std::thread::spawn({
        let inside = inside.clone();
        let secret = secret.clone();
        move || {
            let c = arr::runtime::sandbox::confine(std::slice::from_ref(&inside));
            (
                c,
                std::fs::read(inside.join("here.txt")).is_ok(),
                std::fs::read(&secret).map_err(|e| e.kind()),
            )
        }
    })
    .join()
    .expect("thread");
    assert!(read_inside);
    use arr::runtime::sandbox::Confinement;
    match confinement {
        Confinement::Full | Confinement::Partial => assert_eq!(
            read_outside.err(),
            Some(std::io::ErrorKind::PermissionDenied),
            "Landlock said it confined the thread"
        ),
        // Without Landlock the thread reads as before.
        Confinement::Unavailable => assert!(read_outside.is_ok()),
    }
    // Other threads are not confined.
    assert!(std::fs::read(&secret).is_ok());
    let _ = std::fs::remove_dir_all(&root);
}
