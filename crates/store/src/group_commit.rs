//! Group commit: the one way a request's work is written ([`Store::write`]), on SQLite and
//! PostgreSQL alike.
//!
//! Every durable commit waits for the disk, and one transaction per request would make that
//! wait the limit. Instead a committer takes every write waiting in its queue, runs them one
//! after another in one transaction, each in a savepoint of its own, and commits once: the
//! requests share the commit's flush, and each is answered only once that commit is durable.
//!
//! - **Isolation.** A job that fails is rolled back to its savepoint: nothing of it stays, and
//!   the others of its group keep their work. A job that succeeded but left a row referring
//!   to one that does not exist (which SQLite would refuse at commit, for the whole group) is
//!   undone the same way, with that as its error.
//! - **Retries.** A deadlock or a serialization failure (PostgreSQL's; SQLite has one writer)
//!   fails the transaction, not the request: the group is rolled back and run again in a new
//!   transaction after a short random pause, up to [`ATTEMPTS`] times, so no caller sees one.
//!   A job may therefore run more than once; only one run is ever committed.
//! - **Committers.** SQLite has one writer, so one committer, and its groups are as large as
//!   the queue (up to [`SQLITE_MAX_GROUP`]). PostgreSQL runs transactions side by side and
//!   already shares one flush of its log among the commits that arrive together, so there
//!   several committers take jobs from the one queue, each on a connection of its own, one
//!   job per transaction: a transaction of several requests would take their row locks in
//!   the order the requests came, not in the one order every use case keeps (instances by
//!   id, then accounts by id), and two such groups could deadlock where their requests alone
//!   would only wait.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot, Mutex};

use crate::connect::{Dialect, Store, StoreError, Tx};
use crate::database::{query, DatabaseError};

/// A job's future: it borrows the transaction it runs in, nothing else.
pub type WriteFuture<'t, T> = Pin<Box<dyn Future<Output = T> + Send + 't>>;

/// The most jobs sharing one transaction on SQLite: enough that a queue of 64 concurrent
/// clients is one group, few enough that one group's work does not hold the writer long.
const SQLITE_MAX_GROUP: usize = 64;
/// Jobs waiting for a committer; past this, callers wait to enqueue.
const QUEUE_DEPTH: usize = 4096;
/// Runs of a group that a deadlock or a serialization failure may take.
const ATTEMPTS: u32 = 10;
/// Committers on PostgreSQL (SQLite has one): each holds a connection while it works.
const POSTGRES_COMMITTERS: usize = 16;

/// One job in the queue, its result type erased.
trait Job: Send {
    /// Runs the work once in `tx`; whether it succeeded.
    fn run<'t>(&'t mut self, tx: &'t mut Tx) -> WriteFuture<'t, bool>;
    /// Replaces a successful run's result with `error`: its work was undone after all.
    fn refuse(&mut self, error: StoreError);
    /// Answers the caller: its last run's result, or `failure` if the group was not committed.
    fn answer(self: Box<Self>, failure: Option<StoreError>);
}

struct TypedJob<T, E, F> {
    work: F,
    result: Option<Result<T, E>>,
    reply: oneshot::Sender<Result<T, E>>,
}

impl<T, E, F> Job for TypedJob<T, E, F>
where
    T: Send + 'static,
    E: From<StoreError> + Send + 'static,
    F: for<'t> FnMut(&'t mut Tx) -> WriteFuture<'t, Result<T, E>> + Send + 'static,
{
    fn run<'t>(&'t mut self, tx: &'t mut Tx) -> WriteFuture<'t, bool> {
        Box::pin(async move {
            let result = (self.work)(tx).await;
            let succeeded = result.is_ok();
            self.result = Some(result);
            succeeded
        })
    }

    fn refuse(&mut self, error: StoreError) {
        self.result = Some(Err(E::from(error)));
    }

    fn answer(self: Box<Self>, failure: Option<StoreError>) {
        let result = match failure {
            Some(error) => Err(E::from(error)),
            None => self
                .result
                .unwrap_or_else(|| Err(E::from(stopped("the job never ran")))),
        };
        let _ = self.reply.send(result);
    }
}

/// The queue the committers take jobs from.
#[derive(Clone)]
pub(crate) struct GroupCommitter {
    sender: mpsc::Sender<Box<dyn Job>>,
    counts: Arc<Counts>,
}

