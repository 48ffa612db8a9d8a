//! SQLite through a direct binding, on the calling thread. A statement is microseconds of work;
//! handing it to another thread and waiting for the answer would cost more than running it.
//!
//! Durability: connections run with `synchronous = NORMAL`, so `COMMIT` appends the
//! transaction to the write-ahead log without waiting for the disk, and tenure then fsyncs the
//! log itself ([`WalSync`]) before it reports the commit. That is what `synchronous = FULL`
//! does inside `COMMIT`, moved out so the fsync can run on a blocking thread while the next
//! transaction already executes: concurrent requests share fsyncs, and nothing is answered
//! before its transaction is on disk.

use std::ffi::c_int;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use rusqlite::OpenFlags;
use tokio::sync::{Mutex, OwnedMutexGuard, OwnedSemaphorePermit, Semaphore};

use super::error::DatabaseError;
use super::log_copier::{LogCopier, Sweeping};
use super::statements::SqliteConnection;
pub(crate) use super::statements::{execute, fetch};

/// The writer connection's page cache, in KiB (SQLite's negative `cache_size`).
const WRITER_CACHE_KIB: i64 = -262_144;
/// Reader connections open at most at once.
const READERS: usize = 4;
/// Bytes of the database file read through memory mapping: SQLite's own maximum.
const MMAP_BYTES: i64 = 0x7fff_0000;
/// Pages of write-ahead log after which a commit copies the log into the database file (four
/// times as many while a sweep runs: see `log_copier`).
const WAL_CHECKPOINT_PAGES: c_int = 50_000;

/// One SQLite file: its single writer connection and a few readers.
pub(crate) struct SqliteDatabase {
    writer: Arc<Mutex<SqliteConnection>>,
    /// Transactions of this process waiting for the writer: a long transaction (the sweep's)
    /// commits early when another is waiting, so that one does not wait long.
    waiting_for_writer: Arc<AtomicUsize>,
    readers: Arc<Readers>,
    wal: WalSync,
    log_copier: Arc<LogCopier>,
}

/// The write-ahead log file, fsynced after each commit. Opened on first use: SQLite creates
/// the file with the first transaction. fsync flushes the file, whichever descriptor asks.
#[derive(Clone)]
pub(crate) struct WalSync {
    path: PathBuf,
    file: Arc<std::sync::OnceLock<std::fs::File>>,
}

