//! Auto-renewal, step by step, on the default catalog (docs/examples.md 4 and 5). Each scenario lives
//! an instance through its due steps with the funds a function gives at each moment, and
//! compares the steps taken with the expected list.

use jiff::Timestamp;

use super::*;
use crate::catalog::{default_catalog, Billing, DeductionScheduleChoice, Product};
use crate::lifecycle::{next_due, take_step, Instance, InstanceStatus, RenewalMode, Step};
use crate::payment::Funds;
use crate::period::Period;
use crate::renewal::{apply_renewal, plan_renewal};

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn product(product_id: &str) -> Product {
    default_catalog().product(product_id).unwrap().clone()
}

fn texts() -> crate::notice::NoticeTexts {
    crate::notice::NoticeTexts::builtin()
}

fn balance(balance_minor: i64) -> Funds {
    Funds {
        balance_minor,
        ..Funds::default()
    }
}

/// An instance in auto mode since `enabled_at`, following `choice`, expiring at `expires_at`.
fn auto_instance(
    product: &Product,
    choice: DeductionScheduleChoice,
    enabled_at: &str,
    expires_at: &str,
) -> Instance {
    let edition = &product.editions[0];
    Instance {
        id: "inst_1".into(),
        account_id: "acct_1".into(),
        product_id: product.id.clone(),
        edition_id: edition.id.clone(),
        spec_id: edition.specs[0].id.clone(),
        region: product.regions[0].clone(),
        billing: Billing::Subscription,
        status: InstanceStatus::Active,
        created_at: at("2026-01-01T00:00:00Z"),
        expires_at: Some(at(expires_at)),
        released_at: None,
        renewal_mode: RenewalMode::Auto,
        auto_renew_period: Some(Period::months(1)),
        subscription_period: Some(Period::months(1)),
        reminded_for_expiry: None,
        auto_renew_schedule: Some(choice),
        auto_renew_effective_from: Some(effective_from(at(enabled_at))),
        last_deduction_attempt: None,
        last_active_at: None,
        activates_at: None,
        release_warned_for_expiry: None,
        domain_statuses: Vec::new(),
        name: None,
        tags: Vec::new(),
    }
}

/// What one step did, in a form that reads well in a test: `"2026-06-27 attempt failed"`.
fn describe(step: Step, at: Timestamp, outcome: &str) -> String {
    let day = &at.to_string()[..10];
    match step {
        Step::Activate => format!("{day} activate"),
        Step::DeductionAttempt => format!("{day} attempt {outcome}"),
        Step::Remind => format!("{day} remind"),
        Step::Expire => format!("{day} expire"),
        Step::WarnRelease => format!("{day} warn of release"),
        Step::Release => format!("{day} release"),
        Step::StopOverdue => format!("{day} stop (overdue)"),
        Step::Freeze => format!("{day} freeze"),
    }
}

/// Takes every step due until `until`, each at its own time, with `funds_at(time)`.
fn live_until(
    mut instance: Instance,
    product: &Product,
    until: &str,
    funds_at: impl Fn(Timestamp) -> Funds,
) -> (Vec<String>, Instance) {
    let mut taken = Vec::new();
    while let Some(due) = next_due(&instance, product).filter(|due| due.at <= at(until)) {
        let outcome = if due.step == Step::DeductionAttempt {
            let decision = attempt_deduction(
                &instance,
                product,
                funds_at(due.at),
                due.at,
                "ord_1",
                &texts(),
            )
            .unwrap();
            instance = decision.instance;
            match decision.result {
                AttemptResult::Paid { renewal, .. } => {
                    format!("paid, expires {}", &renewal.ends_at.to_string()[..10])
                }
                AttemptResult::Failed { .. } => "failed".to_string(),
            }
        } else {
            instance = take_step(&instance, due.step, due.at, product, &texts()).instance;
            String::new()
        };
        taken.push(describe(due.step, due.at, &outcome).trim_end().to_string());
        assert!(taken.len() < 40, "the schedule must end");
    }
    (taken, instance)
}

