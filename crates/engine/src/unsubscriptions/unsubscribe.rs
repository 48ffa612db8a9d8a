//! Unsubscribing an instance, alone or in a batch of partial-refund resources: it is released
//! at once and every paid period is cancelled and refunded. Apart from unsubscribing one
//! pending renewal (`renewal.rs`), which leaves the instance running.

use tenure_core::change::withdrawal_reason;
use tenure_core::lifecycle::{Instance, InstanceStatus};
use tenure_core::refund::{ActivationStatus, WrittenRefund, MAX_BATCH_UNSUBSCRIPTIONS};
use tenure_core::unsubscription::{unsubscribed_event, unsubscribed_notice};
use tenure_store::instances::{self, StoredInstance};
use tenure_store::{approvals, orders, Tx};

use super::{written, Confirmations, UnsubscriptionResult};
use crate::engine::Engine;
use crate::error::EngineError;
use crate::instances::InstanceView;

impl Engine {
    /// Unsubscribes an instance: releases it at once (data deleted), cancels its current order
    /// and every pending renewal, and refunds what each has not used.
    pub async fn unsubscribe_instance(
        &self,
        tx: &mut Tx,
        instance_id: &str,
        confirmations: Confirmations,
    ) -> Result<UnsubscriptionResult, EngineError> {
        confirmations.require(true)?;
        self.unsubscribe_locked(tx, instance_id, false).await
    }

    async fn unsubscribe_locked(
        &self,
        tx: &mut Tx,
        instance_id: &str,
        in_batch: bool,
    ) -> Result<UnsubscriptionResult, EngineError> {
        let now = self.clock.now();
        let stored = self.lock_instance(tx, instance_id).await?;
        let instance = stored.instance;
        let resource = self.resource_of(tx, &instance).await?;
        // A refund to the balance pays unpaid bills: lock what settling them changes.
        let account = self.lock_for_settlement(tx, &instance.account_id).await?;
        let periods = orders::periods(tx, instance_id, now).await?;
        let activation = periods
            .first()
            .map_or(ActivationStatus::Activated, |period| {
                ActivationStatus::at(period.opening().starts_at, now)
            });
        let refund_type = resource.refund_type(activation);
        if in_batch && !refund_type.allows_batch() {
            return Err(EngineError::refused(
                "not_batch_refundable",
                format!(
                    "instance {instance_id} is {}: only partial_refund resources can be unsubscribed in a batch; unsubscribe it alone",
                    refund_type.as_str()
                ),
            ));
        }
        let unsubscription_id = self.ids.next("uns");
        let mut refunds = Vec::with_capacity(periods.len());
        let mut new_events = Vec::with_capacity(periods.len() + 1);
        for period in &periods {
            let (refund, event) = self
                .cancel_and_refund(tx, &account, &unsubscription_id, resource, period, now)
                .await?;
            refunds.push(refund);
            new_events.push(event);
        }
        let released = Instance {
            status: InstanceStatus::Unsubscribed,
            released_at: Some(now),
            ..instance.clone()
        };
        // A change waiting for the operator cannot apply to a released instance: withdraw it.
        if let Some(reason) = withdrawal_reason(&instance, &released) {
            if let Some(pending) = approvals::pending_for_instance(tx, instance_id).await? {
                let event = self
                    .withdraw_pending_change(tx, &pending, reason, now)
                    .await?;
                new_events.push(event);
            }
        }
        // Final: no step is due any more, so the scheduler never touches it again.
        instances::update(tx, &released, None).await?;
        let refund_minor: i64 = refunds.iter().map(|refund| refund.refund_minor).sum();
        let cancelled_orders: Vec<String> = periods
            .iter()
            .map(|period| period.opening().id.clone())
            .collect();
        let product_name = self
            .catalog
            .product(&instance.product_id)
            .map_or(instance.product_id.clone(), |product| product.name.clone());
        new_events.insert(
            0,
            unsubscribed_event(
                &instance,
                &unsubscription_id,
                resource.kind(),
                refund_type,
                &cancelled_orders,
                refund_minor,
            ),
        );
        let written: Vec<WrittenRefund> = refunds.iter().map(written).collect();
        let notice = unsubscribed_notice(
            &instance,
            &product_name,
            &written,
            &account.currency,
            &self.catalog.notices,
        );
        self.record(tx, now, &account, &new_events, &[notice])
            .await?;
        let credited_minor = refunds.iter().map(super::credited_minor).sum();
        let settlement = self
            .settle_after_refund(tx, &account.id, credited_minor, now)
            .await?;
        let stored = StoredInstance {
            instance: released,
            next_due_at: None,
        };
        Ok(UnsubscriptionResult {
            unsubscription_id,
            instance: InstanceView::new(stored, self.catalog.product(&instance.product_id)),
            resource_kind: resource.kind(),
            refund_type,
            refund_minor,
            currency: account.currency.clone(),
            cancelled_orders,
            refunds,
            settlement,
        })
    }

    /// Unsubscribes up to [`MAX_BATCH_UNSUBSCRIPTIONS`] partial-refund resources, all or
    /// nothing: one that is not partial-refund (or any other refusal) refuses the whole batch.
    pub async fn unsubscribe_many(
        &self,
        tx: &mut Tx,
        instance_ids: &[String],
        confirmations: Confirmations,
    ) -> Result<Vec<UnsubscriptionResult>, EngineError> {
        if instance_ids.is_empty() || instance_ids.len() > MAX_BATCH_UNSUBSCRIPTIONS {
            return Err(EngineError::invalid(
                "invalid_batch",
                format!(
                    "a batch unsubscription names 1 to {MAX_BATCH_UNSUBSCRIPTIONS} instances; this one names {}",
                    instance_ids.len()
                ),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(duplicate) = instance_ids.iter().find(|id| !seen.insert(id.as_str())) {
            return Err(EngineError::invalid(
                "invalid_batch",
                format!("instance {duplicate} appears twice in the batch"),
            ));
        }
        confirmations.require(true)?;
        self.lock_instances_and_settling_accounts(tx, instance_ids)
            .await?;
        let mut results = Vec::with_capacity(instance_ids.len());
        for instance_id in instance_ids {
            let result = self
                .unsubscribe_locked(tx, instance_id, true)
                .await
                .map_err(|error| error.naming_instance(instance_id))?;
            results.push(result);
        }
        Ok(results)
    }
}
