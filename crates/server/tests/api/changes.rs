//! Upgrades and downgrades through HTTP, with the exact amounts of each rule: proration by started
//! hour from the value actually paid (docs/examples.md 7), vouchers never refunded, consecutive
//! changes, paid renewals re-priced, the catalog's change rules, approvals, refusals.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, text, Backend, TestApp};
use crate::on_both_backends;

const APRIL: &str = "2026-04-01T00:00:00Z";

async fn change(app: &TestApp, instance_id: &str, body: Value) -> Value {
    app.post_ok(&format!("/v1/instances/{instance_id}/change"), body)
        .await
}

async fn balance(app: &TestApp, account_id: &str) -> i64 {
    app.account(account_id).await["balance_minor"]
        .as_i64()
        .unwrap()
}

fn id(value: &Value) -> String {
    text(&value["id"]).to_string()
}

async fn example_7_downgrade_then_changes_in_the_same_period(backend: Backend) {
    let app = spawn_app(backend, APRIL).await;
    let account_id = app.funded_account(100_000).await;
    let bought = app
        .buy(&account_id, "message-queue", "basic", "tps-5000", "1M")
        .await;
    let instance_id = id(&bought["instance"]);
    assert_eq!(balance(&app, &account_id).await, 70_000);
    app.advance_to("2026-04-11T00:00:00Z").await;

    // The quote itemises docs/examples.md 7 and changes nothing.
    let quote = app
        .post_ok(
            &format!("/v1/instances/{instance_id}/change/quote"),
            json!({ "spec": "tps-1000" }),
        )
        .await;
    assert_eq!(quote["direction"], "downgrade");
    assert_eq!(quote["needs_approval"], false);
    let line = &quote["periods"][0];
    assert_eq!(line["status"], "current");
    assert_eq!(line["period"], "1M");
    assert_eq!(line["usage"]["ordered_hours"], 720);
    assert_eq!(line["usage"]["used_hours"], 240);
    assert_eq!(line["value_before"]["cash_minor"], 30_000);
    assert_eq!(line["unused"]["cash_minor"], 20_000);
    assert_eq!(line["new_list_price_minor"], 12_000);
    assert_eq!(line["new_cost_minor"], 8_000);
    assert_eq!(line["refund_minor"], 12_000);
    assert_eq!(line["voucher_share_kept_minor"], 0);
    assert_eq!(quote["refund_minor"], 12_000);
    assert_eq!(quote["refund_destination"], "balance");
    assert_eq!(balance(&app, &account_id).await, 70_000);
    assert_eq!(app.instance(&instance_id).await["spec_id"], "tps-5000");

    // The change: 12000 back to the balance, at once, expiry unchanged.
    let changed = change(&app, &instance_id, json!({ "spec": "tps-1000" })).await;
    assert_eq!(changed["status"], "applied");
    assert_eq!(changed["refund_minor"], 12_000);
    assert_eq!(changed["orders"][0]["kind"], "downgrade");
    assert_eq!(changed["orders"][0]["refunded_minor"], 12_000);
    assert_eq!(changed["orders"][0]["value_cash_minor"], 8_000);
    let instance = app.instance(&instance_id).await;
    assert_eq!(instance["spec_id"], "tps-1000");
    assert_eq!(instance["expires_at"], "2026-05-01T00:00:00Z");
    assert_eq!(balance(&app, &account_id).await, 82_000);

    // Ten days later (240 h left) the 8000 left for 480 h is half used: 4000. Upgrading back
    // costs 30000 × 240 / 720 = 10000 for the rest: 6000 to pay.
    app.advance_to("2026-04-21T00:00:00Z").await;
    let upgraded = change(&app, &instance_id, json!({ "spec": "tps-5000" })).await;
    assert_eq!(upgraded["direction"], "upgrade");
    assert_eq!(upgraded["periods"][0]["unused"]["cash_minor"], 4_000);
    assert_eq!(upgraded["periods"][0]["new_cost_minor"], 10_000);
    assert_eq!(upgraded["charge_minor"], 6_000);
    assert_eq!(upgraded["orders"][0]["paid_balance_minor"], 6_000);
    assert_eq!(balance(&app, &account_id).await, 76_000);

    // And straight down again in the same hour: the 10000 now held is all unused; 4000 stays.
    let down_again = change(&app, &instance_id, json!({ "spec": "tps-1000" })).await;
    assert_eq!(down_again["refund_minor"], 6_000);
    assert_eq!(balance(&app, &account_id).await, 82_000);

    // Cash paid 36000, refunded 18000; every entry balances; one event per change.
    let entries = app.balanced_ledger(&account_id).await;
    let kinds: Vec<&str> = entries.iter().map(|entry| text(&entry["kind"])).collect();
    assert_eq!(
        kinds,
        [
            "deposit",
            "order_payment",
            "refund",
            "order_payment",
            "refund"
        ]
    );
    let events: Vec<String> = app
        .instance_events(&instance_id)
        .await
        .into_iter()
        .map(|(_, kind)| kind)
        .filter(|kind| kind.starts_with("instance.") && kind != "instance.purchased")
        .collect();
    assert_eq!(
        events,
        // Each change beside the configuration it put in effect.
        [
            "instance.downgraded",
            "instance.changed",
            "instance.upgraded",
            "instance.changed",
            "instance.downgraded",
            "instance.changed"
        ]
    );
    // The worked example's documents say what it charged and gave back, to the cent.
    app.assert_documents_match_charges().await;
}
on_both_backends!(
    example_7_and_consecutive_changes,
    example_7_downgrade_then_changes_in_the_same_period
);