#[test]
fn fixed_schedule_all_attempts_fail_then_normal_expiry_and_release() {
    let iot = product("iot-platform");
    let instance = auto_instance(
        &iot,
        DeductionScheduleChoice::Standard,
        "2026-05-01T00:00:00Z",
        "2026-06-30T00:00:00Z",
    );
    let (taken, last) = live_until(instance, &iot, "2026-12-31T00:00:00Z", |_| balance(0));
    assert_eq!(
        taken,
        [
            "2026-06-23 remind",
            "2026-06-27 attempt failed",
            "2026-06-29 attempt failed",
            "2026-06-30 attempt failed",
            "2026-06-30 expire",
            "2026-07-06 attempt failed",
            // Three days before release on the 15th day (IoT's release warning).
            "2026-07-12 warn of release",
            "2026-07-14 attempt failed",
            "2026-07-15 release",
        ]
    );
    assert_eq!(last.status, InstanceStatus::Released);
}

#[test]
fn fixed_schedule_succeeds_at_t_plus_14_after_a_deposit_and_restores() {
    // docs/examples.md 4: no money until a deposit on 07-10; the 07-14 attempt pays from 06-30.
    let iot = product("iot-platform");
    let instance = auto_instance(
        &iot,
        DeductionScheduleChoice::Standard,
        "2026-05-01T00:00:00Z",
        "2026-06-30T00:00:00Z",
    );
    let funds_at = |time: Timestamp| {
        balance(if time >= at("2026-07-10T00:00:00Z") {
            50_000
        } else {
            0
        })
    };
    let (taken, last) = live_until(instance, &iot, "2026-07-20T00:00:00Z", funds_at);
    assert_eq!(
        taken,
        [
            "2026-06-23 remind",
            "2026-06-27 attempt failed",
            "2026-06-29 attempt failed",
            "2026-06-30 attempt failed",
            "2026-06-30 expire",
            "2026-07-06 attempt failed",
            "2026-07-12 warn of release",
            "2026-07-14 attempt paid, expires 2026-07-30",
        ]
    );
    assert_eq!(last.status, InstanceStatus::Active);
    assert_eq!(last.expires_at, Some(at("2026-07-30T00:00:00Z")));
    // The new expiry starts the schedule again: T-3 of 07-30.
    assert_eq!(
        next_attempt(&last, &iot.auto_renewal).map(|attempt| attempt.at),
        Some(at("2026-07-27T00:00:00Z"))
    );
}

#[test]
fn success_at_the_first_attempt_renews_from_the_expiry() {
    let iot = product("iot-platform");
    let instance = auto_instance(
        &iot,
        DeductionScheduleChoice::Standard,
        "2026-05-01T00:00:00Z",
        "2026-06-30T00:00:00Z",
    );
    let (taken, _) = live_until(instance, &iot, "2026-07-01T00:00:00Z", |_| balance(100_000));
    assert_eq!(
        taken,
        [
            "2026-06-23 remind",
            "2026-06-27 attempt paid, expires 2026-07-30",
        ]
    );
}

#[test]
fn daily_schedule_tries_every_day_from_t_minus_9_to_t_minus_1() {
    let dms = product("data-management");
    let instance = auto_instance(
        &dms,
        DeductionScheduleChoice::Standard,
        "2026-07-01T00:00:00Z",
        "2026-08-20T00:00:00Z",
    );
    let (taken, _) = live_until(instance, &dms, "2026-12-31T00:00:00Z", |_| balance(0));
    // The reminder (T-7) falls with the T-7 attempt: the attempt goes first.
    let attempt = |day: u32| format!("2026-08-{day} attempt failed");
    let mut expected: Vec<String> = (11..=13).map(attempt).collect();
    expected.push("2026-08-13 remind".into());
    expected.extend((14..=19).map(attempt));
    expected.extend([
        "2026-08-20 expire".into(),
        "2026-08-25 warn of release".into(),
        "2026-08-27 release".into(),
    ]);
    assert_eq!(taken, expected);
}

