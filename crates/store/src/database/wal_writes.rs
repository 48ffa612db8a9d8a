//! SQLite's own file layer (its default VFS, `unix`) with one change: the write-ahead log gets
//! a commit's frames in one `pwrite` instead of two per changed page.
//!
//! SQLite writes a frame as two calls, its 24-byte header and then the page, and a commit
//! writes a frame per page it changed: a group of 16 HTTP orders about 80 frames, a sweep
//! commit tens of thousands. Each call is a system call and a trip through the file system's
//! write path for a few bytes, and they were a quarter of the group committer's time (the
//! `pwrite`s of `COMMIT`: 24% of its samples with 64 clients ordering). Here the frames SQLite
//! appends to the log are gathered in memory and written as one, when:
//!
//! - the page of a *commit frame* has been written (its header carries the database's size
//!   after the commit, where other frames carry 0). This is the one point that matters for
//!   correctness: SQLite publishes new frames to other connections (in the shared WAL index,
//!   which is memory, not a file call) only after it has written them, and the commit frame is
//!   the last frame it appends. Published frames are therefore always in the file: a reader
//!   reading the log through its own descriptor finds them, and so does tenure's fsync of the
//!   log after the commit (`WalSync`);
//! - any other call reaches the file (a read, a sync, a truncation, its size, a lock, a file
//!   control, closing it): SQLite sees its own writes as if they had been made at once;
//! - a megabyte is gathered (a large sweep commit writes in pieces of that size).
//!
//! Only appends are gathered: the writes that go on where the last append ended, or start the
//! log again from its header. A transaction larger than the page cache writes frames before its
//! commit, and when it changes such a page again SQLite rewrites that frame in place and, after
//! the commit frame, the checksums of the frames that follow it; those writes behind the end go
//! to the file at once, since SQLite publishes the commit right after them
//! (`frames_rewritten_in_place_reach_the_file_with_their_commit`).
//!
//! Gathered bytes go to the file in pieces of at most 128 KiB, the most the default VFS writes in
//! one call.
//!
//! A transaction's first megabytes are handed to the disk as soon as they are written
//! (`start_writeback`), not left in the kernel's cache for the fsync after the commit: a sweep
//! commit of tens of megabytes then waits, after its last frame, for the disk to take only its
//! last megabytes. Small commits (a group of HTTP orders) never fill a megabyte and make no
//! such call.
//!
//! Every other file (the database, its shared-memory index) is the default VFS's own, opened
//! in place: this layer is not on their path at all. A write that fails surfaces on the call
//! that writes the gathered bytes, which is the commit frame's own write at the latest, so the
//! commit fails as it would have.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::sync::OnceLock;

use rusqlite::ffi;

/// The name tenure's connections open their files under.
pub(crate) const VFS_NAME: &CStr = c"tenure-wal-writes";

/// A WAL frame header: page number, database size after commit (0 unless a commit frame),
/// salts and checksums.
const FRAME_HEADER_BYTES: c_int = 24;
/// Gathered bytes written before the commit frame if a transaction writes more than this.
const GATHER_LIMIT_BYTES: usize = 1 << 20;
/// The most the default VFS writes in one call: its `seekAndWrite` keeps 17 bits of the length
/// (SQLite's own writes are at most a 64 KiB page and its header).
const WRITE_CALL_MAX_BYTES: usize = 0x1_ffff;

/// Registers the layer (once per process) and returns its name.
pub(crate) fn register() -> &'static CStr {
    static REGISTERED: OnceLock<()> = OnceLock::new();
    REGISTERED.get_or_init(|| {
        // SAFETY: `sqlite3_vfs_find(NULL)` returns the default VFS, which lives as long as the
        // process. The copy made from it is leaked, so it does too, as SQLite requires of a
        // registered VFS; it is registered before any connection names it.
        unsafe {
            let inner = ffi::sqlite3_vfs_find(std::ptr::null());
            assert!(!inner.is_null(), "SQLite has a default VFS");
            INNER.get_or_init(|| InnerVfs(inner));
            let mut layer: ffi::sqlite3_vfs = std::ptr::read(inner);
            layer.szOsFile = wal_file_bytes((*inner).szOsFile);
            layer.pNext = std::ptr::null_mut();
            layer.zName = VFS_NAME.as_ptr();
            layer.xOpen = Some(open);
            let layer = Box::leak(Box::new(layer));
            let registered = ffi::sqlite3_vfs_register(layer, 0);
            assert_eq!(registered, ffi::SQLITE_OK, "registering {VFS_NAME:?}");
        }
    });
    VFS_NAME
}

