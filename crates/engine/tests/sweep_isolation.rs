//! An instance whose due step fails is set aside for an hour, with nothing of it written, and
//! does not hold back the rest of the fleet.

#[macro_use]
mod support;

use jiff::Timestamp;
use tenure_store::instances;

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

async fn a_failing_instance_is_set_aside_and_the_others_go_on(backend: support::Backend) {
    let (url, _cleanup) = support::fresh_database(backend).await;
    let engine = support::engine_on(&url, at("2026-02-10T00:00:00Z")).await;
    let store = engine.store.clone();
    let (_, instance_ids) = support::account_with_queues(&engine, 2).await;
    // The first instance's product leaves the catalog: its steps can no longer be decided.
    let mut connection = store.read().await.unwrap();
    tenure_store::database::query("UPDATE instances SET product_id = 'withdrawn' WHERE id = $1")
        .bind(&instance_ids[0])
        .execute(&mut connection)
        .await
        .unwrap();
    drop(connection);

    let report = engine.run_due(at("2026-03-10T00:00:00Z")).await.unwrap();
    assert_eq!(report.steps_failed, 1);
    assert_eq!(
        report.steps_taken, 2,
        "the other instance got its reminder and expired"
    );
    let mut connection = store.read().await.unwrap();
    let failed = instances::get(&mut connection, &instance_ids[0])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        failed.instance.status.as_str(),
        "active",
        "nothing of the failed step was written"
    );
    assert_eq!(failed.instance.reminded_for_expiry, None);
    assert_eq!(
        failed.next_due_at,
        Some(at("2026-03-10T01:00:00Z")),
        "tried again an hour later"
    );
    let other = instances::get(&mut connection, &instance_ids[1])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(other.instance.status.as_str(), "expired");
}

/// A sweep on the simulated clock carries one transaction across moments. When a later
/// moment's batch fails, the whole transaction is rolled back, the clock taken back, and the
/// earlier moments taken again: once, not twice.
async fn a_failure_after_earlier_moments_in_the_same_transaction_takes_them_again_once(
    backend: support::Backend,
) {
    let (url, _cleanup) = support::fresh_database(backend).await;
    let engine = support::engine_on(&url, at("2026-02-10T00:00:00Z")).await;
    let store = engine.store.clone();
    let (account_id, first) = support::account_with_queues(&engine, 1).await;
    // A second queue, bought a day later, falls due a day after the first.
    engine.advance_to(at("2026-02-11T00:00:00Z")).await.unwrap();
    let mut tx = engine.begin().await.unwrap();
    let second = engine
        .purchase(&mut tx, support::monthly_basic_queue(&account_id))
        .await
        .unwrap()
        .instance
        .instance
        .id;
    tx.commit().await.unwrap();
    let mut connection = store.read().await.unwrap();
    let first_due = instances::get(&mut connection, &first[0])
        .await
        .unwrap()
        .unwrap()
        .next_due_at
        .unwrap();
    let second_due = instances::get(&mut connection, &second)
        .await
        .unwrap()
        .unwrap()
        .next_due_at
        .unwrap();
    assert_eq!(second_due, first_due + jiff::SignedDuration::from_hours(24));
    tenure_store::database::query("UPDATE instances SET product_id = 'withdrawn' WHERE id = $1")
        .bind(&second)
        .execute(&mut connection)
        .await
        .unwrap();
    drop(connection);

    let to = second_due + jiff::SignedDuration::from_mins(30);
    let report = engine.advance_to(to).await.unwrap();
    assert_eq!(
        report.steps_taken, 1,
        "the first queue's step, counted once"
    );
    assert_eq!(report.steps_failed, 1);
    assert_eq!(engine.clock.now(), to);

    let mut connection = store.read().await.unwrap();
    let first_after = instances::get(&mut connection, &first[0])
        .await
        .unwrap()
        .unwrap();
    assert!(first_after.next_due_at.unwrap() > to, "its step was taken");
    let first_events = tenure_store::events::list(
        &mut connection,
        &tenure_store::events::LogFilter {
            instance_id: Some(first[0].clone()),
            limit: 100,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let mut at_step: Vec<&str> = first_events
        .iter()
        .filter(|event| event.at == first_due)
        .map(|event| event.kind.as_str())
        .collect();
    assert!(!at_step.is_empty(), "the step's events were written");
    let written = at_step.len();
    at_step.dedup();
    assert_eq!(at_step.len(), written, "and written once: {at_step:?}");
    let second_after = instances::get(&mut connection, &second)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second_after.instance.reminded_for_expiry, None);
    assert_eq!(
        second_after.next_due_at,
        Some(second_due + jiff::SignedDuration::from_hours(1)),
        "set aside for an hour"
    );
}

on_both_backends!(
    a_failing_instance_is_set_aside_and_the_others_go_on,
    a_failing_instance_is_set_aside_and_the_others_go_on
);
on_both_backends!(
    a_failure_after_earlier_moments_in_the_same_transaction_takes_them_again_once,
    a_failure_after_earlier_moments_in_the_same_transaction_takes_them_again_once
);
