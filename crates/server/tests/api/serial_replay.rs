//! Fifty clients at once renew, upgrade, downgrade, unsubscribe and deposit on the same six
//! instances of three accounts; then the requests that succeeded are replayed one by one, in
//! the order their effects were written (the seq of the first event each wrote: requests of
//! one account lock its row, so that order is the order they took effect), on a fresh server
//! set up the same way. Every replayed request must succeed with the same amounts, and the
//! final state (balances, each instance's spec, status and expiry, its orders by kind) must be
//! the concurrent run's: the concurrent run equals that serial order. No answer is a 5xx.
//! On SQLite and PostgreSQL.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_both_backends;

const START: &str = "2026-02-10T00:00:00Z";
const CLIENTS: usize = 50;
const ACCOUNTS: usize = 3;
const INSTANCES_PER_ACCOUNT: usize = 2;
const REQUESTS_PER_CLIENT: usize = 12;
const RUN_FOR: Duration = Duration::from_secs(6);
const OPENING_DEPOSIT_MINOR: i64 = 10_000_000;

#[derive(Debug, Clone)]
enum Operation {
    Renew { instance: usize },
    Change { instance: usize, spec: &'static str },
    Unsubscribe { instance: usize },
    Deposit { account: usize, amount_minor: i64 },
}

impl Operation {
    fn random(rng: &mut StdRng) -> Operation {
        let instance = rng.gen_range(0..ACCOUNTS * INSTANCES_PER_ACCOUNT);
        match rng.gen_range(0..100) {
            0..35 => Operation::Renew { instance },
            35..65 => Operation::Change {
                instance,
                spec: if rng.gen_bool(0.5) {
                    "tps-5000"
                } else {
                    "tps-1000"
                },
            },
            65..68 => Operation::Unsubscribe { instance },
            _ => Operation::Deposit {
                account: rng.gen_range(0..ACCOUNTS),
                amount_minor: rng.gen_range(100..10_000),
            },
        }
    }

    fn account(&self) -> usize {
        match self {
            Operation::Renew { instance }
            | Operation::Change { instance, .. }
            | Operation::Unsubscribe { instance } => instance / INSTANCES_PER_ACCOUNT,
            Operation::Deposit { account, .. } => *account,
        }
    }

    async fn send(&self, app: &TestApp, setup: &Setup) -> (u16, Value) {
        match self {
            Operation::Renew { instance } => {
                app.post(
                    &format!("/v1/instances/{}/renew", setup.instances[*instance]),
                    json!({ "period": "1M" }),
                )
                .await
            }
            Operation::Change { instance, spec } => {
                app.post(
                    &format!("/v1/instances/{}/change", setup.instances[*instance]),
                    json!({ "spec": spec }),
                )
                .await
            }
            Operation::Unsubscribe { instance } => {
                app.post(
                    &format!("/v1/instances/{}/unsubscribe", setup.instances[*instance]),
                    json!({ "confirm_refund": true, "confirm_data_backed_up": true }),
                )
                .await
            }
            Operation::Deposit {
                account,
                amount_minor,
            } => {
                app.post(
                    &format!("/v1/accounts/{}/deposits", setup.accounts[*account]),
                    json!({ "amount": amount_minor, "method": "bank_card" }),
                )
                .await
            }
        }
    }

