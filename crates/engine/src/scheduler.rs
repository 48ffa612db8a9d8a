//! The lifecycle scheduler. Each instance stores when its next step is due (`next_due_at`);
//! a sweep takes due instances through the index on that column, earliest first, a batch at a
//! time. A batch is one transaction (one fsync for many steps); inside it each instance is
//! re-read and locked, its due steps recomputed and taken, and its new due time written, so a
//! step is never split across transactions. A sweep can be killed at any point and run again: a
//! step whose transaction committed is no longer due, and one that did not commit is still due.
//! Nothing happens twice; nothing is lost.
//!
//! Pay-as-you-go bills are a second source of due work: an open bill stores when it is
//! generated (`generate_at`), found the same way through its own index.

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use std::collections::HashMap;
use tenure_core::lifecycle::{next_step_due, take_step, Step};

use tenure_store::accounts::Account;
use tenure_store::instances::StoredInstance;
use tenure_store::{bills, instances, PendingSync, StoreError, Tx};

use crate::engine::Engine;
use crate::error::EngineError;
use crate::record::RecordBuffer;

/// Due instances taken per transaction: large enough to share one commit among many steps,
/// small enough to keep a transaction short.
const SWEEP_BATCH: i64 = 1000;
/// How long an instance whose steps failed waits before the sweep tries it again.
pub const FAILED_STEP_RETRY_HOURS: i64 = 1;
/// More steps than this for one instance at one moment means a step does not advance: a bug.
const MAX_STEPS_PER_INSTANCE: usize = 16;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    pub steps_taken: u64,
    /// Instances whose due steps failed; nothing of theirs was written, and they are tried
    /// again after [`FAILED_STEP_RETRY_HOURS`].
    pub steps_failed: u64,
}

/// The two kinds of due work the scheduler finds by index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DueWork {
    /// Open bills whose cycle's `generate_at` has come.
    Bills,
    /// Instances whose `next_due_at` has come.
    Instances,
}

impl DueWork {
    async fn due_ids(self, tx: &mut Tx, now: Timestamp) -> Result<Vec<String>, StoreError> {
        match self {
            DueWork::Bills => bills::due_ids(tx, now, SWEEP_BATCH).await,
            DueWork::Instances => instances::due_ids(tx, now, SWEEP_BATCH).await,
        }
    }

    async fn postpone(self, tx: &mut Tx, id: &str, retry_at: Timestamp) -> Result<(), StoreError> {
        match self {
            DueWork::Bills => bills::postpone(tx, id, retry_at).await,
            DueWork::Instances => instances::postpone(tx, id, retry_at).await,
        }
    }
}

/// Committed batches whose fsync still runs. The sweep goes on with its next batch while the
/// disk catches up with the last one, and waits for every batch before it reports anything.
/// The newest fsync alone would cover the older batches' writes, but each fsync is its own
/// task with its own result, so each is waited in turn, one batch behind: a failed one is
/// never missed.
#[derive(Default)]
struct Unsynced(Option<PendingSync>);

impl Unsynced {
    async fn push(&mut self, pending: PendingSync) -> Result<(), StoreError> {
        match self.0.replace(pending) {
            Some(previous) => previous.wait().await,
            None => Ok(()),
        }
    }

    async fn wait(self) -> Result<(), StoreError> {
        match self.0 {
            Some(pending) => pending.wait().await,
            None => Ok(()),
        }
    }
}

impl Engine {
    /// Takes every step due at or before `now`, and returns once all of it is on disk.
    pub async fn run_due(&self, now: Timestamp) -> Result<SweepReport, EngineError> {
        let _sweep = self.sweep_lock.lock().await;
        let mut unsynced = Unsynced::default();
        let report = self.run_due_locked(now, &mut unsynced).await;
        unsynced.wait().await?;
        report
    }

    async fn run_due_locked(
        &self,
        now: Timestamp,
        unsynced: &mut Unsynced,
    ) -> Result<SweepReport, EngineError> {
        let mut report = SweepReport::default();
        // Bills first: a bill generated now can make its account overdue, which schedules the
        // stop of its pay-as-you-go instances (never at the same moment: the grace is hours).
        self.sweep(DueWork::Bills, now, &mut report, unsynced)
            .await?;
        self.sweep(DueWork::Instances, now, &mut report, unsynced)
            .await?;
        Ok(report)
    }

