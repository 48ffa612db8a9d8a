//! Several `tenure serve` nodes on one PostgreSQL database share the lifecycle. 10,000
//! instances bought together have their auto-renewal deductions fall due together, and then
//! their expiries; the clock is advanced on one node, and every step must happen exactly once
//! (events, orders, deduction attempts, the ledger), with the webhook of each expiry sent once.
//! Then the same with the advancing node SIGKILLed mid-run: the others take what it held, the
//! client sends its advance again to another node, and nothing is lost or doubled.

mod node;
#[allow(dead_code)]
#[path = "../../server/tests/api/receiver.rs"]
mod receiver;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use node::{Node, PostgresDatabase, KEY};
use receiver::Receiver;
use serde_json::json;
use sqlx::{Connection, PgConnection, Row};

const START: &str = "2026-03-01T00:00:00Z";
/// A month after START: every instance's expiry.
const EXPIRY: &str = "2026-04-01T00:00:00Z";
/// A day past it: the deductions (three days before expiry) and the expiries are behind.
const ADVANCE_TO: &str = "2026-04-02T00:00:00Z";
const ACCOUNTS: usize = 100;
const INSTANCES_PER_ACCOUNT: usize = 100;
/// IoT platform Enterprise `units-10` for a month.
const MONTH_MINOR: i64 = 30_000;
/// Enough for every purchase and every renewal of an account's instances.
const DEPOSIT_MINOR: i64 = 2 * MONTH_MINOR * INSTANCES_PER_ACCOUNT as i64;

/// Three nodes on `url`, sweeping every second.
fn start_nodes(url: &str) -> [Node; 3] {
    let args = [
        "--simulated-clock",
        START,
        "--sweep-interval-seconds",
        "1",
        "--delivery-poll-interval-ms",
        "50",
        // Three nodes, the test's connections and the others' tests within the server's 100.
        "--db-max-connections",
        "16",
    ];
    [
        Node::start(url, &args),
        Node::start(url, &args),
        Node::start(url, &args),
    ]
}

/// The lifecycle steps `node` took, by its sweeps and advances, from `/metrics`.
async fn steps_taken(client: &reqwest::Client, node: &Node) -> u64 {
    let metrics = client
        .get(format!("{}/metrics", node.address))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    metrics
        .lines()
        .find_map(|line| line.strip_prefix("tenure_lifecycle_steps_total "))
        .map_or(0, |value| value.trim().parse().unwrap())
}

/// 100 funded accounts with 100 instances each, bought through all three nodes at once: half
/// renew themselves (their first deduction is three days before expiry), half expire.
/// Returns the ids of each half.
async fn buy_fleet(nodes: &[Node]) -> (Vec<String>, Vec<String>) {
    use futures_util::StreamExt;
    let accounts: Vec<String> = futures_util::stream::iter(0..ACCOUNTS)
        .map(|index| {
            let node = &nodes[index % nodes.len()];
            async move {
                let account = node.call("POST", "/v1/accounts", Some(json!({ "name": format!("Account {index}"), "email": "ops@example.com", "mobile": "+15550100" }))).await;
                let id = account["id"].as_str().unwrap().to_string();
                node.call("POST", &format!("/v1/accounts/{id}/deposits"), Some(json!({ "amount": DEPOSIT_MINOR, "method": "bank_card" }))).await;
                id
            }
        })
        .buffered(16)
        .collect()
        .await;
    let purchases = accounts.iter().enumerate().flat_map(|(a, account)| {
        (0..INSTANCES_PER_ACCOUNT).map(move |i| (a * INSTANCES_PER_ACCOUNT + i, account.clone()))
    });
    let bought: Vec<(bool, String)> = futures_util::stream::iter(purchases)
        .map(|(index, account)| {
            let node = &nodes[index % nodes.len()];
            let auto_renew = index % 2 == 0;
            async move {
                let mut body = json!({ "account": account, "product": "iot-platform", "edition": "enterprise",
                                       "spec": "units-10", "region": "us-east-1", "period": "1M" });
                if auto_renew {
                    body["auto_renew"] = json!({ "period": "1M" });
                }
                let bought = node.call("POST", "/v1/instances", Some(body)).await;
                (auto_renew, bought["instance"]["id"].as_str().unwrap().to_string())
            }
        })
        .buffer_unordered(48)
        .collect()
        .await;
    let (renewing, expiring): (Vec<_>, Vec<_>) = bought.into_iter().partition(|(auto, _)| *auto);
    (
        renewing.into_iter().map(|(_, id)| id).collect(),
        expiring.into_iter().map(|(_, id)| id).collect(),
    )
}

