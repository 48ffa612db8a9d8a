//! Refunds: the records of unsubscriptions (one per cancelled service period), a period's
//! refund itemised as a quote, where refunded cash goes, and the refund list's query.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::orders::{OrderKind, PaymentMethod};

/// The two tabs of active resources in the console.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    Regular,
    ResourcePlan,
}

same_variants!(
    ResourceKind,
    tenure_core::refund::ResourceKind {
        Regular,
        ResourcePlan
    }
);

/// How a resource's cancelled periods are refunded (see the module documentation).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RefundType {
    PartialRefund,
    Nonrefundable,
    UnactivatedSubscriptionRefund,
    FullRefundForUnusedResources,
}

same_variants!(
    RefundType,
    tenure_core::refund::RefundType {
        PartialRefund,
        Nonrefundable,
        UnactivatedSubscriptionRefund,
        FullRefundForUnusedResources,
    }
);

/// Whether the service an order pays for has begun.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ActivationStatus {
    Activated,
    Unactivated,
}

same_variants!(
    ActivationStatus,
    tenure_core::refund::ActivationStatus {
        Activated,
        Unactivated
    }
);

/// Whether a refund's money has arrived where it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    /// An outside channel is paying it back.
    Processing,
    /// The money is where it goes.
    Refunded,
}

same_variants!(
    RefundStatus,
    tenure_core::refund::RefundStatus {
        Processing,
        Refunded
    }
);

/// Shown as `balance`, `coupons` or the outside method's name (`bank_card`, `paypal`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(into = "String", try_from = "String")]
pub enum RefundDestination {
    /// The customer's account balance.
    Balance,
    /// The order was paid with coupons only, so the whole refund returns to coupons.
    Coupons,
    /// Back to the outside method that paid.
    Original(PaymentMethod),
}

impl RefundDestination {
    pub fn as_str(self) -> &'static str {
        match self {
            RefundDestination::Balance => "balance",
            RefundDestination::Coupons => "coupons",
            RefundDestination::Original(PaymentMethod::Balance) => "balance",
            RefundDestination::Original(PaymentMethod::BankCard) => "bank_card",
            RefundDestination::Original(PaymentMethod::Paypal) => "paypal",
            RefundDestination::Original(PaymentMethod::Alipay) => "alipay",
            RefundDestination::Original(PaymentMethod::Transfer) => "transfer",
        }
    }
}

impl fmt::Display for RefundDestination {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl From<RefundDestination> for String {
    fn from(destination: RefundDestination) -> String {
        destination.as_str().to_string()
    }
}

impl TryFrom<String> for RefundDestination {
    type Error = String;

    fn try_from(text: String) -> Result<RefundDestination, String> {
        match text.as_str() {
            "balance" => Ok(RefundDestination::Balance),
            "coupons" => Ok(RefundDestination::Coupons),
            "bank_card" => Ok(RefundDestination::Original(PaymentMethod::BankCard)),
            "paypal" => Ok(RefundDestination::Original(PaymentMethod::Paypal)),
            "alipay" => Ok(RefundDestination::Original(PaymentMethod::Alipay)),
            "transfer" => Ok(RefundDestination::Original(PaymentMethod::Transfer)),
            other => Err(format!(
                "`{other}` is not a refund destination: use balance, coupons, bank_card, paypal, alipay or transfer"
            )),
        }
    }
}

/// How a refund splits between the books it goes to. The parts sum to the refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RefundSplit {
    pub to_coupons_minor: i64,
    pub to_balance_minor: i64,
    pub to_external_minor: i64,
    pub external_method: Option<PaymentMethod>,
}

/// What the refund amount was computed from, for the itemised answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
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

/// The refund of one cancelled period, itemised:
/// `cash_paid = refunded_before + kept + refund`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
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

/// One service period's refund as a quote (nothing written).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OrderRefundQuote {
    /// The order that opened the period (purchase, renewal or auto-renewal).
    pub order_id: String,
    pub order_kind: OrderKind,
    /// The order that last set the period's value (the opening order, or its last change).
    pub latest_order_id: String,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    #[serde(flatten)]
    pub refund: OrderRefund,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Refund {
    pub id: String,
    /// The unsubscription that cancelled the order; one unsubscription may refund several
    /// orders (the current one and every pending renewal).
    pub unsubscription_id: String,
    pub account_id: String,
    pub instance_id: String,
    pub order_id: String,
    /// `regular` or `resource_plan`.
    pub resource_kind: ResourceKind,
    /// `partial_refund`, `nonrefundable`, `unactivated_subscription_refund` or
    /// `full_refund_for_unused_resources`.
    pub refund_type: RefundType,
    /// Cash paid into the period (opening order and upgrade charges).
    pub cash_paid_minor: i64,
    /// Cash already given back in the period by downgrades.
    pub refunded_before_minor: i64,
    /// The cash value the period's latest order left it: what the refund was computed from.
    pub value_cash_minor: i64,
    pub voucher_kept_minor: i64,
    pub kept_minor: i64,
    pub refund_minor: i64,
    pub to_coupons_minor: i64,
    pub to_balance_minor: i64,
    pub to_external_minor: i64,
    /// `balance`, `coupons`, `bank_card`, `paypal` or `alipay`.
    pub destination: RefundDestination,
    pub days_since_payment: i64,
    /// `processing` (an outside channel is paying it back) or `refunded`.
    pub status: RefundStatus,
    /// When the order was unsubscribed and the refund decided.
    pub created_at: Timestamp,
    pub expected_arrival_by: Timestamp,
    /// The refund time: when the money arrived where it goes.
    pub refunded_at: Option<Timestamp>,
    /// The itemised computation (rule, hours or quota used).
    pub details: serde_json::Value,
    /// What the payment provider was asked to pay back to the card, a payment per card charge
    /// it gives back from, each with its status, the provider's refund id and, refused, why
    /// (that part then went to the balance: `refund.redirected`). Empty when the refund goes
    /// elsewhere or the operator pays it back.
    #[serde(default)]
    pub paid_back_through_provider: Vec<crate::payments::Payment>,
}