    /// Takes every due item of one kind, a batch per transaction. A batch first runs as it is;
    /// if an item fails, the batch is rolled back and run again with each item in its own
    /// savepoint, so the item that cannot be taken (a product removed from the catalog, say) is
    /// set aside for [`FAILED_STEP_RETRY_HOURS`] and does not hold back the rest. Savepoints
    /// cost statements, so they are paid only when something failed.
    async fn sweep(
        &self,
        work: DueWork,
        now: Timestamp,
        report: &mut SweepReport,
        unsynced: &mut Unsynced,
    ) -> Result<(), EngineError> {
        loop {
            let mut tx = self.begin().await?;
            let due = work.due_ids(&mut tx, now).await?;
            if due.is_empty() {
                return Ok(());
            }
            let fast = match work {
                DueWork::Instances => self.take_due_batch(&mut tx, &due, now).await,
                DueWork::Bills => self.take_each(work, &mut tx, &due, now).await,
            };
            let error = match fast {
                Ok(steps_taken) => {
                    unsynced.push(tx.commit_pending_sync().await?).await?;
                    report.steps_taken += steps_taken;
                    continue;
                }
                Err(error) => error,
            };
            tracing::warn!(%error, "a sweep batch failed; taking it again item by item");
            drop(tx);
            let mut tx = self.begin().await?;
            for id in work.due_ids(&mut tx, now).await? {
                match tx
                    .in_savepoint(async |tx| self.take_due(work, tx, &id, now).await)
                    .await?
                {
                    Ok(steps) => report.steps_taken += steps,
                    Err(error) => {
                        let retry_at = now + SignedDuration::from_hours(FAILED_STEP_RETRY_HOURS);
                        tracing::error!(%id, %error, %retry_at, "a due step failed; it is set aside and will be tried again");
                        work.postpone(&mut tx, &id, retry_at).await?;
                        report.steps_failed += 1;
                    }
                }
            }
            unsynced.push(tx.commit_pending_sync().await?).await?;
        }
    }

    async fn take_each(
        &self,
        work: DueWork,
        tx: &mut Tx,
        ids: &[String],
        now: Timestamp,
    ) -> Result<u64, EngineError> {
        let mut steps_taken = 0;
        for id in ids {
            steps_taken += self.take_due(work, tx, id, now).await?;
        }
        Ok(steps_taken)
    }

    async fn take_due(
        &self,
        work: DueWork,
        tx: &mut Tx,
        id: &str,
        now: Timestamp,
    ) -> Result<u64, EngineError> {
        match work {
            DueWork::Bills => self.generate_due_bill(tx, id, now).await,
            DueWork::Instances => self.take_due_steps(tx, id, now).await,
        }
    }

    /// Takes the due steps of one instance inside `tx` (the batch's transaction), which the
    /// caller commits, or drops, and then nothing happened. Public so tests can stop between the
    /// work and the commit.
    pub async fn take_due_steps(
        &self,
        tx: &mut Tx,
        instance_id: &str,
        now: Timestamp,
    ) -> Result<u64, EngineError> {
        let Some(stored) = instances::lock(tx, instance_id).await? else {
            return Ok(0);
        };
        let account = self.lock_account(tx, &stored.instance.account_id).await?;
        let mut buffer = RecordBuffer::default();
        let steps_taken = self
            .take_loaded_steps(tx, stored, &account, now, &mut buffer)
            .await?;
        buffer.flush(tx).await?;
        Ok(steps_taken)
    }

