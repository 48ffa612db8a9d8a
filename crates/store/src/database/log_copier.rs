//! Copying SQLite's write-ahead log into the database file beside a sweep, on the other core.
//!
//! A checkpoint copies the log's pages into the database file and fsyncs it. SQLite runs one
//! inside the commit that takes the log past a size (`WAL_CHECKPOINT_PAGES` in `sqlite`), on
//! the writer, and the writer's work waits for it: at 1,000,000 instances that copy was a
//! quarter of a sweep's time, on the one core the sweep runs on. While a sweep runs, this
//! copier does it on a thread of its own with a connection of its own, woken by the sweep's
//! commits: a passive checkpoint needs no lock the writer holds, and copies what is committed.
//! A month's steps at 1,000,000 instances: 54,084–58,596 → 63,902–65,511 steps/s (three
//! pairs); a simulated year of 100,000: 39.0–40.1 → 35.5–35.8 s (two pairs).
//!
//! The writer still checkpoints itself at [`SWEEP_CHECKPOINT_FACTOR`] times the usual size of
//! log, copied or not: that checkpoint is what empties the log, since SQLite starts the log
//! again only at a write transaction that begins when all of it has been copied, a moment a
//! sweep's back-to-back transactions never leave the copier. It then has only what the copier
//! has not copied yet (every connection knows how far a checkpoint got). Below that size the
//! copier has the log to itself: a first version had the writer also copy whatever reached the
//! usual size not copied, which at 1,000,000 instances was most commits (one commit of 40,000
//! steps changes more pages than that), 8% of a month's sweep on the sweep's core.
//!
//! Only while a sweep runs, and not while a request waits for the writer: the copier's fsync
//! of the database file shares the disk with the log's fsync that every answer waits for (a
//! copier running all the time made orders at 8 clients about a fifth slower; one woken
//! during a sweep whether or not requests waited doubled their latency). When requests are
//! the writes, the writer's checkpoints are SQLite's own.

use std::ffi::{c_char, c_int, c_void};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

/// Pages of log, not yet copied, for which a sweep's commit wakes the copier: enough that a
/// copy is worth a wake-up and an fsync.
const COPY_FROM_PAGES: c_int = 10_000;

/// While the copier copies, the writer checkpoints itself only at this many times its usual
/// size of log, copied or not (otherwise at its usual size not yet copied): that checkpoint is
/// what empties the log.
const SWEEP_CHECKPOINT_FACTOR: c_int = 4;

pub(crate) struct LogCopier {
    path: PathBuf,
    /// Pages of log not yet copied at or past which the writer checkpoints itself (SQLite's
    /// automatic checkpoint, which this hook replaces on the writer).
    checkpoint_pages: c_int,
    /// Pages of log not yet asked to be copied for which a sweep's commit wakes the copier.
    copy_from_pages: c_int,
    /// Sweeps running now (see [`LogCopier::sweeping`]).
    sweeps: AtomicUsize,
    /// Transactions waiting for the writer: requests are being served, and the copier's
    /// fsync would delay theirs, so it is not woken.
    waiting_for_writer: Arc<AtomicUsize>,
    /// The log's pages and how many of them were copied, at the copier's last copy (packed in
    /// one value: pages in the high half).
    copied: AtomicU64,
    /// Whether a copy is asked for or running: commits meanwhile do not ask again.
    copying: AtomicBool,
    /// Pages of log when the copier was last asked: it is asked again only for as many more.
    asked_at_pages: AtomicUsize,
    /// Wakes the copier's thread, started at the first copy; `None` once closed.
    wake: Mutex<Option<SyncSender<()>>>,
    closed: AtomicBool,
}

/// While it lives, the writer's commits wake the copier.
pub(crate) struct Sweeping(Arc<LogCopier>);

impl Drop for Sweeping {
    fn drop(&mut self) {
        self.0.sweeps.fetch_sub(1, Ordering::Relaxed);
    }
}

