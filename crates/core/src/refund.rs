//! Unsubscription refunds: the refund type
//! of a resource, how much each cancelled service period gives back, how that splits between
//! coupons and the destination, where it goes and when it arrives. The amounts come from
//! [`crate::proration`], the money rule shared with upgrades and downgrades, and the destination
//! from [`crate::refund_destination`], the rule every refund asks; this file only decides which
//! rule applies.
//!
//! # Refund types
//! - Regular resources (subscriptions): **Partial Refund** (the unused part of each period), or
//!   **Nonrefundable** when the catalog edition says `refundable = false` (released, nothing back).
//!   A period's own type follows the terms its cash was paid under (see below): Nonrefundable
//!   when all of it was paid under a nonrefundable edition, even after an upgrade out of it.
//! - Resource plans: **Unactivated Subscription Refund** before the plan takes effect (all cash),
//!   **Full Refund for Unused Resources** when active and no quota is used (all cash),
//!   **Partial Refund** once quota is used (the unused share of the quota, of the cash).
//! - Only Partial Refund resources can be unsubscribed in a batch, at most
//!   [`MAX_BATCH_UNSUBSCRIPTIONS`] at a time.
//!
//! # How much: from each period's latest value
//! Unsubscribing cancels service periods (the current one and every pending renewal), not
//! orders one by one. Each period's refund is computed from the value its **latest** order left
//! it ([`crate::proration::PeriodValue`]: the purchase or renewal, or the last upgrade or
//! downgrade in it), never from the opening order's paid amounts: a downgrade has already given
//! back part of the period's cash, and an upgrade has added some, so only the cash part of that
//! latest value still unused comes back. The itemised answer shows
//! `cash_paid = refunded_before + kept + refund`.
//!
//! # What comes back, and where: each part to the payment that made it
//! - Only cash: vouchers are never refunded.
//! - The period's unused cash is split among the payments that made its value (the opening
//!   order and every upgrade charge in it, source by source) by [`crate::paid_parts`]: in
//!   proportion, rounded cumulatively half to even, the parts summing exactly.
//! - A part paid under a nonrefundable edition stays with the operator, whatever the edition is
//!   now: value keeps the terms it was paid under. A period all of whose cash was paid under
//!   nonrefundable terms is **Nonrefundable**; one with some refundable cash is a Partial Refund
//!   of that cash alone.
//! - A coupon part goes back to coupons (credit never turns into withdrawable cash), a balance
//!   part to the balance, an outside method's part where
//!   [`crate::refund_destination::refund_destination`] sends a payment of that method made
//!   when *that* part was paid (bank card within 150 days → the card, PayPal and Alipay within
//!   180 days → the wallet, otherwise the balance). A refund row names one outside method: should
//!   a period hold parts of two outside methods both within their windows, the later method's
//!   part goes to the balance.
//! - The refund's `destination` is the outside method when one gets a part, `coupons` when the
//!   refund goes to coupons alone, else `balance`.
//! - A refund to the balance or coupons is `refunded` at once. A refund to an outside method is
//!   `processing` until the operator's payment integration confirms its arrival
//!   (`POST /v1/refunds/{id}/complete`); it is expected within 30 business days (Monday to
//!   Friday, no holiday calendar).

use std::fmt;
use std::str::FromStr;

use jiff::civil::Weekday;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::Serialize;
use serde_json::json;

use crate::catalog::Channel;
use crate::event::{EventDraft, EventKind, NoticeDraft};
use crate::money::format_minor;
use crate::notice::{readable_time, NoticeTexts, Template};
use crate::paid_parts::{CashSource, PaidParts};
use crate::payment::{PaymentMethod, PaymentPlan};
use crate::period::add_days;
use crate::proration::{refund_for_unused_quota_minor, PeriodValue, QuotaUsage, Usage};
use crate::refund_destination::{
    days_since_payment, refund_destination, RefundCause, RefundDestination,
};

/// The most resources one batch unsubscription may name.
pub const MAX_BATCH_UNSUBSCRIPTIONS: usize = 50;
/// An outside refund is expected to arrive within this many business days.
pub const EXTERNAL_REFUND_BUSINESS_DAYS: i64 = 30;

/// The two tabs of active resources in the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    Regular,
    ResourcePlan,
}

impl ResourceKind {
    pub const ALL: [ResourceKind; 2] = [ResourceKind::Regular, ResourceKind::ResourcePlan];

    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Regular => "regular",
            ResourceKind::ResourcePlan => "resource_plan",
        }
    }
}

impl FromStr for ResourceKind {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ResourceKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| format!("`{text}` is not a resource kind: use regular or resource_plan"))
    }
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// How a resource's cancelled periods are refunded (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundType {
    PartialRefund,
    Nonrefundable,
    UnactivatedSubscriptionRefund,
    FullRefundForUnusedResources,
}

impl RefundType {
    pub const ALL: [RefundType; 4] = [
        RefundType::PartialRefund,
        RefundType::Nonrefundable,
        RefundType::UnactivatedSubscriptionRefund,
        RefundType::FullRefundForUnusedResources,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RefundType::PartialRefund => "partial_refund",
            RefundType::Nonrefundable => "nonrefundable",
            RefundType::UnactivatedSubscriptionRefund => "unactivated_subscription_refund",
            RefundType::FullRefundForUnusedResources => "full_refund_for_unused_resources",
        }
    }

    /// Reference 004: only Partial Refund resources can be unsubscribed in a batch.
    pub fn allows_batch(self) -> bool {
        self == RefundType::PartialRefund
    }
}

impl FromStr for RefundType {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        RefundType::ALL
            .into_iter()
            .find(|refund_type| refund_type.as_str() == text)
            .ok_or_else(|| {
                format!(
                    "`{text}` is not a refund type: use partial_refund, nonrefundable, \
                     unactivated_subscription_refund or full_refund_for_unused_resources"
                )
            })
    }
}

