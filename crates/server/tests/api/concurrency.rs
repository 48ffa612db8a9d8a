//! Many clients at once on a few shared instances and accounts: 32 tasks renew one instance,
//! renew two or three in one bulk renewal (in random order, across accounts), upgrade or
//! downgrade, and deposit, for a bounded time and a bounded number of requests. Every answer is
//! kept, and afterwards the answers and the server's own views must agree:
//!
//! - no answer is a 5xx; a 4xx has a `{code, message}` body;
//! - every account's ledger balances, and its balance is the sum of its balance postings and
//!   also the opening deposits + the deposits answered 2xx − what the orders answered 2xx took
//!   from the balance + what their downgrades gave back to it;
//! - the orders the server holds are exactly those its 2xx answers returned;
//! - each instance's renewals answered 2xx follow each other without a gap or an overlap, and
//!   the instance expires where the last one ends.
//!
//! Each request's budget is per instance and account (see [`Budgets`]), which bounds the
//! number of requests and keeps each account's ledger within one page of
//! `GET /v1/accounts/{id}/ledger` (a change writes an entry per paid period).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use tenure_core::catalog::default_catalog;

use crate::helpers::{spawn_app, text, Backend, TestApp};
use crate::on_both_backends;

const START: &str = "2026-02-10T00:00:00Z";
const CLIENTS: usize = 32;
/// The clients stop starting requests after this long (or when their budgets are spent).
const RUN_FOR: Duration = Duration::from_secs(8);
const ACCOUNTS: usize = 3;
/// Each account's opening deposit: far more than every request can spend.
const OPENING_DEPOSIT_MINOR: i64 = 1_000_000_000;
/// Subscriptions bought for each account: `(product, edition, spec)`; changes move among the
/// specs of the edition, as the catalog lists them.
const SUBSCRIPTIONS: [(&str, &str, &str); 2] = [
    ("message-queue", "basic", "tps-1000"),
    ("data-management", "security-collaboration", "instances-10"),
];
/// Renewal periods both products sell.
const RENEWAL_PERIODS: [&str; 2] = ["1M", "3M"];
/// Requests allowed per instance (renewals, alone or in a bulk renewal; changes) and per
/// account (deposits). With 2 instances an account writes at most 2 × (30 + 12 × 31) + 60 + 3
/// ledger entries: one page of 1000.
const RENEWALS_PER_INSTANCE: i64 = 30;
const CHANGES_PER_INSTANCE: i64 = 12;
const DEPOSITS_PER_ACCOUNT: i64 = 60;
/// The most entries `GET /v1/accounts/{id}/ledger` answers in one page.
const LEDGER_PAGE: usize = 1000;

/// What the clients work on, set up before they start.
struct Fixture {
    accounts: Vec<String>,
    instances: Vec<Subscription>,
}

struct Subscription {
    id: String,
    account: usize,
    /// The specs a change may ask for: all of its edition's, the current one included (that
    /// one must be refused with a 4xx).
    specs: Vec<String>,
    /// When the purchase's period ends.
    purchased_until: String,
}

/// What a client asked.
#[derive(Debug, Clone)]
enum Operation {
    Renew {
        instance: usize,
        period: String,
    },
    BulkRenew {
        instances: Vec<usize>,
        period: String,
    },
    Change {
        instance: usize,
        spec: String,
    },
    Deposit {
        account: usize,
        amount_minor: i64,
    },
}

/// A request and its answer.
#[derive(Debug)]
struct Answer {
    operation: Operation,
    path: String,
    request: Value,
    status: u16,
    body: Value,
}

/// How many requests of each kind may still be sent, per instance and per account.
struct Budgets {
    renewals: Vec<AtomicI64>,
    changes: Vec<AtomicI64>,
    deposits: Vec<AtomicI64>,
}

impl Budgets {
    fn new(instances: usize, accounts: usize) -> Budgets {
        let counters = |count, each| (0..count).map(|_| AtomicI64::new(each)).collect::<Vec<_>>();
        Budgets {
            renewals: counters(instances, RENEWALS_PER_INSTANCE),
            changes: counters(instances, CHANGES_PER_INSTANCE),
            deposits: counters(accounts, DEPOSITS_PER_ACCOUNT),
        }
    }

    /// Takes one of `counter`'s requests, if any is left.
    fn take(counter: &AtomicI64) -> bool {
        if counter.fetch_sub(1, Ordering::Relaxed) > 0 {
            true
        } else {
            counter.fetch_add(1, Ordering::Relaxed);
            false
        }
    }

