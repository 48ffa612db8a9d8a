//! Unsubscription and refunds (docs/examples.md 6, 8 and 9): refund types, amounts,
//! destinations at the day boundaries, pending renewals alone, batch limits, records, and no
//! refund twice.

use serde_json::{json, Value};

use crate::helpers::{region_of, spawn_app, text, Backend, TestApp};
use crate::on_both_backends;

const CONFIRMED: &str = r#"{"confirm_refund": true, "confirm_data_backed_up": true}"#;

fn confirmed() -> Value {
    serde_json::from_str(CONFIRMED).unwrap()
}

/// Buys a subscription paid as `pay_with` says and returns (instance id, order id).
async fn buy_paid_with(
    app: &TestApp,
    account_id: &str,
    product: &str,
    edition: &str,
    spec: &str,
    period: &str,
    pay_with: &str,
) -> (String, String) {
    let answer = app
        .post_ok(
            "/v1/instances",
            json!({ "account": account_id, "product": product, "edition": edition, "spec": spec,
                    "region": region_of(product), "period": period, "pay_with": pay_with }),
        )
        .await;
    (
        text(&answer["instance"]["id"]).to_string(),
        text(&answer["order"]["id"]).to_string(),
    )
}

async fn renew(app: &TestApp, instance_id: &str) -> String {
    let answer = app
        .post_ok(
            &format!("/v1/instances/{instance_id}/renew"),
            json!({ "period": "1M" }),
        )
        .await;
    text(&answer["order"]["id"]).to_string()
}

async fn refunds_of(app: &TestApp, query: &str) -> Vec<Value> {
    app.get(&format!("/v1/refunds?{query}")).await["data"]
        .as_array()
        .unwrap()
        .clone()
}

/// Every posting of the account sums to zero, entry by entry and in all.
async fn assert_ledger_balanced(app: &TestApp, account_id: &str) {
    let entries = app.balanced_ledger(account_id).await;
    let total: i64 = entries
        .iter()
        .flat_map(|entry| entry["postings"].as_array().unwrap().clone())
        .map(|posting| posting["amount_minor"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 0, "the account's ledger sums to zero");
}

async fn an_active_instance_is_released_and_refunded_once(backend: Backend) {
    let app = spawn_app(backend, "2026-04-01T00:00:00Z").await;
    let account_id = app.funded_account(100_000).await;
    app.post_ok(
        &format!("/v1/accounts/{account_id}/vouchers"),
        json!({ "amount": 5000 }),
    )
    .await;
    // 30000 a month: 5000 from the voucher, 25000 cash from the balance.
    let (instance_id, purchase_order) = buy_paid_with(
        &app,
        &account_id,
        "message-queue",
        "basic",
        "tps-5000",
        "1M",
        "balance",
    )
    .await;
    let renewal_order = renew(&app, &instance_id).await;
    assert_eq!(app.account(&account_id).await["balance_minor"], 45_000);
    app.advance_to("2026-04-05T04:20:00Z").await;

    // Without both confirmations: a 422 naming what is missing, and nothing changes.
    let path = format!("/v1/instances/{instance_id}/unsubscribe");
    let (status, answer) = app.post(&path, json!({})).await;
    assert_eq!(
        (status, text(&answer["code"])),
        (422, "confirmation_required")
    );
    assert!(
        text(&answer["message"]).contains("confirm_refund"),
        "{answer}"
    );
    assert!(
        text(&answer["message"]).contains("confirm_data_backed_up"),
        "{answer}"
    );
    let (status, answer) = app.post(&path, json!({ "confirm_refund": true })).await;
    assert_eq!(status, 422);
    assert!(
        !text(&answer["message"]).contains("`confirm_refund"),
        "{answer}"
    );
    assert!(
        text(&answer["message"]).contains("confirm_data_backed_up"),
        "{answer}"
    );
    assert_eq!(app.instance(&instance_id).await["status"], "active");
    assert_eq!(app.account(&account_id).await["balance_minor"], 45_000);
    assert!(refunds_of(&app, &format!("account={account_id}"))
        .await
        .is_empty());

    // The quote: 101 started hours of 720 consumed; the pending renewal comes back whole.
    let quote = app
        .get(&format!("/v1/instances/{instance_id}/unsubscribe/quote"))
        .await;
    assert_eq!(quote["refund_type"], "partial_refund");
    assert_eq!(quote["pending_renewal_orders"], 1);
    // 25000 − round(25000 × 101 / 720 = 3506.94) = 21493, plus 30000
    assert_eq!(quote["refund_minor"], 51_493);

    let key = [("Idempotency-Key", "unsubscribe-1")];
    let (status, first) = app.request("POST", &path, Some(confirmed()), &key).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["refund_minor"], 51_493);
    assert_eq!(first["instance"]["status"], "unsubscribed");
    assert_eq!(first["instance"]["released_at"], "2026-04-05T04:20:00Z");
    assert_eq!(first["instance"]["next_due_at"], Value::Null);
    assert_eq!(
        first["cancelled_orders"],
        json!([purchase_order, renewal_order])
    );
    let current = &first["refunds"][0];
    assert_eq!(current["order_id"], purchase_order);
    assert_eq!(
        (
            &current["cash_paid_minor"],
            &current["voucher_kept_minor"],
            &current["kept_minor"],
            &current["refund_minor"]
        ),
        (&json!(25_000), &json!(5000), &json!(3507), &json!(21_493))
    );
    assert_eq!(
        current["details"]["basis"],
        json!({ "rule": "hours", "used_hours": 101, "ordered_hours": 720 })
    );
    assert_eq!(current["destination"], "balance");
    assert_eq!(current["status"], "refunded");
    let pending = &first["refunds"][1];
    assert_eq!(
        (
            &pending["refund_minor"],
            &pending["details"]["basis"]["rule"]
        ),
        (&json!(30_000), &json!("not_started"))
    );
    assert_eq!(app.account(&account_id).await["balance_minor"], 96_493);
    assert_eq!(
        app.account(&account_id).await["vouchers_minor"],
        0,
        "vouchers are never refunded"
    );
    assert_ledger_balanced(&app, &account_id).await;

    // The same key replays the answer; without a key the request is refused. Refunded once.
    let (status, replay) = app.request("POST", &path, Some(confirmed()), &key).await;
    assert_eq!((status, &replay), (200, &first));
    let (status, again) = app.post(&path, confirmed()).await;
    assert_eq!(
        (status, text(&again["code"])),
        (409, "already_unsubscribed")
    );
    assert_eq!(app.account(&account_id).await["balance_minor"], 96_493);
    assert_eq!(
        refunds_of(&app, &format!("instance={instance_id}"))
            .await
            .len(),
        2
    );

    // Both orders are cancelled; the order details show the refund.
    let order = app.get(&format!("/v1/orders/{purchase_order}")).await;
    assert_eq!(order["status"], "cancelled");
    assert_eq!(order["refund"]["refund_minor"], 21_493);
    assert_eq!(order["refund"]["refunded_at"], "2026-04-05T04:20:00Z");
    assert_eq!(
        app.get(&format!("/v1/orders/{renewal_order}")).await["status"],
        "cancelled"
    );

    // The operator's systems are told to release now; the scheduler does nothing more.
    let kinds: Vec<String> = app
        .instance_events(&instance_id)
        .await
        .into_iter()
        .map(|(_, kind)| kind)
        .collect();
    assert_eq!(
        &kinds[kinds.len() - 3..],
        ["instance.unsubscribed", "refund.created", "refund.created"]
    );
    let events_before = app.instance_events(&instance_id).await.len();
    app.advance_to("2027-01-01T00:00:00Z").await;
    assert_eq!(app.instance_events(&instance_id).await.len(), events_before);
    let (status, _) = app
        .post(
            &format!("/v1/instances/{instance_id}/renew"),
            json!({ "period": "1M" }),
        )
        .await;
    assert_eq!(status, 409, "an unsubscribed instance cannot be renewed");
}
on_both_backends!(
    active_instance_released_and_refunded_once,
    an_active_instance_is_released_and_refunded_once
);