/// What the committers have done since the store opened, for `/metrics` and `/healthz`.
#[derive(Debug, Default)]
struct Counts {
    jobs: AtomicU64,
    commits: AtomicU64,
    retries: AtomicU64,
    /// Writes not committed because the database failed.
    failures: AtomicU64,
    /// The last commit and the last failure of the database, in the order they happened.
    outcomes: std::sync::Mutex<Outcomes>,
}

#[derive(Debug, Default)]
struct Outcomes {
    last_commit: Option<Instant>,
    last_failure: Option<(Instant, String)>,
}

impl Counts {
    fn committed(&self) {
        self.commits.fetch_add(1, Ordering::Relaxed);
        self.outcomes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .last_commit = Some(Instant::now());
    }

    fn failed(&self, jobs: u64, why: &str) {
        self.failures.fetch_add(jobs, Ordering::Relaxed);
        self.outcomes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .last_failure = Some((Instant::now(), why.to_string()));
    }
}

/// How long after the database last failed a write, with no commit since, writes count as
/// failing: long enough that a health check polled every few seconds sees it, short enough
/// that a failure long past with no write since stops being reported.
pub const WRITES_FAILING_WINDOW: Duration = Duration::from_secs(60);

/// Whether writes fail now because the database does: the last write either committed, or
/// was not committed because the database failed (a lost connection, a full disk, a commit
/// refused). A refusal of the rules, or a deadlock run again, is neither.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteHealth {
    /// Writes the database failed since the store opened.
    pub failures: u64,
    /// Why the last write the database failed failed, and how long ago, when no write has
    /// committed since and it is within [`WRITES_FAILING_WINDOW`].
    pub failing: Option<(Duration, String)>,
}

/// What the store's group commit has done since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteCounts {
    /// Writes answered (committed, refused or failed).
    pub jobs: u64,
    /// Transactions committed.
    pub commits: u64,
    /// Runs of a group again after a deadlock or a serialization failure.
    pub retries: u64,
    /// Writes the database failed (a lost connection, a full disk, a commit refused).
    pub failures: u64,
}

impl GroupCommitter {
    /// Starts the committers of `store` (a handle without a committer of its own, so that the
    /// committers end when the last handle that can write is dropped). If a job panics, the
    /// group it was in is lost (its callers get an error, nothing of it is committed) and
    /// that committer starts again.
    pub(crate) fn start(store: Store) -> GroupCommitter {
        let (sender, receiver) = mpsc::channel(QUEUE_DEPTH);
        let receiver = Arc::new(Mutex::new(receiver));
        let counts = Arc::new(Counts::default());
        let committers = store.backend.committers(POSTGRES_COMMITTERS);
        let max_group = match store.dialect() {
            Dialect::Sqlite => SQLITE_MAX_GROUP,
            Dialect::Postgres => 1,
        };
        for _ in 0..committers {
            let store = store.clone();
            let receiver = receiver.clone();
            let counts = counts.clone();
            tokio::spawn(async move {
                loop {
                    let committing =
                        commit_groups(store.clone(), receiver.clone(), max_group, counts.clone());
                    match tokio::spawn(committing).await {
                        Ok(()) => return,
                        Err(error) => {
                            tracing::error!(%error, "a committer stopped; starting it again")
                        }
                    }
                }
            });
        }
        GroupCommitter { sender, counts }
    }

    pub(crate) fn health(&self) -> WriteHealth {
        let outcomes = self
            .counts
            .outcomes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let failing = match (&outcomes.last_failure, outcomes.last_commit) {
            (Some((at, why)), last_commit)
                if last_commit.is_none_or(|committed| committed < *at)
                    && at.elapsed() <= WRITES_FAILING_WINDOW =>
            {
                Some((at.elapsed(), why.clone()))
            }
            _ => None,
        };
        WriteHealth {
            failures: self.counts.failures.load(Ordering::Relaxed),
            failing,
        }
    }

    pub(crate) fn counts(&self) -> WriteCounts {
        WriteCounts {
            jobs: self.counts.jobs.load(Ordering::Relaxed),
            commits: self.counts.commits.load(Ordering::Relaxed),
            retries: self.counts.retries.load(Ordering::Relaxed),
            failures: self.counts.failures.load(Ordering::Relaxed),
        }
    }

