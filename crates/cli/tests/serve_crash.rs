//! `tenure serve` killed with SIGKILL at random moments while clients buy, renew, upgrade,
//! unsubscribe, report pay-as-you-go usage, deposit and advance the simulated clock, every
//! request with an
//! Idempotency-Key; restarted on the same database after each kill, and checked:
//!
//! - every answered request's answer comes back the same when sent again with its key, and
//!   every request cut off by the kill, sent again, is done at most once (the rows each kind of
//!   request writes are counted against the requests that succeeded);
//! - no renewal period is charged twice;
//! - no due step is left behind the clock once the restarted node has swept;
//! - invoice numbers have no gap and no repeat; every paid order has its one invoice and every
//!   refund its one credit note;
//! - every ledger entry sums to zero, every account's running totals equal its postings, and
//!   every balance is what the deposits, the orders and the refunds say.
//!
//! On SQLite and PostgreSQL, 10 kills each; `TENURE_CRASH_KILLS=50` for a long run (see
//! RELIABILITY.md).

mod node;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use node::{Node, PostgresDatabase};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use tenure_store::database::query;
use tenure_store::Store;

const START: &str = "2026-03-01T00:00:00Z";
const ACCOUNTS: usize = 3;
const DEPOSIT_MINOR: i64 = 50_000;
const CLIENTS: usize = 3;

/// What a request was for: the rows it writes when it succeeds are counted by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Deposit,
    Usage,
    Purchase,
    Renewal,
    Upgrade,
    Unsubscription,
    Advance,
}

#[derive(Debug, Clone)]
struct Sent {
    kind: Kind,
    account: usize,
    method: &'static str,
    path: String,
    body: Value,
    key: String,
    /// Its answer, if one came before the kill.
    answer: Option<(u16, String)>,
}

/// Everything sent so far, the instances bought (by account), and the last time the clock
/// was sent to.
#[derive(Default)]
struct Log {
    sent: Vec<Sent>,
    instances: Vec<(usize, String)>,
    /// Each account's pay-as-you-go instance, which usage is reported for.
    payg: Vec<String>,
    clock_days: i64,
    /// Where this round's requests begin in `sent`.
    round_start: usize,
    /// The clock is advanced once a round at most, by a day: a key is kept 48 hours of the
    /// clock's time, so every request of a round can still be sent again after the restart.
    advanced_this_round: bool,
}

fn kills() -> usize {
    std::env::var("TENURE_CRASH_KILLS")
        .ok()
        .and_then(|kills| kills.parse().ok())
        .unwrap_or(10)
}

fn start(db: &str) -> Node {
    Node::start(
        db,
        &["--simulated-clock", START, "--sweep-interval-seconds", "1"],
    )
}

fn at_day(days: i64) -> String {
    let start: jiff::Timestamp = START.parse().unwrap();
    (start + jiff::SignedDuration::from_hours(24 * days)).to_string()
}

/// One request a client makes next, chosen at random among those that make sense now.
fn next_request(rng: &mut StdRng, log: &mut Log, accounts: &[String], client: usize) -> Sent {
    let account = rng.gen_range(0..ACCOUNTS);
    let account_id = &accounts[account];
    let instance = (!log.instances.is_empty())
        .then(|| log.instances[rng.gen_range(0..log.instances.len())].clone());
    let key = format!("crash-{client}-{}-{}", log.sent.len(), rng.gen::<u32>());
    let roll = rng.gen_range(0..100);
    let (kind, account, method, path, body) = match (roll, instance) {
        (0..=4, _) if client == 0 && !log.advanced_this_round => {
            log.advanced_this_round = true;
            log.clock_days += 1;
            (
                Kind::Advance,
                account,
                "POST",
                "/v1/clock/advance".to_string(),
                json!({ "to": at_day(log.clock_days) }),
            )
        }
        (0..=24, _) | (_, None) => {
            let mut body = json!({ "account": account_id, "product": "message-queue", "edition": "basic",
                                   "spec": "tps-1000", "region": "us-east-1", "period": "1M" });
            if rng.gen_bool(0.5) {
                body["auto_renew"] = json!({ "period": "1M" });
            }
            (
                Kind::Purchase,
                account,
                "POST",
                "/v1/instances".to_string(),
                body,
            )
        }
        (40..=49, _) => (
            Kind::Usage,
            account,
            "POST",
            "/v1/usage".to_string(),
            json!({ "record_id": key, "instance": log.payg[account], "meter": "messages",
                    "quantity": rng.gen_range(1..500_000), "time": at_day(log.clock_days) }),
        ),
        (25..=39, _) => (
            Kind::Deposit,
            account,
            "POST",
            format!("/v1/accounts/{account_id}/deposits"),
            json!({ "amount": DEPOSIT_MINOR, "method": "bank_card" }),
        ),
        (50..=74, Some((owner, id))) => (
            Kind::Renewal,
            owner,
            "POST",
            format!("/v1/instances/{id}/renew"),
            json!({ "period": "1M" }),
        ),
        (75..=89, Some((owner, id))) => (
            Kind::Upgrade,
            owner,
            "POST",
            format!("/v1/instances/{id}/change"),
            json!({ "spec": "tps-5000" }),
        ),
        (_, Some((owner, id))) => (
            Kind::Unsubscription,
            owner,
            "POST",
            format!("/v1/instances/{id}/unsubscribe"),
            json!({ "confirm_refund": true, "confirm_data_backed_up": true }),
        ),
    };
    Sent {
        kind,
        account,
        method,
        path,
        body,
        key,
        answer: None,
    }
}

