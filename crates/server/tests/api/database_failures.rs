//! A failing database is told from a bug of tenure: a request cut off by a lost connection, or
//! refused by a database that cannot write, answers 503 `busy` with `Retry-After`, never 500;
//! sent again with its key it is done once; and `/healthz` says `degraded` while writes fail.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp, ADMIN_KEY};

/// Ends every connection of the app's server to its database.
async fn terminate_backends(app: &TestApp) {
    let name = app.postgres_database().unwrap().to_string();
    let mut admin = app.postgres_admin().await;
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
    )
    .bind(name)
    .execute(&mut admin)
    .await
    .unwrap();
}

/// A deposit under `key`: its status, its `Retry-After`, its answer.
async fn deposit(
    app: &TestApp,
    account: &str,
    amount: i64,
    key: &str,
) -> (u16, Option<String>, Value) {
    let response = app
        .client
        .post(format!("{}/v1/accounts/{account}/deposits", app.address))
        .bearer_auth(ADMIN_KEY)
        .header("Idempotency-Key", key)
        .json(&json!({ "amount": amount, "method": "transfer" }))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|value| value.to_str().unwrap().to_string());
    (
        status,
        retry_after,
        response.json().await.unwrap_or(Value::Null),
    )
}

/// Clients deposit under keys while the server's connections are terminated again and again:
/// no answer is a 500, every failure is 503 `busy` with `Retry-After`, and every request sent
/// again with its key once the database is back leaves the balance exactly the sum of them.
#[tokio::test]
async fn lost_connections_answer_busy_and_lose_nothing() {
    let app = Arc::new(spawn_app(Backend::Postgres, "2026-02-10T00:00:00Z").await);
    let account = app.funded_account(0).await;
    let stop = Arc::new(AtomicBool::new(false));
    let killer = {
        let (app, stop) = (app.clone(), stop.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(150)).await;
                terminate_backends(&app).await;
            }
        })
    };
    let clients = (0..4).map(|client| {
        let (app, account) = (app.clone(), account.clone());
        tokio::spawn(async move {
            let mut sent = Vec::new();
            for index in 0..40 {
                let key = format!("deposit-{client}-{index}");
                let amount = 100 + client * 1_000 + index;
                let answer = deposit(&app, &account, amount, &key).await;
                sent.push((key, amount, answer));
            }
            sent
        })
    });
    // A reader beside them: a read cut off is a 503 too, never a 500.
    let reader = {
        let (app, account) = (app.clone(), account.clone());
        tokio::spawn(async move {
            let mut statuses = Vec::new();
            for _ in 0..80 {
                let response = app
                    .client
                    .get(format!("{}/v1/accounts/{account}/ledger", app.address))
                    .bearer_auth(ADMIN_KEY)
                    .send()
                    .await
                    .unwrap();
                let retry_after = response.headers().contains_key("retry-after");
                statuses.push((response.status().as_u16(), retry_after));
            }
            statuses
        })
    };
    let mut sent = Vec::new();
    for client in clients {
        sent.extend(client.await.unwrap());
    }
    for (status, retry_after) in reader.await.unwrap() {
        assert!(
            status == 200 || (status == 503 && retry_after),
            "a read answered {status}"
        );
    }
    stop.store(true, Ordering::SeqCst);
    killer.await.unwrap();
    let busy = sent
        .iter()
        .filter(|(_, _, (status, _, _))| *status == 503)
        .count();
    for (key, _, (status, retry_after, answer)) in &sent {
        assert!(*status == 201 || *status == 503, "{key}: {status} {answer}");
        if *status == 503 {
            assert_eq!(answer["code"], "busy", "{key}: {answer}");
            assert!(retry_after.is_some(), "{key}: a 503 says when to try again");
        }
    }
    eprintln!("{} deposits, {busy} answered 503 busy", sent.len());
    // Sent again with their keys: each done once.
    let mut total = 0;
    for (key, amount, (status, _, first)) in &sent {
        let (again, _, answer) = deposit(&app, &account, *amount, key).await;
        assert_eq!(again, 201, "{key}: {answer}");
        if *status == 201 {
            assert_eq!(&answer, first, "{key} replays its answer");
        }
        total += amount;
    }
    assert_eq!(app.account(&account).await["balance_minor"], total);
}

/// While the database refuses writes (switched to read only, as a standby after a failover
/// is), a write answers 503 `busy` and `/healthz` is `degraded`, saying why; once it writes
/// again and a write commits, `/healthz` is `ok`.
#[tokio::test]
async fn healthz_is_degraded_while_writes_fail() {
    let app = spawn_app(Backend::Postgres, "2026-02-10T00:00:00Z").await;
    let account = app.funded_account(0).await;
    let health = app.get("/healthz").await;
    assert_eq!(health["status"], "ok", "{health}");
    assert_eq!(health["writes"]["status"], "ok", "{health}");

    let name = app.postgres_database().unwrap().to_string();
    let mut admin = app.postgres_admin().await;
    let read_only =
        |on: &str| format!("ALTER DATABASE {name} SET default_transaction_read_only = {on}");
    sqlx::query(&read_only("on"))
        .execute(&mut admin)
        .await
        .unwrap();
    // Connections read the setting when they open.
    terminate_backends(&app).await;
    for attempt in 0..3 {
        let (status, retry_after, answer) =
            deposit(&app, &account, 100, &format!("while-read-only-{attempt}")).await;
        assert_eq!(
            (status, answer["code"].as_str()),
            (503, Some("busy")),
            "{answer}"
        );
        assert!(retry_after.is_some());
    }
    let health = app.get("/healthz").await;
    assert_eq!(health["status"], "degraded", "{health}");
    assert_eq!(health["writes"]["status"], "failing", "{health}");
    assert!(
        health["writes"]["last_failure"]
            .as_str()
            .unwrap()
            .contains("read-only"),
        "{health}"
    );
    // And counted where monitoring looks.
    let failures: f64 = app
        .metrics()
        .await
        .lines()
        .find_map(|line| line.strip_prefix("tenure_write_failures_total "))
        .map(|count| count.parse().unwrap())
        .unwrap();
    assert!(failures >= 3.0, "{failures}");

    sqlx::query(&read_only("off"))
        .execute(&mut admin)
        .await
        .unwrap();
    terminate_backends(&app).await;
    let (status, _, answer) = deposit(&app, &account, 100, "after-read-only").await;
    assert_eq!(status, 201, "{answer}");
    let health = app.get("/healthz").await;
    assert_eq!(health["status"], "ok", "{health}");
    assert_eq!(health["writes"]["status"], "ok", "{health}");
    assert!(
        health["writes"]["failures"].as_u64().unwrap() >= 3,
        "{health}"
    );
}
