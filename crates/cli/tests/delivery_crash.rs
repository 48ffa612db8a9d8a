//! A delivery survives a crash between its commit and its send: `tenure serve` is SIGKILLed
//! while a webhook message is on its way (the receiver holds the request open), and after the
//! restart the same message, with the same `webhook-id`, goes out once the dead server's lease
//! on it has run out. On SQLite and on PostgreSQL.

// The API tests' receiver; this test uses part of it.
#[allow(dead_code)]
#[path = "../../server/tests/api/receiver.rs"]
mod receiver;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use receiver::{Answer, Receiver};
use serde_json::{json, Value};
use sqlx::Connection;

const KEY: &str = "crash-test-operator-key";

struct Server {
    child: Child,
    address: String,
}

/// Starts `tenure serve` on `database_url`, attempts timing out after 1 s (so a claim's lease
/// is 3 s), and waits for it to listen.
fn serve(database_url: &str) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tenure"))
        .args(["serve", "--db", database_url, "--listen", "127.0.0.1:0"])
        .args(["--simulated-clock", "2026-02-10T00:00:00Z"])
        .args(["--delivery-timeout-seconds", "1"])
        .args(["--delivery-poll-interval-ms", "20"])
        .env("TENURE_ADMIN_KEY", KEY)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let address = loop {
        let line = lines
            .next()
            .expect("the server says where it listens")
            .unwrap();
        if let Some((_, rest)) = line.split_once("tenure listening on ") {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    // Keep reading its log, so that it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server { child, address }
}

async fn call(server: &Server, method: &str, path: &str, body: Option<Value>) -> Value {
    let client = reqwest::Client::new();
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = client
        .request(method, format!("{}{path}", server.address))
        .bearer_auth(KEY);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let response = request.send().await.unwrap();
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    serde_json::from_str(&response.text().await.unwrap()).unwrap()
}

async fn a_message_committed_but_not_sent_goes_out_after_a_sigkill(database_url: &str) {
    // The first request is held open: the server dies while sending it.
    let receiver = Receiver::start(&[Answer::Hang]).await;
    let mut first = serve(database_url);
    let endpoint = call(
        &first,
        "POST",
        "/v1/webhook-endpoints",
        Some(json!({ "url": receiver.url, "events": ["account.created"] })),
    )
    .await;
    let secret = endpoint["secret"].as_str().unwrap().to_string();
    let account = call(
        &first,
        "POST",
        "/v1/accounts",
        Some(json!({ "name": "Ada", "email": "ada@example.com", "mobile": "+15550100" })),
    )
    .await;
    let on_its_way = receiver.wait_for(1).await;
    first.child.kill().unwrap(); // SIGKILL
    first.child.wait().unwrap();
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
    let events = call(
        &second,
        "GET",
        &format!("/v1/events?account={}", account["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(events["data"][0]["id"], id);

    // Sent once it was answered: one attempt recorded (the killed one never was), 200.
    let deadline = Instant::now() + Duration::from_secs(20);
    let log = loop {
        let log = call(&second, "GET", "/v1/deliveries", None).await;
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
    let mut second = second;
    second.child.kill().unwrap();
    second.child.wait().unwrap();
}

#[tokio::test]
async fn on_sqlite() {
    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", folder.path().join("tenure.db").display());
    a_message_committed_but_not_sent_goes_out_after_a_sigkill(&url).await;
}

#[tokio::test]
async fn on_postgres() {
    let admin_url = std::env::var("TENURE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string());
    let name = format!("tenure_crash_{:016x}", rand::random::<u64>());
    let mut connection = sqlx::PgConnection::connect(&admin_url).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut connection)
        .await
        .unwrap();
    let base = admin_url.rsplit_once('/').unwrap().0;
    let url = format!("{base}/{name}");
    // A server on PostgreSQL serves only a schema `tenure migrate` brought to its version.
    let migrated = Command::new(env!("CARGO_BIN_EXE_tenure"))
        .args(["migrate", "--db", &url])
        .output()
        .unwrap();
    assert!(migrated.status.success(), "{migrated:?}");
    a_message_committed_but_not_sent_goes_out_after_a_sigkill(&url).await;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut connection)
        .await
        .unwrap();
}