impl LogCopier {
    /// Installs the copier's hook on `writer` in place of SQLite's automatic checkpoint, which
    /// it keeps at `checkpoint_pages`.
    pub(crate) fn install(
        writer: &rusqlite::Connection,
        path: &Path,
        checkpoint_pages: c_int,
        waiting_for_writer: Arc<AtomicUsize>,
    ) -> Arc<LogCopier> {
        let copier = LogCopier::new(path, checkpoint_pages, COPY_FROM_PAGES, waiting_for_writer);
        Self::install_copier(writer, copier)
    }

    fn install_copier(writer: &rusqlite::Connection, copier: LogCopier) -> Arc<LogCopier> {
        let copier = Arc::new(copier);
        // SAFETY: the hook's context is a strong reference given up here, so it outlives the
        // writer connection whatever order things are dropped in (one small value per
        // database opened); the hook only reads it.
        unsafe {
            rusqlite::ffi::sqlite3_wal_hook(
                writer.handle(),
                Some(after_commit),
                Arc::into_raw(copier.clone()) as *mut c_void,
            );
        }
        copier
    }

    fn new(
        path: &Path,
        checkpoint_pages: c_int,
        copy_from_pages: c_int,
        waiting_for_writer: Arc<AtomicUsize>,
    ) -> LogCopier {
        LogCopier {
            path: path.to_path_buf(),
            checkpoint_pages,
            copy_from_pages,
            sweeps: AtomicUsize::new(0),
            waiting_for_writer,
            copied: AtomicU64::new(0),
            copying: AtomicBool::new(false),
            asked_at_pages: AtomicUsize::new(0),
            wake: Mutex::new(None),
            closed: AtomicBool::new(false),
        }
    }

    pub(crate) fn sweeping(self: &Arc<Self>) -> Sweeping {
        self.sweeps.fetch_add(1, Ordering::Relaxed);
        Sweeping(self.clone())
    }

    /// Ends the copier's thread (after the copy it may be running).
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        if let Ok(mut wake) = self.wake.lock() {
            // The thread's `recv` fails once the sender is gone, and it ends.
            wake.take();
        }
    }

    /// After a commit that left `log_pages` pages in the log.
    fn committed(&self, log_pages: c_int) -> Decision {
        let pages = log_pages as u64;
        let copied = self.copied.load(Ordering::Acquire);
        let (copied_of, copied_pages) = (copied >> 32, copied & 0xffff_ffff);
        // A log started again since the last copy is shorter than it was then: none of it
        // is copied.
        let copied_pages = if pages < copied_of { 0 } else { copied_pages };
        let copier_wanted = self.sweeps.load(Ordering::Relaxed) > 0
            && self.waiting_for_writer.load(Ordering::Relaxed) == 0
            && !self.closed.load(Ordering::Acquire);
        // While the copier copies, the writer leaves it as much as the log may hold: one
        // commit of a sweep over a large fleet can leave more than the usual size not copied
        // (each step changes pages of its own), and copying it here took 8% of a month's
        // sweep at 1,000,000 instances, on the sweep's core.
        let not_copied_limit = if copier_wanted {
            SWEEP_CHECKPOINT_FACTOR * self.checkpoint_pages
        } else {
            self.checkpoint_pages
        };
        if pages - copied_pages >= not_copied_limit as u64
            || log_pages >= SWEEP_CHECKPOINT_FACTOR * self.checkpoint_pages
        {
            self.asked_at_pages.store(0, Ordering::Relaxed);
            return Decision::CheckpointHere;
        }
        if !copier_wanted {
            return Decision::Nothing;
        }
        let pages = pages as usize;
        let asked_at = self.asked_at_pages.load(Ordering::Relaxed);
        // Likewise for the log when the copier was last asked.
        let new_pages = if pages < asked_at {
            pages
        } else {
            pages - asked_at
        };
        if new_pages < self.copy_from_pages as usize || self.copying.swap(true, Ordering::AcqRel) {
            return Decision::Nothing;
        }
        self.asked_at_pages.store(pages, Ordering::Relaxed);
        Decision::WakeCopier
    }

    fn wake(self: &Arc<Self>) {
        let Ok(mut wake) = self.wake.lock() else {
            self.copying.store(false, Ordering::Release);
            return;
        };
        if wake.is_none() {
            let (sender, receiver) = sync_channel(1);
            let copier = self.clone();
            let spawned = std::thread::Builder::new()
                .name("tenure-log-copier".to_string())
                .spawn(move || copier.copy_when_woken(&receiver));
            if let Err(error) = spawned {
                tracing::warn!(%error, "no log copier thread; the writer's checkpoints copy the whole log");
                self.copying.store(false, Ordering::Release);
                return;
            }
            *wake = Some(sender);
        }
        if let Some(sender) = wake.as_ref() {
            if sender.try_send(()).is_err() {
                self.copying.store(false, Ordering::Release);
            }
        }
    }

    fn copy_when_woken(&self, woken: &Receiver<()>) {
        let connection = match super::sqlite::open(&self.path) {
            Ok(connection) => connection,
            Err(error) => {
                tracing::warn!(%error, "the log copier cannot open the database");
                return;
            }
        };
        while woken.recv().is_ok() {
            // Its row: whether it was blocked, the log's pages, the pages copied so far.
            let copied = connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
                Ok((row.get::<_, i64>(1)?, row.get::<_, i64>(2)?))
            });
            match copied {
                Ok((log_pages, copied_pages)) if log_pages >= 0 && copied_pages >= 0 => {
                    let packed = ((log_pages as u64) << 32) | (copied_pages as u64 & 0xffff_ffff);
                    self.copied.store(packed, Ordering::Release);
                }
                Ok(_) => {}
                // Nothing is lost: the writer's own checkpoint copies what this did not.
                Err(error) => {
                    tracing::warn!(%error, "copying the log failed; the writer's checkpoint will")
                }
            }
            self.copying.store(false, Ordering::Release);
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    Nothing,
    WakeCopier,
    CheckpointHere,
}

