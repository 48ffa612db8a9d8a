//! A sweep reads an account and its funds once per transaction, not once per batch: the
//! batches after the first pay from the funds as the earlier batches' charges left them, and
//! never from what the account held when the transaction began. Runs on SQLite and PostgreSQL.

#[macro_use]
mod support;

use jiff::Timestamp;
use tenure_core::payment::{PaymentMethod, PaymentSources};
use tenure_core::period::Period;
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
    let account = engine
        .create_account(&mut tx, support::ada())
        .await
        .unwrap();
    let account_id = account.account.account.id.clone();
    let deposit_minor = MONTH_MINOR * (INSTANCES + RENEWALS_PAID_FOR) as i64;
    engine
        .deposit(&mut tx, &account_id, deposit_minor, PaymentMethod::BankCard)
        .await
        .unwrap();
    let mut instance_ids = Vec::with_capacity(INSTANCES);
    for _ in 0..INSTANCES {
        let mut command = support::monthly_basic_queue(&account_id);
        command.request.auto_renew_period = Some(Period::months(1));
        command.auto_renew = true;
        command.sources = PaymentSources::AUTO_RENEWAL;
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
