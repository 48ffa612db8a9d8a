//! Bulk manual renewal: all or nothing.

use serde_json::json;

use crate::helpers::{spawn_app, text, Backend};
use crate::on_both_backends;

async fn bulk_renewal_is_all_or_nothing(backend: Backend) {
    let app = spawn_app(backend, "2026-02-10T00:00:00Z").await;
    let account_id = app.funded_account(100_000).await;
    let first = text(
        &app.buy(&account_id, "message-queue", "basic", "tps-1000", "1M")
            .await["instance"]["id"],
    )
    .to_string();
    let second = text(
        &app.buy(
            &account_id,
            "data-management",
            "security-collaboration",
            "instances-10",
            "1M",
        )
        .await["instance"]["id"],
    )
    .to_string();
    assert_eq!(app.account(&account_id).await["balance_minor"], 73_000);

    // One unknown id refuses the whole batch.
    let (status, answer) = app
        .post(
            "/v1/renewals",
            json!({ "instances": [first, "inst_missing"], "period": "1M" }),
        )
        .await;
    assert_eq!((status, answer["code"].as_str()), (404, Some("not_found")));
    assert_eq!(
        app.instance(&first).await["expires_at"],
        "2026-03-10T00:00:00Z"
    );
    assert_eq!(app.account(&account_id).await["balance_minor"], 73_000);

    // A batch the account cannot pay in full is refused in full.
    let (status, answer) = app
        .post(
            "/v1/renewals",
            json!({ "instances": [first, second], "period": "3M" }),
        )
        .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (402, Some("insufficient_funds"))
    );
    assert!(
        text(&answer["message"]).contains(&second),
        "names the instance: {answer}"
    );
    assert_eq!(
        app.instance(&first).await["expires_at"],
        "2026-03-10T00:00:00Z"
    );

    let renewed = app
        .post_ok(
            "/v1/renewals",
            json!({ "instances": [first, second], "period": "1M" }),
        )
        .await;
    assert_eq!(renewed["data"].as_array().unwrap().len(), 2);
    for instance_id in [&first, &second] {
        assert_eq!(
            app.instance(instance_id).await["expires_at"],
            "2026-04-10T00:00:00Z"
        );
    }
    assert_eq!(app.account(&account_id).await["balance_minor"], 46_000);
}
on_both_backends!(bulk, bulk_renewal_is_all_or_nothing);

/// No charge for time already over: a renewal whose new expiry would still be at or before now
/// is refused (by hand, in bulk and in its quote), naming the shortest period that reaches past
/// now, and writes nothing; no notice names a date already gone.
async fn a_renewal_ending_in_the_past_is_refused(backend: Backend) {
    let app = spawn_app(backend, "2026-01-28T00:00:00Z").await;
    let account_id = app.funded_account(100_000).await;
    let mut instances = Vec::new();
    for _ in 0..2 {
        // Message queue Basic tps-1000, 12000 a month: expires 02-28, released 30 days later.
        let bought = app
            .buy(&account_id, "message-queue", "basic", "tps-1000", "1M")
            .await;
        instances.push(text(&bought["instance"]["id"]).to_string());
    }
    let (late, early) = (instances[0].clone(), instances[1].clone());
    // On 03-25 the early one is renewed for 1M: 02-28 + 1M = 03-28, still ahead. The reminder
    // (7 days before, 03-21) is due at once and names 03-28, three days ahead.
    app.advance_to("2026-03-25T00:00:00Z").await;
    let renewed = app
        .post_ok(
            &format!("/v1/instances/{early}/renew"),
            json!({ "period": "1M" }),
        )
        .await;
    assert_eq!(renewed["instance"]["expires_at"], "2026-03-28T00:00:00Z");
    app.advance_to("2026-03-25T01:00:00Z").await;
    let reminders = app
        .get(&format!(
            "/v1/notifications?instance={early}&kind=instance.expiry_reminder_sent"
        ))
        .await;
    let reminders = reminders["data"].as_array().unwrap();
    let last = reminders.last().unwrap();
    assert_eq!(last["at"], "2026-03-25T00:00:00Z", "{reminders:?}");
    assert!(
        text(&last["body"]).contains("2026-03-28"),
        "names the new expiry: {last}"
    );

    // On 03-29 the late one, expired since 02-28, renewed for 1M would expire on 03-28: over.
    app.advance_to("2026-03-29T00:00:00Z").await;
    let balance = app.account(&account_id).await["balance_minor"].clone();
    let events = app.event_count().await;
    let notices = app.get(&format!("/v1/notifications?instance={late}")).await["data"]
        .as_array()
        .unwrap()
        .len();
    let one = json!({ "period": "1M" });
    let many = json!({ "instances": [late], "period": "1M" });
    for (path, body) in [
        (format!("/v1/instances/{late}/renew"), &one),
        ("/v1/renewals".to_string(), &many),
        ("/v1/renewals/quote".to_string(), &many),
    ] {
        let (status, answer) = app.post(&path, body.clone()).await;
        assert_eq!(
            (status, text(&answer["code"])),
            (422, "renewal_ends_in_the_past"),
            "{path}: {answer}"
        );
        let message = text(&answer["message"]);
        assert!(message.contains("2026-03-28"), "{message}");
        assert!(
            message.contains("the shortest period that reaches past now is 2M (to 2026-04-28"),
            "{message}"
        );
    }
    // Nothing was written.
    let instance = app.instance(&late).await;
    assert_eq!(
        (&instance["status"], &instance["expires_at"]),
        (&json!("expired"), &json!("2026-02-28T00:00:00Z"))
    );
    assert_eq!(app.account(&account_id).await["balance_minor"], balance);
    assert_eq!(app.event_count().await, events);
    assert_eq!(
        app.get(&format!("/v1/notifications?instance={late}")).await["data"]
            .as_array()
            .unwrap()
            .len(),
        notices
    );

    // 2M reaches 04-28: restored, and no reminder is due yet (04-21), so none names a date.
    let renewed = app
        .post_ok(
            &format!("/v1/instances/{late}/renew"),
            json!({ "period": "2M" }),
        )
        .await;
    assert_eq!(renewed["restored"], true);
    assert_eq!(renewed["instance"]["status"], "active");
    assert_eq!(renewed["instance"]["expires_at"], "2026-04-28T00:00:00Z");
    app.advance_to("2026-04-21T00:00:00Z").await;
    let reminders = app
        .get(&format!(
            "/v1/notifications?instance={late}&kind=instance.expiry_reminder_sent"
        ))
        .await;
    let reminders = reminders["data"].as_array().unwrap();
    let last = reminders.last().unwrap();
    assert_eq!(last["at"], "2026-04-21T00:00:00Z");
    assert!(text(&last["body"]).contains("2026-04-28"), "{last}");
    assert!(!reminders
        .iter()
        .any(|notice| text(&notice["body"]).contains("2026-03-28")));
    assert_eq!(app.instance(&late).await["status"], "active");
}
on_both_backends!(ends_in_the_past, a_renewal_ending_in_the_past_is_refused);
