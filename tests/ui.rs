//! UI tests, as rustc's: every `tests/ui/*.arr` script is run on the interpreter and its
//! output — stdout, then the rendered error if any — is compared with a snapshot. Adding a
//! case is adding a file.

use arr::lower::Options;
use arr::{BackendKind, Session};

fn run_script(path: &std::path::Path) -> String {
    let text = std::fs::read_to_string(path).expect("test script readable");
    let name = format!(
        "ui/{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("?")
    );
    let options = Options {
        memory_limit: 1 << 30,
        ..Options::default()
    };
    let mut s = Session::with_options(BackendKind::Interp, options).expect("session starts");
    let result = s
        .evaluator()
        .run_source(&name, &text, path.parent().map(|p| p.to_path_buf()));
    let mut out = s.take_output();
    if let Err(e) = result {
        out.push_str("--- error ---\n");
        out.push_str(&s.render_error(&e, false));
    }
    out
}

#[test]
fn ui_scripts() {
    insta::glob!("ui/*.arr", |path| {
        insta::assert_snapshot!(run_script(path));
    });
}