/// How many rows of `sql` (selecting `instance_id`) each instance has.
async fn per_instance(db: &mut PgConnection, sql: &str) -> HashMap<String, i64> {
    sqlx::query(&format!(
        "SELECT instance_id, count(*) AS n FROM ({sql}) AS rows GROUP BY instance_id"
    ))
    .fetch_all(db)
    .await
    .unwrap()
    .into_iter()
    .map(|row| (row.get("instance_id"), row.get("n")))
    .collect()
}

fn assert_once(counts: &HashMap<String, i64>, ids: &[String], what: &str) {
    for id in ids {
        assert_eq!(counts.get(id), Some(&1), "{what} of {id}");
    }
    assert_eq!(
        counts.len(),
        ids.len(),
        "{what}: only of the instances expected"
    );
}

/// Every step happened exactly once, and the money agrees.
async fn assert_each_step_once(db: &mut PgConnection, renewing: &[String], expiring: &[String]) {
    let renewed = per_instance(
        db,
        "SELECT instance_id FROM events WHERE kind = 'instance.renewed'",
    )
    .await;
    assert_once(&renewed, renewing, "instance.renewed");
    let orders = per_instance(
        db,
        "SELECT instance_id FROM orders WHERE kind = 'auto_renewal'",
    )
    .await;
    assert_once(&orders, renewing, "auto-renewal order");
    let attempts = per_instance(db, "SELECT instance_id FROM deduction_attempts").await;
    assert_once(&attempts, renewing, "deduction attempt");
    let expired = per_instance(
        db,
        "SELECT instance_id FROM events WHERE kind = 'instance.expired'",
    )
    .await;
    assert_once(&expired, expiring, "instance.expired");
    let statuses: Vec<(String, i64)> =
        sqlx::query("SELECT status, count(*) AS n FROM instances GROUP BY status ORDER BY status")
            .fetch_all(&mut *db)
            .await
            .unwrap()
            .into_iter()
            .map(|row| (row.get("status"), row.get("n")))
            .collect();
    assert_eq!(
        statuses,
        [
            ("active".to_string(), renewing.len() as i64),
            ("expired".to_string(), expiring.len() as i64)
        ]
    );
    // The ledger sums to zero, entry by entry, and each account's balance is its deposit less
    // what its orders took from it: 100 purchases and 50 renewals.
    let unbalanced: i64 = sqlx::query(
        "SELECT count(*) AS n FROM (SELECT entry_id FROM ledger_postings GROUP BY entry_id
         HAVING sum(amount_minor) <> 0) AS entries",
    )
    .fetch_one(&mut *db)
    .await
    .unwrap()
    .get("n");
    assert_eq!(unbalanced, 0);
    let expected_balance = DEPOSIT_MINOR - MONTH_MINOR * (INSTANCES_PER_ACCOUNT as i64 * 3 / 2);
    let balances: Vec<(i64, i64)> = sqlx::query(
        "SELECT funds.balance_minor, (SELECT sum(paid_balance_minor) FROM orders
         WHERE orders.account_id = funds.account_id)::BIGINT AS paid FROM account_funds AS funds",
    )
    .fetch_all(&mut *db)
    .await
    .unwrap()
    .into_iter()
    .map(|row| (row.get("balance_minor"), row.get("paid")))
    .collect();
    assert_eq!(balances.len(), ACCOUNTS);
    for (balance, paid) in balances {
        assert_eq!(
            (balance, paid),
            (expected_balance, DEPOSIT_MINOR - expected_balance)
        );
    }
}

async fn steps_left(db: &mut PgConnection) -> i64 {
    sqlx::query(
        "SELECT count(*) AS n FROM instances, simulated_clock WHERE next_due_at <= simulated_clock.now",
    )
    .fetch_one(db)
    .await
    .unwrap()
    .get("n")
}

/// One after the other: each runs three nodes, which share the machine's cores and the
/// server's connections.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_nodes_on_one_postgres() {
    three_nodes_take_every_step_once().await;
    a_node_killed_mid_run_leaves_nothing_lost_or_doubled().await;
}

