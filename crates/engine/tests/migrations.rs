//! Upgrades: a database as tenure left it before numbered migrations (version 1) is brought to
//! the latest version without losing a record, and its lifecycle goes on as if nothing happened;
//! the rules a migration brings hold on both databases.

#[macro_use]
mod support;

use jiff::{SignedDuration, Timestamp};
use tenure_store::database::query;
use tenure_store::events::{self, LogFilter, StoredEvent};
use tenure_store::orders::{self, Order, OrderFilter};
use tenure_store::{ledger, migrations, Store};

const START: &str = "2026-02-10T00:00:00Z";

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// What an account has on record: its events, notices (by id), orders and funds.
#[derive(Debug, PartialEq)]
struct Records {
    events: Vec<StoredEvent>,
    notice_ids: Vec<String>,
    orders: Vec<Order>,
    balance_minor: i64,
}

fn account_log(account_id: &str) -> LogFilter {
    LogFilter {
        account_id: Some(account_id.to_string()),
        instance_id: None,
        kind: None,
        after_seq: 0,
        limit: 1000,
        newest_first: false,
    }
}

async fn records(store: &Store, account_id: &str) -> Records {
    let mut connection = store.read().await.unwrap();
    let notice_ids = events::list_notices(&mut connection, &account_log(account_id))
        .await
        .unwrap()
        .into_iter()
        .map(|notice| notice.id)
        .collect();
    drop(connection);
    Records {
        notice_ids,
        ..records_without_notices(store, account_id).await
    }
}

/// [`records`] but the notices, which a database before version 3 cannot list.
async fn records_without_notices(store: &Store, account_id: &str) -> Records {
    let mut connection = store.read().await.unwrap();
    let events = events::list(&mut connection, &account_log(account_id))
        .await
        .unwrap();
    let orders = orders::list(
        &mut connection,
        &OrderFilter {
            account_id: Some(account_id.to_string()),
            limit: 1000,
            ..OrderFilter::default()
        },
    )
    .await
    .unwrap();
    let balance_minor = ledger::checked_funds(&mut connection, account_id)
        .await
        .unwrap()
        .balance_minor;
    Records {
        events,
        notice_ids: Vec::new(),
        orders,
        balance_minor,
    }
}

/// Runs one statement on a database at an older version, in a transaction of its own.
async fn run_statement(store: &Store, statement: &str) {
    let mut tx = store.begin().await.unwrap();
    query(statement).execute(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
}

/// An account's notices as stored, oldest first, read without the links version 3 adds.
async fn stored_notice_ids(store: &Store, account_id: &str) -> Vec<String> {
    let mut connection = store.read().await.unwrap();
    query("SELECT id FROM notifications WHERE account_id = $1 ORDER BY seq")
        .bind(account_id)
        .fetch_all(&mut connection)
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get("id").unwrap())
        .collect()
}

async fn a_version_one_database_keeps_its_records_and_goes_on(backend: support::Backend) {
    let (url, _cleanup) = support::fresh_database(backend).await;
    let old = Store::open_unmigrated(&url).await.unwrap();
    migrations::migrate_to(&old, 1).await.unwrap();
    // This tenure names the event of each notice it writes; the tenure of version 1 did not.
    // The column (one of the later versions' columns) is there while this one writes, and
    // dropped before the upgrade: the notices are then as that tenure left them, linked to
    // nothing.
    // So are the columns of version 4's stuck steps that its sweeps read.
    run_statement(
        &old,
        "CREATE TABLE stuck_steps (work TEXT, item_id TEXT, status TEXT)",
    )
    .await;
    support::columns_of_later_versions(&old, true).await;
    let engine = support::engine_with(old.clone(), at(START));
    // Money for the purchase and two renewals (12,000 each): the first renewal happens under
    // version 1, the second after the upgrade.
    let (account_id, _instance_id) =
        support::account_with_auto_renewing_queue(&engine, 36_000).await;
    // And an account on manual renewal, reminded of its expiry and told of it: notices.
    let (reminded_id, _) = support::account_with_queues(&engine, 1).await;
    engine.advance_to(at("2026-03-20T00:00:00Z")).await.unwrap();
    run_statement(&old, "DROP TABLE stuck_steps").await;
    // Read while this tenure's columns are there (its events name their actor); the upgrade
    // must keep every record, and name the actor of events written before it `unrecorded`.
    let unrecorded = |mut records: Records| {
        for event in &mut records.events {
            event.actor = "unrecorded".to_string();
        }
        records
    };
    let before = unrecorded(Records {
        notice_ids: stored_notice_ids(&old, &account_id).await,
        ..records_without_notices(&old, &account_id).await
    });
    let reminded_before = unrecorded(Records {
        notice_ids: stored_notice_ids(&old, &reminded_id).await,
        ..records_without_notices(&old, &reminded_id).await
    });
    support::columns_of_later_versions(&old, false).await;
    assert!(
        reminded_before.notice_ids.len() >= 2,
        "reminded of the expiry, and told of it: {reminded_before:?}"
    );
    assert_eq!(before.orders.len(), 2, "the purchase and one renewal");
    assert_eq!(before.balance_minor, 12_000);
    drop(engine);
    old.close().await;

    let upgraded = Store::connect(&url).await.unwrap();
    let mut tx = upgraded.begin().await.unwrap();
    assert_eq!(
        migrations::applied_versions(&mut tx).await.unwrap(),
        (1..=migrations::latest_version()).collect::<Vec<_>>()
    );
    drop(tx);
    assert_eq!(
        records(&upgraded, &account_id).await,
        before,
        "nothing lost or changed"
    );
    assert_eq!(records(&upgraded, &reminded_id).await, reminded_before);
    // Each old notice is linked to the event it was sent for.
    let mut connection = upgraded.read().await.unwrap();
    let notices = events::list_notices(&mut connection, &account_log(&reminded_id))
        .await
        .unwrap();
    drop(connection);
    for notice in &notices {
        let event = reminded_before
            .events
            .iter()
            .find(|event| event.seq == notice.event_seq)
            .unwrap_or_else(|| panic!("the event of {notice:?}"));
        assert_eq!(
            (&event.kind, &event.instance_id, event.at),
            (&notice.kind, &notice.instance_id, notice.at)
        );
    }

    // The lifecycle goes on where it was: the next renewal is paid once, its records follow
    // the old ones in the log, and the ledger still balances.
    let engine = support::engine_with(upgraded.clone(), at("2026-03-20T00:00:00Z"));
    engine
        .advance_to(at("2026-03-20T00:00:00Z") + SignedDuration::from_hours(24 * 30))
        .await
        .unwrap();
    let after = records(&upgraded, &account_id).await;
    assert_eq!(after.orders.len(), 3, "one more renewal, not two");
    assert_eq!(after.orders[..2], before.orders[..]);
    assert_eq!(after.balance_minor, 0);
    assert_eq!(after.events[..before.events.len()], before.events[..]);
    let last_old_seq = before.events.last().unwrap().seq;
    assert!(after.events.len() > before.events.len());
    assert!(after.events[before.events.len()..]
        .iter()
        .all(|event| event.seq > last_old_seq));
    let mut connection = upgraded.read().await.unwrap();
    ledger::check_balanced(&mut connection).await.unwrap();

    // Migrating again changes nothing.
    drop(connection);
    upgraded.close().await;
    let again = Store::connect(&url).await.unwrap();
    assert_eq!(records(&again, &account_id).await, after);
}

