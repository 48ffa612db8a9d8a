//! The query layer on SQLite: placeholders by number, typed nulls, clear errors.

use super::{query, DatabaseError};
use crate::Store;

async fn store() -> (tempfile::TempDir, Store) {
    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", folder.path().join("tenure.db").display());
    let store = Store::connect(&url).await.unwrap();
    (folder, store)
}

#[tokio::test]
async fn placeholders_bind_by_number_not_by_position() {
    let (_folder, store) = store().await;
    let mut connection = store.read().await.unwrap();
    // `$2` before `$1`, `$1` twice, and a literal `'$1'` that is text, not a placeholder.
    let row = query("SELECT $2 AS second, $1 AS first, $1 + 1 AS next, '$1' AS literal")
        .bind(41_i64)
        .bind("two")
        .fetch_one(&mut connection)
        .await
        .unwrap();
    assert_eq!(row.try_get::<String>("second").unwrap(), "two");
    assert_eq!(row.try_get::<i64>("first").unwrap(), 41);
    assert_eq!(row.try_get::<i64>("next").unwrap(), 42);
    assert_eq!(row.try_get::<String>("literal").unwrap(), "$1");
}

#[tokio::test]
async fn nulls_read_back_as_none_and_types_are_checked() {
    let (_folder, store) = store().await;
    let mut connection = store.read().await.unwrap();
    let row = query("SELECT $1 AS missing, $2 AS number")
        .bind(None::<String>)
        .bind(7_i64)
        .fetch_one(&mut connection)
        .await
        .unwrap();
    assert_eq!(row.try_get::<Option<String>>("missing").unwrap(), None);
    assert_eq!(row.try_get::<Option<i64>>("number").unwrap(), Some(7));
    let error = row.try_get::<String>("number").unwrap_err();
    assert!(
        matches!(&error, DatabaseError::Decode { column, .. } if column == "number"),
        "{error}"
    );
    assert!(row.try_get::<i64>("absent").is_err());
}

#[tokio::test]
async fn a_placeholder_without_a_value_is_an_error() {
    let (_folder, store) = store().await;
    let mut connection = store.read().await.unwrap();
    let error = query("SELECT $1 AS first, $2 AS second")
        .bind(1_i64)
        .fetch_one(&mut connection)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("$2"), "{error}");
}

#[tokio::test]
async fn a_dropped_transaction_leaves_nothing_and_a_committed_one_stays() {
    let (_folder, store) = store().await;
    let mut tx = store.begin().await.unwrap();
    query("CREATE TABLE scratch (value BIGINT)")
        .execute(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.begin().await.unwrap();
    query("INSERT INTO scratch (value) VALUES ($1)")
        .bind(1_i64)
        .execute(&mut tx)
        .await
        .unwrap();
    drop(tx);
    let mut tx = store.begin().await.unwrap();
    let inserted = query("INSERT INTO scratch (value) VALUES ($1)")
        .bind(2_i64)
        .execute(&mut tx)
        .await
        .unwrap();
    assert_eq!(inserted.rows_affected(), 1);
    tx.commit().await.unwrap();

    let mut connection = store.read().await.unwrap();
    let rows = query("SELECT value FROM scratch ORDER BY value")
        .fetch_all(&mut connection)
        .await
        .unwrap();
    let values: Vec<i64> = rows
        .iter()
        .map(|row| row.try_get("value").unwrap())
        .collect();
    assert_eq!(values, vec![2]);
}

#[test]
fn multi_row_statements_come_in_few_lengths_and_cover_every_row() {
    let rows: Vec<usize> = (0..237).collect();
    let chunks = super::chunks_of(&rows, 100);
    let lengths: Vec<usize> = chunks.iter().map(|chunk| chunk.len()).collect();
    assert_eq!(lengths, [100, 100, 32, 4, 1]);
    let joined: Vec<usize> = chunks.concat();
    assert_eq!(joined, rows, "every row once, in order");
    assert!(super::chunks_of::<usize>(&[], 100).is_empty());
    assert_eq!(
        &*super::values_placeholders(2, 3),
        "($1, $2, $3), ($4, $5, $6)"
    );
    assert_eq!(&*super::list_placeholders(3), "$1, $2, $3");
}

#[tokio::test]
async fn a_transaction_waiting_for_the_writer_is_seen_until_it_has_it_or_gives_up() {
    let (_folder, store) = store().await;
    let store = std::sync::Arc::new(store);
    let first = store.begin().await.unwrap();
    assert!(
        !store.writer_wanted(),
        "the first transaction waited for no one"
    );

    let waiting = tokio::spawn({
        let store = store.clone();
        async move { store.begin().await.map(|_| ()) }
    });
    while !store.writer_wanted() {
        tokio::task::yield_now().await;
    }
    drop(first);
    waiting.await.unwrap().unwrap();
    assert!(
        !store.writer_wanted(),
        "the second had the writer and let it go"
    );

    // A waiter that gives up is not counted any more either.
    let held = store.begin().await.unwrap();
    let abandoned = tokio::spawn({
        let store = store.clone();
        async move { store.begin().await.map(|_| ()) }
    });
    while !store.writer_wanted() {
        tokio::task::yield_now().await;
    }
    abandoned.abort();
    let _ = abandoned.await;
    assert!(!store.writer_wanted());
    drop(held);
}

/// A posting whose entry does not exist: SQLite checks that key only at commit.
fn dangling_posting() -> super::Query<'static> {
    query(
        "INSERT INTO ledger_postings (entry_id, account_id, ledger_account, amount_minor)
         VALUES ('led_missing', 'acct_missing', 'balance', 100)",
    )
}

