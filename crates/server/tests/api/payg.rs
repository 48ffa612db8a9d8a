//! Pay-as-you-go usage, hourly bills, overdue and restoration, the low-balance alert
//! (docs/examples.md 10), on the simulated clock.

use jiff::{Timestamp, ToSpan};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, text, Backend, TestApp};
use crate::on_both_backends;

/// 61,728 + 61,728 messages at 8 per 10,000 (98.76 → 99) plus 60,000 device-minutes at 5 per
/// 10,000 (30): what one hour of the usage below costs. Each half alone would round to 49, so
/// the total also shows that a bill rounds once, over the summed quantity.
const HOURLY_BILL_MINOR: i64 = 129;

fn hours_after(start: &str, hours: i64) -> String {
    let start: Timestamp = start.parse().unwrap();
    start.checked_add(hours.hours()).unwrap().to_string()
}

async fn buy_payg(app: &TestApp, account_id: &str) -> String {
    let bought = app
        .post_ok(
            "/v1/instances",
            json!({ "account": account_id, "product": "iot-platform", "edition": "legacy-public",
                    "region": "us-east-1", "billing": "payg" }),
        )
        .await;
    assert_eq!(bought["instance"]["expires_at"], Value::Null);
    assert_eq!(bought["order"], Value::Null, "pay-as-you-go has no order");
    text(&bought["instance"]["id"]).to_string()
}

/// Reports one hour of usage for the cycle starting at `cycle_start`, as three records.
async fn report_hour(app: &TestApp, instance_id: &str, cycle_start: &str) -> Value {
    let at = hours_after(cycle_start, 0).replace(":00:00Z", ":30:00Z");
    let records = json!([
        { "record_id": format!("{instance_id}-{cycle_start}-a"), "instance": instance_id,
          "meter": "messages", "quantity": 61_728, "time": at },
        { "record_id": format!("{instance_id}-{cycle_start}-b"), "instance": instance_id,
          "meter": "messages", "quantity": 61_728, "time": at },
        { "record_id": format!("{instance_id}-{cycle_start}-c"), "instance": instance_id,
          "meter": "device-minutes", "quantity": 60_000, "time": at },
    ]);
    app.post_ok("/v1/usage", json!({ "records": records }))
        .await
}

async fn bills_of(app: &TestApp, instance_id: &str) -> Vec<Value> {
    app.get(&format!("/v1/bills?instance={instance_id}&limit=1000"))
        .await["data"]
        .as_array()
        .unwrap()
        .clone()
}

fn kinds_since(events: &[(String, String)], from: &str) -> Vec<(String, String)> {
    events
        .iter()
        .filter(|(at, _)| at.as_str() >= from)
        .cloned()
        .collect()
}

async fn a_week_of_hourly_usage(backend: Backend) {
    let start = "2026-05-04T00:00:00Z";
    let app = spawn_app(backend, start).await;
    let account_id = app.funded_account(100_000).await;
    let instance_id = buy_payg(&app, &account_id).await;
    for hour in 0..168 {
        app.advance_to(&hours_after(start, hour + 1)).await;
        let receipt = report_hour(&app, &instance_id, &hours_after(start, hour)).await;
        assert_eq!(receipt["accepted"], 3);
    }
    // The last cycle (167:00–168:00) is billed 4 hours after it ends.
    app.advance_to(&hours_after(start, 168 + 4)).await;
    let bills = bills_of(&app, &instance_id).await;
    assert_eq!(bills.len(), 168, "one bill per hourly cycle");
    for (hour, bill) in bills.iter().enumerate() {
        let cycle_start = hours_after(start, hour as i64);
        assert_eq!(bill["cycle_start"], cycle_start.as_str());
        assert_eq!(bill["cycle_end"], hours_after(start, hour as i64 + 1));
        assert_eq!(bill["generated_at"], hours_after(start, hour as i64 + 5));
        assert_eq!(bill["amount_minor"], HOURLY_BILL_MINOR);
        assert_eq!(bill["status"], "paid");
        assert_eq!(bill["paid_balance_minor"], HOURLY_BILL_MINOR);
    }
    let lines = bills[0]["lines"].as_array().unwrap();
    assert_eq!(
        (
            lines[0]["meter_id"].as_str(),
            lines[0]["quantity"].as_i64(),
            lines[0]["amount_minor"].as_i64()
        ),
        (Some("device-minutes"), Some(60_000), Some(30))
    );
    assert_eq!(
        (
            lines[1]["meter_id"].as_str(),
            lines[1]["quantity"].as_i64(),
            lines[1]["amount_minor"].as_i64()
        ),
        (Some("messages"), Some(123_456), Some(99))
    );
    let week_total: i64 = bills
        .iter()
        .map(|bill| bill["amount_minor"].as_i64().unwrap())
        .sum();
    assert_eq!(week_total, 21_672);
    let account = app.account(&account_id).await;
    assert_eq!(account["balance_minor"], 100_000 - 21_672);
    assert_eq!(account["overdue"], false);
    let entries = app.balanced_ledger(&account_id).await;
    let bill_payments = entries
        .iter()
        .filter(|entry| entry["kind"] == "bill_payment")
        .count();
    assert_eq!(bill_payments, 168);
    // Sweeping again at the same moment bills nothing twice.
    app.post_ok("/v1/clock/advance", json!({ "by": "PT0S" }))
        .await;
    assert_eq!(bills_of(&app, &instance_id).await.len(), 168);
    assert_eq!(app.account(&account_id).await["balance_minor"], 78_328);
}
on_both_backends!(week_of_hourly_usage, a_week_of_hourly_usage);

