//! The catalog as the API shows it: products, editions, specs and their policies.

use serde::{Deserialize, Serialize};

use crate::period::Period;

/// How an edition is paid for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Billing {
    /// Prepaid for a period, then renewed.
    Subscription,
    /// Billed per hourly cycle for the usage reported.
    Payg,
    /// Free, fixed spec, no expiry.
    Free,
    /// A prepaid quota package (a resource plan): bought for a validity period like a
    /// subscription, consumed unit by unit, never renewed.
    ResourcePlan,
}

same_variants!(
    Billing,
    tenure_core::catalog::Billing {
        Subscription,
        Payg,
        Free,
        ResourcePlan,
    }
);

/// Which of a product's deduction schedules an instance follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeductionScheduleChoice {
    /// `schedule`: auto-renewal enabled after purchase, in Renewal Management.
    Standard,
    /// `schedule_when_enabled_at_purchase`: auto-renewal chosen when the instance was bought.
    EnabledAtPurchase,
}

same_variants!(
    DeductionScheduleChoice,
    tenure_core::catalog::DeductionScheduleChoice {
        Standard,
        EnabledAtPurchase,
    }
);

/// Every product of the catalog.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Products {
    pub data: Vec<Product>,
}

/// An ISO 4217 currency code, three upper-case ASCII letters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Currency(pub String);

impl Currency {
    pub fn code(&self) -> &str {
        &self.0
    }
}

/// A product, as its catalog file spells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Product {
    /// Stable identifier used in the API, such as `message-queue`.
    pub id: String,
    pub name: String,
    pub currency: Currency,
    pub regions: Vec<String>,
    /// The subscription periods this product sells, for purchase and manual renewal.
    pub periods: Vec<Period>,
    pub lifecycle: LifecyclePolicy,
    pub auto_renewal: AutoRenewalPolicy,
    pub changes: ChangePolicy,
    #[serde(default)]
    pub pay_as_you_go: Option<PayAsYouGoPolicy>,
    /// What buying instances billed after use (pay-as-you-go, and free ones past a number)
    /// needs; the defaults where the file has no `[purchase_limits]`.
    #[serde(default)]
    pub purchase_limits: PurchaseLimits,
    pub editions: Vec<Edition>,
}

/// What happens around and after expiry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LifecyclePolicy {
    /// Days an expired (stopped) instance is kept, data included, before it is released.
    pub retention_days: i64,
    pub at_release: ReleaseAction,
    /// Days before expiry that the expiry reminder goes out; `0` sends none.
    pub reminder_lead_days: i64,
    pub reminder_channels: Vec<Channel>,
    /// Days before release that an expired instance's release warning goes out (by email);
    /// `0` (the default) sends none. At most `retention_days`: the warning falls within the
    /// retention.
    #[serde(default)]
    pub release_warning_lead_days: i64,
    /// Domain statuses under which moving to the free tier fails (a security lock): an
    /// instance whose domain has one is left `release_needs_manual_step` at release. Only for
    /// `at_release = "move_to_free_tier"`.
    #[serde(default)]
    pub free_tier_move_blocked_by: Vec<String>,
}

/// What release does to an instance's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseAction {
    /// The instance and all its data are deleted for good.
    Delete,
    /// The paid instance is released but its data moves to the free tier (DNS records).
    MoveToFreeTier,
}

same_variants!(
    ReleaseAction,
    tenure_core::catalog::ReleaseAction {
        Delete,
        MoveToFreeTier
    }
);

/// A channel a notice or an alert goes out on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Sms,
    Email,
    Webhook,
}

same_variants!(
    Channel,
    tenure_core::catalog::Channel {
        Sms,
        Email,
        Webhook
    }
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoRenewalPolicy {
    /// Periods a customer may choose for auto-renewal. Empty when `period_follows_subscription`.
    #[serde(default)]
    pub periods: Vec<Period>,
    /// The auto-renewal period is the subscription's own unit: 1M for a monthly, 1Y for a yearly
    /// subscription (DNS).
    #[serde(default)]
    pub period_follows_subscription: bool,
    /// Auto-renewal takes effect the next day, so enabling it fewer days than this before expiry
    /// is accepted with a warning to renew by hand.
    pub min_lead_days: i64,
    /// When deductions are attempted, relative to expiry.
    pub schedule: DeductionSchedule,
    /// A different schedule for auto-renewal chosen at purchase (IoT platform).
    #[serde(default)]
    pub schedule_when_enabled_at_purchase: Option<DeductionSchedule>,
    /// Channels of the alert sent when a deduction fails.
    pub failure_alert_channels: Vec<Channel>,
}

/// When auto-renewal tries to take payment, relative to the expiry T.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum DeductionSchedule {
    /// Attempts at fixed day offsets from T, such as T-3, T-1, T, T+6, T+14.
    Fixed { offsets_days: Vec<i64> },
    /// A first attempt `first_days_before` T, then one a day until `last_days_before` T.
    Daily {
        first_days_before: i64,
        last_days_before: i64,
    },
}

