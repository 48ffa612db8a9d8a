//! Unsubscription: releasing a prepaid instance at once with a refund of what
//! it has not used, unsubscribing one pending renewal alone, batches of partial-refund
//! resources, the two lists of the console, and the arrival of outside refunds.
//!
//! The rules (refund type, amount, destination, arrival) are `tenure_core::refund`; the
//! re-dating of later renewals is `tenure_core::pending_renewal`. Here: load, decide, write.
//!
//! Unsubscribing works on service periods (`orders::periods`), not on orders one by one: a
//! period is its opening order (purchase, renewal or auto-renewal) plus the upgrades and
//! downgrades in it, and its refund is computed from the value its latest order left it. A
//! period is cancelled by setting its orders' status to `cancelled`, which takes it out of
//! `orders::paid_periods`, so neither a second unsubscription nor a later change sees it again.

use jiff::Timestamp;
use serde::Serialize;
use serde_json::json;
use tenure_core::auto_renewal::skip_passed_attempts;
use tenure_core::catalog::{Billing, Channel};
use tenure_core::event::{EventDraft, EventKind, NoticeDraft};
use tenure_core::ledger::Entry;
use tenure_core::lifecycle::{next_due, Instance, InstanceStatus};
use tenure_core::payment::PaymentMethod;
use tenure_core::pending_renewal::{redate_without, PendingRenewal, Redated};
use tenure_core::period::Period;
use tenure_core::proration::Usage;
use tenure_core::refund::{
    refund_order, ActivationStatus, OrderRefund, RefundType, RefundablePeriod, Resource,
    ResourceKind, MAX_BATCH_UNSUBSCRIPTIONS,
};
use tenure_store::accounts::Account;
use tenure_store::instances::{self, StoredInstance};
use tenure_store::orders::{self, Order, PeriodOrders, UnsubscribableFilter, RENEWAL_KINDS};
use tenure_store::refunds::{self, Refund};
use tenure_store::Connection;
use tenure_store::{approvals, ledger, resource_plans, Tx};

use crate::engine::Engine;
use crate::error::EngineError;
use crate::instances::InstanceView;

/// The two confirmations asked for before anything is released.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Confirmations {
    /// The caller has seen and accepts the refund amount.
    pub confirm_refund: bool,
    /// The caller has backed up or migrated the data that unsubscribing deletes for good.
    pub confirm_data_backed_up: bool,
}

impl Confirmations {
    /// Refuses, naming every missing confirmation. Unsubscribing a pending renewal deletes no
    /// data, so it needs only the refund confirmation.
    fn require(self, deletes_data: bool) -> Result<(), EngineError> {
        let mut missing = Vec::new();
        if !self.confirm_refund {
            missing.push("`confirm_refund: true` (you accept the refund amount)");
        }
        if deletes_data && !self.confirm_data_backed_up {
            missing.push(
                "`confirm_data_backed_up: true` (the instance's data is deleted for good; back it up first)",
            );
        }
        if missing.is_empty() {
            Ok(())
        } else {
            Err(EngineError::invalid(
                "confirmation_required",
                format!(
                    "unsubscribing needs {}; nothing was changed",
                    missing.join(" and ")
                ),
            ))
        }
    }
}

/// One service period's refund as a quote (nothing written).
#[derive(Debug, Clone, Serialize)]
pub struct OrderRefundQuote {
    /// The order that opened the period (purchase, renewal or auto-renewal).
    pub order_id: String,
    pub order_kind: String,
    /// The order that last set the period's value (the opening order, or its last change).
    pub latest_order_id: String,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    #[serde(flatten)]
    pub refund: OrderRefund,
}

/// A resource as the "active resources" list shows it: what unsubscribing it now would refund.
#[derive(Debug, Clone, Serialize)]
pub struct EligibleResource {
    pub instance_id: String,
    pub account_id: String,
    pub product_id: String,
    pub edition_id: String,
    pub spec_id: String,
    pub region: String,
    pub resource_kind: ResourceKind,
    pub refund_type: RefundType,
    pub activation_status: ActivationStatus,
    /// The order the resource runs on (or, for an unactivated plan, will run on).
    pub order_id: String,
    /// The order time of that order.
    pub ordered_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub pending_renewal_orders: usize,
    pub refund_minor: i64,
    pub currency: String,
    /// One line per service period that unsubscribing cancels.
    pub orders: Vec<OrderRefundQuote>,
}

