//! The allocator: mimalloc instead of the C library's. Serving and sweeping make and drop many
//! small strings (bound values, rows read), and glibc's free lists took a tenth of a sweep's
//! time.
//!
//! Built without transparent huge pages (libmimalloc-sys's `no_thp` feature): mimalloc asks the
//! kernel for them on its memory, and then the first touch of any byte of a fresh 2 MiB region
//! zeroes all of it. A sweep's maps grow into fresh memory (the accounts it read, their funds),
//! and these faults were 26% of one day's steps at 1,000,000 instances: 46,388, 46,201 and
//! 47,380 steps/s with huge pages, 62,624, 64,758 and 60,939 without (alternated); a month's
//! steps, the simulated year and HTTP orders the same within the noise (orders' p99 at 64
//! clients 8.9, 8.7 ms with, 5.4, 5.7 ms without). On a machine whose kernel gives huge pages
//! to all memory (`transparent_hugepage/enabled` = `always`, not the usual `madvise`), the
//! feature cannot stop it.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (the 16th option of its `mi_option_e`, version 3): how
/// long freed memory stays with the process before it is handed back to the system.
const PURGE_DELAY_OPTION: libmimalloc_sys::mi_option_t = 15;

/// Keeps freed memory in the process instead of handing it back to the system 10 ms after it
/// is freed (mimalloc's default). Each SQLite savepoint allocates its statement journal and
/// frees it at release; handed back, that memory came back as fresh transparent huge pages,
/// each faulted in and zeroed whole (2 MiB): 5.6% of the group committer's time with 64
/// clients ordering, 4,330 page faults in the orders benchmark against 735 without purging.
/// The process keeps its high-water mark of memory instead, which a server does anyway.
pub fn keep_freed_memory() {
    // SAFETY: sets one of mimalloc's options, a plain integer it reads when it purges.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY_OPTION, -1) };
    debug_assert_eq!(
        unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY_OPTION) },
        -1
    );
}
