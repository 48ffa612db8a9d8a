//! The event log (append-only, ordered by `seq`) and the notices sent to customers.

use jiff::Timestamp;
use serde_json::Value;
use tenure_core::event::{EventDraft, NoticeDraft};

use crate::connect::{Dialect, StoreError, Tx};
use crate::database::{execute_rows, query, Connection};
use crate::time::{from_seconds, to_seconds};

#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub seq: i64,
    pub id: String,
    pub at: Timestamp,
    pub account_id: String,
    pub instance_id: Option<String>,
    pub kind: String,
    pub data: Value,
    /// Who it was done for: `operator`, `owner`, a user's key id, `system` (tenure itself), or
    /// `unrecorded` (written before events named their actor).
    pub actor: String,
}

/// Filters shared by the event log and the notices.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    pub account_id: Option<String>,
    pub instance_id: Option<String>,
    pub kind: Option<String>,
    /// The `seq` of the last item of the page before (0: from the start).
    pub after_seq: i64,
    pub limit: i64,
    /// Newest first (a page goes on to older items) instead of oldest first.
    pub newest_first: bool,
}

/// The conditions `filter` puts on a log's account, instance and kind columns (named by
/// `columns`, in that order), with the values to bind to them from placeholder `$first` on.
fn filter_conditions<'f>(
    filter: &'f LogFilter,
    columns: [&str; 3],
    first: usize,
) -> (Vec<String>, Vec<&'f str>) {
    let [account_column, instance_column, kind_column] = columns;
    let mut conditions = Vec::new();
    let mut values: Vec<&str> = Vec::new();
    for (column, value) in [
        (account_column, &filter.account_id),
        (instance_column, &filter.instance_id),
        (kind_column, &filter.kind),
    ] {
        let Some(value) = value else { continue };
        let placeholder = first + values.len();
        values.push(value);
        conditions.push(format!("{column} = ${placeholder}"));
        if column == instance_column {
            // An instance's records are found among its account's (the `…_by_account`
            // index): an index by instance would be one more B-tree entry, on a page of its
            // own, for every record a sweep writes; this costs a list filtered by instance a
            // walk over one account's records.
            conditions.push(format!(
                "{account_column} = (SELECT account_id FROM instances WHERE id = ${placeholder})"
            ));
        }
    }
    (conditions, values)
}

