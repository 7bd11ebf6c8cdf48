//! Memory for arrays spread between the ranks of an SPMD job (the MPI backend), and the
//! memory a process may hold.
//!
//! A spread array keeps its full size on every rank, but a rank writes only its own block
//! of rows (and the halo rows it receives): the other rows' pages are never touched, so the
//! operating system never backs them. What a rank needs is its share, not the array. Two
//! things would still ask for the whole: the kernel's overcommit check (Linux's default
//! refuses a single mapping larger than the machine's memory and swap), and the memory
//! limit. So once a job spreads arrays ([`spread_between`]), blocks of [`LAZY_MIN`] bytes and
//! more are mapped with `MAP_NORESERVE` — address space without a commitment of memory —
//! and the limit counts what a rank has resident and the share of a spread result
//! ([`share_bytes`]). An array of 100 GB on four nodes of 64 GB then runs, each rank holding
//! a quarter of it; a step that gathers it whole to every rank (a library call other than
//! a product) still needs it whole.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Elements below which an array is never spread between ranks: moving its rows costs
/// more than computing them all.
pub const SPREAD_MIN: usize = 1 << 15;

/// Blocks at least this large are mapped lazily (`MAP_NORESERVE`) in a job that spreads
/// arrays.
pub const LAZY_MIN: usize = 64 << 20;

/// The number of processes large arrays are spread between (1 outside an SPMD job).
static RANKS: AtomicUsize = AtomicUsize::new(1);

/// Blocks mapped lazily, `(address, bytes)`: few (each of 64 MiB or more).
static MAPPED: Mutex<Vec<(usize, usize)>> = Mutex::new(Vec::new());

/// Declares that this process is one of `ranks` that spread large arrays by rows between
/// them (the MPI backend calls it as it starts): large blocks are mapped lazily from now on
/// and the memory limit counts shares (see the module's doc).
pub fn spread_between(ranks: usize) {
    RANKS.store(ranks.max(1), Ordering::Relaxed);
}

/// The number of processes large arrays are spread between (1 outside an SPMD job).
pub fn spread_ranks() -> usize {
    RANKS.load(Ordering::Relaxed)
}

/// The bytes a process holds of an array of `shape` and `bytes`: in a job that spreads
/// arrays, the share of its largest block of rows for an array large enough to spread
/// (`SPREAD_MIN` elements, a row for every rank); otherwise all of them.
pub fn share_bytes(shape: &[usize], bytes: u64) -> u64 {
    share_between(spread_ranks(), shape, bytes)
}

/// [`share_bytes`] between `ranks` processes.
fn share_between(ranks: usize, shape: &[usize], bytes: u64) -> u64 {
    match shape.first() {
        Some(&rows)
            if ranks > 1 && rows >= ranks && shape.iter().product::<usize>() >= SPREAD_MIN =>
        {
            bytes / rows as u64 * rows.div_ceil(ranks) as u64
        }
        _ => bytes,
    }
}

/// A block of `size` bytes aligned to `align`, mapped lazily, when this process spreads
/// arrays and the block is large (else None: the system allocator serves it). Its pages
/// read as zeros until written.
#[allow(unsafe_code)]
pub(super) fn map(size: usize, align: usize) -> Option<*mut u8> {
    map_between(spread_ranks(), size, align)
}

/// [`map`] in a job of `ranks` processes.
#[allow(unsafe_code)]
fn map_between(ranks: usize, size: usize, align: usize) -> Option<*mut u8> {
    if ranks <= 1 || size < LAZY_MIN || align > 4096 {
        return None;
    }
    #[cfg(target_os = "linux")]
    {
        // SAFETY: an anonymous private mapping at an address the kernel picks; nothing
        // else is touched.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                size,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return None;
        }
        let mut mapped = MAPPED.lock().unwrap_or_else(|e| e.into_inner());
        mapped.push((p as usize, size));
        Some(p.cast())
    }
    #[cfg(not(target_os = "linux"))]
    None
}

/// Unmaps `ptr` of `size` bytes when [`map`] mapped it: whether it did.
#[allow(unsafe_code)]
pub(super) fn unmap(ptr: *mut u8, size: usize) -> bool {
    if size < LAZY_MIN {
        return false;
    }
    let mut mapped = MAPPED.lock().unwrap_or_else(|e| e.into_inner());
    let Some(i) = mapped.iter().position(|&(p, _)| p == ptr as usize) else {
        return false;
    };
    let (_, bytes) = mapped.swap_remove(i);
    drop(mapped);
    #[cfg(target_os = "linux")]
    // SAFETY: the block was mapped by `map` with these bytes and its owner has freed it.
    unsafe {
        libc::munmap(ptr.cast(), bytes);
    }
    true
}

/// The memory and swap of this machine, in bytes (Linux's `/proc/meminfo`; `u64::MAX`
/// where it cannot be read): no single array larger than this can be allocated under the
/// kernel's default overcommit rule, and none could be filled.
pub fn machine_bytes() -> u64 {
    static BYTES: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *BYTES.get_or_init(|| {
        let Ok(info) = std::fs::read_to_string("/proc/meminfo") else {
            return u64::MAX;
        };
        let field = |name: &str| -> Option<u64> {
            let line = info.lines().find(|l| l.starts_with(name))?;
            let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kb * 1024)
        };
        match (field("MemTotal:"), field("SwapTotal:")) {
            (Some(memory), swap) => memory + swap.unwrap_or(0),
            (None, _) => u64::MAX,
        }
    })
}

/// The bytes this process has resident now (Linux's `/proc/self/statm`; None elsewhere).
pub fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Once arrays are spread, a block larger than the machine's memory and swap is
    /// mapped (only its touched pages are ever backed) and unmapped again; outside a job
    /// and below the size, the system allocator serves blocks.
    #[test]
    #[allow(unsafe_code)]
    fn spread_jobs_map_large_blocks_lazily() {
        let overcommit = std::fs::read_to_string("/proc/sys/vm/overcommit_memory");
        if cfg!(not(target_os = "linux")) || overcommit.is_ok_and(|m| m.trim() == "2") {
            return; // strict accounting: every mapping is committed
        }
        assert_eq!(map_between(1, LAZY_MIN, 64), None);
        let huge = (machine_bytes().min(1 << 44) as usize).saturating_mul(2);
        assert_eq!(map_between(2, LAZY_MIN - 1, 64), None);
        assert_eq!(map_between(2, LAZY_MIN, 8192), None);
        let p = map_between(2, huge, 64).expect("a lazy mapping larger than the machine");
        // SAFETY: inside the mapping; its first and last pages are backed when written.
        unsafe {
            assert_eq!(*p.add(huge / 2), 0);
            *p = 7;
            *p.add(huge - 1) = 9;
            assert_eq!(*p + *p.add(huge - 1), 16);
        }
        assert!(unmap(p, huge));
        assert!(!unmap(p, huge));
        // Shares: a spread array's largest block of rows; small or unspread ones whole.
        assert_eq!(share_between(1, &[1000, 100], 800_000), 800_000);
        assert_eq!(share_between(3, &[1000, 100], 800_000), 334 * 800);
        assert_eq!(share_between(3, &[100, 100], 80_000), 80_000);
        assert_eq!(share_between(3, &[2, 100_000], 1_600_000), 1_600_000);
    }
}