/// SQLite calls this after every commit of the writer, with the pages in the log.
///
/// # Safety
/// `context` is the `LogCopier` given up to the hook in [`LogCopier::install`], never freed;
/// `database` and `name` are SQLite's.
unsafe extern "C" fn after_commit(
    context: *mut c_void,
    database: *mut rusqlite::ffi::sqlite3,
    name: *const c_char,
    log_pages: c_int,
) -> c_int {
    // SAFETY: see the function's contract. Borrowed, never dropped: the hook's reference
    // stays the hook's.
    let copier = std::mem::ManuallyDrop::new(unsafe { Arc::from_raw(context as *const LogCopier) });
    match copier.committed(log_pages) {
        Decision::Nothing => {}
        Decision::WakeCopier => copier.wake(),
        Decision::CheckpointHere => {
            // SAFETY: what SQLite's own automatic checkpoint does from this hook. A failure
            // (the copier holding the checkpoint lock) leaves the log to the next commit.
            unsafe { rusqlite::ffi::sqlite3_wal_checkpoint(database, name) };
        }
    }
    rusqlite::ffi::SQLITE_OK
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    fn copier(waiting_for_writer: &Arc<AtomicUsize>) -> Arc<LogCopier> {
        Arc::new(LogCopier::new(
            Path::new("unused"),
            1_000,
            10,
            waiting_for_writer.clone(),
        ))
    }

    /// As the copier's thread records a copy that left `copied` of `log` pages copied.
    fn copy_done(copier: &LogCopier, log: u64, copied: u64) {
        copier.copied.store((log << 32) | copied, Ordering::Release);
        copier.copying.store(false, Ordering::Release);
    }

    #[test]
    fn the_copier_is_woken_during_a_sweep_and_the_writer_copies_the_rest() {
        let waiting = Arc::new(AtomicUsize::new(0));
        let copier = copier(&waiting);
        // No sweep: SQLite's own rule, a checkpoint at the usual size of log.
        assert_eq!(copier.committed(999), Decision::Nothing);
        assert_eq!(copier.committed(1_000), Decision::CheckpointHere);

        let running = copier.sweeping();
        assert_eq!(copier.committed(5), Decision::Nothing);
        assert_eq!(copier.committed(10), Decision::WakeCopier);
        // Asked already, and copying: not asked again.
        assert_eq!(copier.committed(40), Decision::Nothing);
        copy_done(&copier, 10, 10);
        assert_eq!(copier.committed(40), Decision::WakeCopier);
        copy_done(&copier, 40, 40);
        assert_eq!(
            copier.committed(45),
            Decision::Nothing,
            "5 pages since asked"
        );
        // The usual size of log does not make the writer checkpoint while the copier copies,
        // copied or not (one commit of a large sweep can leave more than that)...
        assert_eq!(copier.committed(1_000), Decision::WakeCopier);
        copy_done(&copier, 1_000, 1_000);
        assert_eq!(copier.committed(2_000), Decision::WakeCopier);
        assert_eq!(copier.committed(3_000), Decision::Nothing, "still copying");
        copy_done(&copier, 2_000, 2_000);
        // ...but four times as much in all does (that checkpoint starts the log again).
        assert_eq!(copier.committed(3_999), Decision::WakeCopier);
        assert_eq!(copier.committed(4_000), Decision::CheckpointHere);
        // The log started again: its first pages count from zero.
        copy_done(&copier, 4_000, 4_000);
        assert_eq!(copier.committed(12), Decision::WakeCopier);
        copy_done(&copier, 12, 12);

        // Requests waiting for the writer: the copier's fsync would delay theirs, so it is not
        // woken, and the writer checkpoints at the usual size not copied.
        waiting.fetch_add(1, Ordering::Relaxed);
        assert_eq!(copier.committed(40), Decision::Nothing);
        assert_eq!(copier.committed(1_011), Decision::Nothing, "999 not copied");
        assert_eq!(copier.committed(1_012), Decision::CheckpointHere);
        copy_done(&copier, 12, 12);
        waiting.fetch_sub(1, Ordering::Relaxed);
        assert_eq!(copier.committed(40), Decision::WakeCopier);
        copy_done(&copier, 40, 40);

        drop(running);
        assert_eq!(copier.committed(500), Decision::Nothing);
        assert_eq!(copier.committed(1_039), Decision::Nothing, "999 not copied");
        assert_eq!(copier.committed(1_040), Decision::CheckpointHere);
    }

    /// Commits `commits` transactions of ten rows of 2,000 bytes each (about five pages).
    fn write(writer: &rusqlite::Connection, commits: usize) {
        for _ in 0..commits {
            writer.execute_batch("BEGIN IMMEDIATE").unwrap();
            for _ in 0..10 {
                writer
                    .execute("INSERT INTO t (body) VALUES (zeroblob(2000))", [])
                    .unwrap();
            }
            writer.execute_batch("COMMIT").unwrap();
        }
    }

    fn database_file_bytes(path: &Path) -> u64 {
        std::fs::metadata(path).map(|meta| meta.len()).unwrap_or(0)
    }

    #[test]
    fn during_a_sweep_committed_pages_reach_the_database_file_before_the_writers_checkpoint() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("copied.db");
        let writer = crate::database::sqlite::open(&path).unwrap();
        let copier = LogCopier::install_copier(
            &writer,
            LogCopier::new(&path, 1_000, 20, Arc::new(AtomicUsize::new(0))),
        );
        writer
            .execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB NOT NULL)")
            .unwrap();
        let before = database_file_bytes(&path);

        // No sweep, and the log is far from the writer's checkpoint: nothing is copied.
        write(&writer, 20);
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(database_file_bytes(&path), before);

        let running = copier.sweeping();
        write(&writer, 20);
        let deadline = Instant::now() + Duration::from_secs(10);
        while database_file_bytes(&path) <= before + 100 * 4096 {
            assert!(
                Instant::now() < deadline,
                "the log was not copied into the database file during the sweep"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        drop(running);
        while copier.copying.load(Ordering::Acquire) {
            std::thread::sleep(Duration::from_millis(10));
        }
        copier.close();

        // Every committed row is there, read from a connection of its own.
        let reader = crate::database::sqlite::open(&path).unwrap();
        let rows: i64 = reader
            .query_row("SELECT count(*) FROM t", [], |row| row.get(0))
            .unwrap();
        assert_eq!(rows, 400);
        let check: String = reader
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .unwrap();
        assert_eq!(check, "ok");
    }
}
