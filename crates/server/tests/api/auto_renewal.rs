//! Auto-renewal on the simulated clock, through HTTP, for both kinds of deduction schedule
//! (docs/examples.md 4 and 5): when each attempt happens, what it charges, from which source, the
//! alerts a failure sends, a manual renewal skipping a cycle, and enabling too late.
//!
//! Prices: IoT platform Enterprise `units-10` is 30000 a month (fixed schedule T-3, T-1, T,
//! T+6, T+14; daily T-9 … T-1 when chosen at purchase); data management `instances-10` is 15000
//! a month (daily schedule T-9 … T-1).

use serde_json::{json, Value};

use crate::helpers::{spawn_app, text, Backend, TestApp};
use crate::on_both_backends;

const IOT_MONTH_MINOR: i64 = 30_000;
const DMS_MONTH_MINOR: i64 = 15_000;

impl TestApp {
    async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.request("PUT", path, Some(body), &[]).await
    }

    async fn put_ok(&self, path: &str, body: Value) -> Value {
        let (status, answer) = self.put(path, body.clone()).await;
        assert_eq!(status, 200, "PUT {path} {body}: {answer}");
        answer
    }

    async fn enable_auto_renewal(&self, instance_id: &str, period: &str) -> Value {
        self.put_ok(
            &format!("/v1/instances/{instance_id}/auto-renewal"),
            json!({ "enabled": true, "period": period }),
        )
        .await
    }

    /// Buys an IoT Enterprise instance for 1M; `auto_renew` chooses auto-renewal at purchase.
    async fn buy_iot(&self, account_id: &str, auto_renew: bool) -> String {
        let mut body = json!({ "account": account_id, "product": "iot-platform", "edition": "enterprise",
                               "spec": "units-10", "region": "us-east-1", "period": "1M" });
        if auto_renew {
            body["auto_renew"] = json!({ "period": "1M" });
        }
        text(&self.post_ok("/v1/instances", body).await["instance"]["id"]).to_string()
    }

    async fn buy_dms(&self, account_id: &str) -> String {
        let bought = self
            .buy(
                account_id,
                "data-management",
                "security-collaboration",
                "instances-10",
                "1M",
            )
            .await;
        text(&bought["instance"]["id"]).to_string()
    }

    async fn balance_minor(&self, account_id: &str) -> i64 {
        self.account(account_id).await["balance_minor"]
            .as_i64()
            .unwrap()
    }

    /// `(time, kind)` of the instance's auto-renewal events: attempts that failed and renewals.
    async fn deduction_events(&self, instance_id: &str) -> Vec<(String, String)> {
        self.instance_events(instance_id)
            .await
            .into_iter()
            .filter(|(_, kind)| {
                kind == "instance.auto_renewal_failed"
                    || kind == "instance.renewed"
                    || kind == "instance.restored"
            })
            .collect()
    }

    /// `(time, channel, recipient)` of the failure alerts sent for the instance.
    async fn failure_alerts(&self, instance_id: &str) -> Vec<(String, String, String)> {
        let notices = self
            .get(&format!(
                "/v1/notifications?instance={instance_id}&kind=instance.auto_renewal_failed"
            ))
            .await;
        notices["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|notice| {
                (
                    text(&notice["at"]).to_string(),
                    text(&notice["channel"]).to_string(),
                    text(&notice["recipient"]).to_string(),
                )
            })
            .collect()
    }

    async fn orders_of_kind(&self, instance_id: &str, kind: &str) -> Vec<Value> {
        self.get(&format!("/v1/orders?instance={instance_id}&kind={kind}"))
            .await["data"]
            .as_array()
            .unwrap()
            .clone()
    }
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(at, kind)| (at.to_string(), kind.to_string()))
        .collect()
}

fn alerts_at(days: &[&str]) -> Vec<(String, String, String)> {
    days.iter()
        .map(|at| {
            (
                at.to_string(),
                "email".to_string(),
                "ada@example.com".to_string(),
            )
        })
        .collect()
}

