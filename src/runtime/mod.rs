//! The runtime: materialised values ([`Array`]), printing, file I/O and the memory limit.

mod alloc;
mod array;
mod csv;
mod format;
pub mod io;
mod npy;
mod pyformat;
pub mod sandbox;
pub mod strided;
pub mod team;
mod vtk;

pub use alloc::{HugePageAlloc, check_alloc, held_bytes, set_memory_limit, zeroed_vec};
pub use array::{Array, Scalar, float_to_i64};
pub use format::{PrintOptions, format_array, format_scalar, print_options, set_print_options};
pub use pyformat::format_with_spec;

/// The default memory limit: half of physical memory (8 GiB when it cannot be read).
pub fn default_memory_limit() -> u64 {
    let total = std::fs::read_to_string("/proc/meminfo").ok().and_then(|s| {
        let line = s.lines().find(|l| l.starts_with("MemTotal:"))?;
        let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb * 1024)
    });
    total.map_or(8 << 30, |t| t / 2)
}

/// Parses a size like `512M`, `4G`, `1.5GiB` or `100000` (bytes).
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" | "kib" => 1024.0,
        "m" | "mb" | "mib" => 1024.0 * 1024.0,
        "g" | "gb" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tb" | "tib" => 1024.0f64.powi(4),
        _ => return None,
    };
    (n >= 0.0).then_some((n * mult) as u64)
}
