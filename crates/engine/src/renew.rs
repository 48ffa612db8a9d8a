//! Renewing by hand: one instance for a period from its expiry, or several all or nothing.
//! Apart from buying (`instances.rs`), with which it shares only the paying of an order and
//! the instance view.

use tenure_core::lifecycle::next_due;
use tenure_core::order::OrderKind;
use tenure_core::overdue::FeeOperation;
use tenure_core::payment::PaymentSources;
use tenure_core::period::Period;
use tenure_core::renewal::{apply_renewal, plan_renewal, renewed_events, RenewalError};
use tenure_store::instances::{self, StoredInstance};
use tenure_store::orders::Order;
use tenure_store::Tx;

use crate::engine::Engine;
use crate::error::EngineError;
use crate::instances::{InstanceView, OrderDraft};

/// The most instances one bulk renewal may name.
pub const MAX_BULK_RENEWAL: usize = 100;

#[derive(Debug, Clone)]
pub struct RenewalResult {
    pub instance: InstanceView,
    pub order: Order,
    pub restored: bool,
}

fn renewal_error(error: RenewalError) -> EngineError {
    match &error {
        RenewalError::Released(_) => EngineError::refused("instance_released", error),
        RenewalError::NotSubscription(_) => EngineError::refused("not_renewable", error),
        RenewalError::PeriodNotSold { .. } => EngineError::invalid("period_not_sold", error),
        RenewalError::SpecGone | RenewalError::Overflow => {
            EngineError::refused("not_renewable", error)
        }
        RenewalError::EndsInThePast { .. } => {
            EngineError::invalid("renewal_ends_in_the_past", error)
        }
    }
}

impl Engine {
    /// Renews one instance by hand for `period`, from its current expiry.
    pub async fn renew(
        &self,
        tx: &mut Tx,
        instance_id: &str,
        period: Period,
        sources: PaymentSources,
    ) -> Result<RenewalResult, EngineError> {
        let now = self.clock.now();
        let stored = self.lock_instance(tx, instance_id).await?;
        let instance = stored.instance;
        let product = self.product(&instance.product_id)?;
        let plan = plan_renewal(&instance, product, period, now).map_err(renewal_error)?;
        let account = self.lock_account(tx, &instance.account_id).await?;
        self.ensure_not_overdue(tx, &account, FeeOperation::Renewal, instance.billing)
            .await?;
        let draft = OrderDraft {
            kind: OrderKind::Renewal,
            instance: &instance,
            period,
            starts_at: plan.starts_at,
            ends_at: plan.ends_at,
            list_price_minor: plan.list_price_minor,
        };
        let order = self.pay_order(tx, &account, draft, sources, now).await?;
        let renewed = apply_renewal(&instance, &plan);
        let next_due_at = next_due(&renewed, product).map(|due| due.at);
        instances::update(tx, &renewed, next_due_at).await?;
        let new_events = renewed_events(&instance, &plan, &order.id);
        self.record(tx, now, &account, &new_events, &[]).await?;
        let stored = StoredInstance {
            instance: renewed,
            next_due_at,
        };
        Ok(RenewalResult {
            instance: InstanceView::new(stored, Some(product)),
            order,
            restored: plan.restores,
        })
    }

    /// Renews several instances for one period, all or nothing: the first refusal names the
    /// instance and undoes the whole batch.
    /// What renewing `instance_ids` for `period` would do and cost, item by item: the renewal
    /// itself, run in a transaction that is then rolled back, so that a quote is the same rule
    /// as the renewal and writes nothing.
    pub async fn quote_renewals(
        &self,
        instance_ids: &[String],
        period: Period,
        sources: PaymentSources,
    ) -> Result<Vec<RenewalResult>, EngineError> {
        let mut tx = self.begin().await?;
        let quoted = self
            .renew_many(&mut tx, instance_ids, period, sources)
            .await;
        tx.rollback().await?;
        quoted
    }

    pub async fn renew_many(
        &self,
        tx: &mut Tx,
        instance_ids: &[String],
        period: Period,
        sources: PaymentSources,
    ) -> Result<Vec<RenewalResult>, EngineError> {
        if instance_ids.is_empty() || instance_ids.len() > MAX_BULK_RENEWAL {
            return Err(EngineError::invalid(
                "invalid_batch",
                format!("a bulk renewal names 1 to {MAX_BULK_RENEWAL} instances"),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(duplicate) = instance_ids.iter().find(|id| !seen.insert(id.as_str())) {
            return Err(EngineError::invalid(
                "invalid_batch",
                format!("instance {duplicate} appears twice in the batch"),
            ));
        }
        self.lock_instances_and_accounts(tx, instance_ids).await?;
        let mut results = Vec::with_capacity(instance_ids.len());
        for instance_id in instance_ids {
            let result = self
                .renew(tx, instance_id, period, sources)
                .await
                .map_err(|error| error.naming_instance(instance_id))?;
            results.push(result);
        }
        Ok(results)
    }
}