async fn three_nodes_take_every_step_once() {
    let database = PostgresDatabase::create("tenure_nodes", true).await;
    let mut db = PgConnection::connect(&database.url).await.unwrap();
    let client = reqwest::Client::new();
    let nodes = start_nodes(&database.url);
    let receiver = Receiver::start(&[]).await;
    nodes[1]
        .call(
            "POST",
            "/v1/webhook-endpoints",
            Some(json!({ "url": receiver.url, "events": ["instance.expired"] })),
        )
        .await;
    let (renewing, expiring) = buy_fleet(&nodes).await;

    let started = Instant::now();
    let advanced = nodes[0]
        .call(
            "POST",
            "/v1/clock/advance",
            Some(json!({ "to": ADVANCE_TO })),
        )
        .await;
    let elapsed = started.elapsed();
    assert_eq!(advanced["now"], ADVANCE_TO);
    // The advance answers once every moment it passed is done on every node.
    assert_eq!(steps_left(&mut db).await, 0);
    let mut swept = Vec::new();
    for node in &nodes {
        swept.push(steps_taken(&client, node).await);
    }
    println!(
        "the advance took {elapsed:?}; steps taken by each node (the first advancing): {swept:?}"
    );
    assert_each_step_once(&mut db, &renewing, &expiring).await;

    // Each expiry's webhook, sent by whichever node claimed it, once.
    let deadline = Instant::now() + Duration::from_secs(120);
    while receiver.received().len() < expiring.len() {
        assert!(
            Instant::now() < deadline,
            "{} webhooks of {}",
            receiver.received().len(),
            expiring.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut seen = HashMap::new();
    for message in receiver.received() {
        *seen
            .entry(message.header("webhook-id").to_string())
            .or_insert(0) += 1;
        assert_eq!(message.json()["type"], "instance.expired");
    }
    assert_eq!(seen.len(), expiring.len());
    assert!(seen.values().all(|&count| count == 1));

    drop(nodes);
    drop(db);
    database.drop().await;
}

async fn a_node_killed_mid_run_leaves_nothing_lost_or_doubled() {
    let database = PostgresDatabase::create("tenure_nodes", true).await;
    let mut db = PgConnection::connect(&database.url).await.unwrap();
    let client = reqwest::Client::new();
    let nodes = start_nodes(&database.url);
    let (renewing, expiring) = buy_fleet(&nodes).await;

    let advancing = {
        let client = client.clone();
        let address = nodes[0].address.clone();
        tokio::spawn(async move {
            client
                .post(format!("{address}/v1/clock/advance"))
                .bearer_auth(KEY)
                .json(&json!({ "to": ADVANCE_TO }))
                .send()
                .await
        })
    };
    // Killed once it has taken some of the deductions, and long before the expiries.
    loop {
        let attempts: i64 = sqlx::query("SELECT count(*) AS n FROM deduction_attempts")
            .fetch_one(&mut db)
            .await
            .unwrap()
            .get("n");
        if attempts >= 500 {
            break;
        }
        assert!(
            !advancing.is_finished(),
            "the advance ended before the kill"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    nodes[0].kill();
    assert!(
        advancing.await.unwrap().is_err(),
        "the killed node never answered"
    );

    // The others take the moment the dead node had reached: what it held is let go with its
    // connection.
    let deadline = Instant::now() + Duration::from_secs(60);
    while steps_left(&mut db).await > 0 {
        assert!(
            Instant::now() < deadline,
            "the other nodes finish the dead node's moment"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let kept: i64 = sqlx::query("SELECT now FROM simulated_clock")
        .fetch_one(&mut db)
        .await
        .unwrap()
        .get("now");
    let expiry = EXPIRY.parse::<jiff::Timestamp>().unwrap().as_second();
    assert!(kept < expiry, "the dead node had not reached the expiries");

    // The client sends its advance again, to another node.
    let advanced = nodes[1]
        .call(
            "POST",
            "/v1/clock/advance",
            Some(json!({ "to": ADVANCE_TO })),
        )
        .await;
    assert_eq!(advanced["now"], ADVANCE_TO);
    assert_eq!(steps_left(&mut db).await, 0);
    assert_each_step_once(&mut db, &renewing, &expiring).await;

    drop(nodes);
    drop(db);
    database.drop().await;
}