/// Fixed schedule, first attempt (T-3) pays: coupons first, then the balance.
async fn fixed_schedule_pays_at_the_first_attempt(backend: Backend) {
    let app = spawn_app(backend, "2026-05-30T00:00:00Z").await;
    let account_id = app.funded_account(IOT_MONTH_MINOR + 50_000).await;
    let instance_id = app.buy_iot(&account_id, false).await;
    assert_eq!(app.balance_minor(&account_id).await, 50_000);
    app.post_ok(
        &format!("/v1/accounts/{account_id}/coupons"),
        json!({ "amount": 5_000 }),
    )
    .await;
    app.post_ok(
        &format!("/v1/accounts/{account_id}/vouchers"),
        json!({ "amount": 100_000 }),
    )
    .await;

    let enabled = app.enable_auto_renewal(&instance_id, "1M").await;
    assert_eq!(enabled["warnings"], json!([]));
    let instance = &enabled["instance"];
    assert_eq!(instance["renewal_mode"], "auto");
    assert_eq!(instance["auto_renew_period"], "1M");
    assert_eq!(instance["auto_renew_schedule"], "standard");
    assert_eq!(
        instance["auto_renew_effective_from"],
        "2026-05-31T00:00:00Z"
    );
    assert_eq!(instance["next_deduction_at"], "2026-06-27T00:00:00Z");
    let listed = app
        .get(&format!("/v1/instances?account={account_id}&renewal=auto"))
        .await;
    assert_eq!(listed["data"][0]["id"], instance_id.as_str());

    app.advance_to("2026-06-26T23:59:59Z").await;
    assert_eq!(
        app.orders_of_kind(&instance_id, "auto_renewal").await,
        vec![] as Vec<Value>
    );
    app.advance_to("2026-06-27T00:00:00Z").await;
    let orders = app.orders_of_kind(&instance_id, "auto_renewal").await;
    assert_eq!(orders.len(), 1);
    let order = &orders[0];
    assert_eq!(order["starts_at"], "2026-06-30T00:00:00Z");
    assert_eq!(order["ends_at"], "2026-07-30T00:00:00Z");
    assert_eq!(order["list_price_minor"], IOT_MONTH_MINOR);
    assert_eq!(order["paid_coupon_minor"], 5_000);
    assert_eq!(order["paid_balance_minor"], 25_000);
    assert_eq!(
        order["paid_voucher_minor"], 0,
        "auto-renewal never uses vouchers"
    );
    assert_eq!(order["paid_external_minor"], 0);
    assert_eq!(order["created_at"], "2026-06-27T00:00:00Z");
    let account = app.account(&account_id).await;
    assert_eq!(account["balance_minor"], 25_000);
    assert_eq!(account["coupons_minor"], 0);
    assert_eq!(account["vouchers_minor"], 100_000);

    let renewed = app.instance(&instance_id).await;
    assert_eq!(renewed["status"], "active");
    assert_eq!(renewed["expires_at"], "2026-07-30T00:00:00Z");
    assert_eq!(renewed["next_deduction_at"], "2026-07-27T00:00:00Z");
    assert_eq!(
        renewed["deduction_attempts"],
        json!([]),
        "none yet for the new expiry"
    );
    assert_eq!(
        app.deduction_events(&instance_id).await,
        pairs(&[("2026-06-27T00:00:00Z", "instance.renewed")])
    );
    assert!(app.failure_alerts(&instance_id).await.is_empty());
    app.balanced_ledger(&account_id).await;
}
on_both_backends!(
    fixed_first_attempt,
    fixed_schedule_pays_at_the_first_attempt
);

