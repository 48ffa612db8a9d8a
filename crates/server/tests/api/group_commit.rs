//! Concurrent writes share transactions (the store's group commit runs the requests waiting
//! together, each in a savepoint, and commits once). A request refused leaves nothing of its
//! work behind (its key keeps the refusal), and the requests it shared a transaction with keep
//! their work.
//! (A request that fails after writing is tested in the store's `group_commit` module, where
//! one group can be made to hold it.)

use serde_json::json;

use crate::helpers::{futures_join_all, spawn_app, Backend};
use crate::on_both_backends;

/// What a month of `message-queue` basic `tps-1000` costs.
const PRICE_MINOR: i64 = 12_000;

async fn a_failed_purchase_leaves_nothing_and_its_group_keeps_the_rest(backend: Backend) {
    let app = spawn_app(backend, "2026-02-10T00:00:00Z").await;
    let purchases_each = 20;
    let rich = app.funded_account(PRICE_MINOR * purchases_each).await;
    let poor = app.funded_account(PRICE_MINOR - 1).await;
    let purchase = |account: &str| {
        json!({ "account": account, "product": "message-queue", "edition": "basic",
                "spec": "tps-1000", "region": "us-east-1", "period": "1M" })
    };
    // Interleaved, so that groups hold both kinds; some of each kind with a key.
    let requests: Vec<(bool, Vec<(&str, String)>)> = (0..2 * purchases_each)
        .map(|index| {
            let key = format!("group-{index}");
            let headers = if index % 4 < 2 {
                vec![("Idempotency-Key", key)]
            } else {
                vec![]
            };
            (index % 2 == 0, headers)
        })
        .collect();
    let headers: Vec<Vec<(&str, &str)>> = requests
        .iter()
        .map(|(_, headers)| {
            headers
                .iter()
                .map(|(name, value)| (*name, value.as_str()))
                .collect()
        })
        .collect();
    let answers = futures_join_all(
        requests
            .iter()
            .zip(&headers)
            .map(|((is_rich, _), headers)| {
                let account = if *is_rich { &rich } else { &poor };
                app.request("POST", "/v1/instances", Some(purchase(account)), headers)
            }),
    )
    .await;

    for ((is_rich, _), (status, answer)) in requests.iter().zip(&answers) {
        let expected = if *is_rich { 201 } else { 402 };
        assert_eq!(*status, expected, "{answer}");
    }
    assert_eq!(
        count(&app, &format!("/v1/instances?account={rich}")).await,
        purchases_each as usize
    );
    assert_eq!(
        count(&app, &format!("/v1/orders?account={rich}")).await,
        purchases_each as usize
    );
    assert_eq!(app.account(&rich).await["balance_minor"], 0);
    assert_eq!(
        count(&app, &format!("/v1/instances?account={poor}")).await,
        0,
        "no instance left behind"
    );
    assert_eq!(count(&app, &format!("/v1/orders?account={poor}")).await, 0);
    assert_eq!(app.account(&poor).await["balance_minor"], PRICE_MINOR - 1);
    assert_eq!(
        app.balanced_ledger(&rich).await.len(),
        1 + purchases_each as usize
    );
    assert_eq!(
        app.balanced_ledger(&poor).await.len(),
        1,
        "only the deposit"
    );

    // A refused request's key keeps its refusal: with the money there, it still answers 402
    // and buys nothing; a new key buys.
    app.post_ok(
        &format!("/v1/accounts/{poor}/deposits"),
        json!({ "amount": 1, "method": "transfer" }),
    )
    .await;
    let (status, _) = app
        .request(
            "POST",
            "/v1/instances",
            Some(purchase(&poor)),
            &[("Idempotency-Key", "group-1")],
        )
        .await;
    assert_eq!(status, 402);
    assert_eq!(
        count(&app, &format!("/v1/instances?account={poor}")).await,
        0
    );
    let (status, _) = app
        .request(
            "POST",
            "/v1/instances",
            Some(purchase(&poor)),
            &[("Idempotency-Key", "group-1-again")],
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(
        count(&app, &format!("/v1/instances?account={poor}")).await,
        1
    );
    assert_eq!(app.account(&poor).await["balance_minor"], 0);
}
on_both_backends!(
    failed_purchase_in_a_group,
    a_failed_purchase_leaves_nothing_and_its_group_keeps_the_rest
);

/// How many items a list endpoint gives.
async fn count(app: &crate::helpers::TestApp, path: &str) -> usize {
    app.get(path).await["data"].as_array().unwrap().len()
}
