//! Overdue accounts: settling unpaid bills, the account's overdue state, and what it does to
//! its pay-as-you-go instances (stop after the grace hours, restore once paid). The rules are
//! in `tenure_core::overdue` and `tenure_core::bill`; this is where they meet the database.
//!
//! Locks are taken in one order everywhere: instances, then the account, then its bills (the
//! scheduler's batches lock due instances first and their accounts next, and so does renewal),
//! so two use cases never wait on each other in opposite orders.

use jiff::Timestamp;
use tenure_core::bill::{paid_event, settle_in_order};
use tenure_core::catalog::Billing;
use tenure_core::ledger::Entry;
use tenure_core::lifecycle::usage_steps::restore_after_payment;
use tenure_core::lifecycle::{next_step_due, InstanceStatus};
use tenure_core::overdue::{became_overdue, check_fee_operation, overdue_settled, FeeOperation};
use tenure_store::accounts::{self, Account};
use tenure_store::{bills, instances, ledger, Tx};

use crate::engine::Engine;
use crate::error::EngineError;

/// What settling an account paid and restored.
#[derive(Debug, Clone, Default)]
pub struct Settlement {
    /// Bills paid, oldest first.
    pub bills_paid: Vec<String>,
    pub paid_minor: i64,
    /// Stopped pay-as-you-go instances running again because the debt is paid.
    pub instances_restored: Vec<String>,
    /// The account was overdue before and is not any more.
    pub overdue_settled: bool,
    /// The account has just become overdue.
    pub became_overdue: bool,
}

impl Engine {
    /// Locks what settling an account can change, in the project's lock order: its
    /// pay-as-you-go instances (running and stopped), then the account itself.
    pub(crate) async fn lock_for_settlement(
        &self,
        tx: &mut Tx,
        account_id: &str,
    ) -> Result<Account, EngineError> {
        for status in [InstanceStatus::Active, InstanceStatus::Stopped] {
            instances::lock_of_account(tx, account_id, Billing::Payg, status).await?;
        }
        self.lock_account(tx, account_id).await
    }

    /// Refuses a fee operation (purchase, upgrade, renewal) of something billed as `billing`
    /// while the account is overdue, with `account_overdue` (402). Free instances are never
    /// refused. The caller holds the account's lock, so a concurrent deposit cannot slip
    /// between this check and the operation.
    pub async fn ensure_not_overdue(
        &self,
        tx: &mut Tx,
        account: &Account,
        operation: FeeOperation,
        billing: Billing,
    ) -> Result<(), EngineError> {
        if account.overdue_since.is_none() || billing == Billing::Free {
            return Ok(());
        }
        let debt_minor = bills::debt_minor(tx, &account.id).await?;
        check_fee_operation(operation, billing, account.overdue_since, debt_minor).map_err(
            |refusal| EngineError::PaymentRequired {
                code: "account_overdue",
                message: refusal.to_string(),
            },
        )
    }