pub async fn list(
    connection: &mut Connection,
    filter: &LogFilter,
) -> Result<Vec<StoredEvent>, StoreError> {
    // `$1`: past this event, `$2`: at most this many.
    let (mut conditions, values) =
        filter_conditions(filter, ["account_id", "instance_id", "kind"], 3);
    let (past, order, start) = if filter.newest_first {
        ("seq < $1", "seq DESC", i64::MAX)
    } else {
        ("seq > $1", "seq", 0)
    };
    conditions.insert(0, past.to_string());
    let sql = format!(
        "SELECT seq, id, at, account_id, instance_id, kind, data, actor FROM events
         WHERE {} ORDER BY {order} LIMIT $2",
        conditions.join(" AND ")
    );
    let after_seq = if filter.after_seq > 0 {
        filter.after_seq
    } else {
        start
    };
    let mut query = query(&sql).bind(after_seq).bind(filter.limit);
    for value in values {
        query = query.bind(value);
    }
    let rows = query.fetch_all(connection).await?;
    rows.iter()
        .map(|row| {
            let data: String = row.try_get("data")?;
            Ok(StoredEvent {
                seq: row.try_get("seq")?,
                id: row.try_get("id")?,
                at: from_seconds(row.try_get("at")?),
                account_id: row.try_get("account_id")?,
                instance_id: row.try_get("instance_id")?,
                actor: row.try_get("actor")?,
                kind: row.try_get("kind")?,
                data: serde_json::from_str(&data).unwrap_or(Value::String(data)),
            })
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredNotice {
    pub seq: i64,
    pub id: String,
    /// The `seq` of the event the notice was sent for (same account, instance, kind and time).
    pub event_seq: i64,
    pub at: Timestamp,
    pub account_id: String,
    pub instance_id: Option<String>,
    pub channel: String,
    pub kind: String,
    /// The mobile number or email address the notice went to.
    pub recipient: String,
    pub subject: String,
    pub body: String,
    /// `pending` until its delivery is sent (`sent`) or given up (`failed`); `undeliverable`
    /// when no delivery could carry it (`status_reason` says why).
    pub status: String,
    pub status_reason: Option<String>,
}

const NOTICE_COLUMNS: [&str; 13] = [
    "seq",
    "id",
    "event_seq",
    "at",
    "account_id",
    "instance_id",
    "channel",
    "kind",
    "recipient",
    "subject",
    "body",
    "status",
    "status_reason",
];

/// Notices in the order of the events they were sent for, then their own: `(event_seq, seq)`,
/// which the index on the notices' `event_seq` keeps. The page after notice `after_seq` starts
/// past that notice's place in this order.
///
/// A notice has no index by account: an account's notices are found through its events (the
/// `events_by_account` index), each event's through `notifications_by_event`. An index by
/// account would put an entry on a page of its own for every notice a sweep writes (notices
/// go to accounts all over the table); `event_seq` only grows, so its entries go on the index's
/// last page. Without it a month's steps at 1,000,000 instances ran 10% faster (BENCHMARKS.md).
pub async fn list_notices(
    connection: &mut Connection,
    filter: &LogFilter,
) -> Result<Vec<StoredNotice>, StoreError> {
    // Where the page starts: the event of the notice it follows (none on the first page, or
    // for a number that is no notice's, which the API refuses: from the start).
    // Newest first, the same order read backwards: from the end, or before the notice it
    // follows.
    let start = if filter.newest_first { i64::MAX } else { 0 };
    let (after_seq, after_event_seq) = if filter.after_seq > 0 {
        match notice_event_seq(connection, filter.after_seq, filter.account_id.as_deref()).await? {
            Some(event_seq) => (filter.after_seq, event_seq),
            None => (start, start),
        }
    } else {
        (start, start)
    };
    let by_account = filter.account_id.is_some() || filter.instance_id.is_some();
    let columns: Vec<String> = NOTICE_COLUMNS
        .iter()
        .map(|column| format!("n.{column}"))
        .collect();
    // `$1`: past this notice, `$2`: at or past this event, `$3`: at most this many.
    let (mut conditions, values) =
        filter_conditions(filter, ["e.account_id", "n.instance_id", "n.kind"], 4);
    let (past, events_from, order) = if filter.newest_first {
        (
            "n.event_seq <= $2 AND (n.event_seq < $2 OR n.seq < $1)",
            "e.seq <= $2",
            "DESC",
        )
    } else {
        (
            "n.event_seq >= $2 AND (n.event_seq > $2 OR n.seq > $1)",
            "e.seq >= $2",
            "",
        )
    };
    conditions.insert(0, past.to_string());
    let sql = if by_account {
        // The account's events from the page's start, in order, each with its notices: those
        // of the account, not a notice the operator was sent of one of its events (a dispute's,
        // of no account: `tenure_core::dispute`), which is the operator's view, not the
        // customer's.
        format!(
            "SELECT {} FROM events e JOIN notifications n ON n.event_seq = e.seq
             WHERE {events_from} AND n.account_id = e.account_id AND {}
             ORDER BY e.seq {order}, n.seq {order} LIMIT $3",
            columns.join(", "),
            conditions.join(" AND ")
        )
    } else {
        format!(
            "SELECT {} FROM notifications n WHERE {}
             ORDER BY n.event_seq {order}, n.seq {order} LIMIT $3",
            columns.join(", "),
            conditions.join(" AND ")
        )
    };
    let mut query = query(&sql)
        .bind(after_seq)
        .bind(after_event_seq)
        .bind(filter.limit);
    for value in values {
        query = query.bind(value);
    }
    let rows = query.fetch_all(connection).await?;
    rows.iter()
        .map(|row| {
            Ok(StoredNotice {
                seq: row.try_get("seq")?,
                id: row.try_get("id")?,
                event_seq: row.try_get("event_seq")?,
                at: from_seconds(row.try_get("at")?),
                account_id: row.try_get("account_id")?,
                instance_id: row.try_get("instance_id")?,
                channel: row.try_get("channel")?,
                kind: row.try_get("kind")?,
                recipient: row.try_get("recipient")?,
                subject: row.try_get("subject")?,
                body: row.try_get("body")?,
                status: row.try_get("status")?,
                status_reason: row
                    .try_get::<Option<String>>("status_reason")?
                    .map(reason_sentence),
            })
        })
        .collect()
}

/// A notice's `status_reason` as shown: the sentence of an `undeliverable` notice's code, or a
/// failed delivery's last error as it was recorded.
fn reason_sentence(stored: String) -> String {
    match tenure_core::delivery::Undeliverable::from_code(&stored) {
        Some(reason) => reason.sentence().to_string(),
        None => stored,
    }
}

/// The `event_seq` of notice `seq`, if there is such a notice (of `account_id`, when given):
/// where a page of notices that follows it starts. Another account's notice is no notice: a
/// cursor answers the same for "not yours" as for "no such".
pub async fn notice_event_seq(
    connection: &mut Connection,
    seq: i64,
    account_id: Option<&str>,
) -> Result<Option<i64>, StoreError> {
    let row = match account_id {
        None => {
            query("SELECT event_seq FROM notifications WHERE seq = $1")
                .bind(seq)
                .fetch_optional(connection)
                .await?
        }
        Some(account_id) => {
            query("SELECT event_seq FROM notifications WHERE seq = $1 AND account_id = $2")
                .bind(seq)
                .bind(account_id)
                .fetch_optional(connection)
                .await?
        }
    };
    Ok(row.map(|row| row.try_get("event_seq")).transpose()?)
}

/// An event to write, with its place in the log.
#[derive(Debug, Clone)]
pub struct EventWrite {
    /// From [`next_seqs`], in the order the events were decided.
    pub seq: i64,
    pub id: String,
    pub at: Timestamp,
    pub event: EventDraft,
}

/// A notice to write, and the event it was sent for.
#[derive(Debug, Clone)]
pub struct NoticeWrite {
    pub id: String,
    pub at: Timestamp,
    pub notice: NoticeDraft,
    pub recipient: String,
    pub event_seq: i64,
    /// `pending` when a delivery carries it, else `undeliverable`, with why (the code of a
    /// [`tenure_core::delivery::Undeliverable`]).
    pub status: &'static str,
    pub status_reason: Option<&'static str>,
    /// The invoice or credit note it brings, attached as a PDF when the email is sent.
    pub invoice_id: Option<String>,
}

/// `count` new places in the event log, in increasing order, for events written in this
/// transaction: their notices name them before they are written, and the notices' listing
/// goes through them (see [`list_notices`]). On SQLite the next numbers after the last event
/// (the transaction holds the only writer): the log's end is read by the transaction's first
/// numbering, then kept by [`insert_many`] as it writes (a group of HTTP requests numbers
/// events once per request), and read again after a savepoint is undone. On PostgreSQL from
/// the column's sequence, as an insert would take them.
pub async fn next_seqs(tx: &mut Tx, count: usize) -> Result<Vec<i64>, StoreError> {
    if count == 0 {
        return Ok(Vec::new());
    }
    match tx.dialect() {
        Dialect::Sqlite => {
            let last = match tx.last_event_seq {
                Some(last) => last,
                // `MAX` alone, which SQLite reads off the end of the table.
                None => query("SELECT MAX(seq) AS last FROM events")
                    .fetch_one(tx)
                    .await?
                    .try_get::<Option<i64>>("last")?
                    .unwrap_or(0),
            };
            Ok((1..=count as i64).map(|offset| last + offset).collect())
        }
        Dialect::Postgres => {
            let rows = query(
                "SELECT nextval(pg_get_serial_sequence('events', 'seq')) AS seq
                 FROM generate_series(1, $1)",
            )
            .bind(count as i64)
            .fetch_all(tx)
            .await?;
            let mut seqs = rows
                .iter()
                .map(|row| row.try_get("seq"))
                .collect::<Result<Vec<i64>, _>>()?;
            seqs.sort_unstable();
            Ok(seqs)
        }
    }
}

/// Inserts many events in few statements, each at the `seq` [`next_seqs`] gave it.
pub async fn insert_many(tx: &mut Tx, events: &[EventWrite]) -> Result<(), StoreError> {
    let actor = tx.actor().to_string();
    execute_rows(
        tx,
        "{insert} events (seq, id, at, account_id, instance_id, kind, data, actor) VALUES {values}",
        8,
        events,
        |query, write| {
            query
                .bind(write.seq)
                .bind(&write.id)
                .bind(to_seconds(write.at))
                .bind(&write.event.account_id)
                .bind(&write.event.instance_id)
                .bind(write.event.kind.as_str())
                .bind(write.event.data.as_str())
                .bind(actor.as_str())
        },
    )
    .await?;
    // Numbered after the log's end, so the last of them is now the end (kept on SQLite only:
    // PostgreSQL numbers from its sequence).
    if let (Dialect::Sqlite, Some(last)) =
        (tx.dialect(), events.iter().map(|write| write.seq).max())
    {
        tx.last_event_seq = Some(tx.last_event_seq.map_or(last, |kept| kept.max(last)));
    }
    Ok(())
}

/// Inserts many notices in few statements, after the events they name.
pub async fn insert_notices_many(tx: &mut Tx, notices: &[NoticeWrite]) -> Result<(), StoreError> {
    execute_rows(
        tx,
        "{insert} notifications (id, event_seq, at, account_id, instance_id, channel, kind, recipient, subject, body, status, status_reason, invoice_id) VALUES {values}",
        13,
        notices,
        |query, write| {
            query
                .bind(&write.id)
                .bind(write.event_seq)
                .bind(to_seconds(write.at))
                .bind(&write.notice.account_id)
                .bind(&write.notice.instance_id)
                .bind(write.notice.channel.as_str())
                .bind(write.notice.kind.as_str())
                .bind(&write.recipient)
                .bind(&write.notice.subject)
                .bind(&write.notice.body)
                .bind(write.status)
                .bind(write.status_reason)
                .bind(&write.invoice_id)
        },
    )
    .await?;
    Ok(())
}

/// Links every notice written before notices named their event (schema version 3) to the
/// event it was sent for: the first of its account's events of the same instance, kind and
/// time, which tenure always wrote in the same transaction. Refuses, changing nothing, if a
/// notice has no such event, since it would drop out of its account's listing.
pub(crate) async fn link_notices_to_events(tx: &mut Tx) -> Result<(), StoreError> {
    query("CREATE INDEX events_for_linking_notices ON events (account_id, at, kind)")
        .execute(tx)
        .await?;
    query(
        "UPDATE notifications SET event_seq = (
            SELECT MIN(e.seq) FROM events e
            WHERE e.account_id = notifications.account_id AND e.at = notifications.at
              AND e.kind = notifications.kind
              AND e.instance_id IS NOT DISTINCT FROM notifications.instance_id
         ) WHERE event_seq IS NULL",
    )
    .execute(tx)
    .await?;
    query("DROP INDEX events_for_linking_notices")
        .execute(tx)
        .await?;
    let unlinked: i64 =
        query("SELECT COUNT(*) AS unlinked FROM notifications WHERE event_seq IS NULL")
            .fetch_one(tx)
            .await?
            .try_get("unlinked")?;
    if unlinked > 0 {
        return Err(StoreError::Database(crate::DatabaseError::Other(format!(
            "{unlinked} notices have no event of the same account, instance, kind and time to \
             be listed through; nothing was changed"
        ))));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use tenure_core::event::EventKind;

    use super::*;
    use crate::Store;

    fn event(seq: i64, id: &str) -> EventWrite {
        EventWrite {
            seq,
            id: id.to_string(),
            at: "2026-01-01T00:00:00Z".parse().unwrap(),
            event: EventDraft {
                kind: EventKind::FundsDeposited,
                account_id: "acct_1".to_string(),
                instance_id: None,
                data: serde_json::json!({ "amount_minor": 100 }).into(),
            },
        }
    }

    async fn numbered_and_written(tx: &mut Tx, ids: &[&str]) -> Vec<i64> {
        let seqs = next_seqs(tx, ids.len()).await.unwrap();
        let events: Vec<EventWrite> = seqs
            .iter()
            .zip(ids)
            .map(|(seq, id)| event(*seq, id))
            .collect();
        insert_many(tx, &events).await.unwrap();
        seqs
    }

    /// The log's end is read once per transaction and then kept: numbers follow on from one
    /// flush to the next, from one transaction to the next, and a savepoint that wrote events
    /// and was undone leaves no gap.
    #[tokio::test]
    async fn events_are_numbered_after_the_last_one_written_with_no_gap_after_an_undo() {
        let folder = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", folder.path().join("events.db").display());
        let store = Store::connect(&url).await.unwrap();

        let mut tx = store.begin().await.unwrap();
        assert_eq!(
            numbered_and_written(&mut tx, &["evt_a", "evt_b"]).await,
            [1, 2]
        );
        assert_eq!(numbered_and_written(&mut tx, &["evt_c"]).await, [3]);
        let undone: Result<(), StoreError> = tx
            .attempt(async |tx| {
                assert_eq!(numbered_and_written(tx, &["evt_d", "evt_e"]).await, [4, 5]);
                Err(StoreError::Database(crate::DatabaseError::Other(
                    "refused".to_string(),
                )))
            })
            .await
            .unwrap();
        assert!(undone.is_err());
        assert_eq!(numbered_and_written(&mut tx, &["evt_f"]).await, [4]);
        // Numbers given but never written are given again.
        assert_eq!(next_seqs(&mut tx, 2).await.unwrap(), [5, 6]);
        tx.commit().await.unwrap();

        let mut tx = store.begin().await.unwrap();
        assert_eq!(numbered_and_written(&mut tx, &["evt_g"]).await, [5]);
        tx.commit().await.unwrap();

        let mut connection = store.read().await.unwrap();
        let rows = query("SELECT seq, id FROM events ORDER BY seq")
            .fetch_all(&mut connection)
            .await
            .unwrap();
        let written: Vec<(i64, String)> = rows
            .iter()
            .map(|row| (row.try_get("seq").unwrap(), row.try_get("id").unwrap()))
            .collect();
        let expected = [
            (1, "evt_a"),
            (2, "evt_b"),
            (3, "evt_c"),
            (4, "evt_f"),
            (5, "evt_g"),
        ]
        .map(|(seq, id)| (seq, id.to_string()));
        assert_eq!(written, expected);
    }
}
