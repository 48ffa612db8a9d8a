use std::ops::{Deref, DerefMut};
use std::sync::{Arc, OnceLock};

use crate::database::{query, Connection, DatabaseError, Inner, PostgresPool, SqliteDatabase};
use crate::group_commit::{GroupCommitter, WriteCounts, WriteFuture, WriteHealth};
use crate::migrations;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] DatabaseError),
    #[error("unsupported database URL `{0}`: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    #[error("ledger invariant broken: {0}")]
    LedgerUnbalanced(String),
    /// The work could not be committed (the database kept refusing it for other
    /// transactions, or the commit failed): nothing of it was written, and it may be sent again.
    #[error("the write was not committed: {0}")]
    Busy(String),
}

impl StoreError {
    /// Whether the transaction failed only because another one ran beside it (see
    /// [`DatabaseError::is_retryable`]).
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Database(error) if error.is_retryable())
    }

    /// Whether the write was not committed because the database failed or could not be had
    /// (see [`DatabaseError::is_unavailable`]), or kept refusing it ([`StoreError::Busy`]):
    /// nothing of it was written, and it may be sent again.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Busy(_) => true,
            StoreError::Database(error) => error.is_unavailable(),
            _ => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// How an auto-numbered primary key column is spelled.
    pub(crate) fn serial_key(self) -> &'static str {
        match self {
            Dialect::Sqlite => "INTEGER PRIMARY KEY",
            Dialect::Postgres => "BIGSERIAL PRIMARY KEY",
        }
    }
}

/// Connections a store opens to PostgreSQL at most, unless told otherwise: the store's
/// committers each hold one while they work (see `group_commit`), the sweep one, and reads
/// take the rest.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 32;

/// The database behind tenure, and what the queries need to know about it.
#[derive(Clone)]
pub struct Store {
    pub(crate) backend: Backend,
    /// The group committer behind [`Store::write`], started at the first write.
    committer: Arc<OnceLock<GroupCommitter>>,
}

#[derive(Clone)]
pub(crate) enum Backend {
    /// One writer at a time in this process (the writer connection is behind a lock), readers
    /// beside it.
    Sqlite(Arc<SqliteDatabase>),
    Postgres(PostgresPool),
}