/// A client sending requests one after another until the node dies under it.
async fn client(
    node: Arc<Node>,
    log: Arc<Mutex<Log>>,
    accounts: Arc<Vec<String>>,
    client: usize,
    seed: u64,
) {
    let mut rng = StdRng::seed_from_u64(seed);
    loop {
        let (index, sent) = {
            let mut log = log.lock().unwrap();
            let sent = next_request(&mut rng, &mut log, &accounts, client);
            log.sent.push(sent.clone());
            (log.sent.len() - 1, sent)
        };
        let Ok(answer) = node
            .send(sent.method, &sent.path, &sent.body, Some(&sent.key))
            .await
        else {
            return; // Killed: this request's outcome is unknown.
        };
        let mut log = log.lock().unwrap();
        if sent.kind == Kind::Purchase && answer.0 == 201 {
            let bought: Value = serde_json::from_str(&answer.1).unwrap();
            log.instances.push((
                sent.account,
                bought["instance"]["id"].as_str().unwrap().to_string(),
            ));
        }
        log.sent[index].answer = Some(answer);
    }
}

/// After a restart, this round's requests: each that was answered, sent again with its key,
/// gives the same answer (a key answers once its request ran: a refusal comes back as it was);
/// each cut off, or answered 503 (not committed), is sent again and its answer kept.
async fn send_again(node: &Node, log: &Mutex<Log>) {
    let sent: Vec<(usize, Sent)> = {
        let log = log.lock().unwrap();
        log.sent
            .iter()
            .cloned()
            .enumerate()
            .skip(log.round_start)
            .collect()
    };
    for (index, request) in sent {
        // An answer of 500 is not kept; the clients here never receive one (asserted below).
        if request
            .answer
            .as_ref()
            .is_some_and(|(status, _)| *status >= 500 && *status != 503)
        {
            continue;
        }
        // A 503 was not committed: sent again, it is decided again.
        let request = match &request.answer {
            Some((503, _)) => Sent {
                answer: None,
                ..request
            },
            _ => request,
        };
        let again = node
            .send(
                request.method,
                &request.path,
                &request.body,
                Some(&request.key),
            )
            .await
            .unwrap();
        assert!(
            again.0 < 500,
            "{} {}: {again:?}",
            request.method,
            request.path
        );
        match &request.answer {
            Some(answer) => assert_eq!(
                &again, answer,
                "{} {} replays its answer, a refusal too",
                request.method, request.path
            ),
            None => {
                let mut log = log.lock().unwrap();
                if request.kind == Kind::Purchase && again.0 == 201 {
                    let bought: Value = serde_json::from_str(&again.1).unwrap();
                    log.instances.push((
                        request.account,
                        bought["instance"]["id"].as_str().unwrap().to_string(),
                    ));
                }
                log.sent[index].answer = Some(again);
            }
        }
    }
}

async fn count(store: &Store, sql: &str) -> i64 {
    let mut connection = store.read().await.unwrap();
    query(sql)
        .fetch_one(&mut connection)
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
}

