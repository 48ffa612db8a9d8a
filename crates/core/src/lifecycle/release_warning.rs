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
use crate::notice::{readable_time, NoticeText, NoticeTexts, Template};
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
    texts: &NoticeTexts,
) -> (EventData, NoticeText) {
    let policy = &product.lifecycle;
    let release_time = release_at(expires_at, policy);
    let blocked = super::free_tier_move::blocking_statuses(instance, policy).join(", ");
    let template = match policy.at_release {
        ReleaseAction::Delete => Template::ReleaseWarningDelete,
        ReleaseAction::MoveToFreeTier if blocked.is_empty() => Template::ReleaseWarningFreeTier,
        // Said ahead, while the customer can still act: the move will fail (free_tier_move).
        ReleaseAction::MoveToFreeTier => Template::ReleaseWarningFreeTierBlocked,
    };
    let expires = readable_time(expires_at);
    let release = readable_time(release_time);
    let called = instance.called();
    let mut values = vec![
        ("product", product.name.as_str()),
        ("instance", called.as_str()),
        ("expires_at", expires.as_str()),
        ("release_at", release.as_str()),
    ];
    if template == Template::ReleaseWarningFreeTierBlocked {
        values.push(("blocked_by", &blocked));
    }
    let data = EventData::object()
        .text("at_release", policy.at_release.as_str())
        .time("expires_at", expires_at)
        .time("release_at", release_time)
        .finish();
    (data, texts.notice(template, &values))
}