/// docs/examples.md 4: no money at T-3, T-1, T or T+6; a deposit on 07-10 makes T+14 pay, which
/// restores the instance from its old expiry (new expiry 07-30).
async fn fixed_schedule_fails_then_pays_at_t_plus_14(backend: Backend) {
    let app = spawn_app(backend, "2026-05-30T00:00:00Z").await;
    let account_id = app.funded_account(IOT_MONTH_MINOR).await;
    let instance_id = app.buy_iot(&account_id, false).await;
    app.enable_auto_renewal(&instance_id, "1M").await;
    assert_eq!(app.balance_minor(&account_id).await, 0);

    app.advance_to("2026-07-10T00:00:00Z").await;
    let expired = app.instance(&instance_id).await;
    assert_eq!(expired["status"], "expired");
    assert_eq!(expired["next_deduction_at"], "2026-07-14T00:00:00Z");
    let attempts = expired["deduction_attempts"].as_array().unwrap();
    let summary: Vec<(i64, &str, &str, i64, i64)> = attempts
        .iter()
        .map(|attempt| {
            (
                attempt["attempt_offset_days"].as_i64().unwrap(),
                text(&attempt["attempted_at"]),
                text(&attempt["outcome"]),
                attempt["due_minor"].as_i64().unwrap(),
                attempt["available_minor"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                -3,
                "2026-06-27T00:00:00Z",
                "insufficient_funds",
                IOT_MONTH_MINOR,
                0
            ),
            (
                -1,
                "2026-06-29T00:00:00Z",
                "insufficient_funds",
                IOT_MONTH_MINOR,
                0
            ),
            (
                0,
                "2026-06-30T00:00:00Z",
                "insufficient_funds",
                IOT_MONTH_MINOR,
                0
            ),
            (
                6,
                "2026-07-06T00:00:00Z",
                "insufficient_funds",
                IOT_MONTH_MINOR,
                0
            ),
        ]
    );
    app.post_ok(
        &format!("/v1/accounts/{account_id}/deposits"),
        json!({ "amount": 40_000, "method": "paypal" }),
    )
    .await;

    app.advance_to("2026-07-20T00:00:00Z").await;
    let restored = app.instance(&instance_id).await;
    assert_eq!(restored["status"], "active");
    assert_eq!(restored["expires_at"], "2026-07-30T00:00:00Z");
    assert_eq!(app.balance_minor(&account_id).await, 10_000);
    let orders = app.orders_of_kind(&instance_id, "auto_renewal").await;
    assert_eq!(orders.len(), 1);
    assert_eq!(
        (
            &orders[0]["starts_at"],
            &orders[0]["ends_at"],
            &orders[0]["paid_balance_minor"]
        ),
        (
            &json!("2026-06-30T00:00:00Z"),
            &json!("2026-07-30T00:00:00Z"),
            &json!(IOT_MONTH_MINOR)
        )
    );
    assert_eq!(
        app.deduction_events(&instance_id).await,
        pairs(&[
            ("2026-06-27T00:00:00Z", "instance.auto_renewal_failed"),
            ("2026-06-29T00:00:00Z", "instance.auto_renewal_failed"),
            ("2026-06-30T00:00:00Z", "instance.auto_renewal_failed"),
            ("2026-07-06T00:00:00Z", "instance.auto_renewal_failed"),
            ("2026-07-14T00:00:00Z", "instance.renewed"),
            ("2026-07-14T00:00:00Z", "instance.restored"),
        ])
    );
    assert_eq!(
        app.failure_alerts(&instance_id).await,
        alerts_at(&[
            "2026-06-27T00:00:00Z",
            "2026-06-29T00:00:00Z",
            "2026-06-30T00:00:00Z",
            "2026-07-06T00:00:00Z",
        ])
    );
    // The T attempt comes before the expiry of the same moment; the alert says what is next.
    let events = app.instance_events(&instance_id).await;
    let at_expiry: Vec<&str> = events
        .iter()
        .filter(|(at, _)| at == "2026-06-30T00:00:00Z")
        .map(|(_, kind)| kind.as_str())
        .collect();
    assert_eq!(
        at_expiry,
        ["instance.auto_renewal_failed", "instance.expired"]
    );
    let first_alert = app
        .get(&format!(
            "/v1/notifications?instance={instance_id}&kind=instance.auto_renewal_failed&limit=1"
        ))
        .await;
    let body = text(&first_alert["data"][0]["body"]);
    assert!(
        body.contains("costs 300.00 USD") && body.contains("before 2026-06-29 00:00 UTC"),
        "{body}"
    );
    app.balanced_ledger(&account_id).await;
    // The worked example's documents say what it charged and gave back, to the cent.
    app.assert_documents_match_charges().await;
}
on_both_backends!(example_4, fixed_schedule_fails_then_pays_at_t_plus_14);

/// Failures at T-3, T-1 and T, a deposit on 07-03, success at T+6.
async fn fixed_schedule_fails_then_pays_at_t_plus_6(backend: Backend) {
    let app = spawn_app(backend, "2026-05-30T00:00:00Z").await;
    let account_id = app.funded_account(IOT_MONTH_MINOR).await;
    let instance_id = app.buy_iot(&account_id, false).await;
    app.enable_auto_renewal(&instance_id, "1M").await;
    app.advance_to("2026-07-03T00:00:00Z").await;
    assert_eq!(app.instance(&instance_id).await["status"], "expired");
    app.post_ok(
        &format!("/v1/accounts/{account_id}/deposits"),
        json!({ "amount": IOT_MONTH_MINOR, "method": "bank_card" }),
    )
    .await;
    app.advance_to("2026-07-06T00:00:00Z").await;
    let restored = app.instance(&instance_id).await;
    assert_eq!(restored["status"], "active");
    assert_eq!(restored["expires_at"], "2026-07-30T00:00:00Z");
    assert_eq!(restored["next_deduction_at"], "2026-07-27T00:00:00Z");
    assert_eq!(app.balance_minor(&account_id).await, 0);
    assert_eq!(
        app.failure_alerts(&instance_id).await,
        alerts_at(&[
            "2026-06-27T00:00:00Z",
            "2026-06-29T00:00:00Z",
            "2026-06-30T00:00:00Z"
        ])
    );
    assert_eq!(
        app.deduction_events(&instance_id).await.last().unwrap(),
        &(
            "2026-07-06T00:00:00Z".to_string(),
            "instance.restored".to_string()
        )
    );
}
on_both_backends!(fixed_t_plus_6, fixed_schedule_fails_then_pays_at_t_plus_6);

/// Every fixed attempt fails: five alerts, then the normal expiry and release on the 15th day.
async fn fixed_schedule_all_attempts_fail_then_release(backend: Backend) {
    let app = spawn_app(backend, "2026-05-30T00:00:00Z").await;
    let account_id = app.funded_account(IOT_MONTH_MINOR).await;
    let instance_id = app.buy_iot(&account_id, false).await;
    app.enable_auto_renewal(&instance_id, "1M").await;
    app.advance_to("2026-08-01T00:00:00Z").await;
    let released = app.instance(&instance_id).await;
    assert_eq!(released["status"], "released");
    assert_eq!(released["released_at"], "2026-07-15T00:00:00Z");
    assert_eq!(released["next_deduction_at"], Value::Null);
    assert_eq!(
        app.instance_events(&instance_id).await,
        pairs(&[
            ("2026-05-30T00:00:00Z", "instance.purchased"),
            ("2026-05-30T00:00:00Z", "instance.renewal_mode_changed"),
            ("2026-06-23T00:00:00Z", "instance.expiry_reminder_sent"),
            ("2026-06-27T00:00:00Z", "instance.auto_renewal_failed"),
            ("2026-06-29T00:00:00Z", "instance.auto_renewal_failed"),
            ("2026-06-30T00:00:00Z", "instance.auto_renewal_failed"),
            ("2026-06-30T00:00:00Z", "instance.expired"),
            ("2026-07-06T00:00:00Z", "instance.auto_renewal_failed"),
            ("2026-07-12T00:00:00Z", "instance.release_warning_sent"),
            ("2026-07-14T00:00:00Z", "instance.auto_renewal_failed"),
            ("2026-07-15T00:00:00Z", "instance.released"),
        ])
    );
    assert_eq!(app.failure_alerts(&instance_id).await.len(), 5);
    assert!(app
        .orders_of_kind(&instance_id, "auto_renewal")
        .await
        .is_empty());
    assert_eq!(app.balance_minor(&account_id).await, 0);
    // The last alert says no attempt is left.
    let alerts = app
        .get(&format!(
            "/v1/notifications?instance={instance_id}&kind=instance.auto_renewal_failed"
        ))
        .await;
    let last_body = text(&alerts["data"][4]["body"]);
    assert!(
        last_body.contains("last attempt") && last_body.contains("2026-07-15 00:00 UTC"),
        "{last_body}"
    );
}
on_both_backends!(
    fixed_all_fail,
    fixed_schedule_all_attempts_fail_then_release
);

/// A manual renewal at T-5 skips T-3: the schedule restarts from the new expiry.
async fn manual_renewal_at_t_minus_5_skips_t_minus_3(backend: Backend) {
    let app = spawn_app(backend, "2026-05-30T00:00:00Z").await;
    let account_id = app.funded_account(3 * IOT_MONTH_MINOR).await;
    let instance_id = app.buy_iot(&account_id, false).await;
    app.enable_auto_renewal(&instance_id, "1M").await;
    app.advance_to("2026-06-25T00:00:00Z").await;
    let renewed = app
        .post_ok(
            &format!("/v1/instances/{instance_id}/renew"),
            json!({ "period": "1M" }),
        )
        .await;
    assert_eq!(renewed["instance"]["expires_at"], "2026-07-30T00:00:00Z");
    assert_eq!(
        renewed["instance"]["next_deduction_at"],
        "2026-07-27T00:00:00Z"
    );
    app.advance_to("2026-07-26T23:59:59Z").await;
    assert!(app
        .deduction_events(&instance_id)
        .await
        .iter()
        .all(|(_, kind)| kind == "instance.renewed"));
    assert!(
        app.orders_of_kind(&instance_id, "auto_renewal")
            .await
            .is_empty(),
        "T-3 was skipped"
    );
    assert_eq!(app.balance_minor(&account_id).await, IOT_MONTH_MINOR);
    app.advance_to("2026-07-27T00:00:00Z").await;
    let orders = app.orders_of_kind(&instance_id, "auto_renewal").await;
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0]["starts_at"], "2026-07-30T00:00:00Z");
    assert_eq!(
        app.instance(&instance_id).await["expires_at"],
        "2026-08-30T00:00:00Z"
    );
    assert_eq!(app.balance_minor(&account_id).await, 0);
}
on_both_backends!(
    fixed_manual_skip,
    manual_renewal_at_t_minus_5_skips_t_minus_3
);

