//! Delivery: events POSTed to real HTTP receivers, signed; a receiver that fails is tried
//! again with growing delays until it recovers; one that fails for the whole window is
//! disabled with an event; SMS through a gateway and email through a real SMTP server
//! (aiosmtpd); a notice on a channel not configured is marked `undeliverable`, with why.

use std::time::{Duration, Instant};

use jiff::SignedDuration;
use serde_json::{json, Value};
use tenure_core::delivery::DeliveryPolicy;
use tenure_server::{ChannelUrls, DelivererSettings, Delivery};

use crate::helpers::{spawn_app, spawn_app_delivering, text, Backend, TestApp};
use crate::on_both_backends;
use crate::receiver::{Answer, Receiver};

/// Delivery as served, in test time: a look at the outbox every 20 ms and `policy`.
pub(crate) fn delivery(channels: ChannelUrls, policy: DeliveryPolicy) -> Option<Delivery> {
    Some(Delivery {
        channels,
        deliverer: DelivererSettings {
            concurrency: 4,
            poll_interval: Duration::from_millis(20),
            send_timeout: Duration::from_secs(5),
            policy,
        },
    })
}

async fn endpoint(app: &TestApp, url: &str, events: &[&str]) -> (String, String) {
    let created = app
        .post_ok(
            "/v1/webhook-endpoints",
            json!({ "url": url, "events": events }),
        )
        .await;
    (
        text(&created["id"]).to_string(),
        text(&created["secret"]).to_string(),
    )
}