async fn example_7_upgrade_charges_the_difference(backend: Backend) {
    let app = spawn_app(backend, APRIL).await;
    let account_id = app.funded_account(100_000).await;
    let bought = app
        .buy(&account_id, "message-queue", "basic", "tps-1000", "1M")
        .await;
    let instance_id = id(&bought["instance"]);
    app.advance_to("2026-04-11T00:00:00Z").await;
    let upgraded = change(
        &app,
        &instance_id,
        json!({ "spec": "tps-5000", "pay_with": "paypal" }),
    )
    .await;
    // 30000 × 480 / 720 − 12000 × 480 / 720 = 20000 − 8000.
    assert_eq!(upgraded["charge_minor"], 12_000);
    assert_eq!(upgraded["orders"][0]["paid_external_minor"], 12_000);
    assert_eq!(upgraded["orders"][0]["external_method"], "paypal");
    assert_eq!(upgraded["refund_destination"], Value::Null);
    assert_eq!(balance(&app, &account_id).await, 88_000);
    assert_eq!(app.instance(&instance_id).await["spec_id"], "tps-5000");
    app.balanced_ledger(&account_id).await;
    // The worked example's documents say what it charged and gave back, to the cent.
    app.assert_documents_match_charges().await;
}
on_both_backends!(example_7_upgrade, example_7_upgrade_charges_the_difference);

async fn vouchers_are_never_refunded(backend: Backend) {
    let app = spawn_app(backend, APRIL).await;
    let account_id = app.funded_account(100_000).await;
    app.post_ok(
        &format!("/v1/accounts/{account_id}/vouchers"),
        json!({ "amount": 5_000 }),
    )
    .await;
    let bought = app
        .buy(&account_id, "message-queue", "basic", "tps-5000", "1M")
        .await;
    assert_eq!(bought["order"]["paid_voucher_minor"], 5_000);
    let instance_id = id(&bought["instance"]);
    app.advance_to("2026-04-11T00:00:00Z").await;
    let changed = change(&app, &instance_id, json!({ "spec": "tps-1000" })).await;
    // Unused: 16667 cash + 3333 voucher = 20000; the new spec costs 8000 for the 480 h left; of
    // the 12000 released, the cash share (16667 / 20000) is refunded, the voucher share kept.
    let line = &changed["periods"][0];
    assert_eq!(line["unused"]["cash_minor"], 16_667);
    assert_eq!(line["unused"]["voucher_minor"], 3_333);
    assert_eq!(changed["refund_minor"], 10_000);
    assert_eq!(changed["voucher_share_kept_minor"], 2_000);
    assert_eq!(balance(&app, &account_id).await, 75_000 + 10_000);
    assert_eq!(app.account(&account_id).await["vouchers_minor"], 0);
    app.balanced_ledger(&account_id).await;
}
on_both_backends!(vouchers, vouchers_are_never_refunded);

