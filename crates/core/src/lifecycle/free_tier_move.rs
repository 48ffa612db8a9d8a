//! Moving a released DNS instance's records to the free tier can fail. The vendor (reference
//! 002): "If your domain name is in the serverUpdateProhibited or clientUpdateProhibited state,
//! the security lock is enabled for your domain name. In this case, the automatic downgrade may
//! fail ... you must manually change the DNS server." Which domain statuses block the move is
//! catalog data (`lifecycle.free_tier_move_blocked_by`); the domain's statuses are the
//! operator's report (`Instance::domain_statuses`). A blocked move leaves the instance
//! `release_needs_manual_step`, with an event and a notice saying what to do.

use super::instance::Instance;
use crate::catalog::{LifecyclePolicy, ReleaseAction};

/// The statuses of the instance's domain that block its move to the free tier (none when
/// the move goes ahead, or when release does not move anything).
pub fn blocking_statuses<'a>(instance: &'a Instance, policy: &LifecyclePolicy) -> Vec<&'a str> {
    if policy.at_release != ReleaseAction::MoveToFreeTier {
        return Vec::new();
    }
    instance
        .domain_statuses
        .iter()
        .filter(|status| {
            policy
                .free_tier_move_blocked_by
                .iter()
                .any(|blocking| blocking.eq_ignore_ascii_case(status))
        })
        .map(String::as_str)
        .collect()
}
