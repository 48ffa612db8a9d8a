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
//!
//! Each use case has a file of its own: the console's lists and quotes (`lists.rs`),
//! unsubscribing an instance or a batch (`unsubscribe.rs`), one pending renewal (`renewal.rs`),
//! an outside refund's arrival (`refund_completion.rs`). Here: their types and shared helpers.

mod lists;
mod refund_completion;
mod renewal;
mod unsubscribe;

use jiff::Timestamp;
use serde_json::json;
use tenure_core::catalog::{Billing, Catalog};
use tenure_core::event::EventDraft;
use tenure_core::ledger::Entry;
use tenure_core::lifecycle::{Instance, InstanceStatus};
use tenure_core::order::OrderKind;
use tenure_core::paid_parts::{PaidParts, PeriodOrderPaid};
use tenure_core::payment::PaymentMethod;
use tenure_core::pending_renewal::Redated;
use tenure_core::period::Period;
use tenure_core::proration::Usage;
use tenure_core::refund::{
    refund_created_event, refund_order, ActivationStatus, OrderRefund, RefundStatus, RefundType,
    RefundablePeriod, Resource, ResourceKind, WrittenRefund,
};
use tenure_store::accounts::Account;
use tenure_store::orders::{self, Order, PeriodOrders};
use tenure_store::refunds::{self, Refund};
use tenure_store::Connection;
use tenure_store::{ledger, resource_plans, Tx};

use crate::engine::Engine;
use crate::error::EngineError;
use crate::instances::InstanceView;
use crate::overdue::Settlement;

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
#[derive(Debug, Clone)]
pub struct OrderRefundQuote {
    /// The order that opened the period (purchase, renewal or auto-renewal).
    pub order_id: String,
    pub order_kind: OrderKind,
    /// The order that last set the period's value (the opening order, or its last change).
    pub latest_order_id: String,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub refund: OrderRefund,
}

/// A resource as the "active resources" list shows it: what unsubscribing it now would refund.
#[derive(Debug, Clone)]
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
#[derive(Debug, Clone)]
pub struct PendingRenewalOrder {
    pub order_id: String,
    pub instance_id: String,
    pub account_id: String,
    pub product_id: String,
    pub edition_id: String,
    pub spec_id: String,
    pub period: Period,
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
#[derive(Debug, Clone)]
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
    /// Unpaid bills the refund to the balance and coupons paid, as a deposit would.
    pub settlement: Settlement,
}

/// The answer to unsubscribing one pending renewal order.
#[derive(Debug, Clone)]
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
    /// Unpaid bills the refund to the balance and coupons paid, as a deposit would.
    pub settlement: Settlement,
}

/// A service period as the refund rules see it: how its opening order was paid, the value its
/// latest order left it, the cash that went in (opening order, upgrade charges) and out
/// (downgrade refunds) of it, and the parts of that cash by payment, source and the terms of
/// the edition each order bought (`tenure_core::paid_parts`), read from the orders themselves.
fn refundable_period(
    period: &PeriodOrders,
    catalog: &Catalog,
) -> Result<RefundablePeriod, EngineError> {
    let opening = period.opening();
    let payments = period.orders.iter().map(Order::payment);
    Ok(RefundablePeriod {
        paid_at: opening.created_at,
        payment: opening.payment(),
        starts_at: opening.starts_at,
        ends_at: opening.ends_at,
        value: period.latest().period_value(),
        parts: paid_parts(period, catalog)?,
        cash_paid_minor: payments.clone().map(|payment| payment.cash_minor()).sum(),
        voucher_paid_minor: payments.map(|payment| payment.voucher_minor).sum(),
        refunded_before_minor: period.orders.iter().map(|order| order.refunded_minor).sum(),
    })
}

/// The parts of a period's cash value, replayed from its orders (`tenure_core::paid_parts`):
/// each order's payment under the terms of the edition it bought.
pub(crate) fn paid_parts(
    period: &PeriodOrders,
    catalog: &Catalog,
) -> Result<PaidParts, EngineError> {
    let orders: Vec<PeriodOrderPaid> = period
        .orders
        .iter()
        .map(|order| PeriodOrderPaid {
            paid_at: order.created_at,
            payment: order.payment(),
            refundable: edition_refundable(catalog, &order.product_id, &order.edition_id),
            refunded_minor: order.refunded_minor,
            value_cash_after_minor: order.value_cash_minor,
        })
        .collect();
    PaidParts::from_orders(&orders).map_err(|error| EngineError::refused("invalid_amount", error))
}