    /// Runs `work` in the next group and returns its result once that group is durable.
    pub(crate) async fn write<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: for<'t> FnMut(&'t mut Tx) -> WriteFuture<'t, Result<T, E>> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = TypedJob {
            work,
            result: None,
            reply,
        };
        if self.sender.send(Box::new(job)).await.is_err() {
            return Err(E::from(stopped("the write path stopped")));
        }
        answer
            .await
            .unwrap_or_else(|_| Err(E::from(stopped("the write path stopped"))))
    }
}

fn stopped(why: &str) -> StoreError {
    StoreError::Database(DatabaseError::Other(why.to_string()))
}

/// One committer: takes what waits in the queue (at least one job, at most `max_group`) and
/// commits it, until the queue closes.
async fn commit_groups(
    store: Store,
    receiver: Arc<Mutex<mpsc::Receiver<Box<dyn Job>>>>,
    max_group: usize,
    counts: Arc<Counts>,
) {
    loop {
        let mut group = Vec::new();
        {
            let mut receiver = receiver.lock().await;
            let Some(first) = receiver.recv().await else {
                return;
            };
            group.push(first);
            while group.len() < max_group {
                match receiver.try_recv() {
                    Ok(job) => group.push(job),
                    Err(_) => break,
                }
            }
        }
        commit_group(&store, group, &counts).await;
    }
}

/// How a run of a group ended, when it did not commit.
enum GroupFailed {
    /// A deadlock or serialization failure: run it again.
    Retry(StoreError),
    /// Anything else (the database is gone, the disk refused the commit): answered as is.
    Fatal(StoreError),
}

async fn commit_group(store: &Store, mut group: Vec<Box<dyn Job>>, counts: &Counts) {
    let mut attempt = 1;
    let failure = loop {
        match run_group(store, &mut group, counts).await {
            Ok(committed) => {
                if committed {
                    counts.committed();
                }
                break None;
            }
            Err(GroupFailed::Retry(error)) if attempt < ATTEMPTS => {
                counts.retries.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(%error, attempt, jobs = group.len(), "a group runs again");
                // A random pause, longer at each attempt, so that the transactions that
                // collided do not collide again in step.
                let pause_ms = rand_below(2 << attempt.min(6));
                tokio::time::sleep(Duration::from_millis(pause_ms)).await;
                attempt += 1;
            }
            Err(GroupFailed::Retry(error)) => {
                tracing::warn!(%error, attempts = attempt, "a group could not be committed");
                break Some(error.to_string());
            }
            Err(GroupFailed::Fatal(error)) => {
                tracing::error!(%error, jobs = group.len(), "a group commit failed; its jobs changed nothing");
                counts.failed(group.len() as u64, &error.to_string());
                break Some(error.to_string());
            }
        }
    };
    counts.jobs.fetch_add(group.len() as u64, Ordering::Relaxed);
    for job in group {
        job.answer(failure.as_ref().map(|why| StoreError::Busy(why.clone())));
    }
}

/// Runs every job of `group` in one transaction, each in a savepoint, and commits. A job
/// alone in its group needs no savepoint: the transaction is its own, committed if it
/// succeeds and rolled back whole if it fails (two round trips fewer on PostgreSQL, where
/// every group is one job, and no statement journal on SQLite when requests come one at a
/// time).
/// Whether it committed (a lone job that failed leaves nothing to commit).
async fn run_group(
    store: &Store,
    group: &mut [Box<dyn Job>],
    counts: &Counts,
) -> Result<bool, GroupFailed> {
    let mut tx = store.begin().await.map_err(GroupFailed::Fatal)?;
    let alone = group.len() == 1;
    let mut succeeded = true;
    for job in group.iter_mut() {
        succeeded = run_job(&mut tx, job.as_mut(), !alone).await?;
        if let Some(why) = tx.take_failed_unavailable() {
            // The job failed because the database did (its connection lost, say): counted
            // for `/healthz`, though the group may go on and commit the others.
            counts.failed(1, &why);
        }
    }
    if alone && !succeeded {
        // Dropped, the transaction rolls back: nothing of the job stays.
        return Ok(false);
    }
    tx.commit().await.map_err(retry_or_fatal)?;
    Ok(true)
}