/// The default VFS this layer forwards to.
struct InnerVfs(*mut ffi::sqlite3_vfs);
// SAFETY: SQLite's VFS objects are immutable once registered and safe to use from any thread.
unsafe impl Send for InnerVfs {}
unsafe impl Sync for InnerVfs {}

static INNER: OnceLock<InnerVfs> = OnceLock::new();

fn inner_vfs() -> *mut ffi::sqlite3_vfs {
    INNER.get().expect("registered before use").0
}

/// A log file: the `sqlite3_file` SQLite sees (its methods are [`WAL_METHODS`]), the default
/// VFS's own file for it (placed in the same allocation, after this header), and the bytes
/// gathered for it.
#[repr(C)]
struct WalFile {
    base: ffi::sqlite3_file,
    inner: *mut ffi::sqlite3_file,
    gathered: *mut Gathered,
}

/// Writes that follow one another in the log, not yet handed to the file.
struct Gathered {
    bytes: Vec<u8>,
    /// Where `bytes` start in the file.
    offset: i64,
    /// The last write was the header of a commit frame: its page completes the commit.
    commit_header_written: bool,
    /// Where the log's next appended frame goes: the end of the last write that appended
    /// (unknown until the first write).
    frontier: Option<i64>,
    /// The log's path, and the log opened a second time through it, to start the disk writing
    /// what was gathered (the default VFS does not show its own descriptor). Opened at the
    /// first megabyte gathered, so only a connection that writes large commits (the writer)
    /// holds one. Where it cannot be opened the hint is not given; nothing else depends on it.
    writeback: Writeback,
}

enum Writeback {
    NotYet(std::path::PathBuf),
    Open(std::fs::File),
    Unavailable,
}

/// Bytes of [`WalFile`], rounded up so that the inner file after it is aligned.
const WAL_FILE_HEADER_BYTES: usize = std::mem::size_of::<WalFile>().next_multiple_of(16);

/// What SQLite allocates per file of this layer: room for a [`WalFile`] and the inner file.
fn wal_file_bytes(inner_bytes: c_int) -> c_int {
    inner_bytes + WAL_FILE_HEADER_BYTES as c_int
}

unsafe extern "C" fn open(
    _vfs: *mut ffi::sqlite3_vfs,
    name: *const c_char,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    let inner = inner_vfs();
    let inner_open = (*inner).xOpen.expect("a VFS opens files");
    if flags & ffi::SQLITE_OPEN_WAL == 0 {
        // Any other file is the default VFS's own, in the allocation SQLite made (larger than
        // it needs): its calls never pass through here.
        return inner_open(inner, name, file, flags, out_flags);
    }
    let inner_file = file.cast::<u8>().add(WAL_FILE_HEADER_BYTES).cast();
    let opened = inner_open(inner, name, inner_file, flags, out_flags);
    if opened != ffi::SQLITE_OK {
        (*file).pMethods = std::ptr::null();
        return opened;
    }
    // The name of a log file is its path (SQLite names it after its database).
    let writeback = match (!name.is_null())
        .then(|| CStr::from_ptr(name).to_str().ok())
        .flatten()
    {
        Some(path) => Writeback::NotYet(path.into()),
        None => Writeback::Unavailable,
    };
    file.cast::<WalFile>().write(WalFile {
        base: ffi::sqlite3_file {
            pMethods: &WAL_METHODS,
        },
        inner: inner_file,
        gathered: Box::into_raw(Box::new(Gathered {
            bytes: Vec::new(),
            offset: 0,
            commit_header_written: false,
            frontier: None,
            writeback,
        })),
    });
    ffi::SQLITE_OK
}

static WAL_METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 1,
    xClose: Some(close),
    xRead: Some(read),
    xWrite: Some(write),
    xTruncate: Some(truncate),
    xSync: Some(sync),
    xFileSize: Some(file_size),
    xLock: Some(lock),
    xUnlock: Some(unlock),
    xCheckReservedLock: Some(check_reserved_lock),
    xFileControl: Some(file_control),
    xSectorSize: Some(sector_size),
    xDeviceCharacteristics: Some(device_characteristics),
    xShmMap: None,
    xShmLock: None,
    xShmBarrier: None,
    xShmUnmap: None,
    xFetch: None,
    xUnfetch: None,
};

