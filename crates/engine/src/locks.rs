//! The one order in which use cases lock rows on PostgreSQL, so that two of them never wait
//! on each other in opposite orders (a deadlock): the row the request names first (an
//! approval, a refund), then instances by id, then, where unpaid bills may be settled, the
//! account's pay-as-you-go instances, then accounts by id, then an account's bills.
//! A use case that touches several instances locks them all, and then their accounts, before
//! it decides anything; locks it takes again later are already held. (SQLite has one writer:
//! these reads lock nothing there.)

use tenure_core::catalog::Billing;
use tenure_core::lifecycle::InstanceStatus;
use tenure_store::instances::StoredInstance;
use tenure_store::{accounts, instances, Tx};

use crate::engine::Engine;
use crate::error::EngineError;

impl Engine {
    /// Reads an instance and locks it (an instance the use case names first); a missing one
    /// is `not_found`.
    pub(crate) async fn lock_instance(
        &self,
        tx: &mut Tx,
        instance_id: &str,
    ) -> Result<StoredInstance, EngineError> {
        instances::lock(tx, instance_id)
            .await?
            .ok_or_else(|| EngineError::not_found("instance", instance_id))
    }

    /// Locks `instance_ids` in id order, then their accounts in id order. A missing instance
    /// is not an error here: the use case reports it where it meets it.
    pub(crate) async fn lock_instances_and_accounts(
        &self,
        tx: &mut Tx,
        instance_ids: &[String],
    ) -> Result<(), EngineError> {
        self.lock_instances_then_accounts(tx, instance_ids, false)
            .await
    }

    /// [`Engine::lock_instances_and_accounts`] for a use case whose refunds may pay the
    /// accounts' unpaid bills: the accounts' pay-as-you-go instances, which settling them
    /// restores, are locked after the named instances and before the accounts, as
    /// [`Engine::lock_for_settlement`] does for one account.
    pub(crate) async fn lock_instances_and_settling_accounts(
        &self,
        tx: &mut Tx,
        instance_ids: &[String],
    ) -> Result<(), EngineError> {
        self.lock_instances_then_accounts(tx, instance_ids, true)
            .await
    }

    async fn lock_instances_then_accounts(
        &self,
        tx: &mut Tx,
        instance_ids: &[String],
        settling: bool,
    ) -> Result<(), EngineError> {
        let locked = instances::lock_many(tx, instance_ids).await?;
        let mut account_ids: Vec<String> = locked
            .into_iter()
            .map(|stored| stored.instance.account_id)
            .collect();
        account_ids.sort();
        account_ids.dedup();
        if settling {
            for account_id in &account_ids {
                for status in [InstanceStatus::Active, InstanceStatus::Stopped] {
                    instances::lock_of_account(tx, account_id, Billing::Payg, status).await?;
                }
            }
        }
        accounts::lock_many(tx, &account_ids).await?;
        Ok(())
    }
}
