//! What taking a due step does to an instance: its new state, the events and the notices.
//! A deduction attempt, which also moves money, is decided by [`crate::auto_renewal::attempt`].

use jiff::Timestamp;

use super::due::{release_at, Step};
use super::instance::{Instance, InstanceStatus};
use crate::catalog::{Channel, Product, ReleaseAction};
use crate::event::{EventData, EventDraft, EventKind, NoticeDraft};
use crate::notice::{readable_time, NoticeTexts, Template};

#[derive(Debug, Clone, PartialEq)]
pub struct StepOutcome {
    pub instance: Instance,
    pub events: Vec<EventDraft>,
    pub notices: Vec<NoticeDraft>,
}

/// What releasing does, by the product's `at_release`: the final status, the event kind, and
/// the notice's template when the lifecycle releases and when the customer does. Shared by the
/// release step and a release by hand.
pub(crate) fn released_as(
    at_release: ReleaseAction,
) -> (InstanceStatus, EventKind, Template, Template) {
    match at_release {
        ReleaseAction::Delete => (
            InstanceStatus::Released,
            EventKind::InstanceReleased,
            Template::InstanceReleased,
            Template::InstanceReleasedByHand,
        ),
        ReleaseAction::MoveToFreeTier => (
            InstanceStatus::FreeTier,
            EventKind::InstanceMovedToFreeTier,
            Template::InstanceMovedToFreeTier,
            Template::InstanceMovedToFreeTierByHand,
        ),
    }
}

/// Takes `step` at `now`. The caller has checked that the step is the one due; `texts` are the
/// catalog's notice texts.
pub fn take_step(
    instance: &Instance,
    step: Step,
    now: Timestamp,
    product: &Product,
    texts: &NoticeTexts,
) -> StepOutcome {
    if matches!(step, Step::StopOverdue | Step::Freeze) {
        return super::usage_steps::take_usage_step(instance, step, now, product, texts);
    }
    let policy = &product.lifecycle;
    let expires_at = instance
        .expires_at
        .expect("only subscriptions have lifecycle steps");
    let mut next = instance.clone();
    if step == Step::Remind && expires_at <= now {
        // A reminder taken at or after the expiry it is for (a sweep that ran late) would name
        // a date already gone: it is marked taken, and nothing is sent. The expiry follows.
        next.reminded_for_expiry = Some(expires_at);
        return StepOutcome {
            instance: next,
            events: Vec::new(),
            notices: Vec::new(),
        };
    }
    let expires = readable_time(expires_at);
    let retention_days = policy.retention_days.to_string();
    let called = instance.called();
    let named = [
        ("product", product.name.as_str()),
        ("instance", called.as_str()),
    ];
    let notice = |template: Template, more: &[(&str, &str)]| {
        let values: Vec<(&str, &str)> = named.iter().chain(more).copied().collect();
        texts.notice(template, &values)
    };
    let (kind, data, channels, text) = match step {
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
                notice(
                    Template::InstanceActivated,
                    &[
                        ("activated_at", &readable_time(now)),
                        ("expires_at", &expires),
                    ],
                ),
            )
        }
        Step::Remind => {
            next.reminded_for_expiry = Some(expires_at);
            (
                EventKind::ExpiryReminderSent,
                EventData::object().time("expires_at", expires_at).finish(),
                policy.reminder_channels.clone(),
                notice(
                    Template::ExpiryReminder,
                    &[("expires_at", &expires), ("retention_days", &retention_days)],
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
                notice(
                    Template::InstanceExpired,
                    &[
                        ("expires_at", &expires),
                        ("release_at", &readable_time(release_time)),
                    ],
                ),
            )
        }
        Step::StopOverdue | Step::Freeze => unreachable!("usage steps returned above"),
        Step::WarnRelease => {
            next.release_warned_for_expiry = Some(expires_at);
            let (data, text) =
                super::release_warning::warning(instance, product, expires_at, texts);
            (
                EventKind::ReleaseWarningSent,
                data,
                vec![Channel::Email],
                text,
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
                    notice(
                        Template::ReleaseNeedsManualStep,
                        &[
                            ("retention_days", &retention_days),
                            ("blocked_by", &blocked.join(", ")),
                        ],
                    ),
                )
            } else {
                let (status, kind, template, _) = released_as(policy.at_release);
                next.status = status;
                (
                    kind,
                    EventData::object()
                        .text("at_release", policy.at_release.as_str())
                        .time("expires_at", expires_at)
                        .finish(),
                    vec![Channel::Email],
                    notice(template, &[("retention_days", &retention_days)]),
                )
            }
        }
    };
    let notices = channels
        .into_iter()
        .map(|channel| NoticeDraft {
            recipient: None,
            account_id: instance.account_id.clone(),
            instance_id: Some(instance.id.clone()),
            channel,
            kind,
            subject: text.subject.clone(),
            body: text.body.clone(),
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
