//! An account's running totals (balance, coupons, vouchers) move with every ledger entry, are
//! checked against the sums of its postings where the ledger is read, and are rebuilt for a
//! database written before they existed.

#[macro_use]
mod support;

use tenure_core::payment::Funds;
use tenure_engine::Engine;
use tenure_store::database::query;
use tenure_store::{ledger, migrations, Store, StoreError};

const START: &str = "2026-02-10T00:00:00Z";

/// An account with 1,000.00 deposited and a 1-month basic message queue bought from it.
async fn account_with_a_purchase(engine: &Engine) -> String {
    support::account_with_queues(engine, 1).await.0
}

async fn running_totals_follow_the_postings_and_drift_is_reported(backend: support::Backend) {
    let (url, _cleanup) = support::fresh_database(backend).await;
    let engine = support::engine_on(&url, START.parse().unwrap()).await;
    let account_id = account_with_a_purchase(&engine).await;

    let mut connection = engine.store.read().await.unwrap();
    let funds = ledger::funds(&mut connection, &account_id).await.unwrap();
    let price_minor = 100_000 - funds.balance_minor;
    assert!(price_minor > 0, "the purchase was paid from the balance");
    assert_eq!(
        ledger::checked_funds(&mut connection, &account_id)
            .await
            .unwrap(),
        funds
    );
    ledger::check_balanced(&mut connection).await.unwrap();

    // A posting written around the ledger's one door: the totals no longer match the sum.
    query(
        "INSERT INTO ledger_postings (entry_id, account_id, ledger_account, amount_minor)
         SELECT entry_id, account_id, 'balance', 1 FROM ledger_postings WHERE account_id = $1 LIMIT 1",
    )
    .bind(&account_id)
    .execute(&mut connection)
    .await
    .unwrap();
    let error = ledger::checked_funds(&mut connection, &account_id)
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::LedgerUnbalanced(_)), "{error}");
    assert!(ledger::check_balanced(&mut connection).await.is_err());

    // The audit finds it, a batch at a time, whatever the batch's size; and only it.
    let other = account_with_a_purchase(&engine).await;
    for batch_accounts in [1, 2, 500] {
        let mut drifted = Vec::new();
        let mut checked = 0;
        let mut after = String::new();
        loop {
            let batch = ledger::audit_batch(&mut connection, &after, batch_accounts)
                .await
                .unwrap();
            assert!(batch.accounts <= batch_accounts as u64);
            checked += batch.accounts;
            drifted.extend(batch.drifted.into_iter().map(|drift| drift.account_id));
            let Some(last) = batch.last_account_id else {
                break;
            };
            after = last;
        }
        assert_eq!(
            drifted,
            vec![account_id.clone()],
            "batches of {batch_accounts}"
        );
        assert_eq!(checked, 2, "batches of {batch_accounts}");
    }
    drop(connection);
    let audit = engine.audit_ledgers(1).await.unwrap();
    assert_eq!(audit.accounts_checked, 2);
    assert_eq!(audit.drifted_accounts, vec![account_id.clone()]);
    let mut connection = engine.store.read().await.unwrap();
    let frozen = tenure_store::accounts::get(&mut connection, &account_id)
        .await
        .unwrap()
        .unwrap();
    assert!(frozen.frozen_reason.unwrap().contains("running totals"));
    let healthy = tenure_store::accounts::get(&mut connection, &other)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(healthy.frozen_reason, None);
}

async fn totals_are_rebuilt_from_the_postings_when_missing(backend: support::Backend) {
    let (url, _cleanup) = support::fresh_database(backend).await;
    // A database with the schema as it stood before tenure numbered its migrations (version 1
    // is that schema), written to by this tenure.
    let old = Store::open_unmigrated(&url).await.unwrap();
    migrations::migrate_to(&old, 1).await.unwrap();
    support::columns_of_later_versions(&old, true).await;
    let engine = support::engine_with(old.clone(), START.parse().unwrap());
    let account_id = account_with_a_purchase(&engine).await;
    let mut connection = engine.store.read().await.unwrap();
    let before = ledger::funds(&mut connection, &account_id).await.unwrap();
    // As a database written before the running totals existed (and before tenure numbered its
    // migrations) looks: no totals, no record of schema versions.
    for statement in ["DELETE FROM account_funds", "DELETE FROM schema_migrations"] {
        query(statement).execute(&mut connection).await.unwrap();
    }
    assert_eq!(
        ledger::funds(&mut connection, &account_id).await.unwrap(),
        Funds::default()
    );
    drop(connection);
    support::columns_of_later_versions(&old, false).await;
    engine.store.close().await;

    // Opening the database again migrates it, which fills the totals in from the ledger.
    let reopened = support::engine_on(&url, START.parse().unwrap()).await;
    let mut connection = reopened.store.read().await.unwrap();
    assert_eq!(
        ledger::checked_funds(&mut connection, &account_id)
            .await
            .unwrap(),
        before
    );
}

on_both_backends!(
    running_totals_follow_the_postings_and_drift_is_reported,
    running_totals_follow_the_postings_and_drift_is_reported
);
on_both_backends!(
    totals_are_rebuilt_from_the_postings_when_missing,
    totals_are_rebuilt_from_the_postings_when_missing
);