/// A pending renewal order as the "renewals not yet in effect" list shows it.
#[derive(Debug, Clone, Serialize)]
pub struct PendingRenewalOrder {
    pub order_id: String,
    pub instance_id: String,
    pub account_id: String,
    pub product_id: String,
    pub edition_id: String,
    pub spec_id: String,
    pub period: String,
    pub ordered_at: Timestamp,
    pub starts_at: Timestamp,
    /// The instance's expiry with this order: pick an order by it.
    pub updated_expiration_time: Timestamp,
    pub refund_type: RefundType,
    pub refund_minor: i64,
    pub currency: String,
    pub refund: OrderRefund,
}

/// The answer to unsubscribing an instance.
#[derive(Debug, Clone, Serialize)]
pub struct UnsubscriptionResult {
    pub unsubscription_id: String,
    pub instance: InstanceView,
    pub resource_kind: ResourceKind,
    pub refund_type: RefundType,
    pub refund_minor: i64,
    pub currency: String,
    /// The orders that opened the current period and every pending renewal, now cancelled
    /// (with any upgrade or downgrade in those periods).
    pub cancelled_orders: Vec<String>,
    /// One itemised refund per cancelled period.
    pub refunds: Vec<Refund>,
}

/// The answer to unsubscribing one pending renewal order.
#[derive(Debug, Clone, Serialize)]
pub struct RenewalUnsubscriptionResult {
    pub unsubscription_id: String,
    pub order_id: String,
    pub refund: Refund,
    pub previous_expires_at: Option<Timestamp>,
    /// The instance's updated expiration time.
    pub expires_at: Timestamp,
    /// Later pending renewals with their new dates.
    pub redated_orders: Vec<Redated>,
    pub instance: InstanceView,
}

/// A service period as the refund rules see it: how its opening order was paid, the value its
/// latest order left it, and the cash that went in (opening order, upgrade charges) and out
/// (downgrade refunds) of it.
fn refundable_period(period: &PeriodOrders) -> RefundablePeriod {
    let opening = period.opening();
    let payments = period.orders.iter().map(Order::payment);
    RefundablePeriod {
        paid_at: opening.created_at,
        payment: opening.payment(),
        starts_at: opening.starts_at,
        ends_at: opening.ends_at,
        value: period.latest().period_value(),
        cash_paid_minor: payments.clone().map(|payment| payment.cash_minor()).sum(),
        voucher_paid_minor: payments.map(|payment| payment.voucher_minor).sum(),
        refunded_before_minor: period.orders.iter().map(|order| order.refunded_minor).sum(),
    }
}

fn quote(period: &PeriodOrders, refund: OrderRefund) -> OrderRefundQuote {
    let opening = period.opening();
    OrderRefundQuote {
        order_id: opening.id.clone(),
        order_kind: opening.kind.clone(),
        latest_order_id: period.latest().id.clone(),
        starts_at: opening.starts_at,
        ends_at: opening.ends_at,
        refund,
    }
}

fn is_pending_renewal(order: &Order, now: Timestamp) -> bool {
    RENEWAL_KINDS.contains(&order.kind.as_str()) && order.starts_at > now
}

fn with_instance(instance_id: &str, error: EngineError) -> EngineError {
    match error {
        EngineError::Invalid { code, message } => EngineError::Invalid {
            code,
            message: format!("instance {instance_id}: {message}"),
        },
        EngineError::Refused { code, message } => EngineError::Refused {
            code,
            message: format!("instance {instance_id}: {message}"),
        },
        other => other,
    }
}