    /// A random operation whose budget was left (and is now taken); none when all is spent.
    fn pick(&self, fixture: &Fixture, rng: &mut StdRng) -> Option<Operation> {
        let instances = fixture.instances.len();
        for _ in 0..100 {
            let period = RENEWAL_PERIODS.choose(rng).unwrap().to_string();
            let roll = rng.gen_range(0..100);
            if roll < 30 {
                let instance = rng.gen_range(0..instances);
                if Budgets::take(&self.renewals[instance]) {
                    return Some(Operation::Renew { instance, period });
                }
            } else if roll < 60 {
                let mut chosen: Vec<usize> = (0..instances).collect();
                chosen.shuffle(rng);
                chosen.truncate(rng.gen_range(2..=3));
                let taken: Vec<usize> = chosen
                    .iter()
                    .copied()
                    .take_while(|&instance| Budgets::take(&self.renewals[instance]))
                    .collect();
                if taken.len() == chosen.len() {
                    return Some(Operation::BulkRenew {
                        instances: chosen,
                        period,
                    });
                }
                for instance in taken {
                    self.renewals[instance].fetch_add(1, Ordering::Relaxed);
                }
            } else if roll < 80 {
                let instance = rng.gen_range(0..instances);
                if Budgets::take(&self.changes[instance]) {
                    let spec = fixture.instances[instance]
                        .specs
                        .choose(rng)
                        .unwrap()
                        .clone();
                    return Some(Operation::Change { instance, spec });
                }
            } else {
                let account = rng.gen_range(0..fixture.accounts.len());
                if Budgets::take(&self.deposits[account]) {
                    let amount_minor = rng.gen_range(1..=50_000);
                    return Some(Operation::Deposit {
                        account,
                        amount_minor,
                    });
                }
            }
        }
        None
    }
}

impl Operation {
    fn request(&self, fixture: &Fixture) -> (String, Value) {
        match self {
            Operation::Renew { instance, period } => (
                format!("/v1/instances/{}/renew", fixture.instances[*instance].id),
                json!({ "period": period }),
            ),
            Operation::BulkRenew { instances, period } => (
                "/v1/renewals".to_string(),
                json!({
                    "instances": instances.iter().map(|&i| fixture.instances[i].id.clone()).collect::<Vec<_>>(),
                    "period": period,
                }),
            ),
            Operation::Change { instance, spec } => (
                format!("/v1/instances/{}/change", fixture.instances[*instance].id),
                json!({ "spec": spec }),
            ),
            Operation::Deposit {
                account,
                amount_minor,
            } => (
                format!("/v1/accounts/{}/deposits", fixture.accounts[*account]),
                json!({ "amount": amount_minor, "method": "bank_card" }),
            ),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Operation::Renew { .. } => "renew",
            Operation::BulkRenew { .. } => "bulk renew",
            Operation::Change { .. } => "change",
            Operation::Deposit { .. } => "deposit",
        }
    }
}

/// The server's error log lines, caught while the test runs: the cause of a 5xx answer is
/// logged, never answered.
#[derive(Clone, Default)]
struct ErrorLog(Arc<Mutex<Vec<String>>>);

struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, "{}={value:?} ", field.name());
    }
}