#[test]
fn a_manual_renewal_before_the_first_deduction_skips_that_cycle() {
    // docs/examples.md 5: DMS expiring 08-20 would first deduct on 08-11; a 1M renewal on 08-05
    // moves the expiry to 09-20, so nothing happens on 08-11 and the next deduction is 09-11.
    let dms = product("data-management");
    let instance = auto_instance(
        &dms,
        DeductionScheduleChoice::Standard,
        "2026-07-01T00:00:00Z",
        "2026-08-20T00:00:00Z",
    );
    assert_eq!(
        next_attempt(&instance, &dms.auto_renewal).map(|attempt| attempt.at),
        Some(at("2026-08-11T00:00:00Z"))
    );
    let plan = plan_renewal(
        &instance,
        &dms,
        Period::months(1),
        at("2026-08-05T00:00:00Z"),
    )
    .unwrap();
    let renewed = apply_renewal(&instance, &plan);
    assert_eq!(renewed.expires_at, Some(at("2026-09-20T00:00:00Z")));
    assert_eq!(
        next_attempt(&renewed, &dms.auto_renewal).map(|attempt| attempt.at),
        Some(at("2026-09-11T00:00:00Z"))
    );
    let (taken, _) = live_until(renewed, &dms, "2026-09-11T00:00:00Z", |_| balance(100_000));
    assert_eq!(
        taken,
        ["2026-09-11 attempt paid, expires 2026-10-20"],
        "no deduction for the skipped cycle"
    );
}

#[test]
fn the_iot_schedule_chosen_at_purchase_is_daily() {
    let iot = product("iot-platform");
    assert_eq!(
        iot.auto_renewal.choice_at_purchase(),
        DeductionScheduleChoice::EnabledAtPurchase
    );
    let instance = auto_instance(
        &iot,
        DeductionScheduleChoice::EnabledAtPurchase,
        "2026-05-30T00:00:00Z",
        "2026-06-30T00:00:00Z",
    );
    let days: Vec<i64> = pending_attempts(&instance, &iot.auto_renewal)
        .iter()
        .map(|attempt| attempt.attempt_offset_days)
        .collect();
    assert_eq!(days, (-9..=-1).collect::<Vec<_>>());
    // A product without a purchase schedule stores the standard one.
    assert_eq!(
        product("message-queue").auto_renewal.choice_at_purchase(),
        DeductionScheduleChoice::Standard
    );
}

#[test]
fn auto_renewal_takes_effect_at_the_start_of_the_next_utc_day() {
    assert_eq!(
        effective_from(at("2026-06-28T12:34:56Z")),
        at("2026-06-29T00:00:00Z")
    );
    assert_eq!(
        effective_from(at("2026-06-28T00:00:00Z")),
        at("2026-06-29T00:00:00Z")
    );
    assert_eq!(
        effective_from(at("2026-12-31T23:59:59Z")),
        at("2027-01-01T00:00:00Z")
    );
    let iot = product("iot-platform");
    let dms = product("data-management");
    let first_attempt = |product: &Product, enabled_at: &str| {
        let instance = auto_instance(
            product,
            DeductionScheduleChoice::Standard,
            enabled_at,
            "2026-06-30T00:00:00Z",
        );
        next_attempt(&instance, &product.auto_renewal).map(|attempt| attempt.at.to_string())
    };
    // Enabled T-2.5 days: T-3 is skipped, T-1 is the first attempt.
    assert_eq!(
        first_attempt(&iot, "2026-06-27T12:00:00Z").as_deref(),
        Some("2026-06-29T00:00:00Z")
    );
    // Enabled the day before expiry: the fixed schedule still tries at T, the daily one never.
    assert_eq!(
        first_attempt(&iot, "2026-06-29T12:00:00Z").as_deref(),
        Some("2026-06-30T00:00:00Z")
    );
    assert_eq!(first_attempt(&dms, "2026-06-29T12:00:00Z"), None);
}