impl fmt::Display for RefundType {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// Whether the service an order pays for has begun.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivationStatus {
    Activated,
    Unactivated,
}

impl ActivationStatus {
    pub fn at(starts_at: Timestamp, now: Timestamp) -> ActivationStatus {
        if starts_at <= now {
            ActivationStatus::Activated
        } else {
            ActivationStatus::Unactivated
        }
    }
}

/// What the refund rules need to know about the resource being unsubscribed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// A subscription; `refundable` comes from its current catalog edition: the resource's
    /// refund type (batches), and the terms of a period no cash part of which says otherwise.
    Regular { refundable: bool },
    /// A prepaid quota package and how much of it is used.
    ResourcePlan { quota: QuotaUsage },
}

impl Resource {
    pub fn kind(self) -> ResourceKind {
        match self {
            Resource::Regular { .. } => ResourceKind::Regular,
            Resource::ResourcePlan { .. } => ResourceKind::ResourcePlan,
        }
    }

    /// The refund type of this resource when its service began at `starts_at`.
    pub fn refund_type(self, activation: ActivationStatus) -> RefundType {
        match self {
            Resource::Regular { refundable: false } => RefundType::Nonrefundable,
            Resource::Regular { refundable: true } => RefundType::PartialRefund,
            Resource::ResourcePlan { .. } if activation == ActivationStatus::Unactivated => {
                RefundType::UnactivatedSubscriptionRefund
            }
            Resource::ResourcePlan { quota } if quota.used_units == 0 => {
                RefundType::FullRefundForUnusedResources
            }
            Resource::ResourcePlan { .. } => RefundType::PartialRefund,
        }
    }
}

/// Whether a refund's money has arrived where it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    /// An outside channel is paying it back.
    Processing,
    /// The money is where it goes.
    Refunded,
}

impl RefundStatus {
    pub const ALL: [RefundStatus; 2] = [RefundStatus::Processing, RefundStatus::Refunded];

    pub fn as_str(self) -> &'static str {
        match self {
            RefundStatus::Processing => "processing",
            RefundStatus::Refunded => "refunded",
        }
    }
}

impl FromStr for RefundStatus {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        RefundStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
            .ok_or_else(|| format!("`{text}` is not a refund status: use processing or refunded"))
    }
}

impl fmt::Display for RefundStatus {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// How a refund splits between the books it goes to. The parts sum to the refund.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RefundSplit {
    pub to_coupons_minor: i64,
    pub to_balance_minor: i64,
    pub to_external_minor: i64,
    pub external_method: Option<PaymentMethod>,
}

impl RefundSplit {
    /// All of it to the balance (a downgrade's refund).
    pub fn to_balance(amount_minor: i64) -> RefundSplit {
        RefundSplit::whole_to(amount_minor, RefundDestination::Balance)
    }

    /// All of it to one destination, with no coupon share.
    pub fn whole_to(amount_minor: i64, destination: RefundDestination) -> RefundSplit {
        match destination {
            RefundDestination::Balance => RefundSplit {
                to_balance_minor: amount_minor,
                ..RefundSplit::default()
            },
            RefundDestination::Coupons => RefundSplit {
                to_coupons_minor: amount_minor,
                ..RefundSplit::default()
            },
            RefundDestination::Original(method) => RefundSplit {
                to_external_minor: amount_minor,
                external_method: Some(method),
                ..RefundSplit::default()
            },
        }
    }

    pub fn total_minor(&self) -> i64 {
        self.to_coupons_minor + self.to_balance_minor + self.to_external_minor
    }
}

/// What the refund amount was computed from, for the itemised answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum RefundBasis {
    /// The period has not begun: all cash comes back.
    NotStarted,
    /// In use: a started hour counts as used.
    Hours { used_hours: i64, ordered_hours: i64 },
    /// A resource plan: the unused share of its quota.
    Quota { used_units: i64, quota_units: i64 },
    /// The resource refunds nothing.
    Nonrefundable,
}

/// One paid service period as the refund rules see it: how its opening order was paid, the
/// value its latest order left it, and the payments that made that value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundablePeriod {
    /// When the period's opening order (purchase or renewal) was paid, and with what: the
    /// destination of a refund of nothing, and the days since payment shown.
    pub paid_at: Timestamp,
    pub payment: PaymentPlan,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    /// The period's latest value: what the refund is computed from.
    pub value: PeriodValue,
    /// The parts of that value's cash, by payment, source and terms: where each part goes.
    pub parts: PaidParts,
    /// All cash and voucher value paid into the period (opening order and upgrade charges).
    pub cash_paid_minor: i64,
    pub voucher_paid_minor: i64,
    /// Cash already given back in the period by downgrades.
    pub refunded_before_minor: i64,
}

impl RefundablePeriod {
    /// A period as its opening order left it, paid under refundable terms: no change since.
    pub fn opened(
        paid_at: Timestamp,
        payment: PaymentPlan,
        starts_at: Timestamp,
        ends_at: Timestamp,
    ) -> RefundablePeriod {
        RefundablePeriod {
            paid_at,
            payment,
            starts_at,
            ends_at,
            value: PeriodValue::paid(payment.cash_minor(), payment.voucher_minor),
            parts: PaidParts::opened(paid_at, &payment, true),
            cash_paid_minor: payment.cash_minor(),
            voucher_paid_minor: payment.voucher_minor,
            refunded_before_minor: 0,
        }
    }
}

