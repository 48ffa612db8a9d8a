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
