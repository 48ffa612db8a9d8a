//! The two lists of the console (active resources, renewals not yet in effect) and the quote
//! of one unsubscription: reads that write nothing, apart from the use cases that do.

use jiff::Timestamp;
use tenure_core::lifecycle::Instance;
use tenure_core::refund::{refund_order, ActivationStatus, OrderRefund, Resource};
use tenure_store::instances;
use tenure_store::orders::{self, PeriodOrders, UnsubscribableFilter};
use tenure_store::Connection;

use super::{
    is_pending_renewal, refundable_period, EligibleResource, OrderRefundQuote, PendingRenewalOrder,
};
use crate::engine::Engine;
use crate::error::EngineError;

fn quote(period: &PeriodOrders, refund: OrderRefund) -> OrderRefundQuote {
    let opening = period.opening();
    OrderRefundQuote {
        order_id: opening.id.clone(),
        order_kind: opening.kind,
        latest_order_id: period.latest().id.clone(),
        starts_at: opening.starts_at,
        ends_at: opening.ends_at,
        refund,
    }
}

impl Engine {
    /// What unsubscribing `instance_id` at `now` would refund, order by order.
    pub async fn quote_unsubscription(
        &self,
        connection: &mut Connection,
        instance_id: &str,
    ) -> Result<EligibleResource, EngineError> {
        let now = self.clock.now();
        let stored = instances::get(connection, instance_id)
            .await?
            .ok_or_else(|| EngineError::not_found("instance", instance_id))?;
        let resource = self.resource_of(connection, &stored.instance).await?;
        let periods = orders::periods(connection, instance_id, now).await?;
        self.eligible_resource(connection, stored.instance, resource, &periods, now)
            .await
    }

    async fn eligible_resource(
        &self,
        connection: &mut Connection,
        instance: Instance,
        resource: Resource,
        periods: &[PeriodOrders],
        now: Timestamp,
    ) -> Result<EligibleResource, EngineError> {
        let Some(first) = periods.first().map(PeriodOrders::opening) else {
            return Err(EngineError::refused(
                "not_unsubscribable",
                format!("instance {} has no paid period left to refund", instance.id),
            ));
        };
        let activation_status = ActivationStatus::at(first.starts_at, now);
        let quotes = periods
            .iter()
            .map(|period| {
                let refundable = refundable_period(period, &self.catalog)?;
                Ok(quote(period, refund_order(resource, &refundable, now)))
            })
            .collect::<Result<Vec<OrderRefundQuote>, EngineError>>()?;
        let account = tenure_store::accounts::get(connection, &instance.account_id)
            .await?
            .ok_or_else(|| EngineError::not_found("account", &instance.account_id))?;
        Ok(EligibleResource {
            instance_id: instance.id,
            account_id: instance.account_id,
            product_id: instance.product_id,
            edition_id: instance.edition_id,
            spec_id: instance.spec_id,
            region: instance.region,
            resource_kind: resource.kind(),
            refund_type: resource.refund_type(activation_status),
            activation_status,
            order_id: first.id.clone(),
            ordered_at: first.created_at,
            expires_at: instance.expires_at,
            pending_renewal_orders: periods
                .iter()
                .filter(|period| is_pending_renewal(period.opening(), now))
                .count(),
            refund_minor: quotes.iter().map(|quote| quote.refund.refund_minor).sum(),
            currency: account.currency,
            orders: quotes,
        })
    }

    /// The "active resources" list: resources that can be unsubscribed now, with their quotes.
    pub async fn eligible_resources(
        &self,
        connection: &mut Connection,
        filter: &UnsubscribableFilter,
    ) -> Result<(Vec<EligibleResource>, Option<String>), EngineError> {
        let now = self.clock.now();
        let found = orders::unsubscribable(connection, filter, now, false).await?;
        let next_after = (found.len() as i64 == filter.limit)
            .then(|| found.last().map(|order| order.id.clone()))
            .flatten();
        let mut resources: Vec<EligibleResource> = Vec::new();
        for order in found {
            // An instance with two orders in effect (after a change) is listed once.
            if resources
                .iter()
                .any(|resource| resource.instance_id == order.instance_id)
            {
                continue;
            }
            let Some(stored) = instances::get(connection, &order.instance_id).await? else {
                continue;
            };
            let Ok(resource) = self.resource_of(connection, &stored.instance).await else {
                continue;
            };
            let periods = orders::periods(connection, &order.instance_id, now).await?;
            resources.push(
                self.eligible_resource(connection, stored.instance, resource, &periods, now)
                    .await?,
            );
        }
        Ok((resources, next_after))
    }

    /// The "renewals not yet in effect" list.
    pub async fn pending_renewal_orders(
        &self,
        connection: &mut Connection,
        filter: &UnsubscribableFilter,
    ) -> Result<Vec<PendingRenewalOrder>, EngineError> {
        let now = self.clock.now();
        let found = orders::unsubscribable(connection, filter, now, true).await?;
        let mut pending = Vec::with_capacity(found.len());
        for order in found {
            let Some(stored) = instances::get(connection, &order.instance_id).await? else {
                continue;
            };
            let Ok(resource) = self.resource_of(connection, &stored.instance).await else {
                continue;
            };
            let account = tenure_store::accounts::get(connection, &order.account_id)
                .await?
                .ok_or_else(|| EngineError::not_found("account", &order.account_id))?;
            // Priced from the period's latest value: a change may have re-priced it.
            let periods = orders::periods(connection, &order.instance_id, now).await?;
            let Some(period) = periods
                .iter()
                .find(|period| period.opening().id == order.id)
            else {
                continue;
            };
            let refund = refund_order(resource, &refundable_period(period, &self.catalog)?, now);
            pending.push(PendingRenewalOrder {
                order_id: order.id,
                instance_id: order.instance_id,
                account_id: order.account_id,
                product_id: order.product_id,
                edition_id: order.edition_id,
                spec_id: order.spec_id,
                period: order.period,
                ordered_at: order.created_at,
                starts_at: order.starts_at,
                updated_expiration_time: order.ends_at,
                refund_type: refund.refund_type,
                refund_minor: refund.refund_minor,
                currency: account.currency,
                refund,
            });
        }
        Ok(pending)
    }
}