impl Backend {
    fn dialect(&self) -> Dialect {
        match self {
            Backend::Sqlite(_) => Dialect::Sqlite,
            Backend::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Whether another transaction of this process waits to begin. SQLite has one writer, held
    /// by whichever transaction began first, so a long one (the sweep's) should make way;
    /// PostgreSQL's run side by side, so there it never is.
    /// How many transactions the group committer runs side by side: one on SQLite; on
    /// PostgreSQL [`POSTGRES_COMMITTERS`](crate::group_commit), or half the pool when that is
    /// smaller, so that reads and the sweep keep connections of their own.
    pub(crate) fn committers(&self, postgres_committers: usize) -> usize {
        match self {
            Backend::Sqlite(_) => 1,
            Backend::Postgres(pool) => {
                let half_the_pool = (pool.options().get_max_connections() / 2).max(1) as usize;
                postgres_committers.min(half_the_pool)
            }
        }
    }

    fn writer_wanted(&self) -> bool {
        match self {
            Backend::Sqlite(database) => database.waiting_for_writer() > 0,
            Backend::Postgres(_) => false,
        }
    }
}

/// A write transaction. Dropping it without [`Tx::commit`] rolls everything back.
/// The actor of what tenure does by itself: the lifecycle's steps, the deliverer's records.
pub const SYSTEM_ACTOR: &str = "system";

pub struct Tx {
    connection: Connection,
    /// The database it runs on: its dialect, and whether other transactions wait for this one
    /// ([`Tx::should_commit`]).
    backend: Backend,
    /// SQLite: the event log's end as this transaction's last write left it (kept by
    /// [`crate::events::insert_many`]), so that only its first numbering
    /// ([`crate::events::next_seqs`]) reads it from the table; `None` until then, and again
    /// after a savepoint is undone.
    pub(crate) last_event_seq: Option<i64>,
    /// Who the work being written is for: the events it writes name it (`events.actor`).
    /// Set by the API for each request's work ([`Tx::set_actor`]); `None` is tenure itself
    /// (the lifecycle, the deliverer).
    actor: Option<String>,
}

impl Store {
    /// Connects to `sqlite://PATH` (created if missing) or `postgres://…` and brings its schema
    /// to the latest version.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        let store = Store::open_unmigrated(url).await?;
        migrations::migrate(&store).await?;
        Ok(store)
    }

    /// Connects as `tenure serve` does: SQLite migrates itself (one process owns the file); on
    /// PostgreSQL, which several nodes share, the schema must be this tenure's already
    /// (`tenure migrate` brings it there), and one older or newer is refused, saying what to do.
    ///
    /// `max_connections` bounds the connections it opens to PostgreSQL: nodes sharing a server
    /// share its `max_connections` too.
    pub async fn connect_for_serving(url: &str, max_connections: u32) -> Result<Store, StoreError> {
        let store = Store::open(url, max_connections).await?;
        match store.dialect() {
            Dialect::Sqlite => migrations::migrate(&store).await?,
            Dialect::Postgres => migrations::check_current(&store).await?,
        }
        Ok(store)
    }

    /// Connects without touching the schema: for a test that builds a database as an older
    /// tenure left it ([`migrations::migrate_to`]). Everything else uses [`Store::connect`].
    pub async fn open_unmigrated(url: &str) -> Result<Store, StoreError> {
        Store::open(url, DEFAULT_MAX_CONNECTIONS).await
    }

    async fn open(url: &str, max_connections: u32) -> Result<Store, StoreError> {
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite(Arc::new(SqliteDatabase::open(url)?))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres(crate::database::connect_postgres(url, max_connections).await?)
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_string()));
        };
        Ok(Store {
            backend,
            committer: Arc::default(),
        })
    }

    /// Runs `work` in a write transaction and returns its result once that transaction is
    /// durable. Concurrent writes share a transaction, each in a savepoint of its own: a
    /// write that fails leaves nothing, and the others keep their work (see
    /// [`crate::group_commit`]). `work` may run more than once (after a deadlock, say), so it
    /// must work on a copy of its input each time; only one run is committed.
    pub async fn write<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: for<'t> FnMut(&'t mut Tx) -> WriteFuture<'t, Result<T, E>> + Send + 'static,
    {
        self.committer
            .get_or_init(|| {
                GroupCommitter::start(Store {
                    backend: self.backend.clone(),
                    committer: Arc::default(),
                })
            })
            .write(work)
            .await
    }

    pub fn dialect(&self) -> Dialect {
        self.backend.dialect()
    }

    /// [`Backend::writer_wanted`], for tests.
    #[cfg(test)]
    pub(crate) fn writer_wanted(&self) -> bool {
        self.backend.writer_wanted()
    }

    /// Begins a write transaction.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        let inner = match &self.backend {
            Backend::Sqlite(database) => Inner::Sqlite(database.begin().await?),
            Backend::Postgres(pool) => {
                Inner::PostgresTransaction(pool.begin().await.map_err(DatabaseError::from)?)
            }
        };
        Ok(Tx {
            connection: Connection::new(inner),
            backend: self.backend.clone(),
            last_event_seq: None,
            actor: None,
        })
    }

    /// What [`Store::write`] has done since this store opened (nothing before its first write).
    /// Whether writes are failing now because the database is (see [`WriteHealth`]).
    pub fn write_health(&self) -> WriteHealth {
        self.committer
            .get()
            .map(GroupCommitter::health)
            .unwrap_or_default()
    }

    pub fn write_counts(&self) -> WriteCounts {
        self.committer
            .get()
            .map(GroupCommitter::counts)
            .unwrap_or_default()
    }

    /// A connection for reads outside any transaction.
    pub async fn read(&self) -> Result<Connection, StoreError> {
        let inner = match &self.backend {
            Backend::Sqlite(database) => Inner::Sqlite(database.read().await?),
            Backend::Postgres(pool) => {
                Inner::PostgresRead(pool.acquire().await.map_err(DatabaseError::from)?)
            }
        };
        Ok(Connection::new(inner))
    }

    /// Copies SQLite's write-ahead log into the database file and starts it again (nothing to do
    /// on PostgreSQL). A bulk load calls it, so the work that follows does not pay for the
    /// load's checkpoint; so does a benchmark before each measurement.
    pub async fn checkpoint(&self) -> Result<(), StoreError> {
        if let Backend::Sqlite(database) = &self.backend {
            database.checkpoint().await?;
        }
        Ok(())
    }

    /// SQLite's foreign key checks on the writer, on or off (PostgreSQL's are always on).
    pub(crate) async fn enforce_foreign_keys(&self, on: bool) -> Result<(), StoreError> {
        if let Backend::Sqlite(database) = &self.backend {
            database.enforce_foreign_keys(on).await?;
        }
        Ok(())
    }

    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite(database) => database.close(),
            Backend::Postgres(pool) => pool.close().await,
        }
    }
}

