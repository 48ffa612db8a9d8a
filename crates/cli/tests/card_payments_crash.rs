//! `tenure serve` killed with SIGKILL at random moments while clients top up an account by card
//! through a real server that speaks Stripe's API (localstripe), every request with an
//! Idempotency-Key; restarted on the same database after each kill, every request sent again
//! with its key until it is answered, then left to settle what it never heard back. Checked:
//! no top-up is charged twice at the provider, and what the provider took is exactly what the
//! account was credited (its balance, and tenure's succeeded payments); every key answers the
//! same when sent again. A kill between the provider's answer and tenure's commit, the case
//! this is about, leaves a payment `started` that only the lookup by its id can settle.
//!
//! On SQLite and PostgreSQL.

mod node;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use node::{Node, PostgresDatabase};
use rand::Rng;
use serde_json::json;
use tenure_payments::localstripe::LocalStripe;

/// Top-ups sent fresh in each round, beside the ones a kill left without an answer.
const TOP_UPS: usize = 8;
const KILLS: usize = 6;

fn args(stripe: &LocalStripe) -> Vec<String> {
    [
        "--simulated-clock",
        "2026-03-01T00:00:00Z",
        "--stripe-secret-key",
        "sk_test_crash",
        "--stripe-api-base",
        &stripe.base(),
        // Short, so that a call cut off by a kill is looked up within the test.
        "--stripe-timeout-seconds",
        "2",
        "--payment-settle-interval-seconds",
        "1",
    ]
    .map(str::to_string)
    .to_vec()
}

fn start(database_url: &str, args: &[String]) -> Arc<Node> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Arc::new(Node::start(database_url, &args))
}

/// Every top-up not answered yet, sent at once; the node killed after a random moment.
/// Answers what came back before the kill.
async fn round(
    node: Arc<Node>,
    deposits: &str,
    open: &[(String, i64)],
) -> Vec<(String, u16, String)> {
    let tasks: Vec<_> = open
        .iter()
        .cloned()
        .map(|(key, amount)| {
            let (node, path) = (node.clone(), deposits.to_string());
            tokio::spawn(async move {
                let body = json!({ "amount": amount, "method": "bank_card" });
                node.send("POST", &path, &body, Some(&key))
                    .await
                    .ok()
                    .map(|(status, text)| (key, status, text))
            })
        })
        .collect();
    let pause_ms = rand::thread_rng().gen_range(1..60);
    tokio::time::sleep(Duration::from_millis(pause_ms)).await;
    node.kill();
    let mut answered = Vec::new();
    for task in tasks {
        if let Some(answer) = task.await.unwrap() {
            answered.push(answer);
        }
    }
    answered
}

async fn top_ups_survive_kills(database_url: &str) {
    let stripe = LocalStripe::start().await;
    let args = args(&stripe);
    let mut node = start(database_url, &args);
    let account = node
        .call(
            "POST",
            "/v1/accounts",
            Some(json!({ "name": "Ada", "email": "ada@example.com", "mobile": "+15550100" })),
        )
        .await;
    let account_id = account["id"].as_str().unwrap().to_string();
    let card = stripe.tokenize("4242424242424242").await;
    node.call(
        "POST",
        &format!("/v1/accounts/{account_id}/payment-methods"),
        Some(json!({ "provider_payment_method": card })),
    )
    .await;
    let deposits = format!("/v1/accounts/{account_id}/deposits");
    let mut open: Vec<(String, i64)> = Vec::new();
    let mut answers: HashMap<String, (u16, String)> = HashMap::new();
    let mut cut_off = 0;

    for kill in 0..KILLS {
        open.extend((0..TOP_UPS).map(|index| {
            let number = kill * TOP_UPS + index;
            (format!("top-up-{number}"), 100 + number as i64)
        }));
        let answered = round(node.clone(), &deposits, &open).await;
        cut_off += open.len() - answered.len();
        for (key, status, text) in answered {
            // A 503 (the provider unanswered) or a 409 (a call still in flight) is no answer yet.
            if status != 503 && status != 409 {
                answers.insert(key, (status, text));
            }
        }
        open.retain(|(key, _)| !answers.contains_key(key));
        node = start(database_url, &args);
    }

    // Every request sent again with its key until it is answered.
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut last_said = HashMap::new();
    while !open.is_empty() {
        assert!(Instant::now() < deadline, "unanswered: {last_said:?}");
        for (key, amount) in &open {
            let body = json!({ "amount": amount, "method": "bank_card" });
            let (status, text) = node
                .send("POST", &deposits, &body, Some(key))
                .await
                .unwrap();
            if status != 503 && status != 409 {
                answers.insert(key.clone(), (status, text));
            } else {
                last_said.insert(key.clone(), (status, text));
            }
        }
        open.retain(|(key, _)| !answers.contains_key(key));
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    for (key, (status, text)) in &answers {
        assert!([201, 402].contains(status), "{key}: {status} {text}");
    }
    assert!(
        cut_off > 0,
        "no kill cut a request off: the test proved nothing"
    );

    // What nothing heard back is settled by its lookup.
    let deadline = Instant::now() + Duration::from_secs(60);
    let payments = loop {
        let listed = node
            .call(
                "GET",
                &format!("/v1/payments?account={account_id}&limit=1000"),
                None,
            )
            .await;
        let payments = listed["data"].as_array().unwrap().clone();
        if payments
            .iter()
            .all(|payment| payment["status"] == "succeeded" || payment["status"] == "failed")
        {
            break payments;
        }
        assert!(
            Instant::now() < deadline,
            "payments left unsettled: {payments:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };

    let charges = stripe.list("payment_intents").await;
    let mut attempts_charged = HashMap::new();
    for charge in &charges {
        let attempt = charge["metadata"]["tenure_attempt"]
            .as_str()
            .unwrap()
            .to_string();
        *attempts_charged.entry(attempt).or_insert(0) += 1;
    }
    assert!(
        attempts_charged.values().all(|count| *count == 1),
        "a payment charged twice: {attempts_charged:?}"
    );
    let taken_minor: i64 = charges
        .iter()
        .filter(|charge| charge["status"] == "succeeded")
        .map(|charge| charge["amount"].as_i64().unwrap())
        .sum();
    let credited_minor: i64 = payments
        .iter()
        .filter(|payment| payment["status"] == "succeeded")
        .map(|payment| payment["amount_minor"].as_i64().unwrap())
        .sum();
    let balance = node
        .call("GET", &format!("/v1/accounts/{account_id}"), None)
        .await["balance_minor"]
        .as_i64()
        .unwrap();
    assert_eq!(
        taken_minor, credited_minor,
        "what the provider took is what tenure credited"
    );
    assert_eq!(balance, credited_minor);
    assert!(balance > 0, "some top-up got through");

    // Every key answers as it did.
    for (key, (status, text)) in &answers {
        let amount = 100 + key.trim_start_matches("top-up-").parse::<i64>().unwrap();
        let body = json!({ "amount": amount, "method": "bank_card" });
        let again = node
            .send("POST", &deposits, &body, Some(key))
            .await
            .unwrap();
        assert_eq!(&again, &(*status, text.clone()), "{key}");
    }
    node.kill();
}

#[tokio::test]
async fn sqlite() {
    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", folder.path().join("crash.db").display());
    top_ups_survive_kills(&url).await;
}

#[tokio::test]
async fn postgres() {
    let database = PostgresDatabase::create("tenure_card_crash", true).await;
    top_ups_survive_kills(&database.url).await;
    database.drop().await;
}
