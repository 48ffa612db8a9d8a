//! Orders: what was bought or renewed, for which service period, at what price, paid how; the
//! order list's query, and one order with the refund of its unsubscription.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::period::Period;
use crate::refunds::{Refund, RefundDestination};

/// What an order pays for: a service period opened by a purchase or a renewal (by hand or
/// automatic), or a change of configuration (upgrade or downgrade) within one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderKind {
    Purchase,
    /// Renewed by hand.
    Renewal,
    /// Renewed by the auto-renewal deduction.
    AutoRenewal,
    Upgrade,
    Downgrade,
}

same_variants!(
    OrderKind,
    tenure_core::order::OrderKind {
        Purchase,
        Renewal,
        AutoRenewal,
        Upgrade,
        Downgrade,
    }
);

/// Whether an order's service period still holds: `paid`, or `cancelled` by an unsubscription
/// (with every order in the period).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Paid,
    Cancelled,
}

same_variants!(
    OrderStatus,
    tenure_core::order::OrderStatus { Paid, Cancelled }
);

/// Where the rest of an amount comes from once credit is used. Anything but `balance` is money
/// paid outside tenure, which only the operator's key records (an account's key is answered 403).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    Balance,
    BankCard,
    Paypal,
    Alipay,
    Transfer,
}

same_variants!(
    PaymentMethod,
    tenure_core::payment::PaymentMethod {
        Balance,
        BankCard,
        Paypal,
        Alipay,
        Transfer,
    }
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Order {
    pub id: String,
    pub account_id: String,
    pub instance_id: String,
    /// `purchase`, `renewal`, `auto_renewal`, `upgrade` or `downgrade`.
    pub kind: OrderKind,
    /// `paid` or `cancelled`.
    pub status: OrderStatus,
    pub product_id: String,
    pub edition_id: String,
    pub spec_id: String,
    pub period: Period,
    /// The service period this order pays for.
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub list_price_minor: i64,
    pub paid_voucher_minor: i64,
    pub paid_coupon_minor: i64,
    pub paid_balance_minor: i64,
    pub paid_external_minor: i64,
    pub external_method: Option<PaymentMethod>,
    pub created_at: Timestamp,
    /// The purchase or renewal order whose service period this order belongs to (itself for
    /// those); an upgrade or downgrade order adjusts that period's value.
    pub period_order_id: String,
    /// What the period holds after this order, in cash and in vouchers: the basis of the next
    /// change or refund.
    pub value_cash_minor: i64,
    pub value_voucher_minor: i64,
    /// Cash this order gave back (a downgrade), and where it went.
    pub refunded_minor: i64,
    pub refund_destination: Option<RefundDestination>,
}

/// An order with its refund: the order details page of the unsubscription records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OrderDetails {
    #[serde(flatten)]
    pub order: Order,
    /// Set once the order was unsubscribed: type, amount, destination, status, refund time.
    pub refund: Option<Refund>,
}

/// What is left to consume of one service period's paid value, from an hour of that period on.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct PeriodValue {
    /// Value paid with balance, coupons or an outside method: refundable in proportion.
    pub cash_minor: i64,
    /// Value paid with vouchers: pays for service, never refunded.
    pub voucher_minor: i64,
    /// Hours of the period already used when this value was set: 0 for a purchase or renewal.
    pub from_used_hours: i64,
}

// `GET /v1/orders`: filters and the page.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderQuery {
    pub account: Option<String>,
    pub instance: Option<String>,
    #[schemars(with = "Option<OrderKind>")]
    pub kind: Option<String>,
    #[schemars(with = "Option<OrderStatus>")]
    pub status: Option<String>,
    /// Items per page, 1 to 1000 (default 100).
    #[schemars(range(min = 1, max = 1000))]
    #[serde(default, deserialize_with = "crate::whole_number::query")]
    pub limit: Option<i64>,
    pub after: Option<String>,
}

#[cfg(feature = "domain")]
mod from_domain {
    use super::*;

    impl From<tenure_store::orders::Order> for Order {
        fn from(order: tenure_store::orders::Order) -> Order {
            Order {
                id: order.id,
                account_id: order.account_id,
                instance_id: order.instance_id,
                kind: order.kind.into(),
                status: order.status.into(),
                product_id: order.product_id,
                edition_id: order.edition_id,
                spec_id: order.spec_id,
                period: order.period.into(),
                starts_at: order.starts_at,
                ends_at: order.ends_at,
                list_price_minor: order.list_price_minor,
                paid_voucher_minor: order.paid_voucher_minor,
                paid_coupon_minor: order.paid_coupon_minor,
                paid_balance_minor: order.paid_balance_minor,
                paid_external_minor: order.paid_external_minor,
                external_method: order.external_method.map(Into::into),
                created_at: order.created_at,
                period_order_id: order.period_order_id,
                value_cash_minor: order.value_cash_minor,
                value_voucher_minor: order.value_voucher_minor,
                refunded_minor: order.refunded_minor,
                refund_destination: order.refund_destination.map(Into::into),
            }
        }
    }

    impl From<tenure_core::proration::PeriodValue> for PeriodValue {
        fn from(value: tenure_core::proration::PeriodValue) -> PeriodValue {
            PeriodValue {
                cash_minor: value.cash_minor,
                voucher_minor: value.voucher_minor,
                from_used_hours: value.from_used_hours,
            }
        }
    }

    impl From<tenure_engine::orders::OrderDetails> for OrderDetails {
        fn from(details: tenure_engine::orders::OrderDetails) -> OrderDetails {
            OrderDetails {
                order: details.order.into(),
                refund: details.refund.map(Into::into),
            }
        }
    }
}
