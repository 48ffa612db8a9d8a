//! A change waiting for the operator is withdrawn (its approval `cancelled`, with why) as soon
//! as its instance can no longer change: it expired, or it was released, moved to the free
//! tier or unsubscribed. Approving it later could only fail (rule 1 of [`super::rules`]), and
//! a pending change that nobody can apply would otherwise wait for ever.

use super::events::{approval_closed_event, ClosedApproval};
use crate::event::EventDraft;
use crate::lifecycle::{Instance, InstanceStatus};

/// Why a pending change of `before` is withdrawn now that the instance is `after`, or `None`
/// when it still can be applied (an active instance, renewed or changed, say).
pub fn withdrawal_reason(before: &Instance, after: &Instance) -> Option<&'static str> {
    if before.status == after.status {
        return None;
    }
    match after.status {
        InstanceStatus::Expired => Some("the instance expired"),
        InstanceStatus::Released
        | InstanceStatus::FreeTier
        | InstanceStatus::ReleaseNeedsManualStep => Some("the instance was released"),
        InstanceStatus::Unsubscribed => Some("the instance was unsubscribed"),
        InstanceStatus::Unactivated
        | InstanceStatus::Active
        | InstanceStatus::Stopped
        | InstanceStatus::Frozen => None,
    }
}

/// Announces a pending change withdrawn for `reason` (`instance.change_cancelled`).
pub fn withdrawn_event(
    account_id: &str,
    instance_id: &str,
    approval_id: &str,
    reason: &str,
) -> EventDraft {
    approval_closed_event(
        account_id,
        instance_id,
        approval_id,
        ClosedApproval::Cancelled,
        Some(reason),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn active() -> Instance {
        crate::lifecycle::subscription_for_tests(
            "inst_1",
            "acct_1",
            ("message-queue", "enterprise-platinum", "tps-100000"),
            "2026-05-01T00:00:00Z".parse().unwrap(),
        )
    }

    #[test]
    fn expiry_and_every_release_withdraw_a_pending_change() {
        let before = active();
        for (status, reason) in [
            (InstanceStatus::Expired, "the instance expired"),
            (InstanceStatus::Released, "the instance was released"),
            (InstanceStatus::FreeTier, "the instance was released"),
            (
                InstanceStatus::Unsubscribed,
                "the instance was unsubscribed",
            ),
        ] {
            let after = Instance {
                status,
                ..before.clone()
            };
            assert_eq!(withdrawal_reason(&before, &after), Some(reason));
        }
    }

    #[test]
    fn a_running_instance_keeps_its_pending_change() {
        let before = active();
        let renewed = Instance {
            expires_at: Some("2026-06-01T00:00:00Z".parse().unwrap()),
            ..before.clone()
        };
        assert_eq!(withdrawal_reason(&before, &renewed), None);
        let expired = Instance {
            status: InstanceStatus::Expired,
            ..before
        };
        assert_eq!(withdrawal_reason(&expired, &expired.clone()), None);
    }
}
