//! The stdlib: library functions written in arr (`stdlib/*.arr`), embedded in the binary and
//! run as the prelude of every session, so they fuse with the code that calls them.

/// Every stdlib file: its name (as `import` finds it) and its source text.
pub const FILES: &[(&str, &str)] = &[
    ("core.arr", include_str!("../stdlib/core.arr")),
    ("numpy.arr", include_str!("../stdlib/numpy.arr")),
];
