//! Upgrades and downgrades: the change asked for, its quote itemised per paid period, and
//! what the change did.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::approvals::Approval;
use crate::instances::Instance;
use crate::orders::{Order, PaymentMethod, PeriodValue};
use crate::period::Period;
use crate::refunds::RefundDestination;

/// `{spec}` and/or `{edition}`, and how to pay an upgrade.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("anyOf" = [
    { "required": ["spec"], "properties": { "spec": { "type": "string" } } },
    { "required": ["edition"], "properties": { "edition": { "type": "string" } } }
]))]
pub struct Change {
    #[schemars(extend("x-catalog" = "spec"))]
    pub spec: Option<String>,
    #[schemars(extend("x-catalog" = "edition"))]
    pub edition: Option<String>,
    #[schemars(with = "Option<PaymentMethod>")]
    pub pay_with: Option<String>,
    pub use_vouchers: Option<bool>,
    pub use_coupons: Option<bool>,
}

/// Whether a change moves to a dearer configuration (charged) or not (refunded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeDirection {
    Upgrade,
    Downgrade,
}

same_variants!(
    ChangeDirection,
    tenure_core::proration::ChangeDirection { Upgrade, Downgrade }
);

/// An edition and spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Configuration {
    pub edition_id: String,
    pub spec_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PeriodStatus {
    /// Running now: prorated by the hours left.
    Current,
    /// A paid renewal that has not started: all its hours are left.
    PendingRenewal,
}

same_variants!(
    PeriodStatus,
    tenure_core::change::PeriodStatus {
        Current,
        PendingRenewal
    }
);

/// A service period split at `now` into used and remaining hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Usage {
    pub ordered_hours: i64,
    pub used_hours: i64,
}

/// One period's share of a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PeriodChange {
    pub period_order_id: String,
    pub status: PeriodStatus,
    pub period: Period,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub revision: i64,
    pub usage: Usage,
    /// The period's value before the change, as last set (purchase, renewal or earlier change).
    pub value_before: PeriodValue,
    /// What of it is still unused now.
    pub unused: PeriodValue,
    /// The new configuration's list price for the whole period.
    pub new_list_price_minor: i64,
    /// The new configuration for the remaining hours.
    pub new_cost_minor: i64,
    /// To pay (upgrade).
    pub charge_minor: i64,
    /// To give back in cash (downgrade).
    pub refund_minor: i64,
    /// Released voucher value the operator keeps (downgrade): vouchers are never refunded.
    pub voucher_share_kept_minor: i64,
}

/// A priced change, itemised period by period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ChangeQuoteView {
    pub instance_id: String,
    pub from: Configuration,
    pub to: Configuration,
    /// The change waits for the operator; it will be priced again at approval time.
    pub needs_approval: bool,
    pub currency: String,
    pub proration_rule: String,
    /// Where a refund goes (null when nothing is refunded).
    pub refund_destination: Option<RefundDestination>,
    pub direction: ChangeDirection,
    pub periods: Vec<PeriodChange>,
    pub charge_minor: i64,
    pub refund_minor: i64,
    pub voucher_share_kept_minor: i64,
}

/// What `POST /v1/instances/{id}/change` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ChangeOutcome {
    /// `applied` (the instance runs the new configuration now) or `pending_approval`.
    pub status: String,
    #[serde(flatten)]
    pub quote: ChangeQuoteView,
    pub instance: Instance,
    /// One `upgrade` or `downgrade` order per paid period (empty while pending approval).
    pub orders: Vec<Order>,
    pub approval: Option<Approval>,
}

#[cfg(feature = "domain")]
mod from_domain {
    use super::*;

    impl From<tenure_core::change::Configuration> for Configuration {
        fn from(configuration: tenure_core::change::Configuration) -> Configuration {
            Configuration {
                edition_id: configuration.edition_id,
                spec_id: configuration.spec_id,
            }
        }
    }

    impl From<tenure_core::proration::Usage> for Usage {
        fn from(usage: tenure_core::proration::Usage) -> Usage {
            Usage {
                ordered_hours: usage.ordered_hours,
                used_hours: usage.used_hours,
            }
        }
    }

    impl From<tenure_core::change::PeriodChange> for PeriodChange {
        fn from(change: tenure_core::change::PeriodChange) -> PeriodChange {
            let amounts = change.amounts;
            PeriodChange {
                period_order_id: change.period_order_id,
                status: change.status.into(),
                period: change.period.into(),
                starts_at: change.starts_at,
                ends_at: change.ends_at,
                revision: change.revision,
                usage: amounts.usage.into(),
                value_before: amounts.value_before.into(),
                unused: amounts.unused.into(),
                new_list_price_minor: amounts.new_list_price_minor,
                new_cost_minor: amounts.new_cost_minor,
                charge_minor: amounts.charge_minor,
                refund_minor: amounts.refund_minor,
                voucher_share_kept_minor: amounts.voucher_share_kept_minor,
            }
        }
    }

    impl From<tenure_engine::changes::ChangeQuoteView> for ChangeQuoteView {
        fn from(view: tenure_engine::changes::ChangeQuoteView) -> ChangeQuoteView {
            let quote = view.quote;
            ChangeQuoteView {
                instance_id: view.instance_id,
                from: view.from.into(),
                to: view.to.into(),
                needs_approval: view.needs_approval,
                currency: view.currency,
                proration_rule: view.proration_rule.to_string(),
                refund_destination: view.refund_destination.map(Into::into),
                direction: quote.direction.into(),
                periods: quote.periods.into_iter().map(Into::into).collect(),
                charge_minor: quote.charge_minor,
                refund_minor: quote.refund_minor,
                voucher_share_kept_minor: quote.voucher_share_kept_minor,
            }
        }
    }

    impl From<tenure_engine::changes::ChangeOutcome> for ChangeOutcome {
        fn from(outcome: tenure_engine::changes::ChangeOutcome) -> ChangeOutcome {
            ChangeOutcome {
                status: outcome.status.to_string(),
                quote: outcome.quote.into(),
                instance: outcome.instance.into(),
                orders: outcome.orders.into_iter().map(Into::into).collect(),
                approval: outcome.approval.map(Into::into),
            }
        }
    }
}