impl tracing::Subscriber for ErrorLog {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        *metadata.level() == tracing::Level::ERROR
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        self.0.lock().unwrap().push(fields.0.trim_end().to_string());
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// Sets up 3 accounts and 6 subscriptions; returns them with the setup's purchase answers.
async fn set_up(app: &TestApp) -> (Fixture, Vec<Value>) {
    let catalog = default_catalog();
    let mut accounts = Vec::new();
    let mut instances = Vec::new();
    let mut purchases = Vec::new();
    for account in 0..ACCOUNTS {
        let account_id = app.funded_account(OPENING_DEPOSIT_MINOR).await;
        for (product, edition, spec) in SUBSCRIPTIONS {
            let bought = app.buy(&account_id, product, edition, spec, "1M").await;
            let specs: Vec<String> = catalog
                .product(product)
                .and_then(|product| product.edition(edition))
                .expect("the catalog sells the subscription")
                .specs
                .iter()
                .map(|spec| spec.id.clone())
                .collect();
            assert!(
                specs.len() >= 2,
                "{product} {edition} has specs to change among"
            );
            instances.push(Subscription {
                id: text(&bought["instance"]["id"]).to_string(),
                account,
                specs,
                purchased_until: text(&bought["order"]["ends_at"]).to_string(),
            });
            purchases.push(bought["order"].clone());
        }
        accounts.push(account_id);
    }
    (
        Fixture {
            accounts,
            instances,
        },
        purchases,
    )
}

/// One client: random operations until its time is up or no budget is left.
async fn client(
    app: Arc<TestApp>,
    fixture: Arc<Fixture>,
    budgets: Arc<Budgets>,
    until: Instant,
) -> Vec<Answer> {
    let mut rng = StdRng::from_entropy();
    let mut answers = Vec::new();
    while Instant::now() < until {
        let Some(operation) = budgets.pick(&fixture, &mut rng) else {
            break;
        };
        let (path, request) = operation.request(&fixture);
        let (status, body) = app.post(&path, request.clone()).await;
        answers.push(Answer {
            operation,
            path,
            request,
            status,
            body,
        });
    }
    answers
}

fn int(value: &Value) -> i64 {
    value
        .as_i64()
        .unwrap_or_else(|| panic!("{value} is an integer"))
}

/// What the 2xx answers say happened, and what in them contradicts itself.
#[derive(Default)]
struct Accounting {
    /// Every order answered, by id.
    orders: BTreeMap<String, Value>,
    /// Per account: what its balance should be.
    balance_minor: Vec<i64>,
    problems: Vec<String>,
}

impl Accounting {
    fn order(&mut self, fixture: &Fixture, instance: usize, order: &Value, context: &str) {
        let subscription = &fixture.instances[instance];
        let account = subscription.account;
        let id = text(&order["id"]).to_string();
        if order["instance_id"] != subscription.id.as_str()
            || order["account_id"] != fixture.accounts[account].as_str()
        {
            self.problems.push(format!(
                "{context}: order {id} is not for instance {} of account {}: {order}",
                subscription.id, fixture.accounts[account]
            ));
        }
        for source in [
            "paid_voucher_minor",
            "paid_coupon_minor",
            "paid_external_minor",
        ] {
            if int(&order[source]) != 0 {
                self.problems.push(format!(
                    "{context}: order {id} was paid from elsewhere than the balance: {order}"
                ));
            }
        }
        self.balance_minor[account] -= int(&order["paid_balance_minor"]);
        let refunded_minor = int(&order["refunded_minor"]);
        if refunded_minor != 0 {
            if order["refund_destination"] == "balance" {
                self.balance_minor[account] += refunded_minor;
            } else {
                self.problems.push(format!(
                    "{context}: a change of an order paid from the balance refunded elsewhere: {order}"
                ));
            }
        }
        if self.orders.insert(id.clone(), order.clone()).is_some() {
            self.problems
                .push(format!("{context}: order {id} answered twice"));
        }
    }

