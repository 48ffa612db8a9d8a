//! What the sweep finds due and how it takes each item: bills and instances found by index,
//! batches taken whole or, after a failure, item by item. Apart from the transaction it writes
//! through (`writer.rs`), so the policy reads without the bookkeeping of commits.

use std::collections::HashMap;

use jiff::Timestamp;
use tenure_core::change::withdrawal_reason;
use tenure_core::lifecycle::failed_step::StepWork;
use tenure_core::lifecycle::{next_step_due, take_step, Instance, RenewalMode, Step};

use tenure_core::payment::Funds;
use tenure_store::accounts::Account;
use tenure_store::approvals::{self, Approval};
use tenure_store::instances::{RowKey, StoredInstance};
use tenure_store::{
    bills, deduction_attempts, due_work, instances, ledger, stuck_steps, StoreError, Tx,
};

use super::stuck::{is_conflict, SetAside};
use super::writer::{SweepWriter, Swept, TransactionReads};
use super::SweepReport;
use crate::engine::Engine;
use crate::error::EngineError;
use crate::record::{KnownAttempts, RecordBuffer};

/// More steps than this for one instance at one moment means a step does not advance: a bug.
const MAX_STEPS_PER_INSTANCE: usize = 16;

/// How many times in a row a batch that met another transaction (a deadlock, a serialization
/// failure) runs again whole before it is taken item by item.
const CONFLICT_RETRIES: u32 = 8;

/// The kinds of due work the scheduler finds by index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DueWork {
    /// Open bills whose cycle's `generate_at` has come.
    Bills,
    /// Generated bills whose month's invoice is due (`invoice_at`): each stands for its
    /// account's month, invoiced whole by the first taken.
    BillInvoices,
    /// Instances whose `next_due_at` has come.
    Instances,
}

/// A batch of due items, earliest first: bills by id, instances read whole (and locked), each
/// with where its row is.
enum Due {
    Bills(Vec<String>),
    Instances(Vec<(StoredInstance, RowKey)>),
}

impl Due {
    fn ids(&self) -> Vec<String> {
        match self {
            Due::Bills(ids) => ids.clone(),
            Due::Instances(loaded) => loaded
                .iter()
                .map(|(stored, _)| stored.instance.id.clone())
                .collect(),
        }
    }

    fn len(&self) -> usize {
        match self {
            Due::Bills(ids) => ids.len(),
            Due::Instances(loaded) => loaded.len(),
        }
    }
}

impl DueWork {
    /// The next batch due at or before `now`, and at or after `from` when given (see
    /// [`Engine::advance_locked`]).
    async fn due(
        self,
        tx: &mut Tx,
        from: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<Due, StoreError> {
        Ok(match self {
            DueWork::Bills => Due::Bills(bills::due_ids(tx, from, now).await?),
            DueWork::BillInvoices => Due::Bills(bills::due_for_invoice(tx, from, now).await?),
            DueWork::Instances => Due::Instances(instances::lock_due(tx, from, now).await?),
        })
    }

    pub(super) fn step_work(self) -> StepWork {
        match self {
            // A bill's work, generation or its month's invoice, is set aside as the bill's.
            DueWork::Bills | DueWork::BillInvoices => StepWork::Bill,
            DueWork::Instances => StepWork::Instance,
        }
    }

    pub(super) async fn postpone(
        self,
        tx: &mut Tx,
        id: &str,
        retry_at: Timestamp,
    ) -> Result<(), StoreError> {
        match self {
            DueWork::Bills | DueWork::BillInvoices => bills::postpone(tx, id, retry_at).await,
            DueWork::Instances => instances::postpone(tx, id, retry_at).await,
        }
    }
}

impl Engine {
    /// Takes the steps due at or before `now` (and not before `from`, when given).
    pub(super) async fn run_due_locked(
        &self,
        from: Option<Timestamp>,
        now: Timestamp,
        writer: &mut SweepWriter,
    ) -> Result<Swept, EngineError> {
        // Bills first: a bill generated now can make its account overdue, which schedules the
        // stop of its pay-as-you-go instances (never at the same moment: the grace is hours).
        if let Swept::RolledBack = self.sweep(DueWork::Bills, from, now, writer).await? {
            return Ok(Swept::RolledBack);
        }
        // Then the months that ended: a bill generated at a month's last moment is in its
        // invoice.
        if let Swept::RolledBack = self.sweep(DueWork::BillInvoices, from, now, writer).await? {
            return Ok(Swept::RolledBack);
        }
        self.sweep(DueWork::Instances, from, now, writer).await
    }