/// Daily schedule (data management), first attempt at T-9 pays.
async fn daily_schedule_pays_at_t_minus_9(backend: Backend) {
    let app = spawn_app(backend, "2026-07-20T00:00:00Z").await;
    let account_id = app.funded_account(2 * DMS_MONTH_MINOR).await;
    let instance_id = app.buy_dms(&account_id).await;
    let enabled = app.enable_auto_renewal(&instance_id, "1M").await;
    assert_eq!(
        enabled["instance"]["next_deduction_at"],
        "2026-08-11T00:00:00Z"
    );
    app.advance_to("2026-08-30T00:00:00Z").await;
    let orders = app.orders_of_kind(&instance_id, "auto_renewal").await;
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0]["created_at"], "2026-08-11T00:00:00Z");
    assert_eq!(orders[0]["paid_balance_minor"], DMS_MONTH_MINOR);
    let instance = app.instance(&instance_id).await;
    assert_eq!(instance["status"], "active");
    assert_eq!(instance["expires_at"], "2026-09-20T00:00:00Z");
    assert_eq!(instance["next_deduction_at"], "2026-09-11T00:00:00Z");
    assert_eq!(app.balance_minor(&account_id).await, 0);
}
on_both_backends!(daily_first_attempt, daily_schedule_pays_at_t_minus_9);

