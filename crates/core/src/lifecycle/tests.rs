//! The lifecycle of each default product, step by step (docs/examples.md 2 and 3).

use jiff::Timestamp;

use super::*;
use crate::catalog::{default_catalog, Billing};

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn instance(product_id: &str, expires_at: &str) -> Instance {
    Instance {
        id: "inst_1".into(),
        account_id: "acct_1".into(),
        product_id: product_id.into(),
        edition_id: "e".into(),
        spec_id: "s".into(),
        region: "r".into(),
        billing: Billing::Subscription,
        status: InstanceStatus::Active,
        created_at: at("2026-02-10T00:00:00Z"),
        expires_at: Some(at(expires_at)),
        released_at: None,
        renewal_mode: RenewalMode::Manual,
        auto_renew_period: None,
        subscription_period: None,
        reminded_for_expiry: None,
        auto_renew_schedule: None,
        auto_renew_effective_from: None,
        last_deduction_attempt: None,
        last_active_at: None,
        activates_at: None,
        release_warned_for_expiry: None,
        domain_statuses: Vec::new(),
        name: None,
        tags: Vec::new(),
    }
}

/// Runs every step in order and returns (step, time, status after).
fn live_through(product_id: &str, expires_at: &str) -> Vec<(Step, Timestamp, InstanceStatus)> {
    let catalog = default_catalog();
    let product = catalog.product(product_id).unwrap();
    let mut current = instance(product_id, expires_at);
    let mut taken = Vec::new();
    while let Some(due) = next_due(&current, product) {
        current = take_step(&current, due.step, due.at, product, &catalog.notices).instance;
        taken.push((due.step, due.at, current.status));
        assert!(taken.len() < 10, "the lifecycle must end");
    }
    taken
}

#[test]
fn message_queue_reminds_seven_days_before_and_releases_after_thirty() {
    assert_eq!(
        live_through("message-queue", "2026-03-10T00:00:00Z"),
        vec![
            (
                Step::Remind,
                at("2026-03-03T00:00:00Z"),
                InstanceStatus::Active
            ),
            (
                Step::Expire,
                at("2026-03-10T00:00:00Z"),
                InstanceStatus::Expired
            ),
            // Warned 7 days before its release (the catalog's release_warning_lead_days).
            (
                Step::WarnRelease,
                at("2026-04-02T00:00:00Z"),
                InstanceStatus::Expired
            ),
            (
                Step::Release,
                at("2026-04-09T00:00:00Z"),
                InstanceStatus::Released
            ),
        ]
    );
}

#[test]
fn iot_is_released_on_the_fifteenth_day() {
    let steps = live_through("iot-platform", "2026-03-10T00:00:00Z");
    assert_eq!(
        steps.last().unwrap(),
        &(
            Step::Release,
            at("2026-03-25T00:00:00Z"),
            InstanceStatus::Released
        )
    );
}

#[test]
fn dns_moves_to_the_free_tier_after_seven_days() {
    let steps = live_through("dns", "2026-03-10T00:00:00Z");
    assert_eq!(
        steps.last().unwrap(),
        &(
            Step::Release,
            at("2026-03-17T00:00:00Z"),
            InstanceStatus::FreeTier
        )
    );
}

#[test]
fn the_reminder_is_sent_once_per_expiry() {
    let catalog = default_catalog();
    let product = catalog.product("message-queue").unwrap();
    let current = instance("message-queue", "2026-03-10T00:00:00Z");
    let reminded = take_step(
        &current,
        Step::Remind,
        at("2026-03-03T00:00:00Z"),
        product,
        &catalog.notices,
    );
    assert_eq!(reminded.notices.len(), 1);
    assert_eq!(reminded.notices[0].channel, crate::catalog::Channel::Sms);
    assert_eq!(
        next_due(&reminded.instance, product).unwrap().step,
        Step::Expire
    );
    // A renewal moves the expiry, which arms a new reminder for the new expiry.
    let renewed = Instance {
        expires_at: Some(at("2026-04-10T00:00:00Z")),
        ..reminded.instance
    };
    assert_eq!(
        next_due(&renewed, product).unwrap(),
        DueStep {
            step: Step::Remind,
            at: at("2026-04-03T00:00:00Z")
        }
    );
}

#[test]
fn a_reminder_taken_at_or_after_its_expiry_sends_nothing() {
    // No notice names a date already gone: a reminder for 03-10 taken on 03-10 (a sweep that
    // ran late) is marked taken and says nothing; the expiry is next.
    let catalog = default_catalog();
    let product = catalog.product("message-queue").unwrap();
    let running = instance("message-queue", "2026-03-10T00:00:00Z");
    let late = take_step(
        &running,
        Step::Remind,
        at("2026-03-10T00:00:00Z"),
        product,
        &catalog.notices,
    );
    assert!(late.events.is_empty() && late.notices.is_empty());
    assert_eq!(
        late.instance.reminded_for_expiry,
        Some(at("2026-03-10T00:00:00Z"))
    );
    assert_eq!(
        next_due(&late.instance, product).map(|due| due.step),
        Some(Step::Expire)
    );
    let on_time = take_step(
        &running,
        Step::Remind,
        at("2026-03-09T23:59:59Z"),
        product,
        &catalog.notices,
    );
    assert_eq!(on_time.events.len(), 1);
}