// `GET /v1/refunds`: filters and the page.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundQuery {
    pub account: Option<String>,
    pub instance: Option<String>,
    pub order: Option<String>,
    pub unsubscription: Option<String>,
    #[schemars(with = "Option<RefundStatus>")]
    pub status: Option<String>,
    /// Items per page, 1 to 1000 (default 100).
    #[schemars(range(min = 1, max = 1000))]
    #[serde(default, deserialize_with = "crate::whole_number::query")]
    pub limit: Option<i64>,
    pub after: Option<String>,
}

// `POST /v1/refunds/{id}/complete`: nothing to say, the path names the refund.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Complete {}

#[cfg(feature = "domain")]
mod from_domain {
    use super::*;

    impl From<tenure_core::refund_destination::RefundDestination> for RefundDestination {
        fn from(destination: tenure_core::refund_destination::RefundDestination) -> Self {
            use tenure_core::refund_destination::RefundDestination as Domain;
            match destination {
                Domain::Balance => RefundDestination::Balance,
                Domain::Coupons => RefundDestination::Coupons,
                Domain::Original(method) => RefundDestination::Original(method.into()),
            }
        }
    }

    impl From<tenure_core::refund::RefundSplit> for RefundSplit {
        fn from(split: tenure_core::refund::RefundSplit) -> RefundSplit {
            RefundSplit {
                to_coupons_minor: split.to_coupons_minor,
                to_balance_minor: split.to_balance_minor,
                to_external_minor: split.to_external_minor,
                external_method: split.external_method.map(Into::into),
            }
        }
    }

    impl From<tenure_core::refund::RefundBasis> for RefundBasis {
        fn from(basis: tenure_core::refund::RefundBasis) -> RefundBasis {
            use tenure_core::refund::RefundBasis as Domain;
            match basis {
                Domain::NotStarted => RefundBasis::NotStarted,
                Domain::Hours {
                    used_hours,
                    ordered_hours,
                } => RefundBasis::Hours {
                    used_hours,
                    ordered_hours,
                },
                Domain::Quota {
                    used_units,
                    quota_units,
                } => RefundBasis::Quota {
                    used_units,
                    quota_units,
                },
                Domain::Nonrefundable => RefundBasis::Nonrefundable,
            }
        }
    }

    impl From<tenure_core::refund::OrderRefund> for OrderRefund {
        fn from(refund: tenure_core::refund::OrderRefund) -> OrderRefund {
            OrderRefund {
                refund_type: refund.refund_type.into(),
                basis: refund.basis.into(),
                cash_paid_minor: refund.cash_paid_minor,
                refunded_before_minor: refund.refunded_before_minor,
                value_cash_minor: refund.value_cash_minor,
                voucher_kept_minor: refund.voucher_kept_minor,
                nonrefundable_unused_minor: refund.nonrefundable_unused_minor,
                kept_minor: refund.kept_minor,
                refund_minor: refund.refund_minor,
                split: refund.split.into(),
                destination: refund.destination.into(),
                days_since_payment: refund.days_since_payment,
                status: refund.status.into(),
                expected_arrival_by: refund.expected_arrival_by,
            }
        }
    }

    impl From<tenure_engine::unsubscriptions::OrderRefundQuote> for OrderRefundQuote {
        fn from(quote: tenure_engine::unsubscriptions::OrderRefundQuote) -> OrderRefundQuote {
            OrderRefundQuote {
                order_id: quote.order_id,
                order_kind: quote.order_kind.into(),
                latest_order_id: quote.latest_order_id,
                starts_at: quote.starts_at,
                ends_at: quote.ends_at,
                refund: quote.refund.into(),
            }
        }
    }

    impl From<tenure_store::refunds::Refund> for Refund {
        fn from(refund: tenure_store::refunds::Refund) -> Refund {
            Refund {
                id: refund.id,
                unsubscription_id: refund.unsubscription_id,
                account_id: refund.account_id,
                instance_id: refund.instance_id,
                order_id: refund.order_id,
                resource_kind: refund.resource_kind.into(),
                refund_type: refund.refund_type.into(),
                cash_paid_minor: refund.cash_paid_minor,
                refunded_before_minor: refund.refunded_before_minor,
                value_cash_minor: refund.value_cash_minor,
                voucher_kept_minor: refund.voucher_kept_minor,
                kept_minor: refund.kept_minor,
                refund_minor: refund.refund_minor,
                to_coupons_minor: refund.to_coupons_minor,
                to_balance_minor: refund.to_balance_minor,
                to_external_minor: refund.to_external_minor,
                destination: refund.destination.into(),
                days_since_payment: refund.days_since_payment,
                status: refund.status.into(),
                created_at: refund.created_at,
                expected_arrival_by: refund.expected_arrival_by,
                refunded_at: refund.refunded_at,
                details: refund.details,
                paid_back_through_provider: Vec::new(),
            }
        }
    }

    impl From<tenure_engine::records::RefundRecord> for Refund {
        fn from(record: tenure_engine::records::RefundRecord) -> Refund {
            Refund {
                paid_back_through_provider: record.paid_back.into_iter().map(Into::into).collect(),
                ..record.refund.into()
            }
        }
    }
}