/// The refund of one cancelled period, itemised:
/// `cash_paid = refunded_before + kept + refund`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct OrderRefund {
    pub refund_type: RefundType,
    pub basis: RefundBasis,
    /// What the period was paid in cash (balance, coupons, outside method), changes included.
    pub cash_paid_minor: i64,
    /// Cash already refunded in the period by downgrades.
    pub refunded_before_minor: i64,
    /// The cash value the period's latest order left it, the basis of the refund.
    pub value_cash_minor: i64,
    /// What vouchers paid: never refunded.
    pub voucher_kept_minor: i64,
    /// Unused cash paid under a nonrefundable edition: kept, after any change of edition.
    pub nonrefundable_unused_minor: i64,
    /// The cash the operator keeps: the consumed part, or all of it when nonrefundable.
    pub kept_minor: i64,
    pub refund_minor: i64,
    pub split: RefundSplit,
    pub destination: RefundDestination,
    pub days_since_payment: i64,
    pub status: RefundStatus,
    /// When the money is expected where it goes: now for the balance and coupons.
    pub expected_arrival_by: Timestamp,
}

/// `start` plus `business_days` weekdays (Monday to Friday), at the same time of day, in UTC.
pub fn add_business_days(start: Timestamp, business_days: i64) -> Timestamp {
    let mut day = start;
    let mut remaining_days = business_days;
    while remaining_days > 0 {
        day = add_days(day, 1);
        let weekday = day.to_zoned(TimeZone::UTC).weekday();
        if !matches!(weekday, Weekday::Saturday | Weekday::Sunday) {
            remaining_days -= 1;
        }
    }
    day
}

/// The refund of `period` of `resource` if it is cancelled at `now`.
pub fn refund_order(resource: Resource, period: &RefundablePeriod, now: Timestamp) -> OrderRefund {
    let value_cash_minor = period.value.cash_minor;
    let activation = ActivationStatus::at(period.starts_at, now);
    let refund_type = period_refund_type(resource, &period.parts, activation);
    let (basis, unused_minor) = match resource {
        _ if activation == ActivationStatus::Unactivated => {
            (RefundBasis::NotStarted, value_cash_minor)
        }
        Resource::ResourcePlan { quota } => (
            RefundBasis::Quota {
                used_units: quota.used_units,
                quota_units: quota.quota_units,
            },
            refund_for_unused_quota_minor(value_cash_minor, quota),
        ),
        Resource::Regular { .. } => {
            let usage = Usage::at(period.starts_at, period.ends_at, now);
            (
                RefundBasis::Hours {
                    used_hours: usage.used_hours,
                    ordered_hours: usage.ordered_hours,
                },
                period.value.unused_at(usage).cash_minor,
            )
        }
    };
    let basis = if refund_type == RefundType::Nonrefundable {
        RefundBasis::Nonrefundable
    } else {
        basis
    };
    debug_assert!(unused_minor <= value_cash_minor);
    // A resource plan's refund types are its own rule: all of its cash is refundable.
    let terms_apply = matches!(resource, Resource::Regular { .. });
    let (split, nonrefundable_unused_minor) = split_unused(
        unused_minor,
        period,
        terms_apply,
        refund_type != RefundType::Nonrefundable,
        now,
    );
    let refund_minor = split.total_minor();
    let destination = if split.to_external_minor > 0 {
        RefundDestination::Original(split.external_method.unwrap_or(PaymentMethod::Balance))
    } else if split.to_balance_minor == 0 && split.to_coupons_minor > 0 {
        RefundDestination::Coupons
    } else if refund_minor == 0 {
        // Nothing comes back: say where a refund of the opening payment would have gone.
        opening_destination(&period.payment, period.paid_at, now)
    } else {
        RefundDestination::Balance
    };
    let days_since_payment = days_since_payment(period.paid_at, now);
    let status = if split.to_external_minor > 0 {
        RefundStatus::Processing
    } else {
        RefundStatus::Refunded
    };
    let expected_arrival_by = match status {
        RefundStatus::Processing => add_business_days(now, EXTERNAL_REFUND_BUSINESS_DAYS),
        RefundStatus::Refunded => now,
    };
    OrderRefund {
        refund_type,
        basis,
        cash_paid_minor: period.cash_paid_minor,
        refunded_before_minor: period.refunded_before_minor,
        value_cash_minor,
        voucher_kept_minor: period.voucher_paid_minor,
        nonrefundable_unused_minor,
        kept_minor: period.cash_paid_minor - period.refunded_before_minor - refund_minor,
        refund_minor,
        split,
        destination,
        days_since_payment,
        status,
        expected_arrival_by,
    }
}

/// A regular resource's period is Nonrefundable when every part of its cash was paid under a
/// nonrefundable edition, whatever the edition now; with no cash, the current edition says.
fn period_refund_type(
    resource: Resource,
    parts: &PaidParts,
    activation: ActivationStatus,
) -> RefundType {
    match (resource, parts.any_refundable()) {
        (Resource::Regular { .. }, Some(true)) => RefundType::PartialRefund,
        (Resource::Regular { .. }, Some(false)) => RefundType::Nonrefundable,
        _ => resource.refund_type(activation),
    }
}

/// Splits a period's `unused_minor` cash among the parts that paid it ([`crate::paid_parts`])
/// and sends each refundable part back to its source. Returns the refund's split and the unused
/// cash kept because it was paid under nonrefundable terms (`terms_apply`); nothing comes back
/// unless `refundable`.
fn split_unused(
    unused_minor: i64,
    period: &RefundablePeriod,
    terms_apply: bool,
    refundable: bool,
    now: Timestamp,
) -> (RefundSplit, i64) {
    let mut split = RefundSplit::default();
    if period.parts.total_minor() <= 0 {
        // No cash part to follow (the orders hold none): the current edition's terms, to the
        // balance.
        if refundable {
            split.to_balance_minor = unused_minor;
            return (split, 0);
        }
        return (split, unused_minor);
    }
    let mut kept_minor = 0;
    let shares = period.parts.split(unused_minor);
    for (part, share_minor) in period.parts.parts().iter().zip(shares) {
        if !refundable || (terms_apply && !part.refundable) {
            kept_minor += share_minor;
            continue;
        }
        match part.source {
            CashSource::Coupons => split.to_coupons_minor += share_minor,
            CashSource::Balance => split.to_balance_minor += share_minor,
            CashSource::External(method) => {
                let destination = refund_destination(
                    RefundCause::Unsubscription,
                    Some(method),
                    part.paid_at,
                    now,
                );
                match destination {
                    RefundDestination::Original(method)
                        if split.external_method.is_none_or(|held| held == method) =>
                    {
                        split.to_external_minor += share_minor;
                        split.external_method = Some(method);
                    }
                    _ => split.to_balance_minor += share_minor,
                }
            }
        }
    }
    if split.to_external_minor == 0 {
        split.external_method = None;
    }
    (split, kept_minor)
}