async fn paid_renewals_are_repriced_at_the_new_spec(backend: Backend) {
    let app = spawn_app(backend, APRIL).await;
    let account_id = app.funded_account(100_000).await;
    let bought = app
        .buy(&account_id, "message-queue", "basic", "tps-5000", "1M")
        .await;
    let instance_id = id(&bought["instance"]);
    let renewal = app
        .post_ok(
            &format!("/v1/instances/{instance_id}/renew"),
            json!({ "period": "1M" }),
        )
        .await;
    let renewal_order_id = id(&renewal["order"]);
    assert_eq!(balance(&app, &account_id).await, 40_000);
    app.advance_to("2026-04-11T00:00:00Z").await;

    // April: 12000 back as in docs/examples.md 7; May has not started: 30000 − 12000 back.
    let changed = change(&app, &instance_id, json!({ "spec": "tps-1000" })).await;
    let periods = changed["periods"].as_array().unwrap();
    assert_eq!(periods.len(), 2);
    assert_eq!(periods[1]["status"], "pending_renewal");
    assert_eq!(periods[1]["period_order_id"], renewal_order_id.as_str());
    assert_eq!(periods[1]["usage"]["used_hours"], 0);
    assert_eq!(periods[1]["refund_minor"], 18_000);
    assert_eq!(changed["refund_minor"], 30_000);
    assert_eq!(balance(&app, &account_id).await, 70_000);
    assert_eq!(
        app.instance(&instance_id).await["expires_at"],
        "2026-06-01T00:00:00Z"
    );

    // In May (744 h), 240 h used: the 12000 May now holds has 8129 unused
    // (12000 × 240 / 744 = 3870.97 → 3871 consumed); tps-5000 for the 504 h left costs
    // 30000 × 504 / 744 = 20322.58 → 20323: 12194 to pay.
    app.advance_to("2026-05-11T00:00:00Z").await;
    let upgraded = change(&app, &instance_id, json!({ "spec": "tps-5000" })).await;
    let periods = upgraded["periods"].as_array().unwrap();
    assert_eq!(periods.len(), 1, "April is over and left alone");
    assert_eq!(periods[0]["status"], "current");
    assert_eq!(periods[0]["unused"]["cash_minor"], 8_129);
    assert_eq!(periods[0]["new_cost_minor"], 20_323);
    assert_eq!(upgraded["charge_minor"], 12_194);
    assert_eq!(balance(&app, &account_id).await, 70_000 - 12_194);
    let orders = app
        .get(&format!("/v1/orders?instance={instance_id}&limit=100"))
        .await;
    let kinds: Vec<&str> = orders["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|order| text(&order["kind"]))
        .collect();
    assert_eq!(
        kinds,
        ["purchase", "renewal", "downgrade", "downgrade", "upgrade"]
    );
    app.balanced_ledger(&account_id).await;
    // The worked example's documents say what it charged and gave back, to the cent.
    app.assert_documents_match_charges().await;
}
on_both_backends!(pending_renewals, paid_renewals_are_repriced_at_the_new_spec);

async fn dns_upgrades_but_never_downgrades(backend: Backend) {
    let app = spawn_app(backend, APRIL).await;
    let account_id = app.funded_account(100_000).await;
    let bought = app
        .buy(&account_id, "dns", "personal", "standard", "1M")
        .await;
    let instance_id = id(&bought["instance"]);
    app.advance_to("2026-04-16T00:00:00Z").await;
    // 360 of 720 h left: 20000 × 360 / 720 − 800 × 360 / 720 = 10000 − 400.
    let upgraded = change(
        &app,
        &instance_id,
        json!({ "edition": "enterprise-ultimate" }),
    )
    .await;
    assert_eq!(upgraded["to"]["edition_id"], "enterprise-ultimate");
    assert_eq!(upgraded["charge_minor"], 9_600);
    assert_eq!(balance(&app, &account_id).await, 100_000 - 800 - 9_600);

    let events_before = app.event_count().await;
    let (status, refusal) = app
        .post(
            &format!("/v1/instances/{instance_id}/change"),
            json!({ "edition": "personal" }),
        )
        .await;
    assert_eq!(status, 409);
    assert_eq!(refusal["code"], "downgrade_not_allowed");
    assert!(text(&refusal["message"]).contains("upgrade only"));
    assert_eq!(
        app.instance(&instance_id).await["edition_id"],
        "enterprise-ultimate"
    );
    assert_eq!(balance(&app, &account_id).await, 100_000 - 800 - 9_600);
    assert_eq!(app.event_count().await, events_before);
}
on_both_backends!(dns_upgrade_only, dns_upgrades_but_never_downgrades);

async fn refused_changes_say_which_rule_and_change_nothing(backend: Backend) {
    let app = spawn_app(backend, APRIL).await;
    let account_id = app.funded_account(12_000).await;
    let bought = app
        .buy(&account_id, "message-queue", "basic", "tps-1000", "1M")
        .await;
    let instance_id = id(&bought["instance"]);
    app.advance_to("2026-04-11T00:00:00Z").await;
    let path = format!("/v1/instances/{instance_id}/change");
    let events_before = app.event_count().await;
    for (body, expected_status, expected_code) in [
        (
            json!({ "edition": "professional", "spec": "tps-10000" }),
            409,
            "edition_locked",
        ),
        (json!({ "spec": "tps-1000" }), 409, "no_change"),
        (json!({ "spec": "huge" }), 422, "unknown_spec"),
        (json!({}), 422, "nothing_to_change"),
        (
            json!({ "spec": "tps-5000", "pay_with": "cash" }),
            422,
            "invalid_method",
        ),
        // The balance is spent: 12000 to pay, nothing to pay it with.
        (json!({ "spec": "tps-5000" }), 402, "insufficient_funds"),
    ] {
        for endpoint in [path.clone(), format!("{path}/quote")] {
            let (status, refusal) = app.post(&endpoint, body.clone()).await;
            let expected = if endpoint.ends_with("quote") && expected_code == "insufficient_funds" {
                // A quote prices the change whatever the account holds.
                (200, None)
            } else {
                (expected_status, Some(expected_code))
            };
            assert_eq!(
                (status, refusal["code"].as_str()),
                expected,
                "{endpoint} {body}: {refusal}"
            );
        }
    }
    let (status, refusal) = app
        .post(
            "/v1/instances/inst_missing/change",
            json!({ "spec": "tps-5000" }),
        )
        .await;
    assert_eq!((status, refusal["code"].as_str()), (404, Some("not_found")));
    assert_eq!(app.event_count().await, events_before);
    assert_eq!(app.instance(&instance_id).await["spec_id"], "tps-1000");

    // Expired, then released: no change either way.
    app.advance_to("2026-05-02T00:00:00Z").await;
    let (status, refusal) = app.post(&path, json!({ "spec": "tps-5000" })).await;
    assert_eq!(
        (status, refusal["code"].as_str()),
        (409, Some("instance_expired"))
    );
    app.advance_to("2026-06-01T00:00:00Z").await;
    let (status, refusal) = app.post(&path, json!({ "spec": "tps-5000" })).await;
    assert_eq!(
        (status, refusal["code"].as_str()),
        (409, Some("instance_released"))
    );
}
on_both_backends!(refusals, refused_changes_say_which_rule_and_change_nothing);

async fn a_replayed_change_refunds_once(backend: Backend) {
    let app = spawn_app(backend, APRIL).await;
    let account_id = app.funded_account(100_000).await;
    let bought = app
        .buy(&account_id, "message-queue", "basic", "tps-5000", "1M")
        .await;
    let instance_id = id(&bought["instance"]);
    app.advance_to("2026-04-11T00:00:00Z").await;
    let path = format!("/v1/instances/{instance_id}/change");
    let body = json!({ "spec": "tps-1000" });
    let headers = [("Idempotency-Key", "downgrade-1")];
    let (first_status, first) = app
        .request("POST", &path, Some(body.clone()), &headers)
        .await;
    let (second_status, second) = app.request("POST", &path, Some(body), &headers).await;
    assert_eq!((first_status, second_status), (200, 200));
    assert_eq!(first, second);
    assert_eq!(balance(&app, &account_id).await, 82_000);
}
on_both_backends!(idempotent_change, a_replayed_change_refunds_once);

async fn enterprise_platinum_upgrades_wait_for_the_operator(backend: Backend) {
    let app = spawn_app(backend, APRIL).await;
    let account_id = app.funded_account(1_000_000).await;
    let bought = app
        .buy(
            &account_id,
            "message-queue",
            "enterprise-platinum",
            "tps-100000",
            "1M",
        )
        .await;
    let instance_id = id(&bought["instance"]);
    app.advance_to("2026-04-11T00:00:00Z").await;

    // The upgrade waits; the service and the money are untouched.
    let requested = change(&app, &instance_id, json!({ "spec": "tps-500000" })).await;
    assert_eq!(requested["status"], "pending_approval");
    assert_eq!(requested["needs_approval"], true);
    assert_eq!(requested["orders"], json!([]));
    let approval_id = id(&requested["approval"]);
    assert_eq!(requested["approval"]["status"], "pending");
    assert_eq!(app.instance(&instance_id).await["spec_id"], "tps-100000");
    assert_eq!(balance(&app, &account_id).await, 600_000);
    let pending = app.get("/v1/approvals?status=pending").await;
    assert_eq!(pending["data"][0]["id"], approval_id.as_str());
    // One pending change at a time.
    let (status, refusal) = app
        .post(
            &format!("/v1/instances/{instance_id}/change"),
            json!({ "spec": "tps-500000" }),
        )
        .await;
    assert_eq!(
        (status, refusal["code"].as_str()),
        (409, Some("change_pending"))
    );

    // Approved ten days later, it is priced then: 240 of 720 h left.
    // Unused 400000 − 400000 × 480 / 720 (266666.67 → 266667) = 133333; the new spec costs
    // 1200000 × 240 / 720 = 400000; charge 266667.
    app.advance_to("2026-04-21T00:00:00Z").await;
    let approved = app
        .post_ok(
            &format!("/v1/approvals/{approval_id}/approve"),
            json!({ "reason": "capacity confirmed" }),
        )
        .await;
    assert_eq!(approved["status"], "applied");
    assert_eq!(approved["approval"]["status"], "approved");
    assert_eq!(approved["periods"][0]["unused"]["cash_minor"], 133_333);
    assert_eq!(approved["charge_minor"], 266_667);
    assert_eq!(app.instance(&instance_id).await["spec_id"], "tps-500000");
    assert_eq!(balance(&app, &account_id).await, 600_000 - 266_667);
    let (status, refusal) = app
        .post(&format!("/v1/approvals/{approval_id}/approve"), json!({}))
        .await;
    assert_eq!(
        (status, refusal["code"].as_str()),
        (409, Some("approval_decided"))
    );

    // Its downgrade is immediate: 400000 held, new spec 400000 × 240 / 720 = 133333.
    let downgraded = change(&app, &instance_id, json!({ "spec": "tps-100000" })).await;
    assert_eq!(downgraded["status"], "applied");
    assert_eq!(downgraded["refund_minor"], 266_667);
    assert_eq!(balance(&app, &account_id).await, 600_000);
    let kinds: Vec<String> = app
        .instance_events(&instance_id)
        .await
        .into_iter()
        .map(|(_, kind)| kind)
        .collect();
    assert_eq!(
        kinds[1..],
        [
            "change.approval_requested",
            "change.approved",
            "instance.upgraded",
            "instance.changed",
            "instance.downgraded",
            "instance.changed"
        ]
    );
    app.balanced_ledger(&account_id).await;
}
on_both_backends!(
    approval_then_immediate_downgrade,
    enterprise_platinum_upgrades_wait_for_the_operator
);

async fn an_approval_the_account_cannot_pay_stays_pending(backend: Backend) {
    let app = spawn_app(backend, APRIL).await;
    let account_id = app.funded_account(400_000).await;
    let bought = app
        .buy(
            &account_id,
            "message-queue",
            "enterprise-platinum",
            "tps-100000",
            "1M",
        )
        .await;
    let instance_id = id(&bought["instance"]);
    let requested = change(&app, &instance_id, json!({ "spec": "tps-500000" })).await;
    let approval_id = id(&requested["approval"]);
    let approve = format!("/v1/approvals/{approval_id}/approve");
    let (status, refusal) = app.post(&approve, json!({})).await;
    assert_eq!(
        (status, refusal["code"].as_str()),
        (402, Some("insufficient_funds"))
    );
    let approval = app.get(&format!("/v1/approvals/{approval_id}")).await;
    assert_eq!(approval["status"], "pending");
    assert_eq!(app.instance(&instance_id).await["spec_id"], "tps-100000");

    let rejected = app
        .post_ok(
            &format!("/v1/approvals/{approval_id}/reject"),
            json!({ "reason": "no capacity in us-east-1" }),
        )
        .await;
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["reason"], "no capacity in us-east-1");
    assert_eq!(app.instance(&instance_id).await["spec_id"], "tps-100000");
    assert_eq!(balance(&app, &account_id).await, 0);
    let (status, _) = app.post(&approve, json!({})).await;
    assert_eq!(status, 409);
    // Once decided, a new request may wait again, and the customer may withdraw it.
    let again = change(&app, &instance_id, json!({ "spec": "tps-500000" })).await;
    let cancelled = app
        .post_ok(
            &format!("/v1/approvals/{}/cancel", id(&again["approval"])),
            json!({}),
        )
        .await;
    assert_eq!(cancelled["status"], "cancelled");
    let (status, answer) = app
        .request("GET", "/v1/approvals/apr_missing", None, &[])
        .await;
    assert_eq!((status, answer["code"].as_str()), (404, Some("not_found")));
}
on_both_backends!(
    approval_refused_and_withdrawn,
    an_approval_the_account_cannot_pay_stays_pending
);

