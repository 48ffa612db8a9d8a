//! Instances: what a customer bought, buying it, and its list.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::bills::{Bill, Settlement};
use crate::catalog::{Billing, DeductionScheduleChoice};
use crate::orders::{Order, PaymentMethod};
use crate::period::Period;

/// Where an instance stands in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum InstanceStatus {
    /// A resource plan bought to take effect later (`activates_at`): paid, not yet in effect;
    /// it becomes active at that time.
    Unactivated,
    /// Running and paid for.
    Active,
    /// Past its expiry: stopped, data kept until release.
    Expired,
    /// Released: data deleted for good. Final.
    Released,
    /// Released to the product's free tier, data kept there (DNS records). Final.
    FreeTier,
    /// Released, but the move of its data to the free tier failed (a DNS domain under a
    /// security lock): the customer must finish it by hand (change the DNS servers). Final.
    ReleaseNeedsManualStep,
    /// Unsubscribed by the customer: released at once, data deleted for good, the unused part
    /// refunded. Final.
    Unsubscribed,
    /// A pay-as-you-go instance stopped because its account stayed overdue past the grace
    /// period; paying the debt restores it.
    Stopped,
    /// A free instance frozen after a long time without activity; "continue trial" unfreezes it.
    Frozen,
}

same_variants!(
    InstanceStatus,
    tenure_core::lifecycle::InstanceStatus {
        Unactivated,
        Active,
        Expired,
        Released,
        FreeTier,
        ReleaseNeedsManualStep,
        Unsubscribed,
        Stopped,
        Frozen,
    }
);

/// How an instance is renewed: the Manual, Auto and Don't renew tabs of Renewal Management.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RenewalMode {
    /// Renewed when the customer renews it.
    Manual,
    /// Renewed from the balance and coupons before it expires.
    Auto,
    /// Left to expire.
    None,
}

same_variants!(
    RenewalMode,
    tenure_core::lifecycle::RenewalMode { Manual, Auto, None }
);

/// One resource a customer bought, and what comes next in its life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Instance {
    pub id: String,
    pub account_id: String,
    pub product_id: String,
    pub edition_id: String,
    pub spec_id: String,
    pub region: String,
    pub billing: Billing,
    pub status: InstanceStatus,
    pub created_at: Timestamp,
    /// End of the paid service; none for pay-as-you-go and free instances.
    pub expires_at: Option<Timestamp>,
    pub released_at: Option<Timestamp>,
    pub renewal_mode: RenewalMode,
    /// The period auto-renewal renews for, while the renewal mode is `auto`.
    pub auto_renew_period: Option<Period>,
    /// The period of the first purchase; the auto-renewal unit of products that follow it.
    pub subscription_period: Option<Period>,
    /// Which of the product's deduction schedules auto-renewal follows; set while the renewal
    /// mode is `auto`.
    pub auto_renew_schedule: Option<DeductionScheduleChoice>,
    /// No deduction is attempted before this moment: the start of the UTC day after auto-renewal
    /// was enabled, because auto-renewal takes effect the next day.
    pub auto_renew_effective_from: Option<Timestamp>,
    /// The last activity of a free instance (purchase, usage report, "continue trial"); it is
    /// frozen after its edition's inactivity days without one. None means its creation.
    pub last_active_at: Option<Timestamp>,
    /// When a resource plan bought to take effect later does (it is `unactivated` until
    /// then); none for everything that took effect when bought.
    pub activates_at: Option<Timestamp>,
    /// The registry statuses of the instance's domain (DNS), as the operator last reported
    /// them (`serverUpdateProhibited`, ...): a security lock makes the move to the free tier
    /// fail. Empty for everything else.
    pub domain_statuses: Vec<String>,
    /// What the customer calls it: notices name the instance by it. None until named.
    pub name: Option<String>,
    /// The customer's tags, sorted; empty until tagged.
    pub tags: Vec<String>,
    /// When the next lifecycle step (reminder, expiry, release) is due.
    pub next_due_at: Option<Timestamp>,
    /// When an expired instance will be released.
    pub release_at: Option<Timestamp>,
    /// When auto-renewal next tries to pay; none unless the renewal mode is `auto` and an
    /// attempt is left for the current expiry.
    pub next_deduction_at: Option<Timestamp>,
    /// The deduction attempts made so far for the current expiry (instance details only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deduction_attempts: Option<Vec<DeductionAttempt>>,
}

