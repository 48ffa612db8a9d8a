//! Money's invariants as properties: random sequences of deposits, coupon and voucher grants,
//! purchases (paid from any mix of sources, renewed by hand or automatically), renewals,
//! upgrades and downgrades, unsubscriptions, pay-as-you-go instances and their usage, and
//! clock advances, on a fresh server each, and after every sequence:
//!
//! - no request answers 5xx;
//! - each of the account's funds (balance, coupons, vouchers) equals what its ledger's
//!   postings sum to, and every entry sums to zero;
//! - no balance is below zero: what a bill could not take is a debt, the unpaid part of the
//!   unpaid bills, and the account is overdue exactly while it has one;
//! - no refund exceeds the cash its period was paid with, and no order is refunded more than
//!   the cash it took: the coupons' and vouchers' shares never come back as cash;
//! - coupons and vouchers never grow but by grants and refunds to coupons.
//!
//! `PROPTEST_CASES` sets the number of sequences (12 by default, each on its own server).

use proptest::prelude::*;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp};

#[derive(Debug, Clone)]
enum Operation {
    Deposit(i64),
    Coupons(i64),
    Vouchers(i64),
    Buy {
        auto_renew: bool,
        vouchers: bool,
        coupons: bool,
    },
    Renew {
        instance: usize,
        vouchers: bool,
        coupons: bool,
    },
    Change {
        instance: usize,
        up: bool,
    },
    Unsubscribe {
        instance: usize,
    },
    Advance {
        days: u32,
    },
    /// A pay-as-you-go IoT instance: billed by the hour for its usage, its bills paid from
    /// coupons and the balance, or left unpaid (the account overdue, its debt recorded).
    BuyPayg,
    Usage {
        quantity: i64,
    },
}

fn operation() -> impl Strategy<Value = Operation> {
    prop_oneof![
        (1i64..60_000).prop_map(Operation::Deposit),
        (1i64..20_000).prop_map(Operation::Coupons),
        (1i64..20_000).prop_map(Operation::Vouchers),
        (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
            |(auto_renew, vouchers, coupons)| Operation::Buy {
                auto_renew,
                vouchers,
                coupons
            }
        ),
        (any::<usize>(), any::<bool>(), any::<bool>()).prop_map(|(instance, vouchers, coupons)| {
            Operation::Renew {
                instance,
                vouchers,
                coupons,
            }
        }),
        (any::<usize>(), any::<bool>())
            .prop_map(|(instance, up)| Operation::Change { instance, up }),
        any::<usize>().prop_map(|instance| Operation::Unsubscribe { instance }),
        (1u32..40).prop_map(|days| Operation::Advance { days }),
        Just(Operation::BuyPayg),
        (1i64..50_000_000).prop_map(|quantity| Operation::Usage { quantity }),
    ]
}

/// Plays `operations` on one account of a fresh server, then checks the invariants.
async fn play(operations: &[Operation]) {
    let app = spawn_app(Backend::Sqlite, "2026-02-10T00:00:00Z").await;
    let account_id = app.funded_account(0).await;
    let mut instances: Vec<String> = Vec::new();
    let mut payg: Vec<String> = Vec::new();
    let mut usage_records = 0;
    for operation in operations {
        let pick = |index: &usize| instances.get(index % instances.len().max(1)).cloned();
        let (path, body) = match operation {
            Operation::Deposit(amount) => (
                format!("/v1/accounts/{account_id}/deposits"),
                json!({ "amount": amount, "method": "bank_card" }),
            ),
            Operation::Coupons(amount) => (
                format!("/v1/accounts/{account_id}/coupons"),
                json!({ "amount": amount }),
            ),
            Operation::Vouchers(amount) => (
                format!("/v1/accounts/{account_id}/vouchers"),
                json!({ "amount": amount }),
            ),
            Operation::Buy {
                auto_renew,
                vouchers,
                coupons,
            } => {
                let mut body = json!({ "account": account_id, "product": "message-queue", "edition": "basic",
                                       "spec": "tps-1000", "region": "us-east-1", "period": "1M",
                                       "use_vouchers": vouchers, "use_coupons": coupons });
                if *auto_renew {
                    body["auto_renew"] = json!({ "period": "1M" });
                }
                ("/v1/instances".to_string(), body)
            }
            Operation::Renew {
                instance,
                vouchers,
                coupons,
            } => {
                let Some(id) = pick(instance) else { continue };
                (
                    format!("/v1/instances/{id}/renew"),
                    json!({ "period": "1M", "use_vouchers": vouchers, "use_coupons": coupons }),
                )
            }
            Operation::Change { instance, up } => {
                let Some(id) = pick(instance) else { continue };
                let spec = if *up { "tps-5000" } else { "tps-1000" };
                (
                    format!("/v1/instances/{id}/change"),
                    json!({ "spec": spec }),
                )
            }
            Operation::Unsubscribe { instance } => {
                let Some(id) = pick(instance) else { continue };
                (
                    format!("/v1/instances/{id}/unsubscribe"),
                    json!({ "confirm_refund": true, "confirm_data_backed_up": true }),
                )
            }
            Operation::Advance { days } => (
                "/v1/clock/advance".to_string(),
                json!({ "by": format!("P{days}D") }),
            ),
            Operation::BuyPayg => (
                "/v1/instances".to_string(),
                json!({ "account": account_id, "product": "iot-platform", "edition": "legacy-public",
                        "region": "us-east-1", "billing": "payg" }),
            ),
            Operation::Usage { quantity } => {
                let Some(id) = payg.last() else { continue };
                usage_records += 1;
                let now = app.get("/v1/clock").await["now"].clone();
                (
                    "/v1/usage".to_string(),
                    json!({ "record_id": format!("usage-{usage_records}"), "instance": id,
                            "meter": "messages", "quantity": quantity, "time": now }),
                )
            }
        };
        let (status, answer) = app.post(&path, body.clone()).await;
        assert!(status < 500, "POST {path} {body}: {status} {answer}");
        let bought = || answer["instance"]["id"].as_str().unwrap().to_string();
        match operation {
            Operation::Buy { .. } if status == 201 => instances.push(bought()),
            Operation::BuyPayg if status == 201 => payg.push(bought()),
            _ => {}
        }
    }
    check(&app, &account_id).await;
}

