//! Steps that fail: set aside, counted, parked (the decision is the core's,
//! `tenure_core::lifecycle::failed_step`); an operator's retry; and how far behind the sweep is.
//! A step that cannot be taken never stops the sweep, the clock or other instances' steps.

use jiff::Timestamp;
use tenure_core::lifecycle::failed_step::{
    after_failure, step_parked_event, AfterFailure, StepWork, StuckStatus,
};
use tenure_store::stuck_steps::{self, StuckStep};
use tenure_store::{accounts, bills, due_work, instances, StoreError, Tx};

use super::policy::DueWork;
use super::SweepReport;
use crate::engine::Engine;
use crate::error::EngineError;

/// How late the oldest due step may be before `/healthz` says the sweep is behind: two
/// minutes, many sweeps at the default interval (5 s), and short of the hour a failed step
/// waits (a step set aside is not due, so it never counts as behind).
pub const SWEEP_BEHIND_LIMIT_SECONDS: i64 = 120;

/// What a due step's failure became.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SetAside {
    /// Tried again later.
    Retrying,
    /// Failed every attempt: waits for an operator.
    Parked,
}

/// A failure that says nothing about the step: the database refused the work because of
/// another transaction, and the same work may well succeed next time.
pub(super) fn is_conflict(error: &EngineError) -> bool {
    matches!(error, EngineError::Store(store) if store.is_retryable() || matches!(store, StoreError::Busy(_)))
}

impl Engine {
    /// Sets aside the item whose due step failed with `error` (its work already undone): tried
    /// again an hour later, and after the last attempt parked, with a `lifecycle.step_parked`
    /// event. The count is written in the sweep's transaction, beside what the other items did.
    pub(super) async fn set_aside(
        &self,
        tx: &mut Tx,
        work: DueWork,
        id: &str,
        now: Timestamp,
        error: &EngineError,
    ) -> Result<SetAside, StoreError> {
        let retry_at = match after_failure(1, now) {
            AfterFailure::RetryAt(retry_at) => retry_at,
            AfterFailure::Park => now,
        };
        if is_conflict(error) {
            tracing::warn!(%id, %error, %retry_at, "a due step met another transaction; it is tried again, not counted");
            work.postpone(tx, id, retry_at).await?;
            return Ok(SetAside::Retrying);
        }
        match tx
            .attempt(async |tx| self.count_failure(tx, work, id, now, error).await)
            .await?
        {
            Ok(set_aside) => Ok(set_aside),
            Err(failure) => {
                // The item is set aside all the same: the sweep goes on.
                tracing::error!(%id, %error, %failure, %retry_at, "a due step failed and its failure could not be counted; it is tried again");
                work.postpone(tx, id, retry_at).await?;
                Ok(SetAside::Retrying)
            }
        }
    }

    async fn count_failure(
        &self,
        tx: &mut Tx,
        work: DueWork,
        id: &str,
        now: Timestamp,
        error: &EngineError,
    ) -> Result<SetAside, EngineError> {
        let step_work = work.step_work();
        let previous = stuck_steps::for_item(tx, step_work, id).await?;
        let (account_id, instance_id) = match &previous {
            Some(previous) => (previous.account_id.clone(), previous.instance_id.clone()),
            None => self.owner_of(tx, step_work, id).await?,
        };
        let attempts = previous.as_ref().map_or(0, |previous| previous.attempts) + 1;
        let mut step = StuckStep {
            id: previous
                .as_ref()
                .map_or_else(|| self.ids.next("stuck"), |previous| previous.id.clone()),
            work: step_work,
            item_id: id.to_string(),
            account_id,
            instance_id,
            status: StuckStatus::Retrying,
            attempts,
            last_code: error.code().to_string(),
            last_error: error.to_string(),
            first_failed_at: previous
                .as_ref()
                .map_or(now, |previous| previous.first_failed_at),
            last_failed_at: now,
            retry_at: None,
            parked_at: None,
        };
        match after_failure(attempts, now) {
            AfterFailure::RetryAt(retry_at) => {
                tracing::warn!(%id, %error, attempts, %retry_at, "a due step failed; it is set aside and will be tried again");
                work.postpone(tx, id, retry_at).await?;
                step.retry_at = Some(retry_at);
                stuck_steps::save(tx, &step).await?;
                Ok(SetAside::Retrying)
            }
            AfterFailure::Park => {
                tracing::error!(%id, %error, attempts, stuck_step = %step.id, "a due step failed every attempt; it is parked until an operator retries it (POST /v1/stuck-steps/{{id}}/retry)");
                if step_work == StepWork::Instance {
                    instances::park(tx, id).await?;
                }
                step.status = StuckStatus::Parked;
                step.parked_at = Some(now);
                stuck_steps::save(tx, &step).await?;
                let account = accounts::get(tx, &step.account_id)
                    .await?
                    .ok_or_else(|| EngineError::not_found("account", &step.account_id))?;
                let event = step_parked_event(
                    &step.account_id,
                    step.instance_id.as_deref(),
                    &step.id,
                    step_work,
                    id,
                    attempts,
                    error.code(),
                );
                self.record(tx, now, &account, &[event], &[]).await?;
                Ok(SetAside::Parked)
            }
        }
    }

