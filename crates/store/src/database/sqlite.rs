//! SQLite through rusqlite, on the calling thread. A statement is microseconds of work;
//! handing it to another thread and waiting for the answer would cost more than running it.
//!
//! Durability is SQLite's own: WAL with `synchronous = FULL`, so `COMMIT` returns once the
//! transaction is in the log on disk. The commit's fsync runs where no other task waits for
//! the thread (`commit`), and concurrent requests share one commit, and so one fsync, through
//! the store's group commit.

use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use rusqlite::OpenFlags;
use tokio::sync::{Mutex, OwnedMutexGuard, OwnedSemaphorePermit, Semaphore};

use super::error::DatabaseError;
use super::statements::SqliteConnection;
pub(crate) use super::statements::{execute, fetch};

/// The writer connection's page cache, in KiB (SQLite's negative `cache_size`).
const WRITER_CACHE_KIB: i64 = -262_144;
/// Reader connections open at most at once.
const READERS: usize = 4;
/// Bytes of the database file read through memory mapping: SQLite's own maximum.
const MMAP_BYTES: i64 = 0x7fff_0000;
/// Pages of write-ahead log after which a commit copies the log into the database file.
const WAL_CHECKPOINT_PAGES: i64 = 10_000;

/// One SQLite file: its single writer connection and a few readers.
pub(crate) struct SqliteDatabase {
    writer: Arc<Mutex<SqliteConnection>>,
    /// Transactions of this process waiting for the writer: a long transaction (the sweep's)
    /// commits early when another is waiting, so that one does not wait long.
    waiting_for_writer: Arc<AtomicUsize>,
    readers: Arc<Readers>,
}

struct Readers {
    path: PathBuf,
    idle: StdMutex<Vec<SqliteConnection>>,
    permits: Arc<Semaphore>,
}

/// A connection in use: the writer (held until the transaction ends) or a reader.
pub(crate) enum SqliteHandle {
    Writer(OwnedMutexGuard<SqliteConnection>),
    Reader(Reader),
}

pub(crate) struct Reader {
    connection: Option<SqliteConnection>,
    readers: Arc<Readers>,
    _permit: OwnedSemaphorePermit,
}

impl Deref for SqliteHandle {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        match self {
            SqliteHandle::Writer(guard) => guard,
            SqliteHandle::Reader(reader) => reader
                .connection
                .as_ref()
                .expect("a reader holds its connection until dropped"),
        }
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        if let Some(connection) = self.connection.take() {
            if let Ok(mut idle) = self.readers.idle.lock() {
                idle.push(connection);
            }
        }
    }
}

/// The file of a `sqlite://PATH` or `sqlite:PATH` URL; options after `?` are ignored, because
/// tenure sets its own (WAL, and the fsync of every commit: see the module comment).
pub(crate) fn path_of(url: &str) -> Result<PathBuf, DatabaseError> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or_else(|| DatabaseError::Other(format!("not a SQLite URL: {url}")))?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path.contains(":memory:") {
        return Err(DatabaseError::Other(
            "SQLite needs a file (sqlite://PATH): an in-memory database is not shared between connections".to_string(),
        ));
    }
    Ok(PathBuf::from(path))
}

