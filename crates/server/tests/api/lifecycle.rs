//! An instance lives through purchase, reminder, expiry, renewal after expiry, a second expiry
//! and release, on the simulated clock (docs/examples.md 2 and 3).

use serde_json::json;

use crate::helpers::{spawn_app, text, Backend};
use crate::on_both_backends;

async fn purchase_remind_expire_renew_expire_release(backend: Backend) {
    let app = spawn_app(backend, "2026-02-10T00:00:00Z").await;
    let account_id = app.funded_account(50_000).await;
    let bought = app
        .buy(&account_id, "message-queue", "basic", "tps-1000", "1M")
        .await;
    let instance_id = text(&bought["instance"]["id"]).to_string();
    assert_eq!(bought["instance"]["expires_at"], "2026-03-10T00:00:00Z");
    assert_eq!(
        bought["instance"]["next_due_at"], "2026-03-03T00:00:00Z",
        "the reminder is due 7 days before"
    );
    assert_eq!(bought["order"]["list_price_minor"], 12_000);
    assert_eq!(bought["order"]["paid_balance_minor"], 12_000);
    assert_eq!(app.account(&account_id).await["balance_minor"], 38_000);
    let events = app.get(&format!("/v1/events?instance={instance_id}")).await;
    let purchased = &events["data"][0];
    assert_eq!(purchased["kind"], "instance.purchased");
    assert_eq!(
        purchased["data"],
        serde_json::json!({
            "billing": "subscription",
            "edition_id": "basic",
            "expires_at": "2026-03-10T00:00:00Z",
            "order_id": bought["order"]["id"],
            "price_minor": 12_000,
            "product_id": "message-queue",
            "spec_id": "tps-1000",
            "starts_at": "2026-02-10T00:00:00Z",
        })
    );

    // The day before the reminder nothing has happened; at the reminder one SMS goes out.
    app.advance_to("2026-03-02T23:59:59Z").await;
    assert_eq!(app.instance(&instance_id).await["status"], "active");
    app.advance_to("2026-03-03T00:00:00Z").await;
    let notices = app
        .get(&format!("/v1/notifications?instance={instance_id}"))
        .await;
    let notices = notices["data"].as_array().unwrap();
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0]["channel"], "sms");
    assert_eq!(notices[0]["recipient"], "+15550100");
    assert_eq!(notices[0]["at"], "2026-03-03T00:00:00Z");
    // Each notice names its event; a page after it is empty, and after no notice, refused.
    let event_seq = notices[0]["event_seq"].as_i64().unwrap();
    let events = app.get(&format!("/v1/events?instance={instance_id}")).await;
    let event = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|event| event["seq"].as_i64() == Some(event_seq))
        .unwrap_or_else(|| panic!("event {event_seq} in {events}"));
    assert_eq!(event["kind"], notices[0]["kind"]);
    let seq = notices[0]["seq"].as_i64().unwrap();
    let after = app
        .get(&format!(
            "/v1/notifications?instance={instance_id}&after={seq}"
        ))
        .await;
    assert_eq!(after["data"].as_array().unwrap().len(), 0, "{after}");
    let (status, refused) = app
        .request(
            "GET",
            &format!("/v1/notifications?after={}", seq + 1_000_000),
            None,
            &[],
        )
        .await;
    assert_eq!((status, refused["code"].as_str()), (404, Some("not_found")));

    // Expiry stops it; the data is kept until release 30 days later.
    app.advance_to("2026-03-12T00:00:00Z").await;
    let expired = app.instance(&instance_id).await;
    assert_eq!(expired["status"], "expired");
    assert_eq!(expired["release_at"], "2026-04-09T00:00:00Z");

    // Renewing on 03-12 restores it from the old expiry: the stopped days are paid for.
    let renewed = app
        .post_ok(
            &format!("/v1/instances/{instance_id}/renew"),
            serde_json::json!({ "period": "1M" }),
        )
        .await;
    assert_eq!(renewed["restored"], true);
    assert_eq!(renewed["instance"]["status"], "active");
    assert_eq!(renewed["instance"]["expires_at"], "2026-04-10T00:00:00Z");
    assert_eq!(renewed["order"]["starts_at"], "2026-03-10T00:00:00Z");
    assert_eq!(renewed["order"]["ends_at"], "2026-04-10T00:00:00Z");
    assert_eq!(app.account(&account_id).await["balance_minor"], 26_000);

    // Second expiry with no renewal: stopped on 04-10, released 30 days later, for good.
    app.advance_to("2026-05-10T00:00:00Z").await;
    let released = app.instance(&instance_id).await;
    assert_eq!(released["status"], "released");
    assert_eq!(released["released_at"], "2026-05-10T00:00:00Z");
    assert_eq!(released["next_due_at"], serde_json::Value::Null);

    let events = app.instance_events(&instance_id).await;
    let expected = [
        ("2026-02-10T00:00:00Z", "instance.purchased"),
        ("2026-03-03T00:00:00Z", "instance.expiry_reminder_sent"),
        ("2026-03-10T00:00:00Z", "instance.expired"),
        ("2026-03-12T00:00:00Z", "instance.renewed"),
        ("2026-03-12T00:00:00Z", "instance.restored"),
        ("2026-04-03T00:00:00Z", "instance.expiry_reminder_sent"),
        ("2026-04-10T00:00:00Z", "instance.expired"),
        ("2026-05-03T00:00:00Z", "instance.release_warning_sent"),
        ("2026-05-10T00:00:00Z", "instance.released"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(at, kind)| (at.to_string(), kind.to_string()))
        .collect();
    assert_eq!(events, expected);
    // The release warning: once, by email, 7 days before release, saying what release does.
    let warnings = app
        .get(&format!(
            "/v1/notifications?instance={instance_id}&kind=instance.release_warning_sent"
        ))
        .await;
    let warnings = warnings["data"].as_array().unwrap();
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0]["channel"], "email");
    assert_eq!(warnings[0]["at"], "2026-05-03T00:00:00Z");
    assert!(
        text(&warnings[0]["body"]).contains(
            "will be released on 2026-05-10 00:00 UTC: it and its data will be deleted for good"
        ),
        "{}",
        warnings[0]["body"]
    );

    // A released instance cannot be renewed, and the refusal changes nothing.
    let (status, refusal) = app
        .post(
            &format!("/v1/instances/{instance_id}/renew"),
            serde_json::json!({ "period": "1M" }),
        )
        .await;
    assert_eq!(status, 409);
    assert_eq!(refusal["code"], "instance_released");
    assert_eq!(app.account(&account_id).await["balance_minor"], 26_000);

    // Two orders, both paid from the balance; the ledger balances entry by entry.
    let orders = app.get(&format!("/v1/orders?instance={instance_id}")).await;
    assert_eq!(orders["data"].as_array().unwrap().len(), 2);
    assert_eq!(app.balanced_ledger(&account_id).await.len(), 3);
}
on_both_backends!(full_lifecycle, purchase_remind_expire_renew_expire_release);

