//! Accounts, deposits, coupons and vouchers, and how purchases spend them.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, text, Backend};
use crate::on_both_backends;

async fn money_is_derived_from_a_balanced_ledger(backend: Backend) {
    let app = spawn_app(backend, "2026-02-10T00:00:00Z").await;
    let account_id = app.funded_account(10_000).await;
    app.post_ok(
        &format!("/v1/accounts/{account_id}/deposits"),
        json!({ "amount": { "amount": 2_500, "currency": "USD" }, "method": "paypal" }),
    )
    .await;
    app.post_ok(
        &format!("/v1/accounts/{account_id}/coupons"),
        json!({ "amount": 3_000 }),
    )
    .await;
    app.post_ok(
        &format!("/v1/accounts/{account_id}/vouchers"),
        json!({ "amount": 5_000 }),
    )
    .await;
    let account = app.account(&account_id).await;
    assert_eq!(account["balance_minor"], 12_500);
    assert_eq!(account["coupons_minor"], 3_000);
    assert_eq!(account["vouchers_minor"], 5_000);
    assert_eq!(account["available_credit_minor"], 15_500);

    // A 12000 purchase takes the vouchers first, then the coupons, then the balance.
    let bought = app
        .buy(&account_id, "message-queue", "basic", "tps-1000", "1M")
        .await;
    let order = &bought["order"];
    assert_eq!(
        (
            order["paid_voucher_minor"].as_i64(),
            order["paid_coupon_minor"].as_i64(),
            order["paid_balance_minor"].as_i64()
        ),
        (Some(5_000), Some(3_000), Some(4_000))
    );
    let account = app.account(&account_id).await;
    assert_eq!(
        (
            account["balance_minor"].as_i64(),
            account["coupons_minor"].as_i64(),
            account["vouchers_minor"].as_i64()
        ),
        (Some(8_500), Some(0), Some(0))
    );
    let entries = app.balanced_ledger(&account_id).await;
    let kinds: Vec<&str> = entries.iter().map(|entry| text(&entry["kind"])).collect();
    assert_eq!(
        kinds,
        [
            "deposit",
            "deposit",
            "coupon_grant",
            "voucher_grant",
            "order_payment"
        ]
    );
}
on_both_backends!(ledger_and_funds, money_is_derived_from_a_balanced_ledger);

async fn an_external_method_pays_what_credit_does_not(backend: Backend) {
    let app = spawn_app(backend, "2026-02-10T00:00:00Z").await;
    let account_id = app.funded_account(100_000).await;
    app.post_ok(
        &format!("/v1/accounts/{account_id}/coupons"),
        json!({ "amount": 1_000 }),
    )
    .await;
    let bought = app
        .post_ok(
            "/v1/instances",
            json!({ "account": account_id, "product": "iot-platform", "edition": "enterprise",
            "spec": "units-10", "region": "us-east-1", "period": "3M", "pay_with": "bank_card" }),
        )
        .await;
    let order = &bought["order"];
    assert_eq!(order["list_price_minor"], 90_000);
    assert_eq!(order["paid_coupon_minor"], 1_000);
    assert_eq!(order["paid_external_minor"], 89_000);
    assert_eq!(order["external_method"], "bank_card");
    assert_eq!(
        app.account(&account_id).await["balance_minor"],
        100_000,
        "the balance is untouched"
    );
}
on_both_backends!(
    external_payment,
    an_external_method_pays_what_credit_does_not
);