fn retry_or_fatal(error: StoreError) -> GroupFailed {
    if error.is_retryable() {
        GroupFailed::Retry(error)
    } else {
        GroupFailed::Fatal(error)
    }
}

/// Runs one job, in a savepoint when `isolated`: kept if it succeeds, rolled back alone if
/// not. Whether it succeeded (without a savepoint, the caller rolls back a failure).
async fn run_job(tx: &mut Tx, job: &mut dyn Job, isolated: bool) -> Result<bool, GroupFailed> {
    let statement = async |tx: &mut Tx, sql: &str| {
        query(sql)
            .execute(tx)
            .await
            .map(|_| ())
            .map_err(|error| retry_or_fatal(error.into()))
    };
    if isolated {
        statement(tx, "SAVEPOINT tenure_job").await?;
    }
    let mut succeeded = job.run(tx).await;
    if tx.failed_retryably() {
        // The transaction is the deadlock's victim: the whole group runs again.
        return Err(GroupFailed::Retry(StoreError::Busy(
            "a deadlock or serialization failure".to_string(),
        )));
    }
    if succeeded {
        if let Err(error) = tx.check_references() {
            job.refuse(error);
            succeeded = false;
        }
    }
    if isolated {
        if !succeeded {
            statement(tx, "ROLLBACK TO SAVEPOINT tenure_job").await?;
            tx.forget_event_log_end();
        }
        statement(tx, "RELEASE SAVEPOINT tenure_job").await?;
    }
    Ok(succeeded)
}

