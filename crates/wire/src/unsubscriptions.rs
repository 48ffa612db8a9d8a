//! Resource Unsubscription: what can be unsubscribed now (grouped), the pending renewal
//! orders, the three ways to unsubscribe and what each did.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::bills::Settlement;
use crate::instances::Instance;
use crate::period::Period;
use crate::refunds::{
    ActivationStatus, OrderRefund, OrderRefundQuote, Refund, RefundType, ResourceKind,
};

// `GET /v1/unsubscriptions/eligible` and `/pending-renewals`: filters and the page.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UnsubscribableQuery {
    pub account: Option<String>,
    pub product: Option<String>,
    pub instance: Option<String>,
    /// Order time from (inclusive), RFC 3339.
    pub ordered_from: Option<Timestamp>,
    /// Order time until (exclusive), RFC 3339.
    pub ordered_until: Option<Timestamp>,
    /// Items per page, 1 to 1000 (default 100).
    #[schemars(range(min = 1, max = 1000))]
    #[serde(default, deserialize_with = "crate::whole_number::query")]
    pub limit: Option<i64>,
    pub after: Option<String>,
}

/// A resource as the "active resources" list shows it: what unsubscribing it now would refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
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

/// One group of the active resources list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Group {
    pub resource_kind: ResourceKind,
    pub refund_type: RefundType,
    pub activation_status: ActivationStatus,
    pub resources: Vec<EligibleResource>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EligibleListing {
    pub groups: Vec<Group>,
    /// Pass as `after` to get the next page; null on the last page.
    pub next_after: Option<String>,
}

/// A pending renewal order as the "renewals not yet in effect" list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
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

/// The two confirmations of unsubscribing an instance; a missing one counts as `false` and is
/// named in the refusal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("required" = ["confirm_refund", "confirm_data_backed_up"]))]
pub struct Unsubscribe {
    /// Must be true: you accept the refund shown by the quote.
    #[schemars(extend("const" = true))]
    pub confirm_refund: Option<bool>,
    /// Must be true: the instance's data is deleted for good; back it up first.
    #[schemars(extend("const" = true))]
    pub confirm_data_backed_up: Option<bool>,
}

/// Unsubscribing a pending renewal deletes no data: only the refund is confirmed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("required" = ["confirm_refund"]))]
pub struct UnsubscribeRenewal {
    /// Must be true: you accept the refund shown by the quote.
    #[schemars(extend("const" = true))]
    pub confirm_refund: Option<bool>,
    /// Accepted and not needed: a pending renewal's instance keeps its data.
    pub confirm_data_backed_up: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("required" = ["instances", "confirm_refund", "confirm_data_backed_up"]))]
pub struct UnsubscribeMany {
    /// 1 to 50 instances, each once.
    #[schemars(length(min = 1, max = 50), extend("uniqueItems" = true))]
    pub instances: Vec<String>,
    #[schemars(extend("const" = true))]
    pub confirm_refund: Option<bool>,
    #[schemars(extend("const" = true))]
    pub confirm_data_backed_up: Option<bool>,
}

/// The answer to unsubscribing an instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct UnsubscriptionResult {
    pub unsubscription_id: String,
    pub instance: Instance,
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

/// Every instance unsubscribed, and the refunds added up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct UnsubscribedMany {
    pub data: Vec<UnsubscriptionResult>,
    pub refund_minor: i64,
}

/// New dates of one later order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Redated {
    pub order_id: String,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
}

/// The answer to unsubscribing one pending renewal order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RenewalUnsubscriptionResult {
    pub unsubscription_id: String,
    pub order_id: String,
    pub refund: Refund,
    pub previous_expires_at: Option<Timestamp>,
    /// The instance's updated expiration time.
    pub expires_at: Timestamp,
    /// Later pending renewals with their new dates.
    pub redated_orders: Vec<Redated>,
    pub instance: Instance,
    /// Unpaid bills the refund to the balance and coupons paid, as a deposit would.
    pub settlement: Settlement,
}

#[cfg(feature = "domain")]
mod from_domain {
    use super::*;

    impl From<tenure_engine::unsubscriptions::EligibleResource> for EligibleResource {
        fn from(resource: tenure_engine::unsubscriptions::EligibleResource) -> EligibleResource {
            EligibleResource {
                instance_id: resource.instance_id,
                account_id: resource.account_id,
                product_id: resource.product_id,
                edition_id: resource.edition_id,
                spec_id: resource.spec_id,
                region: resource.region,
                resource_kind: resource.resource_kind.into(),
                refund_type: resource.refund_type.into(),
                activation_status: resource.activation_status.into(),
                order_id: resource.order_id,
                ordered_at: resource.ordered_at,
                expires_at: resource.expires_at,
                pending_renewal_orders: resource.pending_renewal_orders,
                refund_minor: resource.refund_minor,
                currency: resource.currency,
                orders: resource.orders.into_iter().map(Into::into).collect(),
            }
        }
    }

    impl From<tenure_engine::unsubscriptions::PendingRenewalOrder> for PendingRenewalOrder {
        fn from(order: tenure_engine::unsubscriptions::PendingRenewalOrder) -> PendingRenewalOrder {
            PendingRenewalOrder {
                order_id: order.order_id,
                instance_id: order.instance_id,
                account_id: order.account_id,
                product_id: order.product_id,
                edition_id: order.edition_id,
                spec_id: order.spec_id,
                period: order.period.into(),
                ordered_at: order.ordered_at,
                starts_at: order.starts_at,
                updated_expiration_time: order.updated_expiration_time,
                refund_type: order.refund_type.into(),
                refund_minor: order.refund_minor,
                currency: order.currency,
                refund: order.refund.into(),
            }
        }
    }

    impl From<tenure_engine::unsubscriptions::UnsubscriptionResult> for UnsubscriptionResult {
        fn from(
            result: tenure_engine::unsubscriptions::UnsubscriptionResult,
        ) -> UnsubscriptionResult {
            UnsubscriptionResult {
                unsubscription_id: result.unsubscription_id,
                instance: result.instance.into(),
                resource_kind: result.resource_kind.into(),
                refund_type: result.refund_type.into(),
                refund_minor: result.refund_minor,
                currency: result.currency,
                cancelled_orders: result.cancelled_orders,
                refunds: result.refunds.into_iter().map(Into::into).collect(),
                settlement: result.settlement.into(),
            }
        }
    }

    impl From<tenure_core::pending_renewal::Redated> for Redated {
        fn from(redated: tenure_core::pending_renewal::Redated) -> Redated {
            Redated {
                order_id: redated.order_id,
                starts_at: redated.starts_at,
                ends_at: redated.ends_at,
            }
        }
    }

    impl From<tenure_engine::unsubscriptions::RenewalUnsubscriptionResult>
        for RenewalUnsubscriptionResult
    {
        fn from(
            result: tenure_engine::unsubscriptions::RenewalUnsubscriptionResult,
        ) -> RenewalUnsubscriptionResult {
            RenewalUnsubscriptionResult {
                unsubscription_id: result.unsubscription_id,
                order_id: result.order_id,
                refund: result.refund.into(),
                previous_expires_at: result.previous_expires_at,
                expires_at: result.expires_at,
                redated_orders: result.redated_orders.into_iter().map(Into::into).collect(),
                instance: result.instance.into(),
                settlement: result.settlement.into(),
            }
        }
    }
}
