//! The catalog as the API shows it: products, editions, specs and their policies.

use serde::{Deserialize, Serialize};

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