async fn refunds_go_back_to_the_card_or_wallet_within_their_windows(backend: Backend) {
    // docs/examples.md 8: paid 2026-01-01T00:00Z; 1Y is 8760 hours.
    let app = spawn_app(backend, "2026-01-01T00:00:00Z").await;
    let account_id = app.funded_account(0).await;
    let mut bought = Vec::new();
    for pay_with in ["bank_card", "bank_card", "paypal", "paypal", "transfer"] {
        bought.push(
            buy_paid_with(
                &app,
                &account_id,
                "message-queue",
                "basic",
                "tps-1000",
                "1Y",
                pay_with,
            )
            .await
            .0,
        );
    }
    let unsubscribe_at = |index: usize, at: &'static str| {
        let instance_id = bought[index].clone();
        let app = &app;
        async move {
            app.advance_to(at).await;
            let answer = app
                .post_ok(
                    &format!("/v1/instances/{instance_id}/unsubscribe"),
                    confirmed(),
                )
                .await;
            assert_ledger_balanced(app, &account_id_of(&answer)).await;
            answer["refunds"][0].clone()
        }
    };
    // Day 150 lasts until 151 × 24 h after payment. 3624 started hours of 8760 are consumed:
    // 120000 − round(120000 × 3624 / 8760 = 49643.84) = 70356.
    let card_day_150 = unsubscribe_at(0, "2026-05-31T23:59:59Z").await;
    assert_eq!(card_day_150["days_since_payment"], 150);
    assert_eq!(card_day_150["destination"], "bank_card");
    assert_eq!(card_day_150["status"], "processing");
    assert_eq!(card_day_150["refund_minor"], 70_356);
    assert_eq!(card_day_150["to_external_minor"], 70_356);
    assert_eq!(card_day_150["refunded_at"], Value::Null);
    // 2026-05-31 is a Sunday; 30 business days later is Friday 2026-07-10.
    assert_eq!(card_day_150["expected_arrival_by"], "2026-07-10T23:59:59Z");
    assert_eq!(app.account(&account_id).await["balance_minor"], 0);

    let card_day_151 = unsubscribe_at(1, "2026-06-01T00:00:00Z").await;
    assert_eq!(card_day_151["days_since_payment"], 151);
    assert_eq!(card_day_151["destination"], "balance");
    assert_eq!(card_day_151["status"], "refunded");
    assert_eq!(card_day_151["refunded_at"], "2026-06-01T00:00:00Z");
    assert_eq!(app.account(&account_id).await["balance_minor"], 70_356);

    let paypal_day_180 = unsubscribe_at(2, "2026-06-30T12:00:00Z").await;
    assert_eq!(
        (
            &paypal_day_180["days_since_payment"],
            &paypal_day_180["destination"]
        ),
        (&json!(180), &json!("paypal"))
    );
    let paypal_day_181 = unsubscribe_at(3, "2026-07-01T00:00:00Z").await;
    assert_eq!(
        (
            &paypal_day_181["days_since_payment"],
            &paypal_day_181["destination"]
        ),
        (&json!(181), &json!("balance"))
    );
    let transfer = unsubscribe_at(4, "2026-07-01T00:00:00Z").await;
    assert_eq!(
        transfer["destination"], "balance",
        "a transfer is refunded to the balance"
    );

    // The card refund arrives when the operator's payment integration confirms it.
    let processing = refunds_of(&app, &format!("account={account_id}&status=processing")).await;
    assert_eq!(processing.len(), 2);
    let card_refund = text(&card_day_150["id"]).to_string();
    app.advance_to("2026-07-03T00:00:00Z").await;
    let completed = app
        .post_ok(&format!("/v1/refunds/{card_refund}/complete"), json!({}))
        .await;
    assert_eq!(completed["status"], "refunded");
    assert_eq!(completed["refunded_at"], "2026-07-03T00:00:00Z");
    let (status, answer) = app
        .post(&format!("/v1/refunds/{card_refund}/complete"), json!({}))
        .await;
    assert_eq!(
        (status, text(&answer["code"])),
        (409, "refund_not_processing")
    );
    let entries = app.balanced_ledger(&account_id).await;
    let book_total = |book: &str| -> i64 {
        entries
            .iter()
            .flat_map(|entry| entry["postings"].as_array().unwrap().clone())
            .filter(|posting| posting["ledger_account"] == book)
            .map(|posting| posting["amount_minor"].as_i64().unwrap())
            .sum()
    };
    assert_eq!(
        book_total("refunds_payable"),
        paypal_day_180["refund_minor"].as_i64().unwrap(),
        "only the PayPal refund is still on its way"
    );
    assert_eq!(
        book_total("external:bank_card"),
        -240_000 + 70_356,
        "two cards paid 120000 each; one refund went back to the card"
    );
    assert_ledger_balanced(&app, &account_id).await;
    // The worked example's documents say what it charged and gave back, to the cent.
    app.assert_documents_match_charges().await;
}
on_both_backends!(
    destination_windows,
    refunds_go_back_to_the_card_or_wallet_within_their_windows
);

