//! An instance whose due step fails is set aside for an hour, with nothing of it written, and
//! does not hold back the rest of the fleet.

mod support;

use jiff::Timestamp;
use tenure_store::instances;

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

#[tokio::test]
async fn a_failing_instance_is_set_aside_and_the_others_go_on() {
    let (_folder, url) = support::scratch_sqlite();
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