impl Engine {
    /// What the refund rules need to know about an instance, or why it cannot be unsubscribed.
    async fn resource_of(
        &self,
        connection: &mut Connection,
        instance: &Instance,
    ) -> Result<Resource, EngineError> {
        if instance.status == InstanceStatus::Unsubscribed {
            return Err(EngineError::refused(
                "already_unsubscribed",
                format!(
                    "instance {} was already unsubscribed and refunded",
                    instance.id
                ),
            ));
        }
        match instance.billing {
            Billing::Payg | Billing::Free => {
                return Err(EngineError::refused(
                    "not_unsubscribable",
                    format!(
                        "instance {} is {}: only prepaid resources (subscriptions, resource plans) are unsubscribed; release it instead",
                        instance.id,
                        instance.billing.as_str()
                    ),
                ))
            }
            Billing::Subscription | Billing::ResourcePlan => {}
        }
        if instance.status != InstanceStatus::Active {
            return Err(EngineError::refused(
                "not_unsubscribable",
                format!(
                    "instance {} is {}: only active resources can be unsubscribed",
                    instance.id,
                    instance.status.as_str()
                ),
            ));
        }
        if instance.billing == Billing::ResourcePlan {
            let quota = resource_plans::get(connection, &instance.id)
                .await?
                .expect("every resource plan has its quota row");
            return Ok(Resource::ResourcePlan {
                quota: quota.usage(),
            });
        }
        // An edition withdrawn from the catalog keeps the default: refundable.
        let refundable = self
            .catalog
            .product(&instance.product_id)
            .and_then(|product| product.edition(&instance.edition_id))
            .is_none_or(|edition| edition.refundable);
        Ok(Resource::Regular { refundable })
    }

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
        let quotes: Vec<OrderRefundQuote> = periods
            .iter()
            .map(|period| {
                quote(
                    period,
                    refund_order(resource, &refundable_period(period), now),
                )
            })
            .collect();
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
            let refund = refund_order(resource, &refundable_period(period), now);
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

