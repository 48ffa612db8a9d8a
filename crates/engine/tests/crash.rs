//! Crash safety on SQLite and PostgreSQL: a process killed with SIGKILL at any moment loses
//! nothing it had reported as committed, and leaves nothing half-written.
//!
//! The test runs its own binary again as a child ([`crash_child`], which does nothing unless
//! `TENURE_CRASH_CHILD_DB` names a database). The child buys instances and deposits funds, one
//! committed transaction at a time, and prints a receipt line for each only after its commit
//! returned. The parent kills it after a random delay, again and again, and after each kill
//! opens the database and checks it against the receipts: every receipted order and deposit is
//! there as receipted, no order is there without its instance and its ledger entry (nor they
//! without it), the ledger balances and every account's running totals equal its postings. A
//! write committed but killed before its receipt was printed may be there: at most one per kill.

#[macro_use]
mod support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rand::Rng;
use tenure_core::order::OrderStatus;
use tenure_core::payment::PaymentMethod;
use tenure_core::period::Period;
use tenure_engine::instances::PurchaseCommand;
use tenure_store::database::query;
use tenure_store::{accounts, instances, ledger, orders, Connection, Store};

/// Names the child's database; unset, [`crash_child`] returns at once.
const CHILD_DB: &str = "TENURE_CRASH_CHILD_DB";
/// The child's test name, run with `--exact`.
const CHILD_TEST: &str = "crash_child";
const START: &str = "2026-02-10T00:00:00Z";
/// Accounts the children share.
const ACCOUNTS: usize = 3;
/// Each account's first deposit: enough for every purchase the children make.
const OPENING_DEPOSIT_MINOR: i64 = 1_000_000_000;
/// Children spawned and killed.
const KILLS: usize = 24;
/// A child is killed this long after it was spawned, chosen at random each time.
const KILL_AFTER_MS: std::ops::RangeInclusive<u64> = 50..=400;
/// SIGKILL, as `std::process::Child::kill` sends it on Unix.
const SIGKILL: i32 = 9;

/// What a child reported as committed.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Receipt {
    Purchase {
        order_id: String,
        account_id: String,
        paid_balance_minor: i64,
        instance_id: String,
    },
    Deposit {
        entry_id: String,
        account_id: String,
        amount_minor: i64,
    },
}

impl Receipt {
    fn line(&self) -> String {
        match self {
            Receipt::Purchase {
                order_id,
                account_id,
                paid_balance_minor,
                instance_id,
            } => format!(
                "RECEIPT purchase {order_id} {account_id} {paid_balance_minor} {instance_id}"
            ),
            Receipt::Deposit {
                entry_id,
                account_id,
                amount_minor,
            } => format!("RECEIPT deposit {entry_id} {account_id} {amount_minor}"),
        }
    }

    /// The receipt in a line of the child's output. The test harness may print its own
    /// `test crash_child ... ` on the same line first; a line the kill cut short has no
    /// newline and is no receipt.
    fn parse(line: &str) -> Option<Receipt> {
        let line = line.strip_suffix('\n')?;
        let start = line.find("RECEIPT ")?;
        let words: Vec<&str> = line[start..].split(' ').collect();
        match words.as_slice() {
            ["RECEIPT", "purchase", order_id, account_id, paid, instance_id] => {
                Some(Receipt::Purchase {
                    order_id: order_id.to_string(),
                    account_id: account_id.to_string(),
                    paid_balance_minor: paid.parse().ok()?,
                    instance_id: instance_id.to_string(),
                })
            }
            ["RECEIPT", "deposit", entry_id, account_id, amount] => Some(Receipt::Deposit {
                entry_id: entry_id.to_string(),
                account_id: account_id.to_string(),
                amount_minor: amount.parse().ok()?,
            }),
            _ => panic!("a receipt line the child never prints: {line:?}"),
        }
    }
}