#[test]
fn final_states_have_no_steps() {
    let catalog = default_catalog();
    let product = catalog.product("dns").unwrap();
    for status in [
        InstanceStatus::Released,
        InstanceStatus::FreeTier,
        InstanceStatus::Unsubscribed,
    ] {
        let done = Instance {
            status,
            ..instance("dns", "2026-03-10T00:00:00Z")
        };
        assert_eq!(next_due(&done, product), None);
    }
}

fn usage_instance(edition_id: &str, billing: Billing) -> Instance {
    Instance {
        edition_id: edition_id.into(),
        billing,
        expires_at: None,
        ..instance("iot-platform", "2026-03-10T00:00:00Z")
    }
}

#[test]
fn pay_as_you_go_stops_after_the_grace_and_comes_back_when_paid() {
    let catalog = default_catalog();
    let product = catalog.product("iot-platform").unwrap();
    let legacy = usage_instance("legacy-public", Billing::Payg);
    assert_eq!(next_step_due(&legacy, product, None), None, "not overdue");
    let overdue_since = at("2026-05-04T17:00:00Z");
    let due = next_step_due(&legacy, product, Some(overdue_since)).unwrap();
    assert_eq!(
        due,
        DueStep {
            step: Step::StopOverdue,
            at: at("2026-05-05T17:00:00Z")
        }
    );
    let stopped = take_step(&legacy, due.step, due.at, product, &catalog.notices);
    assert_eq!(stopped.instance.status, InstanceStatus::Stopped);
    assert_eq!(
        stopped.events[0].kind,
        crate::event::EventKind::InstanceStopped
    );
    assert_eq!(
        next_step_due(&stopped.instance, product, Some(overdue_since)),
        None
    );
    let restored = usage_steps::restore_after_payment(&stopped.instance).unwrap();
    assert_eq!(restored.instance.status, InstanceStatus::Active);
    assert!(usage_steps::restore_after_payment(&legacy).is_none());
}

#[test]
fn free_instances_freeze_after_inactivity_and_ignore_overdue() {
    let catalog = default_catalog();
    let product = catalog.product("iot-platform").unwrap();
    let free = usage_instance("public", Billing::Free);
    let overdue_since = Some(at("2026-02-11T00:00:00Z"));
    let due = next_step_due(&free, product, overdue_since).unwrap();
    assert_eq!(
        due,
        DueStep {
            step: Step::Freeze,
            at: at("2026-03-12T00:00:00Z")
        },
        "30 days after creation, whatever the account owes"
    );
    let frozen = take_step(&free, due.step, due.at, product, &catalog.notices).instance;
    assert_eq!(frozen.status, InstanceStatus::Frozen);
    assert_eq!(next_step_due(&frozen, product, None), None);
    let continued = usage_steps::continue_trial(&frozen, at("2026-04-01T00:00:00Z")).unwrap();
    assert_eq!(
        next_step_due(&continued.instance, product, None)
            .unwrap()
            .at,
        at("2026-05-01T00:00:00Z")
    );
    assert!(usage_steps::continue_trial(&continued.instance, at("2026-04-02T00:00:00Z")).is_err());
}

#[test]
fn the_release_warning_is_sent_once_per_expiry_and_says_what_release_does() {
    let catalog = default_catalog();
    let product = catalog.product("dns").unwrap();
    let expired = Instance {
        status: InstanceStatus::Expired,
        ..instance("dns", "2026-03-10T00:00:00Z")
    };
    let due = next_due(&expired, product).unwrap();
    assert_eq!(
        (due.step, due.at),
        (Step::WarnRelease, at("2026-03-15T00:00:00Z"))
    );
    let warned = take_step(
        &expired,
        Step::WarnRelease,
        due.at,
        product,
        &catalog.notices,
    );
    assert_eq!(
        warned.events[0].kind.as_str(),
        "instance.release_warning_sent"
    );
    assert_eq!(warned.notices.len(), 1);
    assert_eq!(warned.notices[0].channel, crate::catalog::Channel::Email);
    assert_eq!(
        warned.notices[0].subject,
        "DNS inst_1 will be released on 2026-03-17 00:00 UTC"
    );
    assert_eq!(
        warned.notices[0].body,
        "Your DNS instance inst_1 expired on 2026-03-10 00:00 UTC and will be released on \
         2026-03-17 00:00 UTC: its data will be moved to the free tier.\n\n\
         Renew it before then to keep it."
    );
    // Once sent, release is next; a renewal and a later expiry arm a new warning.
    assert_eq!(
        next_due(&warned.instance, product).unwrap().step,
        Step::Release
    );
    let expired_again = Instance {
        expires_at: Some(at("2026-04-10T00:00:00Z")),
        ..warned.instance
    };
    assert_eq!(
        next_due(&expired_again, product).unwrap().step,
        Step::WarnRelease
    );
    // A product with no lead days warns of nothing.
    let mut silent = product.clone();
    silent.lifecycle.release_warning_lead_days = 0;
    assert_eq!(next_due(&expired, &silent).unwrap().step, Step::Release);
}
