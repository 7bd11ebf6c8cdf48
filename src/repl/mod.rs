//! `arr repl`: an interactive session over the same evaluator and backends as `arr run`.
//! Line editing, history and completion come from rustyline when stdin is a terminal;
//! otherwise entries are read from stdin, so `echo 'sum(arange(10))' | arr repl` prints 45.
//! Ctrl-C during a computation sets the evaluator's cancel flag, which is polled between
//! statements and graph nodes; the session and its bindings survive.

pub mod complete;

use crate::api::Session;
use crate::backend::BackendKind;
use crate::lower::Value;
use complete::{ReplHelper, Scope};
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{CompletionType, Config, Editor};
use std::cell::RefCell;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::atomic::Ordering;

const PROMPT: &str = "arr> ";
const CONTINUATION: &str = "...> ";
const COMMANDS: &str = "\
:time EXPR      time an expression: parse, trace, fuse, compile, run
:explain EXPR   the plan that would compute EXPR
:backend [NAME] the backend in use, or switch to interp, cpu, gpu or mpi
:vars           variables (name, dtype, shape, bytes) and your functions
:load FILE      run a script in this session
:reset          forget every variable and function
:help           this list
:quit           leave (or Ctrl-D)
?name, name?, help(name)   help on a function (on a variable: its dtype, shape and
                           whether it is computed); ? alone lists every function by topic
";

/// Whether an entry has no open brackets, blocks or strings (so it can run).
pub fn is_complete(src: &str) -> bool {
    let mut depth = 0i64;
    let mut in_str = false;
    let mut escaped = false;
    let mut comment = false;
    for c in src.chars() {
        if comment {
            comment = c != '\n';
            continue;
        }
        if in_str {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '#' => comment = true,
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            _ => {}
        }
    }
    depth <= 0 && !in_str
}

/// Runs the REPL on `session`; returns the exit status (1 if a piped entry failed).
pub fn run(mut session: Session, history: bool) -> i32 {
    let flag = session.evaluator().cancel_flag();
    // Ctrl-C while computing cancels the computation (rustyline handles it while editing).
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed));
    if std::io::stdin().is_terminal() {
        interactive(session, history)
    } else {
        piped(session)
    }
}

fn piped(mut session: Session) -> i32 {
    let mut buffer = String::new();
    let mut status = 0;
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        buffer.push_str(&line);
        buffer.push('\n');
        if !is_complete(&buffer) {
            continue;
        }
        let entry = std::mem::take(&mut buffer);
        match handle(&mut session, &entry) {
            Ok(Flow::Quit) => break,
            Ok(Flow::Continue) => {}
            Err(()) => status = 1,
        }
    }
    status
}

fn history_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    let dir = base.join("arr");
    std::fs::create_dir_all(&dir).ok()?;
    Some(dir.join("history.txt"))
}

fn interactive(mut session: Session, history: bool) -> i32 {
    let scope = Rc::new(RefCell::new(Scope::default()));
    // Tab completes the longest common prefix, a second Tab lists the candidates (as bash
    // and IPython do); it never cycles, so a second Tab never undoes a completion.
    let config = Config::builder()
        .auto_add_history(false)
        .completion_type(CompletionType::List)
        .build();
    let Ok(mut editor) = Editor::<ReplHelper, DefaultHistory>::with_config(config) else {
        return piped(session);
    };
    editor.set_helper(Some(ReplHelper::new(
        scope.clone(),
        crate::diag::color_enabled(&std::io::stdout()),
    )));
    let history_file = if history { history_path() } else { None };
    if let Some(path) = &history_file {
        let _ = editor.load_history(path);
    }
    println!(
        "arr {} — :help for commands, ?name for help, Ctrl-D to leave",
        env!("CARGO_PKG_VERSION")
    );
    refresh_scope(&mut session, &scope);
    let mut buffer = String::new();
    loop {
        let prompt = if buffer.is_empty() {
            PROMPT
        } else {
            CONTINUATION
        };
        match editor.readline(prompt) {
            Ok(line) => {
                buffer.push_str(&line);
                buffer.push('\n');
                if !is_complete(&buffer) {
                    continue;
                }
                let entry = std::mem::take(&mut buffer);
                if !entry.trim().is_empty() {
                    let _ = editor.add_history_entry(entry.trim_end());
                }
                let flow = handle(&mut session, &entry);
                refresh_scope(&mut session, &scope);
                if let Ok(Flow::Quit) = flow {
                    break;
                }
            }
            Err(ReadlineError::Interrupted) => buffer.clear(),
            Err(_) => break,
        }
    }
    if let Some(path) = &history_file {
        let _ = editor.save_history(path);
    }
    0
}