    /// Cancels a service period and writes its refund: the refund row, the ledger entry, the
    /// event.
    async fn cancel_and_refund(
        &self,
        tx: &mut Tx,
        account: &Account,
        unsubscription_id: &str,
        resource: Resource,
        period: &PeriodOrders,
        now: Timestamp,
    ) -> Result<(Refund, EventDraft), EngineError> {
        let order = period.opening();
        if refunds::for_order(tx, &order.id).await?.is_some() {
            // The unique order_id would refuse it too; say why in words.
            return Err(EngineError::refused(
                "already_refunded",
                format!("order {} was already refunded", order.id),
            ));
        }
        let decision = refund_order(resource, &refundable_period(period), now);
        let latest = period.latest();
        let refund = Refund {
            id: self.ids.next("rfd"),
            unsubscription_id: unsubscription_id.to_string(),
            account_id: account.id.clone(),
            instance_id: order.instance_id.clone(),
            order_id: order.id.clone(),
            resource_kind: match resource.kind() {
                ResourceKind::Regular => "regular",
                ResourceKind::ResourcePlan => "resource_plan",
            }
            .to_string(),
            refund_type: decision.refund_type.as_str().to_string(),
            cash_paid_minor: decision.cash_paid_minor,
            refunded_before_minor: decision.refunded_before_minor,
            value_cash_minor: decision.value_cash_minor,
            voucher_kept_minor: decision.voucher_kept_minor,
            kept_minor: decision.kept_minor,
            refund_minor: decision.refund_minor,
            to_coupons_minor: decision.split.to_coupons_minor,
            to_balance_minor: decision.split.to_balance_minor,
            to_external_minor: decision.split.to_external_minor,
            destination: decision.destination.as_str().to_string(),
            days_since_payment: decision.days_since_payment,
            status: decision.status.as_str().to_string(),
            created_at: now,
            expected_arrival_by: decision.expected_arrival_by,
            refunded_at: (decision.status == tenure_core::refund::RefundStatus::Refunded)
                .then_some(now),
            details: json!({
                "basis": decision.basis,
                "order_kind": order.kind,
                "order_period": order.period,
                "order_starts_at": order.starts_at.to_string(),
                "order_ends_at": order.ends_at.to_string(),
                "paid_at": order.created_at.to_string(),
                "paid_with": order.external_method.clone().unwrap_or_else(|| "balance".to_string()),
                "list_price_minor": order.list_price_minor,
                "latest_order_id": latest.id,
                "latest_order_kind": latest.kind,
                "period_revision": latest.period_revision,
                "value": latest.period_value(),
                "hours": Usage::at(order.starts_at, order.ends_at, now),
            }),
        };
        orders::cancel_period(tx, &order.instance_id, &order.id).await?;
        refunds::insert(tx, &refund).await?;
        if decision.refund_minor > 0 {
            ledger::write_entry(
                tx,
                &self.ids.next("led"),
                &account.id,
                &Entry::refund(&decision.split),
                now,
                Some(&order.id),
                &format!("refund of {} ({})", order.id, refund.refund_type),
            )
            .await?;
        }
        let event = EventDraft {
            kind: EventKind::RefundCreated,
            account_id: account.id.clone(),
            instance_id: Some(order.instance_id.clone()),
            data: json!({
                "refund_id": refund.id,
                "order_id": order.id,
                "refund_type": refund.refund_type,
                "refund_minor": refund.refund_minor,
                "destination": refund.destination,
                "status": refund.status,
                "expected_arrival_by": refund.expected_arrival_by.to_string(),
            })
            .into(),
        };
        Ok((refund, event))
    }

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
        let stored = instances::lock(tx, instance_id)
            .await?
            .ok_or_else(|| EngineError::not_found("instance", instance_id))?;
        let instance = stored.instance;
        let resource = self.resource_of(tx, &instance).await?;
        let account = self.lock_account(tx, &instance.account_id).await?;
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
        // A change waiting for the operator cannot apply to a released instance: withdraw it.
        if let Some(pending) = approvals::pending_for_instance(tx, instance_id).await? {
            let reason = "the instance was unsubscribed";
            approvals::decide(tx, &pending.id, "cancelled", now, Some(reason)).await?;
            new_events.push(EventDraft {
                kind: EventKind::ChangeCancelled,
                account_id: account.id.clone(),
                instance_id: Some(instance.id.clone()),
                data: json!({ "approval_id": pending.id, "reason": reason }).into(),
            });
        }
        let released = Instance {
            status: InstanceStatus::Unsubscribed,
            released_at: Some(now),
            ..instance.clone()
        };
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
            EventDraft {
                kind: EventKind::InstanceUnsubscribed,
                account_id: account.id.clone(),
                instance_id: Some(instance.id.clone()),
                data: json!({
                    "unsubscription_id": unsubscription_id,
                    "release": "now",
                    "data_deleted": true,
                    "resource_kind": resource.kind(),
                    "refund_type": refund_type,
                    "cancelled_orders": cancelled_orders,
                    "refund_minor": refund_minor,
                })
                .into(),
            },
        );
        let notice = NoticeDraft {
            account_id: account.id.clone(),
            instance_id: Some(instance.id.clone()),
            channel: Channel::Email,
            kind: EventKind::InstanceUnsubscribed,
            subject: format!("{product_name} {} was unsubscribed", instance.id),
            body: format!(
                "Your {product_name} instance {} was unsubscribed and released; its data was deleted. \
                 Refund: {refund_minor} {} minor units{}.",
                instance.id,
                account.currency,
                describe_destinations(&refunds)
            ),
        };
        self.record(tx, now, &account, &new_events, &[notice])
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
        self.lock_instances_and_accounts(tx, instance_ids).await?;
        let mut results = Vec::with_capacity(instance_ids.len());
        for instance_id in instance_ids {
            let result = self
                .unsubscribe_locked(tx, instance_id, true)
                .await
                .map_err(|error| with_instance(instance_id, error))?;
            results.push(result);
        }
        Ok(results)
    }

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
        let stored = instances::lock(tx, &order.instance_id)
            .await?
            .ok_or_else(|| EngineError::not_found("instance", &order.instance_id))?;
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
        let account = self.lock_account(tx, &instance.account_id).await?;
        let pending: Vec<PendingRenewal> = periods
            .iter()
            .map(PeriodOrders::opening)
            .filter(|live| live.starts_at > now)
            .map(|live| PendingRenewal {
                order_id: live.id.clone(),
                period: live
                    .period
                    .parse::<Period>()
                    .expect("stored periods are valid"),
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
        let event = EventDraft {
            kind: EventKind::RenewalUnsubscribed,
            account_id: account.id.clone(),
            instance_id: Some(instance.id.clone()),
            data: json!({
                "unsubscription_id": unsubscription_id,
                "order_id": order_id,
                "previous_expires_at": instance.expires_at.map(|time| time.to_string()),
                "expires_at": redating.expires_at.to_string(),
                "redated_orders": redating.redated.iter().map(|later| json!({
                    "order_id": later.order_id,
                    "starts_at": later.starts_at.to_string(),
                    "ends_at": later.ends_at.to_string(),
                })).collect::<Vec<_>>(),
                "refund_minor": refund.refund_minor,
            })
            .into(),
        };
        let notice = NoticeDraft {
            account_id: account.id.clone(),
            instance_id: Some(instance.id.clone()),
            channel: Channel::Email,
            kind: EventKind::RenewalUnsubscribed,
            subject: format!("Renewal {order_id} of {} was unsubscribed", instance.id),
            body: format!(
                "The renewal {order_id} of {} was unsubscribed; the instance now expires on {}. \
                 Refund: {} {} minor units{}.",
                instance.id,
                redating.expires_at,
                refund.refund_minor,
                account.currency,
                describe_destinations(std::slice::from_ref(&refund))
            ),
        };
        self.record(tx, now, &account, &[event, refund_event], &[notice])
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
        })
    }

    /// The operator's payment integration confirms that an outside refund arrived:
    /// `processing` becomes `refunded`, and the money leaves refunds payable for the method.
    pub async fn complete_refund(
        &self,
        tx: &mut Tx,
        refund_id: &str,
    ) -> Result<Refund, EngineError> {
        let now = self.clock.now();
        let refund = refunds::lock(tx, refund_id)
            .await?
            .ok_or_else(|| EngineError::not_found("refund", refund_id))?;
        if refund.status != "processing" {
            return Err(EngineError::refused(
                "refund_not_processing",
                format!("refund {refund_id} is {} already", refund.status),
            ));
        }
        let account = self.lock_account(tx, &refund.account_id).await?;
        let method: PaymentMethod = refund
            .destination
            .parse()
            .expect("a processing refund goes to an outside method");
        ledger::write_entry(
            tx,
            &self.ids.next("led"),
            &account.id,
            &Entry::refund_completed(method, refund.to_external_minor),
            now,
            Some(&refund.order_id),
            &format!("refund {refund_id} arrived ({})", method.as_str()),
        )
        .await?;
        refunds::complete(tx, refund_id, now).await?;
        let event = EventDraft {
            kind: EventKind::RefundCompleted,
            account_id: account.id.clone(),
            instance_id: Some(refund.instance_id.clone()),
            data: json!({
                "refund_id": refund_id,
                "order_id": refund.order_id,
                "amount_minor": refund.to_external_minor,
                "destination": refund.destination,
            })
            .into(),
        };
        let notice = NoticeDraft {
            account_id: account.id.clone(),
            instance_id: Some(refund.instance_id.clone()),
            channel: Channel::Email,
            kind: EventKind::RefundCompleted,
            subject: format!("Refund {refund_id} has arrived"),
            body: format!(
                "{} {} minor units were refunded to your {}.",
                refund.to_external_minor, account.currency, refund.destination
            ),
        };
        self.record(tx, now, &account, &[event], &[notice]).await?;
        Ok(Refund {
            status: "refunded".to_string(),
            refunded_at: Some(now),
            ..refund
        })
    }
}

/// "; 100 to the balance, 900 to bank_card (expected by …)" for a notice.
fn describe_destinations(refunds: &[Refund]) -> String {
    let mut parts = Vec::new();
    for refund in refunds {
        if refund.to_coupons_minor > 0 {
            parts.push(format!("{} to coupons", refund.to_coupons_minor));
        }
        if refund.to_balance_minor > 0 {
            parts.push(format!("{} to the balance", refund.to_balance_minor));
        }
        if refund.to_external_minor > 0 {
            parts.push(format!(
                "{} to {} (expected by {})",
                refund.to_external_minor, refund.destination, refund.expected_arrival_by
            ));
        }
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(": {}", parts.join(", "))
    }
}