/// docs/examples.md 5: a 1M manual renewal on 08-05 moves the expiry from 08-20 to 09-20; nothing is
/// deducted on 08-11, and the next deduction is 09-11.
async fn daily_schedule_skipped_by_a_manual_renewal(backend: Backend) {
    let app = spawn_app(backend, "2026-07-20T00:00:00Z").await;
    let account_id = app.funded_account(3 * DMS_MONTH_MINOR).await;
    let instance_id = app.buy_dms(&account_id).await;
    app.enable_auto_renewal(&instance_id, "1M").await;
    app.advance_to("2026-08-05T00:00:00Z").await;
    let renewed = app
        .post_ok(
            &format!("/v1/instances/{instance_id}/renew"),
            json!({ "period": "1M" }),
        )
        .await;
    assert_eq!(renewed["instance"]["expires_at"], "2026-09-20T00:00:00Z");
    assert_eq!(
        renewed["instance"]["next_deduction_at"],
        "2026-09-11T00:00:00Z"
    );
    app.advance_to("2026-09-10T23:59:59Z").await;
    assert!(app
        .orders_of_kind(&instance_id, "auto_renewal")
        .await
        .is_empty());
    assert_eq!(app.balance_minor(&account_id).await, DMS_MONTH_MINOR);
    app.advance_to("2026-09-11T00:00:00Z").await;
    let orders = app.orders_of_kind(&instance_id, "auto_renewal").await;
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0]["created_at"], "2026-09-11T00:00:00Z");
    assert_eq!(orders[0]["ends_at"], "2026-10-20T00:00:00Z");
    assert_eq!(app.balance_minor(&account_id).await, 0);
    // The worked example's documents say what it charged and gave back, to the cent.
    app.assert_documents_match_charges().await;
}
on_both_backends!(example_5, daily_schedule_skipped_by_a_manual_renewal);

