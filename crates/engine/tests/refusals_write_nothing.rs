//! The common refusals write nothing: a purchase the account cannot pay for, and (on SQLite)
//! a request with an idempotency key refused by its work. HTTP writes share a transaction
//! (the store's group commit), each in a savepoint; a refusal that wrote nothing leaves its
//! savepoint nothing to undo.

#[macro_use]
mod support;

use tenure_core::payment::PaymentMethod;
use tenure_engine::EngineError;

async fn a_purchase_refused_for_want_of_money_writes_nothing(backend: support::Backend) {
    let (url, _cleanup) = support::fresh_database(backend).await;
    let engine = support::engine_on(&url, "2026-02-10T00:00:00Z".parse().unwrap()).await;
    let mut tx = engine.begin().await.unwrap();
    // A month costs 12,000; one short of it.
    let account_id = support::ada_with_deposit(&engine, &mut tx, 11_999).await;

    let before = rows_written(&mut tx).await;
    let refused = engine
        .purchase(&mut tx, support::monthly_basic_queue(&account_id))
        .await
        .unwrap_err();
    assert!(
        matches!(
            refused,
            EngineError::PaymentRequired {
                code: "insufficient_funds",
                ..
            }
        ),
        "{refused}"
    );
    assert_eq!(rows_written(&mut tx).await, before, "nothing written");

    // With the money there, the same purchase writes its instance, order, entry and event.
    engine
        .deposit(&mut tx, &account_id, 1, PaymentMethod::BankCard)
        .await
        .unwrap();
    let before = rows_written(&mut tx).await;
    engine
        .purchase(&mut tx, support::monthly_basic_queue(&account_id))
        .await
        .unwrap();
    assert!(rows_written(&mut tx).await > before);
}

/// What the transaction has written so far: on SQLite the rows it changed (as the database
/// counts them, updates included); on PostgreSQL, which counts none, the rows of every table a
/// purchase writes.
async fn rows_written(tx: &mut tenure_store::Tx) -> u64 {
    if let Some(changed) = tx.rows_changed() {
        return changed;
    }
    let counted = tenure_store::database::query(
        "SELECT (SELECT COUNT(*) FROM instances) + (SELECT COUNT(*) FROM orders)
              + (SELECT COUNT(*) FROM ledger_entries) + (SELECT COUNT(*) FROM ledger_postings)
              + (SELECT COUNT(*) FROM account_funds) + (SELECT COUNT(*) FROM events)
              + (SELECT COUNT(*) FROM notifications) + (SELECT COUNT(*) FROM deliveries) AS n",
    )
    .fetch_one(tx)
    .await
    .unwrap();
    counted.try_get::<i64>("n").unwrap() as u64
}

/// On SQLite an idempotency key's claim is a look, not a row (its one writer runs one
/// transaction at a time): a keyed request refused by its work writes nothing either. The
/// answer's save then writes the key's row, and a second claim replays it.
#[tokio::test]
async fn a_claimed_key_is_written_only_with_its_answer() {
    use tenure_store::idempotency::{self, Claim};

    let (_folder, url) = support::scratch_sqlite();
    let engine = support::engine_on(&url, "2026-02-10T00:00:00Z".parse().unwrap()).await;
    let now = engine.clock.now();
    let mut tx = engine.begin().await.unwrap();
    let before = tx.rows_changed().unwrap();
    let claim = idempotency::claim(&mut tx, "scope", "key-1", "hash", now)
        .await
        .unwrap();
    assert_eq!(claim, Claim::New);
    assert_eq!(tx.rows_changed().unwrap(), before, "nothing written");

    idempotency::save(&mut tx, "scope", "key-1", "hash", 201, "{}", now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = engine.begin().await.unwrap();
    let replay = idempotency::claim(&mut tx, "scope", "key-1", "hash", now)
        .await
        .unwrap();
    assert_eq!(
        replay,
        Claim::Replay {
            status_code: 201,
            body: "{}".to_string()
        }
    );
    let other = idempotency::claim(&mut tx, "scope", "key-1", "other hash", now)
        .await
        .unwrap();
    assert_eq!(other, Claim::Mismatch);
}

on_both_backends!(
    a_purchase_refused_for_want_of_money_writes_nothing,
    a_purchase_refused_for_want_of_money_writes_nothing
);
