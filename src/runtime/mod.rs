//! The runtime: materialised values ([`Array`]), printing, file I/O and the memory limit.

mod alloc;
mod array;
mod csv;
mod format;
pub mod io;
mod npy;
mod operand;
mod pyformat;
pub mod reserve;
pub mod sandbox;
pub mod strided;
pub mod team;
mod vtk;

pub use alloc::{
    HugePageAlloc, check_alloc, held_bytes, keep_freed_blocks, peak_resident_bytes,
    set_memory_limit, zeroed_vec,
};
pub use array::{Array, Scalar, float_to_i64};
pub use format::{
    PrintOptions, format_array, format_scalar, format_shown, print_options, set_print_options,
    summary_edge,
};
pub use npy::NpyLayout;
pub use operand::{DeviceValue, HostValues, Operand, Operands, placeholder, with_host_params};
pub use pyformat::format_with_spec;

/// Whether two shapes are equal, compared inline: shapes are short, and the call to
/// `memcmp` that `==` makes showed in profiles of replayed loops (a few per step).
pub fn same_shape(a: &[usize], b: &[usize]) -> bool {
    a.len() == b.len() && (0..a.len()).all(|d| a[d] == b[d])
}

/// The default memory limit: half of physical memory (8 GiB when it cannot be read).
pub fn default_memory_limit() -> u64 {
    let total = std::fs::read_to_string("/proc/meminfo").ok().and_then(|s| {
        let line = s.lines().find(|l| l.starts_with("MemTotal:"))?;
        let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb * 1024)
    });
    total.map_or(8 << 30, |t| t / 2)
}

/// A quantity's number and unit: `1.5GiB` is (1.5, "GiB").
fn number_and_unit(s: &str) -> Option<(f64, &str)> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    Some((num.parse().ok()?, unit.trim()))
}

/// Parses a duration like `90s`, `5m`, `2h`, `250ms` or `30` (seconds).
pub fn parse_duration(s: &str) -> Option<std::time::Duration> {
    let (n, unit) = number_and_unit(s)?;
    let seconds = match unit {
        "ms" => n / 1e3,
        "" | "s" => n,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        _ => return None,
    };
    std::time::Duration::try_from_secs_f64(seconds).ok()
}

/// Parses a size like `512M`, `4G`, `1.5GiB` or `100000` (bytes).
pub fn parse_size(s: &str) -> Option<u64> {
    let (n, unit) = number_and_unit(s)?;
    let mult: f64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" | "kib" => 1024.0,
        "m" | "mb" | "mib" => 1024.0 * 1024.0,
        "g" | "gb" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tb" | "tib" => 1024.0f64.powi(4),
        _ => return None,
    };
    (n >= 0.0).then_some((n * mult) as u64)
}