/// IoT with auto-renewal chosen at purchase follows the daily schedule: nine failed attempts
/// (T-9 … T-1), then expiry and release; a deposit in between would have paid the next one.
async fn daily_schedule_all_attempts_fail_then_release(backend: Backend) {
    let app = spawn_app(backend, "2026-05-30T00:00:00Z").await;
    let account_id = app.funded_account(IOT_MONTH_MINOR).await;
    let instance_id = app.buy_iot(&account_id, true).await;
    let bought = app.instance(&instance_id).await;
    assert_eq!(bought["renewal_mode"], "auto");
    assert_eq!(bought["auto_renew_schedule"], "enabled_at_purchase");
    assert_eq!(bought["next_deduction_at"], "2026-06-21T00:00:00Z");
    app.advance_to("2026-08-01T00:00:00Z").await;
    let days: Vec<String> = (21..=29)
        .map(|day| format!("2026-06-{day}T00:00:00Z"))
        .collect();
    let days: Vec<&str> = days.iter().map(String::as_str).collect();
    assert_eq!(app.failure_alerts(&instance_id).await, alerts_at(&days));
    let released = app.instance(&instance_id).await;
    assert_eq!(released["status"], "released");
    assert_eq!(released["released_at"], "2026-07-15T00:00:00Z");
    let events = app.instance_events(&instance_id).await;
    assert_eq!(
        &events[events.len() - 3..],
        pairs(&[
            ("2026-06-30T00:00:00Z", "instance.expired"),
            ("2026-07-12T00:00:00Z", "instance.release_warning_sent"),
            ("2026-07-15T00:00:00Z", "instance.released"),
        ])
    );
    assert_eq!(app.balance_minor(&account_id).await, 0);
}
on_both_backends!(
    daily_all_fail,
    daily_schedule_all_attempts_fail_then_release
);

