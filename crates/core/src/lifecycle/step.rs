//! What taking a due step does to an instance: its new state, the events and the notices.
//! A deduction attempt, which also moves money, is decided by [`crate::auto_renewal::attempt`].

use jiff::Timestamp;

use super::due::{release_at, Step};
use super::instance::{Instance, InstanceStatus};
use crate::catalog::{Channel, Product, ReleaseAction};
use crate::event::{EventData, EventDraft, EventKind, NoticeDraft};

#[derive(Debug, Clone, PartialEq)]
pub struct StepOutcome {
    pub instance: Instance,
    pub events: Vec<EventDraft>,
    pub notices: Vec<NoticeDraft>,
}

/// What releasing does, by the product's `at_release`: the final status, the event kind, and
/// the words a notice says it with. Shared by the release step and a release by hand.
pub(crate) fn released_as(at_release: ReleaseAction) -> (InstanceStatus, EventKind, &'static str) {
    match at_release {
        ReleaseAction::Delete => (
            InstanceStatus::Released,
            EventKind::InstanceReleased,
            "was released and its data deleted for good",
        ),
        ReleaseAction::MoveToFreeTier => (
            InstanceStatus::FreeTier,
            EventKind::InstanceMovedToFreeTier,
            "was released and its data moved to the free tier",
        ),
    }
}

/// Takes `step` at `now`. The caller has checked that the step is the one due.
pub fn take_step(
    instance: &Instance,
    step: Step,
    now: Timestamp,
    product: &Product,
) -> StepOutcome {
    if matches!(step, Step::StopOverdue | Step::Freeze) {
        return super::usage_steps::take_usage_step(instance, step, now, product);
    }
    let policy = &product.lifecycle;
    let expires_at = instance
        .expires_at
        .expect("only subscriptions have lifecycle steps");
    let mut next = instance.clone();
    let (kind, data, channels, subject, body) = match step {
        Step::DeductionAttempt => unreachable!(
            "a deduction attempt needs the account's funds: auto_renewal::attempt_deduction takes it"
        ),
        Step::Activate => {
            next.status = InstanceStatus::Active;
            (
                EventKind::InstanceActivated,
                EventData::object()
                    .optional_time("activates_at", instance.activates_at)
                    .time("expires_at", expires_at)
                    .finish(),
                vec![Channel::Email],
                format!("{} {} is now in effect", product.name, instance.id),
                format!(
                    "Your {} resource plan {} took effect on {now} and can be used until {}.",
                    product.name, instance.id, expires_at
                ),
            )
        }
        Step::Remind => {
            next.reminded_for_expiry = Some(expires_at);
            (
                EventKind::ExpiryReminderSent,
                EventData::object().time("expires_at", expires_at).finish(),
                policy.reminder_channels.clone(),
                format!("{} {} expires on {}", product.name, instance.id, expires_at),
                format!(
                    "Your {} instance {} expires on {}. Renew it before then to keep it running; \
                     after expiry it is stopped and released {} days later.",
                    product.name, instance.id, expires_at, policy.retention_days
                ),
            )
        }
        Step::Expire => {
            next.status = InstanceStatus::Expired;
            let release_time = release_at(expires_at, policy);
            (
                EventKind::InstanceExpired,
                EventData::object()
                    .time("expires_at", expires_at)
                    .time("release_at", release_time)
                    .finish(),
                vec![Channel::Email],
                format!("{} {} has expired and stopped", product.name, instance.id),
                format!(
                    "Your {} instance {} expired on {} and is stopped; its data is kept. \
                     Renew it before {} or it will be released.",
                    product.name, instance.id, expires_at, release_time
                ),
            )
        }
        Step::StopOverdue | Step::Freeze => unreachable!("usage steps returned above"),
        Step::WarnRelease => {
            next.release_warned_for_expiry = Some(expires_at);
            let (data, subject, body) =
                super::release_warning::warning(instance, product, expires_at);
            (
                EventKind::ReleaseWarningSent,
                data,
                vec![Channel::Email],
                subject,
                body,
            )
        }
        Step::Release => {
            next.released_at = Some(now);
            let blocked = super::free_tier_move::blocking_statuses(instance, policy);
            if !blocked.is_empty() {
                next.status = InstanceStatus::ReleaseNeedsManualStep;
                (
                    EventKind::InstanceReleaseNeedsManualStep,
                    EventData::object()
                        .text("at_release", policy.at_release.as_str())
                        .text("blocked_by", &blocked.join(","))
                        .time("expires_at", expires_at)
                        .finish(),
                    vec![Channel::Email, Channel::Sms],
                    format!(
                        "{} {} was released; its records could not be moved to the free tier",
                        product.name, instance.id
                    ),
                    format!(
                        "Your {} instance {} was released after {} days of retention, but its \
                         records could not be moved to the free tier: the domain is under a \
                         security lock ({}). Change the domain's DNS servers by hand (to the \
                         free DNS servers or your registrar's) so that it keeps resolving.",
                        product.name,
                        instance.id,
                        policy.retention_days,
                        blocked.join(", ")
                    ),
                )
            } else {
                let (status, kind, what) = released_as(policy.at_release);
                next.status = status;
                (
                    kind,
                    EventData::object()
                        .text("at_release", policy.at_release.as_str())
                        .time("expires_at", expires_at)
                        .finish(),
                    vec![Channel::Email],
                    format!("{} {} {}", product.name, instance.id, what),
                    format!(
                        "Your {} instance {} {} after {} days of retention.",
                        product.name, instance.id, what, policy.retention_days
                    ),
                )
            }
        }
    };
    let notices = channels
        .into_iter()
        .map(|channel| NoticeDraft {
            account_id: instance.account_id.clone(),
            instance_id: Some(instance.id.clone()),
            channel,
            kind,
            subject: subject.clone(),
            body: body.clone(),
        })
        .collect();
    let event = EventDraft {
        kind,
        account_id: instance.account_id.clone(),
        instance_id: Some(instance.id.clone()),
        data,
    };
    StepOutcome {
        instance: next,
        events: vec![event],
        notices,
    }
}