pub(crate) fn open(path: &Path) -> Result<rusqlite::Connection, DatabaseError> {
    let connection = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // WAL lets readers run beside the writer; synchronous=FULL makes every commit durable
    // before it returns; the busy timeout covers other processes on the file.
    connection.pragma_update(None, "journal_mode", "WAL")?;
    connection.pragma_update(None, "synchronous", "FULL")?;
    connection.pragma_update(None, "foreign_keys", "ON")?;
    // Pages read through memory mapping and a 64 MiB page cache, instead of a read system
    // call per page. The mapping is SQLite's largest (its compile-time limit, 0x7fff0000
    // bytes): a simulated year of 100,000 subscriptions grows the file to 1.3 GB. It costs
    // address space, not memory. The writer turns the mapping off (`SqliteDatabase::open`).
    connection.pragma_update(None, "cache_size", -65_536)?;
    connection.pragma_update(None, "mmap_size", MMAP_BYTES)?;
    // A savepoint (each request of a group commit runs in one) keeps the pages it changes in a
    // statement journal, to undo them alone: in memory, not spilled to a file past 64 KiB.
    connection.pragma_update(None, "temp_store", "MEMORY")?;
    // Checkpoints copy the WAL back into the database file; fewer, larger ones write a page
    // changed by many transactions once instead of once per checkpoint (SQLite's default is
    // 1,000 pages). A checkpoint runs inside the commit that crosses the size.
    connection.pragma_update(None, "wal_autocheckpoint", WAL_CHECKPOINT_PAGES)?;
    // Query plans that do not depend on the values bound: otherwise SQLite marks a statement
    // whose plan looked at a bound value (a `LIMIT $2`, say) as expired at every new binding,
    // and parses and plans it again at its next step. The due query was re-prepared at every
    // batch: 4–7% of a simulated year's instructions.
    connection.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    connection.busy_timeout(Duration::from_secs(10))?;
    Ok(connection)
}

impl SqliteDatabase {
    pub(crate) fn open(url: &str) -> Result<SqliteDatabase, DatabaseError> {
        let path = path_of(url)?;
        let writer = open(&path)?;
        // The writer's cache holds what a sweep's transaction changes until it commits, and the
        // pages it goes back to: 256 MiB instead of the readers' 64 (taken only as used). The
        // simulated year of 100,000 subscriptions took 87–91 s with 64 MiB, 71–76 s with this,
        // and 83 s with 1 GiB (reading through the mapping, then). Without the mapping, 1 GiB
        // made the sweep at 1,000,000 faster but HTTP writes during it slower: SQLite can walk
        // its whole page cache at a transaction's end (BENCHMARKS.md, "what is left").
        writer.pragma_update(None, "cache_size", WRITER_CACHE_KIB)?;
        // The writer reads through its page cache, not the mapping the readers use. In a write
        // transaction SQLite maps only the pages a statement reads without changing, and for
        // each one it first searches the log's index (whose cost grows with the log, up to
        // the 50,000 pages of a checkpoint), before it looks in the cache; a mapped page is not
        // kept in the cache, so the next read maps it again. Callgrind over HTTP orders: the
        // committer's instructions per order 208,000 with the mapping, 192,000 without (-8%);
        // the simulated year of 100,000, two pairs alternated, 46.8, 46.1 -> 43.8, 44.1 s; the
        // month's and the day's steps at 1,000,000 the same either way.
        writer.pragma_update(None, "mmap_size", 0)?;
        Ok(SqliteDatabase {
            writer: Arc::new(Mutex::new(SqliteConnection::new(writer))),
            waiting_for_writer: Arc::new(AtomicUsize::new(0)),
            readers: Arc::new(Readers {
                path,
                idle: StdMutex::new(Vec::new()),
                permits: Arc::new(Semaphore::new(READERS)),
            }),
        })
    }

    /// The writer, once no other transaction of this process holds it, with `BEGIN IMMEDIATE`
    /// run: the write lock is taken up front, so a transaction never fails half-way on it.
    pub(crate) async fn begin(&self) -> Result<SqliteHandle, DatabaseError> {
        let guard = {
            let _waiting = Waiting::count(&self.waiting_for_writer);
            self.writer.clone().lock_owned().await
        };
        let handle = SqliteHandle::Writer(guard);
        execute(&handle, "BEGIN IMMEDIATE", &[])?;
        Ok(handle)
    }