/// One auto-renewal deduction attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DeductionAttempt {
    pub id: String,
    pub instance_id: String,
    pub account_id: String,
    /// The expiry this attempt was to renew.
    pub renews_expires_at: Timestamp,
    /// Days from that expiry (negative: before it).
    pub attempt_offset_days: i64,
    /// When the schedule put the attempt.
    pub scheduled_at: Timestamp,
    /// When it was made (later than `scheduled_at` only when the scheduler ran late).
    pub attempted_at: Timestamp,
    /// `paid`, `insufficient_funds`, `not_renewable` or `renewal_ends_in_the_past`.
    pub outcome: String,
    /// The renewal price.
    pub due_minor: i64,
    /// What the balance and coupons held at the attempt.
    pub available_minor: i64,
    /// The renewal order, when the attempt paid.
    pub order_id: Option<String>,
}

// Auto-renewal chosen with a purchase, for `period` (by default the period bought).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoRenew {
    pub period: Option<Period>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("examples" = [
    { "account": "acct_1", "product": "message-queue", "edition": "basic", "spec": "tps-1000",
      "region": "us-east-1", "billing": "subscription", "period": "1M" }
]))]
pub struct Purchase {
    pub account: String,
    #[schemars(extend("x-catalog" = "product"))]
    pub product: String,
    #[schemars(extend("x-catalog" = "edition"))]
    pub edition: String,
    #[schemars(extend("x-catalog" = "spec"))]
    pub spec: Option<String>,
    #[schemars(extend("x-catalog" = "region"))]
    pub region: String,
    pub billing: Option<Billing>,
    pub period: Option<Period>,
    pub auto_renew: Option<AutoRenew>,
    /// Resource plans only: take effect at this later time (RFC 3339).
    pub activates_at: Option<Timestamp>,
    #[schemars(with = "Option<PaymentMethod>")]
    pub pay_with: Option<String>,
    pub use_vouchers: Option<bool>,
    pub use_coupons: Option<bool>,
    /// What to call the instance: 1 to 100 characters, no control characters.
    #[schemars(length(min = 1, max = 100))]
    pub name: Option<String>,
    /// Tags to group it by: at most 20, each 1 to 50 characters of `a-z 0-9 _ - : .`, no two
    /// alike.
    #[schemars(
        length(max = 20),
        inner(length(min = 1, max = 50), regex(pattern = r"^[a-z0-9_\-:.]+$"))
    )]
    pub tags: Option<Vec<String>>,
}

/// `PATCH /v1/instances/{id}`: a field left out stays as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("examples" = [{ "name": "billing-db", "tags": ["env:prod", "team-billing"] }]))]
pub struct InstanceLabels {
    /// The new name (1 to 100 characters, no control characters), or null to remove it.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<String>", length(min = 1, max = 100))]
    pub name: Option<Option<String>>,
    /// The whole new set of tags, replacing the old (at most 20, each 1 to 50 characters of
    /// `a-z 0-9 _ - : .`, no two alike); `[]` removes them all.
    #[schemars(
        length(max = 20),
        inner(length(min = 1, max = 50), regex(pattern = r"^[a-z0-9_\-:.]+$"))
    )]
    pub tags: Option<Vec<String>>,
}

/// A field that may be null: given (`Some`, null or not), or left out (`None`, by `default`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PurchaseResult {
    pub instance: Instance,
    /// The paid order; none for pay-as-you-go and free instances.
    pub order: Option<Order>,
}

// `GET /v1/instances`: filters and the page.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InstanceQuery {
    pub account: Option<String>,
    pub product: Option<String>,
    pub region: Option<String>,
    #[schemars(with = "Option<InstanceStatus>")]
    pub status: Option<String>,
    #[schemars(with = "Option<RenewalMode>")]
    pub renewal: Option<String>,
    /// How the instances are paid for (`subscription` for the ones a renewal applies to).
    #[schemars(with = "Option<crate::catalog::Billing>")]
    pub billing: Option<String>,
    /// Expiring after this time.
    pub expires_after: Option<Timestamp>,
    /// Expiring at or before this time.
    pub expires_before: Option<Timestamp>,
    /// Instances carrying this tag.
    #[schemars(length(min = 1, max = 50), regex(pattern = r"^[a-z0-9_\-:.]+$"))]
    pub tag: Option<String>,
    /// Instances whose name holds this text, whatever the case of its letters (at most 100
    /// characters, no control characters).
    #[schemars(length(max = 100))]
    pub name: Option<String>,
    /// Items per page, 1 to 1000 (default 100).
    #[schemars(range(min = 1, max = 1000))]
    #[serde(default, deserialize_with = "crate::whole_number::query")]
    pub limit: Option<i64>,
    pub after: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuotaUsage {
    #[schemars(range(min = 1, max = 1_000_000_000_000_000i64))]
    #[serde(deserialize_with = "crate::whole_number::number")]
    pub units: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PlanQuota {
    pub instance_id: String,
    pub quota_unit: String,
    pub quota_units: i64,
    pub used_units: i64,
    /// When the plan takes effect: its quota can be used from then on.
    pub activates_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct QuotaUse {
    pub quota: PlanQuota,
    pub remaining_units: i64,
}

// `POST /v1/instances/{id}/continue-trial`: nothing to say, the path names the instance.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContinueTrial {}

// Auto-renewal chosen when a free instance becomes a subscription, for `period` (by default
// the period bought).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpgradeAutoRenew {
    pub period: Option<Period>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Upgrade {
    #[schemars(extend("x-catalog" = "edition"))]
    pub edition: String,
    #[schemars(extend("x-catalog" = "spec"))]
    pub spec: Option<String>,
    pub period: Period,
    pub auto_renew: Option<UpgradeAutoRenew>,
    #[schemars(with = "Option<PaymentMethod>")]
    pub pay_with: Option<String>,
    pub use_vouchers: Option<bool>,
    pub use_coupons: Option<bool>,
}

/// The confirmation; missing counts as `false`, and the refusal says what to send.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Release {
    /// The instance's data is deleted for good: back it up first.
    pub confirm_data_backed_up: Option<bool>,
}

/// What releasing an instance did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReleaseResult {
    pub instance: Instance,
    /// The cycles still open at the release, billed now, oldest first: the last is the final
    /// bill. Paid, or unpaid as the account's debt.
    pub final_bills: Vec<Bill>,
    /// How settling the account after those bills went (paid, or overdue).
    pub settlement: Settlement,
}