/// The parts of a log file opened by [`open`].
unsafe fn parts<'f>(
    file: *mut ffi::sqlite3_file,
) -> (
    *mut ffi::sqlite3_file,
    &'f ffi::sqlite3_io_methods,
    &'f mut Gathered,
) {
    let wal = &mut *file.cast::<WalFile>();
    (wal.inner, &*(*wal.inner).pMethods, &mut *wal.gathered)
}

/// Hands the gathered bytes to the file, in as few writes as the default VFS takes.
unsafe fn flush(file: *mut ffi::sqlite3_file) -> c_int {
    let (inner, methods, gathered) = parts(file);
    gathered.commit_header_written = false;
    let mut offset = gathered.offset;
    let mut written = ffi::SQLITE_OK;
    for piece in gathered.bytes.chunks(WRITE_CALL_MAX_BYTES) {
        written = (methods.xWrite.expect("a file writes"))(
            inner,
            piece.as_ptr().cast(),
            piece.len() as c_int,
            offset,
        );
        if written != ffi::SQLITE_OK {
            break;
        }
        offset += piece.len() as i64;
    }
    if written == ffi::SQLITE_OK && gathered.bytes.len() >= GATHER_LIMIT_BYTES {
        let (start, length) = (gathered.offset, gathered.bytes.len());
        start_writeback(gathered, start, length);
    }
    gathered.bytes.clear();
    written
}