#[test]
fn a_late_scheduler_makes_only_the_latest_missed_attempt() {
    let iot = product("iot-platform");
    let instance = auto_instance(
        &iot,
        DeductionScheduleChoice::Standard,
        "2026-05-01T00:00:00Z",
        "2026-06-30T00:00:00Z",
    );
    let decision = attempt_deduction(
        &instance,
        &iot,
        balance(0),
        at("2026-07-07T00:00:00Z"),
        "ord_1",
        &texts(),
    )
    .unwrap();
    assert_eq!(decision.attempt.attempt_offset_days, 6);
    assert_eq!(decision.notices.len(), 1, "one alert, not four");
    assert_eq!(
        next_attempt(&decision.instance, &iot.auto_renewal)
            .map(|attempt| attempt.attempt_offset_days),
        Some(14)
    );
    // Nothing is due before the first attempt's time.
    assert!(attempt_deduction(
        &instance,
        &iot,
        balance(0),
        at("2026-06-26T23:59:59Z"),
        "o",
        &texts()
    )
    .is_none());
}

#[test]
fn auto_renewal_pays_with_coupons_then_balance_never_vouchers() {
    let iot = product("iot-platform");
    let instance = auto_instance(
        &iot,
        DeductionScheduleChoice::Standard,
        "2026-05-01T00:00:00Z",
        "2026-06-30T00:00:00Z",
    );
    let now = at("2026-06-27T00:00:00Z");
    let rich_in_vouchers = Funds {
        balance_minor: 20_000,
        coupons_minor: 5_000,
        vouchers_minor: 1_000_000,
    };
    let failed =
        attempt_deduction(&instance, &iot, rich_in_vouchers, now, "ord_1", &texts()).unwrap();
    assert_eq!(
        failed.result,
        AttemptResult::Failed {
            due_minor: 30_000,
            available_minor: 25_000,
            reason: FailureReason::InsufficientFunds
        }
    );
    assert_eq!(
        failed.events[0].kind.as_str(),
        "instance.auto_renewal_failed"
    );
    assert_eq!(failed.notices[0].channel.as_str(), "email");
    // Says what the renewal costs and what there is, in the currency, and when it tries again.
    assert_eq!(
        failed.notices[0].body,
        "Auto-renewal could not renew your IoT platform instance inst_1, which expires on \
         2026-06-30 00:00 UTC: the renewal costs 300.00 USD but your balance and coupons hold \
         250.00 USD; auto-renewal never charges vouchers, cards or wallets.\n\n\
         Add funds before 2026-06-29 00:00 UTC, when auto-renewal tries again, or renew by hand."
    );
    let enough = Funds {
        balance_minor: 25_000,
        ..rich_in_vouchers
    };
    let paid = attempt_deduction(&instance, &iot, enough, now, "ord_1", &texts()).unwrap();
    let AttemptResult::Paid { payment, .. } = paid.result else {
        panic!("paid")
    };
    assert_eq!(
        (
            payment.voucher_minor,
            payment.coupon_minor,
            payment.balance_minor,
            payment.external_minor
        ),
        (0, 5_000, 25_000, 0)
    );
    assert_eq!(paid.events[0].data.to_value()["order_id"], "ord_1");
    assert_eq!(paid.events[0].data.to_value()["source"], "auto_renewal");
}

#[test]
fn manual_and_dont_renew_instances_have_no_attempts() {
    let iot = product("iot-platform");
    for mode in [RenewalMode::Manual, RenewalMode::None] {
        let instance = Instance {
            renewal_mode: mode,
            ..auto_instance(
                &iot,
                DeductionScheduleChoice::Standard,
                "2026-05-01T00:00:00Z",
                "2026-06-30T00:00:00Z",
            )
        };
        assert_eq!(next_attempt(&instance, &iot.auto_renewal), None);
        assert_eq!(next_due(&instance, &iot).unwrap().step, Step::Remind);
    }
}

