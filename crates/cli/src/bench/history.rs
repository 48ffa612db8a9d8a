//! An account's own requests as its history grows: one account buys 100, then 2,000, then
//! 8,000 monthly subscriptions through the API, and at each size a deposit, the account's
//! view, a ledger page of 50 and the 30-day forecast are each timed (medians). A request that
//! sums the account's whole history grows with it; the goal is each within twice its cost at
//! 100 orders.

use std::time::{Duration, Instant};

use serde_json::json;

use super::orders::{funded_clients, start_server};
use super::{median, progress, scratch_database, BenchOptions};

/// The account's sizes, in orders, each measured in turn.
const SIZES: [usize; 3] = [100, 2_000, 8_000];

/// Requests of each kind timed at each size; the median is reported.
const REQUESTS: usize = 30;

pub fn runs(_options: &BenchOptions) -> u64 {
    SIZES.len() as u64
}

pub async fn run(options: &BenchOptions) -> anyhow::Result<()> {
    println!("## An account's requests as its history grows\n");
    println!(
        "One account buys monthly subscriptions through the API; at each size, medians of {REQUESTS} of each request (ms). Goal: each at 8,000 orders within 2× its cost at 100.\n"
    );
    let scratch = scratch_database(options).await?;
    let (address, server) = start_server(&scratch.url, options.connections_per_node()).await?;
    let (mut client, account_id) = funded_clients(&[address], 1)
        .await?
        .pop()
        .ok_or_else(|| anyhow::anyhow!("no client"))?;
    let requests: [(&str, String); 4] = [
        ("deposit", format!("/v1/accounts/{account_id}/deposits")),
        ("account", format!("/v1/accounts/{account_id}")),
        (
            "ledger page of 50",
            format!("/v1/accounts/{account_id}/ledger?limit=50"),
        ),
        (
            "forecast, 30 days",
            format!("/v1/accounts/{account_id}/forecast?days=30"),
        ),
    ];
    let purchase = json!({ "account": account_id, "product": "message-queue", "edition": "basic",
        "spec": "tps-1000", "region": "us-east-1", "period": "1M" })
    .to_string();
    let deposit = json!({ "amount": 1, "method": "transfer" }).to_string();
    let mut bought = 0;
    let mut medians: Vec<Vec<Duration>> = vec![Vec::new(); requests.len()];
    for size in SIZES {
        progress::measuring(format!("history: an account of {size} orders"));
        progress::phase("buying");
        while bought < size {
            let answer = client.post("/v1/instances", purchase.as_bytes()).await?;
            anyhow::ensure!(
                answer.status == 201,
                "a purchase answered {}",
                answer.status
            );
            bought += 1;
        }
        progress::phase("requests");
        for ((name, path), medians) in requests.iter().zip(medians.iter_mut()) {
            let mut times = Vec::with_capacity(REQUESTS);
            for _ in 0..REQUESTS {
                let started = Instant::now();
                let answer = if *name == "deposit" {
                    client.post(path, deposit.as_bytes()).await?
                } else {
                    client.get(path).await?
                };
                anyhow::ensure!(answer.status < 300, "{name} answered {}", answer.status);
                times.push(started.elapsed());
            }
            medians.push(median(times));
        }
        progress::measured();
    }
    server.abort();
    scratch.remove().await?;
    print_table(&requests.map(|(name, _)| name), &medians);
    Ok(())
}

fn print_table(names: &[&str], medians: &[Vec<Duration>]) {
    let sizes: Vec<String> = SIZES.iter().map(|size| format!("{size} orders")).collect();
    println!(
        "| request | {} | at {} ÷ at {} |",
        sizes.join(" | "),
        SIZES[SIZES.len() - 1],
        SIZES[0]
    );
    println!("|---|{}---|", "---|".repeat(SIZES.len()));
    for (name, times) in names.iter().zip(medians) {
        let cells: Vec<String> = times
            .iter()
            .map(|time| format!("{:.2}", time.as_secs_f64() * 1000.0))
            .collect();
        let growth = match (times.first(), times.last()) {
            (Some(first), Some(last)) if !first.is_zero() => {
                format!("{:.2}×", last.as_secs_f64() / first.as_secs_f64())
            }
            _ => "—".to_string(),
        };
        println!("| {name} | {} | {growth} |", cells.join(" | "));
    }
    println!();
}