async fn month_ends_clamp(backend: Backend) {
    // docs/examples.md 1
    let app = spawn_app(backend, "2026-01-31T10:00:00Z").await;
    let account_id = app.funded_account(100_000).await;
    let bought = app
        .buy(&account_id, "message-queue", "basic", "tps-1000", "1M")
        .await;
    assert_eq!(bought["instance"]["expires_at"], "2026-02-28T10:00:00Z");
    let instance_id = text(&bought["instance"]["id"]);
    let renewed = app
        .post_ok(
            &format!("/v1/instances/{instance_id}/renew"),
            serde_json::json!({ "period": "1M" }),
        )
        .await;
    assert_eq!(renewed["instance"]["expires_at"], "2026-03-28T10:00:00Z");
    // The worked example's documents say what it charged and gave back, to the cent.
    app.assert_documents_match_charges().await;
}
on_both_backends!(month_end, month_ends_clamp);

async fn each_product_keeps_its_own_retention(backend: Backend) {
    // docs/examples.md 3: bought so that each expires 2026-03-10T00:00Z.
    let app = spawn_app(backend, "2026-02-10T00:00:00Z").await;
    let account_id = app.funded_account(1_000_000).await;
    let message_queue = app
        .buy(&account_id, "message-queue", "basic", "tps-1000", "1M")
        .await;
    let iot = app
        .buy(&account_id, "iot-platform", "enterprise", "units-10", "1M")
        .await;
    let dns = app
        .buy(&account_id, "dns", "personal", "standard", "1M")
        .await;
    let data_management = app
        .buy(
            &account_id,
            "data-management",
            "security-collaboration",
            "instances-10",
            "1M",
        )
        .await;
    for bought in [&message_queue, &iot, &dns, &data_management] {
        assert_eq!(bought["instance"]["expires_at"], "2026-03-10T00:00:00Z");
    }
    app.advance_to("2026-04-30T00:00:00Z").await;
    let released_at =
        |value: &serde_json::Value| value["released_at"].as_str().unwrap().to_string();
    let message_queue = app.instance(text(&message_queue["instance"]["id"])).await;
    assert_eq!(
        (
            message_queue["status"].as_str().unwrap(),
            released_at(&message_queue).as_str()
        ),
        ("released", "2026-04-09T00:00:00Z")
    );
    let iot = app.instance(text(&iot["instance"]["id"])).await;
    assert_eq!(
        (iot["status"].as_str().unwrap(), released_at(&iot).as_str()),
        ("released", "2026-03-25T00:00:00Z")
    );
    let dns = app.instance(text(&dns["instance"]["id"])).await;
    assert_eq!(
        (dns["status"].as_str().unwrap(), released_at(&dns).as_str()),
        ("free_tier", "2026-03-17T00:00:00Z")
    );
    let data_management = app.instance(text(&data_management["instance"]["id"])).await;
    assert_eq!(data_management["status"], "released");
    let dns_events = app.instance_events(text(&dns["id"])).await;
    assert_eq!(dns_events.last().unwrap().1, "instance.moved_to_free_tier");
    // The worked example's documents say what it charged and gave back, to the cent.
    app.assert_documents_match_charges().await;
}
on_both_backends!(retention_per_product, each_product_keeps_its_own_retention);