/// A downgrade of a period paid partly with coupons gives the coupons' share back to coupons,
/// as an unsubscription does: coupon credit never becomes balance.
async fn a_downgrade_returns_the_coupon_share_to_coupons(backend: Backend) {
    let app = spawn_app(backend, APRIL).await;
    let account_id = app.funded_account(100_000).await;
    app.post_ok(
        &format!("/v1/accounts/{account_id}/coupons"),
        json!({ "amount": 6_000 }),
    )
    .await;
    let bought = app
        .buy(&account_id, "message-queue", "basic", "tps-5000", "1M")
        .await;
    assert_eq!(bought["order"]["paid_coupon_minor"], 6_000);
    assert_eq!(bought["order"]["paid_balance_minor"], 24_000);
    let instance_id = text(&bought["instance"]["id"]).to_string();
    app.advance_to("2026-04-11T00:00:00Z").await;
    // docs/examples.md 7: 30000 paid, 480 of 720 hours left, to a 12000 spec: 12000 back, of which
    // the coupons paid a fifth.
    let changed = change(&app, &instance_id, json!({ "spec": "tps-1000" })).await;
    assert_eq!(changed["refund_minor"], 12_000, "{changed}");
    let account = app.account(&account_id).await;
    assert_eq!(account["coupons_minor"], 2_400);
    assert_eq!(account["balance_minor"], 100_000 - 24_000 + 9_600);
    app.balanced_ledger(&account_id).await;
    // The worked example's documents say what it charged and gave back, to the cent.
    app.assert_documents_match_charges().await;
}
on_both_backends!(
    downgrade_coupon_share,
    a_downgrade_returns_the_coupon_share_to_coupons
);