async fn all(app: &TestApp, path: &str) -> Vec<Value> {
    let page = app.get(&format!("{path}&limit=1000")).await;
    assert!(
        page["next"].is_null() || page["data"].as_array().unwrap().len() < 1000,
        "{path}: one page holds it all"
    );
    page["data"].as_array().unwrap().clone()
}

async fn check(app: &TestApp, account_id: &str) {
    // One snapshot per answer: the account's funds are checked against its postings by the
    // server itself (a difference answers 500); summed here again from the ledger's pages.
    let account = app.account(account_id).await;
    let entries = app.balanced_ledger(account_id).await;
    let mut sums = std::collections::HashMap::new();
    for entry in &entries {
        for posting in entry["postings"].as_array().unwrap() {
            if posting["account_id"]
                .as_str()
                .is_none_or(|owner| owner == account_id)
            {
                *sums
                    .entry(posting["ledger_account"].as_str().unwrap().to_string())
                    .or_insert(0i64) += posting["amount_minor"].as_i64().unwrap();
            }
        }
    }
    for fund in ["balance", "coupons", "vouchers"] {
        assert_eq!(
            account[format!("{fund}_minor")].as_i64().unwrap(),
            sums.get(fund).copied().unwrap_or(0),
            "{fund}: the account's total is its postings' sum"
        );
    }
    // Never below zero: what bills could not take is a debt, recorded, and the account is
    // overdue exactly while it has one.
    assert!(account["balance_minor"].as_i64().unwrap() >= 0, "{account}");
    let debt_minor = account["debt_minor"].as_i64().unwrap();
    assert_eq!(
        account["overdue"].as_bool().unwrap(),
        debt_minor > 0,
        "{account}"
    );
    let unpaid: i64 = all(
        app,
        &format!("/v1/bills?account={account_id}&status=unpaid"),
    )
    .await
    .iter()
    .map(|bill| {
        bill["amount_minor"].as_i64().unwrap()
            - bill["paid_balance_minor"].as_i64().unwrap()
            - bill["paid_coupon_minor"].as_i64().unwrap()
    })
    .sum();
    assert_eq!(
        debt_minor, unpaid,
        "the debt is the unpaid part of the unpaid bills"
    );

    for refund in all(app, &format!("/v1/refunds?account={account_id}")).await {
        let number = |field: &str| refund[field].as_i64().unwrap();
        let cash_left = number("cash_paid_minor") - number("refunded_before_minor");
        assert_eq!(
            number("refund_minor"),
            number("to_coupons_minor") + number("to_balance_minor") + number("to_external_minor"),
            "{refund}"
        );
        assert!(
            number("to_balance_minor") + number("to_external_minor") <= cash_left.max(0),
            "a refund in cash is at most the cash paid: {refund}"
        );
    }
    // A service period (its opening order and the changes of it) is never refunded more than
    // it was paid, vouchers aside: a downgrade's refund and an unsubscription's come from
    // what the period's orders took from the balance, an outside method and coupons.
    let mut periods: std::collections::HashMap<String, (i64, i64)> = Default::default();
    for order in all(app, &format!("/v1/orders?account={account_id}")).await {
        let number = |field: &str| order[field].as_i64().unwrap();
        let period = periods
            .entry(order["period_order_id"].as_str().unwrap().to_string())
            .or_default();
        period.0 += number("paid_balance_minor")
            + number("paid_external_minor")
            + number("paid_coupon_minor");
        period.1 += number("refunded_minor");
    }
    for (period, (paid, refunded)) in periods {
        assert!(
            refunded <= paid,
            "period {period}: {refunded} refunded of {paid} paid, vouchers aside"
        );
    }
    // Coupons and vouchers come only from grants and refunds to coupons; vouchers never
    // come back at all.
    let granted = |kind: &str| -> i64 {
        entries
            .iter()
            .filter(|entry| entry["kind"] == kind)
            .flat_map(|entry| entry["postings"].as_array().unwrap().clone())
            .filter(|posting| posting["amount_minor"].as_i64().unwrap() > 0)
            .filter(|posting| {
                posting["ledger_account"]
                    == if kind == "coupon_grant" {
                        "coupons"
                    } else {
                        "vouchers"
                    }
            })
            .map(|posting| posting["amount_minor"].as_i64().unwrap())
            .sum()
    };
    let coupons_in: i64 = sums_into(&entries, "coupons");
    let vouchers_in: i64 = sums_into(&entries, "vouchers");
    assert!(
        vouchers_in <= granted("voucher_grant"),
        "vouchers come only from grants"
    );
    assert!(coupons_in >= granted("coupon_grant"));
}

/// Everything that ever went into `fund` (its positive postings).
fn sums_into(entries: &[Value], fund: &str) -> i64 {
    entries
        .iter()
        .flat_map(|entry| entry["postings"].as_array().unwrap().clone())
        .filter(|posting| posting["ledger_account"] == fund)
        .map(|posting| posting["amount_minor"].as_i64().unwrap())
        .filter(|amount| *amount > 0)
        .sum()
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(12)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn money_keeps_its_invariants(operations in prop::collection::vec(operation(), 1..40)) {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(play(&operations));
    }
}