    /// Takes every due item of one kind, a batch at a time. A batch first runs as it is; if an
    /// item fails in a transaction of the batch's own, the batch is run again with each item
    /// an attempt of its own ([`Tx::attempt`]), so the item that cannot be taken (a product removed from the
    /// catalog, a bill priced past its limit, say) is set aside for [`FAILED_STEP_RETRY_HOURS`](super::FAILED_STEP_RETRY_HOURS)
    /// and does not hold back the rest; after [`STEP_ATTEMPTS_BEFORE_PARKING`](super::STEP_ATTEMPTS_BEFORE_PARKING) failures it is
    /// parked for an operator (`stuck.rs`). (In a transaction shared with earlier batches, see
    /// [`SweepWriter`].)
    async fn sweep(
        &self,
        work: DueWork,
        from: Option<Timestamp>,
        now: Timestamp,
        writer: &mut SweepWriter,
    ) -> Result<Swept, EngineError> {
        let mut conflicts = 0;
        loop {
            let stuck_may_exist = writer.stuck_may_exist;
            let (tx, reads) = writer.tx_and_reads(self).await?;
            let due = work.due(tx, from, now).await?;
            let count = due.len() as u64;
            if count == 0 {
                return Ok(Swept::Done);
            }
            // The items' ids, to forget their stuck steps once taken, only when one may exist.
            let taken_ids = stuck_may_exist.then(|| due.ids());
            let taken = match due {
                Due::Instances(loaded) => caught(self.take_due_batch(tx, reads, loaded, now)).await,
                Due::Bills(ids) => {
                    reads.clear();
                    caught(self.take_each(work, tx, &ids, now)).await
                }
            };
            // A batch that wrote a dangling reference fails here like any other failing batch
            // (and is then taken item by item, each item checked in its attempt), instead of
            // failing the commit of every batch in the transaction, at every sweep.
            let taken = match (taken, &taken_ids) {
                (Ok(steps), Some(ids)) => stuck_steps::resolve(tx, work.step_work(), ids)
                    .await
                    .map(|()| steps)
                    .map_err(EngineError::from),
                (taken, _) => taken,
            };
            let taken = taken.and_then(|steps| {
                tx.check_references()
                    .map(|()| steps)
                    .map_err(EngineError::from)
            });
            let error = match taken {
                Ok(steps_taken) => {
                    writer.report.steps_taken += steps_taken;
                    writer.taken(&self.clock, count).await?;
                    continue;
                }
                Err(error) => error,
            };
            let shared = writer.items > 0;
            writer.roll_back().await;
            // Another transaction (another node's sweep, on PostgreSQL) met this batch: the
            // batch says nothing wrong of its items, and runs again after a random pause.
            if is_conflict(&error) && conflicts < CONFLICT_RETRIES {
                conflicts += 1;
                tracing::debug!(%error, conflicts, "a sweep batch met another transaction; it runs again");
                let pause_ms =
                    rand::Rng::gen_range(&mut rand::thread_rng(), 5..50 << conflicts.min(4));
                tokio::time::sleep(std::time::Duration::from_millis(pause_ms)).await;
                if shared {
                    writer.one_batch_per_commit = true;
                    return Ok(Swept::RolledBack);
                }
                continue;
            }
            if shared {
                tracing::warn!(%error, "a sweep batch failed; the batches it shared a transaction with are taken again, one per commit");
                writer.one_batch_per_commit = true;
                return Ok(Swept::RolledBack);
            }
            tracing::warn!(%error, "a sweep batch failed; taking it again item by item");
            let tx = writer.tx(self).await?;
            // (Begun after the rollback, the transaction has read nothing yet; the items below
            // write without it, and the commit after them forgets it.)
            let due = work.due(tx, from, now).await?;
            let mut batch = SweepReport::default();
            for id in &due.ids() {
                let taken = tx
                    .attempt(async |tx| {
                        let steps = caught(self.take_due(work, tx, id, now)).await?;
                        if stuck_may_exist {
                            stuck_steps::resolve(tx, work.step_work(), std::slice::from_ref(id))
                                .await?;
                        }
                        Ok::<u64, EngineError>(steps)
                    })
                    .await?;
                match taken {
                    Ok(steps) => batch.steps_taken += steps,
                    Err(error) => {
                        batch.steps_failed += 1;
                        if self.set_aside(tx, work, id, now, &error).await? == SetAside::Parked {
                            batch.steps_parked += 1;
                        }
                    }
                }
            }
            writer.report.steps_taken += batch.steps_taken;
            writer.report.steps_failed += batch.steps_failed;
            writer.report.steps_parked += batch.steps_parked;
            writer.stuck_may_exist |= batch.steps_failed > 0;
            // Committed at once: a later failure in a shared transaction must not undo it.
            writer.taken(&self.clock, due.len() as u64).await?;
            writer.commit(&self.clock).await?;
            writer.one_batch_per_commit = false;
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
            DueWork::BillInvoices => self.invoice_due_month(tx, id, now).await,
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
        let pending_change = approvals::pending_for_instance(tx, instance_id).await?;
        let mut buffer = RecordBuffer::default();
        let (steps_taken, instance, next_due_at) = self
            .take_loaded_steps(tx, stored, &account, pending_change, now, &mut buffer)
            .await?;
        instances::update(tx, &instance, next_due_at).await?;
        buffer.flush(tx, self).await?;
        Ok(steps_taken)
    }

    /// Takes a whole batch of due instances (read and locked by the due query, earliest first)
    /// with few statements: their accounts are read (and locked) in one query, unless the
    /// transaction has read them already (see [`TransactionReads`]), and the records of the
    /// batch are written together at the end. The same decisions as
    /// [`Self::take_due_steps`].
    async fn take_due_batch(
        &self,
        tx: &mut Tx,
        reads: &mut TransactionReads,
        loaded: Vec<(StoredInstance, RowKey)>,
        now: Timestamp,
    ) -> Result<u64, EngineError> {
        let TransactionReads { accounts, buffer } = reads;
        // The accounts the transaction has not read yet, and their funds, in one query each.
        let mut unread: Vec<String> = loaded
            .iter()
            .map(|(stored, _)| &stored.instance.account_id)
            .filter(|account_id| !accounts.contains_key(*account_id))
            .cloned()
            .collect();
        unread.sort();
        unread.dedup();
        if !unread.is_empty() {
            for account in tenure_store::accounts::lock_many(tx, &unread).await? {
                // A frozen account's steps wait (the batch is then taken item by item, and
                // only that account's items are set aside).
                crate::accounts::refuse_frozen(&account)?;
                accounts.insert(account.id.clone(), account);
            }
            // No funds row is no money yet; the rows read replace those zeros.
            let read = ledger::funds_many(tx, &unread).await?;
            buffer.know_funds(
                unread
                    .iter()
                    .map(|account_id| (account_id.clone(), Funds::default()))
                    .chain(read),
            );
        }
        buffer.forget_attempts();
        // The attempts already made for the cycles the batch's auto-renewing instances are in,
        // in one query: each attempt is checked against them, not read for one by one.
        let renewing: Vec<(&str, Timestamp)> = loaded
            .iter()
            .map(|(stored, _)| stored)
            .filter(|stored| stored.instance.renewal_mode == RenewalMode::Auto)
            .filter_map(|stored| Some((stored.instance.id.as_str(), stored.instance.expires_at?)))
            .collect();
        if let Some(renews_from) = renewing.iter().map(|(_, expires_at)| *expires_at).min() {
            let instance_ids: Vec<String> = renewing.iter().map(|(id, _)| id.to_string()).collect();
            let keys = deduction_attempts::made_since(tx, &instance_ids, renews_from).await?;
            buffer.know_attempts(KnownAttempts {
                instance_ids: instance_ids.into_iter().collect(),
                renews_from,
                keys: keys.into_iter().collect(),
            });
        }
        // The changes waiting for approval on the batch's instances (rare), in one query: an
        // expiry or a release withdraws them.
        let batch_ids: Vec<String> = loaded
            .iter()
            .map(|(stored, _)| stored.instance.id.clone())
            .collect();
        let mut pending_changes: HashMap<String, Approval> =
            approvals::pending_of_instances(tx, &batch_ids)
                .await?
                .into_iter()
                .map(|approval| (approval.instance_id.clone(), approval))
                .collect();
        let mut steps_taken = 0;
        let mut updated = Vec::with_capacity(loaded.len());
        for (stored, row_key) in loaded {
            let account = accounts
                .get(&stored.instance.account_id)
                .ok_or_else(|| EngineError::not_found("account", &stored.instance.account_id))?;
            let pending_change = pending_changes.remove(&stored.instance.id);
            let (steps, instance, next_due_at) = self
                .take_loaded_steps(tx, stored, account, pending_change, now, buffer)
                .await?;
            steps_taken += steps;
            updated.push((row_key, instance, next_due_at));
        }
        instances::update_many(tx, &updated).await?;
        buffer.flush(tx, self).await?;
        Ok(steps_taken)
    }

    /// The due steps of one instance already read and locked, with its account as read (and
    /// locked) at the start of the batch: its contact details and overdue state, which nothing
    /// in an instance sweep changes. A deduction attempt reads the account's funds itself, as
    /// earlier attempts of the batch leave them, and its records join the batch's buffer, so
    /// the event log keeps the order of decisions. Returns the steps taken and the instance
    /// with its next due time, for the caller to write. `pending_change` is the instance's
    /// change waiting for approval, withdrawn by a step after which it cannot apply.
    async fn take_loaded_steps(
        &self,
        tx: &mut Tx,
        stored: StoredInstance,
        account: &Account,
        mut pending_change: Option<Approval>,
        now: Timestamp,
        buffer: &mut RecordBuffer,
    ) -> Result<(u64, Instance, Option<Timestamp>), EngineError> {
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
                    let outcome = take_step(&instance, step, now, product, &self.catalog.notices);
                    let mut events = outcome.events;
                    if let Some(reason) = withdrawal_reason(&instance, &outcome.instance) {
                        if let Some(pending) = pending_change.take() {
                            let withdrawn = self
                                .withdraw_pending_change(tx, &pending, reason, now)
                                .await?;
                            events.push(withdrawn);
                        }
                    }
                    self.buffer_records(buffer, now, account, events, outcome.notices);
                    outcome.instance
                }
            };
            steps_taken += 1;
            if steps_taken > MAX_STEPS_PER_INSTANCE {
                // A bug, but one instance's: it fails (and is parked) like any other step.
                return Err(EngineError::refused(
                    "steps_do_not_advance",
                    format!(
                        "instance {}: more than {MAX_STEPS_PER_INSTANCE} steps at {now}; its steps do not advance",
                        instance.id
                    ),
                ));
            }
        }
        let next_due_at = next_step_due(&instance, product, overdue_since).map(|due| due.at);
        Ok((steps_taken as u64, instance, next_due_at))
    }

    /// Takes each moment's due steps in time order, up to `to`; the caller commits what is
    /// open and waits for the disk.
    ///
    /// After a moment, the next one is looked for from that moment on (`from`), not from the
    /// start of the index: everything due before it has been taken, and on PostgreSQL the
    /// index entries those steps moved stay in the index until the transaction commits, so a
    /// look from the start walks over every one of them, at every moment. (A month of a fleet
    /// of 100,000, 26,000 moments, took 169 s that way.) Work a request made due before the
    /// last moment while the advance ran is not lost: once nothing is left from the last
    /// moment on, one look from the start takes it.
    pub(super) async fn advance_locked(
        &self,
        to: Timestamp,
        writer: &mut SweepWriter,
    ) -> Result<(), EngineError> {
        let mut from = None;
        loop {
            // Two sources of due work, both found by index: instances' lifecycle steps and
            // bills to generate. The earlier one sets the clock. Read in the sweep's open
            // transaction, which may hold the last moments' steps uncommitted.
            let tx = writer.tx(self).await?;
            let next = due_work::earliest(tx, from, to).await?;
            let Some(moment) = next else {
                if from.is_none() {
                    break;
                }
                from = None;
                continue;
            };
            let moment = writer.moment(&self.clock, moment);
            from = match self.run_due_locked(from, moment, writer).await? {
                Swept::Done if self.taken_elsewhere(from, moment, writer).await? => continue,
                Swept::Done => Some(moment),
                // Rolled back, the moments since the open transaction began are due again (the
                // clock never showed them): the next look starts from the start.
                Swept::RolledBack => None,
            };
        }
        Ok(())
    }

    /// Whether other nodes still hold steps of `moment` (at or after `from`), once this node
    /// has taken every one it could: they take what is due up to the kept clock, so they help
    /// with a moment once it is committed, and the advance must not go past a moment they are
    /// still taking (steps are taken in time order everywhere). If so, this node commits (it
    /// must hold no lock they wait for) and waits a little; the caller then takes the moment
    /// again, which also takes the steps of a node that died holding them, once its
    /// transaction is rolled back. On one node nothing is taken elsewhere, and the moments
    /// never committed are not even asked about.
    async fn taken_elsewhere(
        &self,
        from: Option<Timestamp>,
        moment: Timestamp,
        writer: &mut SweepWriter,
    ) -> Result<bool, EngineError> {
        if writer.committed_moment != Some(moment) {
            return Ok(false);
        }
        let tx = writer.tx(self).await?;
        if due_work::earliest(tx, from, moment).await?.is_none() {
            return Ok(false);
        }
        writer.commit(&self.clock).await?;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        Ok(true)
    }
}