/// The database against what the requests' answers say.
async fn check(db: &str, log: &Mutex<Log>, accounts: &[String]) {
    let succeeded: HashMap<Kind, i64> = {
        let log = log.lock().unwrap();
        let mut counts = HashMap::new();
        for sent in &log.sent {
            if sent
                .answer
                .as_ref()
                .is_some_and(|(status, _)| *status < 300)
            {
                *counts.entry(sent.kind).or_default() += 1;
            }
        }
        counts
    };
    let store = Store::open_unmigrated(db).await.unwrap();
    let done = |kind| succeeded.get(&kind).copied().unwrap_or(0);
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) AS n FROM ledger_entries WHERE kind = 'deposit'"
        )
        .await,
        done(Kind::Deposit) + ACCOUNTS as i64,
        "deposits"
    );
    assert_eq!(
        count(&store, "SELECT COUNT(*) AS n FROM instances").await,
        done(Kind::Purchase) + ACCOUNTS as i64,
        "purchases (and each account's pay-as-you-go instance)"
    );
    assert_eq!(
        count(&store, "SELECT COUNT(*) AS n FROM usage_records").await,
        done(Kind::Usage),
        "usage records"
    );
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) AS n FROM orders WHERE kind = 'renewal'"
        )
        .await,
        done(Kind::Renewal),
        "renewals"
    );
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) AS n FROM events WHERE kind = 'instance.upgraded'"
        )
        .await,
        done(Kind::Upgrade),
        "upgrades"
    );
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(DISTINCT unsubscription_id) AS n FROM refunds"
        )
        .await,
        done(Kind::Unsubscription),
        "unsubscriptions"
    );
    // No period charged twice: one order opens each period of an instance.
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) AS n FROM (SELECT instance_id, starts_at FROM orders
                       WHERE kind IN ('purchase', 'renewal', 'auto_renewal')
                       GROUP BY instance_id, starts_at HAVING COUNT(*) > 1) AS twice"
        )
        .await,
        0
    );
    // Invoice numbers: in every series, 1 to the series' last number, each once (the unique
    // constraint rules out a repeat; a gap would show as fewer documents than numbers).
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) AS n FROM invoice_series
             WHERE last_sequence <> (SELECT COUNT(*) FROM invoices WHERE invoices.series = invoice_series.series)
             OR last_sequence <> (SELECT MAX(sequence) FROM invoices WHERE invoices.series = invoice_series.series)"
        )
        .await,
        0,
        "invoice numbers without a gap"
    );
    // Every order that charged something has its one invoice; every refund that gave
    // something back, its one credit note.
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) AS n FROM orders WHERE
             paid_voucher_minor + paid_coupon_minor + paid_balance_minor + paid_external_minor > 0
             AND (SELECT COUNT(*) FROM invoices WHERE invoices.order_id = orders.id AND kind = 'invoice') <> 1"
        )
        .await,
        0,
        "an invoice per paid order"
    );
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) AS n FROM refunds WHERE refund_minor > 0
             AND (SELECT COUNT(*) FROM invoices WHERE invoices.refund_id = refunds.id) <> 1"
        )
        .await,
        0,
        "a credit note per refund"
    );
    // The ledger of one snapshot: entries balance, running totals equal postings, and each
    // balance is what the deposits, the orders and the refunds say.
    let mut snapshot = store.snapshot().await.unwrap();
    snapshot.check_ledger().await.unwrap();
    let sums = snapshot.account_sums().await.unwrap();
    snapshot.finish().await.unwrap();
    for account_id in accounts {
        let deposits = count(&store, &format!("SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) AS n FROM ledger_postings
            WHERE ledger_account = 'balance' AND amount_minor > 0
            AND entry_id IN (SELECT id FROM ledger_entries WHERE kind = 'deposit' AND account_id = '{account_id}')")).await;
        let deposited = DEPOSIT_MINOR
            * (1 + log
                .lock()
                .unwrap()
                .sent
                .iter()
                .filter(|sent| {
                    sent.kind == Kind::Deposit
                        && accounts[sent.account] == *account_id
                        && sent
                            .answer
                            .as_ref()
                            .is_some_and(|(status, _)| *status < 300)
                })
                .count() as i64);
        assert_eq!(deposits, deposited, "{account_id}: its deposits");
        let paid = count(&store, &format!("SELECT CAST(COALESCE(SUM(paid_balance_minor), 0) AS BIGINT) AS n FROM orders WHERE account_id = '{account_id}'")).await;
        let refunded = count(&store, &format!("SELECT CAST(COALESCE(SUM(to_balance_minor), 0) AS BIGINT) AS n FROM refunds WHERE account_id = '{account_id}'")).await;
        let billed = count(&store, &format!("SELECT CAST(COALESCE(SUM(paid_balance_minor), 0) AS BIGINT) AS n FROM bills WHERE account_id = '{account_id}'")).await;
        let balance = sums
            .iter()
            .find(|sums| sums.account_id == *account_id)
            .map_or(0, |sums| sums.balance_minor);
        assert_eq!(
            balance,
            deposited - paid - billed + refunded,
            "{account_id}: balance = deposits − orders − bills + refunds"
        );
    }
    store.close().await;
}

/// Waits until the restarted node's sweep has taken every step due by its clock.
async fn swept(db: &str) {
    let store = Store::open_unmigrated(db).await.unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let behind = count(&store, "SELECT COUNT(*) AS n FROM instances, simulated_clock WHERE next_due_at <= simulated_clock.now").await
            + count(&store, "SELECT COUNT(*) AS n FROM bills, simulated_clock WHERE status = 'open' AND generate_at <= simulated_clock.now").await
            + count(&store, "SELECT COUNT(*) AS n FROM bills, simulated_clock WHERE invoice_at <= simulated_clock.now").await;
        if behind == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{behind} steps left behind the clock after a restart"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    store.close().await;
}

async fn killed_again_and_again(db: &str) {
    let mut node = Arc::new(start(db));
    // (Reassigned after each kill.)
    let mut accounts = Vec::new();
    let mut payg_instances = Vec::new();
    for index in 0..ACCOUNTS {
        let account = node.call("POST", "/v1/accounts", Some(json!({ "name": format!("Crash {index}"), "email": "c@example.com", "mobile": "+15550100" }))).await;
        let id = account["id"].as_str().unwrap().to_string();
        node.call(
            "POST",
            &format!("/v1/accounts/{id}/deposits"),
            Some(json!({ "amount": DEPOSIT_MINOR, "method": "bank_card" })),
        )
        .await;
        let payg = node
            .call(
                "POST",
                "/v1/instances",
                Some(json!({ "account": id, "product": "iot-platform",
            "edition": "legacy-public", "region": "us-east-1", "billing": "payg" })),
            )
            .await;
        payg_instances.push(payg["instance"]["id"].as_str().unwrap().to_string());
        accounts.push(id);
    }
    let accounts = Arc::new(accounts);
    let log = Arc::new(Mutex::new(Log {
        payg: payg_instances,
        ..Log::default()
    }));
    let mut rng = StdRng::seed_from_u64(rand::random());
    let mut cut_off = 0;
    for round in 0..kills() {
        let clients: Vec<_> = (0..CLIENTS)
            .map(|index| {
                tokio::spawn(client(
                    node.clone(),
                    log.clone(),
                    accounts.clone(),
                    index,
                    rng.gen(),
                ))
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(rng.gen_range(100..600))).await;
        node.kill();
        for client in clients {
            client.await.unwrap();
        }
        {
            let log = log.lock().unwrap();
            let answered = log.sent[log.round_start..]
                .iter()
                .filter(|sent| sent.answer.is_some())
                .count();
            cut_off += log.sent.len() - log.round_start - answered;
        }
        node = Arc::new(start(db));
        send_again(&node, &log).await;
        {
            let mut log = log.lock().unwrap();
            log.round_start = log.sent.len();
            log.advanced_this_round = false;
        }
        swept(db).await;
        check(db, &log, &accounts).await;
        println!(
            "{}, round {round}: {} requests so far, {cut_off} cut off by the kills",
            db.split(':').next().unwrap_or(db),
            log.lock().unwrap().sent.len()
        );
    }
    let log = log.lock().unwrap();
    for kind in [Kind::Renewal, Kind::Usage, Kind::Unsubscription] {
        assert!(
            log.sent.iter().any(|sent| sent.kind == kind
                && sent
                    .answer
                    .as_ref()
                    .is_some_and(|(status, _)| *status < 300)),
            "some {kind:?} succeeded"
        );
    }
    assert!(cut_off > 0, "some requests were cut off by a kill");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_sqlite() {
    let folder = tempfile::tempdir().unwrap();
    killed_again_and_again(&format!(
        "sqlite://{}",
        folder.path().join("tenure.db").display()
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_postgres() {
    let database = PostgresDatabase::create("tenure_serve_crash", true).await;
    killed_again_and_again(&database.url).await;
    database.drop().await;
}
