//! The operator's overview and the fleet forecast: each figure equals a plain count over the
//! same data, read back through the API (every instance, every ledger posting, every
//! account's own forecast), on both databases.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::helpers::{spawn_app, text, Backend, TestApp, ADMIN_KEY};
use crate::on_both_backends;

/// An auto-renewing monthly instance (120.00 a month).
async fn buy_auto(app: &TestApp, account_id: &str) -> String {
    let bought = app
        .post_ok(
            "/v1/instances",
            json!({ "account": account_id, "product": "message-queue", "edition": "basic",
                    "spec": "tps-1000", "region": "us-east-1", "billing": "subscription",
                    "period": "1M", "auto_renew": { "period": "1M" } }),
        )
        .await;
    text(&bought["instance"]["id"]).to_string()
}

/// A fleet of three accounts over a few days: purchases, an automatic renewal, an
/// unsubscription's refund.
async fn fleet(app: &TestApp) -> Vec<String> {
    let rich = app.funded_account(100_000).await;
    let poor = app.funded_account(30_000).await;
    let idle = app.funded_account(0).await;
    buy_auto(app, &rich).await;
    buy_auto(app, &poor).await;
    app.advance_to("2026-02-12T08:00:00Z").await;
    let manual = app
        .buy(&rich, "message-queue", "basic", "tps-1000", "1M")
        .await;
    app.buy(&poor, "message-queue", "basic", "tps-1000", "1M")
        .await;
    app.advance_to("2026-02-14T10:00:00Z").await;
    app.post_ok(
        "/v1/unsubscriptions",
        json!({ "instances": [text(&manual["instance"]["id"])], "confirm_refund": true,
                "confirm_data_backed_up": true }),
    )
    .await;
    // The auto-renewals' first attempt, nine days before their expiry (10 March).
    app.advance_to("2026-03-01T12:00:00Z").await;
    vec![rich, poor, idle]
}

async fn the_overview_equals_plain_counts(backend: Backend) {
    let app = spawn_app(backend, "2026-02-10T00:00:00Z").await;
    let accounts = fleet(&app).await;
    let overview = app.get("/v1/overview").await;
    assert_eq!(overview["at"], "2026-03-01T12:00:00Z");

    // Revenue: every posting to the revenue book, by its entry's day.
    let mut by_day: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for account_id in &accounts {
        for entry in app.balanced_ledger(account_id).await {
            for posting in entry["postings"].as_array().unwrap() {
                if posting["ledger_account"] != "revenue" {
                    continue;
                }
                let amount_minor = posting["amount_minor"].as_i64().unwrap();
                let day = by_day
                    .entry(text(&entry["at"])[..10].to_string())
                    .or_default();
                if amount_minor > 0 {
                    day.0 += amount_minor;
                } else {
                    day.1 -= amount_minor;
                }
            }
        }
    }
    let shown: BTreeMap<String, (i64, i64)> = overview["revenue"]
        .as_array()
        .unwrap()
        .iter()
        .map(|day| {
            assert_eq!(day["currency"], "USD");
            assert_eq!(
                day["net_minor"].as_i64().unwrap(),
                day["earned_minor"].as_i64().unwrap() - day["refunded_minor"].as_i64().unwrap()
            );
            (
                text(&day["date"]).to_string(),
                (
                    day["earned_minor"].as_i64().unwrap(),
                    day["refunded_minor"].as_i64().unwrap(),
                ),
            )
        })
        .collect();
    assert_eq!(shown, by_day);
    // Four purchases and a renewal earned (the poor account's renewal failed); one
    // unsubscription gave some back.
    assert_eq!(by_day.len(), 4, "{by_day:?}");
    assert!(by_day["2026-02-14"].1 > 0, "the refund is on its day");
    assert_eq!(by_day["2026-03-01"].0, 12_000, "one renewal of 120.00");
    let earned: i64 = by_day.values().map(|day| day.0).sum();
    let refunded: i64 = by_day.values().map(|day| day.1).sum();
    assert_eq!(
        overview["revenue_totals"],
        json!([{ "currency": "USD", "earned_minor": earned, "refunded_minor": refunded,
                 "net_minor": earned - refunded }])
    );

    // Instances: every instance of the fleet, by product and status and expiry.
    let instances = app.list_all("/v1/instances").await;
    assert_eq!(instances.len(), 4);
    let now = "2026-03-01T12:00:00Z";
    let mut counted: BTreeMap<(String, String), (i64, i64, i64)> = BTreeMap::new();
    for instance in &instances {
        let count = counted
            .entry((
                text(&instance["product_id"]).to_string(),
                text(&instance["status"]).to_string(),
            ))
            .or_default();
        count.0 += 1;
        if let Some(expires_at) = instance["expires_at"].as_str() {
            let expires_at: jiff::Timestamp = expires_at.parse().unwrap();
            let now: jiff::Timestamp = now.parse().unwrap();
            let days = (expires_at.as_second() - now.as_second()) as f64 / 86_400.0;
            count.1 += i64::from(days > 0.0 && days <= 7.0);
            count.2 += i64::from(days > 0.0 && days <= 30.0);
        }
    }
    let shown: BTreeMap<(String, String), (i64, i64, i64)> = overview["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|count| {
            assert_eq!(count["product_name"], "Message queue (MQTT)");
            (
                (
                    text(&count["product"]).to_string(),
                    text(&count["status"]).to_string(),
                ),
                (
                    count["instances"].as_i64().unwrap(),
                    count["expiring_7_days"].as_i64().unwrap(),
                    count["expiring_30_days"].as_i64().unwrap(),
                ),
            )
        })
        .collect();
    assert_eq!(shown, counted);
    assert_eq!(
        overview["expiring_30_days"].as_i64().unwrap(),
        counted.values().map(|count| count.2).sum::<i64>()
    );
    assert_eq!(overview["accounts"], 3);
    assert_eq!(overview["accounts_overdue"], 0);
    assert_eq!(overview["accounts_frozen"], 0);
    assert_eq!(overview["steps_parked"], 0);

    // The operator's dashboards read the same counts from /metrics, with the operator key.
    let metrics = app.metrics().await;
    assert!(!metrics.contains("tenure_revenue_minor_total"), "{metrics}");
    let fleet = app
        .client
        .get(format!("{}/metrics", app.address))
        .bearer_auth(ADMIN_KEY)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for ((product, status), (count, _, _)) in &counted {
        let line = format!("tenure_instances{{product=\"{product}\",status=\"{status}\"}} {count}");
        assert!(fleet.contains(&line), "{line} in {fleet}");
    }
    assert!(fleet.contains("tenure_accounts 3\n"), "{fleet}");
    let all_earned: i64 = earned;
    assert!(
        fleet.contains(&format!(
            "tenure_revenue_minor_total{{currency=\"USD\"}} {all_earned}\n"
        )),
        "{fleet}"
    );
    assert!(
        fleet.contains(&format!(
            "tenure_refunds_minor_total{{currency=\"USD\"}} {refunded}\n"
        )),
        "{fleet}"
    );
}
on_both_backends!(
    overview_equals_plain_counts,
    the_overview_equals_plain_counts
);