async fn a_pending_change_is_withdrawn_when_its_instance_expires(backend: Backend) {
    let app = spawn_app(backend, APRIL).await;
    let account_id = app.funded_account(1_000_000).await;
    let bought = app
        .buy(
            &account_id,
            "message-queue",
            "enterprise-platinum",
            "tps-100000",
            "1M",
        )
        .await;
    let instance_id = id(&bought["instance"]);
    app.advance_to("2026-04-11T00:00:00Z").await;
    let requested = change(&app, &instance_id, json!({ "spec": "tps-500000" })).await;
    let approval_id = id(&requested["approval"]);

    // Nobody decides before the expiry (05-01): the instance stops, and with it the change.
    app.advance_to("2026-04-30T23:59:59Z").await;
    let approval = app.get(&format!("/v1/approvals/{approval_id}")).await;
    assert_eq!(approval["status"], "pending");
    app.advance_to("2026-05-01T00:00:00Z").await;
    assert_eq!(app.instance(&instance_id).await["status"], "expired");
    let approval = app.get(&format!("/v1/approvals/{approval_id}")).await;
    assert_eq!(approval["status"], "cancelled");
    assert_eq!(approval["reason"], "the instance expired");
    assert_eq!(approval["decided_at"], "2026-05-01T00:00:00Z");
    let cancelled = app
        .get(&format!(
            "/v1/events?instance={instance_id}&kind=change.cancelled"
        ))
        .await;
    let cancelled = cancelled["data"].as_array().unwrap();
    assert_eq!(cancelled.len(), 1);
    assert_eq!(cancelled[0]["at"], "2026-05-01T00:00:00Z");
    assert_eq!(cancelled[0]["data"]["approval_id"], approval_id.as_str());
    assert_eq!(cancelled[0]["data"]["reason"], "the instance expired");
    let (status, refusal) = app
        .post(&format!("/v1/approvals/{approval_id}/approve"), json!({}))
        .await;
    assert_eq!(
        (status, refusal["code"].as_str()),
        (409, Some("approval_decided"))
    );

    // Renewed after expiry, the instance can ask again; a change pending at its release goes too.
    app.post_ok(
        &format!("/v1/instances/{instance_id}/renew"),
        json!({ "period": "1M" }),
    )
    .await;
    let again = change(&app, &instance_id, json!({ "spec": "tps-500000" })).await;
    let second_id = id(&again["approval"]);
    app.advance_to("2026-06-01T00:00:00Z").await;
    let second = app.get(&format!("/v1/approvals/{second_id}")).await;
    assert_eq!(
        (second["status"].as_str(), second["reason"].as_str()),
        (Some("cancelled"), Some("the instance expired"))
    );
    assert_eq!(app.balanced_ledger(&account_id).await.len(), 3);
}
on_both_backends!(
    pending_change_withdrawn_at_expiry,
    a_pending_change_is_withdrawn_when_its_instance_expires
);
