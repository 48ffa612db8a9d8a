//! Releasing a pay-as-you-go or free instance by hand (`POST /v1/instances/{id}/release`).
//! Those instances have no paid period to refund, so they are not unsubscribed: the customer
//! releases them, which stops their billing (reference 004: "back up your data and release
//! the resources").
//!
//! - Only pay-as-you-go and free instances, active, stopped (overdue) or frozen; a subscription
//!   or a resource plan is unsubscribed instead, and a released instance stays released.
//! - It is final and deletes the data as the product's `at_release` says, so the caller must
//!   confirm the data is backed up.
//! - It closes the instance's open usage: every cycle still open is billed now (its bill is
//!   generated at the release instead of `bill_delay_hours` after its cycle), so the last bill
//!   is the final one, and usage reported afterwards is refused (`instance_released`). Unpaid
//!   bills stay the account's debt.

use jiff::Timestamp;
use serde_json::json;

use crate::catalog::{Billing, Product};
use crate::event::{EventDraft, NoticeDraft};
use crate::lifecycle::step::released_as;
use crate::lifecycle::{Instance, StepOutcome};
use crate::notice::{readable_time, NoticeTexts};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReleaseRefusal {
    #[error(
        "instance {0} is a {1}: prepaid resources are not released by hand; unsubscribe it \
         (POST /v1/instances/{0}/unsubscribe), which refunds what it has not used"
    )]
    Prepaid(String, &'static str),
    #[error("instance {0} was already released")]
    AlreadyReleased(String),
    #[error(
        "releasing deletes the instance's data for good: send `confirm_data_backed_up: true` \
         once it is backed up; nothing was changed"
    )]
    NotConfirmed,
}

impl ReleaseRefusal {
    pub fn code(&self) -> &'static str {
        match self {
            ReleaseRefusal::Prepaid(..) => "not_releasable",
            ReleaseRefusal::AlreadyReleased(_) => "instance_released",
            ReleaseRefusal::NotConfirmed => "confirmation_required",
        }
    }
}

/// Releases `instance` now, or says why not.
pub fn release_by_hand(
    instance: &Instance,
    product: &Product,
    confirm_data_backed_up: bool,
    now: Timestamp,
    texts: &NoticeTexts,
) -> Result<StepOutcome, ReleaseRefusal> {
    match instance.billing {
        Billing::Payg | Billing::Free => {}
        Billing::Subscription => {
            return Err(ReleaseRefusal::Prepaid(instance.id.clone(), "subscription"))
        }
        Billing::ResourcePlan => {
            return Err(ReleaseRefusal::Prepaid(
                instance.id.clone(),
                "resource plan",
            ))
        }
    }
    if instance.status.is_final() {
        return Err(ReleaseRefusal::AlreadyReleased(instance.id.clone()));
    }
    if !confirm_data_backed_up {
        return Err(ReleaseRefusal::NotConfirmed);
    }
    let (status, kind, _, template) = released_as(product.lifecycle.at_release);
    let released = Instance {
        status,
        released_at: Some(now),
        ..instance.clone()
    };
    let event = EventDraft {
        kind,
        account_id: instance.account_id.clone(),
        instance_id: Some(instance.id.clone()),
        data: json!({ "at_release": product.lifecycle.at_release.as_str(),
                      "billing": instance.billing.as_str(), "released_by": "customer",
                      "previous_status": instance.status.as_str() })
        .into(),
    };
    let text = texts.notice(
        template,
        &[
            ("product", &product.name),
            ("instance", &instance.called()),
            ("released_at", &readable_time(now)),
        ],
    );
    let notice = NoticeDraft {
        recipient: None,
        account_id: instance.account_id.clone(),
        instance_id: Some(instance.id.clone()),
        channel: crate::catalog::Channel::Email,
        kind,
        subject: text.subject,
        body: text.body,
    };
    Ok(StepOutcome {
        instance: released,
        events: vec![event],
        notices: vec![notice],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::default_catalog;
    use crate::lifecycle::InstanceStatus;

    fn payg(status: InstanceStatus) -> Instance {
        let mut instance = crate::lifecycle::subscription_for_tests(
            "inst_1",
            "acct_1",
            ("iot-platform", "legacy-public", "standard"),
            "2026-05-01T00:00:00Z".parse().unwrap(),
        );
        instance.billing = Billing::Payg;
        instance.expires_at = None;
        instance.status = status;
        instance
    }

    #[test]
    fn releases_pay_as_you_go_and_free_instances_for_good() {
        let catalog = default_catalog();
        let product = catalog.product("iot-platform").unwrap();
        let now: Timestamp = "2026-05-02T09:00:00Z".parse().unwrap();
        for status in [InstanceStatus::Active, InstanceStatus::Stopped] {
            let outcome =
                release_by_hand(&payg(status), product, true, now, &catalog.notices).unwrap();
            assert_eq!(outcome.instance.status, InstanceStatus::Released);
            assert_eq!(outcome.instance.released_at, Some(now));
            assert_eq!(outcome.events[0].kind.as_str(), "instance.released");
            assert_eq!(outcome.notices.len(), 1);
        }
    }

    #[test]
    fn refuses_prepaid_released_and_unconfirmed() {
        let catalog = default_catalog();
        let product = catalog.product("iot-platform").unwrap();
        let now: Timestamp = "2026-05-02T09:00:00Z".parse().unwrap();
        let mut subscription = payg(InstanceStatus::Active);
        subscription.billing = Billing::Subscription;
        let refusal =
            release_by_hand(&subscription, product, true, now, &catalog.notices).unwrap_err();
        assert_eq!(refusal.code(), "not_releasable");
        assert!(refusal.to_string().contains("/unsubscribe"));
        let released = payg(InstanceStatus::Released);
        assert_eq!(
            release_by_hand(&released, product, true, now, &catalog.notices).unwrap_err(),
            ReleaseRefusal::AlreadyReleased("inst_1".into())
        );
        assert_eq!(
            release_by_hand(
                &payg(InstanceStatus::Active),
                product,
                false,
                now,
                &catalog.notices
            )
            .unwrap_err(),
            ReleaseRefusal::NotConfirmed
        );
    }
}
