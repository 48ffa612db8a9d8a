//! A sweep reads an account and its funds once per transaction, not once per batch: the
//! batches after the first pay from the funds as the earlier batches' charges left them, and
//! never from what the account held when the transaction began; and a bill paid in the same
//! transaction, which moves money without the sweep's buffer, is seen by the attempts after
//! it; the reads are forgotten at commit, so money deposited between two sweeps is seen by
//! the next (the maps they are kept in outlive a sweep, emptied). Runs on SQLite and PostgreSQL.

#[macro_use]
mod support;

use jiff::Timestamp;
use tenure_core::payment::PaymentMethod;
use tenure_core::usage::UsageRecord;
use tenure_engine::Engine;
use tenure_store::bills::{self, BillFilter, BillStatus};
use tenure_store::orders::{self, OrderFilter};
use tenure_store::{deduction_attempts, ledger};

/// Message queue Basic `tps-1000`: 12000 a month, daily schedule T-9 … T-1.
const MONTH_MINOR: i64 = 12_000;
const START: &str = "2026-02-10T00:00:00Z";
/// Expiry 2026-03-10, so every instance's first attempt (T-9) is due here.
const FIRST_ATTEMPT: &str = "2026-03-01T00:00:00Z";
/// More than one batch on either database (2,500 a batch on SQLite, 1,000 on PostgreSQL),
/// all in one transaction (40,000 and 5,000 items).
const INSTANCES: usize = 2_600;
/// What the balance pays for after the purchases: the last batch runs out.
const RENEWALS_PAID_FOR: usize = 2_550;

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

async fn later_batches_pay_from_what_earlier_batches_left(backend: support::Backend) {
    let (store, _cleanup) = support::fresh_store(backend).await;
    let engine = support::engine_with(store, at(START));
    let mut tx = engine.begin().await.unwrap();
    let deposit_minor = MONTH_MINOR * (INSTANCES + RENEWALS_PAID_FOR) as i64;
    let account_id = support::ada_with_deposit(&engine, &mut tx, deposit_minor).await;
    let mut instance_ids = Vec::with_capacity(INSTANCES);
    for _ in 0..INSTANCES {
        let command = support::auto_renewing_monthly_queue(&account_id);
        let bought = engine.purchase(&mut tx, command).await.unwrap();
        instance_ids.push(bought.instance.instance.id.clone());
    }
    tx.commit().await.unwrap();

    let report = engine.run_due(at(FIRST_ATTEMPT)).await.unwrap();
    assert_eq!(report.steps_taken, INSTANCES as u64);
    assert_eq!(report.steps_failed, 0);

    let mut connection = engine.store.read().await.unwrap();
    // Running totals agree with the postings (checked_funds refuses a difference), and the
    // balance paid exactly what it held for.
    let funds = ledger::checked_funds(&mut connection, &account_id)
        .await
        .unwrap();
    assert_eq!(funds.balance_minor, 0);
    let filter = OrderFilter {
        account_id: Some(account_id.clone()),
        kind: Some("auto_renewal".into()),
        limit: 10_000,
        ..OrderFilter::default()
    };
    let renewals = orders::list(&mut connection, &filter).await.unwrap();
    assert_eq!(renewals.len(), RENEWALS_PAID_FOR);
    assert!(renewals
        .iter()
        .all(|order| order.paid_balance_minor == MONTH_MINOR));
    // The instances the money did not reach have a failed attempt each, and nothing charged.
    let mut failed = 0;
    for instance_id in &instance_ids {
        let attempts = deduction_attempts::for_expiry(
            &mut connection,
            instance_id,
            at("2026-03-10T00:00:00Z"),
        )
        .await
        .unwrap();
        assert_eq!(attempts.len(), 1, "{instance_id}: one attempt");
        if attempts[0].outcome != "paid" {
            assert_eq!(attempts[0].available_minor, 0, "{instance_id}");
            failed += 1;
        }
    }
    assert_eq!(failed, INSTANCES - RENEWALS_PAID_FOR);
}

on_both_backends!(
    later_batches,
    later_batches_pay_from_what_earlier_batches_left
);

/// Buys a monthly basic queue renewed automatically from the balance; its id.
async fn auto_renewing_queue(engine: &Engine, account_id: &str) -> String {
    let mut tx = engine.begin().await.unwrap();
    let command = support::auto_renewing_monthly_queue(account_id);
    let bought = engine.purchase(&mut tx, command).await.unwrap();
    tx.commit().await.unwrap();
    bought.instance.instance.id.clone()
}

/// 100,000,000 messages on the legacy IoT edition: 8 per 10,000.
const BILL_MINOR: i64 = 80_000;

