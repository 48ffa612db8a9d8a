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

use crate::api::{Answer, AnswerWork};
use crate::error::ApiError;

/// The most requests sharing one transaction.
const MAX_GROUP: usize = 256;
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
    while let Some(first) = receiver.recv().await {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match receiver.try_recv() {
                Ok(request) => group.push(request),
                Err(_) => break,
            }
        }
        commit_group(&engine, group).await;
    }
}

async fn commit_group(engine: &Engine, group: Vec<Request>) {
    let mut tx = match engine.begin().await {
        Ok(tx) => tx,
        Err(error) => {
            tracing::error!(%error, "could not begin a write transaction");
            for request in group {
                let _ = request.reply.send(Err(unavailable()));
            }
            return;
        }
    };
    let started = std::time::Instant::now();
    let size = group.len();
    let mut answered = Vec::with_capacity(group.len());
    for request in group {
        let result = in_savepoint(&mut tx, request.job).await;
        answered.push((request.reply, result));
    }
    let executed = started.elapsed();
    let pending = match tx.commit_pending_sync().await {
        Ok(pending) => pending,
        Err(error) => {
            tracing::error!(%error, "a group commit failed; its requests changed nothing");
            for (reply, _) in answered {
                let _ = reply.send(Err(unavailable()));
            }
            return;
        }
    };
    tracing::debug!(
        requests = size,
        executed_microseconds = executed.as_micros() as u64,
        committed_microseconds = (started.elapsed() - executed).as_micros() as u64,
        "group committed; its fsync follows"
    );
    tokio::spawn(async move {
        match pending.wait().await {
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
    });
}

/// Runs one request's job in a savepoint: kept if it succeeds, rolled back alone if not.
async fn in_savepoint(tx: &mut Tx, job: Job) -> Result<Answer, ApiError> {
    tx.in_savepoint(async |tx| job(tx).await)
        .await
        .map_err(EngineError::from)?
}