/// A number below `bound`, from the clock's nanoseconds: a pause needs no better randomness.
fn rand_below(bound: u64) -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.subsec_nanos())
        .unwrap_or(0);
    u64::from(nanos) % bound.max(1)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// A fresh SQLite file and its store.
    async fn sqlite_store() -> (tempfile::TempDir, Store) {
        let folder = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", folder.path().join("group.db").display());
        (folder, Store::connect(&url).await.unwrap())
    }

    /// A job that writes one idempotency row keyed `key`, then succeeds or fails, counting
    /// its runs.
    fn writing_job(
        key: &'static str,
        fails: bool,
        runs: Arc<AtomicUsize>,
    ) -> impl for<'t> FnMut(&'t mut Tx) -> WriteFuture<'t, Result<String, StoreError>> + Send {
        move |tx| {
            let runs = runs.clone();
            Box::pin(async move {
                runs.fetch_add(1, Ordering::SeqCst);
                query(
                    "INSERT INTO idempotency (scope, key, request_hash, status_code, response_body, created_at)
                     VALUES ('group-test', $1, '', 200, '', 0)",
                )
                .bind(key)
                .execute(tx)
                .await?;
                if fails {
                    return Err(StoreError::Busy("refused after writing".to_string()));
                }
                Ok(key.to_string())
            })
        }
    }

    async fn keys_written(store: &Store) -> Vec<String> {
        let mut connection = store.read().await.unwrap();
        query("SELECT key FROM idempotency WHERE scope = 'group-test' ORDER BY key")
            .fetch_all(&mut connection)
            .await
            .unwrap()
            .iter()
            .map(|row| row.try_get("key").unwrap())
            .collect()
    }

    /// Four writes in one group, the third failing after its write: it is undone alone, the
    /// others keep their work and their answers, and each ran once.
    #[tokio::test(flavor = "current_thread")]
    async fn a_write_failing_after_writing_is_undone_alone() {
        let (_folder, store) = sqlite_store().await;
        let runs: Vec<Arc<AtomicUsize>> = (0..4).map(|_| Arc::default()).collect();
        let job = |index: usize, key, fails| writing_job(key, fails, runs[index].clone());
        // On this one-thread runtime the committer first runs once all four are queued.
        let (first, second, third, fourth) = tokio::join!(
            store.write(job(0, "first", false)),
            store.write(job(1, "second", false)),
            store.write(job(2, "third", true)),
            store.write(job(3, "fourth", false)),
        );
        assert_eq!(first.unwrap(), "first");
        assert_eq!(second.unwrap(), "second");
        assert!(third.is_err());
        assert_eq!(fourth.unwrap(), "fourth");
        let counted: Vec<usize> = runs
            .iter()
            .map(|runs| runs.load(Ordering::SeqCst))
            .collect();
        assert_eq!(counted, [1, 1, 1, 1]);
        assert_eq!(keys_written(&store).await, ["first", "fourth", "second"]);
    }

    /// A write alone in its group runs without a savepoint: when it fails, its transaction is
    /// rolled back whole, and the next write still commits.
    #[tokio::test(flavor = "current_thread")]
    async fn a_lone_write_that_fails_leaves_nothing() {
        let (_folder, store) = sqlite_store().await;
        let runs = Arc::new(AtomicUsize::new(0));
        let refused = store.write(writing_job("alone", true, runs.clone())).await;
        assert!(refused.is_err());
        assert_eq!(keys_written(&store).await, Vec::<String>::new());
        let kept = store.write(writing_job("next", false, runs.clone())).await;
        assert_eq!(kept.unwrap(), "next");
        assert_eq!(keys_written(&store).await, ["next"]);
        assert_eq!(store.write_counts().commits, 1, "only the second committed");
    }

    /// A write that leaves a reference to a row that does not exist is refused with that
    /// error, alone, instead of failing the commit its group shares.
    #[tokio::test(flavor = "current_thread")]
    async fn a_write_leaving_a_dangling_reference_is_refused_alone() {
        let (_folder, store) = sqlite_store().await;
        let runs = Arc::new(AtomicUsize::new(0));
        fn dangling(tx: &mut Tx) -> WriteFuture<'_, Result<(), StoreError>> {
            Box::pin(async move {
                query(
                    "INSERT INTO ledger_postings (entry_id, account_id, ledger_account, amount_minor)
                     VALUES ('led_missing', 'acct_missing', 'balance', 100)",
                )
                .execute(tx)
                .await?;
                Ok(())
            })
        }
        let (kept, refused) = tokio::join!(
            store.write(writing_job("kept", false, runs.clone())),
            store.write(dangling),
        );
        assert_eq!(kept.unwrap(), "kept");
        let error = refused.expect_err("the dangling posting is refused");
        assert!(error.to_string().contains("does not exist"), "{error}");
        assert_eq!(keys_written(&store).await, ["kept"]);
    }

    /// A full disk (SQLite told it may grow no more, `max_page_count`) fails a write as the
    /// database's failure, not the request's: counted, and writes are failing until the next
    /// commit.
    #[tokio::test(flavor = "current_thread")]
    async fn a_full_database_is_a_failing_write_until_the_next_commit() {
        let (_folder, store) = sqlite_store().await;
        let runs = Arc::new(AtomicUsize::new(0));
        store
            .write(writing_job("first", false, runs.clone()))
            .await
            .unwrap();
        assert_eq!(store.write_health().failing, None);
        async fn set_max_pages(tx: &mut Tx, limit: i64) -> Result<(), StoreError> {
            query(&format!("PRAGMA max_page_count = {limit}"))
                .fetch_all(tx)
                .await?;
            Ok(())
        }
        fn full(tx: &mut Tx) -> WriteFuture<'_, Result<(), StoreError>> {
            Box::pin(set_max_pages(tx, 1))
        }
        fn roomy(tx: &mut Tx) -> WriteFuture<'_, Result<(), StoreError>> {
            Box::pin(set_max_pages(tx, 1_073_741_823))
        }
        fn large(tx: &mut Tx) -> WriteFuture<'_, Result<(), StoreError>> {
            Box::pin(async move {
                query(
                    "INSERT INTO idempotency (scope, key, request_hash, status_code, response_body, created_at)
                     VALUES ('group-test', 'large', '', 200, $1, 0)",
                )
                .bind("x".repeat(200_000).as_str())
                .execute(tx)
                .await?;
                Ok(())
            })
        }
        store.write(full).await.unwrap();
        let error = store.write(large).await.expect_err("the database is full");
        assert!(error.is_unavailable(), "{error}");
        let health = store.write_health();
        assert_eq!(health.failures, 1);
        let (_, why) = health.failing.expect("writes are failing");
        assert!(why.contains("full"), "{why}");
        store.write(roomy).await.unwrap();
        store.write(large).await.unwrap();
        let health = store.write_health();
        assert_eq!((health.failures, health.failing), (1, None));
    }
}