/// Prints a receipt and pushes it down the pipe: only once this returns may it count.
fn print_receipt(receipt: &Receipt) {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", receipt.line()).unwrap();
    stdout.flush().unwrap();
}

/// A purchase of one of two products, for one or three months, from the balance.
fn random_purchase(account_id: &str) -> PurchaseCommand {
    let mut rng = rand::thread_rng();
    let mut command = support::monthly_basic_queue(account_id);
    if rng.gen_bool(0.5) {
        command.request.product_id = "data-management".into();
        command.request.edition_id = "security-collaboration".into();
        command.request.spec_id = Some("instances-10".into());
    }
    if rng.gen_bool(0.5) {
        command.request.period = Some(Period::months(3));
    }
    command
}

/// The child: writes until it is killed. Returns at once in any other run of this binary.
#[tokio::test]
async fn crash_child() {
    let Ok(url) = std::env::var(CHILD_DB) else {
        return;
    };
    let engine = support::engine_on(&url, START.parse().unwrap()).await;
    let mut account_ids: Vec<String> = {
        let mut connection = engine.store.read().await.unwrap();
        accounts::list(&mut connection, 100, None)
            .await
            .unwrap()
            .into_iter()
            .map(|account| account.id)
            .collect()
    };
    // The accounts a child killed early did not make yet, each with its first deposit in the
    // transaction that opens it.
    while account_ids.len() < ACCOUNTS {
        let mut tx = engine.begin().await.unwrap();
        let created = engine
            .create_account(&mut tx, support::ada())
            .await
            .unwrap();
        let account_id = created.account.account.id.clone();
        let deposited = engine
            .deposit(
                &mut tx,
                &account_id,
                OPENING_DEPOSIT_MINOR,
                PaymentMethod::BankCard,
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();
        print_receipt(&Receipt::Deposit {
            entry_id: deposited.entry_id,
            account_id: account_id.clone(),
            amount_minor: deposited.amount_minor,
        });
        account_ids.push(account_id);
    }
    loop {
        let (account_id, deposit_minor) = {
            let mut rng = rand::thread_rng();
            let account_id = account_ids[rng.gen_range(0..account_ids.len())].clone();
            let deposit_minor = rng.gen_bool(0.25).then(|| rng.gen_range(100..100_000));
            (account_id, deposit_minor)
        };
        let mut tx = engine.begin().await.unwrap();
        let receipt = match deposit_minor {
            Some(amount_minor) => {
                let deposited = engine
                    .deposit(&mut tx, &account_id, amount_minor, PaymentMethod::Transfer)
                    .await
                    .unwrap();
                Receipt::Deposit {
                    entry_id: deposited.entry_id,
                    account_id,
                    amount_minor: deposited.amount_minor,
                }
            }
            None => {
                let bought = engine
                    .purchase(&mut tx, random_purchase(&account_id))
                    .await
                    .unwrap();
                let order = bought.order.expect("a subscription purchase has an order");
                Receipt::Purchase {
                    order_id: order.id,
                    account_id: order.account_id,
                    paid_balance_minor: order.paid_balance_minor,
                    instance_id: bought.instance.instance.id,
                }
            }
        };
        tx.commit().await.unwrap();
        print_receipt(&receipt);
    }
}

/// One child's run: spawned, killed after `kill_after`, its receipts read.
fn run_child_until_killed(
    url: &str,
    kill_after: Duration,
    stderr: &std::path::Path,
) -> Vec<Receipt> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", CHILD_TEST, "--nocapture", "--test-threads=1"])
        .env(CHILD_DB, url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(stderr).unwrap())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut stdout = BufReader::new(stdout);
        let mut receipts = Vec::new();
        let mut line = String::new();
        while stdout.read_line(&mut line).unwrap() > 0 {
            receipts.extend(Receipt::parse(&line));
            line.clear();
        }
        receipts
    });
    std::thread::sleep(kill_after);
    let ended_early = child.try_wait().unwrap();
    let child_stderr = || std::fs::read_to_string(stderr).unwrap_or_default();
    assert!(
        ended_early.is_none(),
        "the child ended by itself ({ended_early:?}) before it was killed; its stderr:\n{}",
        child_stderr()
    );
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert_eq!(
        status.signal(),
        Some(SIGKILL),
        "the child died of the kill, not otherwise ({status}); its stderr:\n{}",
        child_stderr()
    );
    reader.join().unwrap()
}

