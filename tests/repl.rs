//! The REPL driven through a pseudo-terminal, as a user would: completion of a builtin and of
//! a method, `?sum`, a multi-line `fn`, an error followed by use of an earlier binding,
//! `:vars`, and Ctrl-C interrupting an endless loop (the transcript is snapshotted); then a
//! newcomer's questions answered: `?` alone, `?x` on a variable, `:backend`, `:time` of a
//! lazy statement.

use expectrl::session::OsSession;
use expectrl::{ControlCode, Expect, Session};
use std::process::Command;
use std::time::Duration;

/// The screen text of a capture: ANSI sequences and carriage returns removed.
fn clean(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => {
                if chars.peek() == Some(&'[') {
                    chars.next();
                    for d in chars.by_ref() {
                        if d.is_ascii_alphabetic() || d == '~' {
                            break;
                        }
                    }
                }
            }
            '\r' => {}
            _ => out.push(c),
        }
    }
    out
}

struct Repl {
    p: OsSession,
    transcript: String,
}

impl Repl {
    fn start() -> Repl {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_arr"));
        cmd.args(["repl", "--no-history"])
            .env("NO_COLOR", "1")
            .env("TERM", "xterm");
        let mut p = Session::spawn(cmd).expect("spawn arr repl in a pty");
        p.set_expect_timeout(Some(Duration::from_secs(20)));
        let mut r = Repl {
            p,
            transcript: String::new(),
        };
        r.wait_prompt();
        r.transcript.clear();
        r
    }

    /// Reads up to the next prompt and records what came before it.
    fn wait_prompt(&mut self) -> String {
        let found = self.p.expect("arr> ").expect("prompt");
        let text = clean(found.before());
        self.transcript.push_str(&text);
        self.transcript.push_str("arr> ");
        text
    }

    /// Types a line and returns the output up to the next prompt.
    fn line(&mut self, text: &str) -> String {
        self.p.send_line(text).expect("send");
        self.wait_prompt()
    }
}

#[test]
fn repl_session_through_a_terminal() {
    let mut r = Repl::start();
    assert!(r.line("sum(arange(10))").contains("45"));

    // Tab completion of a builtin (its name only: the `(` is typed, as in IPython), then
    // of a method after `.`.
    r.p.send("let total = cums").expect("send");
    r.p.send("\t").expect("tab");
    r.p.expect("cumsum").expect("builtin completed");
    r.line("([1, 2, 3])");
    r.p.send("linsp").expect("send");
    r.p.send("\t").expect("tab");
    r.p.expect("linspace").expect("completed");
    let out = r.line("(0, 1, 3)");
    assert!(out.contains("[0.  0.5 1. ]"), "{out:?}");
    // A second Tab never undoes a completion; with several candidates it lists them.
    r.p.send("zer").expect("send");
    r.p.send("\t").expect("tab");
    r.p.expect("zeros").expect("completed");
    r.p.send("\t").expect("tab again");
    r.p.expect("zeros_like").expect("candidates listed");
    r.p.expect("arr> zeros")
        .expect("the completed line drawn again");
    let out = r.line("(2)");
    assert!(out.contains("[0. 0.]"), "{out:?}");
    r.p.send("total.cu").expect("send");
    r.p.send("\t").expect("tab");
    r.p.send("\t").expect("tab lists");
    r.p.expect("cumprod").expect("candidates listed");
    r.p.expect("cumsum").expect("candidates listed");
    r.p.expect("arr> total.cum")
        .expect("the completed line drawn again");
    r.p.send("sum()").expect("send");
    let out = r.line("");
    assert!(out.contains("[ 1  4 10]"), "{out:?}");
    r.p.send("total.sha").expect("send");
    r.p.send("\t").expect("tab");
    r.p.expect("shape").expect("method completed");
    assert!(r.line("").contains("[3]"));

    // Help, a multi-line function, an error, and the earlier binding still there.
    assert!(r.line("?sum").contains("sum(x, axis=, keepdims=false)"));
    r.p.send_line("fn twice(v) {").expect("send");
    r.p.expect("...> ").expect("continuation prompt");
    r.p.send_line("  v * 2").expect("send");
    r.p.expect("...> ").expect("continuation prompt");
    r.line("}");
    assert!(r.line("twice(total)").contains("[ 2  6 12]"));
    assert!(r.line("totl + 1").contains("did you mean `total`?"));
    assert!(r.line("total[-1]").contains("6"));
    // Tuples (v2) destructure and show as Python shows them.
    r.line("let (lo, hi) = (total[0], total[1:])");
    assert!(r.line("(hi, lo)").contains("([3 6], 1)"));
    let vars = r.line(":vars");
    assert!(
        vars.contains("total") && vars.contains("(3,)") && vars.contains("24"),
        "{vars}"
    );

    // Ctrl-C stops an endless loop and keeps the session.
    r.line("let x = 0");
    r.p.send_line("while true { x = x + 1 }").expect("send");
    std::thread::sleep(Duration::from_millis(500));
    r.p.send(ControlCode::EndOfText).expect("ctrl-c");
    assert!(r.wait_prompt().contains("interrupted: cancelled by Ctrl-C"));
    assert!(r.line("x > 0").contains("true"));
    assert!(r.line("sum(total)").contains("10"));

    r.p.send(ControlCode::EndOfTransmission).expect("ctrl-d");
    insta::assert_snapshot!(r.transcript);
}

#[test]
fn help_and_commands_answer_a_newcomer() {
    // Piped input runs every entry as the terminal REPL does.
    let mut child = Command::new(env!("CARGO_BIN_EXE_arr"))
        .arg("repl")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let input = "?\nlet x = zeros(3)\nlet s = sum(ones(4))\nprint(s)\n?x\n?s\n:backend\n\
                 fn twice(v) { v * 2 }\n:vars\n:time let y = x + 1\n";
    std::io::Write::write_all(child.stdin.as_mut().expect("stdin"), input.as_bytes())
        .expect("written");
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    // `?` alone lists every builtin by topic, then the functions.
    assert!(
        text.contains("  linear algebra:\n    cholesky det eig"),
        "{text}"
    );
    assert!(text.contains("functions (stdlib and yours):"), "{text}");
    // `?x` on a variable: its dtype, shape and whether it is computed.
    assert!(
        text.contains("x: f64 array of shape (3,) (3 elements, 24 bytes), not computed yet"),
        "{text}"
    );
    assert!(
        text.contains("s: f64 array of shape () (1 elements, 8 bytes), computed"),
        "{text}"
    );
    assert!(text.contains("backend: cpu\n"), "{text}");
    assert!(text.contains("functions: twice(v)\n"), "{text}");
    assert!(
        text.contains("nothing was computed: the statement's value is lazy"),
        "{text}"
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}
