//! The progress line of a long loop, seen through a pseudo-terminal as a user sees it: it
//! appears after about a second, counts the outer loop of a nest, shows a `while` loop's
//! count, lets program output through, and is cleared when the loop ends; `--quiet`,
//! `NO_PROGRESS` or a stderr that is not a terminal turn it off.

use expectrl::{Eof, Expect, Session};
use std::process::Command;
use std::time::Duration;

/// A script whose loops busy-wait on `clock()`: about 1.6 s of `for` (an inner loop in
/// each step) and 1.3 s of `while`, whatever the build's speed.
const SCRIPT: &str = "let x = zeros(8)
for i in 0..160 {
    for j in 0..2 { x = x + 1 }
    if i == 100 { print(\"step\", i) }
    let t = clock()
    while clock() - t < 0.01 { }
}
let t0 = clock()
let n = 0
while clock() - t0 < 1.3 { n += 1 }
print(\"done\", sum(x))
";

/// Everything `arr run` writes to the terminal (stdout and stderr together).
fn run_in_terminal(args: &[&str], env: Option<(&str, &str)>) -> String {
    let dir = std::env::temp_dir().join(format!("arr-progress-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let script = dir.join("loops.arr");
    std::fs::write(&script, SCRIPT).expect("script");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_arr"));
    cmd.arg("run").args(args).arg(&script).env("TERM", "xterm");
    if let Some((k, v)) = env {
        cmd.env(k, v);
    }
    let mut p = Session::spawn(cmd).expect("spawn arr in a pty");
    p.set_expect_timeout(Some(Duration::from_secs(60)));
    rest_of_output(&mut p)
}

/// What the program writes from now until it exits.
fn rest_of_output(p: &mut expectrl::session::OsSession) -> String {
    let found = p.expect(Eof).expect("runs to the end");
    // At the end of output, everything read is the match.
    let all: Vec<u8> = found
        .before()
        .iter()
        .chain(found.get(0).unwrap_or(&[]))
        .copied()
        .collect();
    String::from_utf8_lossy(&all).into_owned()
}

#[test]
fn a_long_loop_shows_a_progress_line_that_clears() {
    let out = run_in_terminal(&[], None);
    // The `for` loop at line 2 is counted (of 160), not its inner loop at line 3.
    assert!(out.contains("/160 · "), "{out:?}");
    assert!(out.contains("line 2 "), "{out:?}");
    assert!(!out.contains("line 3 "), "{out:?}");
    assert!(out.contains(" it/s · "), "{out:?}");
    // The `while` loop: a count, no total.
    assert!(
        out.contains("line 10 ") && out.contains(" iterations · "),
        "{out:?}"
    );
    // Output goes through, on lines of its own; the line is erased at the end.
    assert!(out.contains("step 100\r\n"), "{out:?}");
    let end = out.find("done 2560.0").expect("final output");
    assert!(out[..end].ends_with("\u{1b}[2K"), "{out:?}");
}

#[test]
fn quiet_or_no_progress_turn_it_off() {
    for (args, env) in [
        (&["--quiet"][..], None),
        (&[][..], Some(("NO_PROGRESS", "1"))),
    ] {
        let out = run_in_terminal(args, env);
        assert!(!out.contains("it/s"), "{args:?} {env:?}: {out:?}");
        assert!(out.contains("done 2560.0"), "{out:?}");
    }
}

#[test]
fn ctrl_c_clears_the_line_and_says_where_it_stopped() {
    let dir = std::env::temp_dir().join(format!("arr-progress-int-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let script = dir.join("endless.arr");
    std::fs::write(&script, "let n = 0\nwhile true {\n    n += 1\n}\n").expect("script");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_arr"));
    cmd.arg("run").arg(&script).env("TERM", "xterm");
    let mut p = Session::spawn(cmd).expect("spawn arr in a pty");
    p.set_expect_timeout(Some(Duration::from_secs(60)));
    p.expect(" iterations · ").expect("the line appears");
    p.send(expectrl::ControlCode::EndOfText).expect("Ctrl-C");
    let out = rest_of_output(&mut p);
    let at = out.find("cancelled by Ctrl-C").expect("interrupted error");
    assert!(
        out[..at].contains("\u{1b}[2K"),
        "the line is erased first: {out:?}"
    );
    assert!(out[at..].contains("endless.arr:3"), "{out:?}");
}

#[test]
fn no_line_when_stderr_is_not_a_terminal() {
    let dir = std::env::temp_dir().join(format!("arr-progress-pipe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let script = dir.join("loops.arr");
    std::fs::write(&script, SCRIPT).expect("script");
    let out = Command::new(env!("CARGO_BIN_EXE_arr"))
        .arg("run")
        .arg(&script)
        .output()
        .expect("runs");
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "step 100\ndone 2560.0\n"
    );
}