/// Every receipt so far, and how many children wrote them.
#[derive(Default)]
struct Receipts {
    purchases: BTreeMap<String, Receipt>,
    deposits: BTreeMap<String, Receipt>,
    children: usize,
}

impl Receipts {
    fn add(&mut self, receipt: Receipt) {
        let (map, id) = match &receipt {
            Receipt::Purchase { order_id, .. } => (&mut self.purchases, order_id.clone()),
            Receipt::Deposit { entry_id, .. } => (&mut self.deposits, entry_id.clone()),
        };
        assert!(
            map.insert(id.clone(), receipt).is_none(),
            "{id} receipted twice"
        );
    }
}

async fn count(connection: &mut Connection, sql: &str) -> i64 {
    query(sql)
        .fetch_one(connection)
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
}

/// Ids a query finds (column `id`): each one a broken invariant.
async fn ids(connection: &mut Connection, sql: &str) -> Vec<String> {
    query(sql)
        .fetch_all(connection)
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get("id").unwrap())
        .collect()
}

/// What the balance postings of a ledger entry add up to.
async fn balance_posted(connection: &mut Connection, entry_condition: &str, id: &str) -> Vec<i64> {
    let rows = query(&format!(
        "SELECT CAST(COALESCE(SUM(p.amount_minor), 0) AS BIGINT) AS n
         FROM ledger_entries e JOIN ledger_postings p ON p.entry_id = e.id
         WHERE {entry_condition} = $1 AND p.ledger_account = 'balance'
         GROUP BY e.id"
    ))
    .bind(id)
    .fetch_all(connection)
    .await
    .unwrap();
    rows.iter().map(|row| row.try_get("n").unwrap()).collect()
}

