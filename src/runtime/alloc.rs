//! Large buffers on transparent huge pages, as NumPy does for arrays of 4 MiB and up: with
//! 4 KiB pages a fresh 80 MB array costs about 20,000 page faults — half the time of a fast
//! kernel, and most of a short program's.
//!
//! [`HugePageAlloc`] is the system allocator with that advice added for every large block
//! (array data, copies, library results alike); the `arr` binary installs it as the global
//! allocator, and a program embedding arr may do the same. It also counts the bytes the
//! process holds ([`held_bytes`]), which makes `--max-memory` a limit on the whole process,
//! and keeps a few freed blocks of 32 MiB and more for the next allocation of the same size
//! ([`Kept`]): each such block is otherwise a fresh mapping whose every page the kernel
//! zeroes on first touch — a fifth of the time of `exp(-a*a)*sin(3*b) + log1p(abs(c))` on
//! 10^7 elements, computed again and again outside a replayed loop.

use super::reserve;
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

/// The most memory the process has had resident at once (its peak RSS, as the operating
/// system counts it: arrays' pages once touched, the binary, the libraries), in bytes.
#[allow(unsafe_code)]
pub fn peak_resident_bytes() -> u64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the `rusage` it is given; on failure it stays zeroed.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    let max = usage.ru_maxrss.max(0) as u64;
    // Bytes on macOS, KiB elsewhere.
    if cfg!(target_os = "macos") {
        max
    } else {
        max * 1024
    }
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
///
/// `bytes` more than the machine's memory and swap is refused whatever the limit (the
/// allocation would fail, or the process be killed filling it). In a job that spreads
/// arrays, `bytes` is the share of a spread result (`reserve::share_bytes`) and what a
/// process holds counts as what it has resident, which is at most its allocations: a spread
/// array's untouched rows hold no memory.
pub fn check_alloc(bytes: u64) -> crate::diag::Result<()> {
    let machine = super::reserve::machine_bytes();
    if bytes > machine {
        return Err(crate::diag::resource_error(format!(
            "computing a result of {bytes} bytes needs more than this machine's memory and \
             swap ({machine} bytes)"
        ))
        .with_help(
            "work on smaller pieces, or spread the array between MPI ranks on several machines",
        ));
    }
    let (mut held, limit) = (held_bytes(), LIMIT.load(Ordering::Relaxed));
    if held == 0 || bytes.saturating_add(held).saturating_add(Kept::bytes()) <= limit {
        return Ok(());
    }
    // Blocks kept for reuse go back to the kernel before the limit is reported.
    Kept::release_all();
    if super::reserve::spread_ranks() > 1 {
        held = held.min(super::reserve::resident_bytes().unwrap_or(held));
    }
    if bytes.saturating_add(held) <= limit {
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
// SAFETY: every method forwards to `System` with the caller's arguments unchanged, or (in
// a job that spreads arrays) serves a large block as a fresh anonymous mapping of its size,
// page-aligned (its alignment is at most a page), which `free` alone unmaps; the advice
// afterwards only changes how the kernel backs the block's pages, never their contents or
// the block's extent.
unsafe impl GlobalAlloc for HugePageAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = match Kept::take(layout) {
            Some(p) => p,
            None => {
                // SAFETY: forwarded with the caller's layout.
                let p = reserve::map(layout.size(), layout.align())
                    .unwrap_or_else(|| unsafe { System.alloc(layout) });
                advise_huge_pages(p, layout.size());
                p
            }
        };
        count(p, layout.size())
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout (a fresh mapping reads as zeros).
        let p = reserve::map(layout.size(), layout.align())
            .unwrap_or_else(|| unsafe { System.alloc_zeroed(layout) });
        advise_huge_pages(p, layout.size());
        count(p, layout.size())
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if !Kept::keep(ptr, layout, LIMIT.load(Ordering::Relaxed)) {
            // SAFETY: `ptr` came from this allocator with this layout.
            unsafe { free(ptr, layout) }
        }
        add_held(-(layout.size() as i64));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if reserve::spread_ranks() > 1 && layout.size().max(new_size) >= reserve::LAZY_MIN {
            // A block that may be (or become) a lazy mapping: moved by hand.
            // SAFETY: the caller guarantees `new_size` with `layout`'s alignment is a
            // valid layout; the old block holds `layout.size()` bytes.
            unsafe {
                let new = Layout::from_size_align_unchecked(new_size, layout.align());
                let p = self.alloc(new);
                if !p.is_null() {
                    std::ptr::copy_nonoverlapping(ptr, p, layout.size().min(new_size));
                    self.dealloc(ptr, layout);
                }
                return p;
            }
        }
        // SAFETY: forwarded; `ptr` came from `System` with this layout.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        advise_huge_pages(p, new_size);
        if !p.is_null() {
            add_held(new_size as i64 - layout.size() as i64);
        }
        p
    }
}

