//! Large buffers: allocated zeroed (fresh pages from the OS, not touched yet) and advised to
//! use transparent huge pages, as NumPy does for arrays of 4 MiB and up. With 4 KiB pages
//! a fresh 80 MB array costs about 20,000 page faults — half the time of a fast kernel.

/// Buffers at least this large are advised to use huge pages.
const HUGE_PAGE_MIN_BYTES: usize = 4 << 20;

/// A vector of `n` default (all-zero) values whose pages are not touched yet.
pub fn zeroed_vec<T: Copy + Default>(n: usize) -> Vec<T> {
    let v = vec![T::default(); n];
    advise_huge_pages(&v);
    v
}

/// Asks the kernel to back `v`'s memory with huge pages (a hint; failures are ignored).
#[allow(unsafe_code)]
fn advise_huge_pages<T>(v: &[T]) {
    let bytes = std::mem::size_of_val(v);
    if bytes < HUGE_PAGE_MIN_BYTES {
        return;
    }
    const PAGE: usize = 4096;
    let start = v.as_ptr() as usize;
    let aligned = start.div_ceil(PAGE) * PAGE;
    let len = (start + bytes).saturating_sub(aligned) / PAGE * PAGE;
    // Safety: madvise only changes how the kernel backs the pages of this live allocation
    // (which we own for the duration of the call); it never changes their contents, and
    // the range is page-aligned and inside the allocation.
    unsafe {
        libc::madvise(aligned as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
    }
}