    /// Pays the account's unpaid bills that its credit covers, oldest first, then brings its
    /// overdue state and its pay-as-you-go instances in line: overdue from now if a bill is
    /// left unpaid, settled (and stopped instances restored) when none is. The caller has
    /// taken [`Engine::lock_for_settlement`].
    pub(crate) async fn settle_account(
        &self,
        tx: &mut Tx,
        account_id: &str,
        now: Timestamp,
    ) -> Result<Settlement, EngineError> {
        let account = self.lock_account(tx, account_id).await?;
        let unpaid = bills::lock_unpaid(tx, account_id).await?;
        let mut settlement = Settlement::default();
        if unpaid.is_empty() && account.overdue_since.is_none() {
            return Ok(settlement);
        }
        let funds = ledger::funds(tx, account_id).await?;
        let amounts: Vec<i64> = unpaid.iter().map(|bill| bill.amount_minor).collect();
        let payments = settle_in_order(&amounts, funds);
        let mut new_events = Vec::new();
        let mut notices = Vec::new();
        for (bill, payment) in unpaid.iter().zip(&payments) {
            let entry_id = self.ids.next("led");
            let memo = format!("bill {} of {}", bill.id, bill.instance_id);
            ledger::write_entry(
                tx,
                &entry_id,
                account_id,
                &Entry::bill_payment(payment),
                now,
                None,
                &memo,
            )
            .await?;
            bills::mark_paid(
                tx,
                &bill.id,
                payment.balance_minor,
                payment.coupon_minor,
                now,
            )
            .await?;
            new_events.push(paid_event(
                account_id,
                &bill.instance_id,
                &bill.id,
                bill.amount_minor,
                payment,
                bill.cycle_start,
                &entry_id,
            ));
            settlement.bills_paid.push(bill.id.clone());
            settlement.paid_minor += payment.total_minor();
        }
        let left_unpaid = &unpaid[payments.len()..];
        let debt_minor: i64 = left_unpaid.iter().map(|bill| bill.amount_minor).sum();
        let overdue_since = match (account.overdue_since, left_unpaid.is_empty()) {
            (None, false) => {
                let available_minor = funds.balance_minor + funds.coupons_minor;
                let (event, overdue_notices) = became_overdue(
                    account_id,
                    now,
                    debt_minor,
                    available_minor,
                    &account.currency,
                    &self.catalog.notices,
                );
                new_events.push(event);
                notices.extend(overdue_notices);
                settlement.became_overdue = true;
                Some(now)
            }
            (Some(since), true) => {
                let (event, settled_notices) = overdue_settled(
                    account_id,
                    since,
                    settlement.paid_minor,
                    &account.currency,
                    &self.catalog.notices,
                );
                new_events.push(event);
                notices.extend(settled_notices);
                settlement.overdue_settled = true;
                None
            }
            (unchanged, _) => unchanged,
        };
        self.record(tx, now, &account, &new_events, &notices)
            .await?;
        if settlement.became_overdue || settlement.overdue_settled {
            accounts::set_overdue_since(tx, account_id, overdue_since).await?;
            settlement.instances_restored = self
                .reschedule_pay_as_you_go(tx, &account, overdue_since, now)
                .await?;
        }
        if settlement.paid_minor > 0 {
            self.check_low_balance(tx, account_id, now, true).await?;
        }
        Ok(settlement)
    }

    /// Money that came back to the balance or the coupons (an unsubscription's or a
    /// downgrade's refund) pays unpaid bills exactly as a deposit does: [`Engine::settle_account`]
    /// in the refund's transaction, so a refunded account is never seen funded and overdue.
    /// `credited_minor` is what the refund added to the balance and the coupons; nothing else
    /// can pay a bill. The caller has taken [`Engine::lock_for_settlement`].
    pub(crate) async fn settle_after_refund(
        &self,
        tx: &mut Tx,
        account_id: &str,
        credited_minor: i64,
        now: Timestamp,
    ) -> Result<Settlement, EngineError> {
        if credited_minor == 0 {
            return Ok(Settlement::default());
        }
        self.settle_account(tx, account_id, now).await
    }

    /// After the account's overdue state changed: its running pay-as-you-go instances get
    /// their stop time (or lose it), and stopped ones run again once nothing is owed.
    /// Answers the restored instances.
    async fn reschedule_pay_as_you_go(
        &self,
        tx: &mut Tx,
        account: &Account,
        overdue_since: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<Vec<String>, EngineError> {
        let mut restored = Vec::new();
        let mut affected =
            instances::lock_of_account(tx, &account.id, Billing::Payg, InstanceStatus::Active)
                .await?;
        if overdue_since.is_none() {
            affected.extend(
                instances::lock_of_account(tx, &account.id, Billing::Payg, InstanceStatus::Stopped)
                    .await?,
            );
        }
        for stored in affected {
            let product = self.product(&stored.instance.product_id)?;
            let mut instance = stored.instance;
            if overdue_since.is_none() {
                if let Some(outcome) = restore_after_payment(&instance) {
                    self.record(tx, now, account, &outcome.events, &outcome.notices)
                        .await?;
                    restored.push(instance.id.clone());
                    instance = outcome.instance;
                }
            }
            let next_due_at = next_step_due(&instance, product, overdue_since).map(|due| due.at);
            instances::update(tx, &instance, next_due_at).await?;
        }
        Ok(restored)
    }
}