#[cfg(feature = "domain")]
mod from_domain {
    use super::*;

    impl From<tenure_engine::instances::InstanceView> for Instance {
        fn from(view: tenure_engine::instances::InstanceView) -> Instance {
            let instance = view.instance;
            Instance {
                id: instance.id,
                account_id: instance.account_id,
                product_id: instance.product_id,
                edition_id: instance.edition_id,
                spec_id: instance.spec_id,
                region: instance.region,
                billing: instance.billing.into(),
                status: instance.status.into(),
                created_at: instance.created_at,
                expires_at: instance.expires_at,
                released_at: instance.released_at,
                renewal_mode: instance.renewal_mode.into(),
                auto_renew_period: instance.auto_renew_period.map(Period::from),
                subscription_period: instance.subscription_period.map(Period::from),
                auto_renew_schedule: instance.auto_renew_schedule.map(Into::into),
                auto_renew_effective_from: instance.auto_renew_effective_from,
                last_active_at: instance.last_active_at,
                activates_at: instance.activates_at,
                domain_statuses: instance.domain_statuses,
                name: instance.name,
                tags: instance.tags,
                next_due_at: view.next_due_at,
                release_at: view.release_at,
                next_deduction_at: view.next_deduction_at,
                deduction_attempts: view
                    .deduction_attempts
                    .map(|attempts| attempts.into_iter().map(Into::into).collect()),
            }
        }
    }

    impl From<tenure_store::deduction_attempts::DeductionAttempt> for DeductionAttempt {
        fn from(attempt: tenure_store::deduction_attempts::DeductionAttempt) -> DeductionAttempt {
            DeductionAttempt {
                id: attempt.id,
                instance_id: attempt.instance_id,
                account_id: attempt.account_id,
                renews_expires_at: attempt.renews_expires_at,
                attempt_offset_days: attempt.attempt_offset_days,
                scheduled_at: attempt.scheduled_at,
                attempted_at: attempt.attempted_at,
                outcome: attempt.outcome,
                due_minor: attempt.due_minor,
                available_minor: attempt.available_minor,
                order_id: attempt.order_id,
            }
        }
    }

    impl From<tenure_engine::instances::PurchaseResult> for PurchaseResult {
        fn from(result: tenure_engine::instances::PurchaseResult) -> PurchaseResult {
            PurchaseResult {
                instance: result.instance.into(),
                order: result.order.map(Into::into),
            }
        }
    }

    impl From<tenure_store::resource_plans::PlanQuota> for PlanQuota {
        fn from(quota: tenure_store::resource_plans::PlanQuota) -> PlanQuota {
            PlanQuota {
                instance_id: quota.instance_id,
                quota_unit: quota.quota_unit,
                quota_units: quota.quota_units,
                used_units: quota.used_units,
                activates_at: quota.activates_at,
            }
        }
    }

    impl From<tenure_engine::resource_plans::QuotaUse> for QuotaUse {
        fn from(quota_use: tenure_engine::resource_plans::QuotaUse) -> QuotaUse {
            QuotaUse {
                quota: quota_use.quota.into(),
                remaining_units: quota_use.remaining_units,
            }
        }
    }

    impl From<tenure_engine::release::ReleaseResult> for ReleaseResult {
        fn from(result: tenure_engine::release::ReleaseResult) -> ReleaseResult {
            ReleaseResult {
                instance: result.instance.into(),
                final_bills: result.final_bills.into_iter().map(Into::into).collect(),
                settlement: result.settlement.into(),
            }
        }
    }
}
