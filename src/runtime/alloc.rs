//! Large buffers on transparent huge pages, as NumPy does for arrays of 4 MiB and up: with
//! 4 KiB pages a fresh 80 MB array costs about 20,000 page faults — half the time of a fast
//! kernel, and most of a short program's.
//!
//! [`HugePageAlloc`] is the system allocator with that advice added for every large block
//! (array data, copies, library results alike); the `arr` binary installs it as the global
//! allocator, and a program embedding arr may do the same. It also counts the bytes the
//! process holds ([`held_bytes`]), which makes `--max-memory` a limit on the whole process.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Bytes of heap the process holds through [`HugePageAlloc`] (0 when it is not the global
/// allocator), up to what threads have counted but not yet added ([`UNCOUNTED`]).
static HELD: AtomicI64 = AtomicI64::new(0);

/// Bytes a thread may allocate (or free) before adding them to [`HELD`]: small blocks —
/// graph nodes, names, scalars, tens of thousands a second while tracing — are counted in
/// a thread-local sum, so they cost no shared atomic each.
const UNCOUNTED: i64 = 256 << 10;

thread_local! {
    /// This thread's change of the held bytes not yet added to [`HELD`].
    static PENDING: Cell<i64> = const { Cell::new(0) };
}

/// Adds `delta` bytes to the held count: to this thread's pending sum, and the sum to
/// [`HELD`] once it passes [`UNCOUNTED`] either way.
fn add_held(delta: i64) {
    let flushed = PENDING.try_with(|pending| {
        let sum = pending.get() + delta;
        if sum.abs() < UNCOUNTED {
            pending.set(sum);
        } else {
            pending.set(0);
            HELD.fetch_add(sum, Ordering::Relaxed);
        }
    });
    if flushed.is_err() {
        // The thread's storage is gone (it is exiting): count directly.
        HELD.fetch_add(delta, Ordering::Relaxed);
    }
}

/// Bytes of heap the process holds now — arrays, pools, caches, everything allocated
/// through [`HugePageAlloc`] — or 0 when another allocator is installed. The memory limit
/// counts these (see `Graph::check_size`). Exact to within 256 KiB per thread: small
/// blocks are added in batches.
pub fn held_bytes() -> u64 {
    HELD.load(Ordering::Relaxed).max(0) as u64
}

/// The memory limit of the process (`--max-memory`), checked by [`check_alloc`].
static LIMIT: AtomicU64 = AtomicU64::new(u64::MAX);

/// Sets the limit [`check_alloc`] enforces (a session sets its `memory_limit`; the limit
/// is the process's, so the last session created sets it).
pub fn set_memory_limit(bytes: u64) {
    LIMIT.store(bytes, Ordering::Relaxed);
}

/// Fails when allocating `bytes` more would take the process past its memory limit
/// (backends call it before allocating a result; always passes when arr's allocator is not
/// installed, as nothing is counted then).
pub fn check_alloc(bytes: u64) -> crate::diag::Result<()> {
    let (held, limit) = (held_bytes(), LIMIT.load(Ordering::Relaxed));
    if held == 0 || bytes.saturating_add(held) <= limit {
        return Ok(());
    }
    Err(crate::diag::resource_error(format!(
        "computing a result of {bytes} bytes with {held} bytes held already would pass the \
         memory limit of {limit} bytes"
    ))
    .with_help("raise the limit with --max-memory, or let go of arrays no longer needed"))
}

/// Counts a block as held when it was allocated.
fn count(p: *mut u8, bytes: usize) -> *mut u8 {
    if !p.is_null() {
        add_held(bytes as i64);
    }
    p
}

/// Blocks at least this large are advised to use huge pages.
const HUGE_PAGE_MIN_BYTES: usize = 4 << 20;

/// The system allocator, advising the kernel to back blocks of 4 MiB and more with
/// transparent huge pages before they are first touched (Linux; elsewhere it is `System`).
pub struct HugePageAlloc;

#[allow(unsafe_code)]
// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the
// advice afterwards only changes how the kernel backs the block's pages, never their
// contents or the block's extent.
unsafe impl GlobalAlloc for HugePageAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout.
        let p = unsafe { System.alloc(layout) };
        advise_huge_pages(p, layout.size());
        count(p, layout.size())
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout.
        let p = unsafe { System.alloc_zeroed(layout) };
        advise_huge_pages(p, layout.size());
        count(p, layout.size())
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded; `ptr` came from `System` with this layout.
        unsafe { System.dealloc(ptr, layout) }
        add_held(-(layout.size() as i64));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded; `ptr` came from `System` with this layout.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        advise_huge_pages(p, new_size);
        if !p.is_null() {
            add_held(new_size as i64 - layout.size() as i64);
        }
        p
    }
}

/// A vector of `n` default (all-zero) values whose pages are not touched yet (the
/// allocator's zeroed path: fresh pages from the OS for large blocks).
pub fn zeroed_vec<T: Copy + Default>(n: usize) -> Vec<T> {
    vec![T::default(); n]
}

/// Largest block glibc's malloc serves from its heap rather than a fresh mapping, once
/// [`keep_freed_blocks`] has run (glibc's own limit grows to at most this size anyway).
const MMAP_MIN_BYTES: i32 = 32 << 20;
/// Free memory at the top of a malloc heap that glibc keeps rather than hands back to
/// the kernel, once [`keep_freed_blocks`] has run.
const KEEP_FREE_BYTES: i32 = 256 << 20;

/// Lets glibc's malloc keep freed blocks below 32 MiB for reuse instead of handing their
/// pages back to the kernel: a loop whose arrays change size every iteration (a
/// mask-filtered loop variable) otherwise faults every page of every new array in again —
/// 2,500 page faults of Mandelbrot's 80 filtered steps. Arrays of 32 MiB and more are
/// still mapped and unmapped on their own (on huge pages). The `arr` binary calls this
/// first; a program embedding arr may too. Elsewhere than glibc it does nothing.
#[allow(unsafe_code)]
pub fn keep_freed_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes glibc's thresholds; any values are valid.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_MIN_BYTES);
        libc::mallopt(libc::M_TRIM_THRESHOLD, KEEP_FREE_BYTES);
    }
}

/// Asks the kernel to back the whole pages inside `bytes` bytes at `start` with huge pages
/// (a hint; failures are ignored).
#[allow(unsafe_code)]
fn advise_huge_pages(start: *mut u8, bytes: usize) {
    if start.is_null() || bytes < HUGE_PAGE_MIN_BYTES {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        const PAGE: usize = 4096;
        let start = start as usize;
        let aligned = start.div_ceil(PAGE) * PAGE;
        let len = (start + bytes).saturating_sub(aligned) / PAGE * PAGE;
        // SAFETY: madvise only changes how the kernel backs these pages of a live block
        // the caller owns; it never changes their contents, and the range is page-aligned
        // and inside the block.
        unsafe {
            libc::madvise(aligned as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
        }
    }
}