/// The rows in `table`, as a reader sees them.
async fn rows_in(store: &Store, table: &str) -> i64 {
    let mut connection = store.read().await.unwrap();
    query(&format!("SELECT COUNT(*) AS count FROM {table}"))
        .fetch_one(&mut connection)
        .await
        .unwrap()
        .try_get("count")
        .unwrap()
}

#[tokio::test]
async fn a_dangling_reference_fails_its_own_savepoint_not_the_commit() {
    let (_folder, store) = store().await;
    let mut tx = store.begin().await.unwrap();
    tx.check_references().unwrap();
    let result: Result<(), crate::StoreError> = tx
        .attempt(async |tx| {
            dangling_posting().execute(tx).await?;
            Ok(())
        })
        .await
        .unwrap();
    let error = result.expect_err("the savepoint that wrote a dangling key fails");
    assert!(error.to_string().contains("does not exist"), "{error}");
    // Undone alone: the transaction has nothing dangling left and commits.
    tx.check_references().unwrap();
    tx.commit().await.unwrap();
    assert_eq!(rows_in(&store, "ledger_postings").await, 0);

    // Written outside a savepoint, the check reports it, and the commit would fail.
    let mut tx = store.begin().await.unwrap();
    dangling_posting().execute(&mut tx).await.unwrap();
    assert!(tx.check_references().is_err());
    assert!(tx.commit().await.is_err());
    assert_eq!(rows_in(&store, "ledger_postings").await, 0);
}

/// Every commit is durable when it returns: SQLite's own write-ahead log with
/// `synchronous = FULL` (2), on the writer and the readers alike.
#[tokio::test]
async fn connections_run_wal_with_full_synchronous_commits() {
    let (_folder, store) = store().await;
    let setting = async |connection: &mut super::Connection, pragma: &str| -> String {
        let row = query(pragma).fetch_one(connection).await.unwrap();
        match row.try_get::<i64>(row_column(pragma)) {
            Ok(number) => number.to_string(),
            Err(_) => row.try_get::<String>(row_column(pragma)).unwrap(),
        }
    };
    let mut tx = store.begin().await.unwrap();
    assert_eq!(setting(&mut tx, "PRAGMA journal_mode").await, "wal");
    assert_eq!(setting(&mut tx, "PRAGMA synchronous").await, "2");
    drop(tx);
    let mut reader = store.read().await.unwrap();
    assert_eq!(setting(&mut reader, "PRAGMA journal_mode").await, "wal");
    assert_eq!(setting(&mut reader, "PRAGMA synchronous").await, "2");
}