/// Checks the database a killed child left against `receipts` (the newly receipted
/// `to_check` one by one; the rest as a whole).
async fn check_database(url: &str, receipts: &Receipts, to_check: &[&Receipt]) -> i64 {
    // SQLite's own check of the file, after a connection replays what the log holds.
    if let Some(path) = url.strip_prefix("sqlite://") {
        let file = rusqlite::Connection::open(path).unwrap();
        let integrity: String = file
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .unwrap();
        assert_eq!(integrity, "ok", "SQLite's integrity check of the file");
    }

    let store = Store::connect(url).await.unwrap();
    let mut connection = store.read().await.unwrap();

    // Every receipted write is there as receipted.
    for receipt in to_check {
        match receipt {
            Receipt::Purchase {
                order_id,
                account_id,
                paid_balance_minor,
                instance_id,
            } => {
                let order = orders::get(&mut connection, order_id)
                    .await
                    .unwrap()
                    .unwrap_or_else(|| panic!("receipted order {order_id} is missing"));
                assert_eq!(
                    (
                        &order.account_id,
                        order.paid_balance_minor,
                        &order.instance_id
                    ),
                    (account_id, *paid_balance_minor, instance_id),
                    "order {order_id} as receipted"
                );
                assert_eq!(order.status, OrderStatus::Paid, "order {order_id}");
                assert!(
                    instances::get(&mut connection, instance_id)
                        .await
                        .unwrap()
                        .is_some(),
                    "receipted order {order_id}'s instance {instance_id} is missing"
                );
                assert_eq!(
                    balance_posted(&mut connection, "e.order_id", order_id).await,
                    vec![-paid_balance_minor],
                    "order {order_id} has one ledger entry, taking what it was paid from the balance"
                );
            }
            Receipt::Deposit {
                entry_id,
                account_id,
                amount_minor,
            } => {
                let found = query("SELECT account_id, kind FROM ledger_entries WHERE id = $1")
                    .bind(entry_id.as_str())
                    .fetch_optional(&mut connection)
                    .await
                    .unwrap()
                    .unwrap_or_else(|| panic!("receipted deposit {entry_id} is missing"));
                let found: (String, String) = (
                    found.try_get("account_id").unwrap(),
                    found.try_get("kind").unwrap(),
                );
                assert_eq!(
                    found,
                    (account_id.clone(), "deposit".to_string()),
                    "deposit {entry_id} as receipted"
                );
                assert_eq!(
                    balance_posted(&mut connection, "e.id", entry_id).await,
                    vec![*amount_minor],
                    "deposit {entry_id} adds what was receipted to the balance"
                );
            }
        }
    }

    // Nothing is half there: an order exists iff its instance and its ledger entry do.
    let half_written = [
        (
            "orders without their instance",
            "SELECT o.id FROM orders o LEFT JOIN instances i ON i.id = o.instance_id
             WHERE i.id IS NULL",
        ),
        (
            "instances without their purchase order",
            "SELECT i.id FROM instances i WHERE NOT EXISTS
             (SELECT 1 FROM orders o WHERE o.instance_id = i.id AND o.kind = 'purchase')",
        ),
        (
            "orders without their ledger entry",
            "SELECT o.id FROM orders o WHERE NOT EXISTS
             (SELECT 1 FROM ledger_entries e WHERE e.order_id = o.id)",
        ),
        (
            "ledger entries of orders that do not exist",
            "SELECT e.id FROM ledger_entries e WHERE e.order_id IS NOT NULL AND NOT EXISTS
             (SELECT 1 FROM orders o WHERE o.id = e.order_id)",
        ),
        (
            "ledger entries without postings",
            "SELECT e.id FROM ledger_entries e WHERE NOT EXISTS
             (SELECT 1 FROM ledger_postings p WHERE p.entry_id = e.id)",
        ),
        (
            "accounts without their opening deposit",
            "SELECT a.id FROM accounts a WHERE NOT EXISTS
             (SELECT 1 FROM ledger_entries e WHERE e.account_id = a.id AND e.kind = 'deposit')",
        ),
    ];
    for (what, sql) in half_written {
        let found = ids(&mut connection, sql).await;
        assert!(found.is_empty(), "{what}: {found:?}");
    }
    // Each purchase and deposit recorded its event in its transaction.
    assert_eq!(
        count(
            &mut connection,
            "SELECT COUNT(*) AS n FROM events WHERE kind = 'instance.purchased'"
        )
        .await,
        count(&mut connection, "SELECT COUNT(*) AS n FROM instances").await,
        "one instance.purchased event per instance"
    );
    assert_eq!(
        count(
            &mut connection,
            "SELECT COUNT(*) AS n FROM events WHERE kind = 'funds.deposited'"
        )
        .await,
        count(
            &mut connection,
            "SELECT COUNT(*) AS n FROM ledger_entries WHERE kind = 'deposit'"
        )
        .await,
        "one funds.deposited event per deposit"
    );

    // The ledger balances; each account's running totals equal its postings, and what its
    // orders say they took from the balance is what the ledger took.
    ledger::check_balanced(&mut connection).await.unwrap();
    let account_list = accounts::list(&mut connection, 100, None).await.unwrap();
    assert!(account_list.len() <= ACCOUNTS, "{account_list:?}");
    for account in &account_list {
        let funds = ledger::checked_funds(&mut connection, &account.id)
            .await
            .unwrap();
        assert!(funds.balance_minor >= 0, "{}: {funds:?}", account.id);
        let paid: i64 = query(
            "SELECT CAST(COALESCE(SUM(paid_balance_minor), 0) AS BIGINT) AS n FROM orders
             WHERE account_id = $1",
        )
        .bind(account.id.as_str())
        .fetch_one(&mut connection)
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
        let taken: i64 = query(
            "SELECT CAST(COALESCE(SUM(p.amount_minor), 0) AS BIGINT) AS n
             FROM ledger_entries e JOIN ledger_postings p ON p.entry_id = e.id
             WHERE e.account_id = $1 AND e.order_id IS NOT NULL AND p.ledger_account = 'balance'",
        )
        .bind(account.id.as_str())
        .fetch_one(&mut connection)
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
        assert_eq!(
            -taken, paid,
            "{}: orders' payments against the ledger",
            account.id
        );
    }

    // What is there without a receipt was committed by a child killed before it printed the
    // receipt: one transaction per child at most.
    let orders_there = count(&mut connection, "SELECT COUNT(*) AS n FROM orders").await;
    let deposits_there = count(
        &mut connection,
        "SELECT COUNT(*) AS n FROM ledger_entries WHERE kind = 'deposit'",
    )
    .await;
    let unreceipted = orders_there + deposits_there
        - receipts.purchases.len() as i64
        - receipts.deposits.len() as i64;
    assert!(
        (0..=receipts.children as i64).contains(&unreceipted),
        "{unreceipted} writes without a receipt after {} children (orders {orders_there}, \
         deposits {deposits_there}, receipted {} and {})",
        receipts.children,
        receipts.purchases.len(),
        receipts.deposits.len()
    );

    drop(connection);
    store.close().await;
    unreceipted
}