impl Tx {
    /// Names who the work written from now on is for (`operator`, `owner` or a user's key id),
    /// until set again; `None` for tenure itself. Group commit runs several requests' work in
    /// one transaction, one after the other: each sets its own before it writes.
    pub fn set_actor(&mut self, actor: Option<String>) {
        self.actor = actor;
    }

    /// Who the events written now are for: the actor set, or `system`.
    pub fn actor(&self) -> &str {
        self.actor.as_deref().unwrap_or(SYSTEM_ACTOR)
    }

    /// Commits and returns once the transaction is on disk.
    pub async fn commit(mut self) -> Result<(), StoreError> {
        match std::mem::replace(&mut self.connection.inner, Inner::Finished) {
            Inner::Sqlite(handle) => {
                if let Err(error) = crate::database::commit_sqlite(&handle) {
                    // Still open: put it back so that dropping the Tx rolls it back.
                    self.connection.inner = Inner::Sqlite(handle);
                    return Err(error.into());
                }
            }
            Inner::PostgresTransaction(transaction) => {
                transaction.commit().await.map_err(DatabaseError::from)?
            }
            Inner::PostgresRead(_) | Inner::Finished => {}
        }
        Ok(())
    }

    /// Rolls back, and returns once the database has let go of the transaction's row locks.
    /// (Dropped, a PostgreSQL transaction only queues its rollback on its connection, which
    /// goes back to the pool still holding them until it is next used: a `SKIP LOCKED` read
    /// in the meantime, the next batch of a sweep, say, would pass over those rows.)
    pub async fn rollback(mut self) -> Result<(), StoreError> {
        match std::mem::replace(&mut self.connection.inner, Inner::Finished) {
            Inner::Sqlite(handle) => crate::database::rollback_sqlite(&handle),
            Inner::PostgresTransaction(transaction) => {
                transaction.rollback().await.map_err(DatabaseError::from)?
            }
            Inner::PostgresRead(_) | Inner::Finished => {}
        }
        Ok(())
    }

    pub fn dialect(&self) -> Dialect {
        self.backend.dialect()
    }

    /// Whether a long transaction (a sweep's), after taking `items_taken` items of work in it,
    /// should commit now: once it holds what one commit of this database carries well (SQLite
    /// writes every page a transaction changed at its commit, and items that share a commit
    /// share the pages of the indexes they touch, up to what the writer's page cache holds;
    /// PostgreSQL logs row changes, and gains nothing from larger transactions), or at once
    /// when another transaction waits for the writer this one holds (SQLite's).
    pub fn should_commit(&self, items_taken: u64) -> bool {
        let items_per_commit = match self.dialect() {
            Dialect::Sqlite => 40_000,
            // One batch per transaction: a moment's first full batch commits with the clock at
            // it, so the other nodes see it and help, and each transaction locks its accounts
            // in one order (a batch's, sorted), which two nodes' sweeps cannot deadlock on.
            Dialect::Postgres => self.due_batch() as u64,
        };
        items_taken >= items_per_commit || self.backend.writer_wanted()
    }