/// The unpaid deductions of an account's own forecast.
async fn unpaid_of(app: &TestApp, account_id: &str, days: i64) -> Vec<Value> {
    let forecast = app
        .get(&format!("/v1/accounts/{account_id}/forecast?days={days}"))
        .await;
    forecast["charges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|charge| charge["paid"] == false)
        .map(|charge| {
            json!({ "at": charge["at"], "instance_id": charge["instance_id"],
                    "renews_expires_at": charge["renews_expires_at"],
                    "amount_minor": charge["amount_minor"] })
        })
        .collect()
}

async fn the_fleet_forecast_is_every_accounts_own(backend: Backend) {
    let app = spawn_app(backend, "2026-02-10T00:00:00Z").await;
    // Pays two months of one instance; cannot pay a second instance at all.
    let short = app.funded_account(24_000).await;
    buy_auto(&app, &short).await;
    buy_auto(&app, &short).await;
    // Pays nothing after its purchase.
    let empty = app.funded_account(12_000).await;
    buy_auto(&app, &empty).await;
    // Pays everything.
    let rich = app.funded_account(1_000_000).await;
    buy_auto(&app, &rich).await;

    let forecast = app.get("/v1/forecast?days=90").await;
    assert_eq!(forecast["from"], "2026-02-10T00:00:00Z");
    assert_eq!(forecast["accounts_at_risk"], 2);
    let accounts = forecast["accounts"].as_array().unwrap();
    let mut total_minor = 0;
    let mut by_day: BTreeMap<String, (i64, usize)> = BTreeMap::new();
    for account in accounts {
        let account_id = text(&account["account_id"]);
        assert_ne!(account_id, rich);
        let own = unpaid_of(&app, account_id, 90).await;
        assert_eq!(account["unpaid"], json!(own), "{account_id}");
        assert_eq!(account["runs_out_at"], own[0]["at"]);
        let at_risk: i64 = own
            .iter()
            .map(|charge| charge["amount_minor"].as_i64().unwrap())
            .sum();
        assert_eq!(account["at_risk_minor"], at_risk);
        total_minor += at_risk;
        for charge in &own {
            let day = by_day
                .entry(text(&charge["at"])[..10].to_string())
                .or_default();
            day.0 += charge["amount_minor"].as_i64().unwrap();
            day.1 += 1;
        }
    }
    // Both run out on 1 March (the first attempt for 10 March), the short one second by id
    // only if they tie: the list is by the day money runs out, then by id.
    let mut ids: Vec<&str> = vec![&short, &empty];
    ids.sort();
    let listed: Vec<&str> = accounts
        .iter()
        .map(|account| text(&account["account_id"]))
        .collect();
    assert_eq!(listed, ids);
    assert_eq!(forecast["totals"][0]["amount_minor"], total_minor);
    assert_eq!(forecast["totals"][0]["accounts"], 2);
    let days: BTreeMap<String, (i64, usize)> = forecast["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|day| {
            (
                text(&day["date"]).to_string(),
                (
                    day["amount_minor"].as_i64().unwrap(),
                    day["instances"].as_u64().unwrap() as usize,
                ),
            )
        })
        .collect();
    assert_eq!(days, by_day);
    assert_eq!(forecast["next_after"], Value::Null);

    // A page of one, then the next: the same two accounts, in the same order.
    let first = app.get("/v1/forecast?days=90&limit=1").await;
    assert_eq!(first["accounts"].as_array().unwrap().len(), 1);
    assert_eq!(first["accounts"][0], accounts[0]);
    let next = text(&first["next_after"]).to_string();
    let second = app
        .get(&format!("/v1/forecast?days=90&limit=1&after={next}"))
        .await;
    assert_eq!(second["accounts"], json!([accounts[1]]));
    assert_eq!(
        second["days"], forecast["days"],
        "the days cover every account"
    );

    // A cursor no forecast made names nothing.
    let (status, _) = app.get_status("/v1/forecast?after=nonsense").await;
    assert_eq!(status, 404);
    // Refusals: days and limits out of range.
    for query in ["days=0", "days=367", "limit=0", "limit=1001"] {
        let (status, body) = app.get_status(&format!("/v1/forecast?{query}")).await;
        assert_eq!(status, 422, "{query}: {body}");
        assert!(body["code"].is_string() && body["message"].is_string());
    }
    // The operator reminds them (and, by mistake, the rich one): one email and one SMS each
    // for the two at risk, with their own figures; the rich one is left alone.
    let reminded = app
        .post_ok(
            "/v1/forecast/reminders",
            json!({ "accounts": [short, empty, rich], "days": 90 }),
        )
        .await;
    assert_eq!(reminded["nothing_at_risk"], json!([rich]));
    let reminded = reminded["reminded"].as_array().unwrap();
    assert_eq!(reminded.len(), 2);
    for (reminder, account) in reminded.iter().zip(accounts) {
        assert_eq!(reminder["account_id"], account["account_id"]);
        assert_eq!(reminder["at_risk_minor"], account["at_risk_minor"]);
        assert_eq!(reminder["runs_out_at"], account["runs_out_at"]);
        let notices = app
            .get(&format!(
                "/v1/notifications?account={}&kind=account.renewal_funds_reminder&limit=1000",
                text(&account["account_id"])
            ))
            .await["data"]
            .as_array()
            .unwrap()
            .clone();
        let channels: Vec<&str> = notices
            .iter()
            .map(|notice| text(&notice["channel"]))
            .collect();
        assert_eq!(channels, ["email", "sms"], "{notices:?}");
        let at_risk = format!(
            "{:.2} USD",
            account["at_risk_minor"].as_i64().unwrap() as f64 / 100.0
        );
        assert!(
            text(&notices[0]["body"]).contains(&at_risk),
            "{}",
            notices[0]["body"]
        );
        assert!(
            text(&notices[0]["body"]).contains("2026-03-01"),
            "{}",
            notices[0]["body"]
        );
    }
    let rich_notices = app
        .get(&format!(
            "/v1/notifications?account={rich}&kind=account.renewal_funds_reminder"
        ))
        .await;
    assert_eq!(rich_notices["data"], json!([]));
    for body in [
        json!({ "accounts": [] }),
        json!({ "accounts": ["acct_nobody"] }),
        json!({ "accounts": [short], "days": 0 }),
    ] {
        let (status, answer) = app.post("/v1/forecast/reminders", body.clone()).await;
        assert!(matches!(status, 404 | 422), "{body}: {status} {answer}");
    }

    // A deposit moves an account out of the list.
    app.post_ok(
        &format!("/v1/accounts/{empty}/deposits"),
        json!({ "amount": 100_000, "method": "transfer" }),
    )
    .await;
    let after = app.get("/v1/forecast?days=90").await;
    assert_eq!(after["accounts_at_risk"], 1);
    assert_eq!(after["accounts"][0]["account_id"], short.as_str());
}
on_both_backends!(
    fleet_forecast_is_every_accounts_own,
    the_fleet_forecast_is_every_accounts_own
);
