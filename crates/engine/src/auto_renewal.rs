//! Auto-renewal use cases: turning it on, off or changing it, and making one deduction attempt
//! inside the scheduler's transaction.

use jiff::Timestamp;
use tenure_core::auto_renewal::{
    attempt_deduction, change_renewal_mode, AttemptResult, RenewalModeChange, RenewalModeError,
    Warning,
};
use tenure_core::catalog::Product;
use tenure_core::lifecycle::{next_due, Instance};
use tenure_core::order::OrderKind;
use tenure_store::accounts::Account;
use tenure_store::deduction_attempts::DeductionAttempt;
use tenure_store::instances::{self, StoredInstance};
use tenure_store::Tx;

use crate::engine::Engine;
use crate::error::EngineError;
use crate::instances::{InstanceView, OrderDraft};
use crate::record::RecordBuffer;

/// The order kind of a renewal paid by auto-renewal.
pub const AUTO_RENEWAL_ORDER_KIND: OrderKind = OrderKind::AutoRenewal;

/// The instance after a renewal-mode change, and what the caller should know about it.
#[derive(Debug, Clone)]
pub struct RenewalModeResult {
    pub instance: InstanceView,
    pub warnings: Vec<Warning>,
}

fn renewal_mode_error(error: RenewalModeError) -> EngineError {
    match &error {
        RenewalModeError::Released(_) => EngineError::refused("instance_released", error),
        RenewalModeError::NotSubscription(_) => EngineError::refused("not_renewable", error),
        RenewalModeError::PeriodNotOffered(_) => {
            EngineError::invalid("auto_renewal_not_offered", error)
        }
    }
}

impl Engine {
    /// Enables, modifies or disables auto-renewal, or sets the instance to "don't renew".
    pub async fn change_renewal_mode(
        &self,
        tx: &mut Tx,
        instance_id: &str,
        change: RenewalModeChange,
    ) -> Result<RenewalModeResult, EngineError> {
        let now = self.clock.now();
        let stored = self.lock_instance(tx, instance_id).await?;
        let product = self.product(&stored.instance.product_id)?;
        let outcome = change_renewal_mode(&stored.instance, product, change, now)
            .map_err(renewal_mode_error)?;
        let next_due_at = next_due(&outcome.instance, product).map(|due| due.at);
        if let Some(event) = &outcome.event {
            instances::update(tx, &outcome.instance, next_due_at).await?;
            let account = self.lock_account(tx, &outcome.instance.account_id).await?;
            self.record(tx, now, &account, std::slice::from_ref(event), &[])
                .await?;
        }
        let stored = StoredInstance {
            instance: outcome.instance,
            next_due_at,
        };
        Ok(RenewalModeResult {
            instance: InstanceView::new(stored, Some(product)),
            warnings: outcome.warnings,
        })
    }

    /// Makes the deduction attempt due at `now`, in the caller's transaction, which holds the
    /// instance's and the account's locks: the attempt's record, the payment and the renewal
    /// commit together or not at all. The attempt's record, its order and ledger entry, its
    /// events and notices go to `buffer`, which the caller writes in the same transaction; the
    /// funds it pays from are the buffer's (what earlier attempts of a batch left). Returns the
    /// instance after the attempt.
    pub(crate) async fn make_deduction_attempt(
        &self,
        tx: &mut Tx,
        account: &Account,
        instance: &Instance,
        product: &Product,
        now: Timestamp,
        buffer: &mut RecordBuffer,
    ) -> Result<Instance, EngineError> {
        let mut funds = buffer.funds(tx, &account.id).await?;
        if account.overdue_since.is_some() {
            // Renewal is a fee operation, refused while the account is overdue:
            // its credit belongs to its unpaid bills. The attempt fails and the retries go on.
            funds.balance_minor = 0;
            funds.coupons_minor = 0;
        }
        let order_id = self.ids.next("ord");
        let decision = attempt_deduction(
            instance,
            product,
            funds,
            now,
            &order_id,
            &self.catalog.notices,
        )
        .expect("the scheduler calls this only when an attempt is due");
        let (due_minor, available_minor, paid_order_id) = match &decision.result {
            AttemptResult::Paid { renewal, .. } => (
                renewal.list_price_minor,
                funds.balance_minor + funds.coupons_minor,
                Some(order_id.clone()),
            ),
            AttemptResult::Failed {
                due_minor,
                available_minor,
                ..
            } => (*due_minor, *available_minor, None),
        };
        let record = DeductionAttempt {
            id: self.ids.next("dda"),
            instance_id: instance.id.clone(),
            account_id: account.id.clone(),
            renews_expires_at: decision.attempt.renews_expires_at,
            attempt_offset_days: decision.attempt.attempt_offset_days,
            scheduled_at: decision.attempt.at,
            attempted_at: now,
            outcome: decision.result.outcome().to_string(),
            due_minor,
            available_minor,
            order_id: paid_order_id,
        };
        if buffer
            .attempt_made(
                tx,
                &record.instance_id,
                record.renews_expires_at,
                record.attempt_offset_days,
            )
            .await?
        {
            // Already made, yet the instance did not know: never charge twice. Moving the mark
            // forward is all that is left to do.
            tracing::warn!(
                instance_id = %instance.id,
                attempt_offset_days = record.attempt_offset_days,
                "deduction attempt already recorded; not charging again"
            );
            return Ok(Instance {
                last_deduction_attempt: decision.instance.last_deduction_attempt,
                ..instance.clone()
            });
        }
        buffer.add_attempt(record);
        if let AttemptResult::Paid { renewal, payment } = &decision.result {
            let draft = OrderDraft {
                kind: AUTO_RENEWAL_ORDER_KIND,
                instance,
                period: renewal.period,
                starts_at: renewal.starts_at,
                ends_at: renewal.ends_at,
                list_price_minor: renewal.list_price_minor,
            };
            self.write_paid_order(tx, account, &order_id, draft, payment, now, buffer)
                .await?;
        }
        self.buffer_records(buffer, now, account, decision.events, decision.notices);
        Ok(decision.instance)
    }
}
