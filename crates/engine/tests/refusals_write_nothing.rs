//! A purchase the account cannot pay for is refused before its first write. HTTP writes on
//! SQLite share a transaction (the server's group committer), and a request that fails having
//! written makes its whole group run again with savepoints; a refusal for want of money, the
//! most common one, must not.

mod support;

use tenure_core::payment::PaymentMethod;
use tenure_engine::EngineError;

#[tokio::test]
async fn a_purchase_refused_for_want_of_money_writes_nothing() {
    let (_folder, url) = support::scratch_sqlite();
    let engine = support::engine_on(&url, "2026-02-10T00:00:00Z".parse().unwrap()).await;
    let mut tx = engine.begin().await.unwrap();
    let account = engine
        .create_account(&mut tx, support::ada())
        .await
        .unwrap();
    let account_id = account.account.account.id.clone();
    // A month costs 12,000; one short of it.
    engine
        .deposit(&mut tx, &account_id, 11_999, PaymentMethod::BankCard)
        .await
        .unwrap();

    let before = tx.rows_changed().unwrap();
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
    assert_eq!(tx.rows_changed().unwrap(), before, "nothing written");

    // With the money there, the same purchase writes its instance, order, entry and event.
    engine
        .deposit(&mut tx, &account_id, 1, PaymentMethod::BankCard)
        .await
        .unwrap();
    let before = tx.rows_changed().unwrap();
    engine
        .purchase(&mut tx, support::monthly_basic_queue(&account_id))
        .await
        .unwrap();
    assert!(tx.rows_changed().unwrap() > before);
}
