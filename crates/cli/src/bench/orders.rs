//! Purchases through the HTTP API on loopback: every answered order is committed (SQLite in WAL
//! with the log fsynced before any answer).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::json;
use tenure_core::catalog::default_catalog;
use tenure_server::{Application, Settings};

use super::loopback::LoopbackClient;
use super::{percentile, rate, scratch_database, BenchOptions};

const KEY: &str = "bench-operator-key";

pub async fn run(options: &BenchOptions) -> anyhow::Result<()> {
    println!("## Orders through HTTP\n");
    println!("Purchases (`POST /v1/instances`, paid from the balance) for {} s per level, each client on its own account.\n", options.orders_seconds);
    println!("| clients | orders | orders/s | p50 latency | p99 latency |");
    println!("|---|---|---|---|---|");
    for clients in [1usize, 8, 64] {
        let scratch = scratch_database(options).await?;
        let settings = Settings {
            database_url: scratch.url.clone(),
            listen: "127.0.0.1:0".parse()?,
            simulated_clock: Some("2026-01-01T00:00:00Z".parse()?),
            admin_key: KEY.into(),
            catalog: default_catalog(),
            sweep_interval: Duration::from_secs(3600),
            sequential_ids: false,
        };
        let application = Application::build(settings).await?;
        let address: SocketAddr = format!("127.0.0.1:{}", application.port()).parse()?;
        let server = tokio::spawn(application.run_until_stopped());
        let mut connections = Vec::new();
        for index in 0..clients {
            let mut client = LoopbackClient::connect(address, KEY).await?;
            let account = client
                .post("/v1/accounts", json!({ "name": format!("Bench {index}"), "email": "bench@example.com", "mobile": "+15550100" }).to_string().as_bytes())
                .await?;
            anyhow::ensure!(
                account.status == 201,
                "opening an account answered {}",
                account.status
            );
            let account_id = account.json()?["id"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let deposit = client
                .post(
                    &format!("/v1/accounts/{account_id}/deposits"),
                    json!({ "amount": 1_000_000_000_000i64, "method": "transfer" })
                        .to_string()
                        .as_bytes(),
                )
                .await?;
            anyhow::ensure!(
                deposit.status < 300,
                "a deposit answered {}",
                deposit.status
            );
            connections.push((client, account_id));
        }
        let deadline = Instant::now() + Duration::from_secs(options.orders_seconds);
        let mut tasks = Vec::new();
        for (mut client, account_id) in connections {
            tasks.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                let body =
                    json!({ "account": account_id, "product": "message-queue", "edition": "basic",
                    "spec": "tps-1000", "region": "us-east-1", "period": "1M" })
                    .to_string();
                while Instant::now() < deadline {
                    let started = Instant::now();
                    match client.post("/v1/instances", body.as_bytes()).await {
                        Ok(answer) if answer.status == 201 => latencies.push(started.elapsed()),
                        Ok(answer) => panic!(
                            "purchase answered {}: {}",
                            answer.status,
                            String::from_utf8_lossy(&answer.body)
                        ),
                        Err(error) => panic!("purchase failed: {error}"),
                    }
                }
                latencies
            }));
        }
        let started = Instant::now();
        let mut latencies = Vec::new();
        for task in tasks {
            latencies.extend(task.await?);
        }
        let elapsed = started.elapsed();
        latencies.sort();
        println!(
            "| {clients} | {} | {:.0} | {:.2} ms | {:.2} ms |",
            latencies.len(),
            rate(latencies.len() as u64, elapsed),
            percentile(&latencies, 0.5).as_secs_f64() * 1000.0,
            percentile(&latencies, 0.99).as_secs_f64() * 1000.0
        );
        server.abort();
        scratch.remove().await?;
    }
    println!();
    Ok(())
}