    /// Due items a sweep reads and takes at a time ([`crate::instances::lock_due`],
    /// [`crate::bills::due_ids`]): a batch's rows are read and written with a few statements
    /// each, so a batch has a cost of its own besides its items'. Larger batches measured
    /// faster on SQLite, without making requests that arrive during a sweep wait longer (the
    /// sweep commits early when one waits); PostgreSQL keeps its measured size.
    pub(crate) fn due_batch(&self) -> i64 {
        match self.dialect() {
            Dialect::Sqlite => 2_500,
            Dialect::Postgres => 1_000,
        }
    }

    /// Whether a statement of this transaction failed with a deadlock or a serialization
    /// failure, so that its work must run again in a new transaction.
    pub(crate) fn failed_retryably(&self) -> bool {
        self.connection.failed_retryably
    }

    /// Why a statement of this transaction failed because the database did, if one did since
    /// last asked.
    pub(crate) fn take_failed_unavailable(&mut self) -> Option<String> {
        self.connection.failed_unavailable.take()
    }

    /// Forgets the event log's end this transaction's writes left: after work was undone.
    pub(crate) fn forget_event_log_end(&mut self) {
        self.last_event_seq = None;
    }

    /// Attempts `work` within the transaction: kept if it succeeds; if it fails, everything it
    /// wrote is undone and the rest of the transaction goes on (a savepoint: the store's
    /// concern, so that callers need not know what one costs on which database). Its error is handed back; so is a
    /// dangling reference it wrote ([`Tx::check_references`]), as its own error, the work
    /// undone: otherwise the commit would fail for everything that shares the transaction.
    pub async fn attempt<T, E: From<StoreError>>(
        &mut self,
        work: impl AsyncFnOnce(&mut Tx) -> Result<T, E>,
    ) -> Result<Result<T, E>, StoreError> {
        query("SAVEPOINT tenure_step")
            .execute(&mut self.connection)
            .await?;
        let result = match work(self).await {
            Ok(value) => self.check_references().map(|()| value).map_err(E::from),
            Err(error) => Err(error),
        };
        if result.is_err() {
            query("ROLLBACK TO SAVEPOINT tenure_step")
                .execute(&mut self.connection)
                .await?;
            // The undone work may have written events: the log's end is read again.
            self.last_event_seq = None;
        }
        query("RELEASE SAVEPOINT tenure_step")
            .execute(&mut self.connection)
            .await?;
        Ok(result)
    }

    /// Fails if a row written in this transaction refers to a row that does not exist, as the
    /// commit would: asked early, the work that did it can be told apart and undone alone. On
    /// SQLite most foreign keys are checked only at commit; this asks SQLite's running count of
    /// unresolved keys. PostgreSQL checks its keys as each row goes in: nothing to ask.
    pub fn check_references(&self) -> Result<(), StoreError> {
        let resolved = match &self.connection.inner {
            Inner::Sqlite(handle) => crate::database::foreign_keys_resolved(handle)?,
            _ => true,
        };
        if resolved {
            Ok(())
        } else {
            Err(StoreError::Database(DatabaseError::Other(
                "a row written refers to a row that does not exist (a foreign key); \
                 the work that wrote it was undone"
                    .to_string(),
            )))
        }
    }

    /// On SQLite, how many rows the connection's statements have inserted, updated or deleted
    /// so far (`sqlite3_total_changes`): work that failed without moving it wrote nothing, and
    /// needs nothing undone. `None` on PostgreSQL, which does not count.
    pub fn rows_changed(&self) -> Option<u64> {
        match &self.connection.inner {
            Inner::Sqlite(handle) => Some(handle.total_changes()),
            _ => None,
        }
    }

    /// The clause that locks the selected rows until commit, where the database has one.
    pub fn for_update(&self) -> &'static str {
        match self.dialect() {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE",
        }
    }
}

impl Drop for Tx {
    fn drop(&mut self) {
        // PostgreSQL's transaction rolls itself back when dropped; SQLite's writer must be
        // rolled back before it is handed to the next transaction.
        if let Inner::Sqlite(handle) = &self.connection.inner {
            crate::database::rollback_sqlite(handle);
        }
    }
}

impl Deref for Tx {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.connection
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Connection {
        &mut self.connection
    }
}