/// Which spec and edition changes a product allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePolicy {
    /// Whether an instance may move to another edition (false: specs within the edition only).
    pub edition_change: bool,
    /// Whether downgrades are allowed at all (false: upgrade only).
    pub downgrade: bool,
}

/// Billing of usage, for products with pay-as-you-go editions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PayAsYouGoPolicy {
    /// Hours after a billing cycle ends by which its bill is generated.
    pub bill_delay_hours: i64,
    /// Hours a pay-as-you-go instance keeps running once its account is overdue.
    pub overdue_grace_hours: i64,
}

/// Credit before use: pay-as-you-go is billed hours after the usage (and stops a grace period
/// after an unpaid bill), so an account buys it only with credit in hand, and holds a bounded
/// number of such instances per product (`crate::purchase_credit` applies these).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PurchaseLimits {
    /// The available credit (balance + coupons − unpaid bills) an account needs to buy a
    /// pay-as-you-go instance of this product, or a free one past
    /// `free_instances_without_credit`; in the product's currency's minor units. `0` asks only
    /// that the account owe nothing it cannot pay.
    pub payg_minimum_credit_minor: i64,
    /// Open (not released) pay-as-you-go instances of this product one account may hold.
    pub payg_max_open_instances: i64,
    /// Open free instances of this product one account may hold with no credit at all; more
    /// need `payg_minimum_credit_minor`. `0`: every free instance needs it.
    pub free_instances_without_credit: i64,
}

/// The limits of a catalog file without `[purchase_limits]` (the document shows them as the
/// default).
impl Default for PurchaseLimits {
    fn default() -> Self {
        PurchaseLimits {
            payg_minimum_credit_minor: 1000,
            payg_max_open_instances: 20,
            free_instances_without_credit: 5,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Edition {
    pub id: String,
    pub name: String,
    pub billing: Billing,
    /// Upgrades within this edition wait for an operator's approval (downgrades never do).
    #[serde(default)]
    pub upgrade_needs_approval: bool,
    /// Days without activity after which a free instance is frozen.
    #[serde(default)]
    pub inactivity_freeze_days: Option<i64>,
    /// Whether unsubscribing refunds the unused part (Partial Refund) or nothing
    /// (Nonrefundable). Only regular (subscription) editions may set it to false; resource
    /// plans are always refundable by their own rules (see `refund.rs`).
    #[serde(default = "refundable_by_default")]
    pub refundable: bool,
    /// What one unit of a resource plan's quota is, such as "message". Resource plans only.
    #[serde(default)]
    pub quota_unit: Option<String>,
    #[serde(default)]
    pub specs: Vec<Spec>,
    #[serde(default)]
    pub meters: Vec<Meter>,
}

fn refundable_by_default() -> bool {
    true
}

/// One size of an edition, with its list prices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub id: String,
    pub name: String,
    pub monthly_price_minor: i64,
    pub yearly_price_minor: i64,
    /// Units of quota a resource plan of this spec includes (its edition's `quota_unit`).
    /// Resource plans only.
    #[serde(default)]
    pub quota: Option<i64>,
}

/// A usage dimension of a pay-as-you-go edition and its price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Meter {
    pub id: String,
    /// What one priced unit is, such as "10,000 messages".
    pub unit: String,
    /// Price of `units_per_price` units, in minor units.
    pub price_minor: i64,
    /// How many reported units `price_minor` buys; usage is billed pro rata, rounded once per bill.
    pub units_per_price: i64,
}

#[cfg(feature = "domain")]
mod from_domain {
    use super::*;
    use tenure_core::catalog as domain;

