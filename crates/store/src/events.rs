//! The event log (append-only, ordered by `seq`) and the notices sent to customers.

use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;
use tenure_core::event::{EventDraft, NoticeDraft};

use crate::connect::{StoreError, Tx};
use crate::database::{execute_rows, query, Connection};
use crate::time::{from_seconds, to_seconds};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredEvent {
    pub seq: i64,
    pub id: String,
    pub at: Timestamp,
    pub account_id: String,
    pub instance_id: Option<String>,
    pub kind: String,
    pub data: Value,
}

pub async fn insert(
    tx: &mut Tx,
    event_id: &str,
    at: Timestamp,
    event: &EventDraft,
) -> Result<(), StoreError> {
    query("INSERT INTO events (id, at, account_id, instance_id, kind, data) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(event_id)
        .bind(to_seconds(at))
        .bind(&event.account_id)
        .bind(&event.instance_id)
        .bind(event.kind.as_str())
        .bind(event.data.as_str())
        .execute(tx)
        .await?;
    Ok(())
}

/// Filters shared by the event log and the notices.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    pub account_id: Option<String>,
    pub instance_id: Option<String>,
    pub kind: Option<String>,
    pub after_seq: i64,
    pub limit: i64,
}

fn filtered_sql(columns: &str, table: &str, filter: &LogFilter) -> (String, Vec<String>) {
    let mut conditions = vec!["seq > $1".to_string()];
    let mut values = Vec::new();
    for (column, value) in [
        ("account_id", &filter.account_id),
        ("instance_id", &filter.instance_id),
        ("kind", &filter.kind),
    ] {
        if let Some(value) = value {
            values.push(value.clone());
            let placeholder = values.len() + 1;
            conditions.push(format!("{column} = ${placeholder}"));
            if column == "instance_id" {
                // An instance's records are found among its account's (the `…_by_account`
                // indexes): an index by instance would be one more B-tree entry, on a page of
                // its own, for every record a sweep writes; this costs a list filtered by
                // instance a walk over one account's records.
                conditions.push(format!(
                    "account_id = (SELECT account_id FROM instances WHERE id = ${placeholder})"
                ));
            }
        }
    }
    let sql = format!(
        "SELECT {columns} FROM {table} WHERE {} ORDER BY seq LIMIT ${}",
        conditions.join(" AND "),
        values.len() + 2
    );
    (sql, values)
}

pub async fn list(
    connection: &mut Connection,
    filter: &LogFilter,
) -> Result<Vec<StoredEvent>, StoreError> {
    let (sql, values) = filtered_sql(
        "seq, id, at, account_id, instance_id, kind, data",
        "events",
        filter,
    );
    let mut query = query(&sql).bind(filter.after_seq);
    for value in values {
        query = query.bind(value);
    }
    let rows = query.bind(filter.limit).fetch_all(connection).await?;
    rows.iter()
        .map(|row| {
            let data: String = row.try_get("data")?;
            Ok(StoredEvent {
                seq: row.try_get("seq")?,
                id: row.try_get("id")?,
                at: from_seconds(row.try_get("at")?),
                account_id: row.try_get("account_id")?,
                instance_id: row.try_get("instance_id")?,
                kind: row.try_get("kind")?,
                data: serde_json::from_str(&data).unwrap_or(Value::String(data)),
            })
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredNotice {
    pub seq: i64,
    pub id: String,
    pub at: Timestamp,
    pub account_id: String,
    pub instance_id: Option<String>,
    pub channel: String,
    pub kind: String,
    /// The mobile number or email address the notice went to.
    pub recipient: String,
    pub subject: String,
    pub body: String,
    /// `stored` until a delivery channel takes it.
    pub status: String,
}

pub async fn insert_notice(
    tx: &mut Tx,
    notice_id: &str,
    at: Timestamp,
    notice: &NoticeDraft,
    recipient: &str,
) -> Result<(), StoreError> {
    query(
        "INSERT INTO notifications (id, at, account_id, instance_id, channel, kind, recipient, subject, body, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'stored')",
    )
    .bind(notice_id)
    .bind(to_seconds(at))
    .bind(&notice.account_id)
    .bind(&notice.instance_id)
    .bind(notice.channel.as_str())
    .bind(notice.kind.as_str())
    .bind(recipient)
    .bind(&notice.subject)
    .bind(&notice.body)
    .execute(tx)
    .await?;
    Ok(())
}

pub async fn list_notices(
    connection: &mut Connection,
    filter: &LogFilter,
) -> Result<Vec<StoredNotice>, StoreError> {
    let (sql, values) = filtered_sql(
        "seq, id, at, account_id, instance_id, channel, kind, recipient, subject, body, status",
        "notifications",
        filter,
    );
    let mut query = query(&sql).bind(filter.after_seq);
    for value in values {
        query = query.bind(value);
    }
    let rows = query.bind(filter.limit).fetch_all(connection).await?;
    rows.iter()
        .map(|row| {
            Ok(StoredNotice {
                seq: row.try_get("seq")?,
                id: row.try_get("id")?,
                at: from_seconds(row.try_get("at")?),
                account_id: row.try_get("account_id")?,
                instance_id: row.try_get("instance_id")?,
                channel: row.try_get("channel")?,
                kind: row.try_get("kind")?,
                recipient: row.try_get("recipient")?,
                subject: row.try_get("subject")?,
                body: row.try_get("body")?,
                status: row.try_get("status")?,
            })
        })
        .collect()
}

/// Inserts many events in few statements, in the given order (their `seq` follows it).
pub async fn insert_many(
    tx: &mut Tx,
    rows: &[(String, Timestamp, EventDraft)],
) -> Result<(), StoreError> {
    execute_rows(
        tx,
        "INSERT INTO events (id, at, account_id, instance_id, kind, data) VALUES {values}",
        6,
        rows,
        |query, (event_id, at, event)| {
            query
                .bind(event_id)
                .bind(to_seconds(*at))
                .bind(&event.account_id)
                .bind(&event.instance_id)
                .bind(event.kind.as_str())
                .bind(event.data.as_str())
        },
    )
    .await?;
    Ok(())
}

/// Inserts many notices in few statements: `(id, at, notice, recipient)`.
pub async fn insert_notices_many(
    tx: &mut Tx,
    rows: &[(String, Timestamp, NoticeDraft, String)],
) -> Result<(), StoreError> {
    execute_rows(
        tx,
        "INSERT INTO notifications (id, at, account_id, instance_id, channel, kind, recipient, subject, body, status) VALUES {values}",
        10,
        rows,
        |query, (notice_id, at, notice, recipient)| {
            query
                .bind(notice_id)
                .bind(to_seconds(*at))
                .bind(&notice.account_id)
                .bind(&notice.instance_id)
                .bind(notice.channel.as_str())
                .bind(notice.kind.as_str())
                .bind(recipient)
                .bind(&notice.subject)
                .bind(&notice.body)
                // Every notice starts `stored`: bound like the other columns.
                .bind("stored")
        },
    )
    .await?;
    Ok(())
}