impl WalSync {
    /// Waits until everything written to the log so far is on disk.
    pub(crate) fn sync(&self) -> Result<(), DatabaseError> {
        let file = match self.file.get() {
            Some(file) => file,
            None => {
                let opened = std::fs::File::open(&self.path).map_err(|error| {
                    DatabaseError::Other(format!("opening {}: {error}", self.path.display()))
                })?;
                self.file.get_or_init(|| opened)
            }
        };
        file.sync_data().map_err(|error| {
            DatabaseError::Other(format!("fsync of {}: {error}", self.path.display()))
        })
    }
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

/// SQLite's settings for the whole process, made once, before its first connection (SQLite
/// takes them only before it initialises).
///
/// Each connection keeps a page cache of its own, without a lock: that is a build setting,
/// `SQLITE_ENABLE_MEMORY_MANAGEMENT` undefined (`.cargo/config.toml`), since the SQLite that
/// libsqlite3-sys compiles in defines it, which puts every connection's pages (the writer's,
/// the readers', the log copier's) in one cache behind one mutex taken at every page: 1.6% of
/// a simulated year's instructions in the lock alone. The test
/// `each_connection_has_a_page_cache_of_its_own` checks the build.
///
/// Memory statistics off: with them on, every allocation SQLite makes (each bound text value
/// is copied into one) takes a process-wide lock to count it, a lock and an unlock that were
/// 2.6% of a simulated year's instructions. Tenure never reads those statistics.
fn configure_library() {
    static CONFIGURED: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    CONFIGURED.get_or_init(|| {
        // SAFETY: `sqlite3_config` with an integer argument, as SQLITE_CONFIG_MEMSTATUS takes;
        // once SQLite is initialised it refuses (SQLITE_MISUSE) and changes nothing.
        let code = unsafe {
            rusqlite::ffi::sqlite3_config(
                rusqlite::ffi::SQLITE_CONFIG_MEMSTATUS,
                0 as std::ffi::c_int,
            )
        };
        if code != rusqlite::ffi::SQLITE_OK {
            tracing::debug!(
                code,
                "SQLite was initialised before tenure configured it; its memory statistics stay on"
            );
        }
    });
}

pub(super) fn open(path: &Path) -> Result<rusqlite::Connection, DatabaseError> {
    configure_library();
    // Through SQLite's default file layer, with the log's writes gathered (`wal_writes`).
    let connection = rusqlite::Connection::open_with_flags_and_vfs(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        super::wal_writes::register(),
    )?;
    // WAL lets readers run beside the writer; synchronous=NORMAL leaves the commit's fsync to
    // tenure (see the module's comment); the busy timeout covers other processes on the file.
    connection.pragma_update(None, "journal_mode", "WAL")?;
    connection.pragma_update(None, "synchronous", "NORMAL")?;
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
    // changed by many transactions once instead of once per checkpoint. 50,000 pages (about
    // 200 MiB of log): a simulated year of 100,000 subscriptions took 313 s with checkpoints
    // every 10,000 pages, 228 s with this (every 2,000: half as fast again as 10,000).
    // Checkpoints on a thread of their own, beside the writer, were tried: they made the year
    // of 100,000 about 4% faster, but HTTP orders at 8 clients about 20% slower (the
    // database file's fsync delays the log's, which every answer waits for). They run so only
    // during a sweep (`log_copier`, whose hook replaces this setting on the writer).
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
        // The writer checkpoints at the same size of log as SQLite's automatic checkpoint, and
        // while a sweep runs most of the copy is done beside it.
        let waiting_for_writer = Arc::new(AtomicUsize::new(0));
        let log_copier = LogCopier::install(
            &writer,
            &path,
            WAL_CHECKPOINT_PAGES,
            waiting_for_writer.clone(),
        );
        let mut wal_path = path.clone().into_os_string();
        wal_path.push("-wal");
        Ok(SqliteDatabase {
            wal: WalSync {
                path: PathBuf::from(wal_path),
                file: Arc::new(std::sync::OnceLock::new()),
            },
            writer: Arc::new(Mutex::new(SqliteConnection::new(writer))),
            log_copier,
            waiting_for_writer,
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
    /// The log copier may still be copying what a sweep left (SQLite then answers "busy" at
    /// once rather than wait for it): tried again every 10 ms, for up to ten seconds.
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

    pub(crate) fn wal(&self) -> &WalSync {
        &self.wal
    }

    /// While the returned value lives, the log is copied into the database file beside the
    /// writer ([`LogCopier`]).
    pub(crate) fn sweeping(&self) -> Sweeping {
        self.log_copier.sweeping()
    }

    pub(crate) fn close(&self) {
        self.log_copier.close();
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

/// `COMMIT`: the transaction is in the log and visible to readers, not yet on disk (see
/// [`WalSync`]).
pub(crate) fn commit(handle: &SqliteHandle) -> Result<(), DatabaseError> {
    execute(handle, "COMMIT", &[]).map(|_| ())
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

/// The statement as SQLite should run it:
///
/// - `$N` placeholders are written `?N`, SQLite's numbered form: parameter N of the prepared
///   statement is then the N-th value, with no lookup by name (which SQLite does by a linear
///   scan, quadratic over a multi-row insert's hundreds of placeholders). String literals are
///   left alone.
/// - `INSERT INTO` becomes `INSERT OR FAIL INTO`, and `UPDATE` `UPDATE OR FAIL`. With
///   SQLite's default (`ABORT`), a statement that could fail after its first rows must be
///   undone alone, so SQLite copies every page a multi-row insert changes into a statement
///   journal first: 8.7% of a simulated year's samples. `FAIL` keeps the rows before the
///   failure instead, which tenure never relies on: a failed statement fails its use case,
///   whose savepoint or transaction is rolled back whole. (Foreign keys checked at once would
///   need the journal too; tenure's are checked at commit: see the `lighter_writes`
///   migration.) An upsert's `DO UPDATE` always runs as `ABORT` whatever the statement says,
///   so the sweep does not write instances with one (see `instances::update_many`).
pub(super) fn for_sqlite(sql: &str) -> String {
    let trimmed = sql.trim_start();
    let sql = if let Some(rest) = trimmed.strip_prefix("INSERT INTO ") {
        std::borrow::Cow::Owned(format!("INSERT OR FAIL INTO {rest}"))
    } else if let Some(rest) = trimmed.strip_prefix("UPDATE ") {
        std::borrow::Cow::Owned(format!("UPDATE OR FAIL {rest}"))
    } else {
        std::borrow::Cow::Borrowed(sql)
    };
    let mut bytes = sql.as_bytes().to_vec();
    let mut in_literal = false;
    for index in 0..bytes.len() {
        match bytes[index] {
            b'\'' => in_literal = !in_literal,
            b'$' if !in_literal && bytes.get(index + 1).is_some_and(u8::is_ascii_digit) => {
                bytes[index] = b'?'
            }
            _ => {}
        }
    }
    // Only one ASCII byte was swapped for another, so the text is still UTF-8.
    String::from_utf8(bytes).expect("ASCII replaced by ASCII")
}
