//! Large buffers on transparent huge pages, as NumPy does for arrays of 4 MiB and up: with
//! 4 KiB pages a fresh 80 MB array costs about 20,000 page faults — half the time of a fast
//! kernel, and most of a short program's.
//!
//! [`HugePageAlloc`] is the system allocator with that advice added for every large block
//! (array data, copies, library results alike); the `arr` binary installs it as the global
//! allocator, and a program embedding arr may do the same.

use std::alloc::{GlobalAlloc, Layout, System};

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
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout.
        let p = unsafe { System.alloc_zeroed(layout) };
        advise_huge_pages(p, layout.size());
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded; `ptr` came from `System` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded; `ptr` came from `System` with this layout.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        advise_huge_pages(p, new_size);
        p
    }
}

/// A vector of `n` default (all-zero) values whose pages are not touched yet (the
/// allocator's zeroed path: fresh pages from the OS for large blocks).
pub fn zeroed_vec<T: Copy + Default>(n: usize) -> Vec<T> {
    vec![T::default(); n]
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