    /// The account (and instance) an item's step concerns.
    async fn owner_of(
        &self,
        tx: &mut Tx,
        work: StepWork,
        id: &str,
    ) -> Result<(String, Option<String>), EngineError> {
        match work {
            StepWork::Instance => {
                let stored = instances::get(tx, id)
                    .await?
                    .ok_or_else(|| EngineError::not_found("instance", id))?;
                Ok((stored.instance.account_id, Some(id.to_string())))
            }
            StepWork::Bill => {
                let bill = bills::get(tx, id)
                    .await?
                    .ok_or_else(|| EngineError::not_found("bill", id))?;
                Ok((bill.account_id, Some(bill.instance_id)))
            }
        }
    }

    /// An operator's retry of a stuck step (`POST /v1/stuck-steps/{id}/retry`), once its cause
    /// is fixed: the step is due now with its attempts counted afresh, and a sweep takes it at
    /// once. Answers what became of it: gone when taken, else the step as it now stands.
    pub async fn retry_stuck_step(&self, id: &str) -> Result<StuckRetry, EngineError> {
        let now = self.clock.now();
        {
            // While no sweep runs: a sweep that began when no step was stuck forgets none.
            let _no_sweep = self.sweep_lock.lock().await;
            let mut tx = self.begin().await?;
            let mut step = stuck_steps::get(&mut tx, id)
                .await?
                .ok_or_else(|| EngineError::not_found("stuck step", id))?;
            step.status = StuckStatus::Retrying;
            step.attempts = 0;
            step.retry_at = Some(now);
            step.parked_at = None;
            stuck_steps::save(&mut tx, &step).await?;
            match step.work {
                StepWork::Instance => instances::postpone(&mut tx, &step.item_id, now).await?,
                StepWork::Bill => bills::postpone(&mut tx, &step.item_id, now).await?,
            }
            tx.commit().await?;
        }
        let report = self.run_due(now).await?;
        let mut connection = self.store.read().await?;
        let stuck_step = stuck_steps::get(&mut connection, id).await?;
        Ok(StuckRetry {
            taken: stuck_step.is_none(),
            stuck_step,
            report,
        })
    }

    /// How far behind the sweep is, for `/healthz`: the oldest step due and not taken, and the
    /// parked steps.
    pub async fn sweep_health(&self) -> Result<SweepHealth, EngineError> {
        let now = self.clock.now();
        let mut connection = self.store.read().await?;
        let oldest_due_at = due_work::earliest(&mut connection, None, now).await?;
        let parked_steps = stuck_steps::count_parked(&mut connection).await?;
        let behind_seconds =
            oldest_due_at.map_or(0, |due| (now.as_second() - due.as_second()).max(0));
        Ok(SweepHealth {
            degraded: behind_seconds > SWEEP_BEHIND_LIMIT_SECONDS || parked_steps > 0,
            behind_seconds,
            oldest_due_at,
            parked_steps,
        })
    }
}

/// What an operator's retry did.
#[derive(Debug, Clone)]
pub struct StuckRetry {
    /// The step was taken: it is no longer stuck.
    pub taken: bool,
    /// The step as it stands when it failed again; none once taken.
    pub stuck_step: Option<StuckStep>,
    /// The sweep the retry ran.
    pub report: SweepReport,
}

/// The sweep's health (`/healthz`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepHealth {
    /// Degraded: the oldest due step is more than [`SWEEP_BEHIND_LIMIT_SECONDS`] late, or a
    /// step is parked.
    pub degraded: bool,
    pub behind_seconds: i64,
    pub oldest_due_at: Option<Timestamp>,
    pub parked_steps: i64,
}
