//! Purchases through HTTP while a large sweep runs: how long a request waits for SQLite's one
//! writer when the lifecycle sweep holds it. The sweep commits early whenever another
//! transaction waits (`Tx::should_commit`), so a purchase should wait for one batch at most.

use std::time::{Duration, Instant};

use jiff::Timestamp;
use serde_json::json;
use tenure_core::catalog::default_catalog;
use tenure_store::Store;

use super::fleet::{load, FleetShape};
use super::loopback::LoopbackClient;
use super::orders::{funded_clients, purchase_until, start_server, KEY};
use super::{percentile, progress, scratch_database, BenchOptions};

/// Clients buying while the sweep runs.
const CLIENTS: usize = 8;
/// Days the simulated clock is advanced by: about a twelfth of the fleet's expiries, and their
/// reminders, fall due.
const ADVANCE_DAYS: u32 = 30;

pub async fn run(options: &BenchOptions) -> anyhow::Result<()> {
    println!("## Orders while the sweep runs\n");
    let fleet = options.busy_fleet;
    println!(
        "A fleet of {fleet} (as in the sweep benchmark) on a server; {CLIENTS} clients buy for {} s; one second in, \
         the simulated clock is advanced {ADVANCE_DAYS} days, which takes that month's steps.\n",
        options.orders_seconds
    );
    progress::measuring(format!("busy: orders while a fleet of {fleet} is swept"));
    progress::phase("loading the fleet");
    let scratch = scratch_database(options).await?;
    let start: Timestamp = "2026-01-01T00:00:00Z".parse()?;
    let store = Store::connect(&scratch.url).await?;
    let shape = FleetShape::manual_renewal(fleet);
    load(&store, &default_catalog(), &shape, start).await?;
    store.close().await;

    progress::phase("orders and the sweep");
    let (address, server) =
        start_server(&scratch.url, tenure_store::DEFAULT_MAX_CONNECTIONS).await?;
    let connections = funded_clients(&[address], CLIENTS).await?;
    let deadline = Instant::now() + Duration::from_secs(options.orders_seconds.max(3));
    let buyers: Vec<_> = connections
        .into_iter()
        .map(|(client, account_id)| tokio::spawn(purchase_until(client, account_id, deadline)))
        .collect();

    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut operator = LoopbackClient::connect(address, KEY).await?;
    let advance_began = Instant::now();
    let advanced = operator
        .post(
            "/v1/clock/advance",
            json!({ "by": format!("P{ADVANCE_DAYS}D") })
                .to_string()
                .as_bytes(),
        )
        .await?;
    let advance_took = advance_began.elapsed();
    anyhow::ensure!(
        advanced.status == 200,
        "the advance answered {}: {}",
        advanced.status,
        String::from_utf8_lossy(&advanced.body)
    );
    let steps = advanced.json()?["steps_taken"].as_u64().unwrap_or_default();

    let mut during = Vec::new();
    let mut outside = Vec::new();
    for buyer in buyers {
        for (sent, latency) in buyer.await?? {
            // A purchase overlaps the sweep if it was answered after the sweep began and sent
            // before it ended.
            if sent + latency > advance_began && sent < advance_began + advance_took {
                during.push(latency);
            } else {
                outside.push(latency);
            }
        }
    }
    during.sort();
    outside.sort();
    println!("| sweep: steps, s | purchases during it: count, p50, p99, max | purchases before and after: count, p50, p99 |");
    println!("|---|---|---|");
    let milliseconds = |latency: Duration| latency.as_secs_f64() * 1000.0;
    println!(
        "| {steps}, {:.2} | {}, {:.2} ms, {:.2} ms, {:.2} ms | {}, {:.2} ms, {:.2} ms |\n",
        advance_took.as_secs_f64(),
        during.len(),
        milliseconds(percentile(&during, 0.5)),
        milliseconds(percentile(&during, 0.99)),
        milliseconds(during.last().copied().unwrap_or_default()),
        outside.len(),
        milliseconds(percentile(&outside, 0.5)),
        milliseconds(percentile(&outside, 0.99)),
    );
    server.abort();
    scratch.remove().await?;
    progress::measured();
    Ok(())
}
