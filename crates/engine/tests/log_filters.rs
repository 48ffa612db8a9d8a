//! The event log and the notices filtered by instance: an instance's records are found among
//! its account's (there is no index by instance), so the filter must keep exactly that
//! instance's records, whichever accounts and instances share the log.

#[macro_use]
mod support;

use jiff::{SignedDuration, Timestamp};
use tenure_store::events::{self, LogFilter};

fn filter(account_id: Option<&str>, instance_id: &str) -> LogFilter {
    LogFilter {
        account_id: account_id.map(str::to_string),
        instance_id: Some(instance_id.to_string()),
        kind: None,
        after_seq: 0,
        limit: 1000,
        newest_first: false,
    }
}

async fn an_instance_filter_keeps_exactly_that_instances_records(backend: support::Backend) {
    let (url, _cleanup) = support::fresh_database(backend).await;
    let start: Timestamp = "2026-02-10T00:00:00Z".parse().unwrap();
    let engine = support::engine_on(&url, start).await;
    let (ada, ada_instances) = support::account_with_queues(&engine, 2).await;
    let (grace, grace_instances) = support::account_with_queues(&engine, 2).await;
    // Past expiry: reminders (notices) and expiries for all four instances.
    engine
        .advance_to(start + SignedDuration::from_hours(40 * 24))
        .await
        .unwrap();

    let mut connection = engine.store.read().await.unwrap();
    let everything = support::whole_event_log(&mut connection).await;
    for (account_id, instance_id) in ada_instances
        .iter()
        .map(|instance| (&ada, instance))
        .chain(grace_instances.iter().map(|instance| (&grace, instance)))
    {
        let expected: Vec<i64> = everything
            .iter()
            .filter(|event| event.instance_id.as_deref() == Some(instance_id.as_str()))
            .map(|event| event.seq)
            .collect();
        assert!(
            expected.len() >= 3,
            "purchase, reminder and expiry of {instance_id}: {expected:?}"
        );
        for account_filter in [None, Some(account_id.as_str())] {
            let listed: Vec<i64> =
                events::list(&mut connection, &filter(account_filter, instance_id))
                    .await
                    .unwrap()
                    .iter()
                    .map(|event| event.seq)
                    .collect();
            assert_eq!(listed, expected, "events of {instance_id}");
        }
        let notices = events::list_notices(&mut connection, &filter(None, instance_id))
            .await
            .unwrap();
        assert!(!notices.is_empty(), "{instance_id} was reminded");
        assert!(notices.iter().all(|notice| notice.instance_id.as_deref()
            == Some(instance_id.as_str())
            && &notice.account_id == account_id));
    }
    // Another account's instance, or none at all: nothing.
    let crossed = events::list(&mut connection, &filter(Some(&grace), &ada_instances[0]))
        .await
        .unwrap();
    assert!(crossed.is_empty());
    let unknown = events::list(&mut connection, &filter(None, "inst_missing"))
        .await
        .unwrap();
    assert!(unknown.is_empty());
}

on_both_backends!(
    an_instance_filter_keeps_exactly_that_instances_records,
    an_instance_filter_keeps_exactly_that_instances_records
);
