//! The transaction a sweep writes through, carried across batches until the store says to
//! commit, and what it has read: apart from the policy of what is due, since it decides only
//! when work is committed or rolled back, never what the work is.

use jiff::Timestamp;
use std::collections::HashMap;
use tenure_store::accounts::Account;
use tenure_store::{StoreError, Tx};

use super::SweepReport;
use crate::engine::Engine;
use crate::error::EngineError;
use crate::record::{IdHasher, RecordBuffer};

/// How a sweep of due work ended.
pub(super) enum Swept {
    /// Nothing is due any more.
    Done,
    /// A batch failed in a transaction that also held earlier batches: all of it was rolled
    /// back and is due again, and the sweep starts over, one batch per commit.
    RolledBack,
}

/// The sweep's write transaction, carried across batches (and simulated moments) until it holds
/// as many items as the store says one commit should carry ([`Tx::should_commit`]).
///
/// A batch is not an attempt of its own ([`Tx::attempt`] costs a copy of every page it
/// changes on SQLite, and batches almost never fail). So when a batch fails, the whole open transaction is rolled back; if it
/// held earlier batches, the sweep starts over from where it began ([`Swept::RolledBack`]),
/// committing after every batch, so that the failing batch comes round in a transaction of its
/// own and is taken again item by item.
#[derive(Default)]
pub(super) struct SweepWriter {
    tx: Option<Tx>,
    /// Items taken in the open transaction.
    pub(super) items: u64,
    /// The latest moment the open transaction took steps at (an advance of the simulated
    /// clock): the clock is moved there only once that transaction commits, so that it never
    /// shows a moment whose steps were rolled back.
    latest_moment: Option<Timestamp>,
    /// The latest moment committed (and so kept as the clock's time): other nodes, which take
    /// what is due up to the kept clock, may be taking its steps too.
    pub(super) committed_moment: Option<Timestamp>,
    /// Steps taken and failed, the open transaction's included.
    pub(super) report: SweepReport,
    /// The same, as of the last commit.
    committed: SweepReport,
    /// Commit after every batch (after a rollback, until the failed batch is dealt with).
    pub(super) one_batch_per_commit: bool,
    /// What the open transaction's instance batches have read of accounts and funds.
    pub(super) reads: TransactionReads,
    /// Some step may be stuck (`stuck_steps`): items taken are forgotten there. Asked when the
    /// sweep begins (under the sweep lock, which an operator's retry takes too) and set when a
    /// step fails.
    pub(super) stuck_may_exist: bool,
}

/// Accounts and their funds as the sweep's open transaction has read them (and on PostgreSQL
/// locked them) and, for funds, as its own writes left them: kept from one instance batch to
/// the next of the same transaction, so that an account with instances in many batches is read
/// once per commit, not once per batch. Nothing else can change these rows while the
/// transaction is open (SQLite has one writer, and it is the sweep's; PostgreSQL holds the
/// locks until commit), and an instance batch changes funds only through the buffer, which
/// keeps them up to date. What is read from here is an account's contact details and overdue
/// state; the one account column an instance batch writes, the low-balance flag, is read
/// afresh where it is decided (`Engine::check_low_balance_into`). Other work in the
/// transaction (bills, which can make an account overdue and pay from its balance, or a batch
/// taken item by item) writes without it, so it is forgotten then, as at every commit and
/// rollback. A simulated year of 100,000 subscriptions (ten per account) took each account
/// about four times per commit of 40,000 items, in as many batches.
///
/// Forgetting empties the maps but keeps their room, and the engine keeps them from one sweep
/// to the next (`Engine::sweep_lock`): made anew, they grew into memory the process had not
/// touched yet, whose first touch (the kernel zeroing each page) was a fifth of one day's
/// steps at 1,000,000 instances.
#[derive(Default)]
pub(crate) struct TransactionReads {
    pub(super) accounts: HashMap<String, Account, IdHasher>,
    pub(super) buffer: RecordBuffer,
}

impl TransactionReads {
    /// Forgets everything read, keeping the maps' room.
    pub(super) fn clear(&mut self) {
        self.accounts.clear();
        self.buffer.clear();
    }
}

