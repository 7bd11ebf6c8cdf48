//! House rules checked by a test (as rust-analyzer's `tidy`): every source file opens with a
//! `//!` header saying what it owns, and no file grows past 600 lines.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_module_has_a_header_and_stays_small() {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    assert!(files.len() > 10);
    for f in files {
        let text = std::fs::read_to_string(&f).expect("readable");
        assert!(
            text.starts_with("//!"),
            "{} has no //! module header",
            f.display()
        );
        let lines = text.lines().count();
        assert!(lines <= 600, "{} has {lines} lines; split it", f.display());
    }
}
