//! Steps of instances without an expiry:
//! - a pay-as-you-go instance `active → stopped` when its account has stayed overdue through
//!   the product's grace hours, and `stopped → active` as soon as the debt is paid;
//! - a free instance `active → frozen` after its edition's inactivity days without activity
//!   (purchase, a usage report, "continue trial"), and `frozen → active` by "continue trial".

use jiff::Timestamp;
use serde_json::json;

use super::due::{DueStep, Step};
use super::instance::{Instance, InstanceStatus};
use super::step::StepOutcome;
use crate::catalog::{Billing, Channel, Product};
use crate::event::{EventDraft, EventKind, NoticeDraft};
use crate::notice::{readable_time, NoticeText, NoticeTexts, Template};
use crate::overdue::stop_at;
use crate::period::add_days;

/// The next step of a pay-as-you-go or free instance, given since when its account is overdue.
pub fn next_usage_due(
    instance: &Instance,
    product: &Product,
    overdue_since: Option<Timestamp>,
) -> Option<DueStep> {
    if instance.status != InstanceStatus::Active {
        return None;
    }
    match instance.billing {
        Billing::Payg => {
            let policy = product.pay_as_you_go.as_ref()?;
            overdue_since.map(|since| DueStep {
                step: Step::StopOverdue,
                at: stop_at(since, policy),
            })
        }
        Billing::Free => {
            let days = product
                .edition(&instance.edition_id)?
                .inactivity_freeze_days?;
            Some(DueStep {
                step: Step::Freeze,
                at: add_days(last_activity(instance), days),
            })
        }
        Billing::Subscription | Billing::ResourcePlan => None,
    }
}

pub fn last_activity(instance: &Instance) -> Timestamp {
    instance.last_active_at.unwrap_or(instance.created_at)
}

fn outcome(
    instance: Instance,
    kind: EventKind,
    data: serde_json::Value,
    text: NoticeText,
) -> StepOutcome {
    let event = EventDraft {
        kind,
        account_id: instance.account_id.clone(),
        instance_id: Some(instance.id.clone()),
        data: data.into(),
    };
    let notice = NoticeDraft {
        recipient: None,
        account_id: instance.account_id.clone(),
        instance_id: Some(instance.id.clone()),
        channel: Channel::Email,
        kind,
        subject: text.subject,
        body: text.body,
    };
    StepOutcome {
        instance,
        events: vec![event],
        notices: vec![notice],
    }
}

/// Takes a due stop or freeze at `now`. The caller has checked that the step is the one due.
pub fn take_usage_step(
    instance: &Instance,
    step: Step,
    now: Timestamp,
    product: &Product,
    texts: &NoticeTexts,
) -> StepOutcome {
    let mut next = instance.clone();
    let called = instance.called();
    let named = [
        ("product", product.name.as_str()),
        ("instance", called.as_str()),
    ];
    let notice = |template: Template, more: &[(&str, &str)]| {
        let values: Vec<(&str, &str)> = named.iter().chain(more).copied().collect();
        texts.notice(template, &values)
    };
    match step {
        Step::StopOverdue => {
            next.status = InstanceStatus::Stopped;
            let grace_hours = product
                .pay_as_you_go
                .as_ref()
                .map_or(0, |policy| policy.overdue_grace_hours);
            outcome(
                next,
                EventKind::InstanceStopped,
                json!({ "reason": "overdue", "grace_hours": grace_hours }),
                notice(
                    Template::InstanceStopped,
                    &[
                        ("grace_hours", &grace_hours.to_string()),
                        ("stopped_at", &readable_time(now)),
                    ],
                ),
            )
        }
        Step::Freeze => {
            next.status = InstanceStatus::Frozen;
            let last_active_at = last_activity(instance);
            outcome(
                next,
                EventKind::InstanceFrozen,
                json!({ "last_active_at": last_active_at.to_string() }),
                notice(
                    Template::InstanceFrozen,
                    &[("last_active_at", &readable_time(last_active_at))],
                ),
            )
        }
        Step::Activate
        | Step::DeductionAttempt
        | Step::Remind
        | Step::Expire
        | Step::WarnRelease
        | Step::Release => {
            unreachable!("subscription steps are taken by step::take_step")
        }
    }
}

/// A stopped pay-as-you-go instance once its account's debt is paid: running again. `None`
/// when there is nothing to restore.
pub fn restore_after_payment(instance: &Instance) -> Option<StepOutcome> {
    if instance.billing != Billing::Payg || instance.status != InstanceStatus::Stopped {
        return None;
    }
    let next = Instance {
        status: InstanceStatus::Active,
        ..instance.clone()
    };
    let event = EventDraft {
        kind: EventKind::InstanceRestored,
        account_id: instance.account_id.clone(),
        instance_id: Some(instance.id.clone()),
        data: json!({ "reason": "overdue_settled" }).into(),
    };
    Some(StepOutcome {
        instance: next,
        events: vec![event],
        notices: Vec::new(),
    })
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContinueTrialError {
    #[error("instance {0} is not a free instance")]
    NotFree(String),
    #[error("instance {0} is not frozen; only a frozen free instance continues its trial")]
    NotFrozen(String),
}

/// "Continue trial": a frozen free instance runs again, its inactivity counted from `now`.
pub fn continue_trial(
    instance: &Instance,
    now: Timestamp,
) -> Result<StepOutcome, ContinueTrialError> {
    if instance.billing != Billing::Free {
        return Err(ContinueTrialError::NotFree(instance.id.clone()));
    }
    if instance.status != InstanceStatus::Frozen {
        return Err(ContinueTrialError::NotFrozen(instance.id.clone()));
    }
    let next = Instance {
        status: InstanceStatus::Active,
        last_active_at: Some(now),
        ..instance.clone()
    };
    let event = EventDraft {
        kind: EventKind::InstanceTrialContinued,
        account_id: instance.account_id.clone(),
        instance_id: Some(instance.id.clone()),
        data: json!({}).into(),
    };
    Ok(StepOutcome {
        instance: next,
        events: vec![event],
        notices: Vec::new(),
    })
}