    pub(crate) async fn read(&self) -> Result<SqliteHandle, DatabaseError> {
        let permit = self
            .readers
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| DatabaseError::Other("the database is closed".to_string()))?;
        let idle = self
            .readers
            .idle
            .lock()
            .ok()
            .and_then(|mut idle| idle.pop());
        let connection = match idle {
            Some(connection) => connection,
            None => SqliteConnection::new(open(&self.readers.path)?),
        };
        Ok(SqliteHandle::Reader(Reader {
            connection: Some(connection),
            readers: self.readers.clone(),
            _permit: permit,
        }))
    }

    /// Turns the writer's foreign key checks on or off; only outside a transaction, where
    /// SQLite lets the setting change (the migrations turn them off while they rebuild tables).
    pub(crate) async fn enforce_foreign_keys(&self, on: bool) -> Result<(), DatabaseError> {
        let writer = self.writer.lock().await;
        writer.pragma_update(None, "foreign_keys", if on { "ON" } else { "OFF" })?;
        Ok(())
    }

    /// Copies the whole log into the database file, and has the next commit write it from its
    /// start again (the file keeps its size, as a running server's does), through the writer,
    /// once no transaction holds it. Through the writer, which then knows the log started
    /// again: the same checkpoint run by another connection makes the writer find the log
    /// changed under it at its next transaction, and drop every page it had cached.
    ///
    /// A reader may still hold an old snapshot (SQLite then answers "busy" at once rather
    /// than wait for it): tried again every 10 ms, for up to ten seconds.
    pub(crate) async fn checkpoint(&self) -> Result<(), DatabaseError> {
        let writer = self.writer.lock().await;
        for _ in 0..1_000 {
            let busy: i64 =
                writer.query_row("PRAGMA wal_checkpoint(RESTART)", [], |row| row.get(0))?;
            if busy == 0 {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Err(DatabaseError::Other(
            "the log could not be emptied: another connection kept it busy for ten seconds"
                .to_string(),
        ))
    }

    /// How many transactions of this process wait for the writer now.
    pub(crate) fn waiting_for_writer(&self) -> usize {
        self.waiting_for_writer.load(Ordering::Relaxed)
    }

    pub(crate) fn close(&self) {
        self.readers.permits.close();
        if let Ok(mut idle) = self.readers.idle.lock() {
            idle.clear();
        }
    }
}

/// Counts one waiter for as long as it lives: dropped when the writer is had, or when the
/// waiting is given up (its future dropped).
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn count(waiting: &'a AtomicUsize) -> Waiting<'a> {
        waiting.fetch_add(1, Ordering::Relaxed);
        Waiting(waiting)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// `COMMIT`, which returns once the transaction is on disk (`synchronous = FULL`). Its fsync
/// blocks the thread, so on a multi-threaded runtime the thread's other tasks move to
/// another thread meanwhile.
pub(crate) fn commit(handle: &SqliteHandle) -> Result<(), DatabaseError> {
    let commit = || execute(handle, "COMMIT", &[]).map(|_| ());
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) if runtime.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(commit)
        }
        _ => commit(),
    }
}

/// Whether every foreign key the open transaction wrote refers to a row that exists. Most of
/// tenure's SQLite foreign keys are checked at commit (see the `lighter_writes` migration), and
/// a commit that finds one dangling fails whole: the group of requests or the sweep's batches
/// that share the transaction with the row that did it. Asked after each request and each sweep
/// batch instead, it points at the one that did it, which is then undone alone. SQLite counts
/// the unresolved keys as rows go in, so asking costs nothing.
pub(crate) fn foreign_keys_resolved(handle: &SqliteHandle) -> Result<bool, DatabaseError> {
    let mut current = 0;
    let mut highest = 0;
    // SAFETY: the connection is open for as long as `handle` lives, and this connection is
    // used by one thread at a time (the writer is behind a lock); the two outputs are locals.
    let code = unsafe {
        rusqlite::ffi::sqlite3_db_status(
            handle.handle(),
            rusqlite::ffi::SQLITE_DBSTATUS_DEFERRED_FKS,
            &mut current,
            &mut highest,
            0,
        )
    };
    if code != rusqlite::ffi::SQLITE_OK {
        return Err(DatabaseError::Other(format!(
            "SQLite could not tell whether foreign keys are resolved (code {code})"
        )));
    }
    Ok(current == 0)
}

/// Undoes an open transaction; nothing to report if none is open.
pub(crate) fn rollback(handle: &SqliteHandle) {
    if !handle.is_autocommit() {
        let _ = execute(handle, "ROLLBACK", &[]);
    }
}