    /// The amounts of a success answer that any run of the same request on the same state
    /// gives (ids aside).
    fn amounts(&self, answer: &Value) -> Value {
        match self {
            Operation::Renew { .. } => json!([
                answer["order"]["paid_balance_minor"],
                answer["order"]["starts_at"],
                answer["order"]["ends_at"]
            ]),
            Operation::Change { .. } => json!([
                answer["charge_minor"],
                answer["refund_minor"],
                answer["status"]
            ]),
            Operation::Unsubscribe { .. } => {
                json!(answer["refunds"].as_array().map(|refunds| refunds
                    .iter()
                    .map(|refund| refund["refund_minor"].clone())
                    .collect::<Vec<_>>()))
            }
            Operation::Deposit { .. } => json!(answer["amount_minor"]),
        }
    }
}

struct Setup {
    accounts: Vec<String>,
    instances: Vec<String>,
}

/// The same accounts and instances on any fresh server, in the same order.
async fn set_up(app: &TestApp) -> Setup {
    let mut setup = Setup {
        accounts: Vec::new(),
        instances: Vec::new(),
    };
    for _ in 0..ACCOUNTS {
        let account = app.funded_account(OPENING_DEPOSIT_MINOR).await;
        for _ in 0..INSTANCES_PER_ACCOUNT {
            let bought = app
                .buy(&account, "message-queue", "basic", "tps-1000", "1M")
                .await;
            setup
                .instances
                .push(bought["instance"]["id"].as_str().unwrap().to_string());
        }
        setup.accounts.push(account);
    }
    setup
}

/// The seq of the first event the success `answer` of `operation` wrote, among `events`.
fn first_seq(operation: &Operation, answer: &Value, setup: &Setup, events: &[Value]) -> i64 {
    let found = events.iter().find(|event| match operation {
        Operation::Renew { .. } => {
            event["kind"] == "instance.renewed"
                && event["data"]["order_id"] == answer["order"]["id"]
        }
        Operation::Change { .. } => {
            (event["kind"] == "instance.upgraded" || event["kind"] == "instance.downgraded")
                && event["data"]["order_ids"][0] == answer["orders"][0]["id"]
        }
        Operation::Unsubscribe { instance } => {
            event["kind"] == "instance.unsubscribed"
                && event["instance_id"] == setup.instances[*instance].as_str()
        }
        Operation::Deposit { .. } => {
            event["kind"] == "funds.deposited" && event["data"]["entry_id"] == answer["entry_id"]
        }
    });
    found.unwrap_or_else(|| panic!("no event of {operation:?} answered {answer}"))["seq"]
        .as_i64()
        .unwrap()
}

async fn events_of(app: &TestApp, account_id: &str) -> Vec<Value> {
    let mut events = Vec::new();
    let mut after = String::new();
    loop {
        let page = app
            .get(&format!(
                "/v1/events?account={account_id}&limit=1000{after}"
            ))
            .await;
        let data = page["data"].as_array().unwrap().clone();
        let Some(last) = data.last() else {
            return events;
        };
        after = format!("&after={}", last["seq"]);
        events.extend(data);
    }
}

/// What the two runs must agree on: funds by account; each instance's spec, status, expiry
/// and orders by kind.
async fn final_state(app: &TestApp, setup: &Setup) -> Value {
    let mut accounts = Vec::new();
    for account_id in &setup.accounts {
        let account = app.account(account_id).await;
        accounts.push(json!([
            account["balance_minor"],
            account["coupons_minor"],
            account["vouchers_minor"]
        ]));
    }
    let mut instances = Vec::new();
    for instance_id in &setup.instances {
        let instance = app.instance(instance_id).await;
        let orders = app
            .get(&format!("/v1/orders?instance={instance_id}&limit=1000"))
            .await;
        let mut kinds: BTreeMap<String, (usize, i64)> = BTreeMap::new();
        for order in orders["data"].as_array().unwrap() {
            let kind = kinds
                .entry(order["kind"].as_str().unwrap().to_string())
                .or_default();
            kind.0 += 1;
            kind.1 += order["paid_balance_minor"].as_i64().unwrap()
                - order["refunded_minor"].as_i64().unwrap();
        }
        instances.push(json!([
            instance["spec_id"],
            instance["status"],
            instance["expires_at"],
            kinds
        ]));
    }
    json!({ "accounts": accounts, "instances": instances })
}

async fn the_concurrent_run_equals_a_serial_one(backend: Backend) {
    let app = spawn_app(backend, START).await;
    let setup = Arc::new(set_up(&app).await);
    let app = Arc::new(app);
    let answered: Arc<Mutex<Vec<(Operation, u16, Value)>>> = Arc::default();
    let deadline = Instant::now() + RUN_FOR;
    let mut clients = Vec::new();
    for client in 0..CLIENTS {
        let (app, setup, answered) = (app.clone(), setup.clone(), answered.clone());
        clients.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(client as u64 ^ rand::random::<u64>());
            for _ in 0..REQUESTS_PER_CLIENT {
                if Instant::now() > deadline {
                    break;
                }
                let operation = Operation::random(&mut rng);
                let (status, answer) = operation.send(&app, &setup).await;
                assert!(status < 500, "{operation:?}: {status} {answer}");
                answered.lock().unwrap().push((operation, status, answer));
            }
        }));
    }
    for client in clients {
        client.await.unwrap();
    }
    let answered = answered.lock().unwrap().clone();
    let total = answered.len();
    let mut events = Vec::new();
    for account_id in &setup.accounts {
        events.extend(events_of(&app, account_id).await);
    }
    let mut succeeded: Vec<(i64, Operation, Value)> = answered
        .into_iter()
        .filter(|(_, status, _)| (200..300).contains(status))
        .map(|(operation, _, answer)| {
            (
                first_seq(&operation, &answer, &setup, &events),
                operation,
                answer,
            )
        })
        .collect();
    succeeded.sort_by_key(|(seq, _, _)| *seq);
    let concurrent = final_state(&app, &setup).await;

    let serial_app = spawn_app(backend, START).await;
    let serial_setup = set_up(&serial_app).await;
    for (_, operation, answer) in &succeeded {
        let (status, again) = operation.send(&serial_app, &serial_setup).await;
        assert!(
            (200..300).contains(&status),
            "replayed {operation:?}: {status} {again}; first {answer}"
        );
        assert_eq!(
            operation.amounts(&again),
            operation.amounts(answer),
            "replayed {operation:?}"
        );
    }
    assert_eq!(final_state(&serial_app, &serial_setup).await, concurrent);
    let by_account: BTreeMap<usize, usize> =
        succeeded
            .iter()
            .fold(BTreeMap::new(), |mut kinds, (_, operation, _)| {
                *kinds.entry(operation.account()).or_default() += 1;
                kinds
            });
    println!(
        "{} requests answered at once, {} succeeded and replayed one by one to the same state",
        total,
        succeeded.len()
    );
    assert!(
        succeeded.len() > CLIENTS,
        "{} requests succeeded ({by_account:?} by account)",
        succeeded.len()
    );
}

on_both_backends!(serial_replay, the_concurrent_run_equals_a_serial_one);
