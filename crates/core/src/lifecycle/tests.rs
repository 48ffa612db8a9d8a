//! The lifecycle of each default product, step by step (EXAMPLES.md 2 and 3).

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
    }
}

/// Runs every step in order and returns (step, time, status after).
fn live_through(product_id: &str, expires_at: &str) -> Vec<(Step, Timestamp, InstanceStatus)> {
    let catalog = default_catalog();
    let product = catalog.product(product_id).unwrap();
    let mut current = instance(product_id, expires_at);
    let mut taken = Vec::new();
    while let Some(due) = next_due(&current, product) {
        current = take_step(&current, due.step, due.at, product).instance;
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
    let reminded = take_step(&current, Step::Remind, at("2026-03-03T00:00:00Z"), product);
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
