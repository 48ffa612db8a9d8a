use std::str::FromStr;

use jiff::Timestamp;
use serde::Serialize;

use crate::catalog::{Billing, DeductionScheduleChoice};
use crate::period::Period;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
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

impl InstanceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InstanceStatus::Unactivated => "unactivated",
            InstanceStatus::Active => "active",
            InstanceStatus::Expired => "expired",
            InstanceStatus::Released => "released",
            InstanceStatus::FreeTier => "free_tier",
            InstanceStatus::ReleaseNeedsManualStep => "release_needs_manual_step",
            InstanceStatus::Unsubscribed => "unsubscribed",
            InstanceStatus::Stopped => "stopped",
            InstanceStatus::Frozen => "frozen",
        }
    }

    /// Released, free-tier and unsubscribed instances never come back.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            InstanceStatus::Released
                | InstanceStatus::FreeTier
                | InstanceStatus::ReleaseNeedsManualStep
                | InstanceStatus::Unsubscribed
        )
    }
}

impl FromStr for InstanceStatus {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        [
            InstanceStatus::Unactivated,
            InstanceStatus::Active,
            InstanceStatus::Expired,
            InstanceStatus::Released,
            InstanceStatus::FreeTier,
            InstanceStatus::ReleaseNeedsManualStep,
            InstanceStatus::Unsubscribed,
            InstanceStatus::Stopped,
            InstanceStatus::Frozen,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
        .ok_or_else(|| {
            format!(
                "`{text}` is not a status: use unactivated, active, expired, released, free_tier, release_needs_manual_step, unsubscribed, stopped or frozen"
            )
        })
    }
}

/// How an instance is renewed: the Manual, Auto and Don't renew tabs of Renewal Management.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RenewalMode {
    Manual,
    Auto,
    None,
}

impl RenewalMode {
    pub fn as_str(self) -> &'static str {
        match self {
            RenewalMode::Manual => "manual",
            RenewalMode::Auto => "auto",
            RenewalMode::None => "none",
        }
    }
}

impl FromStr for RenewalMode {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "manual" => Ok(RenewalMode::Manual),
            "auto" => Ok(RenewalMode::Auto),
            "none" => Ok(RenewalMode::None),
            other => Err(format!(
                "`{other}` is not a renewal mode: use manual, auto or none"
            )),
        }
    }
}

/// One resource a customer bought.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    /// End of the paid service; `None` for pay-as-you-go and free instances.
    pub expires_at: Option<Timestamp>,
    pub released_at: Option<Timestamp>,
    pub renewal_mode: RenewalMode,
    pub auto_renew_period: Option<Period>,
    /// The period of the first purchase; the auto-renewal unit of products that follow it.
    pub subscription_period: Option<Period>,
    /// The expiry the last reminder was sent for, so each expiry gets one reminder.
    pub reminded_for_expiry: Option<Timestamp>,
    /// Which of the product's deduction schedules auto-renewal follows; set while the renewal
    /// mode is `auto`.
    pub auto_renew_schedule: Option<DeductionScheduleChoice>,
    /// No deduction is attempted before this moment: the start of the UTC day after auto-renewal
    /// was enabled, because auto-renewal takes effect the next day.
    pub auto_renew_effective_from: Option<Timestamp>,
    /// The last deduction attempt, keyed to the expiry it was to renew: attempts for that expiry
    /// at this offset or earlier are done. A new expiry starts the schedule again.
    pub last_deduction_attempt: Option<DeductionAttemptMark>,
    /// The last activity of a free instance (purchase, usage report, "continue trial"); it is
    /// frozen after its edition's inactivity days without one. `None` means its creation.
    pub last_active_at: Option<Timestamp>,
    /// When a resource plan bought to take effect later does (it is `unactivated` until
    /// then); `None` for everything that took effect when bought.
    pub activates_at: Option<Timestamp>,
    /// The expiry the release warning was sent for, so each expiry gets one warning (a renewal
    /// after expiry moves the expiry, and a later expiry is warned again).
    pub release_warned_for_expiry: Option<Timestamp>,
    /// The registry statuses of the instance's domain (DNS), as the operator last reported
    /// them (`serverUpdateProhibited`, ...): a security lock makes the move to the free tier
    /// fail. Empty for everything else.
    pub domain_statuses: Vec<String>,
    /// What the customer calls it (`label::check_name`); notices name it by this.
    pub name: Option<String>,
    /// The customer's tags (`label::check_tags`), sorted.
    pub tags: Vec<String>,
}

impl Instance {
    /// How a notice names the instance: “its name” (its id), or its id alone.
    pub fn called(&self) -> String {
        crate::label::called(&self.id, self.name.as_deref())
    }
}

/// Where auto-renewal stands in its schedule for one expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct DeductionAttemptMark {
    /// The expiry the attempt was to renew.
    pub renews_expires_at: Timestamp,
    /// The attempt's offset in days from that expiry (negative: before it).
    pub attempt_offset_days: i64,
}