async fn a_bill_paid_between_two_attempts_is_seen_by_the_second(backend: support::Backend) {
    let (store, _cleanup) = support::fresh_store(backend).await;
    let engine = support::engine_with(store, at(START));
    let mut tx = engine.begin().await.unwrap();
    // Two purchases, the first renewal, the bill, and one short of the second renewal.
    let deposit_minor = 3 * MONTH_MINOR + BILL_MINOR + MONTH_MINOR - 1;
    let account_id = support::ada_with_deposit(&engine, &mut tx, deposit_minor).await;
    let iot = engine
        .purchase(&mut tx, support::payg_iot(&account_id))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    // Expires 03-10: its first attempt at 03-01 00:00.
    let first = auto_renewing_queue(&engine, &account_id).await;
    engine.advance_to(at("2026-02-12T00:00:00Z")).await.unwrap();
    // Expires 03-12: its first attempt at 03-03 00:00.
    let second = auto_renewing_queue(&engine, &account_id).await;
    engine.advance_to(at("2026-02-28T23:30:00Z")).await.unwrap();
    // Usage in the hour that ends at 03-01 00:00: its bill is generated at 04:00, four hours
    // after the first attempt and two days before the second.
    let mut tx = engine.begin().await.unwrap();
    engine
        .record_usage(
            &mut tx,
            vec![UsageRecord {
                record_id: "messages-1".into(),
                instance_id: iot.instance.instance.id.clone(),
                meter_id: "messages".into(),
                quantity: 100_000_000,
                at: at("2026-02-28T23:30:00Z"),
            }],
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();

    // One advance, one transaction: the first attempt, the bill, the second attempt.
    engine.advance_to(at("2026-03-03T01:00:00Z")).await.unwrap();

    let mut connection = engine.store.read().await.unwrap();
    let paid_bills = bills::list(
        &mut connection,
        &BillFilter {
            account_id: Some(account_id.clone()),
            limit: 10,
            ..BillFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(paid_bills.len(), 1);
    assert_eq!(paid_bills[0].status, BillStatus::Paid);
    assert_eq!(paid_bills[0].amount_minor, BILL_MINOR);
    let first_attempts =
        deduction_attempts::for_expiry(&mut connection, &first, at("2026-03-10T00:00:00Z"))
            .await
            .unwrap();
    assert_eq!(first_attempts.len(), 1);
    assert_eq!(first_attempts[0].outcome, "paid");
    let second_attempts =
        deduction_attempts::for_expiry(&mut connection, &second, at("2026-03-12T00:00:00Z"))
            .await
            .unwrap();
    assert_eq!(second_attempts.len(), 1);
    assert_eq!(second_attempts[0].outcome, "insufficient_funds");
    assert_eq!(second_attempts[0].available_minor, MONTH_MINOR - 1);
    let funds = ledger::checked_funds(&mut connection, &account_id)
        .await
        .unwrap();
    assert_eq!(funds.balance_minor, MONTH_MINOR - 1);
}

on_both_backends!(
    bill_between_attempts,
    a_bill_paid_between_two_attempts_is_seen_by_the_second
);

async fn a_deposit_between_two_sweeps_is_seen_by_the_next(backend: support::Backend) {
    let (store, _cleanup) = support::fresh_store(backend).await;
    let engine = support::engine_with(store, at(START));
    let mut tx = engine.begin().await.unwrap();
    // The purchase, and nothing for its renewal.
    let account_id = support::ada_with_deposit(&engine, &mut tx, MONTH_MINOR).await;
    tx.commit().await.unwrap();
    // Expires 03-10: attempts daily from 03-01.
    let queue = auto_renewing_queue(&engine, &account_id).await;
    let report = engine.run_due(at(FIRST_ATTEMPT)).await.unwrap();
    assert_eq!(report.steps_taken, 1, "the first attempt");

    let mut tx = engine.begin().await.unwrap();
    engine
        .deposit(&mut tx, &account_id, MONTH_MINOR, PaymentMethod::Transfer)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    engine.run_due(at("2026-03-02T00:00:00Z")).await.unwrap();

    let mut connection = engine.store.read().await.unwrap();
    let attempts =
        deduction_attempts::for_expiry(&mut connection, &queue, at("2026-03-10T00:00:00Z"))
            .await
            .unwrap();
    let outcomes: Vec<(&str, i64)> = attempts
        .iter()
        .map(|attempt| (attempt.outcome.as_str(), attempt.available_minor))
        .collect();
    assert_eq!(
        outcomes,
        [("insufficient_funds", 0), ("paid", MONTH_MINOR)],
        "the second sweep paid from the deposit"
    );
    let funds = ledger::checked_funds(&mut connection, &account_id)
        .await
        .unwrap();
    assert_eq!(funds.balance_minor, 0);
}

on_both_backends!(
    deposit_between_sweeps,
    a_deposit_between_two_sweeps_is_seen_by_the_next
);
