//! Which lifecycle step an instance takes next, and when. The scheduler stores the time as the
//! instance's `next_due_at` and finds due instances by an index on it.

use jiff::Timestamp;

use super::instance::{Instance, InstanceStatus};
use crate::auto_renewal::next_attempt;
use crate::catalog::{LifecyclePolicy, Product};
use crate::period::add_days;

/// The steps, in the order they are taken when several are due at the same moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    /// A resource plan bought to take effect later takes effect (`unactivated → active`).
    Activate,
    /// Try to pay for an auto-renewal ([`crate::auto_renewal`]). First at equal times: an attempt
    /// due at the expiry itself may still keep the instance from stopping.
    DeductionAttempt,
    /// Send the expiry reminder, the policy's lead days before expiry.
    Remind,
    /// Stop the instance at its expiry; data is kept.
    Expire,
    /// Warn an expired instance, the policy's release warning lead days before its release
    /// ([`super::release_warning`]).
    WarnRelease,
    /// Release the instance the policy's retention days after expiry.
    Release,
    /// Stop a pay-as-you-go instance whose account stayed overdue through the grace period
    /// (see `usage_steps`).
    StopOverdue,
    /// Freeze a free instance after its edition's inactivity days (see `usage_steps`).
    Freeze,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueStep {
    pub step: Step,
    pub at: Timestamp,
}

/// The earliest step still to take, or `None` when nothing is scheduled.
pub fn next_due(instance: &Instance, product: &Product) -> Option<DueStep> {
    let deduction = next_attempt(instance, &product.auto_renewal).map(|attempt| DueStep {
        step: Step::DeductionAttempt,
        at: attempt.at,
    });
    let lifecycle = next_lifecycle_step(instance, &product.lifecycle);
    [deduction, lifecycle]
        .into_iter()
        .flatten()
        .min_by_key(|due| (due.at, due.step))
}

/// The next step of `active → expired → released`, auto-renewal aside.
fn next_lifecycle_step(instance: &Instance, policy: &LifecyclePolicy) -> Option<DueStep> {
    let expires_at = instance.expires_at?;
    match instance.status {
        InstanceStatus::Unactivated => Some(DueStep {
            step: Step::Activate,
            at: instance.activates_at?,
        }),
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
        InstanceStatus::Expired => {
            super::release_warning::warning_due(instance, policy, expires_at).or(Some(DueStep {
                step: Step::Release,
                at: release_at(expires_at, policy),
            }))
        }
        InstanceStatus::Released
        | InstanceStatus::FreeTier
        | InstanceStatus::ReleaseNeedsManualStep
        | InstanceStatus::Unsubscribed
        | InstanceStatus::Stopped
        | InstanceStatus::Frozen => None,
    }
}

/// When an instance that expired at `expires_at` is released.
pub fn release_at(expires_at: Timestamp, policy: &LifecyclePolicy) -> Timestamp {
    add_days(expires_at, policy.retention_days)
}
