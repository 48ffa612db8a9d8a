//! Releasing a pay-as-you-go or free instance by hand: the rule is
//! `tenure_core::release`; here its open cycles are billed now (each bill generated as the
//! sweep would, then the account settled once), the instance is written released, and the
//! events and notice recorded.

use tenure_core::change::withdrawal_reason;
use tenure_core::release::release_by_hand;
use tenure_store::approvals;
use tenure_store::bills::{self, Bill};
use tenure_store::instances::{self, StoredInstance};
use tenure_store::Tx;

use crate::engine::Engine;
use crate::error::EngineError;
use crate::instances::InstanceView;
use crate::overdue::Settlement;

/// What releasing an instance did.
#[derive(Debug, Clone)]
pub struct ReleaseResult {
    pub instance: InstanceView,
    /// The cycles still open at the release, billed now, oldest first: the last is the final
    /// bill. Paid, or unpaid as the account's debt.
    pub final_bills: Vec<Bill>,
    /// How settling the account after those bills went (paid, or overdue).
    pub settlement: Settlement,
}

impl Engine {
    /// Releases a pay-as-you-go or free instance now, billing its open usage.
    pub async fn release_instance(
        &self,
        tx: &mut Tx,
        instance_id: &str,
        confirm_data_backed_up: bool,
    ) -> Result<ReleaseResult, EngineError> {
        let now = self.clock.now();
        let stored = self.lock_instance(tx, instance_id).await?;
        let instance = stored.instance;
        let product = self.product(&instance.product_id)?;
        let outcome = release_by_hand(
            &instance,
            product,
            confirm_data_backed_up,
            now,
            &self.catalog.notices,
        )
        .map_err(|refusal| {
            let code = refusal.code();
            match refusal {
                tenure_core::release::ReleaseRefusal::NotConfirmed => {
                    EngineError::invalid(code, refusal)
                }
                _ => EngineError::refused(code, refusal),
            }
        })?;
        // Billing the open cycles settles the account: lock what that changes.
        let account = self.lock_for_settlement(tx, &instance.account_id).await?;
        let mut final_bills = Vec::new();
        for open in bills::lock_open_of_instance(tx, instance_id).await? {
            final_bills.push(self.generate_bill(tx, &account, open, now).await?);
        }
        // Written released before the settlement, which restores or stops only the account's
        // running and stopped pay-as-you-go instances.
        instances::update(tx, &outcome.instance, None).await?;
        let mut new_events = outcome.events;
        if let Some(reason) = withdrawal_reason(&instance, &outcome.instance) {
            if let Some(pending) = approvals::pending_for_instance(tx, instance_id).await? {
                new_events.push(
                    self.withdraw_pending_change(tx, &pending, reason, now)
                        .await?,
                );
            }
        }
        self.record(tx, now, &account, &new_events, &outcome.notices)
            .await?;
        let settlement = self.settle_account(tx, &account.id, now).await?;
        self.announce_unpaid(tx, &account, &final_bills, &settlement, now)
            .await?;
        // Read back: settling may have paid the bills just generated.
        let mut settled_bills = Vec::with_capacity(final_bills.len());
        for bill in &final_bills {
            settled_bills.push(
                bills::get(tx, &bill.id)
                    .await?
                    .expect("a bill generated in this transaction exists"),
            );
        }
        let stored = StoredInstance {
            instance: outcome.instance,
            next_due_at: None,
        };
        Ok(ReleaseResult {
            instance: InstanceView::new(stored, Some(product)),
            final_bills: settled_bills,
            settlement,
        })
    }
}