fn account_id_of(answer: &Value) -> String {
    text(&answer["instance"]["account_id"]).to_string()
}

async fn pending_renewals_are_unsubscribed_alone(backend: Backend) {
    // docs/examples.md 9: expiry 2026-05-01, renewals paid to 06-01 and to 07-01.
    let app = spawn_app(backend, "2026-04-01T00:00:00Z").await;
    let account_id = app.funded_account(200_000).await;
    let mut chains = Vec::new();
    for _ in 0..2 {
        let (instance_id, purchase_order) = buy_paid_with(
            &app,
            &account_id,
            "message-queue",
            "basic",
            "tps-1000",
            "1M",
            "balance",
        )
        .await;
        let first = renew(&app, &instance_id).await;
        let second = renew(&app, &instance_id).await;
        chains.push((instance_id, purchase_order, first, second));
    }
    assert_eq!(
        app.account(&account_id).await["balance_minor"],
        200_000 - 6 * 12_000
    );
    app.advance_to("2026-04-10T00:00:00Z").await;

    let listed = app
        .get(&format!(
            "/v1/unsubscriptions/pending-renewals?instance={}",
            chains[0].0
        ))
        .await;
    let updated: Vec<&str> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|order| text(&order["updated_expiration_time"]))
        .collect();
    assert_eq!(updated, ["2026-06-01T00:00:00Z", "2026-07-01T00:00:00Z"]);
    assert_eq!(listed["data"][0]["refund_minor"], 12_000);

    // Unsubscribe the second of the first instance: the expiry moves back to 06-01.
    let (instance_x, current_x, _, second_x) = &chains[0];
    let path = format!("/v1/orders/{second_x}/unsubscribe");
    let (status, answer) = app.post(&path, json!({})).await;
    assert_eq!(
        (status, text(&answer["code"])),
        (422, "confirmation_required")
    );
    let answer = app.post_ok(&path, json!({ "confirm_refund": true })).await;
    assert_eq!(answer["refund"]["refund_minor"], 12_000);
    assert_eq!(answer["refund"]["details"]["basis"]["rule"], "not_started");
    assert_eq!(answer["expires_at"], "2026-06-01T00:00:00Z");
    assert_eq!(answer["redated_orders"], json!([]));
    let instance = app.instance(instance_x).await;
    assert_eq!(
        (&instance["status"], &instance["expires_at"]),
        (&json!("active"), &json!("2026-06-01T00:00:00Z"))
    );
    let current = app.get(&format!("/v1/orders/{current_x}")).await;
    assert_eq!(
        (&current["status"], &current["ends_at"], &current["refund"]),
        (&json!("paid"), &json!("2026-05-01T00:00:00Z"), &Value::Null),
        "the current service is untouched"
    );
    let (status, again) = app.post(&path, json!({ "confirm_refund": true })).await;
    assert_eq!((status, text(&again["code"])), (409, "order_not_pending"));
    let (status, current_order) = app
        .post(
            &format!("/v1/orders/{current_x}/unsubscribe"),
            json!({ "confirm_refund": true }),
        )
        .await;
    assert_eq!(
        (status, text(&current_order["code"])),
        (409, "order_not_pending")
    );

    // Unsubscribe the first of the second instance instead: the second is re-dated to end 06-01.
    let (instance_y, _, first_y, second_y) = &chains[1];
    let answer = app
        .post_ok(
            &format!("/v1/orders/{first_y}/unsubscribe"),
            json!({ "confirm_refund": true }),
        )
        .await;
    assert_eq!(answer["expires_at"], "2026-06-01T00:00:00Z");
    assert_eq!(
        answer["redated_orders"],
        json!([{ "order_id": second_y, "starts_at": "2026-05-01T00:00:00Z", "ends_at": "2026-06-01T00:00:00Z" }])
    );
    let second = app.get(&format!("/v1/orders/{second_y}")).await;
    assert_eq!(
        (&second["status"], &second["starts_at"], &second["ends_at"]),
        (
            &json!("paid"),
            &json!("2026-05-01T00:00:00Z"),
            &json!("2026-06-01T00:00:00Z")
        )
    );
    assert_eq!(
        app.instance(instance_y).await["expires_at"],
        "2026-06-01T00:00:00Z"
    );
    assert_eq!(
        app.account(&account_id).await["balance_minor"],
        200_000 - 4 * 12_000
    );
    assert_ledger_balanced(&app, &account_id).await;

    // The lifecycle follows the moved expiry.
    app.advance_to("2026-06-02T00:00:00Z").await;
    for instance_id in [instance_x, instance_y] {
        let expired: Vec<(String, String)> = app
            .instance_events(instance_id)
            .await
            .into_iter()
            .filter(|(_, kind)| kind == "instance.expired")
            .collect();
        assert_eq!(
            expired,
            [(
                "2026-06-01T00:00:00Z".to_string(),
                "instance.expired".to_string()
            )]
        );
    }
    // The worked example's documents say what it charged and gave back, to the cent.
    app.assert_documents_match_charges().await;
}
on_both_backends!(
    pending_renewals_alone,
    pending_renewals_are_unsubscribed_alone
);

