//! Group commit for SQLite. SQLite has one writer, and every durable commit waits for an fsync;
//! one transaction per request would make that fsync the limit. Instead one task takes every
//! write request waiting, runs them one after another in one transaction, and commits once.
//! The group's fsync then runs on a blocking thread while the committer already runs the next
//! group, and the group is answered when its fsync returns: no request is answered before its
//! work is on disk.
//!
//! A request that fails must leave nothing behind, and the others of its group must not suffer
//! for it. Requests run bare (no savepoint), and one that fails without having written a row
//! (`Tx::rows_changed` did not move: most refusals are decided before any write) needs nothing
//! undone. One that fails having written undoes the whole transaction: the group is begun
//! again and every request taken so far runs again, each in a savepoint of its own (a request
//! is a job that can run more than once: it works on a copy of its input each time), and the
//! next groups run with savepoints for a while, so that a run of such failures costs what a
//! savepoint per request costs, not a group's work twice. A savepoint is not free: SQLite
//! copies every page it changes into a statement journal first, 12% of the committer's time
//! with 64 clients ordering.

use std::sync::Arc;

use tenure_engine::{Engine, EngineError};
use tenure_store::{DatabaseError, StoreError, Tx};
use tokio::sync::{mpsc, oneshot, Mutex};
use tokio::task::JoinHandle;

use crate::api::{Answer, AnswerWork};
use crate::error::ApiError;

/// The most requests sharing one transaction. Small, so that under load one group executes
/// while the fsyncs of the groups before it run: with 64 clients, a cap of 256 made groups of
/// about 64 wait for each other's fsync (4,040–4,510 orders/s), 32 gave 4,766–5,219 and 16
/// 5,011–5,525 (four runs each, alternated). Commits of 16 requests still share their fsyncs.
const MAX_GROUP: usize = 16;
/// Requests waiting for the committer; past this, callers wait to enqueue.
const QUEUE_DEPTH: usize = 4096;

/// Groups that run each request in a savepoint after a request failed having written.
const SAVEPOINT_GROUPS_AFTER_A_FAILED_WRITE: u32 = 64;

/// A request's work: it may run more than once (see the module's comment).
pub type Job = Box<dyn for<'t> FnMut(&'t mut Tx) -> AnswerWork<'t> + Send>;

struct Request {
    job: Job,
    reply: oneshot::Sender<Result<Answer, ApiError>>,
}

#[derive(Clone)]
pub struct GroupCommitter {
    sender: mpsc::Sender<Request>,
}

impl GroupCommitter {
    /// Starts the committer task. If a request's work panics, the group it was in is lost
    /// (its callers get an error, nothing of it is committed) and the committer starts again.
    pub fn start(engine: Arc<Engine>) -> GroupCommitter {
        let (sender, receiver) = mpsc::channel(QUEUE_DEPTH);
        let receiver = Arc::new(Mutex::new(receiver));
        tokio::spawn(async move {
            loop {
                let run = tokio::spawn(commit_groups(engine.clone(), receiver.clone()));
                match run.await {
                    Ok(()) => return,
                    Err(error) => {
                        tracing::error!(%error, "the group committer stopped; starting it again")
                    }
                }
            }
        });
        GroupCommitter { sender }
    }

    /// Runs `job` in the next group and answers once that group is committed.
    pub async fn submit(&self, job: Job) -> Result<Answer, ApiError> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .send(Request { job, reply })
            .await
            .map_err(|_| unavailable())?;
        answer.await.map_err(|_| unavailable())?
    }
}

fn unavailable() -> ApiError {
    ApiError::Engine(EngineError::Store(StoreError::Database(
        DatabaseError::Other("the write path stopped".to_string()),
    )))
}

async fn commit_groups(engine: Arc<Engine>, receiver: Arc<Mutex<mpsc::Receiver<Request>>>) {
    let mut receiver = receiver.lock().await;
    // The previous group's fsync and answers, still running.
    let mut previous: Option<JoinHandle<()>> = None;
    let mut savepoint_groups_left = 0;
    while let Some(first) = receiver.recv().await {
        previous = commit_group(
            &engine,
            first,
            &mut receiver,
            previous,
            &mut savepoint_groups_left,
        )
        .await;
    }
}

/// How a group runs its requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Isolation {
    /// One after another in the transaction; a request that fails having written undoes the
    /// group's transaction, which then runs again with savepoints.
    Bare,
    /// Each in a savepoint of its own, undone alone if it fails.
    Savepoints,
}