/// Work of the sweep whose panic (a bug: an `expect` that a stored row breaks, say) becomes a
/// failed step like any other: rolled back, retried, then parked, never the end of the sweep and
/// of the clock for every other instance. The panic itself is printed by the panic hook.
async fn caught<T>(
    work: impl std::future::Future<Output = Result<T, EngineError>>,
) -> Result<T, EngineError> {
    use futures_util::FutureExt;
    // Unwind safety: after a panic nothing the work touched is used again; the transaction (or
    // the item's savepoint) it wrote in is rolled back by the caller, as after an error.
    match std::panic::AssertUnwindSafe(work).catch_unwind().await {
        Ok(result) => result,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|text| text.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_string());
            Err(EngineError::invalid(
                "step_panicked",
                format!("taking the step failed with a bug: {message}"),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::caught;
    use crate::error::EngineError;

    #[tokio::test]
    async fn a_panicking_step_is_a_failed_step() {
        let erased: Option<u64> = std::hint::black_box(None);
        let failed = caught(async {
            Ok::<u64, EngineError>(erased.expect("a pending attempt means an auto-renewal period"))
        })
        .await
        .unwrap_err();
        assert_eq!(failed.code(), "step_panicked");
        assert!(
            failed.to_string().contains("auto-renewal period"),
            "{failed}"
        );
        assert_eq!(
            caught(async { Ok::<u64, EngineError>(3) }).await.unwrap(),
            3
        );
    }
}
