//! Checkpoint and restart through the CLI, as a user's job lives it: a run killed with
//! SIGKILL at random moments (some of them while a checkpoint is being written) and resumed
//! each time ends with results bit-identical to an uninterrupted run's, and no line printed
//! before a checkpoint is printed again. A changed script or seed is refused; `checkpoint()`
//! saves where the script asks.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A simulation with everything a checkpoint must carry: a function, random draws without
/// `seed=`, a `while` loop and a replayed `for` loop nested in the outer loop, a tuple, a
/// string, a weak scalar, a bool mask, and a line printed per step. The state is 200,000
/// f64 (1.6 MB a field), so writing a checkpoint takes a noticeable part of a step.
const SCRIPT: &str = r#"fn relax(u, w) = u + w * (roll(u, 1) - 2.0 * u + roll(u, -1))
let n = 200000
let u = rand(n)
let v = zeros(n)
let shape = (n, 1)
let label = "run"
let w = 0.25
let energy = 0.0
for step in 0..40 {
    let k = 0
    while k < 2 {
        u = relax(u, w)
        k += 1
    }
    for j in 0..3 {
        v = v * 0.5 + u * randn(n)
    }
    let hot = u > 0.5
    energy += sum(where(hot, u * u, 0.0)) + mean(v)
    print(label, step, energy, shape[0])
}
print("done", energy, sum(u), sum(v))
save("u.npy", u)
save("v.npy", v)
"#;

fn arr(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_arr"));
    cmd.current_dir(dir).arg("run").args(args).arg("sim.arr");
    cmd
}

fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("arr-ckpt-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("sim.arr"), SCRIPT).expect("script");
    dir
}

/// Iterations of the outer loop a checkpoint says were completed (lines printed before it).
fn steps_done(checkpoint: &Path) -> usize {
    let file = std::fs::File::open(checkpoint).expect("open checkpoint");
    let mut zip = zip::ZipArchive::new(file).expect("a checkpoint is a zip archive");
    let manifest: serde_json::Value =
        serde_json::from_reader(zip.by_name("checkpoint.json").expect("manifest"))
            .expect("manifest is JSON");
    manifest["frames"][0]["count"]
        .as_u64()
        .expect("outer frame count") as usize
}

/// Temporary files a killed run left while writing the checkpoint.
fn checkpoint_temporaries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("list dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".run.ckpt.") && n.ends_with(".tmp"))
        .collect()
}

/// The lines `text` holds in full (a run killed mid-line leaves a partial last line).
fn whole_lines(text: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = text.split('\n').collect();
    lines.pop();
    lines
}