async fn example_ten_overdue_stop_and_restore(backend: Backend) {
    // docs/examples.md 10, with an Enterprise subscription and a free instance on the same account.
    let app = spawn_app(backend, "2026-05-04T10:00:00Z").await;
    let account_id = app.funded_account(30_000).await;
    // Pay-as-you-go is bought while the account has credit (the catalog's 10.00 USD); the
    // Enterprise month then takes the whole balance.
    let legacy_id = buy_payg(&app, &account_id).await;
    let enterprise = app
        .buy(&account_id, "iot-platform", "enterprise", "units-10", "1M")
        .await;
    let enterprise_id = text(&enterprise["instance"]["id"]).to_string();
    let free = app
        .post_ok(
            "/v1/instances",
            json!({ "account": account_id, "product": "iot-platform", "edition": "public",
                    "region": "us-east-1", "billing": "free" }),
        )
        .await;
    let free_id = text(&free["instance"]["id"]).to_string();
    assert_eq!(app.account(&account_id).await["balance_minor"], 0);

    app.advance_to("2026-05-04T13:00:00Z").await;
    report_hour(&app, &legacy_id, "2026-05-04T12:00:00Z").await;
    // Until 17:00 the bill is open and the account owes nothing.
    app.advance_to("2026-05-04T16:59:59Z").await;
    assert_eq!(bills_of(&app, &legacy_id).await[0]["status"], "open");
    assert_eq!(app.account(&account_id).await["overdue"], false);

    // 17:00: the 12:00–13:00 bill is generated; credit 0 does not cover 129: overdue.
    app.advance_to("2026-05-04T17:00:00Z").await;
    let bill = bills_of(&app, &legacy_id).await[0].clone();
    assert_eq!(bill["status"], "unpaid");
    assert_eq!(bill["generated_at"], "2026-05-04T17:00:00Z");
    assert_eq!(bill["amount_minor"], HOURLY_BILL_MINOR);
    let account = app.account(&account_id).await;
    assert_eq!(account["overdue"], true);
    assert_eq!(account["overdue_since"], "2026-05-04T17:00:00Z");
    assert_eq!(account["debt_minor"], HOURLY_BILL_MINOR);
    let notices = app
        .get(&format!(
            "/v1/notifications?account={account_id}&kind=account.overdue"
        ))
        .await;
    let channels: Vec<&str> = notices["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|notice| text(&notice["channel"]))
        .collect();
    assert_eq!(channels, ["sms", "email"]);
    let legacy = app.instance(&legacy_id).await;
    assert_eq!(legacy["status"], "active");
    assert_eq!(
        legacy["next_due_at"], "2026-05-05T17:00:00Z",
        "24 hours of grace"
    );

    // While overdue: renewing, buying (subscription or pay-as-you-go) and upgrading are
    // refused, and nothing changes; a new free instance is still allowed.
    let (status, refusal) = app
        .post(
            &format!("/v1/instances/{enterprise_id}/renew"),
            json!({ "period": "1M", "pay_with": "bank_card" }),
        )
        .await;
    assert_eq!((status, text(&refusal["code"])), (402, "account_overdue"));
    assert!(text(&refusal["message"]).contains("renewal is refused"));
    assert_eq!(
        app.instance(&enterprise_id).await["expires_at"],
        enterprise["instance"]["expires_at"]
    );
    let (status, refusal) = app
        .post(
            "/v1/instances",
            json!({ "account": account_id, "product": "iot-platform", "edition": "legacy-public",
                    "region": "us-east-1", "billing": "payg" }),
        )
        .await;
    assert_eq!((status, text(&refusal["code"])), (402, "account_overdue"));
    let (status, refusal) = app
        .post(
            &format!("/v1/instances/{enterprise_id}/change"),
            json!({ "spec": "units-50", "pay_with": "bank_card" }),
        )
        .await;
    assert_eq!((status, text(&refusal["code"])), (402, "account_overdue"));
    let (status, refusal) = app
        .post(
            &format!("/v1/instances/{free_id}/upgrade-to-subscription"),
            json!({ "edition": "enterprise", "spec": "units-10", "period": "1M", "pay_with": "bank_card" }),
        )
        .await;
    assert_eq!((status, text(&refusal["code"])), (402, "account_overdue"));
    app.post_ok(
        "/v1/instances",
        json!({ "account": account_id, "product": "iot-platform", "edition": "public",
                "region": "us-east-1", "billing": "free" }),
    )
    .await;

    // The legacy instance runs 24 hours more, then stops; the others are untouched.
    app.advance_to("2026-05-05T16:59:59Z").await;
    assert_eq!(app.instance(&legacy_id).await["status"], "active");
    app.advance_to("2026-05-05T17:00:00Z").await;
    assert_eq!(app.instance(&legacy_id).await["status"], "stopped");
    assert_eq!(app.instance(&enterprise_id).await["status"], "active");
    assert_eq!(app.instance(&free_id).await["status"], "active");

    // A deposit short of the debt pays nothing and restores nothing.
    let short = app
        .post_ok(
            &format!("/v1/accounts/{account_id}/deposits"),
            json!({ "amount": 50, "method": "bank_card" }),
        )
        .await;
    assert_eq!(short["account"]["overdue"], true);
    assert_eq!(short["settlement"]["paid_minor"], 0);
    assert_eq!(app.instance(&legacy_id).await["status"], "stopped");

    // One covering the debt pays the bill and restores the instance at once.
    app.advance_to("2026-05-06T09:00:00Z").await;
    let paid = app
        .post_ok(
            &format!("/v1/accounts/{account_id}/deposits"),
            json!({ "amount": 100, "method": "bank_card" }),
        )
        .await;
    assert_eq!(paid["settlement"]["paid_minor"], HOURLY_BILL_MINOR);
    assert_eq!(paid["settlement"]["instances_restored"], json!([legacy_id]));
    assert_eq!(paid["account"]["overdue"], false);
    assert_eq!(paid["account"]["debt_minor"], 0);
    assert_eq!(paid["account"]["balance_minor"], 150 - HOURLY_BILL_MINOR);
    let legacy = app.instance(&legacy_id).await;
    assert_eq!(legacy["status"], "active");
    assert_eq!(legacy["next_due_at"], Value::Null);
    let bill = bills_of(&app, &legacy_id).await[0].clone();
    assert_eq!(
        (bill["status"].as_str(), bill["paid_at"].as_str()),
        (Some("paid"), Some("2026-05-06T09:00:00Z"))
    );

    let events = app.instance_events(&legacy_id).await;
    let expected = [
        ("2026-05-04T10:00:00Z", "instance.purchased"),
        ("2026-05-04T17:00:00Z", "bill.generated"),
        ("2026-05-04T17:00:00Z", "bill.unpaid"),
        ("2026-05-05T17:00:00Z", "instance.stopped"),
        ("2026-05-06T09:00:00Z", "bill.paid"),
        ("2026-05-06T09:00:00Z", "instance.restored"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(at, kind)| (at.to_string(), kind.to_string()))
        .collect();
    assert_eq!(events, expected);
    let account_events = app
        .get(&format!("/v1/events?account={account_id}&limit=1000"))
        .await;
    let account_kinds: Vec<&str> = account_events["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|event| event["instance_id"].is_null())
        .map(|event| text(&event["kind"]))
        .collect();
    assert!(account_kinds.contains(&"account.overdue"));
    assert!(account_kinds.contains(&"account.overdue_settled"));

    // No longer overdue: the renewal is a plain payment question again.
    let (status, refusal) = app
        .post(
            &format!("/v1/instances/{enterprise_id}/renew"),
            json!({ "period": "1M" }),
        )
        .await;
    assert_eq!(
        (status, text(&refusal["code"])),
        (402, "insufficient_funds")
    );
    app.balanced_ledger(&account_id).await;
    // The worked example's documents say what it charged and gave back, to the cent.
    app.assert_documents_match_charges().await;
}
on_both_backends!(example_ten, example_ten_overdue_stop_and_restore);

async fn balance_runs_out_mid_week(backend: Backend) {
    let start = "2026-05-04T00:00:00Z";
    let app = spawn_app(backend, start).await;
    let account_id = app.funded_account(10_000).await;
    let instance_id = buy_payg(&app, &account_id).await;
    // 10,000 pays 77 hourly bills (9,933); the 78th (cycle 77, generated at hour 82) is not
    // covered by the 67 left. The instance stops 24 hours later, at hour 106, and reports no
    // usage from then on.
    for hour in 0..120 {
        app.advance_to(&hours_after(start, hour + 1)).await;
        if app.instance(&instance_id).await["status"] == "active" {
            report_hour(&app, &instance_id, &hours_after(start, hour)).await;
        }
    }
    let account = app.account(&account_id).await;
    assert_eq!(account["balance_minor"], 67);
    assert_eq!(account["overdue_since"], hours_after(start, 82));
    let bills = bills_of(&app, &instance_id).await;
    assert_eq!(bills.len(), 105, "cycles 0 to 104 were reported");
    let unpaid: Vec<&Value> = bills
        .iter()
        .filter(|bill| bill["status"] == "unpaid")
        .collect();
    assert_eq!(unpaid.len(), 28, "cycles 77 to 104");
    assert_eq!(unpaid[0]["cycle_start"], hours_after(start, 77));
    assert_eq!(account["debt_minor"], 28 * HOURLY_BILL_MINOR);
    let events = app.instance_events(&instance_id).await;
    let stops: Vec<&(String, String)> = events
        .iter()
        .filter(|(_, kind)| kind == "instance.stopped")
        .collect();
    assert_eq!(
        stops,
        [&(hours_after(start, 106), "instance.stopped".to_string())]
    );

    // A deposit of exactly the debt less the 67 left pays every unpaid bill, oldest first.
    let paid = app
        .post_ok(
            &format!("/v1/accounts/{account_id}/deposits"),
            json!({ "amount": 28 * HOURLY_BILL_MINOR - 67, "method": "paypal" }),
        )
        .await;
    assert_eq!(
        paid["settlement"]["bills_paid"].as_array().unwrap().len(),
        28
    );
    assert_eq!(paid["account"]["balance_minor"], 0);
    assert_eq!(paid["account"]["overdue"], false);
    assert_eq!(app.instance(&instance_id).await["status"], "active");
    assert!(bills_of(&app, &instance_id)
        .await
        .iter()
        .all(|bill| bill["status"] == "paid"));
    let after = kinds_since(
        &app.instance_events(&instance_id).await,
        &hours_after(start, 120),
    );
    assert_eq!(after.len(), 29, "28 bills paid and one restore: {after:?}");
    assert_eq!(after.last().unwrap().1, "instance.restored");
    app.balanced_ledger(&account_id).await;
}
on_both_backends!(mid_week_overdue, balance_runs_out_mid_week);

async fn low_balance_alert_is_sent_once_per_fall(backend: Backend) {
    let start = "2026-05-04T00:00:00Z";
    let app = spawn_app(backend, start).await;
    let account = app
        .post_ok(
            "/v1/accounts",
            json!({ "name": "Ada", "email": "ada@example.com", "mobile": "+15550100",
                    "low_balance_threshold": 500 }),
        )
        .await;
    let account_id = text(&account["id"]).to_string();
    app.post_ok(
        &format!("/v1/accounts/{account_id}/deposits"),
        json!({ "amount": 1000, "method": "bank_card" }),
    )
    .await;
    let instance_id = buy_payg(&app, &account_id).await;
    let low_balance_notices = || async {
        app.get(&format!(
            "/v1/notifications?account={account_id}&kind=account.low_balance"
        ))
        .await["data"]
            .as_array()
            .unwrap()
            .clone()
    };
    // 1000 − 4 × 129 = 484 falls under 500 at the 4th bill (cycle 3, generated at hour 8).
    for hour in 0..6 {
        app.advance_to(&hours_after(start, hour + 1)).await;
        report_hour(&app, &instance_id, &hours_after(start, hour)).await;
    }
    app.advance_to(&hours_after(start, 12)).await;
    assert_eq!(
        app.account(&account_id).await["balance_minor"],
        1000 - 6 * 129
    );
    let notices = low_balance_notices().await;
    assert_eq!(notices.len(), 1, "one SMS, not one per bill: {notices:?}");
    assert_eq!(notices[0]["channel"], "sms");
    assert_eq!(notices[0]["recipient"], "+15550100");
    assert_eq!(notices[0]["at"], hours_after(start, 8));

    // A deposit lifting the credit above 500 re-arms it; the next fall alerts again.
    app.post_ok(
        &format!("/v1/accounts/{account_id}/deposits"),
        json!({ "amount": 1000, "method": "bank_card" }),
    )
    .await;
    assert_eq!(low_balance_notices().await.len(), 1);
    // 1226 − 6 × 129 = 452: the 6th bill after the deposit falls under 500.
    for hour in 12..18 {
        app.advance_to(&hours_after(start, hour + 1)).await;
        report_hour(&app, &instance_id, &hours_after(start, hour)).await;
    }
    app.advance_to(&hours_after(start, 24)).await;
    let notices = low_balance_notices().await;
    assert_eq!(notices.len(), 2);
    assert_eq!(notices[1]["at"], hours_after(start, 17 + 5));
}
on_both_backends!(low_balance_alert, low_balance_alert_is_sent_once_per_fall);

async fn usage_replays_are_ignored_and_bad_usage_changes_nothing(backend: Backend) {
    let app = spawn_app(backend, "2026-05-04T12:10:00Z").await;
    let account_id = app.funded_account(40_000).await;
    let instance_id = buy_payg(&app, &account_id).await;
    let record = json!({ "record_id": "meter-7-0001", "instance": instance_id,
                         "meter": "messages", "quantity": 123_456, "time": "2026-05-04T12:10:00Z" });
    let first = app.post_ok("/v1/usage", record.clone()).await;
    assert_eq!(
        (first["accepted"].as_i64(), first["replayed"].as_i64()),
        (Some(1), Some(0))
    );
    app.advance_to("2026-05-04T15:00:00Z").await;
    let replay = app.post_ok("/v1/usage", record.clone()).await;
    assert_eq!(
        (replay["accepted"].as_i64(), replay["replayed"].as_i64()),
        (Some(0), Some(1))
    );
    assert_eq!(replay["records"][0]["status"], "replayed");

    // The same id for other usage is refused.
    let mut changed = record.clone();
    changed["quantity"] = json!(1);
    let (status, refusal) = app.post("/v1/usage", changed).await;
    assert_eq!((status, text(&refusal["code"])), (409, "record_id_reused"));

    // A batch with one bad record is refused whole: its good record is not stored.
    let batch = json!({ "records": [
        { "record_id": "meter-7-0002", "instance": instance_id, "meter": "messages",
          "quantity": 10_000, "time": "2026-05-04T12:20:00Z" },
        { "record_id": "meter-7-0003", "instance": instance_id, "meter": "bytes",
          "quantity": 1, "time": "2026-05-04T12:20:00Z" } ] });
    let (status, refusal) = app.post("/v1/usage", batch).await;
    assert_eq!((status, text(&refusal["code"])), (422, "unknown_meter"));
    assert!(text(&refusal["message"]).contains("meter-7-0003"));
    for (bad, code) in [
        (
            json!({ "record_id": "x1", "instance": instance_id, "meter": "messages",
                 "quantity": 0, "time": "2026-05-04T12:20:00Z" }),
            "invalid_field",
        ),
        (
            json!({ "record_id": "x2", "instance": instance_id, "meter": "messages",
                 "quantity": 5, "time": "2026-05-04T16:00:00Z" }),
            "invalid_time",
        ),
        (
            json!({ "record_id": "x3", "instance": instance_id, "meter": "messages",
                 "quantity": 5, "time": "yesterday" }),
            "invalid_field",
        ),
        (json!({ "records": [] }), "invalid_batch"),
    ] {
        let (status, refusal) = app.post("/v1/usage", bad.clone()).await;
        assert_eq!((status, text(&refusal["code"])), (422, code), "{bad}");
    }
    let (status, refusal) = app
        .post(
            "/v1/usage",
            json!({ "record_id": "x4", "instance": "inst_missing", "meter": "messages",
                    "quantity": 5, "time": "2026-05-04T12:20:00Z" }),
        )
        .await;
    assert_eq!((status, text(&refusal["code"])), (404, "not_found"));
    let enterprise = app
        .buy(&account_id, "iot-platform", "enterprise", "units-10", "1M")
        .await;
    let (status, refusal) = app
        .post(
            "/v1/usage",
            json!({ "record_id": "x5", "instance": enterprise["instance"]["id"], "meter": "messages",
                    "quantity": 5, "time": "2026-05-04T14:20:00Z" }),
        )
        .await;
    assert_eq!((status, text(&refusal["code"])), (409, "not_metered"));

    // At 17:00 the 12:00 cycle is billed once, for the first record only.
    app.advance_to("2026-05-04T17:00:00Z").await;
    let bills = bills_of(&app, &instance_id).await;
    assert_eq!(bills.len(), 1);
    assert_eq!(bills[0]["amount_minor"], 99);
    // After that, new usage for the cycle is refused; a replay is still ignored.
    let late = json!({ "record_id": "meter-7-0002", "instance": instance_id, "meter": "messages",
                       "quantity": 10_000, "time": "2026-05-04T12:20:00Z" });
    let (status, refusal) = app.post("/v1/usage", late).await;
    assert_eq!((status, text(&refusal["code"])), (409, "cycle_closed"));
    assert_eq!(app.post_ok("/v1/usage", record).await["replayed"], 1);
    assert_eq!(bills_of(&app, &instance_id).await.len(), 1);
    assert_eq!(
        app.account(&account_id).await["balance_minor"],
        40_000 - 30_000 - 99
    );
}
on_both_backends!(
    usage_replay,
    usage_replays_are_ignored_and_bad_usage_changes_nothing
);

/// A usage report may hold the 1,000 records the API allows, whatever their ids' length:
/// its body may be larger than other requests'.
async fn a_thousand_records_fit_in_one_report(backend: Backend) {
    let app = spawn_app(backend, "2026-05-01T00:00:00Z").await;
    let account_id = app.funded_account(1_000_000).await;
    let instance_id = buy_payg(&app, &account_id).await;
    app.advance_to("2026-05-01T00:45:00Z").await;
    let records: Vec<Value> = (0..1000)
        .map(|n| {
            json!({ "record_id": format!("meter-reading-of-a-long-naming-scheme-{n:06}"),
                    "instance": instance_id, "meter": "messages", "quantity": 1,
                    "time": "2026-05-01T00:30:00Z" })
        })
        .collect();
    let body = json!({ "records": records });
    assert!(
        body.to_string().len() > 64 * 1024,
        "larger than other bodies may be"
    );
    let answer = app.post_ok("/v1/usage", body).await;
    assert_eq!(answer["records"].as_array().unwrap().len(), 1000);
}
on_both_backends!(thousand_records, a_thousand_records_fit_in_one_report);

/// An account overdue by one unpaid bill of its pay-as-you-go instance (bought first, while
/// the account had credit), with a month of the basic message queue (tps-5000, 30,000) bought
/// at 10:00 from all of its balance: the account, the queue and the pay-as-you-go instance.
async fn overdue_with_a_queue(app: &TestApp) -> (String, String, String) {
    let account_id = app.funded_account(30_000).await;
    let payg_id = buy_payg(app, &account_id).await;
    let queue = app
        .buy(&account_id, "message-queue", "basic", "tps-5000", "1M")
        .await;
    let queue_id = text(&queue["instance"]["id"]).to_string();
    (account_id, queue_id, payg_id)
}

async fn refunds_to_the_balance_pay_unpaid_bills(backend: Backend) {
    let app = spawn_app(backend, "2026-05-04T10:00:00Z").await;
    let (unsubscribing, unsubscribed_queue, unsubscribing_payg) = overdue_with_a_queue(&app).await;
    let (downgrading, downgraded_queue, downgrading_payg) = overdue_with_a_queue(&app).await;
    app.advance_to("2026-05-04T13:00:00Z").await;
    report_hour(&app, &unsubscribing_payg, "2026-05-04T12:00:00Z").await;
    report_hour(&app, &downgrading_payg, "2026-05-04T12:00:00Z").await;
    app.advance_to("2026-05-04T17:00:00Z").await;
    for account_id in [&unsubscribing, &downgrading] {
        let account = app.account(account_id).await;
        assert_eq!(account["overdue"], true);
        assert_eq!(account["debt_minor"], HOURLY_BILL_MINOR);
    }

    // A day later, before the pay-as-you-go instances stop: one account unsubscribes its
    // queue, the other downgrades it; both refunds go to the balance, which pays the bill.
    app.advance_to("2026-05-05T10:00:00Z").await;
    let unsubscribed = app
        .post_ok(
            &format!("/v1/instances/{unsubscribed_queue}/unsubscribe"),
            json!({ "confirm_refund": true, "confirm_data_backed_up": true }),
        )
        .await;
    // 30,000 for 744 hours, 24 used: 30,000 × 720 / 744 = 29,032.258 → 29,032.
    assert_eq!(unsubscribed["refund_minor"], 29_032);
    assert_eq!(unsubscribed["settlement"]["paid_minor"], HOURLY_BILL_MINOR);
    let downgraded = app
        .post_ok(
            &format!("/v1/instances/{downgraded_queue}/change"),
            json!({ "spec": "tps-1000" }),
        )
        .await;
    // 29,032 unused, less 12,000 × 720 / 744 = 11,612.903 → 11,613 for tps-1000: 17,419.
    assert_eq!(downgraded["refund_minor"], 17_419);

    for (account_id, payg_id, refund_minor) in [
        (&unsubscribing, &unsubscribing_payg, 29_032),
        (&downgrading, &downgrading_payg, 17_419),
    ] {
        let account = app.account(account_id).await;
        assert_eq!(account["overdue"], false, "{account}");
        assert_eq!(account["debt_minor"], 0);
        assert_eq!(account["balance_minor"], refund_minor - HOURLY_BILL_MINOR);
        let bill = bills_of(&app, payg_id).await[0].clone();
        assert_eq!(
            (bill["status"].as_str(), bill["paid_at"].as_str()),
            (Some("paid"), Some("2026-05-05T10:00:00Z"))
        );
        assert_eq!(bill["paid_balance_minor"], HOURLY_BILL_MINOR);
        // Settled, the pay-as-you-go instance no longer stops at the end of its grace.
        let payg = app.instance(payg_id).await;
        assert_eq!(payg["next_due_at"], Value::Null);
        let events = app.instance_events(payg_id).await;
        assert_eq!(
            events.last().unwrap(),
            &("2026-05-05T10:00:00Z".to_string(), "bill.paid".to_string())
        );
        let settled = app
            .get(&format!(
                "/v1/events?account={account_id}&kind=account.overdue_settled"
            ))
            .await;
        assert_eq!(settled["data"].as_array().unwrap().len(), 1);
        app.balanced_ledger(account_id).await;
    }
    app.advance_to("2026-05-05T17:00:00Z").await;
    assert_eq!(app.instance(&downgrading_payg).await["status"], "active");
}
on_both_backends!(refunds_pay_bills, refunds_to_the_balance_pay_unpaid_bills);

async fn bills_are_paid_in_the_one_order_coupons_then_balance(backend: Backend) {
    // The one payment order (README, Paying): coupons before the balance, for a bill as for an
    // auto-renewal or an order.
    let app = spawn_app(backend, "2026-05-04T10:00:00Z").await;
    let account_id = app.funded_account(1_000).await;
    app.post_ok(
        &format!("/v1/accounts/{account_id}/coupons"),
        json!({ "amount": 100 }),
    )
    .await;
    app.post_ok(
        &format!("/v1/accounts/{account_id}/vouchers"),
        json!({ "amount": 500 }),
    )
    .await;
    let payg_id = buy_payg(&app, &account_id).await;
    app.advance_to("2026-05-04T13:00:00Z").await;
    report_hour(&app, &payg_id, "2026-05-04T12:00:00Z").await;
    app.advance_to("2026-05-04T17:00:00Z").await;
    let bill = bills_of(&app, &payg_id).await[0].clone();
    assert_eq!(bill["status"], "paid");
    assert_eq!(
        (&bill["paid_coupon_minor"], &bill["paid_balance_minor"]),
        (&json!(100), &json!(HOURLY_BILL_MINOR - 100))
    );
    let account = app.account(&account_id).await;
    assert_eq!(
        (
            &account["coupons_minor"],
            &account["balance_minor"],
            &account["vouchers_minor"]
        ),
        (&json!(0), &json!(1_000 - 29), &json!(500)),
        "vouchers never pay usage"
    );
    // A purchase follows the same order: vouchers, coupons (none left), then the method.
    let queue = app
        .post_ok(
            "/v1/instances",
            json!({ "account": account_id, "product": "message-queue", "edition": "basic",
                    "spec": "tps-1000", "region": "us-east-1", "billing": "subscription",
                    "period": "1M", "pay_with": "bank_card" }),
        )
        .await;
    assert_eq!(
        (
            &queue["order"]["paid_voucher_minor"],
            &queue["order"]["paid_coupon_minor"],
            &queue["order"]["paid_external_minor"]
        ),
        (&json!(500), &json!(0), &json!(12_000 - 500))
    );
    app.balanced_ledger(&account_id).await;
}
on_both_backends!(
    bills_paid_in_the_one_order,
    bills_are_paid_in_the_one_order_coupons_then_balance
);

/// GET `path` with `key` as the bearer: the status and the JSON answer.
async fn get_with_key(app: &TestApp, path: &str, key: &str) -> (u16, Value) {
    let response = app
        .client
        .get(format!("{}{path}", app.address))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn a_bill_is_read_by_its_id(backend: Backend) {
    let app = spawn_app(backend, "2026-05-04T10:00:00Z").await;
    let mut keys = Vec::new();
    for (name, email) in [("Ada", "ada@example.com"), ("Bob", "bob@example.com")] {
        let account = app
            .post_ok(
                "/v1/accounts",
                json!({ "name": name, "email": email, "mobile": "+15550100" }),
            )
            .await;
        keys.push((
            text(&account["id"]).to_string(),
            text(&account["owner_key"]).to_string(),
        ));
    }
    let (ada, ada_key) = &keys[0];
    let (_, bob_key) = &keys[1];
    app.post_ok(
        &format!("/v1/accounts/{ada}/deposits"),
        json!({ "amount": 1_000, "method": "bank_card" }),
    )
    .await;
    let payg_id = buy_payg(&app, ada).await;
    app.advance_to("2026-05-04T13:00:00Z").await;
    report_hour(&app, &payg_id, "2026-05-04T12:00:00Z").await;
    app.advance_to("2026-05-04T17:00:00Z").await;
    let listed = bills_of(&app, &payg_id).await[0].clone();
    let bill_id = text(&listed["id"]).to_string();

    // The operator and the bill's account read it whole, as the list shows it.
    let shown = app.get(&format!("/v1/bills/{bill_id}")).await;
    assert_eq!(shown, listed);
    assert_eq!(shown["amount_minor"], HOURLY_BILL_MINOR);
    assert_eq!(shown["status"], "paid");
    assert_eq!(shown["cycle_start"], "2026-05-04T12:00:00Z");
    assert_eq!(shown["lines"].as_array().unwrap().len(), 2);
    let (status, own) = get_with_key(&app, &format!("/v1/bills/{bill_id}"), ada_key).await;
    assert_eq!((status, &own), (200, &listed));

    // Another account's key finds nothing, exactly as for a bill that does not exist.
    let (status, foreign) = get_with_key(&app, &format!("/v1/bills/{bill_id}"), bob_key).await;
    assert_eq!(status, 404);
    assert_eq!(foreign["code"], "not_found");
    let (status, missing) = app
        .request("GET", "/v1/bills/bill_missing", None, &[])
        .await;
    assert_eq!(status, 404);
    assert_eq!(missing["code"], "not_found");
    assert!(
        text(&missing["message"]).contains("bill_missing"),
        "{missing}"
    );
}
on_both_backends!(bill_by_id, a_bill_is_read_by_its_id);

async fn releasing_bills_the_open_usage_at_once(backend: Backend) {
    let app = spawn_app(backend, "2026-05-04T10:00:00Z").await;
    // 13,000: a month of the basic queue (12,000), and 1,000 for usage.
    let account_id = app.funded_account(13_000).await;
    let payg_id = buy_payg(&app, &account_id).await;
    let free = app
        .post_ok(
            "/v1/instances",
            json!({ "account": account_id, "product": "iot-platform", "edition": "public",
                    "region": "us-east-1", "billing": "free" }),
        )
        .await;
    let free_id = text(&free["instance"]["id"]).to_string();
    let queue = app
        .buy(&account_id, "message-queue", "basic", "tps-1000", "1M")
        .await;
    let queue_id = text(&queue["instance"]["id"]);
    app.advance_to("2026-05-04T14:45:00Z").await;
    for cycle_start in [
        "2026-05-04T12:00:00Z",
        "2026-05-04T13:00:00Z",
        "2026-05-04T14:00:00Z",
    ] {
        report_hour(&app, &payg_id, cycle_start).await;
    }
    let release = format!("/v1/instances/{payg_id}/release");

    // Unconfirmed, nothing changes.
    let (status, refusal) = app.post(&release, json!({})).await;
    assert_eq!(
        (status, text(&refusal["code"])),
        (422, "confirmation_required")
    );
    assert_eq!(app.instance(&payg_id).await["status"], "active");

    // Released at 14:45: the three open cycles (the 12:00 one would have waited until 17:00,
    // the 14:00 one is cut at the release) are billed now and paid.
    let released = app
        .post_ok(&release, json!({ "confirm_data_backed_up": true }))
        .await;
    assert_eq!(released["instance"]["status"], "released");
    assert_eq!(released["instance"]["released_at"], "2026-05-04T14:45:00Z");
    assert_eq!(released["instance"]["next_due_at"], Value::Null);
    let final_bills = released["final_bills"].as_array().unwrap();
    let cycles: Vec<&str> = final_bills
        .iter()
        .map(|bill| text(&bill["cycle_start"]))
        .collect();
    assert_eq!(
        cycles,
        [
            "2026-05-04T12:00:00Z",
            "2026-05-04T13:00:00Z",
            "2026-05-04T14:00:00Z"
        ]
    );
    for bill in final_bills {
        assert_eq!(bill["status"], "paid");
        assert_eq!(bill["amount_minor"], HOURLY_BILL_MINOR);
        assert_eq!(bill["generated_at"], "2026-05-04T14:45:00Z");
    }
    assert_eq!(released["settlement"]["paid_minor"], 3 * HOURLY_BILL_MINOR);
    assert_eq!(
        app.account(&account_id).await["balance_minor"],
        1_000 - 3 * HOURLY_BILL_MINOR
    );
    let events = app.instance_events(&payg_id).await;
    let at_release: Vec<&str> = events
        .iter()
        .filter(|(at, _)| at == "2026-05-04T14:45:00Z")
        .map(|(_, kind)| kind.as_str())
        .collect();
    assert_eq!(
        at_release,
        [
            "bill.generated",
            "bill.generated",
            "bill.generated",
            "instance.released",
            "bill.paid",
            "bill.paid",
            "bill.paid"
        ]
    );
    let notices = app
        .get(&format!(
            "/v1/notifications?instance={payg_id}&kind=instance.released"
        ))
        .await;
    let notices = notices["data"].as_array().unwrap();
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0]["channel"], "email");

    // Nothing more is billed for it, no usage is taken, and it cannot be released again.
    let (status, refused) = app
        .post(
            "/v1/usage",
            json!({ "record_id": "after-release", "instance": payg_id, "meter": "messages",
                    "quantity": 1, "time": "2026-05-04T14:40:00Z" }),
        )
        .await;
    assert_eq!((status, text(&refused["code"])), (409, "instance_released"));
    app.advance_to("2026-05-05T00:00:00Z").await;
    assert_eq!(bills_of(&app, &payg_id).await.len(), 3);
    let (status, again) = app
        .post(&release, json!({ "confirm_data_backed_up": true }))
        .await;
    assert_eq!((status, text(&again["code"])), (409, "instance_released"));

    // A free instance is released the same way; a subscription is unsubscribed instead, and
    // unsubscribing a free instance says to release it.
    let (status, refusal) = app
        .post(
            &format!("/v1/instances/{free_id}/unsubscribe"),
            json!({ "confirm_refund": true, "confirm_data_backed_up": true }),
        )
        .await;
    assert_eq!(
        (status, text(&refusal["code"])),
        (409, "not_unsubscribable")
    );
    assert!(
        text(&refusal["message"]).contains(&format!("POST /v1/instances/{free_id}/release")),
        "{refusal}"
    );
    let free = app
        .post_ok(
            &format!("/v1/instances/{free_id}/release"),
            json!({ "confirm_data_backed_up": true }),
        )
        .await;
    assert_eq!(free["instance"]["status"], "released");
    assert_eq!(free["final_bills"], json!([]));
    let (status, refusal) = app
        .post(
            &format!("/v1/instances/{queue_id}/release"),
            json!({ "confirm_data_backed_up": true }),
        )
        .await;
    assert_eq!((status, text(&refusal["code"])), (409, "not_releasable"));
    assert!(text(&refusal["message"]).contains("/unsubscribe"));
    assert_eq!(app.instance(queue_id).await["status"], "active");
    app.balanced_ledger(&account_id).await;
}
on_both_backends!(release_by_hand, releasing_bills_the_open_usage_at_once);

/// A month's pay-as-you-go bills are one invoice per account, issued as the month ends: its
/// gross what the month's bills charged, paid what was paid of them; a bill generated after
/// the month's end is in the next month's.
async fn a_month_of_bills_is_one_invoice(backend: Backend) {
    let start = "2026-05-31T10:00:00Z";
    let app = spawn_app(backend, start).await;
    let paying = app.funded_account(100_000).await;
    // Enough to buy, and to pay 7 bills of the 9 below (7 × 129 = 903).
    let owing = app.funded_account(1_000).await;
    let paying_instance = buy_payg(&app, &paying).await;
    let owing_instance = buy_payg(&app, &owing).await;
    // The paying account's cycles 10:00 to 13:00, generated 4 hours after each ends (in May),
    // and 22:00, generated at 03:00 on June 1st; the owing account's 10:00 to 19:00.
    for hour in 0..=12 {
        app.advance_to(&hours_after(start, hour + 1)).await;
        if [0, 1, 2, 12].contains(&hour) {
            report_hour(&app, &paying_instance, &hours_after(start, hour)).await;
        }
        if hour <= 8 {
            report_hour(&app, &owing_instance, &hours_after(start, hour)).await;
        }
    }
    app.advance_to("2026-06-01T00:00:00Z").await;
    let invoices_of = |account_id: String| {
        let app = &app;
        async move {
            app.get(&format!("/v1/invoices?account={account_id}")).await["data"]
                .as_array()
                .unwrap()
                .clone()
        }
    };
    let paid = invoices_of(paying.clone()).await;
    assert_eq!(paid.len(), 1, "{paid:?}");
    let invoice = &paid[0];
    assert_eq!(invoice["issued_on"], "2026-06-01");
    assert_eq!(invoice["order_id"], Value::Null);
    assert_eq!(invoice["gross_minor"], 3 * HOURLY_BILL_MINOR);
    assert_eq!(
        (&invoice["paid_minor"], &invoice["due_minor"]),
        (&json!(3 * HOURLY_BILL_MINOR), &json!(0))
    );
    let lines = invoice["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 1, "one line per instance: {lines:?}");
    assert_eq!(lines[0]["period_start"], "2026-05-31");
    assert_eq!(lines[0]["period_end"], "2026-05-31");
    assert!(
        text(&lines[0]["detail"]).contains("3 hourly bills"),
        "{}",
        lines[0]["detail"]
    );
    let owed = invoices_of(owing.clone()).await;
    assert_eq!(owed.len(), 1, "{owed:?}");
    assert_eq!(owed[0]["gross_minor"], 9 * HOURLY_BILL_MINOR);
    assert_eq!(
        (&owed[0]["paid_minor"], &owed[0]["due_minor"]),
        (&json!(7 * HOURLY_BILL_MINOR), &json!(2 * HOURLY_BILL_MINOR)),
        "the unpaid bills are due"
    );
    let numbers = [text(&invoice["number"]), text(&owed[0]["number"])];
    let mut sorted = numbers;
    sorted.sort();
    assert_eq!(sorted, ["INV-2026-000001", "INV-2026-000002"]);

    // The bill generated in June waits for June's end; nothing is invoiced twice.
    app.advance_to("2026-06-30T23:00:00Z").await;
    assert_eq!(invoices_of(paying.clone()).await.len(), 1);
    app.advance_to("2026-07-01T00:00:00Z").await;
    let paid = invoices_of(paying.clone()).await;
    assert_eq!(paid.len(), 2, "{paid:?}");
    assert_eq!(paid[1]["gross_minor"], HOURLY_BILL_MINOR);
    assert_eq!(paid[1]["issued_on"], "2026-07-01");
    let bills = bills_of(&app, &paying_instance).await;
    let billed_minor: i64 = bills
        .iter()
        .map(|bill| bill["amount_minor"].as_i64().unwrap())
        .sum();
    let invoiced_minor: i64 = paid
        .iter()
        .map(|invoice| invoice["gross_minor"].as_i64().unwrap())
        .sum();
    assert_eq!(invoiced_minor, billed_minor, "every bill invoiced once");

    // Read by the outside tools.
    let bytes = reqwest::Client::new()
        .get(format!(
            "{}/v1/invoices/{}/pdf",
            app.address,
            text(&invoice["id"])
        ))
        .bearer_auth(crate::helpers::ADMIN_KEY)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("payg.pdf");
    std::fs::write(&path, &bytes).unwrap();
    let facts = crate::invoices::check_factur_x(&path);
    assert!(facts.contains(text(&invoice["number"])), "{facts}");
    let pdf_text = crate::invoices::pdftotext(&path);
    assert!(pdf_text.contains("3.87"), "the total: {pdf_text}");
}
on_both_backends!(month_invoice, a_month_of_bills_is_one_invoice);
