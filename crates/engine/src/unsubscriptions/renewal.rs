//! Unsubscribing one pending renewal order alone: its refund, the later renewals re-dated and
//! the expiry moved back. Apart from unsubscribing the instance, since the instance keeps running.

use tenure_core::auto_renewal::skip_passed_attempts;
use tenure_core::lifecycle::{next_due, Instance};
use tenure_core::pending_renewal::{redate_without, renewal_unsubscribed, PendingRenewal};
use tenure_store::instances::{self, StoredInstance};
use tenure_store::orders::{self, PeriodOrders};
use tenure_store::Tx;

use super::{is_pending_renewal, written, Confirmations, RenewalUnsubscriptionResult};
use crate::engine::Engine;
use crate::error::EngineError;
use crate::instances::InstanceView;

impl Engine {
    /// Unsubscribes one pending renewal order alone: its whole cash comes back (unless the
    /// resource is nonrefundable), the current service is untouched, later renewals are
    /// re-dated and the expiry moves back.
    pub async fn unsubscribe_renewal(
        &self,
        tx: &mut Tx,
        order_id: &str,
        confirmations: Confirmations,
    ) -> Result<RenewalUnsubscriptionResult, EngineError> {
        confirmations.require(false)?;
        let now = self.clock.now();
        let order = orders::get(tx, order_id)
            .await?
            .ok_or_else(|| EngineError::not_found("order", order_id))?;
        let stored = self.lock_instance(tx, &order.instance_id).await?;
        let instance = stored.instance;
        // Re-read under the instance lock: a concurrent unsubscription may have cancelled it.
        let periods = orders::periods(tx, &instance.id, now).await?;
        let Some(period) = periods
            .iter()
            .find(|period| period.opening().id == order_id)
        else {
            return Err(EngineError::refused(
                "order_not_pending",
                format!(
                    "order {order_id} is a {} order, {}: only paid renewal orders not yet in effect can be unsubscribed alone",
                    order.kind, order.status
                ),
            ));
        };
        let order = period.opening().clone();
        if !is_pending_renewal(&order, now) {
            return Err(EngineError::refused(
                "order_not_pending",
                format!(
                    "order {order_id} is in effect since {}: unsubscribe the instance instead",
                    order.starts_at
                ),
            ));
        }
        let resource = self.resource_of(tx, &instance).await?;
        // A refund to the balance pays unpaid bills: lock what settling them changes.
        let account = self.lock_for_settlement(tx, &instance.account_id).await?;
        let pending: Vec<PendingRenewal> = periods
            .iter()
            .map(PeriodOrders::opening)
            .filter(|live| live.starts_at > now)
            .map(|live| PendingRenewal {
                order_id: live.id.clone(),
                period: live.period,
                starts_at: live.starts_at,
                ends_at: live.ends_at,
            })
            .collect();
        let redating = redate_without(&pending, order_id).expect("the order is pending");
        let unsubscription_id = self.ids.next("uns");
        let (refund, refund_event) = self
            .cancel_and_refund(tx, &account, &unsubscription_id, resource, period, now)
            .await?;
        for later in &redating.redated {
            orders::redate(
                tx,
                &instance.id,
                &later.order_id,
                later.starts_at,
                later.ends_at,
            )
            .await?;
        }
        let product = self.product(&instance.product_id)?;
        let updated = skip_passed_attempts(
            &Instance {
                expires_at: Some(redating.expires_at),
                ..instance.clone()
            },
            &product.auto_renewal,
            now,
        );
        let next_due_at = next_due(&updated, product).map(|due| due.at);
        instances::update(tx, &updated, next_due_at).await?;
        let (event, notice) = renewal_unsubscribed(
            &instance,
            &unsubscription_id,
            order_id,
            &redating,
            &written(&refund),
            &account.currency,
            &self.catalog.notices,
        );
        self.record(tx, now, &account, &[event, refund_event], &[notice])
            .await?;
        let settlement = self
            .settle_after_refund(tx, &account.id, super::credited_minor(&refund), now)
            .await?;
        Ok(RenewalUnsubscriptionResult {
            unsubscription_id,
            order_id: order_id.to_string(),
            refund,
            previous_expires_at: instance.expires_at,
            expires_at: redating.expires_at,
            redated_orders: redating.redated,
            instance: InstanceView::new(
                StoredInstance {
                    instance: updated,
                    next_due_at,
                },
                Some(product),
            ),
            settlement,
        })
    }
}
