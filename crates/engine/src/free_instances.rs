//! Free (public) instances: "continue trial" unfreezes a frozen one, and an upgrade turns one
//! into a paid subscription of another edition of the same product ("Upgrade to
//! Enterprise Edition"). Being overdue never touches a free instance, but the upgrade is a fee
//! operation and is refused while the account is overdue.

use jiff::Timestamp;
use tenure_core::catalog::Billing;
use tenure_core::lifecycle::usage_steps::{continue_trial, ContinueTrialError};
use tenure_core::lifecycle::{next_step_due, InstanceStatus, RenewalMode};
use tenure_core::order::OrderKind;
use tenure_core::overdue::FeeOperation;
use tenure_core::payment::PaymentSources;
use tenure_core::period::Period;
use tenure_core::purchase::{converted_to_subscription_events, plan_purchase, PurchaseRequest};
use tenure_store::accounts::Account;
use tenure_store::instances::{self, StoredInstance};
use tenure_store::Tx;

use crate::engine::Engine;
use crate::error::EngineError;
use crate::instances::{InstanceView, OrderDraft, PurchaseResult};

/// What a free instance becomes when upgraded.
#[derive(Debug, Clone)]
pub struct FreeUpgrade {
    pub edition_id: String,
    pub spec_id: Option<String>,
    pub period: Period,
    /// `Some` turns auto-renewal on, optionally with its period.
    pub auto_renew: Option<Option<Period>>,
    pub sources: PaymentSources,
}

impl Engine {
    /// Locks the instance, then its account (the project's lock order).
    async fn lock_instance_and_account(
        &self,
        tx: &mut Tx,
        instance_id: &str,
    ) -> Result<(Account, StoredInstance), EngineError> {
        let stored = self.lock_instance(tx, instance_id).await?;
        let account = self.lock_account(tx, &stored.instance.account_id).await?;
        Ok((account, stored))
    }

    /// "Continue trial": a frozen free instance runs again for another inactivity period.
    pub async fn continue_trial(
        &self,
        tx: &mut Tx,
        instance_id: &str,
    ) -> Result<InstanceView, EngineError> {
        let now = self.clock.now();
        let (account, stored) = self.lock_instance_and_account(tx, instance_id).await?;
        let product = self.product(&stored.instance.product_id)?;
        let outcome = continue_trial(&stored.instance, now).map_err(|error| match error {
            ContinueTrialError::NotFree(_) => EngineError::refused("not_free", error),
            ContinueTrialError::NotFrozen(_) => EngineError::refused("not_frozen", error),
        })?;
        let next_due_at =
            next_step_due(&outcome.instance, product, account.overdue_since).map(|due| due.at);
        instances::update(tx, &outcome.instance, next_due_at).await?;
        self.record(tx, now, &account, &outcome.events, &outcome.notices)
            .await?;
        Ok(InstanceView::new(
            StoredInstance {
                instance: outcome.instance,
                next_due_at,
            },
            Some(product),
        ))
    }

    /// Turns a free instance (running or frozen) into a subscription of a paid edition of
    /// the same product, bought from now for `period`, with a purchase order.
    pub async fn upgrade_free_instance(
        &self,
        tx: &mut Tx,
        instance_id: &str,
        upgrade: FreeUpgrade,
    ) -> Result<PurchaseResult, EngineError> {
        let now: Timestamp = self.clock.now();
        let (account, stored) = self.lock_instance_and_account(tx, instance_id).await?;
        let free = stored.instance;
        let is_free = free.billing == Billing::Free
            && matches!(free.status, InstanceStatus::Active | InstanceStatus::Frozen);
        if !is_free {
            return Err(EngineError::refused(
                "not_free",
                format!(
                    "instance {} is not a running or frozen free instance",
                    free.id
                ),
            ));
        }
        self.ensure_not_overdue(tx, &account, FeeOperation::Upgrade, Billing::Subscription)
            .await?;
        let request = PurchaseRequest {
            product_id: free.product_id.clone(),
            edition_id: upgrade.edition_id.clone(),
            spec_id: upgrade.spec_id.clone(),
            region: free.region.clone(),
            billing: Billing::Subscription,
            period: Some(upgrade.period),
            auto_renew_period: upgrade.auto_renew.flatten(),
            activates_at: None,
        };
        let plan = plan_purchase(&self.catalog, &request, upgrade.auto_renew.is_some(), now)
            .map_err(|error| EngineError::invalid("invalid_upgrade", error))?;
        let expires_at = plan.expires_at.expect("a subscription plan has an expiry");
        let product = self.product(&free.product_id)?;
        let mut paid = free.clone();
        paid.edition_id = upgrade.edition_id;
        paid.spec_id = plan.spec_id.clone();
        paid.billing = Billing::Subscription;
        paid.status = InstanceStatus::Active;
        paid.expires_at = Some(expires_at);
        paid.subscription_period = Some(upgrade.period);
        paid.auto_renew_period = plan.auto_renew_period;
        paid.renewal_mode = if plan.auto_renew_period.is_some() {
            RenewalMode::Auto
        } else {
            RenewalMode::Manual
        };
        // The first paid order of the instance is its purchase: refunds and renewals treat it
        // like any other subscription bought today.
        let draft = OrderDraft {
            kind: OrderKind::Purchase,
            instance: &paid,
            period: upgrade.period,
            starts_at: now,
            ends_at: expires_at,
            list_price_minor: plan.list_price_minor,
        };
        let order = self
            .pay_order(tx, &account, draft, upgrade.sources, now)
            .await?;
        let next_due_at = next_step_due(&paid, product, account.overdue_since).map(|due| due.at);
        instances::update(tx, &paid, next_due_at).await?;
        let events = converted_to_subscription_events(
            &free,
            &paid,
            &order.id,
            expires_at,
            plan.list_price_minor,
        );
        self.record(tx, now, &account, &events, &[]).await?;
        Ok(PurchaseResult {
            instance: InstanceView::new(
                StoredInstance {
                    instance: paid,
                    next_due_at,
                },
                Some(product),
            ),
            order: Some(order),
        })
    }
}
