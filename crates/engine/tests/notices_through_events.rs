//! Notices are listed through the events they were sent for (there is no index of notices by
//! account): each notice names an event of its account with its kind, instance and time; an
//! account's notices come page by page, each once, in the order of the whole list; the filters
//! keep exactly what they name.

#[macro_use]
mod support;

use jiff::{SignedDuration, Timestamp};
use tenure_store::events::{self, LogFilter, StoredNotice};

fn log(account_id: Option<&str>, kind: Option<&str>, after_seq: i64, limit: i64) -> LogFilter {
    LogFilter {
        account_id: account_id.map(str::to_string),
        instance_id: None,
        kind: kind.map(str::to_string),
        after_seq,
        limit,
        newest_first: false,
    }
}

async fn notices_are_found_through_their_events(backend: support::Backend) {
    let (store, _cleanup) = support::fresh_store(backend).await;
    let start: Timestamp = "2026-02-10T00:00:00Z".parse().unwrap();
    let engine = support::engine_with(store.clone(), start);
    let (ada, _) = support::account_with_queues(&engine, 3).await;
    let (grace, _) = support::account_with_queues(&engine, 2).await;
    // Reminders and expiries of all five instances, then their releases.
    engine
        .advance_to(start + SignedDuration::from_hours(60 * 24))
        .await
        .unwrap();

    let mut connection = store.read().await.unwrap();
    let all = events::list_notices(&mut connection, &log(None, None, 0, 10_000))
        .await
        .unwrap();
    let all_events = support::whole_event_log(&mut connection).await;
    assert!(all.len() >= 10, "two notices or more per instance: {all:?}");
    for notice in &all {
        let event = all_events
            .iter()
            .find(|event| event.seq == notice.event_seq)
            .unwrap_or_else(|| panic!("no event {} for {notice:?}", notice.event_seq));
        assert_eq!(
            (&event.account_id, &event.instance_id, &event.kind, event.at),
            (
                &notice.account_id,
                &notice.instance_id,
                &notice.kind,
                notice.at
            ),
        );
    }
    let order: Vec<(i64, i64)> = all.iter().map(|n| (n.event_seq, n.seq)).collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted, "listed in the order of their events");

    for account_id in [&ada, &grace] {
        let expected: Vec<&StoredNotice> = all
            .iter()
            .filter(|notice| &notice.account_id == account_id)
            .collect();
        // Two at a time, each page after the last notice of the one before.
        let mut paged = Vec::new();
        let mut after_seq = 0;
        for _ in 0..=expected.len() {
            let page =
                events::list_notices(&mut connection, &log(Some(account_id), None, after_seq, 2))
                    .await
                    .unwrap();
            let Some(last) = page.last() else { break };
            after_seq = last.seq;
            paged.extend(page);
        }
        assert_eq!(paged.iter().collect::<Vec<_>>(), expected, "{account_id}");

        let kind = &expected[0].kind;
        let of_kind =
            events::list_notices(&mut connection, &log(Some(account_id), Some(kind), 0, 1000))
                .await
                .unwrap();
        assert_eq!(
            of_kind.iter().collect::<Vec<_>>(),
            expected
                .iter()
                .copied()
                .filter(|notice| &notice.kind == kind)
                .collect::<Vec<_>>()
        );
    }
    // The whole list, paged, is the whole list; an unknown account has none.
    let mut paged = Vec::new();
    let mut after_seq = 0;
    for _ in 0..=all.len() {
        let page = events::list_notices(&mut connection, &log(None, None, after_seq, 3))
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        after_seq = last.seq;
        paged.extend(page);
    }
    assert_eq!(paged, all);

    // Newest first, paged two at a time, per account and for the fleet: the same lists read
    // backwards, notices and events alike.
    for account_id in [Some(ada.as_str()), Some(grace.as_str()), None] {
        let mut expected: Vec<&StoredNotice> = all
            .iter()
            .filter(|notice| account_id.is_none_or(|id| notice.account_id == id))
            .collect();
        expected.reverse();
        let mut paged = Vec::new();
        let mut after_seq = 0;
        for _ in 0..=expected.len() {
            let filter = LogFilter {
                newest_first: true,
                ..log(account_id, None, after_seq, 2)
            };
            let page = events::list_notices(&mut connection, &filter)
                .await
                .unwrap();
            let Some(last) = page.last() else { break };
            after_seq = last.seq;
            paged.extend(page);
        }
        assert_eq!(paged.iter().collect::<Vec<_>>(), expected, "{account_id:?}");

        let mut expected_events: Vec<i64> = all_events
            .iter()
            .filter(|event| account_id.is_none_or(|id| event.account_id == id))
            .map(|event| event.seq)
            .collect();
        expected_events.reverse();
        let mut paged_events = Vec::new();
        let mut after_seq = 0;
        for _ in 0..=expected_events.len() {
            let filter = LogFilter {
                newest_first: true,
                ..log(account_id, None, after_seq, 3)
            };
            let page = events::list(&mut connection, &filter).await.unwrap();
            let Some(last) = page.last() else { break };
            after_seq = last.seq;
            paged_events.extend(page.iter().map(|event| event.seq));
        }
        assert_eq!(paged_events, expected_events, "{account_id:?}");
    }

    let nobody = events::list_notices(&mut connection, &log(Some("acct_missing"), None, 0, 10))
        .await
        .unwrap();
    assert!(nobody.is_empty());
}

on_both_backends!(
    listing_through_events,
    notices_are_found_through_their_events
);
