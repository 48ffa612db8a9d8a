//! Issue 23's poison input: 780,000 usage records of the largest quantity in one hour of one
//! instance price its bill past `i64`. Such records are refused when reported now; these were
//! written as an older tenure accepted them. The bill's generation fails, is retried, then
//! parked with an event, and the sweep, the clock and every other account's steps go on, a
//! restart included; once the cause is removed, an operator's retry takes the step.

#[macro_use]
mod support;

use jiff::Timestamp;
use tenure_core::catalog::Billing;
use tenure_core::lifecycle::failed_step::{StepWork, StuckStatus, STEP_ATTEMPTS_BEFORE_PARKING};
use tenure_core::purchase::PurchaseRequest;
use tenure_core::usage::UsageRecord;
use tenure_engine::instances::PurchaseCommand;
use tenure_store::bills::{self, BillFilter, BillStatus};
use tenure_store::database::query;
use tenure_store::{instances, stuck_steps};

use support::Backend;

const POISON_RECORDS: i64 = 780_000;
/// `tenure_core::usage::MAX_QUANTITY`: the largest quantity one record may carry.
const LARGEST_QUANTITY: i64 = 1_000_000_000_000;

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// Pay-as-you-go data migration: 12 minor units per task hour.
fn payg_data_migration(account_id: &str) -> PurchaseCommand {
    let mut command = support::payg_iot(account_id);
    command.request = PurchaseRequest {
        product_id: "data-management".into(),
        edition_id: "data-migration".into(),
        spec_id: None,
        region: "us-east-1".into(),
        billing: Billing::Payg,
        period: None,
        auto_renew_period: None,
        activates_at: None,
    };
    command
}