#[test]
fn killed_runs_resume_to_bit_identical_results() {
    let reference = fresh_dir("reference");
    let began = Instant::now();
    let out = arr(&reference, &[]).output().expect("run arr");
    let whole = began.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let full = String::from_utf8(out.stdout).expect("utf-8");
    let expected = whole_lines(&full);
    assert_eq!(expected.len(), 41);

    let dir = fresh_dir("killed");
    let ckpt = dir.join("run.ckpt");
    let step = whole / 41;
    // Where each run is killed: after it has printed `lines` new lines, `percent` of a
    // step's time later — at start-up, mid-step, or while a checkpoint is written.
    let mut kills: Vec<(usize, u32)> = vec![
        (2, 50),
        (0, 0),
        (3, 90),
        (1, 30),
        (0, 60),
        (2, 10),
        (1, 75),
        (0, 20),
        (4, 40),
        (1, 95),
        (0, 5),
        (2, 65),
    ];
    let mut printed: Vec<String> = vec![];
    let (mut killed, mut killed_while_saving, mut runs) = (0, 0, 0);
    loop {
        runs += 1;
        assert!(runs < 60, "the run never finished");
        let resume = ckpt.exists();
        let start = if resume { steps_done(&ckpt) } else { 0 };
        let mut cmd = if resume {
            arr(&dir, &["--resume", "run.ckpt", "--every", "0"])
        } else {
            arr(&dir, &["--checkpoint", "run.ckpt", "--every", "0"])
        };
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn arr");
        let text = Arc::new(Mutex::new(String::new()));
        let reader = {
            let text = text.clone();
            let mut stdout = child.stdout.take().expect("stdout");
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n @ 1..) = stdout.read(&mut buf) {
                    let mut t = text.lock().expect("lock");
                    t.push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            })
        };
        let kill = kills.pop();
        let mut seen_at = None;
        let finished = loop {
            if child.try_wait().expect("poll").is_some() {
                break true;
            }
            if let Some((lines, percent)) = kill {
                let now = text.lock().expect("lock").matches('\n').count();
                if now >= lines && seen_at.is_none() {
                    seen_at = Some(Instant::now());
                }
                if seen_at.is_some_and(|t| t.elapsed() >= step * percent / 100) {
                    child.kill().expect("SIGKILL");
                    break false;
                }
            }
            std::thread::sleep(Duration::from_micros(500));
        };
        let status = child.wait().expect("wait");
        reader.join().expect("reader");
        let text = text.lock().expect("lock").clone();
        let lines = whole_lines(&text);
        // A run prints exactly the lines after its checkpoint's position, in order: nothing
        // printed before the checkpoint again, nothing skipped.
        assert_eq!(
            lines,
            expected[start..start + lines.len()],
            "run {runs} (from step {start}) printed other lines"
        );
        printed.extend(lines.iter().map(|l| l.to_string()));
        if finished {
            assert!(status.success(), "run {runs} failed");
            break;
        }
        killed += 1;
        if !checkpoint_temporaries(&dir).is_empty() {
            killed_while_saving += 1;
        }
    }
    eprintln!("{killed} runs killed, {killed_while_saving} of them while saving, {runs} runs");
    assert!(killed >= 10, "only {killed} runs were killed");
    assert!(
        killed_while_saving >= 1,
        "no kill landed during a checkpoint write ({killed} kills)"
    );
    for name in ["u.npy", "v.npy"] {
        let a = std::fs::read(reference.join(name)).expect("reference result");
        let b = std::fs::read(dir.join(name)).expect("resumed result");
        assert!(a == b, "{name} differs from the uninterrupted run's");
    }
    // Every line of the uninterrupted run was printed by some run.
    for line in &expected {
        assert!(
            printed.iter().any(|p| p == line),
            "`{line}` was never printed"
        );
    }
    // A finished run leaves no temporary files from the killed ones.
    assert_eq!(checkpoint_temporaries(&dir), Vec::<String>::new());
    let _ = std::fs::remove_dir_all(&reference);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn resume_refuses_a_changed_script_or_seed() {
    let dir = fresh_dir("refuse");
    let out = arr(&dir, &["--checkpoint", "run.ckpt", "--every", "0"])
        .output()
        .expect("run arr");
    assert!(out.status.success());
    std::fs::write(dir.join("sim.arr"), SCRIPT.replace("0.25", "0.2")).expect("edit");
    let out = arr(&dir, &["--resume", "run.ckpt"]).output().expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("resume error") && err.contains("has changed") && err.contains("line 7"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "a refused resume runs nothing");

    std::fs::write(dir.join("sim.arr"), SCRIPT).expect("restore");
    let out = arr(&dir, &["--resume", "run.ckpt", "--seed", "3"])
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("resume error") && err.contains("--seed 0"),
        "{err}"
    );

    std::fs::write(dir.join("junk.ckpt"), b"not a zip").expect("junk");
    let out = arr(&dir, &["--resume", "junk.ckpt"]).output().expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("junk.ckpt"), "{err}");
    let out = arr(&dir, &["--resume", "missing.ckpt"])
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("io error") && err.contains("missing.ckpt"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn checkpoint_call_saves_where_the_script_asks() {
    let dir = fresh_dir("call");
    let script = "let x = arange(4.0)\n\
                  for i in 0..10 {\n    x = x * 2.0 + i\n    if i == 5 { checkpoint() }\n    print(i)\n}\n\
                  print(sum(x))\n";
    std::fs::write(dir.join("sim.arr"), script).expect("script");
    let full = arr(&dir, &["--checkpoint", "run.ckpt"])
        .output()
        .expect("run");
    assert!(full.status.success());
    // Saved when iteration 6 started (the default interval is minutes).
    assert_eq!(steps_done(&dir.join("run.ckpt")), 6);
    let resumed = arr(&dir, &["--resume", "run.ckpt"]).output().expect("run");
    let note = String::from_utf8_lossy(&resumed.stderr);
    assert!(
        note.contains("resuming from `run.ckpt`: 6 iterations of its outermost loop done"),
        "{note}"
    );
    let full = String::from_utf8_lossy(&full.stdout).into_owned();
    let resumed = String::from_utf8_lossy(&resumed.stdout).into_owned();
    assert_eq!(
        resumed,
        "6\n7\n8\n9\n".to_string() + full.lines().last().unwrap_or("") + "\n"
    );

    // Without a checkpoint file, `checkpoint()` is an error that says how to get one.
    let out = arr(&dir, &[]).output().expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("value error")
            && err.contains("--checkpoint FILE")
            && err.contains("sim.arr:4"),
        "{err}"
    );
    let out = arr(&dir, &["--every", "5m"]).output().expect("run");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--every needs a checkpoint file"));
    let out = Command::new(env!("CARGO_BIN_EXE_arr"))
        .current_dir(&dir)
        .args(["check", "--checkpoint", "x.ckpt", "sim.arr"])
        .output()
        .expect("check");
    assert!(!out.status.success() && !dir.join("x.ckpt").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_api_resumes_a_script() {
    let dir = fresh_dir("api");
    let script = dir.join("sim.arr");
    // Saves would go to the test's working directory.
    let text = SCRIPT.replace("save(\"u.npy\", u)\nsave(\"v.npy\", v)\n", "");
    assert_ne!(text, SCRIPT);
    std::fs::write(&script, text).expect("script");
    let ckpt = dir.join("run.ckpt");
    let mut s = arr::Session::new().expect("session");
    s.set_checkpoints(Some(arr::CheckpointOptions {
        path: ckpt.clone(),
        every: Some(Duration::ZERO),
    }));
    s.run_file(&script).expect("run");
    let full = s.take_output();
    let total = s.get("energy").expect("energy");
    assert!(s.evaluator().checkpoints_written() > 40);

    let mut r = arr::Session::new().expect("session");
    r.resume_file(&script, &ckpt).expect("resume");
    let resumed = r.take_output();
    assert!(
        full.ends_with(&resumed) && resumed.starts_with("run 39 "),
        "{resumed}"
    );
    assert_eq!(
        r.get("energy").expect("energy").to_string(),
        total.to_string()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