/// Hands a block back: unmapped when it is a lazy mapping, else to the system allocator.
///
/// # Safety
/// `ptr` came from [`HugePageAlloc`] with `layout` and is owned by no one.
#[allow(unsafe_code)]
unsafe fn free(ptr: *mut u8, layout: Layout) {
    if !reserve::unmap(ptr, layout.size()) {
        // SAFETY: not a lazy mapping, so the system allocator's, with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Blocks at least this large are kept for reuse when freed (glibc maps and unmaps them on
/// their own, see [`keep_freed_blocks`]; smaller ones it keeps itself).
const KEPT_MIN_BYTES: usize = MMAP_MIN_BYTES as usize;
/// At most this many freed blocks are kept…
const KEPT_BLOCKS: usize = 4;
/// …holding at most this many bytes together, and at most an eighth of the memory limit.
const KEPT_MAX_BYTES: usize = 1 << 30;

/// Freed large blocks kept for the next allocation of the same size and alignment (a
/// program that computes a new 80 MB array each step frees the last one each step), so
/// their pages, already backed, need no fault and no zeroing again. Not counted as held;
/// [`check_alloc`] hands them back to the kernel before it reports the memory limit.
struct Kept {
    /// `(address, size, alignment)`, oldest first; `len` of them are in use.
    blocks: [(usize, usize, usize); KEPT_BLOCKS],
    /// How many of `blocks` are kept.
    len: usize,
}

/// The kept blocks (a lock taken only for blocks of [`KEPT_MIN_BYTES`] and more).
static KEPT: std::sync::Mutex<Kept> = std::sync::Mutex::new(Kept {
    blocks: [(0, 0, 0); KEPT_BLOCKS],
    len: 0,
});

/// Bytes in [`KEPT`], readable without its lock.
static KEPT_BYTES: AtomicU64 = AtomicU64::new(0);

#[allow(unsafe_code)]
impl Kept {
    /// Bytes kept now.
    fn bytes() -> u64 {
        KEPT_BYTES.load(Ordering::Relaxed)
    }

    /// A kept block of exactly `layout`, taken out of the set (the most recently kept).
    fn take(layout: Layout) -> Option<*mut u8> {
        if layout.size() < KEPT_MIN_BYTES {
            return None;
        }
        let mut kept = KEPT.lock().unwrap_or_else(|e| e.into_inner());
        let i = (0..kept.len).rev().find(|&i| {
            let (_, size, align) = kept.blocks[i];
            size == layout.size() && align == layout.align()
        })?;
        Some(kept.remove(i).0 as *mut u8)
    }

    /// Takes block `i` out of the set: `(address, size, alignment)`.
    fn remove(&mut self, i: usize) -> (usize, usize, usize) {
        let block = self.blocks[i];
        self.blocks.copy_within(i + 1..self.len, i);
        self.len -= 1;
        KEPT_BYTES.fetch_sub(block.1 as u64, Ordering::Relaxed);
        block
    }

    /// Keeps the freed block `ptr` of `layout` when it is large and fits the bounds (under
    /// the memory limit `limit`), handing the oldest blocks back to the kernel to make
    /// room: whether it was kept.
    fn keep(ptr: *mut u8, layout: Layout, limit: u64) -> bool {
        let size = layout.size();
        let most = (KEPT_MAX_BYTES as u64).min(limit / 8);
        if size < KEPT_MIN_BYTES || size as u64 > most {
            return false;
        }
        let mut freed = [(0, 0, 0); KEPT_BLOCKS];
        let mut n_freed = 0;
        {
            let mut kept = KEPT.lock().unwrap_or_else(|e| e.into_inner());
            while kept.len == KEPT_BLOCKS || Self::bytes() + size as u64 > most {
                freed[n_freed] = kept.remove(0);
                n_freed += 1;
            }
            let len = kept.len;
            kept.blocks[len] = (ptr as usize, size, layout.align());
            kept.len += 1;
            KEPT_BYTES.fetch_add(size as u64, Ordering::Relaxed);
        }
        freed[..n_freed]
            .iter()
            .for_each(|&block| Self::release(block));
        true
    }

    /// Hands every kept block back to the kernel.
    fn release_all() {
        let (blocks, len) = {
            let mut kept = KEPT.lock().unwrap_or_else(|e| e.into_inner());
            let len = std::mem::take(&mut kept.len);
            KEPT_BYTES.store(0, Ordering::Relaxed);
            (kept.blocks, len)
        };
        blocks[..len].iter().for_each(|&block| Self::release(block));
    }

    /// Frees a block that was kept.
    fn release((address, size, align): (usize, usize, usize)) {
        // SAFETY: a kept block came from this allocator with this size and alignment (a
        // valid layout: it was one) and is owned by no one once out of the set.
        unsafe {
            free(
                address as *mut u8,
                Layout::from_size_align_unchecked(size, align),
            )
        }
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
/// still mapped and unmapped on their own (on huge pages; [`Kept`] keeps a few). Every
/// thread allocates from the one main heap: the interpreter runs on a thread of its own
/// (for its stack), whose heap glibc would otherwise build of 64 MiB mappings, each
/// unmapped again once empty — `eigh` of a 1000² matrix, whose workspace overflows the
/// first, faulted in ~1,500 fresh pages a call (27,500 → 4,800 page faults over 15 calls,
/// 9% faster). The `arr` binary calls this first; a program embedding arr may too.
/// Elsewhere than glibc it does nothing.
#[allow(unsafe_code)]
pub fn keep_freed_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes glibc's thresholds; any values are valid.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_MIN_BYTES);
        libc::mallopt(libc::M_TRIM_THRESHOLD, KEEP_FREE_BYTES);
        libc::mallopt(libc::M_ARENA_MAX, 1);
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

#[cfg(test)]
#[allow(unsafe_code)]
mod tests {
    use super::*;

    /// A block of `bytes` from the system allocator (not counted as held: other tests'
    /// memory checks stay off), its first and last bytes written.
    fn block(bytes: usize) -> (*mut u8, Layout) {
        let layout = Layout::from_size_align(bytes, 64).expect("a valid layout");
        // SAFETY: a non-zero size; the block is written inside its bounds.
        let p = unsafe { System.alloc(layout) };
        assert!(!p.is_null());
        unsafe {
            *p = 1;
            *p.add(bytes - 1) = 1;
        }
        (p, layout)
    }

    // The test binary's global allocator is not `HugePageAlloc`, so only this test uses
    // the kept set (the memory limit other tests set is passed explicitly here).
    #[test]
    fn freed_large_blocks_are_kept_for_the_same_layout_and_bounded() {
        let big = KEPT_MIN_BYTES;
        let (p, layout) = block(big);
        assert!(Kept::keep(p, layout, u64::MAX));
        assert_eq!(Kept::bytes(), big as u64);
        // Another size or alignment does not take it; the same layout does.
        let other = Layout::from_size_align(big + 4096, 64).expect("a valid layout");
        assert_eq!(Kept::take(other), None);
        let aligned = Layout::from_size_align(big, 128).expect("a valid layout");
        assert_eq!(Kept::take(aligned), None);
        assert_eq!(Kept::take(layout), Some(p));
        assert_eq!(Kept::bytes(), 0);
        // Small blocks, and blocks over an eighth of the limit, are not kept.
        assert_eq!(
            Kept::take(Layout::from_size_align(4096, 8).expect("valid")),
            None
        );
        assert!(!Kept::keep(p, layout, 4 * big as u64));
        // At most `KEPT_BLOCKS`: the oldest goes back to the kernel.
        let blocks: Vec<_> = (0..=KEPT_BLOCKS).map(|_| block(big)).collect();
        for &(q, l) in &blocks {
            assert!(Kept::keep(q, l, u64::MAX));
        }
        assert_eq!(Kept::bytes(), (KEPT_BLOCKS * big) as u64);
        // The newest is taken first; the first kept was released.
        assert_eq!(Kept::take(layout), Some(blocks[KEPT_BLOCKS].0));
        Kept::release_all();
        assert_eq!((Kept::bytes(), Kept::take(layout)), (0, None));
        // SAFETY: `p` came from `System` with `layout` and is not kept.
        unsafe { System.dealloc(p, layout) };
        unsafe { System.dealloc(blocks[KEPT_BLOCKS].0, layout) };
    }
}