/// Asks the kernel to start writing `length` bytes of the log from `offset` to the disk, and
/// returns without waiting for them: the fsync after the commit then finds them written or on
/// their way. A hint only: if it fails, that fsync writes them as it would have.
fn start_writeback(gathered: &mut Gathered, offset: i64, length: usize) {
    if let Writeback::NotYet(path) = &gathered.writeback {
        gathered.writeback = match std::fs::File::open(path) {
            Ok(log) => Writeback::Open(log),
            Err(_) => Writeback::Unavailable,
        };
    }
    #[cfg(target_os = "linux")]
    if let Writeback::Open(log) = &gathered.writeback {
        use std::os::fd::AsRawFd;
        // SAFETY: the descriptor is open (`log` owns it) and the call reads no memory of ours.
        unsafe {
            libc::sync_file_range(
                log.as_raw_fd(),
                offset,
                length as i64,
                libc::SYNC_FILE_RANGE_WRITE,
            );
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (gathered, offset, length);
}

/// Flushes, then runs `call` on the inner file if that worked.
unsafe fn flushed(file: *mut ffi::sqlite3_file, call: impl FnOnce() -> c_int) -> c_int {
    match flush(file) {
        ffi::SQLITE_OK => call(),
        failed => failed,
    }
}

unsafe extern "C" fn write(
    file: *mut ffi::sqlite3_file,
    data: *const c_void,
    amount: c_int,
    offset: i64,
) -> c_int {
    let (inner, methods, gathered) = parts(file);
    // Appends go on at the frontier, or start the log again from its header at 0. Anything
    // else rewrites what is already written (a spilled frame changed again, the checksums
    // after it): written through at once, never gathered, because SQLite may publish the
    // commit after such a write without writing anything more.
    let appends = offset == 0 || gathered.frontier.is_none_or(|frontier| frontier == offset);
    let extends_gathered = gathered.bytes.is_empty()
        || (appends && gathered.offset + gathered.bytes.len() as i64 == offset);
    if !extends_gathered {
        let flushed = flush(file);
        if flushed != ffi::SQLITE_OK {
            return flushed;
        }
    }
    if !appends {
        return (methods.xWrite.expect("a file writes"))(inner, data, amount, offset);
    }
    let (_, _, gathered) = parts(file);
    gathered.frontier = Some(offset + i64::from(amount));
    if gathered.bytes.is_empty() {
        gathered.offset = offset;
    }
    let data = std::slice::from_raw_parts(data.cast::<u8>(), amount as usize);
    gathered.bytes.extend_from_slice(data);
    let is_frame_header = amount == FRAME_HEADER_BYTES;
    let completes_commit = !is_frame_header && gathered.commit_header_written;
    gathered.commit_header_written = is_frame_header && data[4..8] != [0, 0, 0, 0];
    if completes_commit || gathered.bytes.len() >= GATHER_LIMIT_BYTES {
        return flush(file);
    }
    ffi::SQLITE_OK
}

unsafe extern "C" fn close(file: *mut ffi::sqlite3_file) -> c_int {
    let flushed = flush(file);
    let (inner, methods, _) = parts(file);
    let closed = (methods.xClose.expect("a file closes"))(inner);
    let wal = &mut *file.cast::<WalFile>();
    drop(Box::from_raw(wal.gathered));
    wal.gathered = std::ptr::null_mut();
    if flushed != ffi::SQLITE_OK {
        flushed
    } else {
        closed
    }
}

unsafe extern "C" fn read(
    file: *mut ffi::sqlite3_file,
    buffer: *mut c_void,
    amount: c_int,
    offset: i64,
) -> c_int {
    flushed(file, || {
        let (inner, methods, _) = parts(file);
        (methods.xRead.expect("a file reads"))(inner, buffer, amount, offset)
    })
}

unsafe extern "C" fn truncate(file: *mut ffi::sqlite3_file, size: i64) -> c_int {
    flushed(file, || {
        let (inner, methods, _) = parts(file);
        (methods.xTruncate.expect("a file truncates"))(inner, size)
    })
}

unsafe extern "C" fn sync(file: *mut ffi::sqlite3_file, flags: c_int) -> c_int {
    flushed(file, || {
        let (inner, methods, _) = parts(file);
        (methods.xSync.expect("a file syncs"))(inner, flags)
    })
}

unsafe extern "C" fn file_size(file: *mut ffi::sqlite3_file, size: *mut i64) -> c_int {
    flushed(file, || {
        let (inner, methods, _) = parts(file);
        (methods.xFileSize.expect("a file has a size"))(inner, size)
    })
}

unsafe extern "C" fn lock(file: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    flushed(file, || {
        let (inner, methods, _) = parts(file);
        (methods.xLock.expect("a file locks"))(inner, level)
    })
}

unsafe extern "C" fn unlock(file: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    flushed(file, || {
        let (inner, methods, _) = parts(file);
        (methods.xUnlock.expect("a file unlocks"))(inner, level)
    })
}

unsafe extern "C" fn check_reserved_lock(file: *mut ffi::sqlite3_file, out: *mut c_int) -> c_int {
    flushed(file, || {
        let (inner, methods, _) = parts(file);
        (methods.xCheckReservedLock.expect("a file has locks"))(inner, out)
    })
}

unsafe extern "C" fn file_control(
    file: *mut ffi::sqlite3_file,
    operation: c_int,
    argument: *mut c_void,
) -> c_int {
    flushed(file, || {
        let (inner, methods, _) = parts(file);
        (methods.xFileControl.expect("a file takes controls"))(inner, operation, argument)
    })
}

unsafe extern "C" fn sector_size(file: *mut ffi::sqlite3_file) -> c_int {
    let (inner, methods, _) = parts(file);
    (methods.xSectorSize.expect("a file has a sector size"))(inner)
}

unsafe extern "C" fn device_characteristics(file: *mut ffi::sqlite3_file) -> c_int {
    let (inner, methods, _) = parts(file);
    (methods
        .xDeviceCharacteristics
        .expect("a file has characteristics"))(inner)
}

#[cfg(test)]
mod tests {
    use rusqlite::{Connection, OpenFlags};

    /// A connection through this layer, keeping its whole log (no checkpoint), as tenure's.
    fn open_layered(path: &std::path::Path) -> Connection {
        let connection = Connection::open_with_flags_and_vfs(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
            super::register(),
        )
        .unwrap();
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .unwrap();
        connection
            .pragma_update(None, "synchronous", "NORMAL")
            .unwrap();
        connection
            .pragma_update(None, "wal_autocheckpoint", 0)
            .unwrap();
        connection
    }

    fn count_and_sum(connection: &Connection) -> (i64, i64) {
        connection
            .query_row("SELECT COUNT(*), COALESCE(SUM(n), 0) FROM t", [], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .unwrap()
    }

    /// What a crash would leave of the log: the database and its log copied while `writer`
    /// still has them open, then opened through SQLite's own file layer, which recovers the
    /// copy from the log alone (it checks every frame's checksum and stops at the last commit
    /// frame).
    fn crash_copy(folder: &std::path::Path) -> (tempfile::TempDir, Connection) {
        let copy = tempfile::tempdir().unwrap();
        for suffix in ["", "-wal"] {
            std::fs::copy(
                folder.join(format!("layered.db{suffix}")),
                copy.path().join(format!("copy.db{suffix}")),
            )
            .unwrap();
        }
        let recovered = Connection::open(copy.path().join("copy.db")).unwrap();
        let integrity: String = recovered
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .unwrap();
        assert_eq!(integrity, "ok");
        (copy, recovered)
    }

    /// A transaction larger than the page cache writes frames before its commit (a spill),
    /// and when it changes a spilled page again SQLite rewrites that frame in place and then
    /// the checksums of every frame after it: writes behind the end of the log, which must
    /// reach the file before the commit is published, as the appended ones do.
    #[test]
    fn frames_rewritten_in_place_reach_the_file_with_their_commit() {
        let folder = tempfile::tempdir().unwrap();
        let writer = open_layered(&folder.path().join("layered.db"));
        writer.pragma_update(None, "cache_size", 16).unwrap();
        writer
            .execute_batch("CREATE TABLE t (n INTEGER NOT NULL, padding TEXT NOT NULL)")
            .unwrap();
        writer
            .execute(
                "INSERT INTO t (n, padding) SELECT value, ?1 FROM generate_series(1, 2000)",
                [&"x".repeat(500)],
            )
            .unwrap_or_else(|_| {
                // Without the series extension: one row at a time.
                for n in 1..=2000 {
                    writer
                        .execute(
                            "INSERT INTO t (n, padding) VALUES (?1, ?2)",
                            rusqlite::params![n, "x".repeat(500)],
                        )
                        .unwrap();
                }
                2000
            });
        writer.execute_batch("BEGIN").unwrap();
        for round in 1..=5 {
            writer.execute("UPDATE t SET n = n + ?1", [round]).unwrap();
        }
        writer.execute_batch("COMMIT").unwrap();
        let expected = count_and_sum(&writer);
        assert_eq!(expected.0, 2000);

        let (_copy, recovered) = crash_copy(folder.path());
        assert_eq!(count_and_sum(&recovered), expected);
    }

    /// Commits small and large (past the gathering limit, so written in several pieces),
    /// then what a crash would leave: the database and its log copied while the writer still
    /// has them open. SQLite's own file layer, recovering the copy from the log alone (it
    /// checks every frame's checksum and stops at the last commit frame), finds every
    /// committed row; a reader beside the writer sees them too.
    #[test]
    fn every_commit_is_in_the_log_file_before_it_is_published() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("layered.db");
        let writer = open_layered(&path);
        writer
            .execute_batch("CREATE TABLE t (n INTEGER NOT NULL, padding TEXT NOT NULL)")
            .unwrap();
        let mut expected = (0_i64, 0_i64);
        for rows in [1_i64, 10, 3_000, 1, 7_000, 2] {
            writer.execute_batch("BEGIN").unwrap();
            for n in 0..rows {
                writer
                    .execute(
                        "INSERT INTO t (n, padding) VALUES (?1, ?2)",
                        rusqlite::params![n, "x".repeat(700)],
                    )
                    .unwrap();
                expected.0 += 1;
                expected.1 += n;
            }
            writer.execute_batch("COMMIT").unwrap();

            let reader = open_layered(&path);
            assert_eq!(count_and_sum(&reader), expected);
        }
        let log_bytes = std::fs::metadata(folder.path().join("layered.db-wal"))
            .unwrap()
            .len();
        assert!(
            log_bytes > 4 * super::GATHER_LIMIT_BYTES as u64,
            "the commits went to the log ({log_bytes} bytes)"
        );

        let copy = tempfile::tempdir().unwrap();
        for suffix in ["", "-wal"] {
            std::fs::copy(
                folder.path().join(format!("layered.db{suffix}")),
                copy.path().join(format!("copy.db{suffix}")),
            )
            .unwrap();
        }
        let recovered = Connection::open(copy.path().join("copy.db")).unwrap();
        assert_eq!(count_and_sum(&recovered), expected);
        let integrity: String = recovered
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .unwrap();
        assert_eq!(integrity, "ok");
    }
}