    impl From<domain::Product> for Product {
        fn from(product: domain::Product) -> Product {
            Product {
                id: product.id,
                name: product.name,
                currency: Currency(product.currency.code().to_string()),
                regions: product.regions,
                periods: product.periods.into_iter().map(Period::from).collect(),
                lifecycle: product.lifecycle.into(),
                auto_renewal: product.auto_renewal.into(),
                changes: product.changes.into(),
                pay_as_you_go: product.pay_as_you_go.map(Into::into),
                purchase_limits: product.purchase_limits.into(),
                editions: product.editions.into_iter().map(Into::into).collect(),
            }
        }
    }

    impl From<domain::LifecyclePolicy> for LifecyclePolicy {
        fn from(policy: domain::LifecyclePolicy) -> LifecyclePolicy {
            LifecyclePolicy {
                retention_days: policy.retention_days,
                at_release: policy.at_release.into(),
                reminder_lead_days: policy.reminder_lead_days,
                reminder_channels: policy
                    .reminder_channels
                    .into_iter()
                    .map(Into::into)
                    .collect(),
                release_warning_lead_days: policy.release_warning_lead_days,
                free_tier_move_blocked_by: policy.free_tier_move_blocked_by,
            }
        }
    }

    impl From<domain::AutoRenewalPolicy> for AutoRenewalPolicy {
        fn from(policy: domain::AutoRenewalPolicy) -> AutoRenewalPolicy {
            AutoRenewalPolicy {
                periods: policy.periods.into_iter().map(Period::from).collect(),
                period_follows_subscription: policy.period_follows_subscription,
                min_lead_days: policy.min_lead_days,
                schedule: policy.schedule.into(),
                schedule_when_enabled_at_purchase: policy
                    .schedule_when_enabled_at_purchase
                    .map(Into::into),
                failure_alert_channels: policy
                    .failure_alert_channels
                    .into_iter()
                    .map(Into::into)
                    .collect(),
            }
        }
    }

    impl From<domain::DeductionSchedule> for DeductionSchedule {
        fn from(schedule: domain::DeductionSchedule) -> DeductionSchedule {
            match schedule {
                domain::DeductionSchedule::Fixed { offsets_days } => {
                    DeductionSchedule::Fixed { offsets_days }
                }
                domain::DeductionSchedule::Daily {
                    first_days_before,
                    last_days_before,
                } => DeductionSchedule::Daily {
                    first_days_before,
                    last_days_before,
                },
            }
        }
    }

    impl From<domain::ChangePolicy> for ChangePolicy {
        fn from(policy: domain::ChangePolicy) -> ChangePolicy {
            ChangePolicy {
                edition_change: policy.edition_change,
                downgrade: policy.downgrade,
            }
        }
    }

    impl From<domain::PayAsYouGoPolicy> for PayAsYouGoPolicy {
        fn from(policy: domain::PayAsYouGoPolicy) -> PayAsYouGoPolicy {
            PayAsYouGoPolicy {
                bill_delay_hours: policy.bill_delay_hours,
                overdue_grace_hours: policy.overdue_grace_hours,
            }
        }
    }

    impl From<domain::PurchaseLimits> for PurchaseLimits {
        fn from(limits: domain::PurchaseLimits) -> PurchaseLimits {
            PurchaseLimits {
                payg_minimum_credit_minor: limits.payg_minimum_credit_minor,
                payg_max_open_instances: limits.payg_max_open_instances,
                free_instances_without_credit: limits.free_instances_without_credit,
            }
        }
    }

    impl From<domain::Edition> for Edition {
        fn from(edition: domain::Edition) -> Edition {
            Edition {
                id: edition.id,
                name: edition.name,
                billing: edition.billing.into(),
                upgrade_needs_approval: edition.upgrade_needs_approval,
                inactivity_freeze_days: edition.inactivity_freeze_days,
                refundable: edition.refundable,
                quota_unit: edition.quota_unit,
                specs: edition.specs.into_iter().map(Into::into).collect(),
                meters: edition.meters.into_iter().map(Into::into).collect(),
            }
        }
    }

    impl From<domain::Spec> for Spec {
        fn from(spec: domain::Spec) -> Spec {
            Spec {
                id: spec.id,
                name: spec.name,
                monthly_price_minor: spec.monthly_price_minor,
                yearly_price_minor: spec.yearly_price_minor,
                quota: spec.quota,
            }
        }
    }

    impl From<domain::Meter> for Meter {
        fn from(meter: domain::Meter) -> Meter {
            Meter {
                id: meter.id,
                unit: meter.unit,
                price_minor: meter.price_minor,
                units_per_price: meter.units_per_price,
            }
        }
    }
}