on_both_backends!(
    version_one_upgrade,
    a_version_one_database_keeps_its_records_and_goes_on
);

/// Foreign keys are checked at commit on SQLite since version 2 (so multi-row inserts need no
/// statement journal), at the statement on PostgreSQL: either way, an order for an instance
/// that does not exist is refused and leaves nothing behind.
async fn a_reference_to_nothing_is_refused_and_leaves_nothing(backend: support::Backend) {
    let (store, _cleanup) = support::fresh_store(backend).await;
    let engine = support::engine_with(store.clone(), at(START));
    let (account_id, instance_ids) = support::account_with_queues(&engine, 1).await;
    let mut connection = store.read().await.unwrap();
    let filter = OrderFilter {
        account_id: Some(account_id.clone()),
        limit: 10,
        ..OrderFilter::default()
    };
    let mut order = orders::list(&mut connection, &filter)
        .await
        .unwrap()
        .remove(0);
    drop(connection);
    order.id = "ord_orphan".to_string();
    order.instance_id = "inst_missing".to_string();

    let mut tx = store.begin().await.unwrap();
    let written = match orders::insert_many(&mut tx, std::slice::from_ref(&order)).await {
        Ok(()) => tx.commit().await,
        Err(error) => Err(error),
    };
    let error = written.expect_err("an order of no instance is refused");
    assert!(
        error.to_string().to_lowercase().contains("foreign key"),
        "{error}"
    );
    let mut connection = store.read().await.unwrap();
    assert!(orders::get(&mut connection, "ord_orphan")
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        orders::list(&mut connection, &filter).await.unwrap().len(),
        1
    );
    assert_eq!(instance_ids.len(), 1);
}

on_both_backends!(
    dangling_reference,
    a_reference_to_nothing_is_refused_and_leaves_nothing
);

/// SQLite rebuilds tables with foreign keys off, so a migration checks them before it commits:
/// a database holding a row that points nowhere (written by hand, or by a tool without the
/// checks) is refused whole and left at its version.
#[tokio::test]
async fn a_migration_over_a_broken_reference_is_refused_and_changes_nothing() {
    let (_folder, url) = support::scratch_sqlite();
    let old = Store::open_unmigrated(&url).await.unwrap();
    migrations::migrate_to(&old, 1).await.unwrap();
    support::columns_of_later_versions(&old, true).await;
    let engine = support::engine_with(old.clone(), at(START));
    support::account_with_queues(&engine, 1).await;
    drop(engine);
    support::columns_of_later_versions(&old, false).await;
    old.close().await;
    // With foreign key checks off: an order of an instance that is not there.
    let path = url.trim_start_matches("sqlite://");
    let raw = rusqlite::Connection::open(path).unwrap();
    raw.execute_batch(
        "PRAGMA foreign_keys = OFF;
         CREATE TEMP TABLE orphan AS SELECT * FROM orders LIMIT 1;
         UPDATE orphan SET id = 'ord_orphan', instance_id = 'inst_missing';
         INSERT INTO orders SELECT * FROM orphan;",
    )
    .unwrap();
    drop(raw);

    let error = Store::connect(&url)
        .await
        .err()
        .expect("the migration is refused");
    assert!(error.to_string().contains("foreign keys"), "{error}");
    let store = Store::open_unmigrated(&url).await.unwrap();
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        migrations::applied_versions(&mut tx).await.unwrap(),
        vec![1]
    );
    let unique_event_ids = tenure_store::database::query(
        "SELECT COUNT(*) AS count FROM sqlite_master WHERE name = 'sqlite_autoindex_events_1'",
    )
    .fetch_one(&mut tx)
    .await
    .unwrap()
    .try_get::<i64>("count")
    .unwrap();
    assert_eq!(unique_event_ids, 1, "version 2 left no trace");
}