#[test]
fn enabling_the_day_before_expiry_warns_to_renew_by_hand() {
    let iot = product("iot-platform");
    let manual = Instance {
        renewal_mode: RenewalMode::Manual,
        auto_renew_period: None,
        auto_renew_schedule: None,
        auto_renew_effective_from: None,
        ..auto_instance(
            &iot,
            DeductionScheduleChoice::Standard,
            "2026-05-01T00:00:00Z",
            "2026-06-30T00:00:00Z",
        )
    };
    let enable = RenewalModeChange::Auto {
        period: Some(Period::months(3)),
    };
    let late = change_renewal_mode(&manual, &iot, enable, at("2026-06-29T09:00:00Z")).unwrap();
    assert_eq!(late.instance.renewal_mode, RenewalMode::Auto);
    assert_eq!(late.instance.auto_renew_period, Some(Period::months(3)));
    assert_eq!(
        late.instance.auto_renew_schedule,
        Some(DeductionScheduleChoice::Standard)
    );
    assert_eq!(
        late.instance.auto_renew_effective_from,
        Some(at("2026-06-30T00:00:00Z"))
    );
    assert_eq!(late.warnings.len(), 1);
    assert_eq!(late.warnings[0].code, "renew_manually");
    assert!(late.event.is_some());
    // Exactly two days before is early enough.
    let early = change_renewal_mode(&manual, &iot, enable, at("2026-06-28T00:00:00Z")).unwrap();
    assert!(early.warnings.is_empty());

    // Modifying the period keeps when it took effect; disabling forgets the schedule.
    let modified = change_renewal_mode(
        &late.instance,
        &iot,
        RenewalModeChange::Auto {
            period: Some(Period::years(1)),
        },
        at("2026-06-29T10:00:00Z"),
    )
    .unwrap();
    assert_eq!(modified.instance.auto_renew_period, Some(Period::years(1)));
    assert_eq!(
        modified.instance.auto_renew_effective_from,
        Some(at("2026-06-30T00:00:00Z"))
    );
    assert!(
        modified.warnings.is_empty(),
        "the warning is given once, when enabling"
    );
    let off = change_renewal_mode(
        &modified.instance,
        &iot,
        RenewalModeChange::DoNotRenew,
        at("2026-06-29T11:00:00Z"),
    )
    .unwrap();
    assert_eq!(off.instance.renewal_mode, RenewalMode::None);
    assert_eq!(off.instance.auto_renew_schedule, None);
    assert_eq!(next_attempt(&off.instance, &iot.auto_renewal), None);
    // Asking for what is already so changes nothing and records nothing.
    let again = change_renewal_mode(
        &off.instance,
        &iot,
        RenewalModeChange::DoNotRenew,
        at("2026-06-29T12:00:00Z"),
    )
    .unwrap();
    assert_eq!(again.event, None);
}