/// Where a refund of the opening payment alone would go: its outside method's window, else
/// coupons for a coupons-only payment, else the balance.
fn opening_destination(
    payment: &PaymentPlan,
    paid_at: Timestamp,
    now: Timestamp,
) -> RefundDestination {
    if payment.external_minor > 0 {
        refund_destination(
            RefundCause::Unsubscription,
            payment.external_method,
            paid_at,
            now,
        )
    } else if payment.balance_minor == 0 && payment.coupon_minor > 0 {
        RefundDestination::Coupons
    } else {
        RefundDestination::Balance
    }
}

/// A downgrade's refund, split by the same rule as an unsubscription's ([`crate::paid_parts`]):
/// in proportion to the parts of the period's `unused_cash_minor` (each payment and source of
/// the period, upgrade charges included), a coupon part's share back to coupons and every
/// other share to the balance (a downgraded instance keeps running, so its refund never goes
/// back to a card or wallet; see `refund_destination`).
pub fn split_downgrade_refund(
    refund_minor: i64,
    unused_cash_minor: i64,
    parts: &PaidParts,
) -> RefundSplit {
    let (_, shares) = parts.after_refund(unused_cash_minor, refund_minor);
    let mut split = RefundSplit::default();
    for (part, share_minor) in parts.parts().iter().zip(shares) {
        match part.source {
            CashSource::Coupons => split.to_coupons_minor += share_minor,
            CashSource::Balance | CashSource::External(_) => split.to_balance_minor += share_minor,
        }
    }
    // Orders that disagree with the value (none do): what no part holds goes to the balance.
    split.to_balance_minor += refund_minor - split.total_minor();
    split
}

/// A refund as it was written: the refund row's fields its event, its arrival and the notices
/// of an unsubscription tell, with the texts as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrittenRefund<'row> {
    pub id: &'row str,
    pub account_id: &'row str,
    pub instance_id: &'row str,
    /// The opening order of the cancelled period.
    pub order_id: &'row str,
    /// [`RefundType::as_str`].
    pub refund_type: &'row str,
    pub refund_minor: i64,
    pub to_coupons_minor: i64,
    pub to_balance_minor: i64,
    pub to_external_minor: i64,
    /// [`RefundDestination::as_str`].
    pub destination: &'row str,
    /// [`RefundStatus::as_str`].
    pub status: &'row str,
    pub expected_arrival_by: Timestamp,
}

/// Announces a refund written for a cancelled period (`refund.created`).
pub fn refund_created_event(refund: &WrittenRefund) -> EventDraft {
    EventDraft {
        kind: EventKind::RefundCreated,
        account_id: refund.account_id.to_string(),
        instance_id: Some(refund.instance_id.to_string()),
        data: json!({
            "refund_id": refund.id,
            "order_id": refund.order_id,
            "refund_type": refund.refund_type,
            "refund_minor": refund.refund_minor,
            "destination": refund.destination,
            "status": refund.status,
            "expected_arrival_by": refund.expected_arrival_by.to_string(),
        })
        .into(),
    }
}

/// Announces an outside refund's arrival (`refund.completed`), and tells the customer by email;
/// `currency` is the account's, `texts` the catalog's notice texts.
pub fn refund_completed(
    refund: &WrittenRefund,
    currency: &str,
    texts: &NoticeTexts,
) -> (EventDraft, NoticeDraft) {
    let event = EventDraft {
        kind: EventKind::RefundCompleted,
        account_id: refund.account_id.to_string(),
        instance_id: Some(refund.instance_id.to_string()),
        data: json!({
            "refund_id": refund.id,
            "order_id": refund.order_id,
            "amount_minor": refund.to_external_minor,
            "destination": refund.destination,
        })
        .into(),
    };
    let text = texts.notice(
        Template::RefundCompleted,
        &[
            ("refund_id", refund.id),
            ("amount", &format_minor(refund.to_external_minor, currency)),
            ("destination", &destination_words(refund.destination)),
        ],
    );
    let notice = NoticeDraft {
        recipient: None,
        account_id: refund.account_id.to_string(),
        instance_id: Some(refund.instance_id.to_string()),
        channel: Channel::Email,
        kind: EventKind::RefundCompleted,
        subject: text.subject,
        body: text.body,
    };
    (event, notice)
}

/// Announces that the payment provider refused to pay `amount_minor` of a refund back to the
/// card and that it went to the balance instead (`refund.redirected`), telling the customer
/// why by email; `reason` is the provider's.
pub fn refund_redirected(
    refund: &WrittenRefund,
    amount_minor: i64,
    reason: &str,
    currency: &str,
    texts: &NoticeTexts,
) -> (EventDraft, NoticeDraft) {
    let event = EventDraft {
        kind: EventKind::RefundRedirected,
        account_id: refund.account_id.to_string(),
        instance_id: Some(refund.instance_id.to_string()),
        data: json!({
            "refund_id": refund.id,
            "order_id": refund.order_id,
            "amount_minor": amount_minor,
            "reason": reason,
        })
        .into(),
    };
    let text = texts.notice(
        Template::RefundRedirected,
        &[
            ("refund_id", refund.id),
            ("amount", &format_minor(amount_minor, currency)),
            ("reason", reason),
        ],
    );
    let notice = NoticeDraft {
        recipient: None,
        account_id: refund.account_id.to_string(),
        instance_id: Some(refund.instance_id.to_string()),
        channel: Channel::Email,
        kind: EventKind::RefundRedirected,
        subject: text.subject,
        body: text.body,
    };
    (event, notice)
}