/// Runs `first` and the requests that follow it in one transaction, and commits once. The group
/// keeps growing while the previous group's fsync runs (the disk is busy anyway, and a larger
/// group writes each changed page once for more requests), and commits as soon as that fsync
/// is done, the queue is empty, or the group is full. Returns the task that waits for this
/// group's fsync and answers it.
async fn commit_group(
    engine: &Engine,
    first: Request,
    receiver: &mut mpsc::Receiver<Request>,
    mut previous: Option<JoinHandle<()>>,
    savepoint_groups_left: &mut u32,
) -> Option<JoinHandle<()>> {
    let Some(mut tx) = begin(engine).await else {
        let _ = first.reply.send(Err(unavailable()));
        return previous;
    };
    let mut isolation = if *savepoint_groups_left > 0 {
        *savepoint_groups_left -= 1;
        Isolation::Savepoints
    } else {
        Isolation::Bare
    };
    let started = std::time::Instant::now();
    // The requests taken so far, with their results: kept, so that they can run again.
    let mut taken: Vec<Request> = Vec::new();
    let mut results: Vec<Result<Answer, ApiError>> = Vec::new();
    let mut next = Some(first);
    while let Some(mut request) = next.take() {
        match run(&mut tx, &mut request.job, isolation).await {
            Ran::Done(result) => results.push(result),
            Ran::FailedAfterWriting => {
                // Undo the group (dropping a transaction rolls it back) and take it again,
                // this request included, each in a savepoint.
                tracing::debug!(
                    requests = taken.len() + 1,
                    "a request failed having written; its group runs again with savepoints"
                );
                drop(tx);
                tx = match begin(engine).await {
                    Some(tx) => tx,
                    None => {
                        for request in taken.into_iter().chain([request]) {
                            let _ = request.reply.send(Err(unavailable()));
                        }
                        return previous;
                    }
                };
                isolation = Isolation::Savepoints;
                *savepoint_groups_left = SAVEPOINT_GROUPS_AFTER_A_FAILED_WRITE;
                results.clear();
                for earlier in taken.iter_mut() {
                    results.push(in_savepoint(&mut tx, &mut earlier.job).await);
                }
                results.push(in_savepoint(&mut tx, &mut request.job).await);
            }
        }
        taken.push(request);
        if taken.len() >= MAX_GROUP {
            break;
        }
        next = match receiver.try_recv() {
            Ok(request) => Some(request),
            // Nothing waiting: wait for a request only while the previous fsync runs.
            Err(_) => match previous.as_mut() {
                Some(fsync) if !fsync.is_finished() => tokio::select! {
                    request = receiver.recv() => request,
                    _ = fsync => {
                        previous = None;
                        None
                    }
                },
                _ => None,
            },
        };
    }
    let answered: Vec<_> = taken
        .into_iter()
        .map(|request| request.reply)
        .zip(results)
        .collect();
    let size = answered.len();
    let executed = started.elapsed();
    let pending = match tx.commit_pending_sync().await {
        Ok(pending) => pending,
        Err(error) => {
            tracing::error!(%error, "a group commit failed; its requests changed nothing");
            for (reply, _) in answered {
                let _ = reply.send(Err(unavailable()));
            }
            return previous;
        }
    };
    tracing::debug!(
        requests = size,
        executed_microseconds = executed.as_micros() as u64,
        committed_microseconds = (started.elapsed() - executed).as_micros() as u64,
        "group committed; its fsync follows"
    );
    Some(tokio::spawn(async move {
        let synced = pending.wait().await;
        // Answered in commit order: an earlier group's answers go out first.
        if let Some(previous) = previous {
            let _ = previous.await;
        }
        match synced {
            Ok(()) => {
                for (reply, result) in answered {
                    let _ = reply.send(result);
                }
            }
            Err(error) => {
                // The disk refused the log: whether the group survives a crash is unknown, so
                // none of it is reported as done.
                tracing::error!(%error, "the fsync of a group commit failed");
                for (reply, _) in answered {
                    let _ = reply.send(Err(unavailable()));
                }
            }
        }
    }))
}

/// A write transaction for a group; `None` (logged) if the database cannot give one.
async fn begin(engine: &Engine) -> Option<Tx> {
    match engine.begin().await {
        Ok(tx) => Some(tx),
        Err(error) => {
            tracing::error!(%error, "could not begin a write transaction");
            None
        }
    }
}

/// What running one request did to the group's transaction.
enum Ran {
    /// Its answer, or its error with nothing of it left in the transaction.
    Done(Result<Answer, ApiError>),
    /// It failed having written: the transaction holds part of its work.
    FailedAfterWriting,
}