/// The column a `PRAGMA NAME` answers in: its name.
fn row_column(pragma: &str) -> &str {
    pragma.trim_start_matches("PRAGMA ")
}

/// The frames in the database's write-ahead log now (copying what it can, which changes
/// nothing a reader sees).
async fn log_frames(store: &Store) -> i64 {
    let mut connection = store.read().await.unwrap();
    query("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(&mut connection)
        .await
        .unwrap()
        .try_get("log")
        .unwrap()
}

#[tokio::test]
async fn a_checkpoint_starts_the_log_again_and_the_writer_keeps_writing() {
    let (_folder, store) = store().await;
    let mut tx = store.begin().await.unwrap();
    query("CREATE TABLE scratch (value BIGINT, padding TEXT)")
        .execute(&mut tx)
        .await
        .unwrap();
    for value in 0..2_000_i64 {
        query("INSERT INTO scratch (value, padding) VALUES ($1, $2)")
            .bind(value)
            .bind("x".repeat(100))
            .execute(&mut tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    assert_eq!(
        rows_in(&store, "scratch").await,
        2_000,
        "read between, as a request would"
    );
    assert!(log_frames(&store).await > 50, "the rows are in the log");

    store.checkpoint().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    query("INSERT INTO scratch (value, padding) VALUES (2000, 'after')")
        .execute(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    // The next commit went to the start of the log: its own frames are all there is.
    let frames = log_frames(&store).await;
    assert!((1..=3).contains(&frames), "{frames} frames");
    assert_eq!(rows_in(&store, "scratch").await, 2_001);
}

#[tokio::test]
async fn a_value_taken_from_a_row_is_the_value_read_and_leaves_null() {
    let (_folder, store) = store().await;
    let mut connection = store.read().await.unwrap();
    let mut row = query("SELECT $1 AS name, $2 AS count, $3 AS missing")
        .bind("Ada")
        .bind(3_i64)
        .bind(None::<String>)
        .fetch_one(&mut connection)
        .await
        .unwrap();
    assert_eq!(row.try_get::<String>("name").unwrap(), "Ada");
    assert_eq!(row.take::<String>("name").unwrap(), "Ada");
    assert_eq!(row.take::<i64>("count").unwrap(), 3);
    assert_eq!(row.take::<Option<String>>("missing").unwrap(), None);
    // Taken once: the column reads as null, and a type mismatch still names the column.
    assert_eq!(row.take::<Option<String>>("name").unwrap(), None);
    let error = row.take::<String>("count").unwrap_err();
    assert!(
        matches!(&error, DatabaseError::Decode { column, .. } if column == "count"),
        "{error}"
    );
    assert!(row.take::<i64>("absent").is_err());
}

/// Once timing is on, each statement's runs are counted under its text (whitespace
/// collapsed), and taking the totals starts them again.
#[tokio::test]
async fn statement_times_count_each_statement_under_its_text() {
    use super::statement_times;
    let (_folder, store) = store().await;
    let mut connection = store.read().await.unwrap();
    let timed = "SELECT $1 AS timed_statement_marker,\n       $1 + 1 AS next";
    statement_times::start();
    for number in 0..5_i64 {
        query(timed)
            .bind(number)
            .fetch_one(&mut connection)
            .await
            .unwrap();
    }
    let ours = |times: Vec<statement_times::StatementTime>| {
        times
            .into_iter()
            .find(|time| time.sql.contains("timed_statement_marker"))
    };
    let time = ours(statement_times::take()).expect("the statement was timed");
    assert_eq!(
        time.sql,
        "SELECT $1 AS timed_statement_marker, $1 + 1 AS next"
    );
    assert_eq!(time.runs, 5);
    assert!(time.total > std::time::Duration::ZERO);
    assert_eq!(ours(statement_times::take()), None, "taken once");
}