/// A destination as a notice says it: `bank_card` is "bank card".
fn destination_words(destination: &str) -> String {
    destination.replace('_', " ")
}

/// Where each part of the refunds goes, a line per part ("- 1.00 USD to your balance, now"),
/// for a notice; nothing when nothing is refunded.
pub(crate) fn describe_destinations(
    refunds: &[WrittenRefund],
    currency: &str,
    texts: &NoticeTexts,
) -> String {
    let mut lines = Vec::new();
    for refund in refunds {
        let amount = |minor: i64| format_minor(minor, currency);
        if refund.to_coupons_minor > 0 {
            lines.push(texts.phrase(
                Template::RefundToCoupons,
                &[("amount", &amount(refund.to_coupons_minor))],
            ));
        }
        if refund.to_balance_minor > 0 {
            lines.push(texts.phrase(
                Template::RefundToBalance,
                &[("amount", &amount(refund.to_balance_minor))],
            ));
        }
        if refund.to_external_minor > 0 {
            lines.push(texts.phrase(
                Template::RefundToExternal,
                &[
                    ("amount", &amount(refund.to_external_minor)),
                    ("destination", &destination_words(refund.destination)),
                    ("expected_by", &readable_time(refund.expected_arrival_by)),
                ],
            ));
        }
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paid_parts::PeriodOrderPaid;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    const REGULAR: Resource = Resource::Regular { refundable: true };

    #[test]
    fn stored_texts_read_back_and_serialise_as_themselves() {
        fn check<T>(value: T, text: &str)
        where
            T: FromStr + Serialize + PartialEq + fmt::Debug,
            T::Err: fmt::Debug,
        {
            assert_eq!(text.parse::<T>().unwrap(), value);
            assert_eq!(
                serde_json::to_value(&value).unwrap(),
                serde_json::json!(text)
            );
        }
        for kind in ResourceKind::ALL {
            check(kind, kind.as_str());
        }
        for refund_type in RefundType::ALL {
            check(refund_type, refund_type.as_str());
        }
        for status in RefundStatus::ALL {
            check(status, status.as_str());
        }
        assert!("bogus".parse::<ResourceKind>().is_err());
        assert!("Partial_Refund".parse::<RefundType>().is_err());
        assert!("completed".parse::<RefundStatus>().is_err());
    }

    fn opened(
        paid_at: &str,
        starts_at: &str,
        ends_at: &str,
        payment: PaymentPlan,
    ) -> RefundablePeriod {
        RefundablePeriod::opened(at(paid_at), payment, at(starts_at), at(ends_at))
    }

    fn card_order(paid_at: &str, cash_minor: i64) -> RefundablePeriod {
        RefundablePeriod::opened(
            at(paid_at),
            PaymentPlan {
                external_minor: cash_minor,
                external_method: Some(PaymentMethod::BankCard),
                ..PaymentPlan::default()
            },
            at(paid_at),
            crate::period::Period::years(1).add_to(at(paid_at)),
        )
    }

    #[test]
    fn example_6_in_use_refund_keeps_the_voucher() {
        let order = opened(
            "2026-04-01T00:00:00Z",
            "2026-04-01T00:00:00Z",
            "2026-05-01T00:00:00Z",
            PaymentPlan {
                voucher_minor: 5000,
                balance_minor: 30_000,
                ..PaymentPlan::default()
            },
        );
        let refund = refund_order(REGULAR, &order, at("2026-04-05T04:20:00Z"));
        assert_eq!(refund.refund_type, RefundType::PartialRefund);
        assert_eq!(
            refund.basis,
            RefundBasis::Hours {
                used_hours: 101,
                ordered_hours: 720
            }
        );
        assert_eq!(
            (
                refund.cash_paid_minor,
                refund.voucher_kept_minor,
                refund.kept_minor,
                refund.refund_minor
            ),
            (30_000, 5000, 4208, 25_792)
        );
        assert_eq!(refund.destination, RefundDestination::Balance);
        assert_eq!(refund.split.to_balance_minor, 25_792);
        assert_eq!(refund.status, RefundStatus::Refunded);
        assert_eq!(refund.expected_arrival_by, at("2026-04-05T04:20:00Z"));
    }

    #[test]
    fn example_8_bank_card_within_150_days_else_balance() {
        let order = card_order("2026-01-01T00:00:00Z", 100_000);
        let on_day_150 = refund_order(REGULAR, &order, at("2026-05-31T23:59:59Z"));
        assert_eq!(on_day_150.days_since_payment, 150);
        assert_eq!(
            on_day_150.destination,
            RefundDestination::Original(PaymentMethod::BankCard)
        );
        assert_eq!(on_day_150.status, RefundStatus::Processing);
        assert_eq!(on_day_150.split.to_external_minor, on_day_150.refund_minor);
        // 2026-05-31 is a Sunday: 30 business days later is Friday 2026-07-10.
        assert_eq!(on_day_150.expected_arrival_by, at("2026-07-10T23:59:59Z"));
        let on_day_151 = refund_order(REGULAR, &order, at("2026-06-01T00:00:00Z"));
        assert_eq!(on_day_151.days_since_payment, 151);
        assert_eq!(on_day_151.destination, RefundDestination::Balance);
        assert_eq!(on_day_151.status, RefundStatus::Refunded);
        assert_eq!(on_day_151.split.to_balance_minor, on_day_151.refund_minor);
    }

    #[test]
    fn a_pending_renewal_refunds_all_cash_and_splits_coupons_back() {
        let order = opened(
            "2026-04-10T00:00:00Z",
            "2026-05-01T00:00:00Z",
            "2026-06-01T00:00:00Z",
            PaymentPlan {
                coupon_minor: 1000,
                balance_minor: 2001,
                ..PaymentPlan::default()
            },
        );
        let refund = refund_order(REGULAR, &order, at("2026-04-20T00:00:00Z"));
        assert_eq!(refund.basis, RefundBasis::NotStarted);
        assert_eq!(refund.refund_minor, 3001);
        assert_eq!(
            (refund.split.to_coupons_minor, refund.split.to_balance_minor),
            (1000, 2001)
        );
        let coupons_only = RefundablePeriod::opened(
            order.paid_at,
            PaymentPlan {
                coupon_minor: 3000,
                ..PaymentPlan::default()
            },
            order.starts_at,
            order.ends_at,
        );
        let refund = refund_order(REGULAR, &coupons_only, at("2026-04-20T00:00:00Z"));
        assert_eq!(refund.destination, RefundDestination::Coupons);
        assert_eq!(refund.split.to_coupons_minor, 3000);
    }

    #[test]
    fn after_a_downgrade_only_what_the_downgrade_left_comes_back() {
        // docs/examples.md 7: 30000 cash from 04-01 (720 h); at 04-11 a downgrade to a 12000 spec
        // refunded 12000 and left 8000 for the last 480 h. Unsubscribing at 04-21 (240 h left):
        // half of the 8000 is unused, 4000 comes back, not 30000 × 240 / 720 = 10000.
        let payment = PaymentPlan {
            balance_minor: 30_000,
            ..PaymentPlan::default()
        };
        let downgraded = RefundablePeriod {
            value: PeriodValue {
                cash_minor: 8000,
                voucher_minor: 0,
                from_used_hours: 240,
            },
            refunded_before_minor: 12_000,
            ..opened(
                "2026-04-01T00:00:00Z",
                "2026-04-01T00:00:00Z",
                "2026-05-01T00:00:00Z",
                payment,
            )
        };
        let refund = refund_order(REGULAR, &downgraded, at("2026-04-21T00:00:00Z"));
        assert_eq!(refund.refund_minor, 4000);
        assert_eq!(
            (
                refund.cash_paid_minor,
                refund.refunded_before_minor,
                refund.kept_minor
            ),
            (30_000, 12_000, 14_000)
        );
        assert!(refund.refunded_before_minor + refund.refund_minor <= refund.cash_paid_minor);
    }

    #[test]
    fn a_nonrefundable_resource_keeps_everything() {
        let card = card_order("2026-01-01T00:00:00Z", 8000);
        let order = RefundablePeriod {
            parts: PaidParts::opened(card.paid_at, &card.payment, false),
            ..card
        };
        let refund = refund_order(
            Resource::Regular { refundable: false },
            &order,
            at("2026-01-02T00:00:00Z"),
        );
        assert_eq!(refund.refund_type, RefundType::Nonrefundable);
        assert_eq!((refund.refund_minor, refund.kept_minor), (0, 8000));
        assert_eq!(refund.basis, RefundBasis::Nonrefundable);
        // 8000 × 24 / 8760 = 21.9 consumed: the rest is the unused nonrefundable value.
        assert_eq!(refund.nonrefundable_unused_minor, 8000 - 22);
        assert_eq!(refund.status, RefundStatus::Refunded);
        assert!(!refund.refund_type.allows_batch());
    }

    /// The orders of a DNS period as `PaidParts::from_orders` reads them.
    fn paid(
        paid_at: &str,
        payment: PaymentPlan,
        refundable: bool,
        value_cash_after_minor: i64,
    ) -> PeriodOrderPaid {
        PeriodOrderPaid {
            paid_at: at(paid_at),
            payment,
            refundable,
            refunded_minor: 0,
            value_cash_after_minor,
        }
    }

    fn from_balance(amount_minor: i64) -> PaymentPlan {
        PaymentPlan {
            balance_minor: amount_minor,
            ..PaymentPlan::default()
        }
    }

    fn from_coupons(amount_minor: i64) -> PaymentPlan {
        PaymentPlan {
            coupon_minor: amount_minor,
            ..PaymentPlan::default()
        }
    }

    /// A period opened by `orders[0]` and changed by the rest, its value as the last one left it
    /// (set at `from_used_hours`).
    fn changed_period(
        starts_at: &str,
        ends_at: &str,
        orders: &[PeriodOrderPaid],
        from_used_hours: i64,
    ) -> RefundablePeriod {
        let last = orders.last().unwrap();
        RefundablePeriod {
            value: PeriodValue {
                cash_minor: last.value_cash_after_minor,
                voucher_minor: 0,
                from_used_hours,
            },
            parts: PaidParts::from_orders(orders).unwrap(),
            cash_paid_minor: orders.iter().map(|order| order.payment.cash_minor()).sum(),
            ..opened(
                &orders[0].paid_at.to_string(),
                starts_at,
                ends_at,
                orders[0].payment,
            )
        }
    }

    const ENTERPRISE: Resource = Resource::Regular { refundable: true };

    #[test]
    fn nonrefundable_value_stays_nonrefundable_after_an_upgrade() {
        // docs/examples.md 11. DNS Personal 3Y at 2026-01-01 (24000, nonrefundable), upgraded
        // at once to Enterprise Standard (3Y 150000): 0 hours used, the new edition costs
        // 150000 for all 26304 hours, less the 24000 unused: charge 126000. Unsubscribed in
        // the same hour: of the 150000 unused, the 24000 part stays, 126000 comes back.
        let period = changed_period(
            "2026-01-01T00:00:00Z",
            "2029-01-01T00:00:00Z",
            &[
                paid("2026-01-01T00:00:00Z", from_balance(24_000), false, 24_000),
                paid("2026-01-01T00:00:00Z", from_balance(126_000), true, 150_000),
            ],
            0,
        );
        let refund = refund_order(ENTERPRISE, &period, at("2026-01-01T00:00:00Z"));
        assert_eq!(refund.refund_type, RefundType::PartialRefund);
        assert_eq!(
            (
                refund.refund_minor,
                refund.nonrefundable_unused_minor,
                refund.kept_minor
            ),
            (126_000, 24_000, 24_000)
        );
        assert_eq!(refund.split, RefundSplit::to_balance(126_000));

        // The smaller case, month by month: Personal 1M from 04-01 (800, 720 h) and a paid
        // renewal for May (800, 744 h); at 04-11 (240 h used) the upgrade to Enterprise
        // Standard (5000 a month) charges April 5000 × 480 / 720 = 3333.33 → 3333 less
        // 800 − 800 × 240 / 720 = 533.33 → 533 unused: 2800; May 5000 − 800 = 4200.
        let april = changed_period(
            "2026-04-01T00:00:00Z",
            "2026-05-01T00:00:00Z",
            &[
                paid("2026-04-01T00:00:00Z", from_balance(800), false, 800),
                paid("2026-04-11T00:00:00Z", from_balance(2800), true, 533 + 2800),
            ],
            240,
        );
        let may = changed_period(
            "2026-05-01T00:00:00Z",
            "2026-06-01T00:00:00Z",
            &[
                paid("2026-04-01T00:00:00Z", from_balance(800), false, 800),
                paid("2026-04-11T00:00:00Z", from_balance(4200), true, 5000),
            ],
            0,
        );
        let now = at("2026-04-11T00:00:00Z");
        let april_refund = refund_order(ENTERPRISE, &april, now);
        let may_refund = refund_order(ENTERPRISE, &may, now);
        assert_eq!(
            april_refund.basis,
            RefundBasis::Hours {
                used_hours: 240,
                ordered_hours: 720
            }
        );
        assert_eq!(
            (
                april_refund.refund_minor,
                april_refund.nonrefundable_unused_minor
            ),
            (2800, 533)
        );
        // May, not started (also unsubscribed alone): 4200 of its 5000 comes back.
        assert_eq!(may_refund.basis, RefundBasis::NotStarted);
        assert_eq!(
            (
                may_refund.refund_minor,
                may_refund.nonrefundable_unused_minor
            ),
            (4200, 800)
        );
        assert_eq!(april_refund.refund_minor + may_refund.refund_minor, 7000);

        // Before the upgrade the same periods are Nonrefundable.
        let personal = RefundablePeriod {
            parts: PaidParts::opened(at("2026-04-01T00:00:00Z"), &from_balance(800), false),
            ..opened(
                "2026-04-01T00:00:00Z",
                "2026-04-01T00:00:00Z",
                "2026-05-01T00:00:00Z",
                from_balance(800),
            )
        };
        let refund = refund_order(ENTERPRISE, &personal, now);
        assert_eq!(
            (refund.refund_type, refund.refund_minor),
            (RefundType::Nonrefundable, 0)
        );
    }

    #[test]
    fn coupons_and_balance_go_back_to_what_paid_them_across_payments() {
        // docs/examples.md 12. Message queue 1M from 04-01 (720 h) paid 12000 from the balance;
        // at 04-11 (240 h used) an upgrade to 30000 a month: 30000 × 480 / 720 = 20000 less
        // 12000 × 480 / 720 = 8000 unused: 12000, paid with coupons. At 04-21 (480 h used) the
        // 20000 value set at hour 240 is half used: 10000 unused, split 8000 : 12000 as the
        // parts hold it, 4000 to the balance and 6000 to coupons (the opening order alone
        // would have sent all 10000 to the balance: coupons turned into cash).
        let period = changed_period(
            "2026-04-01T00:00:00Z",
            "2026-05-01T00:00:00Z",
            &[
                paid("2026-04-01T00:00:00Z", from_balance(12_000), true, 12_000),
                paid("2026-04-11T00:00:00Z", from_coupons(12_000), true, 20_000),
            ],
            240,
        );
        let refund = refund_order(ENTERPRISE, &period, at("2026-04-21T00:00:00Z"));
        assert_eq!(refund.refund_minor, 10_000);
        assert_eq!(
            (refund.split.to_balance_minor, refund.split.to_coupons_minor),
            (4000, 6000)
        );
        assert_eq!(refund.destination, RefundDestination::Balance);
        // And the reverse: bought with coupons, upgraded from the balance.
        let reverse = changed_period(
            "2026-04-01T00:00:00Z",
            "2026-05-01T00:00:00Z",
            &[
                paid("2026-04-01T00:00:00Z", from_coupons(12_000), true, 12_000),
                paid("2026-04-11T00:00:00Z", from_balance(12_000), true, 20_000),
            ],
            240,
        );
        let refund = refund_order(ENTERPRISE, &reverse, at("2026-04-21T00:00:00Z"));
        assert_eq!(
            (refund.split.to_balance_minor, refund.split.to_coupons_minor),
            (6000, 4000)
        );
        // A downgrade at 04-21 to 12000 a month (4000 for the last 240 h) gives back
        // 10000 − 4000 = 6000 by the same rule: 2400 to the balance, 3600 to coupons.
        let split = split_downgrade_refund(6000, 10_000, &period.parts);
        assert_eq!(
            (split.to_balance_minor, split.to_coupons_minor),
            (2400, 3600)
        );
    }

    #[test]
    fn an_upgrade_by_card_goes_back_to_the_card_within_its_own_window() {
        // A year from 01-01 (8760 h) paid 10000 by card; at 06-01 (3624 h used: 10000 × 3624 /
        // 8760 = 4136.99 → 4137 consumed, 5863 unused) an upgrade charged 5000 to the card.
        // Unsubscribed in that hour: day 151 of the purchase, so its 5863 goes to the balance;
        // day 0 of the upgrade's payment, so its 5000 goes back to the card.
        let card = |amount_minor| PaymentPlan {
            external_minor: amount_minor,
            external_method: Some(PaymentMethod::BankCard),
            ..PaymentPlan::default()
        };
        let period = changed_period(
            "2026-01-01T00:00:00Z",
            "2027-01-01T00:00:00Z",
            &[
                paid("2026-01-01T00:00:00Z", card(10_000), true, 10_000),
                paid("2026-06-01T00:00:00Z", card(5000), true, 5863 + 5000),
            ],
            3624,
        );
        let refund = refund_order(ENTERPRISE, &period, at("2026-06-01T00:00:00Z"));
        assert_eq!(refund.days_since_payment, 151);
        assert_eq!(refund.refund_minor, 10_863);
        assert_eq!(
            (
                refund.split.to_external_minor,
                refund.split.to_balance_minor
            ),
            (5000, 5863)
        );
        assert_eq!(
            refund.destination,
            RefundDestination::Original(PaymentMethod::BankCard)
        );
        assert_eq!(refund.status, RefundStatus::Processing);
    }

    #[test]
    fn resource_plans_have_three_refund_types() {
        let plan = |used_units| Resource::ResourcePlan {
            quota: QuotaUsage {
                quota_units: 10_000_000,
                used_units,
            },
        };
        let order = opened(
            "2026-03-01T00:00:00Z",
            "2026-03-10T00:00:00Z",
            "2026-04-10T00:00:00Z",
            PaymentPlan {
                balance_minor: 2000,
                ..PaymentPlan::default()
            },
        );
        let before = refund_order(plan(0), &order, at("2026-03-05T00:00:00Z"));
        assert_eq!(
            (before.refund_type, before.refund_minor),
            (RefundType::UnactivatedSubscriptionRefund, 2000)
        );
        let unused = refund_order(plan(0), &order, at("2026-03-20T00:00:00Z"));
        assert_eq!(
            (unused.refund_type, unused.refund_minor),
            (RefundType::FullRefundForUnusedResources, 2000)
        );
        let used = refund_order(plan(2_500_000), &order, at("2026-03-20T00:00:00Z"));
        assert_eq!(
            (used.refund_type, used.refund_minor, used.kept_minor),
            (RefundType::PartialRefund, 1500, 500)
        );
        assert!(used.refund_type.allows_batch());
        assert!(!unused.refund_type.allows_batch());
    }

    #[test]
    fn business_days_skip_weekends() {
        // Friday 2026-01-02 + 1 business day = Monday 2026-01-05.
        assert_eq!(
            add_business_days(at("2026-01-02T09:00:00Z"), 1),
            at("2026-01-05T09:00:00Z")
        );
        assert_eq!(
            add_business_days(at("2026-01-05T09:00:00Z"), 5),
            at("2026-01-12T09:00:00Z")
        );
    }

    /// The card refund of server tests/api/unsubscription.rs: a 1Y order paid by card,
    /// unsubscribed on day 150 (2026-05-31T23:59:59Z), 70356 back to the card.
    fn card_refund_on_day_150() -> WrittenRefund<'static> {
        WrittenRefund {
            id: "rfd_1",
            account_id: "acct_1",
            instance_id: "inst_1",
            order_id: "ord_1",
            refund_type: RefundType::PartialRefund.as_str(),
            refund_minor: 70_356,
            to_coupons_minor: 0,
            to_balance_minor: 0,
            to_external_minor: 70_356,
            destination: RefundDestination::Original(PaymentMethod::BankCard).as_str(),
            status: RefundStatus::Processing.as_str(),
            expected_arrival_by: at("2026-07-10T23:59:59Z"),
        }
    }

    #[test]
    fn a_refund_announces_its_creation_and_its_arrival() {
        let refund = card_refund_on_day_150();
        let created = refund_created_event(&refund);
        assert_eq!(created.kind.as_str(), "refund.created");
        assert_eq!(
            (created.account_id.as_str(), created.instance_id.as_deref()),
            ("acct_1", Some("inst_1"))
        );
        assert_eq!(
            created.data.as_str(),
            r#"{"destination":"bank_card","expected_arrival_by":"2026-07-10T23:59:59Z","order_id":"ord_1","refund_id":"rfd_1","refund_minor":70356,"refund_type":"partial_refund","status":"processing"}"#
        );
        let texts = NoticeTexts::builtin();
        let (arrived, notice) = refund_completed(&refund, "USD", &texts);
        assert_eq!(arrived.kind.as_str(), "refund.completed");
        assert_eq!(
            arrived.data.as_str(),
            r#"{"amount_minor":70356,"destination":"bank_card","order_id":"ord_1","refund_id":"rfd_1"}"#
        );
        assert_eq!(
            (notice.channel, notice.kind, notice.instance_id.as_deref()),
            (Channel::Email, EventKind::RefundCompleted, Some("inst_1"))
        );
        assert_eq!(notice.subject, "Refund rfd_1 has arrived");
        assert_eq!(
            notice.body,
            "703.56 USD were refunded to your bank card (refund rfd_1).\n\nNothing more to do; \
             contact us if it is not on your statement within a few days."
        );
    }

    #[test]
    fn destinations_are_told_part_by_part() {
        let texts = NoticeTexts::builtin();
        assert_eq!(
            describe_destinations(&[card_refund_on_day_150()], "USD", &texts),
            "- 703.56 USD to bank card, expected by 2026-07-10 23:59 UTC"
        );
        let split = WrittenRefund {
            to_coupons_minor: 100,
            to_balance_minor: 900,
            to_external_minor: 0,
            ..card_refund_on_day_150()
        };
        assert_eq!(
            describe_destinations(&[split, split], "JPY", &texts),
            "- 100 JPY to your coupons, now\n- 900 JPY to your balance, now\n\
             - 100 JPY to your coupons, now\n- 900 JPY to your balance, now"
        );
        assert_eq!(describe_destinations(&[], "USD", &texts), "");
    }
}
