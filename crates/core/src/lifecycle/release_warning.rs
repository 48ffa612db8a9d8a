//! The release warning (the spec's "release warnings"): an expired instance is told, the
//! product's `release_warning_lead_days` before its release, that it will be released and what
//! that does to its data, while renewing can still keep it. Sent once per expiry
//! (`release_warned_for_expiry`), by email like the expiry and release notices; a product with
//! `0` lead days sends none.

use jiff::Timestamp;

use super::due::{release_at, DueStep, Step};
use super::instance::Instance;
use crate::catalog::{LifecyclePolicy, Product, ReleaseAction};
use crate::event::EventData;
use crate::period::add_days;

/// The warning still to send for an instance that expired at `expires_at`, if any.
pub fn warning_due(
    instance: &Instance,
    policy: &LifecyclePolicy,
    expires_at: Timestamp,
) -> Option<DueStep> {
    let pending = policy.release_warning_lead_days > 0
        && instance.release_warned_for_expiry != Some(expires_at);
    pending.then(|| DueStep {
        step: Step::WarnRelease,
        at: add_days(
            release_at(expires_at, policy),
            -policy.release_warning_lead_days,
        ),
    })
}

/// What the warning says: its event data, subject and body.
pub(super) fn warning(
    instance: &Instance,
    product: &Product,
    expires_at: Timestamp,
) -> (EventData, String, String) {
    let policy = &product.lifecycle;
    let release_time = release_at(expires_at, policy);
    let blocked = super::free_tier_move::blocking_statuses(instance, policy);
    let what = match policy.at_release {
        ReleaseAction::Delete => "it and its data will be deleted for good".to_string(),
        ReleaseAction::MoveToFreeTier if blocked.is_empty() => {
            "its data will be moved to the free tier".to_string()
        }
        // Said ahead, while the customer can still act: the move will fail (free_tier_move).
        ReleaseAction::MoveToFreeTier => format!(
            "its data should move to the free tier, but the domain is under a security lock \
             ({}), so the move will fail and the DNS servers must be changed by hand",
            blocked.join(", ")
        ),
    };
    let data = EventData::object()
        .text("at_release", policy.at_release.as_str())
        .time("expires_at", expires_at)
        .time("release_at", release_time)
        .finish();
    (
        data,
        format!(
            "{} {} will be released on {release_time}",
            product.name, instance.id
        ),
        format!(
            "Your {} instance {} expired on {expires_at} and will be released on \
             {release_time}: {what}. Renew it before then to keep it.",
            product.name, instance.id
        ),
    )
}