impl SweepWriter {
    /// A writer whose reads go in `reads`: the maps the last sweep left, empty, their room kept.
    pub(super) fn with_reads(reads: TransactionReads) -> SweepWriter {
        SweepWriter {
            reads,
            ..SweepWriter::default()
        }
    }

    /// The open transaction, begun if there is none.
    pub(super) async fn tx(&mut self, engine: &Engine) -> Result<&mut Tx, EngineError> {
        if self.tx.is_none() {
            self.tx = Some(engine.begin().await?);
            self.items = 0;
            self.forget_reads();
        }
        Ok(self.tx.as_mut().expect("begun above"))
    }

    /// The open transaction (begun if there is none) with what it has read.
    pub(super) async fn tx_and_reads(
        &mut self,
        engine: &Engine,
    ) -> Result<(&mut Tx, &mut TransactionReads), EngineError> {
        self.tx(engine).await?;
        Ok((self.tx.as_mut().expect("begun above"), &mut self.reads))
    }

    /// Drops what the open transaction has read: work that writes without it is about to run,
    /// or the transaction ends.
    fn forget_reads(&mut self) {
        self.reads.clear();
    }

    /// Counts `items` taken in the open transaction, and commits it when the store says it
    /// should ([`Tx::should_commit`]: it holds enough, or another transaction waits for it).
    pub(super) async fn taken(
        &mut self,
        clock: &crate::Clock,
        items: u64,
    ) -> Result<(), StoreError> {
        self.items += items;
        let should_commit = self
            .tx
            .as_ref()
            .is_some_and(|tx| tx.should_commit(self.items));
        if self.one_batch_per_commit || should_commit {
            self.commit(clock).await?;
        }
        Ok(())
    }

    /// Rolls the open transaction back, with its part of the report and its moments: the
    /// items rolled back are still due, and are taken again at their own times.
    pub(super) async fn roll_back(&mut self) {
        self.drop_tx().await;
        self.forget_reads();
        self.items = 0;
        self.latest_moment = None;
        self.report = self.committed;
    }

    /// Commits the open transaction, if any, and waits for it to be on disk. One that
    /// took nothing (it only looked for due work) wrote nothing and is simply dropped.
    pub(super) async fn commit(&mut self, clock: &crate::Clock) -> Result<(), StoreError> {
        self.forget_reads();
        if self.items == 0 {
            self.tx = None;
        }
        if let Some(mut tx) = self.tx.take() {
            // The clock's time commits with the steps taken at it: a restart resumes from it.
            if let (true, Some(moment)) = (clock.is_simulated(), self.latest_moment) {
                tenure_store::simulated_clock::advance(&mut tx, moment).await?;
            }
            tx.commit().await?;
        }
        if let Some(moment) = self.latest_moment.take() {
            clock.set(moment);
            self.committed_moment = Some(moment);
        }
        self.committed = self.report;
        Ok(())
    }

    /// The moment an advance takes steps at next: `due`, or the clock's time if that is later
    /// (steps a request made due while the clock stood later), or the open transaction's
    /// latest moment (the clock moves only at commit).
    pub(super) fn moment(&mut self, clock: &crate::Clock, due: Timestamp) -> Timestamp {
        let moment = due.max(clock.now()).max(self.latest_moment.unwrap_or(due));
        self.latest_moment = Some(moment);
        moment
    }

    /// After a sweep that succeeded, commits what is open; after one that failed, rolls it
    /// back (its items are still due). Returns what was committed.
    pub(super) async fn finish(
        &mut self,
        clock: &crate::Clock,
        succeeded: bool,
    ) -> Result<SweepReport, StoreError> {
        if succeeded {
            self.commit(clock).await?;
        } else {
            self.drop_tx().await;
            self.forget_reads();
        }
        Ok(self.committed)
    }

    /// Rolls back the open transaction, if any, waiting until its locks are let go: the items
    /// it locked are taken again at once, by a transaction that skips locked rows.
    async fn drop_tx(&mut self) {
        if let Some(tx) = self.tx.take() {
            if let Err(error) = tx.rollback().await {
                tracing::warn!(%error, "rolling back a sweep's transaction failed");
            }
        }
    }
}