    fn answer(&mut self, fixture: &Fixture, answer: &Answer) {
        let context = format!("{} {} {}", answer.path, answer.request, answer.status);
        let body = &answer.body;
        match &answer.operation {
            Operation::Renew { instance, .. } => {
                self.order(fixture, *instance, &body["order"], &context)
            }
            Operation::BulkRenew { instances, .. } => {
                let renewed = body["data"].as_array().cloned().unwrap_or_default();
                if renewed.len() != instances.len() {
                    self.problems.push(format!(
                        "{context}: renewed {} of {} instances: {body}",
                        renewed.len(),
                        instances.len()
                    ));
                }
                for (instance, result) in instances.iter().zip(&renewed) {
                    self.order(fixture, *instance, &result["order"], &context);
                }
            }
            Operation::Change { instance, .. } => {
                if body["status"] != "applied" {
                    self.problems
                        .push(format!("{context}: a change not applied at once: {body}"));
                }
                for order in body["orders"].as_array().cloned().unwrap_or_default() {
                    self.order(fixture, *instance, &order, &context);
                }
            }
            Operation::Deposit {
                account,
                amount_minor,
            } => {
                if int(&body["amount_minor"]) != *amount_minor {
                    self.problems
                        .push(format!("{context}: deposited another amount: {body}"));
                }
                if int(&body["account"]["balance_minor"]) < 0 {
                    self.problems
                        .push(format!("{context}: a negative balance: {body}"));
                }
                self.balance_minor[*account] += amount_minor;
            }
        }
    }
}

/// Every order of an account the server holds, page after page.
async fn all_orders(app: &TestApp, account_id: &str) -> Vec<Value> {
    let mut orders = Vec::new();
    let mut after = String::new();
    loop {
        let page = app
            .get(&format!(
                "/v1/orders?account={account_id}&limit=1000{after}"
            ))
            .await;
        orders.extend(page["data"].as_array().unwrap().iter().cloned());
        match page["next_after"].as_str() {
            Some(next) => after = format!("&after={next}"),
            None => return orders,
        }
    }
}

async fn concurrent_renewals_changes_and_deposits_stay_consistent(backend: Backend) {
    let errors = ErrorLog::default();
    // The server runs on this test's (single-threaded) runtime: its error log is caught here.
    let _log = tracing::subscriber::set_default(errors.clone());
    let app = Arc::new(spawn_app(backend, START).await);
    let (fixture, purchases) = set_up(&app).await;
    let fixture = Arc::new(fixture);
    let budgets = Arc::new(Budgets::new(fixture.instances.len(), ACCOUNTS));
    errors.0.lock().unwrap().clear();

    let began = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            tokio::spawn(client(
                app.clone(),
                fixture.clone(),
                budgets.clone(),
                began + RUN_FOR,
            ))
        })
        .collect();
    let mut answers = Vec::new();
    for client in clients {
        answers.extend(client.await.unwrap());
    }
    let elapsed = began.elapsed();

    // Every answer: 2xx, or a 4xx that says why; never a 5xx.
    let mut problems = Vec::new();
    let mut by_outcome: BTreeMap<(&str, u16, String), usize> = BTreeMap::new();
    for answer in &answers {
        let code = answer.body["code"].as_str().unwrap_or("").to_string();
        *by_outcome
            .entry((answer.operation.kind(), answer.status, code))
            .or_default() += 1;
        let described = || {
            format!(
                "POST {} {} answered {} {}",
                answer.path, answer.request, answer.status, answer.body
            )
        };
        match answer.status {
            200..=299 => {}
            400..=499 => {
                let explained = answer.body["code"].is_string()
                    && answer.body["message"].is_string()
                    && answer.body.as_object().is_some_and(|body| body.len() == 2);
                if !explained {
                    problems.push(format!(
                        "a 4xx without a {{code, message}} body: {}",
                        described()
                    ));
                }
            }
            500..=599 => problems.push(format!("a 5xx: {}", described())),
            _ => problems.push(format!("an unexpected status: {}", described())),
        }
    }
    let server_errors = answers.iter().filter(|answer| answer.status >= 500).count();

    // What the 2xx answers say happened.
    let mut accounting = Accounting {
        balance_minor: vec![OPENING_DEPOSIT_MINOR; ACCOUNTS],
        ..Accounting::default()
    };
    for (instance, order) in purchases.iter().enumerate() {
        accounting.order(&fixture, instance, order, "the setup's purchase");
    }
    for answer in answers
        .iter()
        .filter(|answer| (200..300).contains(&answer.status))
    {
        accounting.answer(&fixture, answer);
    }
    problems.append(&mut accounting.problems);

    // Every account's running totals equal its postings.
    let audit = app.post_ok("/v1/ledger/audit", json!({})).await;
    assert_eq!(audit["drifted_accounts"], json!([]), "{audit}");
    for (account, account_id) in fixture.accounts.iter().enumerate() {
        let view = app.account(account_id).await;
        let balance_minor = int(&view["balance_minor"]);
        let ledger = app
            .get(&format!(
                "/v1/accounts/{account_id}/ledger?limit={LEDGER_PAGE}"
            ))
            .await;
        let entries = ledger["data"].as_array().unwrap();
        assert!(
            entries.len() < LEDGER_PAGE,
            "account {account_id}'s ledger fits one page ({} entries): the budgets are too large",
            entries.len()
        );
        let mut total_minor = 0;
        let mut balance_posted_minor = 0;
        for entry in entries {
            let postings = entry["postings"].as_array().unwrap();
            let sum_minor: i64 = postings
                .iter()
                .map(|posting| int(&posting["amount_minor"]))
                .sum();
            if sum_minor != 0 {
                problems.push(format!(
                    "account {account_id}: an entry sums to {sum_minor}: {entry}"
                ));
            }
            total_minor += sum_minor;
            balance_posted_minor += postings
                .iter()
                .filter(|posting| posting["ledger_account"] == "balance")
                .map(|posting| int(&posting["amount_minor"]))
                .sum::<i64>();
        }
        let expected_minor = accounting.balance_minor[account];
        let checks = [
            (total_minor == 0, format!("its ledger sums to {total_minor}")),
            (
                balance_minor == balance_posted_minor,
                format!("its balance {balance_minor} is not its balance postings' {balance_posted_minor}"),
            ),
            (
                balance_minor == expected_minor,
                format!(
                    "its balance {balance_minor} is not the {expected_minor} the answers add up to \
                     (off by {})",
                    balance_minor - expected_minor
                ),
            ),
            (balance_minor >= 0, format!("its balance {balance_minor} is negative")),
            (
                view["coupons_minor"] == 0 && view["vouchers_minor"] == 0,
                format!("it has credit no request gave it: {view}"),
            ),
        ];
        for (holds, problem) in checks {
            if !holds {
                problems.push(format!("account {account_id}: {problem}"));
            }
        }

        // The orders the server holds are those it answered.
        let held: BTreeSet<String> = all_orders(&app, account_id)
            .await
            .iter()
            .map(|order| text(&order["id"]).to_string())
            .collect();
        let answered: BTreeSet<String> = accounting
            .orders
            .values()
            .filter(|order| order["account_id"] == account_id.as_str())
            .map(|order| text(&order["id"]).to_string())
            .collect();
        let unanswered: Vec<_> = held.difference(&answered).collect();
        let missing: Vec<_> = answered.difference(&held).collect();
        if !unanswered.is_empty() || !missing.is_empty() {
            problems.push(format!(
                "account {account_id}: orders held but never answered {unanswered:?}, \
                 answered but not held {missing:?}"
            ));
        }
    }

    // Each instance's renewals follow each other, and it expires where the last one ends.
    for subscription in &fixture.instances {
        let mut renewals: Vec<&Value> = accounting
            .orders
            .values()
            .filter(|order| order["instance_id"] == subscription.id.as_str())
            .filter(|order| order["kind"] == "renewal")
            .collect();
        renewals.sort_by_key(|order| text(&order["starts_at"]).to_string());
        let mut until = subscription.purchased_until.clone();
        for renewal in renewals {
            if text(&renewal["starts_at"]) != until {
                problems.push(format!(
                    "instance {}: a renewal starts at {}, where the one before ends at {until}: {renewal}",
                    subscription.id, renewal["starts_at"]
                ));
            }
            until = text(&renewal["ends_at"]).to_string();
        }
        let instance = app.instance(&subscription.id).await;
        if text(&instance["expires_at"]) != until {
            problems.push(format!(
                "instance {}: expires at {}, but its renewals answered end at {until}",
                subscription.id, instance["expires_at"]
            ));
        }
    }

    // The server's error log, grouped: the causes of the 5xx answers.
    let mut causes: BTreeMap<String, usize> = BTreeMap::new();
    for line in errors.0.lock().unwrap().iter() {
        *causes.entry(line.clone()).or_default() += 1;
    }
    println!(
        "{} requests from {CLIENTS} clients in {:.1} s, {server_errors} answered 5xx; by kind, \
         status and code: {by_outcome:?}; the server's error log: {causes:#?}",
        answers.len(),
        elapsed.as_secs_f64()
    );
    const SHOWN: usize = 40;
    let mut shown = problems
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join("\n");
    if problems.len() > SHOWN {
        let _ = write!(shown, "\n… and {} more", problems.len() - SHOWN);
    }
    assert!(
        problems.is_empty(),
        "{} problems ({server_errors} of {} answers were 5xx; the server logged {causes:#?}):\n{shown}",
        problems.len(),
        answers.len(),
    );
    let succeeded: BTreeSet<&str> = by_outcome
        .keys()
        .filter(|(_, status, _)| (200..300).contains(status))
        .map(|(kind, _, _)| *kind)
        .collect();
    assert_eq!(
        succeeded.len(),
        4,
        "every kind of request succeeded at least once: {by_outcome:?}"
    );
    // Every use case takes its locks in one order, so the writes never deadlock: the store's
    // retries (which would hide a deadlock from the answers) were never needed.
    let metrics = app.metrics().await;
    let retries = metrics
        .lines()
        .find_map(|line| line.strip_prefix("tenure_write_retries_total "))
        .expect("the retries counter");
    assert_eq!(retries, "0", "{metrics}");
}
on_both_backends!(
    many_clients,
    concurrent_renewals_changes_and_deposits_stay_consistent
);