async fn a_purchase_the_account_cannot_pay_changes_nothing(backend: Backend) {
    let app = spawn_app(backend, "2026-02-10T00:00:00Z").await;
    let account_id = app.funded_account(11_999).await;
    let events_before = app.event_count().await;
    let (status, refusal) = app
        .post(
            "/v1/instances",
            json!({ "account": account_id, "product": "message-queue", "edition": "basic",
            "spec": "tps-1000", "region": "us-east-1", "period": "1M" }),
        )
        .await;
    assert_eq!(status, 402);
    assert_eq!(refusal["code"], "insufficient_funds");
    assert_eq!(app.account(&account_id).await["balance_minor"], 11_999);
    assert_eq!(app.event_count().await, events_before);
    assert_eq!(
        app.get(&format!("/v1/instances?account={account_id}"))
            .await["data"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}
on_both_backends!(
    insufficient_funds,
    a_purchase_the_account_cannot_pay_changes_nothing
);

/// The ledger is paged like every list: `limit`, and `after` the last id of the page before
/// (`next_after`, null on the last page). The pages together are the whole ledger, in order;
/// a cursor that names no entry of the account is refused.
async fn the_ledger_is_paged(backend: Backend) {
    let app = spawn_app(backend, "2026-02-10T00:00:00Z").await;
    let account_id = app.funded_account(10_000).await;
    for amount in [100, 200, 300, 400] {
        app.post_ok(
            &format!("/v1/accounts/{account_id}/deposits"),
            json!({ "amount": amount, "method": "bank_card" }),
        )
        .await;
    }
    let whole: Vec<Value> = app.balanced_ledger(&account_id).await;
    assert_eq!(whole.len(), 5, "the opening deposit and four more");
    let mut paged = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..10 {
        let cursor = after
            .as_ref()
            .map(|id| format!("&after={id}"))
            .unwrap_or_default();
        let page = app
            .get(&format!("/v1/accounts/{account_id}/ledger?limit=2{cursor}"))
            .await;
        paged.extend(page["data"].as_array().unwrap().iter().cloned());
        match page["next_after"].as_str() {
            Some(next) => after = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!(paged, whole);
    let (status, answer) = app
        .request(
            "GET",
            &format!("/v1/accounts/{account_id}/ledger?after=led_nowhere"),
            None,
            &[],
        )
        .await;
    assert_eq!((status, answer["code"].as_str()), (404, Some("not_found")));
}
on_both_backends!(ledger_pages, the_ledger_is_paged);

/// A real broken invariant (running totals changed around tenure, here by hand) stops that
/// account's writes, with an `account.frozen` event; every other account goes on, the sweep
/// included; once the operator has put the ledger right, unfreezing lets it write again.
async fn a_broken_ledger_freezes_that_account_alone(backend: Backend) {
    let app = spawn_app(backend, "2026-02-10T00:00:00Z").await;
    let broken = app.funded_account(100_000).await;
    let healthy = app.funded_account(100_000).await;
    let bought = app
        .buy(&healthy, "message-queue", "basic", "tps-1000", "1M")
        .await;
    let healthy_instance = bought["instance"]["id"].as_str().unwrap().to_string();
    let drift = |by: i64| {
        let engine = app.engine.clone();
        let account = broken.clone();
        async move {
            let mut tx = engine.store.begin().await.unwrap();
            tenure_store::database::query(
                "UPDATE account_funds SET balance_minor = balance_minor + $2 WHERE account_id = $1",
            )
            .bind(account.as_str())
            .bind(by)
            .execute(&mut tx)
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }
    };
    drift(1).await;
    // Reads take the running totals: the drift shows until the ledger audit finds it.
    assert_eq!(app.account(&broken).await["balance_minor"], 100_001);
    let audit = app.post_ok("/v1/ledger/audit", json!({})).await;
    assert_eq!(audit["drifted_accounts"], json!([broken]), "{audit}");
    assert!(audit["accounts_checked"].as_u64().unwrap() >= 2, "{audit}");

    let (status, answer) = app.get_status(&format!("/v1/accounts/{broken}")).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (409, Some("account_frozen")),
        "{answer}"
    );
    let deposit = json!({ "amount": 500, "method": "bank_card" });
    let (status, answer) = app
        .post(&format!("/v1/accounts/{broken}/deposits"), deposit.clone())
        .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (409, Some("account_frozen")),
        "{answer}"
    );
    let (status, _) = app
        .post("/v1/instances", json!({ "account": broken, "product": "message-queue", "edition": "basic",
                                        "spec": "tps-1000", "region": "us-east-1", "period": "1M" }))
        .await;
    assert_eq!(status, 409);
    // Audited again, found again, frozen once.
    let audit = app.post_ok("/v1/ledger/audit", json!({})).await;
    assert_eq!(audit["drifted_accounts"], json!([broken]), "{audit}");
    let events = app
        .get(&format!("/v1/events?account={broken}&kind=account.frozen"))
        .await;
    assert_eq!(events["data"].as_array().unwrap().len(), 1);
    assert!(events["data"][0]["data"]["reason"]
        .as_str()
        .unwrap()
        .contains("running totals"));

    // The others go on: a deposit, and the sweep expiring the healthy account's instance.
    app.post_ok(&format!("/v1/accounts/{healthy}/deposits"), deposit.clone())
        .await;
    app.advance_to("2026-03-12T00:00:00Z").await;
    assert_eq!(app.instance(&healthy_instance).await["status"], "expired");

    // Unfrozen only once the ledger checks.
    let (status, answer) = app
        .post(&format!("/v1/accounts/{broken}/unfreeze"), json!({}))
        .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (409, Some("ledger_still_fails")),
        "{answer}"
    );
    drift(-1).await;
    let unfrozen = app
        .post_ok(&format!("/v1/accounts/{broken}/unfreeze"), json!({}))
        .await;
    assert_eq!(unfrozen["frozen_reason"], Value::Null);
    assert_eq!(unfrozen["balance_minor"], 100_000);
    app.post_ok(&format!("/v1/accounts/{broken}/deposits"), deposit)
        .await;
    assert_eq!(app.account(&broken).await["balance_minor"], 100_500);
    let (status, _) = app
        .post(&format!("/v1/accounts/{broken}/unfreeze"), json!({}))
        .await;
    assert_eq!(status, 409, "not frozen now");
    let audit = app.post_ok("/v1/ledger/audit", json!({})).await;
    assert_eq!(audit["drifted_accounts"], json!([]), "{audit}");
}

on_both_backends!(
    broken_ledger_freezes,
    a_broken_ledger_freezes_that_account_alone
);
