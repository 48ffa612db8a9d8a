//! The operator's list of accounts: search by name, email, mobile or id (safe on any text),
//! the overdue, frozen and low-balance filters (decided as the account's own view decides),
//! and paging under each order.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, text, Backend, TestApp};
use crate::on_both_backends;

/// `text` as a query value: every byte but letters and digits percent-encoded.
fn encoded(text: &str) -> String {
    text.bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() {
                (byte as char).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

async fn open(app: &TestApp, name: &str, email: &str, mobile: &str, extra: Value) -> String {
    let mut body = json!({ "name": name, "email": email, "mobile": mobile });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let account = app.post_ok("/v1/accounts", body).await;
    text(&account["id"]).to_string()
}

async fn deposit(app: &TestApp, account_id: &str, amount_minor: i64) {
    app.post_ok(
        &format!("/v1/accounts/{account_id}/deposits"),
        json!({ "amount": amount_minor, "method": "transfer" }),
    )
    .await;
}

/// The ids of the accounts a search finds, in the list's order.
async fn found(app: &TestApp, query: &str) -> Vec<String> {
    let page = app.get(&format!("/v1/accounts?limit=1000&{query}")).await;
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|account| text(&account["id"]).to_string())
        .collect()
}

async fn searched(app: &TestApp, search: &str) -> Vec<String> {
    found(app, &format!("search={}", encoded(search))).await
}

async fn search_finds_by_each_field_and_any_text_is_safe(backend: Backend) {
    let app = spawn_app(backend, "2026-02-10T00:00:00Z").await;
    let ada = open(
        &app,
        "Ada Lovelace",
        "ada@example.com",
        "+15550100",
        json!({}),
    )
    .await;
    let grace = open(
        &app,
        "Grace Hopper",
        "grace@navy.example",
        "+15550199",
        json!({}),
    )
    .await;
    let pure = open(
        &app,
        "100% Pure_Co",
        "pure_co@example.org",
        "5550142",
        json!({}),
    )
    .await;
    let quoted = open(
        &app,
        "Dara O'Brien \"the\" \\ one",
        "dara@example.ie",
        "+35315550123",
        json!({}),
    )
    .await;
    let accented = open(
        &app,
        "Élodie Œuvre",
        "elodie@example.fr",
        "+33155501",
        json!({}),
    )
    .await;

    // Each field, any case of ASCII letters.
    assert_eq!(searched(&app, "lovelace").await, [ada.as_str()]);
    assert_eq!(searched(&app, "LoVeLaCe").await, [ada.as_str()]);
    assert_eq!(searched(&app, "navy.EXAMPLE").await, [grace.as_str()]);
    assert_eq!(searched(&app, "5550199").await, [grace.as_str()]);
    assert_eq!(
        searched(&app, "+1555").await,
        [ada.as_str(), grace.as_str()]
    );
    assert_eq!(
        searched(&app, "  hopper  ").await,
        [grace.as_str()],
        "trimmed"
    );
    // An id, whole or its start, in any case; never the middle of one.
    assert_eq!(searched(&app, &grace).await, [grace.as_str()]);
    assert_eq!(
        searched(&app, &grace.to_uppercase()).await,
        [grace.as_str()]
    );
    assert_eq!(
        searched(&app, &grace[..grace.len() - 2]).await,
        [grace.as_str()]
    );
    assert_eq!(searched(&app, &grace[5..]).await, Vec::<String>::new());
    let everyone = vec![
        ada.as_str(),
        grace.as_str(),
        pure.as_str(),
        quoted.as_str(),
        accented.as_str(),
    ];
    assert_eq!(searched(&app, "acct_").await, everyone);
    assert_eq!(searched(&app, "").await, everyone, "blank: no search");
    assert_eq!(searched(&app, "   ").await, everyone);

    // LIKE's wildcards are plain characters.
    assert_eq!(searched(&app, "%").await, [pure.as_str()]);
    assert_eq!(searched(&app, "_").await, [pure.as_str()]);
    assert_eq!(searched(&app, "0%").await, [pure.as_str()]);
    assert_eq!(searched(&app, "e_c").await, [pure.as_str()]);
    assert_eq!(searched(&app, "a_a").await, Vec::<String>::new());
    assert_eq!(searched(&app, "%%").await, Vec::<String>::new());
    // Quotes and backslashes are text, too.
    assert_eq!(searched(&app, "o'brien").await, [quoted.as_str()]);
    assert_eq!(searched(&app, "\"the\"").await, [quoted.as_str()]);
    assert_eq!(searched(&app, "\\ one").await, [quoted.as_str()]);
    assert_eq!(searched(&app, "\\").await, [quoted.as_str()]);
    assert_eq!(
        searched(&app, "'; DROP TABLE accounts; --").await,
        Vec::<String>::new()
    );
    // Letters outside ASCII match as written, on either database alike.
    assert_eq!(searched(&app, "Élodie").await, [accented.as_str()]);
    assert_eq!(searched(&app, "œuvre").await, Vec::<String>::new());
    assert_eq!(searched(&app, "Œuvre").await, [accented.as_str()]);

    // NUL and 10 KB: a clear refusal, nothing else.
    for query in [
        "search=a%00b".to_string(),
        format!("search={}", "x".repeat(10_240)),
        format!("search={}", encoded(&"é".repeat(255))),
    ] {
        let (status, answer) = app.get_status(&format!("/v1/accounts?{query}")).await;
        assert_eq!(
            (status, text(&answer["code"])),
            (422, "invalid_query"),
            "{answer}"
        );
        assert!(!text(&answer["message"]).is_empty());
    }
    let longest = "x".repeat(254);
    assert_eq!(searched(&app, &longest).await, Vec::<String>::new());
    let (status, _) = app
        .get_status(&format!(
            "/v1/accounts?search={}",
            encoded(&"é".repeat(254))
        ))
        .await;
    assert_eq!(status, 200, "254 characters, whatever their bytes");
}
on_both_backends!(search, search_finds_by_each_field_and_any_text_is_safe);

/// The states of every account as the list shows them equal what its own view says (a frozen
/// account's view refuses, saying so), and each filter picks those and only those.
async fn filters_show_the_states_the_account_view_shows(backend: Backend) {
    let app = spawn_app(backend, "2026-05-04T10:00:00Z").await;
    let plain = open(&app, "Plain", "plain@example.com", "+15550001", json!({})).await;
    deposit(&app, &plain, 5_000).await;
    // Credit under its threshold: balance 1000 and coupons 500 against 2000.
    let low = open(
        &app,
        "Low",
        "low@example.com",
        "+15550002",
        json!({ "low_balance_threshold": 2_000 }),
    )
    .await;
    deposit(&app, &low, 1_000).await;
    app.post_ok(
        &format!("/v1/accounts/{low}/coupons"),
        json!({ "amount": 500 }),
    )
    .await;
    // At its threshold exactly: not low (the alert's rule is "under").
    let at_threshold = open(
        &app,
        "At threshold",
        "at@example.com",
        "+15550003",
        json!({ "low_balance_threshold": 2_000 }),
    )
    .await;
    deposit(&app, &at_threshold, 1_500).await;
    app.post_ok(
        &format!("/v1/accounts/{at_threshold}/coupons"),
        json!({ "amount": 500 }),
    )
    .await;
    // Overdue for real: a pay-as-you-go hour billed to an account with nothing left.
    let overdue = open(
        &app,
        "Overdue",
        "overdue@example.com",
        "+15550004",
        json!({}),
    )
    .await;
    deposit(&app, &overdue, 30_000).await;
    let payg = app
        .post_ok(
            "/v1/instances",
            json!({ "account": overdue, "product": "iot-platform", "edition": "legacy-public",
                    "region": "us-east-1", "billing": "payg" }),
        )
        .await;
    let payg_id = text(&payg["instance"]["id"]).to_string();
    app.buy(&overdue, "iot-platform", "enterprise", "units-10", "1M")
        .await;
    assert_eq!(app.account(&overdue).await["balance_minor"], 0);
    app.advance_to("2026-05-04T13:00:00Z").await;
    let at = "2026-05-04T12:30:00Z";
    app.post_ok(
        "/v1/usage",
        json!({ "records": [
            { "record_id": "a", "instance": payg_id, "meter": "messages", "quantity": 61_728, "time": at },
            { "record_id": "b", "instance": payg_id, "meter": "device-minutes", "quantity": 60_000, "time": at },
        ] }),
    )
    .await;
    app.advance_to("2026-05-04T17:00:00Z").await;
    assert_eq!(app.account(&overdue).await["overdue"], true);
    // Frozen for real: running totals changed around tenure, found by the ledger audit.
    let frozen = open(&app, "Frozen", "frozen@example.com", "+15550005", json!({})).await;
    deposit(&app, &frozen, 700).await;
    let mut tx = app.engine.store.begin().await.unwrap();
    tenure_store::database::query(
        "UPDATE account_funds SET balance_minor = balance_minor + 1 WHERE account_id = $1",
    )
    .bind(frozen.as_str())
    .execute(&mut tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    app.post_ok("/v1/ledger/audit", json!({})).await;
    let (status, _) = app.get_status(&format!("/v1/accounts/{frozen}")).await;
    assert_eq!(status, 409);

    let listed = app.get("/v1/accounts?limit=1000").await["data"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(listed.len(), 5);
    for item in &listed {
        let id = text(&item["id"]);
        let (status, view) = app.get_status(&format!("/v1/accounts/{id}")).await;
        if item["frozen"] == true {
            assert_eq!((status, text(&view["code"])), (409, "account_frozen"));
            assert!(item["frozen_reason"].is_string());
            continue;
        }
        assert_eq!(status, 200, "{view}");
        for field in [
            "name",
            "email",
            "mobile",
            "currency",
            "balance_minor",
            "coupons_minor",
            "vouchers_minor",
            "available_credit_minor",
            "overdue",
            "overdue_since",
            "low_balance",
            "low_balance_threshold_minor",
        ] {
            assert_eq!(item[field], view[field], "{field} of {id}");
        }
        assert_eq!(item["frozen"], false);
    }
    let flags = |id: &str| {
        let item = listed.iter().find(|item| item["id"] == id).unwrap();
        (
            item["overdue"].as_bool().unwrap(),
            item["frozen"].as_bool().unwrap(),
            item["low_balance"].as_bool().unwrap(),
        )
    };
    assert_eq!(flags(&plain), (false, false, false));
    assert_eq!(flags(&low), (false, false, true));
    assert_eq!(flags(&at_threshold), (false, false, false));
    assert_eq!(flags(&overdue), (true, false, false));
    assert_eq!(flags(&frozen), (false, true, false));

    assert_eq!(found(&app, "overdue=true").await, [overdue.as_str()]);
    assert_eq!(found(&app, "frozen=true").await, [frozen.as_str()]);
    assert_eq!(found(&app, "low_balance=true").await, [low.as_str()]);
    assert_eq!(
        found(&app, "overdue=false&frozen=false&low_balance=false").await,
        [plain.as_str(), at_threshold.as_str()]
    );
    assert_eq!(
        found(&app, "low_balance=true&search=low%40").await,
        [low.as_str()]
    );
    assert_eq!(
        found(&app, "low_balance=true&search=plain").await,
        Vec::<String>::new()
    );
    let (status, answer) = app.get_status("/v1/accounts?overdue=maybe").await;
    assert_eq!((status, text(&answer["code"])), (422, "invalid_query"));
}
on_both_backends!(filters, filters_show_the_states_the_account_view_shows);

/// Every order pages through every account once, in its order, two at a time; a cursor of
/// another order is refused.
async fn every_order_pages_through_every_account_once(backend: Backend) {
    let app = spawn_app(backend, "2026-02-10T00:00:00Z").await;
    // Names out of creation order, two alike but for case, balances with ties.
    let people = [
        ("mallory", 300),
        ("Alice", 100),
        ("bob", 300),
        ("alice", 0),
        ("Zoe", 50),
        ("carol", 300),
        ("Éve", 20),
    ];
    let mut created = Vec::new();
    for (index, (name, balance_minor)) in people.iter().enumerate() {
        let id = open(
            &app,
            name,
            &format!("person{index}@example.com"),
            &format!("+1555000{index}"),
            json!({}),
        )
        .await;
        if *balance_minor > 0 {
            deposit(&app, &id, *balance_minor).await;
        }
        created.push((id, name.to_string(), *balance_minor));
    }
    let by_created: Vec<String> = created.iter().map(|(id, ..)| id.clone()).collect();
    let mut by_name = created.clone();
    by_name.sort_by(|a, b| (a.1.to_ascii_lowercase(), &a.0).cmp(&(b.1.to_ascii_lowercase(), &b.0)));
    let mut by_balance = created.clone();
    by_balance.sort_by(|a, b| (a.2, &a.0).cmp(&(b.2, &b.0)));
    let ids = |sorted: Vec<(String, String, i64)>| -> Vec<String> {
        sorted.into_iter().map(|(id, ..)| id).collect()
    };

    for (sort, expected) in [
        ("created", by_created.clone()),
        ("name", ids(by_name)),
        ("balance", ids(by_balance)),
    ] {
        assert_eq!(
            found(&app, &format!("sort={sort}")).await,
            expected,
            "{sort}"
        );
        let mut paged = Vec::new();
        let mut after: Option<String> = None;
        let mut pages = 0;
        loop {
            let path = match &after {
                Some(after) => format!("/v1/accounts?sort={sort}&limit=2&after={}", encoded(after)),
                None => format!("/v1/accounts?sort={sort}&limit=2"),
            };
            let page = app.get(&path).await;
            pages += 1;
            paged.extend(
                page["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|account| text(&account["id"]).to_string()),
            );
            match page["next_after"].as_str() {
                Some(next) => after = Some(next.to_string()),
                None => break,
            }
        }
        assert_eq!(paged, expected, "{sort}, page by page");
        assert_eq!(pages, 4, "{sort}: seven accounts two at a time");
    }
    // The default order is creation, and its cursor an account's id, as before.
    assert_eq!(found(&app, "").await, by_created);
    let first = app.get("/v1/accounts?limit=3").await;
    assert_eq!(first["next_after"], json!(by_created[2]));

    let name_cursor = app.get("/v1/accounts?sort=name&limit=1").await["next_after"]
        .as_str()
        .unwrap()
        .to_string();
    for query in [
        format!("sort=balance&after={}", encoded(&name_cursor)),
        format!("sort=name&after={}", by_created[0]),
        "sort=name&after=name%3Azz%3Aacct_1".to_string(),
        "sort=balance&after=balance%3Aten%3Aacct_1".to_string(),
    ] {
        let (status, answer) = app.get_status(&format!("/v1/accounts?{query}")).await;
        assert_eq!(
            (status, text(&answer["code"])),
            (422, "invalid_cursor"),
            "{query}: {answer}"
        );
    }
    let (status, answer) = app.get_status("/v1/accounts?sort=richest").await;
    assert_eq!((status, text(&answer["code"])), (422, "invalid_query"));
}
on_both_backends!(orders, every_order_pages_through_every_account_once);