async fn a_sweep_run_twice_takes_each_step_once(backend: Backend) {
    let app = spawn_app(backend, "2026-02-10T00:00:00Z").await;
    let account_id = app.funded_account(50_000).await;
    let bought = app
        .buy(&account_id, "message-queue", "basic", "tps-1000", "1M")
        .await;
    let instance_id = text(&bought["instance"]["id"]).to_string();
    app.advance_to("2026-03-10T00:00:00Z").await;
    // Advancing by zero runs the sweep again at the same moment: nothing is due twice.
    app.post_ok("/v1/clock/advance", serde_json::json!({ "by": "PT0S" }))
        .await;
    app.advance_to("2026-03-10T00:00:00Z").await;
    let kinds: Vec<String> = app
        .instance_events(&instance_id)
        .await
        .into_iter()
        .map(|(_, kind)| kind)
        .collect();
    assert_eq!(
        kinds,
        [
            "instance.purchased",
            "instance.expiry_reminder_sent",
            "instance.expired"
        ]
    );
}
on_both_backends!(sweep_is_idempotent, a_sweep_run_twice_takes_each_step_once);

async fn a_plan_bought_for_later_is_unactivated_until_then(backend: Backend) {
    let app = spawn_app(backend, "2026-03-01T00:00:00Z").await;
    let account_id = app.funded_account(100_000).await;
    let bought = app
        .post_ok(
            "/v1/instances",
            json!({ "account": account_id, "product": "iot-platform", "edition": "message-package",
                    "spec": "messages-10m", "region": "us-east-1", "billing": "resource_plan",
                    "period": "1M", "activates_at": "2026-03-10T00:00:00Z" }),
        )
        .await;
    let plan_id = text(&bought["instance"]["id"]).to_string();
    assert_eq!(bought["instance"]["status"], "unactivated");
    assert_eq!(bought["instance"]["activates_at"], "2026-03-10T00:00:00Z");
    assert_eq!(bought["instance"]["expires_at"], "2026-04-10T00:00:00Z");
    assert_eq!(bought["instance"]["next_due_at"], "2026-03-10T00:00:00Z");
    let listed = |status: &'static str| {
        let app = &app;
        let account_id = &account_id;
        async move {
            app.get(&format!(
                "/v1/instances?account={account_id}&status={status}"
            ))
            .await["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|instance| text(&instance["id"]).to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(listed("unactivated").await, vec![plan_id.clone()]);
    assert!(listed("active").await.is_empty());

    app.advance_to("2026-03-09T23:59:59Z").await;
    assert_eq!(app.instance(&plan_id).await["status"], "unactivated");
    let (status, refusal) = app
        .post(
            &format!("/v1/instances/{plan_id}/quota-usage"),
            json!({ "units": 1 }),
        )
        .await;
    assert_eq!(
        (status, text(&refusal["code"])),
        (409, "resource_plan_not_activated")
    );

    // At its time it takes effect: active, announced, and its quota usable.
    app.advance_to("2026-03-10T00:00:00Z").await;
    let plan = app.instance(&plan_id).await;
    assert_eq!(plan["status"], "active");
    assert_eq!(listed("active").await, vec![plan_id.clone()]);
    assert!(listed("unactivated").await.is_empty());
    let events = app.instance_events(&plan_id).await;
    assert_eq!(
        events,
        [
            (
                "2026-03-01T00:00:00Z".to_string(),
                "instance.purchased".to_string()
            ),
            (
                "2026-03-10T00:00:00Z".to_string(),
                "instance.activated".to_string()
            ),
        ]
    );
    let notices = app
        .get(&format!(
            "/v1/notifications?instance={plan_id}&kind=instance.activated"
        ))
        .await;
    assert_eq!(notices["data"][0]["channel"], "email");
    app.post_ok(
        &format!("/v1/instances/{plan_id}/quota-usage"),
        json!({ "units": 1 }),
    )
    .await;
    app.advance_to("2026-04-10T00:00:00Z").await;
    assert_eq!(app.instance(&plan_id).await["status"], "expired");
}
on_both_backends!(
    plan_unactivated_until_it_takes_effect,
    a_plan_bought_for_later_is_unactivated_until_then
);

async fn a_locked_domain_leaves_the_release_a_manual_step(backend: Backend) {
    let app = spawn_app(backend, "2026-03-01T00:00:00Z").await;
    let account_id = app.funded_account(100_000).await;
    let mut dns = Vec::new();
    for _ in 0..2 {
        let bought = app
            .buy(&account_id, "dns", "personal", "standard", "1M")
            .await;
        dns.push(text(&bought["instance"]["id"]).to_string());
    }
    let (locked, unlocked) = (&dns[0], &dns[1]);
    // The operator reports the domains' registry statuses: one is under a security lock.
    let reported = app
        .request(
            "PUT",
            &format!("/v1/instances/{locked}/domain-statuses"),
            Some(json!({ "statuses": ["clientTransferProhibited", "clientUpdateProhibited"] })),
            &[],
        )
        .await;
    assert_eq!(reported.0, 200, "{}", reported.1);
    assert_eq!(
        reported.1["domain_statuses"],
        json!(["clientTransferProhibited", "clientUpdateProhibited"])
    );
    let (status, _) = app
        .request(
            "PUT",
            &format!("/v1/instances/{unlocked}/domain-statuses"),
            Some(json!({ "statuses": ["clientTransferProhibited"] })),
            &[],
        )
        .await;
    assert_eq!(status, 200);

    // Expired 04-01, warned 04-06 that the move will fail while it can still be renewed...
    app.advance_to("2026-04-06T00:00:00Z").await;
    let warning = app
        .get(&format!(
            "/v1/notifications?instance={locked}&kind=instance.release_warning_sent"
        ))
        .await;
    assert!(
        text(&warning["data"][0]["body"])
            .contains("under a security lock (clientUpdateProhibited), so the move will fail"),
        "{}",
        warning["data"][0]["body"]
    );
    // ...and released 04-08 after 7 days: the unlocked domain's records move to the free tier;
    // the locked one's cannot, and the customer is told to change DNS servers.
    app.advance_to("2026-04-08T00:00:00Z").await;
    assert_eq!(app.instance(unlocked).await["status"], "free_tier");
    let stuck = app.instance(locked).await;
    assert_eq!(stuck["status"], "release_needs_manual_step");
    assert_eq!(stuck["released_at"], "2026-04-08T00:00:00Z");
    assert_eq!(stuck["next_due_at"], serde_json::Value::Null);
    let events = app.instance_events(locked).await;
    assert_eq!(
        events.last().unwrap(),
        &(
            "2026-04-08T00:00:00Z".to_string(),
            "instance.release_needs_manual_step".to_string()
        )
    );
    let logged = app
        .get(&format!(
            "/v1/events?instance={locked}&kind=instance.release_needs_manual_step"
        ))
        .await;
    assert_eq!(
        logged["data"][0]["data"]["blocked_by"],
        "clientUpdateProhibited"
    );
    let notices = app
        .get(&format!(
            "/v1/notifications?instance={locked}&kind=instance.release_needs_manual_step"
        ))
        .await;
    let notices = notices["data"].as_array().unwrap();
    let channels: Vec<&str> = notices
        .iter()
        .map(|notice| text(&notice["channel"]))
        .collect();
    assert_eq!(channels, ["email", "sms"]);
    assert!(
        text(&notices[0]["body"]).contains("Change the domain's DNS servers by hand"),
        "{}",
        notices[0]["body"]
    );
    // Released either way: it cannot be renewed any more.
    let (status, refusal) = app
        .post(
            &format!("/v1/instances/{locked}/renew"),
            json!({ "period": "1M" }),
        )
        .await;
    assert_eq!((status, text(&refusal["code"])), (409, "instance_released"));

    // Only a product whose release moves to a free tier has domain statuses.
    let queue = app
        .buy(&account_id, "message-queue", "basic", "tps-1000", "1M")
        .await;
    let (status, refusal) = app
        .request(
            "PUT",
            &format!(
                "/v1/instances/{}/domain-statuses",
                text(&queue["instance"]["id"])
            ),
            Some(json!({ "statuses": ["clientUpdateProhibited"] })),
            &[],
        )
        .await;
    assert_eq!((status, text(&refusal["code"])), (409, "no_domain"));
}
on_both_backends!(
    locked_domain_needs_a_manual_step,
    a_locked_domain_leaves_the_release_a_manual_step
);
