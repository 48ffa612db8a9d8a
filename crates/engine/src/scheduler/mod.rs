//! The lifecycle scheduler. Each instance stores when its next step is due (`next_due_at`);
//! a sweep takes due instances through the index on that column, earliest first, a batch at a
//! time. Batches share a transaction (one fsync for thousands of steps, see `SweepWriter`);
//! each instance of a batch is read whole (and locked) by the due query itself, its due steps
//! recomputed from that row and taken, and its new due time written, so a step is never split
//! across transactions. A sweep can be killed at any point and run again: a step whose
//! transaction committed is no longer due, and one that did not commit is still due.
//! Nothing happens twice; nothing is lost.
//!
//! Pay-as-you-go bills are a second source of due work: an open bill stores when it is
//! generated (`generate_at`), found the same way through its own index.

mod policy;
mod stuck;
mod writer;

use jiff::Timestamp;

use crate::clock::Followed;
use crate::engine::Engine;
use crate::error::EngineError;
use tenure_store::NodeLockName;
use writer::{SweepWriter, Swept};

pub use stuck::{StuckRetry, SweepHealth, SWEEP_BEHIND_LIMIT_SECONDS};
/// How long an instance whose steps failed waits before the sweep tries it again, and how many
/// failed attempts park it (the core's rule).
pub use tenure_core::lifecycle::failed_step::{
    FAILED_STEP_RETRY_HOURS, STEP_ATTEMPTS_BEFORE_PARKING,
};
pub(crate) use writer::TransactionReads;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub steps_taken: u64,
    /// Instances and bills whose due steps failed; nothing of theirs was written, and they
    /// are tried again after [`FAILED_STEP_RETRY_HOURS`], or parked.
    pub steps_failed: u64,
    /// Of those, the ones parked: they had failed [`STEP_ATTEMPTS_BEFORE_PARKING`] times, and
    /// wait for an operator's retry.
    pub steps_parked: u64,
}

impl Engine {
    /// Takes every step due at or before `now`, and returns once all of it is on disk.
    pub async fn run_due(&self, now: Timestamp) -> Result<SweepReport, EngineError> {
        let mut kept = self.sweep_lock.lock().await;
        let mut writer = SweepWriter::with_reads(std::mem::take(&mut *kept));
        writer.stuck_may_exist = self.any_stuck_steps().await?;
        let swept = loop {
            match self.run_due_locked(None, now, &mut writer).await {
                Ok(Swept::RolledBack) => continue,
                other => break other,
            }
        };
        let finished = writer.finish(&self.clock, swept.is_ok()).await;
        *kept = writer.reads;
        let report = finished?;
        swept?;
        Ok(report)
    }

    /// Whether any step is stuck, asked once per sweep: when none is, the sweep has no stuck
    /// step to forget as it takes steps (and runs no statement for it).
    async fn any_stuck_steps(&self) -> Result<bool, EngineError> {
        let mut connection = self.store.read().await?;
        Ok(tenure_store::stuck_steps::any(&mut connection).await?)
    }

    /// Moves the simulated clock to `to`, taking every step due in between at its own time, in
    /// time order. On the system clock it only runs what is due now.
    ///
    /// Nodes sharing a database advance one at a time (the others wait), and each starts from
    /// the time the last one kept; while one advances, the others help with every moment it
    /// has committed (their sweeps take what is due up to the kept clock).
    pub async fn advance_to(&self, to: Timestamp) -> Result<SweepReport, EngineError> {
        let mut kept = self.sweep_lock.lock().await;
        if !self.clock.is_simulated() {
            return Err(EngineError::refused(
                "clock_not_simulated",
                "the clock can only be advanced on a simulated clock (started with --simulated-clock; this database runs on the machine's clock)",
            ));
        }
        let advancing = self
            .store
            .lock_across_nodes(NodeLockName::ClockAdvance)
            .await?;
        self.follow_kept_clock().await?;
        if !self.clock.is_simulated() {
            advancing.release().await;
            return Err(EngineError::refused(
                "clock_not_simulated",
                "this database moved to the system clock (`tenure serve --clock system`): its clock is no longer advanced",
            ));
        }
        let advanced = self.advance_holding_locks(to, &mut kept).await;
        advancing.release().await;
        advanced
    }

    async fn advance_holding_locks(
        &self,
        to: Timestamp,
        kept: &mut TransactionReads,
    ) -> Result<SweepReport, EngineError> {
        if to < self.clock.now() {
            return Err(EngineError::invalid(
                "clock_backwards",
                "the simulated clock only moves forward",
            ));
        }
        let mut writer = SweepWriter::with_reads(std::mem::take(kept));
        writer.stuck_may_exist = self.any_stuck_steps().await?;
        let advanced = self.advance_locked(to, &mut writer).await;
        let finished = writer.finish(&self.clock, advanced.is_ok()).await;
        *kept = writer.reads;
        let report = finished?;
        advanced?;
        self.keep_clock_at(to).await?;
        Ok(report)
    }

    /// Moves the simulated clock to `to` and keeps it in the database, so that a restart
    /// resumes it and every node on the database reads it (a node starting a simulated clock
    /// makes the row this way).
    pub async fn keep_clock_at(&self, to: Timestamp) -> Result<(), EngineError> {
        let mut tx = self.begin().await?;
        tenure_store::simulated_clock::keep(&mut tx, to).await?;
        tx.commit().await?;
        self.clock.follow(Some(to));
        Ok(())
    }

    /// Follows the clock the database runs on (see [`crate::Clock::follow`]): a simulated
    /// clock moved to the time kept if that is later (another node advanced it, or this one
    /// is starting again), or switched where another node moved the database to another clock.
    /// Returns the time it is at.
    pub async fn follow_kept_clock(&self) -> Result<Timestamp, EngineError> {
        let mut connection = self.store.read().await?;
        let kept = tenure_store::simulated_clock::read(&mut connection).await?;
        drop(connection);
        match self.clock.follow(kept) {
            Followed::Nothing => {}
            Followed::ToSystem { from } => tracing::warn!(
                %from,
                "clock: system from now on: another node moved this database from its simulated clock, at {from}, to the machine's (--clock system)"
            ),
            Followed::ToSimulated { at } => tracing::warn!(
                %at,
                "clock: simulated from now on, at {at}: another node started a simulated clock on this database"
            ),
        }
        Ok(self.clock.now())
    }

    /// Moves the database from its simulated clock to the machine's, for good: the kept time
    /// is forgotten, and every node on the database follows. Refused while the machine's time
    /// is before the kept time, checked again here, where no node can be advancing it.
    pub async fn move_to_system_clock(&self) -> Result<(), EngineError> {
        let advancing = self
            .store
            .lock_across_nodes(NodeLockName::ClockAdvance)
            .await?;
        let moved = self.forget_kept_clock().await;
        advancing.release().await;
        moved
    }

    async fn forget_kept_clock(&self) -> Result<(), EngineError> {
        let mut tx = self.begin().await?;
        if let Some(kept) = tenure_store::simulated_clock::read(&mut tx).await? {
            let machine_now = crate::clock::machine_now();
            if machine_now < kept {
                return Err(EngineError::refused(
                    "clock_behind",
                    format!("--clock system refused: the machine's time, {machine_now}, is before this database's simulated clock, {kept}"),
                ));
            }
        }
        tenure_store::simulated_clock::forget(&mut tx).await?;
        tx.commit().await?;
        self.clock.follow(None);
        Ok(())
    }
}