async fn run(tx: &mut Tx, job: &mut Job, isolation: Isolation) -> Ran {
    match isolation {
        Isolation::Savepoints => Ran::Done(in_savepoint(tx, job).await),
        Isolation::Bare => {
            let before = tx.rows_changed();
            let result = match job(tx).await {
                // A dangling reference it wrote would fail the group's commit.
                Ok(answer) => tx
                    .check_foreign_keys()
                    .map(|()| answer)
                    .map_err(|error| ApiError::from(EngineError::from(error))),
                Err(error) => Err(error),
            };
            match result {
                Err(_) if tx.rows_changed() != before => Ran::FailedAfterWriting,
                result => Ran::Done(result),
            }
        }
    }
}

/// Runs one request's job in a savepoint: kept if it succeeds, rolled back alone if not.
async fn in_savepoint(tx: &mut Tx, job: &mut Job) -> Result<Answer, ApiError> {
    tx.in_savepoint(async |tx| job(tx).await)
        .await
        .map_err(EngineError::from)?
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::http::StatusCode;
    use tenure_core::catalog::default_catalog;
    use tenure_engine::{Clock, Ids};
    use tenure_store::database::query;
    use tenure_store::Store;

    use super::*;
    use crate::api::AnswerBody;

    /// A job that writes one row keyed `key`, then succeeds or fails; it counts its runs.
    fn writing_job(key: &'static str, fails: bool, runs: Arc<AtomicUsize>) -> Job {
        Box::new(move |tx| {
            let runs = runs.clone();
            Box::pin(async move {
                runs.fetch_add(1, Ordering::SeqCst);
                query(
                    "INSERT INTO idempotency (scope, key, request_hash, status_code, response_body, created_at)
                     VALUES ('group-test', $1, '', 200, '', 0)",
                )
                .bind(key)
                .execute(tx)
                .await
                .map_err(StoreError::from)?;
                if fails {
                    return Err(ApiError::invalid("refused", "refused after writing"));
                }
                Ok(Answer {
                    status: StatusCode::OK,
                    body: AnswerBody::Written(key.to_string()),
                    replayed: false,
                })
            })
        })
    }

    /// Four requests in one group, the third failing after its write: the group is undone and
    /// taken again, each request in a savepoint. The others keep their work and their answers;
    /// nothing of the third is left.
    #[tokio::test(flavor = "current_thread")]
    async fn a_request_failing_after_writing_is_undone_alone_and_its_group_runs_again() {
        let folder = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", folder.path().join("group.db").display());
        let store = Store::connect(&url).await.unwrap();
        let engine = Arc::new(Engine::new(
            store.clone(),
            default_catalog(),
            Clock::simulated("2026-01-01T00:00:00Z".parse().unwrap()),
            Ids::sequential(),
        ));
        let committer = GroupCommitter::start(engine);
        let runs: Vec<Arc<AtomicUsize>> = (0..4).map(|_| Arc::default()).collect();
        let job = |index: usize, key, fails| writing_job(key, fails, runs[index].clone());
        // On this one-thread runtime the committer first runs once all four are queued: one group.
        let (first, second, third, fourth) = tokio::join!(
            committer.submit(job(0, "first", false)),
            committer.submit(job(1, "second", false)),
            committer.submit(job(2, "third", true)),
            committer.submit(job(3, "fourth", false)),
        );

        let body = |answer: Result<Answer, ApiError>| match answer.map(|answer| answer.body) {
            Ok(AnswerBody::Written(text)) => text,
            Ok(AnswerBody::Deferred(_)) => panic!("written by the job"),
            Err(error) => format!("error: {error}"),
        };
        assert_eq!(body(first), "first");
        assert_eq!(body(second), "second");
        assert!(body(third).starts_with("error: "));
        assert_eq!(body(fourth), "fourth");
        let counted: Vec<usize> = runs
            .iter()
            .map(|runs| runs.load(Ordering::SeqCst))
            .collect();
        assert_eq!(
            counted,
            [2, 2, 2, 1],
            "the group ran again up to the failure"
        );

        let mut connection = store.read().await.unwrap();
        let rows = query("SELECT key FROM idempotency WHERE scope = 'group-test' ORDER BY key")
            .fetch_all(&mut connection)
            .await
            .unwrap();
        let keys: Vec<String> = rows.iter().map(|row| row.try_get("key").unwrap()).collect();
        assert_eq!(keys, ["first", "fourth", "second"]);
    }
}