fn refresh_scope(session: &mut Session, scope: &Rc<RefCell<Scope>>) {
    let ev = session.evaluator();
    let mut s = scope.borrow_mut();
    s.variables = ev.globals().into_iter().map(|(n, _)| n).collect();
    s.variables
        .extend(["pi", "e", "inf", "nan"].map(String::from));
    s.functions = ev
        .functions()
        .iter()
        .map(|f| {
            (
                f.name.text.clone(),
                f.params.iter().map(|p| p.name.text.clone()).collect(),
            )
        })
        .collect();
}

enum Flow {
    Continue,
    Quit,
}

/// Runs one entry: a command, a help request, or code. `Err` when it failed (already shown).
fn handle(session: &mut Session, entry: &str) -> Result<Flow, ()> {
    let text = entry.trim();
    if text.is_empty() {
        return Ok(Flow::Continue);
    }
    if let Some(cmd) = text.strip_prefix(':') {
        return command(session, cmd);
    }
    if text == "?" {
        return code(session, "help()");
    }
    let help_target = text
        .strip_prefix('?')
        .or_else(|| text.strip_suffix('?'))
        .map(str::trim);
    if let Some(name) = help_target
        && !name.is_empty()
        && name.chars().all(|c| c.is_alphanumeric() || c == '_')
    {
        if let Some(text) = describe_variable(session, name) {
            print!("{text}");
            return Ok(Flow::Continue);
        }
        return code(session, &format!("help({name})"));
    }
    code(session, entry)
}

/// What `?x` says of a variable: its kind, and for an array its dtype, shape, size and
/// whether it is computed yet.
fn describe_variable(session: &mut Session, name: &str) -> Option<String> {
    let globals = session.evaluator().globals();
    let (_, value) = globals.into_iter().find(|(n, _)| n == name)?;
    Some(match value {
        Value::Array(n) => format!(
            "{name}: {} array of shape {} ({} elements, {} bytes), {}\n",
            n.dtype.name(),
            crate::graph::fmt_shape(&n.shape),
            n.size(),
            n.size() * n.dtype.size_bytes(),
            if n.value().is_some() {
                "computed"
            } else if matches!(n.op, crate::graph::Op::Device(_)) {
                "computed, on the GPU (read back when observed)"
            } else {
                "not computed yet (lazy: print it or eval() it to compute)"
            }
        ),
        Value::Tuple(members) => format!("{name}: a tuple of {} values\n", members.len()),
        other => format!("{name}: {}\n", other.kind_name()),
    })
}

fn show_error(session: &Session, e: &crate::diag::Error) {
    let _ = std::io::stdout().flush();
    eprint!(
        "{}",
        session.render_error(e, crate::diag::color_enabled(&std::io::stderr()))
    );
}

fn code(session: &mut Session, entry: &str) -> Result<Flow, ()> {
    match session.eval_output(entry) {
        Ok(Some(v)) => {
            println!("{v}");
            Ok(Flow::Continue)
        }
        Ok(None) => Ok(Flow::Continue),
        Err(e) => {
            show_error(session, &e);
            Err(())
        }
    }
}