/// Waits (real time, at most 20 s) until `check` holds of `path`'s answer.
pub(crate) async fn eventually(app: &TestApp, path: &str, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let answer = app.get(path).await;
        if check(&answer) {
            return answer;
        }
        assert!(Instant::now() < deadline, "GET {path} never held: {answer}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn events_go_to_the_endpoints_that_hear_of_them_signed(backend: Backend) {
    let receiver = Receiver::start(&[]).await;
    let other = Receiver::start(&[]).await;
    let app = spawn_app_delivering(
        backend,
        "2026-02-10T00:00:00Z",
        delivery(ChannelUrls::default(), DeliveryPolicy::default()),
    )
    .await;
    let (endpoint_id, secret) = endpoint(
        &app,
        &receiver.url,
        &["account.created", "instance.purchased"],
    )
    .await;
    let (other_id, _) = endpoint(&app, &other.url, &["instance.expired"]).await;
    let account_id = app.funded_account(100_000).await;
    let bought = app
        .buy(&account_id, "message-queue", "basic", "tps-1000", "1M")
        .await;
    let instance_id = text(&bought["instance"]["id"]);

    let received = receiver.wait_for(2).await;
    let events = app
        .get(&format!("/v1/events?account={account_id}&limit=100"))
        .await;
    let event_of = |kind: &str| -> Value {
        events["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|event| event["kind"] == kind)
            .unwrap_or_else(|| panic!("a {kind} event: {events}"))
            .clone()
    };
    let mut types = Vec::new();
    for message in &received {
        assert!(message.signed_with(&secret), "{message:?}");
        assert_eq!(message.header("content-type"), "application/json");
        let body = message.json();
        let event = event_of(text(&body["type"]));
        // The event's id on every attempt, for a receiver to deduplicate by.
        assert_eq!(message.header("webhook-id"), text(&event["id"]));
        assert_eq!(body["id"], event["id"]);
        // When it happened on the lifecycle's clock; the header is when it was sent.
        assert_eq!(body["timestamp"], "2026-02-10T00:00:00Z");
        assert_eq!(body["data"], event["data"]);
        let sent_at: i64 = message.header("webhook-timestamp").parse().unwrap();
        let now = jiff::Timestamp::now().as_second();
        assert!((now - sent_at).abs() < 60, "sent at {sent_at}, now {now}");
        types.push(text(&body["type"]).to_string());
    }
    types.sort();
    assert_eq!(types, ["account.created", "instance.purchased"]);
    assert_eq!(
        received
            .iter()
            .find(|message| message.json()["type"] == "instance.purchased")
            .unwrap()
            .json()["data"]["order_id"],
        bought["order"]["id"]
    );
    let _ = instance_id;

    // The log: each sent once, answered 200; nothing for the endpoint that hears of none.
    let log = eventually(
        &app,
        &format!("/v1/deliveries?endpoint={endpoint_id}"),
        |log| {
            log["data"].as_array().unwrap().len() == 2
                && log["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|delivery| delivery["status"] == "sent")
        },
    )
    .await;
    for delivery in log["data"].as_array().unwrap() {
        assert_eq!(delivery["channel"], "webhook");
        assert_eq!(delivery["recipient"], receiver.url.as_str());
        assert_eq!(delivery["attempts"].as_array().unwrap().len(), 1);
        assert_eq!(delivery["attempts"][0]["answer_code"], 200);
        assert!(delivery["next_attempt_at"].is_null());
    }
    let sent = app.get("/v1/deliveries?status=sent").await;
    assert_eq!(sent["data"].as_array().unwrap().len(), 2);
    let none = app
        .get(&format!("/v1/deliveries?endpoint={other_id}"))
        .await;
    assert_eq!(none["data"], json!([]));
    assert!(other.received().is_empty());
    let (status, refused) = app.get_status("/v1/deliveries?status=lost").await;
    assert_eq!((status, text(&refused["code"])), (422, "invalid_query"));
}
on_both_backends!(
    events_go_to_endpoints,
    events_go_to_the_endpoints_that_hear_of_them_signed
);

async fn a_failing_receiver_is_tried_again_later_each_time_until_it_recovers(backend: Backend) {
    let receiver = Receiver::start(&[Answer::Status(500), Answer::Status(503)]).await;
    // The default schedule a hundred times faster: 100 ms, 600 ms, 3 s, …
    let app = spawn_app_delivering(
        backend,
        "2026-02-10T00:00:00Z",
        delivery(
            ChannelUrls::default(),
            DeliveryPolicy::default().scaled_down(100),
        ),
    )
    .await;
    let (endpoint_id, secret) = endpoint(&app, &receiver.url, &["account.created"]).await;
    app.funded_account(0).await;
    let received = receiver.wait_for(3).await;
    assert_eq!(received.len(), 3);
    let id = received[0].header("webhook-id").to_string();
    for message in &received {
        assert_eq!(message.header("webhook-id"), id);
        assert!(message.signed_with(&secret));
    }
    // 100 ms and 600 ms, each within a tenth.
    let first_wait = received[1].at - received[0].at;
    let second_wait = received[2].at - received[1].at;
    assert!(first_wait >= Duration::from_millis(90), "{first_wait:?}");
    assert!(second_wait >= Duration::from_millis(540), "{second_wait:?}");
    assert!(second_wait > first_wait);

    let log = eventually(
        &app,
        &format!("/v1/deliveries?endpoint={endpoint_id}"),
        |log| log["data"][0]["status"] == "sent",
    )
    .await;
    let attempts = log["data"][0]["attempts"].as_array().unwrap();
    let codes: Vec<i64> = attempts
        .iter()
        .map(|attempt| attempt["answer_code"].as_i64().unwrap())
        .collect();
    assert_eq!(codes, [500, 503, 200]);
    assert_eq!(attempts[0]["error"], "answered 500 Internal Server Error");
    assert!(attempts[2]["error"].is_null());
    assert_eq!(log["data"][0]["message_id"], id.as_str());
    let metrics = app.metrics().await;
    for (outcome, count) in [("failed", 2), ("delivered", 1)] {
        let line = format!(
            "tenure_delivery_attempts_total{{channel=\"webhook\",outcome=\"{outcome}\"}} {count}"
        );
        assert!(
            metrics.lines().any(|sample| sample == line),
            "{line} in {metrics}"
        );
    }
    // The endpoint's run of failures ended with the success: it stays enabled.
    let endpoint = app
        .get(&format!("/v1/webhook-endpoints/{endpoint_id}"))
        .await;
    assert!(endpoint["disabled_at"].is_null(), "{endpoint}");
}
on_both_backends!(
    failing_receiver_recovers,
    a_failing_receiver_is_tried_again_later_each_time_until_it_recovers
);

async fn an_endpoint_failing_for_its_whole_window_is_disabled_with_an_event(backend: Backend) {
    let broken = Receiver::start(&[Answer::Status(500); 200]).await;
    let watcher = Receiver::start(&[]).await;
    let policy = DeliveryPolicy {
        delays: vec![SignedDuration::from_millis(50)],
        give_up_after: SignedDuration::from_secs(60),
        disable_endpoint_after: SignedDuration::from_millis(400),
    };
    let app = spawn_app_delivering(
        backend,
        "2026-02-10T00:00:00Z",
        delivery(ChannelUrls::default(), policy),
    )
    .await;
    let (broken_id, _) = endpoint(&app, &broken.url, &["account.created"]).await;
    let (_, watcher_secret) = endpoint(&app, &watcher.url, &["webhook_endpoint.disabled"]).await;
    app.funded_account(0).await;

    let endpoint = eventually(
        &app,
        &format!("/v1/webhook-endpoints/{broken_id}"),
        |endpoint| endpoint["disabled_at"].is_string(),
    )
    .await;
    assert!(
        text(&endpoint["disabled_reason"]).starts_with("every delivery failed since"),
        "{endpoint}"
    );
    let log = app
        .get(&format!("/v1/deliveries?endpoint={broken_id}"))
        .await;
    let delivery = &log["data"][0];
    assert_eq!(delivery["status"], "failed", "{log}");
    let attempts = delivery["attempts"].as_array().unwrap().len();
    assert!(attempts >= 2, "{log}");
    // Nothing more is sent to it.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(broken.received().len(), attempts);

    // The event says so, and goes to the endpoints that hear of it.
    let events = app.get("/v1/events?kind=webhook_endpoint.disabled").await;
    let event = &events["data"][0];
    assert_eq!(event["data"]["endpoint_id"], broken_id.as_str());
    assert_eq!(event["data"]["url"], broken.url.as_str());
    let heard = watcher.wait_for(1).await;
    assert!(heard[0].signed_with(&watcher_secret));
    assert_eq!(heard[0].json()["type"], "webhook_endpoint.disabled");
    assert_eq!(heard[0].json()["data"]["endpoint_id"], broken_id.as_str());

    // An operator's retry sends a failed delivery again (to a disabled endpoint: given up).
    let retried = app
        .post_ok(
            &format!("/v1/deliveries/{}/retry", text(&delivery["id"])),
            json!({}),
        )
        .await;
    assert_eq!(retried["status"], "pending");
    let after = eventually(
        &app,
        &format!("/v1/deliveries/{}", text(&delivery["id"])),
        |delivery| delivery["status"] == "failed",
    )
    .await;
    let last = after["attempts"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["error"], "the endpoint was deleted or disabled");
    assert_eq!(broken.received().len(), attempts);
}
on_both_backends!(
    failing_endpoint_disabled,
    an_endpoint_failing_for_its_whole_window_is_disabled_with_an_event
);

/// The notices of an account, by kind and channel.
async fn notice(app: &TestApp, account_id: &str, kind: &str, channel: &str) -> Value {
    let notices = app
        .get(&format!("/v1/notifications?account={account_id}&limit=100"))
        .await;
    notices["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|notice| notice["kind"] == kind && notice["channel"] == channel)
        .unwrap_or_else(|| panic!("a {kind} notice by {channel}: {notices}"))
        .clone()
}

async fn notices_go_by_sms_and_email_and_are_marked_sent(backend: Backend) {
    let gateway = Receiver::start(&[]).await;
    let smtp = crate::smtp::SmtpServer::start().await;
    let app = spawn_app_delivering(
        backend,
        "2026-02-10T00:00:00Z",
        delivery(
            ChannelUrls {
                smtp_url: Some(smtp.url()),
                smtp_from: Some("Billing <billing@example.com>".to_string()),
                sms_gateway_url: Some(gateway.url.clone()),
                operator_email: None,
            },
            DeliveryPolicy::default(),
        ),
    )
    .await;
    let account_id = app.funded_account(100_000).await;
    let bought = app
        .buy(&account_id, "message-queue", "basic", "tps-1000", "1M")
        .await;
    let instance_id = text(&bought["instance"]["id"]).to_string();

    // The SMS 7 days before expiry (2026-03-10), through the gateway.
    app.advance_to("2026-03-03T00:00:00Z").await;
    let sms = gateway.wait_for(1).await;
    let reminder = notice(&app, &account_id, "instance.expiry_reminder_sent", "sms").await;
    assert_eq!(
        sms[0].json(),
        json!({ "to": "+15550100", "text": reminder["body"], "notice_id": reminder["id"] })
    );
    let reminder = eventually(
        &app,
        &format!("/v1/notifications?account={account_id}&kind=instance.expiry_reminder_sent"),
        |notices| notices["data"][0]["status"] == "sent",
    )
    .await;
    assert!(reminder["data"][0]["status_reason"].is_null());

    // By email: the purchase's invoice, then that it expired, then the release warning, 7
    // days before its release.
    app.advance_to("2026-04-02T00:00:00Z").await;
    let notices = app
        .get(&format!("/v1/notifications?account={account_id}&limit=100"))
        .await;
    let emails: Vec<Value> = notices["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|notice| notice["channel"] == "email")
        .cloned()
        .collect();
    let kinds: Vec<&str> = emails.iter().map(|notice| text(&notice["kind"])).collect();
    assert_eq!(
        kinds,
        [
            "invoice.issued",
            "instance.expired",
            "instance.release_warning_sent"
        ],
        "{notices}"
    );
    let mail = smtp.wait_for(emails.len()).await;
    assert_eq!(mail.len(), emails.len());
    for notice in &emails {
        let message_id = format!("<{}@tenure>", text(&notice["id"]));
        let received = mail
            .iter()
            .find(|mail| mail.header("Message-ID") == message_id)
            .unwrap_or_else(|| panic!("an email {message_id}: {mail:?}"));
        assert_eq!(received.header("To"), "ada@example.com");
        assert_eq!(received.header("From"), "Billing <billing@example.com>");
        assert_eq!(received.header("Subject"), text(&notice["subject"]));
        assert_eq!(received.body.trim_end(), text(&notice["body"]));
        if notice["kind"] == "invoice.issued" {
            // Its PDF attached (crates/server/tests/api/invoice_emails.rs reads it).
            assert_eq!(received.attachments.len(), 1);
        } else {
            assert!(received.body.contains(&instance_id), "{}", received.body);
        }
    }
    let warning = &emails[2];
    eventually(
        &app,
        &format!("/v1/notifications?account={account_id}&kind=instance.release_warning_sent"),
        |notices| notices["data"][0]["status"] == "sent",
    )
    .await;
    let log = app
        .get(&format!("/v1/deliveries?notice={}", text(&warning["id"])))
        .await;
    assert_eq!(log["data"][0]["channel"], "email");
    assert_eq!(log["data"][0]["recipient"], "ada@example.com");
    assert_eq!(log["data"][0]["attempts"][0]["answer_code"], 250);
}
on_both_backends!(
    notices_by_sms_and_email,
    notices_go_by_sms_and_email_and_are_marked_sent
);

async fn a_notice_on_a_channel_not_configured_is_undeliverable_with_why(backend: Backend) {
    let app = spawn_app_delivering(
        backend,
        "2026-02-10T00:00:00Z",
        delivery(ChannelUrls::default(), DeliveryPolicy::default()),
    )
    .await;
    let account_id = app.funded_account(100_000).await;
    app.buy(&account_id, "message-queue", "basic", "tps-1000", "1M")
        .await;
    app.advance_to("2026-03-03T00:00:00Z").await;
    let reminder = notice(&app, &account_id, "instance.expiry_reminder_sent", "sms").await;
    assert_eq!(reminder["status"], "undeliverable");
    assert_eq!(
        reminder["status_reason"],
        "no SMS gateway is configured (tenure serve --sms-gateway-url)"
    );
    let log = app
        .get(&format!("/v1/deliveries?notice={}", text(&reminder["id"])))
        .await;
    assert_eq!(log["data"], json!([]));
    // A server that sends nothing (no deliverer at all) says the same.
    let quiet = spawn_app(backend, "2026-02-10T00:00:00Z").await;
    let account_id = quiet.funded_account(100_000).await;
    quiet
        .buy(&account_id, "message-queue", "basic", "tps-1000", "1M")
        .await;
    quiet.advance_to("2026-03-03T00:00:00Z").await;
    let reminder = notice(&quiet, &account_id, "instance.expiry_reminder_sent", "sms").await;
    assert_eq!(reminder["status"], "undeliverable");
}

async fn a_delivery_sent_is_not_sent_again_by_a_retry_and_an_unknown_one_is_404(backend: Backend) {
    let receiver = Receiver::start(&[]).await;
    let app = spawn_app_delivering(
        backend,
        "2026-02-10T00:00:00Z",
        delivery(ChannelUrls::default(), DeliveryPolicy::default()),
    )
    .await;
    let (endpoint_id, _) = endpoint(&app, &receiver.url, &["*"]).await;
    app.funded_account(0).await;
    let log = eventually(
        &app,
        &format!("/v1/deliveries?endpoint={endpoint_id}"),
        |log| log["data"][0]["status"] == "sent",
    )
    .await;
    let id = text(&log["data"][0]["id"]);
    let (status, refused) = app
        .post(&format!("/v1/deliveries/{id}/retry"), json!({}))
        .await;
    assert_eq!((status, text(&refused["code"])), (409, "delivery_sent"));
    let (status, _) = app
        .post("/v1/deliveries/dlv_nothing/retry", json!({}))
        .await;
    assert_eq!(status, 404);
    let (status, _) = app.get_status("/v1/deliveries/dlv_nothing").await;
    assert_eq!(status, 404);
    let (status, _) = app.get_status("/v1/deliveries?after=dlv_nothing").await;
    assert_eq!(status, 404);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(receiver.received().len(), 1);

    // A deleted endpoint gets nothing more; what waited for it is given up.
    app.request(
        "DELETE",
        &format!("/v1/webhook-endpoints/{endpoint_id}"),
        None,
        &[],
    )
    .await;
    app.funded_account(0).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(receiver.received().len(), 1);
}

async fn a_receiver_that_never_answers_slows_neither_the_api_nor_the_sweep(backend: Backend) {
    let dead = Receiver::start(&[Answer::Hang; 100]).await;
    let app = spawn_app_delivering(
        backend,
        "2026-02-10T00:00:00Z",
        delivery(ChannelUrls::default(), DeliveryPolicy::default()),
    )
    .await;
    endpoint(&app, &dead.url, &["*"]).await;
    let started = Instant::now();
    let mut accounts = Vec::new();
    for _ in 0..10 {
        accounts.push(app.funded_account(100_000).await);
    }
    for account_id in &accounts {
        app.buy(account_id, "message-queue", "basic", "tps-1000", "1M")
            .await;
    }
    // A month of lifecycle: reminders, expiries, each an event for the dead endpoint.
    app.advance_to("2026-03-20T00:00:00Z").await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?} for 30 requests and a month",
        started.elapsed()
    );
    // At most `concurrency` (4) messages are on their way at once; the rest wait their turn.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(dead.received().len(), 4);
    let pending = app.get("/v1/deliveries?status=pending&limit=1000").await;
    assert!(pending["data"].as_array().unwrap().len() >= 40, "{pending}");
}

on_both_backends!(
    undeliverable_with_why,
    a_notice_on_a_channel_not_configured_is_undeliverable_with_why
);
on_both_backends!(
    sent_not_sent_again,
    a_delivery_sent_is_not_sent_again_by_a_retry_and_an_unknown_one_is_404
);
on_both_backends!(
    dead_receiver_slows_nothing,
    a_receiver_that_never_answers_slows_neither_the_api_nor_the_sweep
);

async fn credentials_in_a_webhook_url_are_used_never_shown(backend: Backend) {
    let receiver = Receiver::start(&[]).await;
    // A port nothing listens on: every attempt fails, and its error names the URL.
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let app = spawn_app_delivering(
        backend,
        "2026-02-10T00:00:00Z",
        delivery(ChannelUrls::default(), DeliveryPolicy::default()),
    )
    .await;
    let with_credentials = receiver.url.replace("http://", "http://ops:s3cret@");
    let (working_id, _) = endpoint(&app, &with_credentials, &["account.created"]).await;
    let unreachable = format!("http://ops:s3cret@127.0.0.1:{closed_port}/hook");
    let (failing_id, _) = endpoint(&app, &unreachable, &["account.created"]).await;
    app.funded_account(0).await;

    // Sending uses them: the receiver is asked with HTTP basic authentication.
    let received = receiver.wait_for(1).await;
    assert_eq!(
        received[0].header("authorization"),
        "Basic b3BzOnMzY3JldA=="
    );
    // The delivery log shows neither password, in the recipient or in an attempt's error.
    let sent = eventually(
        &app,
        &format!("/v1/deliveries?endpoint={working_id}"),
        |log| log["data"][0]["status"] == "sent",
    )
    .await;
    assert_eq!(
        sent["data"][0]["recipient"],
        with_credentials.replace("ops:s3cret@", "ops:***@").as_str()
    );
    let failed = eventually(
        &app,
        &format!("/v1/deliveries?endpoint={failing_id}"),
        |log| {
            log["data"][0]["attempts"]
                .as_array()
                .is_some_and(|attempts| !attempts.is_empty())
        },
    )
    .await;
    let failure = &failed["data"][0];
    assert_eq!(
        failure["recipient"],
        format!("http://ops:***@127.0.0.1:{closed_port}/hook").as_str()
    );
    assert!(failure["attempts"][0]["error"].is_string(), "{failure}");
    for log in [&sent, &failed] {
        assert!(!log.to_string().contains("s3cret"), "{log}");
    }
    let one = app
        .get(&format!("/v1/deliveries/{}", text(&failure["id"])))
        .await;
    assert!(!one.to_string().contains("s3cret"), "{one}");
}
on_both_backends!(
    webhook_credentials_redacted,
    credentials_in_a_webhook_url_are_used_never_shown
);

/// For a day after a rotation every message carries two signatures, the new secret's and the
/// old one's, and a receiver holding either verifies it; past that day only the new secret
/// signs. The day is real time (the sending clock), so it is passed here by moving the old
/// secret's end into the past.
async fn a_rotated_secret_signs_beside_the_new_one_for_a_day(backend: Backend) {
    let receiver = Receiver::start(&[]).await;
    let app = spawn_app_delivering(
        backend,
        "2026-02-10T00:00:00Z",
        delivery(ChannelUrls::default(), DeliveryPolicy::default()),
    )
    .await;
    let (endpoint_id, old_secret) = endpoint(&app, &receiver.url, &["account.created"]).await;
    let rotated = app
        .post_ok(
            &format!("/v1/webhook-endpoints/{endpoint_id}/rotate-secret"),
            json!({}),
        )
        .await;
    let new_secret = text(&rotated["secret"]).to_string();
    let until: jiff::Timestamp = text(&rotated["previous_secret_signs_until"])
        .parse()
        .unwrap();
    let day_ahead = jiff::Timestamp::now() + SignedDuration::from_hours(24);
    assert!(
        (until.as_second() - day_ahead.as_second()).abs() < 60,
        "{rotated}"
    );

    app.funded_account(0).await;
    let received = receiver.wait_for(1).await;
    let message = &received[0];
    assert_eq!(message.header("webhook-signature").split(' ').count(), 2);
    assert!(message.signed_with(&new_secret), "{message:?}");
    assert!(message.signed_with(&old_secret), "{message:?}");

    // A day later (the old secret's end moved a second into the past; signing times are whole
    // seconds): only the new secret signs.
    {
        let mut tx = app.engine.store.begin().await.unwrap();
        tenure_store::database::query(
            "UPDATE webhook_endpoints SET previous_secret_until_ms = $1 WHERE id = $2",
        )
        .bind(jiff::Timestamp::now().as_millisecond() - 1_000)
        .bind(endpoint_id.as_str())
        .execute(&mut tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    app.funded_account(0).await;
    let received = receiver.wait_for(2).await;
    let message = &received[1];
    assert_eq!(message.header("webhook-signature").split(' ').count(), 1);
    assert!(message.signed_with(&new_secret), "{message:?}");
    assert!(!message.signed_with(&old_secret), "{message:?}");
}
on_both_backends!(
    rotated_secret_signs_for_a_day,
    a_rotated_secret_signs_beside_the_new_one_for_a_day
);