async fn poison_is_parked_and_the_rest_goes_on(backend: Backend) {
    let (url, _cleanup) = support::fresh_database(backend).await;
    let engine = support::engine_on(&url, at("2026-05-04T00:00:00Z")).await;
    let mut tx = engine.begin().await.unwrap();
    let poisoned_account = support::ada_with_deposit(&engine, &mut tx, 100_000).await;
    let poisoned = engine
        .purchase(&mut tx, payg_data_migration(&poisoned_account))
        .await
        .unwrap()
        .instance
        .instance
        .id;
    tx.commit().await.unwrap();
    // Someone else's month of a message queue: reminded 05-28, expired 06-04.
    let (_, queues) = support::account_with_queues(&engine, 1).await;

    // One honest task hour opens the 10:00 cycle's bill (generated at 15:00) ...
    engine.advance_to(at("2026-05-04T10:30:00Z")).await.unwrap();
    let mut tx = engine.begin().await.unwrap();
    engine
        .record_usage(
            &mut tx,
            vec![UsageRecord {
                record_id: "honest".into(),
                instance_id: poisoned.clone(),
                meter_id: "task-hours".into(),
                quantity: 1,
                at: at("2026-05-04T10:15:00Z"),
            }],
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    // ... and the poison joins it, as an older tenure accepted it: 779,999 records more of the
    // largest quantity, 9.36 × 10^18 minor units in all.
    let mut connection = engine.store.read().await.unwrap();
    query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
         INSERT INTO usage_records (record_id, account_id, instance_id, meter_id, quantity, at,
             cycle_start, received_at)
         SELECT 'poison-' || i, account_id, instance_id, meter_id, $2, at, cycle_start,
             received_at
         FROM n, (SELECT * FROM usage_records WHERE record_id = 'honest') AS honest",
    )
    .bind(POISON_RECORDS - 1)
    .bind(LARGEST_QUANTITY)
    .execute(&mut connection)
    .await
    .unwrap();
    drop(connection);

    // Before: the sweep panicked at the bill (`prorated amount fits in i64`), and the clock
    // never moved again.
    let report = engine.advance_to(at("2026-06-10T00:00:00Z")).await.unwrap();
    assert_eq!(engine.clock.now(), at("2026-06-10T00:00:00Z"));
    assert_eq!(report.steps_failed, STEP_ATTEMPTS_BEFORE_PARKING as u64);
    assert_eq!(report.steps_parked, 1);
    let mut connection = engine.store.read().await.unwrap();
    let queue = instances::get(&mut connection, &queues[0])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        queue.instance.status.as_str(),
        "expired",
        "the other account's steps were taken"
    );
    let bill = bills::list(
        &mut connection,
        &BillFilter {
            instance_id: Some(poisoned.clone()),
            limit: 10,
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .remove(0);
    assert_eq!(
        bill.status,
        BillStatus::Open,
        "nothing of the bill was written"
    );
    let stuck = stuck_steps::list(&mut connection, None, 10).await.unwrap();
    assert_eq!(stuck.len(), 1);
    let step = &stuck[0];
    assert_eq!(step.work, StepWork::Bill);
    assert_eq!(step.item_id, bill.id);
    assert_eq!(step.account_id, poisoned_account);
    assert_eq!(step.instance_id.as_deref(), Some(poisoned.as_str()));
    assert_eq!(step.status, StuckStatus::Parked);
    assert_eq!(step.attempts, 3);
    assert_eq!(step.last_code, "bill_exceeds_limit");
    assert!(
        step.last_error.contains(&bill.id) && step.last_error.contains("10000000000000"),
        "{}",
        step.last_error
    );
    assert_eq!(step.first_failed_at, at("2026-05-04T15:00:00Z"));
    assert_eq!(step.parked_at, Some(at("2026-05-04T17:00:00Z")));
    let parked_events: Vec<_> = support::whole_event_log(&mut connection)
        .await
        .into_iter()
        .filter(|event| event.kind == "lifecycle.step_parked")
        .collect();
    assert_eq!(parked_events.len(), 1);
    let event = &parked_events[0];
    assert_eq!(event.account_id, poisoned_account);
    assert_eq!(event.instance_id.as_deref(), Some(poisoned.as_str()));
    assert_eq!(event.at, at("2026-05-04T17:00:00Z"));
    assert_eq!(event.data["stuck_step_id"], step.id.as_str());
    assert_eq!(event.data["work"], "bill");
    assert_eq!(event.data["item_id"], bill.id.as_str());
    assert_eq!(event.data["attempts"], 3);
    assert_eq!(event.data["code"], "bill_exceeds_limit");
    drop(connection);
    let health = engine.sweep_health().await.unwrap();
    assert!(health.degraded);
    assert_eq!(health.parked_steps, 1);
    assert_eq!(health.behind_seconds, 0, "nothing else waits");

    // A restart counts on from the database: the parked step is not taken again.
    drop(engine);
    let engine = support::engine_on(&url, at("2026-06-10T00:00:00Z")).await;
    let report = engine.advance_to(at("2026-06-20T00:00:00Z")).await.unwrap();
    assert_eq!(report.steps_failed, 0);
    assert_eq!(engine.clock.now(), at("2026-06-20T00:00:00Z"));

    // The operator removes the poison, then retries: the bill is generated and paid.
    let mut connection = engine.store.read().await.unwrap();
    query("DELETE FROM usage_records WHERE record_id LIKE 'poison-%'")
        .execute(&mut connection)
        .await
        .unwrap();
    drop(connection);
    let retried = engine.retry_stuck_step(&step.id).await.unwrap();
    assert!(retried.taken, "{retried:?}");
    assert_eq!(retried.stuck_step, None);
    assert_eq!(retried.report.steps_taken, 1);
    let mut connection = engine.store.read().await.unwrap();
    let bill = bills::get(&mut connection, &bill.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bill.status, BillStatus::Paid);
    assert_eq!(bill.amount_minor, 12, "the honest task hour");
    assert!(stuck_steps::list(&mut connection, None, 10)
        .await
        .unwrap()
        .is_empty());
    drop(connection);
    assert!(!engine.sweep_health().await.unwrap().degraded);
}
on_both_backends!(poison_usage, poison_is_parked_and_the_rest_goes_on);

/// A step of an instance that keeps failing (its product left the catalog) is parked after
/// its attempts, out of the index; the rest of the fleet goes on; a retry that fails again
/// counts afresh.
async fn a_failing_instance_is_parked(backend: Backend) {
    let (url, _cleanup) = support::fresh_database(backend).await;
    let engine = support::engine_on(&url, at("2026-02-10T00:00:00Z")).await;
    let (_, instance_ids) = support::account_with_queues(&engine, 2).await;
    let mut connection = engine.store.read().await.unwrap();
    query("UPDATE instances SET product_id = 'withdrawn' WHERE id = $1")
        .bind(&instance_ids[0])
        .execute(&mut connection)
        .await
        .unwrap();
    drop(connection);

    let report = engine.advance_to(at("2026-03-20T00:00:00Z")).await.unwrap();
    assert_eq!(report.steps_failed, 3);
    assert_eq!(report.steps_parked, 1);
    let mut connection = engine.store.read().await.unwrap();
    let failed = instances::get(&mut connection, &instance_ids[0])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(failed.next_due_at, None, "parked: out of the index");
    assert_eq!(failed.instance.status.as_str(), "active");
    let other = instances::get(&mut connection, &instance_ids[1])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(other.instance.status.as_str(), "expired");
    let step = stuck_steps::for_item(&mut connection, StepWork::Instance, &instance_ids[0])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(step.status, StuckStatus::Parked);
    assert_eq!(step.last_code, "unknown_product");
    // Its first step fell due at the reminder, 7 days before the 03-10 expiry.
    assert_eq!(step.first_failed_at, at("2026-03-03T00:00:00Z"));
    assert_eq!(step.parked_at, Some(at("2026-03-03T02:00:00Z")));
    drop(connection);

    // Retried with the cause still there: it fails again, counted from one.
    let retried = engine.retry_stuck_step(&step.id).await.unwrap();
    assert!(!retried.taken);
    let again = retried.stuck_step.unwrap();
    assert_eq!(again.status, StuckStatus::Retrying);
    assert_eq!(again.attempts, 1);
    assert_eq!(again.retry_at, Some(at("2026-03-20T01:00:00Z")));

    // Fixed (the product is back), the next attempt takes it: the reminder and the expiry.
    let mut connection = engine.store.read().await.unwrap();
    query("UPDATE instances SET product_id = 'message-queue' WHERE id = $1")
        .bind(&instance_ids[0])
        .execute(&mut connection)
        .await
        .unwrap();
    drop(connection);
    let report = engine.advance_to(at("2026-03-20T02:00:00Z")).await.unwrap();
    assert_eq!(report.steps_failed, 0);
    assert_eq!(report.steps_taken, 2);
    let mut connection = engine.store.read().await.unwrap();
    let taken = instances::get(&mut connection, &instance_ids[0])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(taken.instance.status.as_str(), "expired");
    assert!(stuck_steps::list(&mut connection, None, 10)
        .await
        .unwrap()
        .is_empty());
}
on_both_backends!(failing_instance, a_failing_instance_is_parked);
