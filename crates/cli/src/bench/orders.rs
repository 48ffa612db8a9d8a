//! Purchases through the HTTP API on loopback: every answered order is committed (SQLite in WAL
//! with the log fsynced before any answer).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::json;
use tenure_core::catalog::default_catalog;
use tenure_server::{Application, Settings};

use super::ceiling::Ceiling;
use super::loopback::LoopbackClient;
use super::statements::Breakdown;
use super::{percentile, progress, rate, scratch_database, BenchOptions, Spread};

pub(super) const KEY: &str = "bench-operator-key";

/// The client levels, each measured `--runs` times.
const CLIENT_LEVELS: [usize; 3] = [1, 8, 64];

/// The measured runs [`run`] makes.
pub fn runs(options: &BenchOptions) -> u64 {
    CLIENT_LEVELS.len() as u64 * options.runs
}

pub async fn run(options: &BenchOptions, ceiling: Option<&Ceiling>) -> anyhow::Result<()> {
    println!("## Orders through HTTP\n");
    println!("Purchases (`POST /v1/instances`, paid from the balance) for {} s per level, each client on its own account; each level run {} times, on a fresh database each: medians, with the range in brackets.\n", options.orders_seconds, options.runs);
    println!("| clients | orders (median run) | orders/s | ÷ one-commit ceiling (its connections) | p50 latency (ms) | p99 latency (ms) |");
    println!("|---|---|---|---|---|---|");
    let mut breakdowns = Vec::new();
    for clients in CLIENT_LEVELS {
        let mut breakdown = Breakdown::new(options);
        let mut orders = Spread::default();
        let mut rates = Spread::default();
        let (mut p50, mut p99) = (Spread::default(), Spread::default());
        for run in 1..=options.runs {
            progress::measuring(format!(
                "orders: {clients} client{}, run {run} of {}",
                if clients == 1 { "" } else { "s" },
                options.runs
            ));
            let (latencies, elapsed) = orders_once(options, clients, &mut breakdown).await?;
            progress::measured();
            orders.add(latencies.len() as f64);
            rates.add(rate(latencies.len() as u64, elapsed));
            p50.add(percentile(&latencies, 0.5).as_secs_f64() * 1000.0);
            p99.add(percentile(&latencies, 0.99).as_secs_f64() * 1000.0);
        }
        let multiple = ceiling.map_or("—".to_string(), |ceiling| {
            let (connections, one_row_per_commit) = ceiling.one_row_per_commit_for(clients);
            format!(
                "{} ({connections})",
                Ceiling::multiple(rates.median(), one_row_per_commit)
            )
        });
        println!(
            "| {clients} | {:.0} | {} | {multiple} | {} | {} |",
            orders.median(),
            rates.show(0),
            p50.show(2),
            p99.show(2)
        );
        breakdowns.push((clients, breakdown));
    }
    println!();
    for (clients, breakdown) in breakdowns {
        breakdown.print(&format!(
            "Statements of the orders at {clients} clients ({} runs)",
            options.runs
        ));
    }
    Ok(())
}

/// `clients` buying for the configured time on a fresh server and database: every answered
/// purchase's latency, sorted, and how long the whole took. The purchases' statements go to
/// `breakdown`.
async fn orders_once(
    options: &BenchOptions,
    clients: usize,
    breakdown: &mut Breakdown,
) -> anyhow::Result<(Vec<Duration>, Duration)> {
    let scratch = scratch_database(options).await?;
    let mut addresses = Vec::new();
    let mut servers = Vec::new();
    for _ in 0..options.node_count() {
        let (address, server) = start_server(&scratch.url, options.connections_per_node()).await?;
        addresses.push(address);
        servers.push(server);
    }
    let connections = funded_clients(&addresses, clients).await?;
    breakdown.begin();
    let deadline = Instant::now() + Duration::from_secs(options.orders_seconds);
    let mut tasks = Vec::new();
    for (client, account_id) in connections {
        tasks.push(tokio::spawn(purchase_until(client, account_id, deadline)));
    }
    let started = Instant::now();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??.into_iter().map(|(_, latency)| latency));
    }
    let elapsed = started.elapsed();
    breakdown.add_timed();
    latencies.sort();
    for server in servers {
        server.abort();
    }
    scratch.remove().await?;
    Ok((latencies, elapsed))
}

/// Starts a server on `database_url` with the default catalog and a simulated clock from the
/// start of 2026, on a port of its own, opening at most `max_connections` to PostgreSQL.
pub(super) async fn start_server(
    database_url: &str,
    max_connections: u32,
) -> anyhow::Result<(SocketAddr, tokio::task::JoinHandle<std::io::Result<()>>)> {
    // Migrated first, as `tenure migrate` would: served PostgreSQL is not migrated by serve.
    tenure_store::Store::connect(database_url)
        .await?
        .close()
        .await;
    let settings = Settings {
        database_url: database_url.to_string(),
        database_max_connections: max_connections,
        listen: "127.0.0.1:0".parse()?,
        simulated_clock: Some("2026-01-01T00:00:00Z".parse()?),
        clock: tenure_server::ClockChoice::Database,
        admin_key: KEY.into(),
        catalog: default_catalog(),
        sweep_interval: Duration::from_secs(3600),
        ledger_audit_interval: Duration::from_secs(3600),
        sequential_ids: false,
        // As served: the deliverer runs beside the API (with no channel, it only looks).
        delivery: Some(Default::default()),
        limits: Default::default(),
        console: Default::default(),
        card_payments: None,
    };
    let application = Application::build(settings).await?;
    let address: SocketAddr = format!("127.0.0.1:{}", application.port()).parse()?;
    Ok((address, tokio::spawn(application.run_until_stopped())))
}

/// `clients` connections, spread over the servers at `addresses` in turn, each with an account
/// of its own holding enough for any benchmark.
pub(super) async fn funded_clients(
    addresses: &[SocketAddr],
    clients: usize,
) -> anyhow::Result<Vec<(LoopbackClient, String)>> {
    let mut connections = Vec::new();
    for index in 0..clients {
        let address = addresses[index % addresses.len()];
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
    Ok(connections)
}

/// Buys a monthly message queue for `account_id` again and again until `deadline`: when each
/// purchase was sent, and how long it took to be answered.
pub(super) async fn purchase_until(
    mut client: LoopbackClient,
    account_id: String,
    deadline: Instant,
) -> anyhow::Result<Vec<(Instant, Duration)>> {
    let body = json!({ "account": account_id, "product": "message-queue", "edition": "basic",
        "spec": "tps-1000", "region": "us-east-1", "period": "1M" })
    .to_string();
    let mut latencies = Vec::new();
    while Instant::now() < deadline {
        let started = Instant::now();
        let answer = client.post("/v1/instances", body.as_bytes()).await?;
        anyhow::ensure!(
            answer.status == 201,
            "a purchase answered {}: {}",
            answer.status,
            String::from_utf8_lossy(&answer.body)
        );
        latencies.push((started, started.elapsed()));
    }
    Ok(latencies)
}