async fn batches_hold_at_most_50_partial_refund_resources(backend: Backend) {
    let app = spawn_app(backend, "2026-04-01T00:00:00Z").await;
    let account_id = app.funded_account(10_000_000).await;
    let mut partial = Vec::new();
    for _ in 0..50 {
        partial.push(
            buy_paid_with(
                &app,
                &account_id,
                "message-queue",
                "basic",
                "tps-1000",
                "1M",
                "balance",
            )
            .await
            .0,
        );
    }
    let (nonrefundable, _) = buy_paid_with(
        &app,
        &account_id,
        "dns",
        "personal",
        "standard",
        "1M",
        "balance",
    )
    .await;
    let balance = app.account(&account_id).await["balance_minor"].clone();
    app.advance_to("2026-04-02T00:00:00Z").await;

    let batch = |instances: Vec<String>| {
        let mut body = confirmed();
        body["instances"] = json!(instances);
        body
    };
    let mut fifty_one = partial.clone();
    fifty_one.push(nonrefundable.clone());
    let (status, answer) = app.post("/v1/unsubscriptions", batch(fifty_one)).await;
    assert_eq!((status, text(&answer["code"])), (422, "invalid_batch"));
    assert!(text(&answer["message"]).contains("51"), "{answer}");
    let (status, _) = app.post("/v1/unsubscriptions", batch(vec![])).await;
    assert_eq!(status, 422);

    // One nonrefundable resource refuses the whole batch, naming it.
    let (status, answer) = app
        .post(
            "/v1/unsubscriptions",
            batch(vec![partial[0].clone(), nonrefundable.clone()]),
        )
        .await;
    assert_eq!(
        (status, text(&answer["code"])),
        (409, "not_batch_refundable")
    );
    assert!(
        text(&answer["message"]).contains(&nonrefundable),
        "{answer}"
    );
    assert_eq!(app.instance(&partial[0]).await["status"], "active");
    assert_eq!(app.account(&account_id).await["balance_minor"], balance);
    assert!(refunds_of(&app, &format!("account={account_id}"))
        .await
        .is_empty());

    // The nonrefundable one is unsubscribed alone: released, nothing back.
    let alone = app
        .post_ok(
            &format!("/v1/instances/{nonrefundable}/unsubscribe"),
            confirmed(),
        )
        .await;
    assert_eq!(
        (
            &alone["refund_type"],
            &alone["refund_minor"],
            &alone["refunds"][0]["kept_minor"]
        ),
        (&json!("nonrefundable"), &json!(0), &json!(800))
    );

    // Exactly 50 partial-refund resources go through at once.
    let answer = app
        .post_ok("/v1/unsubscriptions", batch(partial.clone()))
        .await;
    assert_eq!(answer["data"].as_array().unwrap().len(), 50);
    // Each: 12000 − round(12000 × 24 / 720 = 400) = 11600.
    assert_eq!(answer["refund_minor"], 50 * 11_600);
    assert_eq!(app.instance(&partial[49]).await["status"], "unsubscribed");
    assert_ledger_balanced(&app, &account_id).await;
}
on_both_backends!(
    batch_limits,
    batches_hold_at_most_50_partial_refund_resources
);

async fn resource_plans_have_their_own_refund_types(backend: Backend) {
    let app = spawn_app(backend, "2026-03-01T00:00:00Z").await;
    let account_id = app.funded_account(100_000).await;
    let plan = |activates_at: Option<&str>| {
        let mut body = json!({ "account": account_id, "product": "iot-platform", "edition": "message-package",
            "spec": "messages-10m", "region": "us-east-1", "billing": "resource_plan", "period": "1M" });
        if let Some(activates_at) = activates_at {
            body["activates_at"] = json!(activates_at);
        }
        body
    };
    let unactivated = app
        .post_ok("/v1/instances", plan(Some("2026-03-10T00:00:00Z")))
        .await;
    let unactivated = text(&unactivated["instance"]["id"]).to_string();
    let unused = app.post_ok("/v1/instances", plan(None)).await;
    let unused = text(&unused["instance"]["id"]).to_string();
    let used = app.post_ok("/v1/instances", plan(None)).await;
    let used = text(&used["instance"]["id"]).to_string();
    let (regular, _) = buy_paid_with(
        &app,
        &account_id,
        "message-queue",
        "basic",
        "tps-1000",
        "1M",
        "balance",
    )
    .await;
    let (nonrefundable, _) = buy_paid_with(
        &app,
        &account_id,
        "dns",
        "personal",
        "standard",
        "1M",
        "balance",
    )
    .await;
    let payg = app
        .post_ok(
            "/v1/instances",
            json!({ "account": account_id, "product": "iot-platform", "edition": "legacy-public",
                    "region": "us-east-1", "billing": "payg" }),
        )
        .await;
    let payg = text(&payg["instance"]["id"]).to_string();
    app.advance_to("2026-03-05T00:00:00Z").await;

    // Quota: not before activation, never beyond what is left.
    let (status, answer) = app
        .post(
            &format!("/v1/instances/{unactivated}/quota-usage"),
            json!({ "units": 1 }),
        )
        .await;
    assert_eq!(
        (status, text(&answer["code"])),
        (409, "resource_plan_not_activated")
    );
    let usage = app
        .post_ok(
            &format!("/v1/instances/{used}/quota-usage"),
            json!({ "units": 2_500_000 }),
        )
        .await;
    assert_eq!(usage["remaining_units"], 7_500_000);
    let (status, answer) = app
        .post(
            &format!("/v1/instances/{used}/quota-usage"),
            json!({ "units": 7_500_001 }),
        )
        .await;
    assert_eq!((status, text(&answer["code"])), (409, "quota_exceeded"));

    // The active resources list, grouped by resource type, refund type and activation status.
    let listed = app
        .get(&format!(
            "/v1/unsubscriptions/eligible?account={account_id}"
        ))
        .await;
    let groups: Vec<(String, String, String, Vec<String>)> = listed["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|group| {
            (
                text(&group["resource_kind"]).to_string(),
                text(&group["refund_type"]).to_string(),
                text(&group["activation_status"]).to_string(),
                group["resources"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|resource| text(&resource["instance_id"]).to_string())
                    .collect(),
            )
        })
        .collect();
    let group = |kind: &str, refund_type: &str, activation: &str, ids: &[&String]| {
        (
            kind.to_string(),
            refund_type.to_string(),
            activation.to_string(),
            ids.iter().map(|id| id.to_string()).collect::<Vec<_>>(),
        )
    };
    assert_eq!(
        groups,
        vec![
            group("regular", "partial_refund", "activated", &[&regular]),
            group("regular", "nonrefundable", "activated", &[&nonrefundable]),
            group("resource_plan", "partial_refund", "activated", &[&used]),
            group(
                "resource_plan",
                "unactivated_subscription_refund",
                "unactivated",
                &[&unactivated]
            ),
            group(
                "resource_plan",
                "full_refund_for_unused_resources",
                "activated",
                &[&unused]
            ),
        ],
        "the pay-as-you-go instance is not listed"
    );
    // Filters: product, instance, order time.
    let by_product = app
        .get(&format!(
            "/v1/unsubscriptions/eligible?account={account_id}&product=dns"
        ))
        .await;
    assert_eq!(by_product["groups"].as_array().unwrap().len(), 1);
    let by_instance = app
        .get(&format!("/v1/unsubscriptions/eligible?instance={used}"))
        .await;
    assert_eq!(
        by_instance["groups"][0]["resources"][0]["refund_minor"],
        1500
    );
    let later = app
        .get("/v1/unsubscriptions/eligible?ordered_from=2026-03-02T00:00:00Z")
        .await;
    assert_eq!(later["groups"], json!([]));

    let unsubscribe = |instance_id: String| {
        let app = &app;
        async move {
            app.post_ok(
                &format!("/v1/instances/{instance_id}/unsubscribe"),
                confirmed(),
            )
            .await
        }
    };
    let answer = unsubscribe(unactivated.clone()).await;
    assert_eq!(
        (&answer["refund_type"], &answer["refund_minor"]),
        (&json!("unactivated_subscription_refund"), &json!(2000))
    );
    let answer = unsubscribe(unused.clone()).await;
    assert_eq!(
        (&answer["refund_type"], &answer["refund_minor"]),
        (&json!("full_refund_for_unused_resources"), &json!(2000))
    );
    // 2000 − 2000 × 2,500,000 / 10,000,000 = 1500
    let answer = unsubscribe(used.clone()).await;
    assert_eq!(
        (
            &answer["refund_type"],
            &answer["refund_minor"],
            &answer["refunds"][0]["details"]["basis"]
        ),
        (
            &json!("partial_refund"),
            &json!(1500),
            &json!({ "rule": "quota", "used_units": 2_500_000, "quota_units": 10_000_000 })
        )
    );
    let (status, answer) = app
        .post(&format!("/v1/instances/{payg}/unsubscribe"), confirmed())
        .await;
    assert_eq!((status, text(&answer["code"])), (409, "not_unsubscribable"));
    let (status, _) = app
        .post("/v1/instances/inst_missing/unsubscribe", confirmed())
        .await;
    assert_eq!(status, 404);
    assert_ledger_balanced(&app, &account_id).await;
}
on_both_backends!(resource_plans, resource_plans_have_their_own_refund_types);