/// Whether an edition's value is refundable; an edition withdrawn from the catalog keeps the
/// default: refundable.
fn edition_refundable(catalog: &Catalog, product_id: &str, edition_id: &str) -> bool {
    catalog
        .product(product_id)
        .and_then(|product| product.edition(edition_id))
        .is_none_or(|edition| edition.refundable)
}

fn is_pending_renewal(order: &Order, now: Timestamp) -> bool {
    order.kind.is_renewal() && order.starts_at > now
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
                        "instance {} is {}: only prepaid resources (subscriptions, resource plans) are unsubscribed; release it instead with POST /v1/instances/{}/release",
                        instance.id,
                        instance.billing.as_str(),
                        instance.id
                    ),
                ))
            }
            Billing::Subscription | Billing::ResourcePlan => {}
        }
        // An unactivated resource plan is unsubscribed with all of its cash back.
        if !matches!(
            instance.status,
            InstanceStatus::Active | InstanceStatus::Unactivated
        ) {
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
        // The current edition's terms: the resource's refund type, and a period's with no cash
        // part to follow. Each part of a period's cash keeps the terms it was paid under.
        let refundable =
            edition_refundable(&self.catalog, &instance.product_id, &instance.edition_id);
        Ok(Resource::Regular { refundable })
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
        let decision = refund_order(resource, &refundable_period(period, &self.catalog)?, now);
        let latest = period.latest();
        let refund = Refund {
            id: self.ids.next("rfd"),
            unsubscription_id: unsubscription_id.to_string(),
            account_id: account.id.clone(),
            instance_id: order.instance_id.clone(),
            order_id: order.id.clone(),
            resource_kind: resource.kind(),
            refund_type: decision.refund_type,
            cash_paid_minor: decision.cash_paid_minor,
            refunded_before_minor: decision.refunded_before_minor,
            value_cash_minor: decision.value_cash_minor,
            voucher_kept_minor: decision.voucher_kept_minor,
            kept_minor: decision.kept_minor,
            refund_minor: decision.refund_minor,
            to_coupons_minor: decision.split.to_coupons_minor,
            to_balance_minor: decision.split.to_balance_minor,
            to_external_minor: decision.split.to_external_minor,
            destination: decision.destination,
            days_since_payment: decision.days_since_payment,
            status: decision.status,
            created_at: now,
            expected_arrival_by: decision.expected_arrival_by,
            refunded_at: (decision.status == RefundStatus::Refunded).then_some(now),
            details: json!({
                "basis": decision.basis,
                "order_kind": order.kind,
                "order_period": order.period,
                "order_starts_at": order.starts_at.to_string(),
                "order_ends_at": order.ends_at.to_string(),
                "paid_at": order.created_at.to_string(),
                "paid_with": order.external_method.unwrap_or(PaymentMethod::Balance),
                "list_price_minor": order.list_price_minor,
                "latest_order_id": latest.id,
                "latest_order_kind": latest.kind,
                "period_revision": latest.period_revision,
                "value": latest.period_value(),
                "nonrefundable_unused_minor": decision.nonrefundable_unused_minor,
                "hours": Usage::at(order.starts_at, order.ends_at, now),
            }),
        };
        orders::cancel_period(tx, &order.instance_id, &order.id).await?;
        refunds::insert(tx, &refund).await?;
        self.queue_card_refund(tx, &refund).await?;
        if let Some(credit_note) = self
            .credit_note_for_refund(tx, account, &refund, order)
            .await?
        {
            self.issue_now(tx, vec![credit_note]).await?;
        }
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
        let event = refund_created_event(&written(&refund));
        Ok((refund, event))
    }
}

/// What a refund gave back to the balance and the coupons, the credit that pays bills.
fn credited_minor(refund: &Refund) -> i64 {
    refund.to_balance_minor + refund.to_coupons_minor
}

/// A stored refund as the core's announcements read it.
pub(crate) fn written(refund: &Refund) -> WrittenRefund<'_> {
    WrittenRefund {
        id: &refund.id,
        account_id: &refund.account_id,
        instance_id: &refund.instance_id,
        order_id: &refund.order_id,
        refund_type: refund.refund_type.as_str(),
        refund_minor: refund.refund_minor,
        to_coupons_minor: refund.to_coupons_minor,
        to_balance_minor: refund.to_balance_minor,
        to_external_minor: refund.to_external_minor,
        destination: refund.destination.as_str(),
        status: refund.status.as_str(),
        expected_arrival_by: refund.expected_arrival_by,
    }
}
