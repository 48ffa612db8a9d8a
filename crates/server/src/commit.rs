//! Group commit for SQLite. SQLite has one writer, and every durable commit waits for an fsync;
//! one transaction per request would make that fsync the limit. Instead one task takes every
//! write request waiting, runs each in its own savepoint of one transaction (a request that
//! fails rolls back alone), and commits once. The group's fsync then runs on a blocking thread
//! while the committer already runs the next group, and the group is answered when its fsync
//! returns: no request is answered before its work is on disk.

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

pub type Job = Box<dyn for<'t> FnOnce(&'t mut Tx) -> AnswerWork<'t> + Send>;

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
    while let Some(first) = receiver.recv().await {
        previous = commit_group(&engine, first, &mut receiver, previous).await;
    }
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
) -> Option<JoinHandle<()>> {
    let mut tx = match engine.begin().await {
        Ok(tx) => tx,
        Err(error) => {
            tracing::error!(%error, "could not begin a write transaction");
            let _ = first.reply.send(Err(unavailable()));
            return previous;
        }
    };
    let started = std::time::Instant::now();
    let mut answered = Vec::new();
    let mut next = Some(first);
    while let Some(request) = next.take() {
        let result = in_savepoint(&mut tx, request.job).await;
        answered.push((request.reply, result));
        if answered.len() >= MAX_GROUP {
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

/// Runs one request's job in a savepoint: kept if it succeeds, rolled back alone if not.
async fn in_savepoint(tx: &mut Tx, job: Job) -> Result<Answer, ApiError> {
    tx.in_savepoint(async |tx| job(tx).await)
        .await
        .map_err(EngineError::from)?
}