async fn sum_of(values: &[Value], field: &str) -> i64 {
    values
        .iter()
        .map(|value| value[field].as_i64().unwrap())
        .sum()
}

/// Cash paid and refunded over the account's orders and refunds: what left the customer's
/// hands and what came back.
async fn cash_paid_and_refunded(app: &TestApp, account_id: &str) -> (i64, i64) {
    let orders = app.get(&format!("/v1/orders?account={account_id}")).await["data"]
        .as_array()
        .unwrap()
        .clone();
    let paid: i64 = sum_of(&orders, "paid_balance_minor").await
        + sum_of(&orders, "paid_coupon_minor").await
        + sum_of(&orders, "paid_external_minor").await;
    let by_changes = sum_of(&orders, "refunded_minor").await;
    let by_unsubscription = sum_of(
        &refunds_of(app, &format!("account={account_id}")).await,
        "refund_minor",
    )
    .await;
    (paid, by_changes + by_unsubscription)
}

async fn unsubscribing_after_changes_refunds_from_the_latest_value(backend: Backend) {
    let app = spawn_app(backend, "2026-04-01T00:00:00Z").await;
    let account_id = app.funded_account(200_000).await;
    // docs/examples.md 7: 30000 a month from 04-01, and a paid renewal for May.
    let (down_id, down_order) = buy_paid_with(
        &app,
        &account_id,
        "message-queue",
        "basic",
        "tps-5000",
        "1M",
        "balance",
    )
    .await;
    let down_renewal = renew(&app, &down_id).await;
    // The other way: 12000 a month, upgraded at the same moment.
    let (up_id, up_order) = buy_paid_with(
        &app,
        &account_id,
        "message-queue",
        "basic",
        "tps-1000",
        "1M",
        "balance",
    )
    .await;
    app.advance_to("2026-04-11T00:00:00Z").await;
    let downgraded = app
        .post_ok(
            &format!("/v1/instances/{down_id}/change"),
            json!({ "spec": "tps-1000" }),
        )
        .await;
    // The current period gives back 20000 − 8000; May, not started, 30000 − 12000.
    assert_eq!(downgraded["refund_minor"], 12_000 + 18_000);
    let upgraded = app
        .post_ok(
            &format!("/v1/instances/{up_id}/change"),
            json!({ "spec": "tps-5000" }),
        )
        .await;
    assert_eq!(upgraded["charge_minor"], 12_000);

    // Ten days later (480 of 720 h used). Downgraded: the 8000 left for the last 480 h is half
    // used, so 4000 comes back (not 30000 × 240 / 720 = 10000 from the order's paid amount),
    // and May gives back the 12000 its value now holds (not the 30000 first paid).
    app.advance_to("2026-04-21T00:00:00Z").await;
    let quote = app
        .get(&format!("/v1/instances/{down_id}/unsubscribe/quote"))
        .await;
    assert_eq!(quote["refund_minor"], 4000 + 12_000);
    let unsubscribed = app
        .post_ok(&format!("/v1/instances/{down_id}/unsubscribe"), confirmed())
        .await;
    assert_eq!(unsubscribed["refund_minor"], 4000 + 12_000);
    assert_eq!(
        unsubscribed["cancelled_orders"],
        json!([down_order, down_renewal])
    );
    let current = &unsubscribed["refunds"][0];
    assert_eq!(
        (
            &current["cash_paid_minor"],
            &current["refunded_before_minor"],
            &current["value_cash_minor"],
            &current["kept_minor"],
            &current["refund_minor"],
        ),
        (
            &json!(30_000),
            &json!(12_000),
            &json!(8000),
            &json!(14_000),
            &json!(4000)
        )
    );
    assert_eq!(current["details"]["latest_order_kind"], "downgrade");
    let may = &unsubscribed["refunds"][1];
    assert_eq!(
        (&may["refunded_before_minor"], &may["refund_minor"]),
        (&json!(18_000), &json!(12_000))
    );
    // Every order of the cancelled periods is cancelled, the downgrade included.
    let orders = app.get(&format!("/v1/orders?instance={down_id}")).await["data"]
        .as_array()
        .unwrap()
        .clone();
    assert!(orders.iter().all(|order| order["status"] == "cancelled"));

    // Upgraded: 8000 unused + 12000 paid cover the last 480 h; half is left: 10000 back, of
    // the 24000 paid.
    let unsubscribed = app
        .post_ok(&format!("/v1/instances/{up_id}/unsubscribe"), confirmed())
        .await;
    assert_eq!(unsubscribed["refund_minor"], 10_000);
    assert_eq!(unsubscribed["refunds"][0]["order_id"], up_order);
    assert_eq!(unsubscribed["refunds"][0]["cash_paid_minor"], 24_000);

    // Nothing is refunded twice: a second unsubscription and a change both find nothing.
    let (status, answer) = app
        .post(&format!("/v1/instances/{down_id}/unsubscribe"), confirmed())
        .await;
    assert_eq!(
        (status, text(&answer["code"])),
        (409, "already_unsubscribed")
    );
    let (status, _) = app
        .post(
            &format!("/v1/instances/{down_id}/change"),
            json!({ "spec": "tps-5000" }),
        )
        .await;
    assert_eq!(status, 409);

    let (paid, refunded) = cash_paid_and_refunded(&app, &account_id).await;
    assert_eq!(paid, 30_000 + 30_000 + 12_000 + 12_000);
    assert_eq!(refunded, 12_000 + 18_000 + 16_000 + 10_000);
    assert!(refunded <= paid);
    assert_eq!(
        app.account(&account_id).await["balance_minor"],
        200_000 - paid + refunded
    );
    assert_ledger_balanced(&app, &account_id).await;
    // The worked example's documents say what it charged and gave back, to the cent.
    app.assert_documents_match_charges().await;
}
on_both_backends!(
    after_changes,
    unsubscribing_after_changes_refunds_from_the_latest_value
);