async fn receipted_writes_survive_sigkill_and_nothing_is_half_written(backend: support::Backend) {
    if std::env::var_os(CHILD_DB).is_some() {
        return;
    }
    let began = Instant::now();
    let (url, _cleanup) = support::fresh_database(backend).await;
    // The children's stderr, kept for when one fails.
    let folder = tempfile::tempdir().unwrap();
    // The schema first, so that each child finds it made (a kill inside a migration is not
    // what this test is about).
    Store::connect(&url).await.unwrap().close().await;

    let mut receipts = Receipts::default();
    let mut per_child = Vec::new();
    let mut checking = Duration::ZERO;
    for run in 0..KILLS {
        let kill_after = Duration::from_millis(rand::thread_rng().gen_range(KILL_AFTER_MS));
        let stderr = folder.path().join(format!("child-{run}.stderr"));
        let url_for_child = url.clone();
        let new = tokio::task::spawn_blocking(move || {
            run_child_until_killed(&url_for_child, kill_after, &stderr)
        })
        .await
        .unwrap();
        receipts.children += 1;
        per_child.push(new.len());
        for receipt in &new {
            receipts.add(receipt.clone());
        }
        let checked_from = Instant::now();
        check_database(&url, &receipts, &new.iter().collect::<Vec<_>>()).await;
        checking += checked_from.elapsed();
    }
    // Every receipt of every child, once more, after the last kill.
    let all: Vec<&Receipt> = receipts
        .purchases
        .values()
        .chain(receipts.deposits.values())
        .collect();
    let unreceipted = check_database(&url, &receipts, &all).await;

    println!(
        "{KILLS} children killed in {:.1} s ({:.1} s of it checking): {} purchases and {} \
         deposits receipted (per child: {per_child:?}); {unreceipted} committed without a receipt",
        began.elapsed().as_secs_f64(),
        checking.as_secs_f64(),
        receipts.purchases.len(),
        receipts.deposits.len()
    );
    assert!(
        per_child.iter().filter(|&&count| count > 0).count() >= KILLS / 2,
        "most children got to write before they were killed: {per_child:?}"
    );
    assert!(
        !receipts.purchases.is_empty() && receipts.deposits.len() > ACCOUNTS,
        "the children bought and deposited: {per_child:?}"
    );
}

on_both_backends!(
    receipted_writes_survive_sigkill,
    receipted_writes_survive_sigkill_and_nothing_is_half_written
);