/// Enabling the day before expiry is accepted with a `renew_manually` warning. The fixed
/// schedule still tries at T (and pays, so the instance never stops); the daily one has no
/// attempt left, so the instance expires.
async fn enabling_the_day_before_expiry_warns(backend: Backend) {
    let app = spawn_app(backend, "2026-05-30T00:00:00Z").await;
    let account_id = app
        .funded_account(2 * IOT_MONTH_MINOR + DMS_MONTH_MINOR)
        .await;
    let iot = app.buy_iot(&account_id, false).await;
    app.advance_to("2026-06-19T00:00:00Z").await;
    let dms = app.buy_dms(&account_id).await; // expires 2026-07-19
    assert_eq!(app.balance_minor(&account_id).await, IOT_MONTH_MINOR);

    app.advance_to("2026-06-29T09:00:00Z").await;
    let late = app.enable_auto_renewal(&iot, "1M").await;
    let warnings = late["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0]["code"], "renew_manually");
    assert!(text(&warnings[0]["message"]).contains("by hand"));
    assert_eq!(late["instance"]["renewal_mode"], "auto");
    assert_eq!(
        late["instance"]["auto_renew_effective_from"],
        "2026-06-30T00:00:00Z"
    );
    assert_eq!(
        late["instance"]["next_deduction_at"],
        "2026-06-30T00:00:00Z"
    );
    app.advance_to("2026-07-01T00:00:00Z").await;
    let kept = app.instance(&iot).await;
    assert_eq!(
        kept["status"], "active",
        "the T attempt paid before the expiry"
    );
    assert_eq!(kept["expires_at"], "2026-07-30T00:00:00Z");
    assert_eq!(app.balance_minor(&account_id).await, 0);

    app.advance_to("2026-07-18T12:00:00Z").await;
    let late = app.enable_auto_renewal(&dms, "1M").await;
    assert_eq!(late["warnings"][0]["code"], "renew_manually");
    assert_eq!(late["instance"]["next_deduction_at"], Value::Null);
    assert!(text(&late["warnings"][0]["message"]).contains("no deduction is left"));
    app.advance_to("2026-07-20T00:00:00Z").await;
    assert_eq!(app.instance(&dms).await["status"], "expired");
    assert!(app.failure_alerts(&dms).await.is_empty());
}
on_both_backends!(enable_late, enabling_the_day_before_expiry_warns);

/// Modify, disable, "don't renew"; refusals change nothing.
async fn renewal_mode_changes_and_refusals(backend: Backend) {
    let app = spawn_app(backend, "2026-05-30T00:00:00Z").await;
    let account_id = app.funded_account(IOT_MONTH_MINOR).await;
    let instance_id = app.buy_iot(&account_id, false).await;
    let path = format!("/v1/instances/{instance_id}/auto-renewal");
    let mode_path = format!("/v1/instances/{instance_id}/renewal-mode");

    for (body, status, code) in [
        (
            json!({ "enabled": true, "period": "2M" }),
            422,
            "auto_renewal_not_offered",
        ),
        (
            json!({ "enabled": true, "period": "1D" }),
            422,
            "invalid_field",
        ),
        (
            json!({ "enabled": false, "period": "1M" }),
            422,
            "invalid_field",
        ),
        (json!({ "period": "1M" }), 422, "invalid_field"),
    ] {
        let (answer_status, answer) = app.put(&path, body.clone()).await;
        assert_eq!(
            (answer_status, answer["code"].as_str()),
            (status, Some(code)),
            "{body}: {answer}"
        );
    }
    let (status, answer) = app.put(&mode_path, json!({ "mode": "sometimes" })).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (422, Some("invalid_field"))
    );
    let (status, _) = app
        .put(
            "/v1/instances/inst_missing/auto-renewal",
            json!({ "enabled": true }),
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(app.instance(&instance_id).await["renewal_mode"], "manual");
    assert_eq!(
        app.instance_events(&instance_id).await.len(),
        1,
        "refusals record nothing"
    );

    let enabled = app.put_ok(&mode_path, json!({ "mode": "auto" })).await;
    assert_eq!(
        enabled["instance"]["auto_renew_period"], "1M",
        "the product's first period"
    );
    let modified = app.enable_auto_renewal(&instance_id, "3M").await;
    assert_eq!(modified["instance"]["auto_renew_period"], "3M");
    assert_eq!(
        modified["instance"]["auto_renew_effective_from"],
        "2026-05-31T00:00:00Z"
    );
    let none = app.put_ok(&mode_path, json!({ "mode": "none" })).await;
    assert_eq!(none["instance"]["renewal_mode"], "none");
    assert_eq!(none["instance"]["auto_renew_period"], Value::Null);
    assert_eq!(none["instance"]["next_deduction_at"], Value::Null);
    let listed = app.get("/v1/instances?renewal=none").await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    let manual = app.put_ok(&path, json!({ "enabled": false })).await;
    assert_eq!(manual["instance"]["renewal_mode"], "manual");

    // Don't renew: no attempt, the instance expires and is released as usual.
    app.put_ok(&mode_path, json!({ "mode": "none" })).await;
    app.advance_to("2026-08-01T00:00:00Z").await;
    assert_eq!(app.instance(&instance_id).await["status"], "released");
    assert!(app.failure_alerts(&instance_id).await.is_empty());
    let (status, answer) = app.put(&path, json!({ "enabled": true })).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (409, Some("instance_released"))
    );

    let changes: Vec<String> = app
        .instance_events(&instance_id)
        .await
        .into_iter()
        .filter(|(_, kind)| kind == "instance.renewal_mode_changed")
        .map(|(at, _)| at)
        .collect();
    assert_eq!(changes.len(), 5, "enable, modify, none, manual, none");
}
on_both_backends!(mode_changes, renewal_mode_changes_and_refusals);
