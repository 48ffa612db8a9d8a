//! A delivery survives a crash between its commit and its send: `tenure serve` is SIGKILLed
//! while a webhook message is on its way (the receiver holds the request open), and after the
//! restart the same message, with the same `webhook-id`, goes out once the dead server's lease
//! on it has run out. On SQLite and on PostgreSQL.

mod node;
// The API tests' receiver; this test uses part of it.
#[allow(dead_code)]
#[path = "../../server/tests/api/receiver.rs"]
mod receiver;

use std::time::{Duration, Instant};

use node::Node;
use receiver::{Answer, Receiver};
use serde_json::json;

/// Starts `tenure serve` on `database_url`, attempts timing out after 1 s (so a claim's lease
/// is 3 s).
fn serve(database_url: &str) -> Node {
    Node::start(
        database_url,
        &[
            "--simulated-clock",
            "2026-02-10T00:00:00Z",
            "--delivery-timeout-seconds",
            "1",
            "--delivery-poll-interval-ms",
            "20",
        ],
    )
}

async fn a_message_committed_but_not_sent_goes_out_after_a_sigkill(database_url: &str) {
    // The first request is held open: the server dies while sending it.
    let receiver = Receiver::start(&[Answer::Hang]).await;
    let first = serve(database_url);
    let endpoint = first
        .call(
            "POST",
            "/v1/webhook-endpoints",
            Some(json!({ "url": receiver.url, "events": ["account.created"] })),
        )
        .await;
    let secret = endpoint["secret"].as_str().unwrap().to_string();
    let account = first
        .call(
            "POST",
            "/v1/accounts",
            Some(json!({ "name": "Ada", "email": "ada@example.com", "mobile": "+15550100" })),
        )
        .await;
    let on_its_way = receiver.wait_for(1).await;
    first.kill();
    let killed_at = Instant::now();

    let second = serve(database_url);
    let received = receiver.wait_for(2).await;
    // Not before the dead server's claim ran out (3 s after it claimed, shortly before the kill).
    assert!(
        killed_at.elapsed() >= Duration::from_secs(2),
        "{received:?}"
    );
    let id = on_its_way[0].header("webhook-id");
    assert_eq!(received[1].header("webhook-id"), id);
    assert!(received[1].signed_with(&secret));
    assert_eq!(received[1].json()["data"]["name"], "Ada");
    let events = second
        .call(
            "GET",
            &format!("/v1/events?account={}", account["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(events["data"][0]["id"], id);

    // Sent once it was answered: one attempt recorded (the killed one never was), 200.
    let deadline = Instant::now() + Duration::from_secs(20);
    let log = loop {
        let log = second.call("GET", "/v1/deliveries", None).await;
        if log["data"][0]["status"] == "sent" {
            break log;
        }
        assert!(Instant::now() < deadline, "{log}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(log["data"].as_array().unwrap().len(), 1);
    assert_eq!(log["data"][0]["attempts"][0]["answer_code"], 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), 2);
}

#[tokio::test]
async fn on_sqlite() {
    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", folder.path().join("tenure.db").display());
    a_message_committed_but_not_sent_goes_out_after_a_sigkill(&url).await;
}

#[tokio::test]
async fn on_postgres() {
    let database = node::PostgresDatabase::create("tenure_crash", true).await;
    a_message_committed_but_not_sent_goes_out_after_a_sigkill(&database.url).await;
    database.drop().await;
}