#[test]
fn renewal_mode_changes_are_refused_where_they_make_no_sense() {
    let iot = product("iot-platform");
    let base = auto_instance(
        &iot,
        DeductionScheduleChoice::Standard,
        "2026-05-01T00:00:00Z",
        "2026-06-30T00:00:00Z",
    );
    let now = at("2026-06-01T00:00:00Z");
    let released = Instance {
        status: InstanceStatus::Released,
        ..base.clone()
    };
    assert!(matches!(
        change_renewal_mode(&released, &iot, RenewalModeChange::Manual, now),
        Err(RenewalModeError::Released(_))
    ));
    let unsubscribed = Instance {
        status: InstanceStatus::Unsubscribed,
        ..base.clone()
    };
    assert!(matches!(
        change_renewal_mode(
            &unsubscribed,
            &iot,
            RenewalModeChange::Auto { period: None },
            now
        ),
        Err(RenewalModeError::Released(_))
    ));
    assert_eq!(
        crate::lifecycle::next_due(&unsubscribed, &iot),
        None,
        "an unsubscribed instance has no deduction attempt and no other step"
    );
    let pay_as_you_go = Instance {
        billing: Billing::Payg,
        expires_at: None,
        ..base.clone()
    };
    assert!(matches!(
        change_renewal_mode(&pay_as_you_go, &iot, RenewalModeChange::Manual, now),
        Err(RenewalModeError::NotSubscription(_))
    ));
    let two_months = RenewalModeChange::Auto {
        period: Some(Period::months(2)),
    };
    assert!(matches!(
        change_renewal_mode(&base, &iot, two_months, now),
        Err(RenewalModeError::PeriodNotOffered(_))
    ));
    // DNS renews in the subscription's own unit: a yearly subscription auto-renews for 1Y.
    let dns = product("dns");
    let yearly_dns = Instance {
        renewal_mode: RenewalMode::Manual,
        subscription_period: Some(Period::years(1)),
        auto_renew_period: None,
        ..auto_instance(
            &dns,
            DeductionScheduleChoice::Standard,
            "2026-05-01T00:00:00Z",
            "2026-06-30T00:00:00Z",
        )
    };
    let enabled = change_renewal_mode(
        &yearly_dns,
        &dns,
        RenewalModeChange::Auto { period: None },
        now,
    )
    .unwrap();
    assert_eq!(enabled.instance.auto_renew_period, Some(Period::years(1)));
}

#[test]
fn an_attempt_whose_renewal_would_end_in_the_past_charges_nothing() {
    // No charge for time already over. The default catalog never gets here (its last attempt,
    // IoT's T+14, comes before any period it sells would end); a catalog whose attempts run
    // later than its shortest period can: message queue (30 days of retention) with one
    // attempt at T+29. Expired 02-28, 1M would end 03-28, before the attempt on 03-29.
    let mut product = product("message-queue");
    product.auto_renewal.schedule = crate::catalog::DeductionSchedule::Fixed {
        offsets_days: vec![29],
    };
    let expired = Instance {
        status: InstanceStatus::Expired,
        ..auto_instance(
            &product,
            DeductionScheduleChoice::Standard,
            "2026-01-01T00:00:00Z",
            "2026-02-28T00:00:00Z",
        )
    };
    let decision = attempt_deduction(
        &expired,
        &product,
        balance(1_000_000),
        at("2026-03-29T00:00:00Z"),
        "ord_1",
        &texts(),
    )
    .expect("the T+29 attempt is due");
    assert_eq!(
        decision.result,
        AttemptResult::Failed {
            due_minor: 0,
            available_minor: 1_000_000,
            reason: FailureReason::EndsInThePast,
        }
    );
    assert_eq!(decision.result.outcome(), "renewal_ends_in_the_past");
    assert_eq!(decision.instance.status, InstanceStatus::Expired);
    assert_eq!(
        decision.instance.expires_at,
        Some(at("2026-02-28T00:00:00Z"))
    );
    assert!(decision.events[0]
        .data
        .as_str()
        .contains("renewal_ends_in_the_past"));
}

#[test]
fn an_attempt_after_the_expiry_says_the_instance_expired() {
    // IoT tries again 6 days after its expiry: the alert names the expiry as gone, never as a
    // date still ahead.
    let iot = product("iot-platform");
    let mut instance = auto_instance(
        &iot,
        DeductionScheduleChoice::Standard,
        "2026-05-01T00:00:00Z",
        "2026-06-30T00:00:00Z",
    );
    instance.status = InstanceStatus::Expired;
    let now = at("2026-07-06T00:00:00Z");
    let failed = attempt_deduction(&instance, &iot, balance(0), now, "ord_1", &texts()).unwrap();
    let body = &failed.notices[0].body;
    assert!(
        body.starts_with(
            "Auto-renewal could not renew your IoT platform instance inst_1, which expired on \
             2026-06-30 00:00 UTC: the renewal costs"
        ),
        "{body}"
    );
}