fn command(session: &mut Session, cmd: &str) -> Result<Flow, ()> {
    let (name, arg) = cmd
        .split_once(char::is_whitespace)
        .map_or((cmd, ""), |(n, a)| (n, a.trim()));
    match name {
        "q" | "quit" | "exit" => Ok(Flow::Quit),
        "help" | "h" => {
            print!("{COMMANDS}");
            Ok(Flow::Continue)
        }
        "time" => {
            let before = session.evaluator().times();
            let start = std::time::Instant::now();
            let result = code(session, arg);
            let total = start.elapsed();
            let spent = session.evaluator().times().since(&before);
            println!(
                "total {:.3} ms on {}; {}",
                total.as_secs_f64() * 1e3,
                session.evaluator().backend_name(),
                spent.report()
            );
            if result.is_ok() && spent.forced == 0 && spent.backend.kernels_run == 0 {
                println!(
                    "nothing was computed: the statement's value is lazy (time \
                     `:time print(x)` or `:time eval(x)` to compute it)"
                );
            }
            result
        }
        "explain" => match session.explain(arg) {
            Ok(text) => {
                print!("{text}");
                Ok(Flow::Continue)
            }
            Err(e) => {
                show_error(session, &e);
                Err(())
            }
        },
        "backend" if arg.is_empty() => {
            println!("backend: {}", session.evaluator().backend_name());
            Ok(Flow::Continue)
        }
        "backend" => match BackendKind::parse(arg).ok_or_else(|| {
            crate::diag::value_error(format!(
                "unknown backend `{arg}` (choose interp, cpu, gpu or mpi)"
            ))
        }) {
            Ok(kind) => match kind
                .create(session.evaluator().options.fallback_cpu)
                .and_then(|b| session.evaluator().set_backend(b))
            {
                Ok(()) => {
                    println!("backend: {arg}");
                    Ok(Flow::Continue)
                }
                Err(e) => {
                    show_error(session, &e);
                    Err(())
                }
            },
            Err(e) => {
                show_error(session, &e);
                Err(())
            }
        },
        "vars" => {
            println!("{:<16}{:<7}{:<16}{:>12}", "name", "dtype", "shape", "bytes");
            for (name, v) in session.evaluator().globals() {
                match v {
                    Value::Array(n) => println!(
                        "{name:<16}{:<7}{:<16}{:>12}",
                        n.dtype.name(),
                        crate::graph::fmt_shape(&n.shape),
                        n.size() * n.dtype.size_bytes()
                    ),
                    other => println!("{name:<16}{:<7}", other.kind_name()),
                }
            }
            let ev = session.evaluator();
            let user: Vec<String> = (ev.functions().iter())
                .filter(|f| {
                    ev.sources
                        .get(f.name.span.file)
                        .is_none_or(|(file, _)| !file.starts_with("<stdlib>"))
                })
                .map(|f| {
                    let params: Vec<&str> = f.params.iter().map(|p| p.name.text.as_str()).collect();
                    format!("{}({})", f.name.text, params.join(", "))
                })
                .collect();
            if !user.is_empty() {
                println!("functions: {}", user.join(", "));
            }
            Ok(Flow::Continue)
        }
        "load" => match session.run_file(std::path::Path::new(arg.trim_matches('"'))) {
            Ok(()) => Ok(Flow::Continue),
            Err(e) => {
                show_error(session, &e);
                Err(())
            }
        },
        "reset" => match session.evaluator().reset() {
            Ok(()) => {
                println!("session reset");
                Ok(Flow::Continue)
            }
            Err(e) => {
                show_error(session, &e);
                Err(())
            }
        },
        other => {
            eprintln!("unknown command `:{other}` — :help lists the commands");
            Err(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_complete;

    #[test]
    fn entries_continue_while_open() {
        assert!(is_complete("let x = 1\n"));
        assert!(!is_complete("fn f(x) {\n"));
        assert!(!is_complete("zeros(3,\n"));
        assert!(is_complete("print(\"(\")\n"));
        assert!(!is_complete("print(\"abc\n"));
        assert!(is_complete("x # (\n"));
    }
}
