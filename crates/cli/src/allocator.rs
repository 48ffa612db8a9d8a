//! The allocator: mimalloc instead of the C library's. Serving and sweeping make and drop many
//! small strings (bound values, rows read), and glibc's free lists took a tenth of a sweep's
//! time.

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