/// A request with an account key instead of the operator's.
async fn as_key(app: &TestApp, key: &str, method: &str, path: &str, body: Value) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let response = app
        .client
        .request(method, format!("{}{path}", app.address))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let answer = response.json().await.unwrap_or(Value::Null);
    (status, answer)
}

async fn only_the_owner_and_billing_users_unsubscribe(backend: Backend) {
    let app = spawn_app(backend, "2026-04-01T00:00:00Z").await;
    let account = app
        .post_ok(
            "/v1/accounts",
            json!({ "name": "A", "email": "a@example.com", "mobile": "+15550100" }),
        )
        .await;
    let account_id = text(&account["id"]).to_string();
    app.post_ok(
        &format!("/v1/accounts/{account_id}/deposits"),
        json!({ "amount": 100_000, "method": "bank_card" }),
    )
    .await;
    let mut keys = Vec::new();
    for role in ["read_only", "billing"] {
        let user = app
            .post_ok(
                &format!("/v1/accounts/{account_id}/users"),
                json!({ "name": role, "role": role }),
            )
            .await;
        keys.push(text(&user["api_key"]).to_string());
    }
    let (read_only, billing) = (keys[0].clone(), keys[1].clone());
    let other = app
        .post_ok(
            "/v1/accounts",
            json!({ "name": "B", "email": "b@example.com", "mobile": "+15550101" }),
        )
        .await;
    let other_key = text(&other["owner_key"]).to_string();
    let (instance_id, _) = buy_paid_with(
        &app,
        &account_id,
        "message-queue",
        "basic",
        "tps-1000",
        "1M",
        "balance",
    )
    .await;
    let renewal_order = renew(&app, &instance_id).await;
    let instance_path = format!("/v1/instances/{instance_id}/unsubscribe");
    let order_path = format!("/v1/orders/{renewal_order}/unsubscribe");
    let batch = json!({ "instances": [instance_id], "confirm_refund": true, "confirm_data_backed_up": true });

    // A read-only user sees the quote and the lists, and may not unsubscribe.
    let (status, _) = as_key(
        &app,
        &read_only,
        "GET",
        &format!("{instance_path}/quote"),
        json!(null),
    )
    .await;
    assert_eq!(status, 200);
    for (path, body) in [
        (&instance_path, confirmed()),
        (&order_path, confirmed()),
        (&"/v1/unsubscriptions".to_string(), batch.clone()),
    ] {
        let (status, answer) = as_key(&app, &read_only, "POST", path, body).await;
        assert_eq!(status, 403, "{path}: {answer}");
    }
    // Another account's key does not even learn that the instance or order exists.
    for (path, body) in [
        (&format!("{instance_path}/quote"), json!(null)),
        (&instance_path, confirmed()),
        (&order_path, confirmed()),
        (&"/v1/unsubscriptions".to_string(), batch.clone()),
    ] {
        let method = if body.is_null() { "GET" } else { "POST" };
        let (status, answer) = as_key(&app, &other_key, method, path, body).await;
        assert_eq!(
            (status, text(&answer["code"])),
            (404, "not_found"),
            "{path}"
        );
    }
    assert_eq!(app.instance(&instance_id).await["status"], "active");
    assert!(refunds_of(&app, &format!("account={account_id}"))
        .await
        .is_empty());

    // A billing user may: the pending renewal first, then the instance.
    let (status, answer) = as_key(&app, &billing, "POST", &order_path, confirmed()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["refund"]["refund_minor"], 12_000);
    let (status, answer) = as_key(&app, &billing, "POST", &instance_path, confirmed()).await;
    assert_eq!(status, 200, "{answer}");
    let refund_id = text(&answer["refunds"][0]["id"]).to_string();
    // Its refunds are readable by the account, not by others; completing one is the operator's.
    let (status, _) = as_key(
        &app,
        &read_only,
        "GET",
        &format!("/v1/refunds/{refund_id}"),
        json!(null),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = as_key(
        &app,
        &other_key,
        "GET",
        &format!("/v1/refunds/{refund_id}"),
        json!(null),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = as_key(
        &app,
        &billing,
        "POST",
        &format!("/v1/refunds/{refund_id}/complete"),
        json!({}),
    )
    .await;
    assert_eq!(status, 403);
    assert_ledger_balanced(&app, &account_id).await;
}
on_both_backends!(permissions, only_the_owner_and_billing_users_unsubscribe);

async fn a_paid_auto_renewal_is_a_pending_renewal_order(backend: Backend) {
    let app = spawn_app(backend, "2026-04-01T00:00:00Z").await;
    let account_id = app.funded_account(100_000).await;
    let bought = app
        .post_ok(
            "/v1/instances",
            json!({ "account": account_id, "product": "message-queue", "edition": "basic",
                    "spec": "tps-1000", "region": region_of("message-queue"), "period": "1M",
                    "auto_renew": { "period": "1M" } }),
        )
        .await;
    let instance_id = text(&bought["instance"]["id"]).to_string();
    // Daily schedule: the first attempt, at T-9 (04-22), renews May in advance.
    app.advance_to("2026-04-22T06:00:00Z").await;
    let instance = app.instance(&instance_id).await;
    assert_eq!(instance["expires_at"], "2026-06-01T00:00:00Z");
    let pending = app
        .get(&format!(
            "/v1/unsubscriptions/pending-renewals?instance={instance_id}"
        ))
        .await["data"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(pending.len(), 1, "{pending:?}");
    let order_id = text(&pending[0]["order_id"]).to_string();
    assert_eq!(
        app.get(&format!("/v1/orders/{order_id}")).await["kind"],
        "auto_renewal"
    );
    let quote = app
        .get(&format!("/v1/instances/{instance_id}/unsubscribe/quote"))
        .await;
    assert_eq!(quote["pending_renewal_orders"], 1);

    let answer = app
        .post_ok(&format!("/v1/orders/{order_id}/unsubscribe"), confirmed())
        .await;
    assert_eq!(answer["refund"]["refund_minor"], 12_000);
    assert_eq!(answer["expires_at"], "2026-05-01T00:00:00Z");
    // The attempt that was made is not made again at once; the schedule goes on at T-8.
    let instance = app.instance(&instance_id).await;
    assert_eq!(instance["next_deduction_at"], "2026-04-23T00:00:00Z");
    app.advance_to("2026-04-22T23:00:00Z").await;
    assert_eq!(
        app.instance(&instance_id).await["expires_at"],
        "2026-05-01T00:00:00Z"
    );
    assert_eq!(app.account(&account_id).await["balance_minor"], 88_000);
    assert_ledger_balanced(&app, &account_id).await;
}
on_both_backends!(
    auto_renewal_pending,
    a_paid_auto_renewal_is_a_pending_renewal_order
);

/// docs/examples.md 11: value paid under a nonrefundable edition stays nonrefundable after an
/// upgrade, on both unsubscription paths (a pending renewal alone, then the instance).
async fn nonrefundable_value_stays_nonrefundable_after_an_upgrade(backend: Backend) {
    let app = spawn_app(backend, "2026-01-01T00:00:00Z").await;
    let account_id = app.funded_account(200_000).await;
    // DNS Personal for 3Y: 3 × 8000 = 24000, Nonrefundable. 2026-01-01 to 2029-01-01 is
    // 365 + 365 + 366 days (2028 is a leap year) = 26304 hours.
    let (instance_id, order_id) = buy_paid_with(
        &app,
        &account_id,
        "dns",
        "personal",
        "standard",
        "3Y",
        "balance",
    )
    .await;
    let quote = app
        .get(&format!("/v1/instances/{instance_id}/unsubscribe/quote"))
        .await;
    assert_eq!(
        (&quote["refund_type"], &quote["refund_minor"]),
        (&json!("nonrefundable"), &json!(0))
    );
    // Upgraded at once to Enterprise Standard (3Y: 3 × 50000 = 150000): 0 of 26304 hours
    // used, the new edition costs 150000 for all of them, the 24000 is all unused: 126000.
    let upgraded = app
        .post_ok(
            &format!("/v1/instances/{instance_id}/change"),
            json!({ "edition": "enterprise-standard" }),
        )
        .await;
    assert_eq!(upgraded["charge_minor"], 126_000);
    // Unsubscribed in the same hour: the period's 150000 is all unused; the 24000 part paid
    // under Personal stays with the operator, the 126000 paid under Enterprise comes back
    // (it used to be all 150000).
    let quote = app
        .get(&format!("/v1/instances/{instance_id}/unsubscribe/quote"))
        .await;
    assert_eq!(
        (&quote["refund_type"], &quote["refund_minor"]),
        (&json!("partial_refund"), &json!(126_000))
    );
    assert_eq!(quote["orders"][0]["nonrefundable_unused_minor"], 24_000);
    let unsubscribed = app
        .post_ok(
            &format!("/v1/instances/{instance_id}/unsubscribe"),
            confirmed(),
        )
        .await;
    assert_eq!(unsubscribed["refund_minor"], 126_000);
    let refund = &unsubscribed["refunds"][0];
    assert_eq!(refund["order_id"], order_id.as_str());
    assert_eq!(
        (
            &refund["cash_paid_minor"],
            &refund["kept_minor"],
            &refund["to_balance_minor"]
        ),
        (&json!(150_000), &json!(24_000), &json!(126_000))
    );
    assert_eq!(refund["details"]["nonrefundable_unused_minor"], 24_000);
    assert_eq!(
        app.account(&account_id).await["balance_minor"],
        200_000 - 24_000
    );

    // Month by month: Personal 1M from 04-01 (800, 720 h) and a renewal for May (800, 744 h).
    app.advance_to("2026-04-01T00:00:00Z").await;
    let (instance_id, april_order) = buy_paid_with(
        &app,
        &account_id,
        "dns",
        "personal",
        "standard",
        "1M",
        "balance",
    )
    .await;
    let may_order = renew(&app, &instance_id).await;
    // At 04-11, 240 of April's 720 hours used, to Enterprise Standard (5000 a month):
    // April: 5000 × 480 / 720 = 3333.33 → 3333, less 800 − 800 × 240 / 720 (266.67 → 267)
    // = 533 unused: 2800. May, not started: 5000 − 800 = 4200. Charge 7000.
    app.advance_to("2026-04-11T00:00:00Z").await;
    let upgraded = app
        .post_ok(
            &format!("/v1/instances/{instance_id}/change"),
            json!({ "edition": "enterprise-standard" }),
        )
        .await;
    assert_eq!(upgraded["charge_minor"], 2800 + 4200);
    // May's renewal, paid under Personal, unsubscribed alone: of its 5000 value the 800 stays
    // and the 4200 paid under Enterprise comes back (it used to be all 5000).
    let alone = app
        .post_ok(
            &format!("/v1/orders/{may_order}/unsubscribe"),
            json!({ "confirm_refund": true }),
        )
        .await;
    assert_eq!(alone["refund"]["refund_minor"], 4200);
    assert_eq!(alone["refund"]["kept_minor"], 800);
    assert_eq!(
        alone["refund"]["details"]["nonrefundable_unused_minor"],
        800
    );
    assert_eq!(alone["expires_at"], "2026-05-01T00:00:00Z");
    // Then the instance, in the same hour: April's 3333 splits 533 (Personal) : 2800
    // (Enterprise): 2800 back. With May's 4200, 7000 in all, where 8333 used to come back.
    let unsubscribed = app
        .post_ok(
            &format!("/v1/instances/{instance_id}/unsubscribe"),
            confirmed(),
        )
        .await;
    assert_eq!(unsubscribed["refund_minor"], 2800);
    assert_eq!(unsubscribed["refunds"][0]["order_id"], april_order.as_str());
    // Kept: the 267 April used and the 533 paid under Personal still unused.
    assert_eq!(unsubscribed["refunds"][0]["kept_minor"], 800);
    assert_eq!(
        unsubscribed["refunds"][0]["details"]["nonrefundable_unused_minor"],
        533
    );
    assert_eq!(
        app.account(&account_id).await["balance_minor"],
        200_000 - 24_000 - 800 - 800 - 7000 + 7000
    );
    assert_ledger_balanced(&app, &account_id).await;
    // The worked example's documents say what it charged and gave back, to the cent.
    app.assert_documents_match_charges().await;
}
on_both_backends!(
    nonrefundable_after_upgrade,
    nonrefundable_value_stays_nonrefundable_after_an_upgrade
);

/// docs/examples.md 12: each part of a refund goes back to the source that paid it, across
/// every payment of the period, coupons to coupons and balance to balance.
async fn coupons_and_balance_go_back_to_what_paid_them_across_payments(backend: Backend) {
    let app = spawn_app(backend, "2026-04-01T00:00:00Z").await;
    // Three accounts, so each one's coupons are its own: (purchase from the balance, upgrade
    // with coupons, unsubscribed), (the reverse, unsubscribed), (as the first, downgraded).
    let mut accounts = Vec::new();
    for coupons_first in [false, true, false] {
        let account_id = app.funded_account(100_000).await;
        let grant = || async {
            app.post_ok(
                &format!("/v1/accounts/{account_id}/coupons"),
                json!({ "amount": 12_000 }),
            )
            .await;
        };
        if coupons_first {
            grant().await;
        }
        // Message queue Basic tps-1000, 1M from 04-01 (720 h): 12000.
        let (instance_id, _) = buy_paid_with(
            &app,
            &account_id,
            "message-queue",
            "basic",
            "tps-1000",
            "1M",
            "balance",
        )
        .await;
        if !coupons_first {
            grant().await;
        }
        accounts.push((account_id, instance_id));
    }
    // At 04-11 (240 h used), to tps-5000 (30000 a month): 30000 × 480 / 720 = 20000, less
    // 12000 × 480 / 720 = 8000 unused: 12000, paid with what the opening order did not use.
    app.advance_to("2026-04-11T00:00:00Z").await;
    for (_, instance_id) in &accounts {
        let upgraded = app
            .post_ok(
                &format!("/v1/instances/{instance_id}/change"),
                json!({ "spec": "tps-5000" }),
            )
            .await;
        assert_eq!(upgraded["charge_minor"], 12_000);
    }
    // At 04-21 (480 h used) the 20000 value set at hour 240 is half used: 10000 unused, split
    // as the payments hold it, 8000 (the purchase's unused part) : 12000 (the upgrade).
    app.advance_to("2026-04-21T00:00:00Z").await;
    let coupons_and_balance = |answer: &Value| {
        (
            answer["to_coupons_minor"].as_i64().unwrap(),
            answer["to_balance_minor"].as_i64().unwrap(),
        )
    };
    let (account_id, instance_id) = &accounts[0];
    let unsubscribed = app
        .post_ok(
            &format!("/v1/instances/{instance_id}/unsubscribe"),
            confirmed(),
        )
        .await;
    assert_eq!(unsubscribed["refund_minor"], 10_000);
    // 10000 × 8000 / 20000 = 4000 to the balance, 6000 to coupons (all 10000 used to go to
    // the balance: coupons became cash).
    assert_eq!(
        coupons_and_balance(&unsubscribed["refunds"][0]),
        (6000, 4000)
    );
    let account = app.account(account_id).await;
    assert_eq!(
        (&account["coupons_minor"], &account["balance_minor"]),
        (&json!(6000), &json!(100_000 - 12_000 + 4000))
    );
    assert_ledger_balanced(&app, account_id).await;

    let (account_id, instance_id) = &accounts[1];
    let unsubscribed = app
        .post_ok(
            &format!("/v1/instances/{instance_id}/unsubscribe"),
            confirmed(),
        )
        .await;
    // The reverse: 4000 to coupons, 6000 to the balance (all 10000 used to go to coupons).
    assert_eq!(
        coupons_and_balance(&unsubscribed["refunds"][0]),
        (4000, 6000)
    );
    let account = app.account(account_id).await;
    assert_eq!(
        (&account["coupons_minor"], &account["balance_minor"]),
        (&json!(4000), &json!(100_000 - 12_000 + 6000))
    );
    assert_ledger_balanced(&app, account_id).await;

    // A downgrade back to tps-1000 (12000 × 240 / 720 = 4000 for the last 240 h) gives back
    // 10000 − 4000 = 6000 by the same rule: 6000 × 8000 / 20000 = 2400 to the balance, 3600 to
    // coupons.
    let (account_id, instance_id) = &accounts[2];
    let downgraded = app
        .post_ok(
            &format!("/v1/instances/{instance_id}/change"),
            json!({ "spec": "tps-1000" }),
        )
        .await;
    assert_eq!(downgraded["refund_minor"], 6000);
    let account = app.account(account_id).await;
    assert_eq!(
        (&account["coupons_minor"], &account["balance_minor"]),
        (&json!(3600), &json!(100_000 - 12_000 + 2400))
    );
    // Unsubscribed in the same hour: the 4000 the downgrade left is held as it left each part,
    // balance 4000 − 2400 = 1600 and coupons 6000 − 3600 = 2400, all of it unused and back.
    let unsubscribed = app
        .post_ok(
            &format!("/v1/instances/{instance_id}/unsubscribe"),
            confirmed(),
        )
        .await;
    assert_eq!(unsubscribed["refund_minor"], 4000);
    assert_eq!(
        coupons_and_balance(&unsubscribed["refunds"][0]),
        (2400, 1600)
    );
    let account = app.account(account_id).await;
    assert_eq!(
        (&account["coupons_minor"], &account["balance_minor"]),
        (&json!(6000), &json!(100_000 - 12_000 + 2400 + 1600))
    );
    assert_ledger_balanced(&app, account_id).await;
    // The worked example's documents say what it charged and gave back, to the cent.
    app.assert_documents_match_charges().await;
}
on_both_backends!(
    refund_sources_across_payments,
    coupons_and_balance_go_back_to_what_paid_them_across_payments
);