    /// Takes a whole batch of due instances with few statements: the instances and their
    /// accounts are read (and locked) in one query each, and the events and notices of the
    /// batch are written together at the end. The same decisions as [`Self::take_due_steps`].
    async fn take_due_batch(
        &self,
        tx: &mut Tx,
        instance_ids: &[String],
        now: Timestamp,
    ) -> Result<u64, EngineError> {
        let mut loaded = instances::lock_many(tx, instance_ids).await?;
        // The order of the due list (earliest first), not the database's.
        let position: HashMap<&str, usize> = instance_ids
            .iter()
            .enumerate()
            .map(|(index, id)| (id.as_str(), index))
            .collect();
        loaded.sort_by_key(|stored| position.get(stored.instance.id.as_str()).copied());
        let mut account_ids: Vec<String> = loaded
            .iter()
            .map(|stored| stored.instance.account_id.clone())
            .collect();
        account_ids.sort();
        account_ids.dedup();
        let accounts: HashMap<String, Account> =
            tenure_store::accounts::lock_many(tx, &account_ids)
                .await?
                .into_iter()
                .map(|account| (account.id.clone(), account))
                .collect();
        let mut buffer = RecordBuffer::default();
        let mut steps_taken = 0;
        for stored in loaded {
            let account = accounts
                .get(&stored.instance.account_id)
                .ok_or_else(|| EngineError::not_found("account", &stored.instance.account_id))?;
            steps_taken += self
                .take_loaded_steps(tx, stored, account, now, &mut buffer)
                .await?;
        }
        buffer.flush(tx).await?;
        Ok(steps_taken)
    }

    /// The due steps of one instance already read and locked, with its account as read (and
    /// locked) at the start of the batch: its contact details and overdue state, which nothing
    /// in an instance sweep changes. A deduction attempt reads the account's funds itself, as
    /// earlier attempts of the batch leave them, and its records join the batch's buffer, so
    /// the event log keeps the order of decisions.
    async fn take_loaded_steps(
        &self,
        tx: &mut Tx,
        stored: StoredInstance,
        account: &Account,
        now: Timestamp,
        buffer: &mut RecordBuffer,
    ) -> Result<u64, EngineError> {
        let product = self.product(&stored.instance.product_id)?;
        let overdue_since = account.overdue_since;
        let mut instance = stored.instance;
        let mut steps_taken = 0;
        while let Some(due) =
            next_step_due(&instance, product, overdue_since).filter(|due| due.at <= now)
        {
            instance = match due.step {
                Step::DeductionAttempt => {
                    self.make_deduction_attempt(tx, account, &instance, product, now, buffer)
                        .await?
                }
                step => {
                    let outcome = take_step(&instance, step, now, product);
                    self.buffer_records(buffer, now, account, &outcome.events, &outcome.notices);
                    outcome.instance
                }
            };
            steps_taken += 1;
            assert!(
                steps_taken <= MAX_STEPS_PER_INSTANCE,
                "instance {}: steps do not advance",
                instance.id
            );
        }
        let next_due_at = next_step_due(&instance, product, overdue_since).map(|due| due.at);
        instances::update(tx, &instance, next_due_at).await?;
        Ok(steps_taken as u64)
    }

    /// Moves the simulated clock to `to`, taking every step due in between at its own time, in
    /// time order. On the system clock it only runs what is due now.
    pub async fn advance_to(&self, to: Timestamp) -> Result<SweepReport, EngineError> {
        let _sweep = self.sweep_lock.lock().await;
        if !self.clock.is_simulated() {
            return Err(EngineError::refused(
                "clock_not_simulated",
                "the clock can only be advanced when tenure runs with --simulated-clock",
            ));
        }
        if to < self.clock.now() {
            return Err(EngineError::invalid(
                "clock_backwards",
                "the simulated clock only moves forward",
            ));
        }
        let mut report = SweepReport::default();
        let mut unsynced = Unsynced::default();
        let advanced = self.advance_locked(to, &mut report, &mut unsynced).await;
        unsynced.wait().await?;
        advanced?;
        self.clock.set(to);
        Ok(report)
    }

    /// Takes each moment's due steps in time order, up to `to`; the caller waits for the disk.
    async fn advance_locked(
        &self,
        to: Timestamp,
        report: &mut SweepReport,
        unsynced: &mut Unsynced,
    ) -> Result<(), EngineError> {
        loop {
            // Two sources of due work, both found by index: instances' lifecycle steps and
            // bills to generate. The earlier one sets the clock.
            let next = {
                let mut connection = self.store.read().await?;
                let instance_due = instances::earliest_due(&mut connection, to).await?;
                let bill_due = bills::earliest_due(&mut connection, to).await?;
                instance_due.into_iter().chain(bill_due).min()
            };
            let Some(moment) = next else { break };
            self.clock.set(moment);
            let moment = self.clock.now();
            let moment_report = self.run_due_locked(moment, unsynced).await?;
            report.steps_taken += moment_report.steps_taken;
            report.steps_failed += moment_report.steps_failed;
        }
        Ok(())
    }
}
