//! No auto-renewal cycle is charged twice: not when the scheduler runs twice for the same
//! moment, not when it is killed between the charge and the expiry update (its transaction is
//! dropped before commit), and not when an attempt's record exists but the instance does not
//! know it. Each scenario runs on SQLite and on PostgreSQL.

#[macro_use]
mod support;

use jiff::Timestamp;
use tenure_engine::Engine;
use tenure_store::deduction_attempts::{self, DeductionAttempt};
use tenure_store::orders::{self, OrderFilter};
use tenure_store::{instances, ledger, Store};

/// Message queue Basic `tps-1000`: 12000 a month, daily schedule T-9 … T-1.
const MONTH_MINOR: i64 = 12_000;
const START: &str = "2026-02-10T00:00:00Z";
/// Expiry 2026-03-10, so the first attempt (T-9) is due here.
const FIRST_ATTEMPT: &str = "2026-03-01T00:00:00Z";

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// An engine with one account holding `deposit_minor` after buying a 1M message-queue instance
/// with auto-renewal; returns (engine, account id, instance id).
async fn engine_with_auto_renewing_instance(
    store: Store,
    deposit_minor: i64,
) -> (Engine, String, String) {
    let engine = support::engine_with(store, at(START));
    let (account_id, instance_id) =
        support::account_with_auto_renewing_queue(&engine, MONTH_MINOR + deposit_minor).await;
    (engine, account_id, instance_id)
}

/// (balance, auto-renewal orders, expiry, recorded attempts) as committed.
async fn committed_state(
    engine: &Engine,
    account_id: &str,
    instance_id: &str,
) -> (i64, usize, Timestamp, usize) {
    let mut connection = engine.store.read().await.unwrap();
    let balance_minor = ledger::funds(&mut connection, account_id)
        .await
        .unwrap()
        .balance_minor;
    let filter = OrderFilter {
        instance_id: Some(instance_id.to_string()),
        kind: Some("auto_renewal".into()),
        limit: 100,
        ..OrderFilter::default()
    };
    let auto_orders = orders::list(&mut connection, &filter).await.unwrap().len();
    let stored = instances::get(&mut connection, instance_id)
        .await
        .unwrap()
        .unwrap();
    let expires_at = stored.instance.expires_at.unwrap();
    let attempts =
        deduction_attempts::for_expiry(&mut connection, instance_id, at("2026-03-10T00:00:00Z"))
            .await
            .unwrap()
            .len();
    (balance_minor, auto_orders, expires_at, attempts)
}

async fn the_same_moment_twice_charges_once(backend: support::Backend) {
    let (store, _cleanup) = support::fresh_store(backend).await;
    let (engine, account_id, instance_id) =
        engine_with_auto_renewing_instance(store, MONTH_MINOR).await;
    let first = engine.run_due(at(FIRST_ATTEMPT)).await.unwrap();
    assert_eq!(first.steps_taken, 1);
    let second = engine.run_due(at(FIRST_ATTEMPT)).await.unwrap();
    assert_eq!(second.steps_taken, 0, "nothing is due any more");
    assert_eq!(
        committed_state(&engine, &account_id, &instance_id).await,
        (0, 1, at("2026-04-10T00:00:00Z"), 1)
    );
    // Later moments of the old cycle charge nothing either: the schedule moved to 04-10.
    engine.run_due(at("2026-03-09T00:00:00Z")).await.unwrap();
    assert_eq!(
        committed_state(&engine, &account_id, &instance_id).await.1,
        1
    );
}

async fn a_transaction_dropped_before_commit_leaves_nothing(backend: support::Backend) {
    let (store, _cleanup) = support::fresh_store(backend).await;
    let (engine, account_id, instance_id) =
        engine_with_auto_renewing_instance(store, MONTH_MINOR).await;
    let before = committed_state(&engine, &account_id, &instance_id).await;
    assert_eq!(before, (MONTH_MINOR, 0, at("2026-03-10T00:00:00Z"), 0));
    {
        let mut tx = engine.begin().await.unwrap();
        let steps = engine
            .take_due_steps(&mut tx, &instance_id, at(FIRST_ATTEMPT))
            .await
            .unwrap();
        assert_eq!(steps, 1);
        // Inside the transaction the charge and the new expiry are there...
        assert_eq!(
            ledger::funds(&mut tx, &account_id)
                .await
                .unwrap()
                .balance_minor,
            0
        );
        let inside = instances::lock(&mut tx, &instance_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(inside.instance.expires_at, Some(at("2026-04-10T00:00:00Z")));
        // ...and the process dies here, before commit.
        drop(tx);
    }
    assert_eq!(
        committed_state(&engine, &account_id, &instance_id).await,
        before,
        "nothing of the attempt remains"
    );
    // The attempt is still due, and a rerun makes it exactly once.
    engine.run_due(at(FIRST_ATTEMPT)).await.unwrap();
    engine.run_due(at(FIRST_ATTEMPT)).await.unwrap();
    assert_eq!(
        committed_state(&engine, &account_id, &instance_id).await,
        (0, 1, at("2026-04-10T00:00:00Z"), 1)
    );
}

async fn a_recorded_attempt_is_never_made_again(backend: support::Backend) {
    let (store, _cleanup) = support::fresh_store(backend).await;
    let (engine, account_id, instance_id) =
        engine_with_auto_renewing_instance(store, MONTH_MINOR).await;
    // An attempt for (instance, 03-10, T-9) is on record although the instance does not know.
    let mut tx = engine.begin().await.unwrap();
    let claimed = deduction_attempts::claim(
        &mut tx,
        &DeductionAttempt {
            id: "dda_recorded".into(),
            instance_id: instance_id.clone(),
            account_id: account_id.clone(),
            renews_expires_at: at("2026-03-10T00:00:00Z"),
            attempt_offset_days: -9,
            scheduled_at: at(FIRST_ATTEMPT),
            attempted_at: at(FIRST_ATTEMPT),
            outcome: "paid".into(),
            due_minor: MONTH_MINOR,
            available_minor: MONTH_MINOR,
            order_id: None,
        },
    )
    .await
    .unwrap();
    assert!(claimed);
    tx.commit().await.unwrap();

    engine.run_due(at(FIRST_ATTEMPT)).await.unwrap();
    let (balance_minor, auto_orders, expires_at, attempts) =
        committed_state(&engine, &account_id, &instance_id).await;
    assert_eq!(
        (balance_minor, auto_orders, expires_at, attempts),
        (MONTH_MINOR, 0, at("2026-03-10T00:00:00Z"), 1),
        "the recorded attempt is not charged again"
    );
    // The schedule goes on with the next offset (T-8), which pays.
    engine.run_due(at("2026-03-02T00:00:00Z")).await.unwrap();
    assert_eq!(
        committed_state(&engine, &account_id, &instance_id).await,
        (0, 1, at("2026-04-10T00:00:00Z"), 2)
    );
}

on_both_backends!(same_moment_twice, the_same_moment_twice_charges_once);
on_both_backends!(
    dropped_transaction,
    a_transaction_dropped_before_commit_leaves_nothing
);
on_both_backends!(recorded_attempt, a_recorded_attempt_is_never_made_again);
