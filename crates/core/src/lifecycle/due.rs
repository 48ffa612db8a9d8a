//! Which lifecycle step an instance takes next, and when. The scheduler stores the time as the
//! instance's `next_due_at` and finds due instances by an index on it.

use jiff::Timestamp;

use super::instance::{Instance, InstanceStatus};
use crate::catalog::LifecyclePolicy;
use crate::period::add_days;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// Send the expiry reminder, the policy's lead days before expiry.
    Remind,
    /// Stop the instance at its expiry; data is kept.
    Expire,
    /// Release the instance the policy's retention days after expiry.
    Release,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueStep {
    pub step: Step,
    pub at: Timestamp,
}

/// The earliest step still to take, or `None` when nothing is scheduled.
pub fn next_due(instance: &Instance, policy: &LifecyclePolicy) -> Option<DueStep> {
    let expires_at = instance.expires_at?;
    match instance.status {
        InstanceStatus::Active => {
            let remind_at = add_days(expires_at, -policy.reminder_lead_days);
            let reminder_pending =
                policy.reminder_lead_days > 0 && instance.reminded_for_expiry != Some(expires_at);
            if reminder_pending {
                Some(DueStep {
                    step: Step::Remind,
                    at: remind_at,
                })
            } else {
                Some(DueStep {
                    step: Step::Expire,
                    at: expires_at,
                })
            }
        }
        InstanceStatus::Expired => Some(DueStep {
            step: Step::Release,
            at: release_at(expires_at, policy),
        }),
        InstanceStatus::Released | InstanceStatus::FreeTier | InstanceStatus::Unsubscribed => None,
    }
}

/// When an instance that expired at `expires_at` is released.
pub fn release_at(expires_at: Timestamp, policy: &LifecyclePolicy) -> Timestamp {
    add_days(expires_at, policy.retention_days)
}
