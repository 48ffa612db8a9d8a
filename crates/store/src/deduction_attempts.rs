//! Auto-renewal deduction attempts, one row each, keyed by (instance, expiry renewed, offset):
//! the record shown on the instance and the guard that no cycle is charged twice.

use jiff::Timestamp;

use crate::connect::{StoreError, Tx};
use crate::database::{
    chunks_of, execute_rows, query, values_placeholders, Connection, DatabaseError, Query, Row,
    ROWS_PER_INSERT,
};
use crate::time::{from_seconds, to_seconds};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeductionAttempt {
    pub id: String,
    pub instance_id: String,
    pub account_id: String,
    /// The expiry this attempt was to renew.
    pub renews_expires_at: Timestamp,
    /// Days from that expiry (negative: before it).
    pub attempt_offset_days: i64,
    /// When the schedule put the attempt.
    pub scheduled_at: Timestamp,
    /// When it was made (later than `scheduled_at` only when the scheduler ran late).
    pub attempted_at: Timestamp,
    /// `paid`, `insufficient_funds`, `not_renewable` or `renewal_ends_in_the_past`.
    pub outcome: String,
    /// The renewal price.
    pub due_minor: i64,
    /// What the balance and coupons held at the attempt.
    pub available_minor: i64,
    /// The renewal order, when the attempt paid.
    pub order_id: Option<String>,
}

const COLUMNS: &str =
    "id, instance_id, account_id, renews_expires_at, attempt_offset_days, scheduled_at, \
    attempted_at, outcome, due_minor, available_minor, order_id";

/// Binds an attempt's 11 values in the order of [`COLUMNS`].
fn bind_row<'a>(query: Query<'a>, attempt: &'a DeductionAttempt) -> Query<'a> {
    query
        .bind(&attempt.id)
        .bind(&attempt.instance_id)
        .bind(&attempt.account_id)
        .bind(to_seconds(attempt.renews_expires_at))
        .bind(attempt.attempt_offset_days)
        .bind(to_seconds(attempt.scheduled_at))
        .bind(to_seconds(attempt.attempted_at))
        .bind(&attempt.outcome)
        .bind(attempt.due_minor)
        .bind(attempt.available_minor)
        .bind(&attempt.order_id)
}

/// Claims the attempt: `false` when an attempt with the same key was already recorded, in
/// which case the caller must not charge again.
pub async fn claim(tx: &mut Tx, attempt: &DeductionAttempt) -> Result<bool, StoreError> {
    let result = bind_row(
        query(&format!(
            "INSERT INTO deduction_attempts ({COLUMNS}) VALUES {}
             ON CONFLICT (instance_id, renews_expires_at, attempt_offset_days) DO NOTHING",
            values_placeholders(1, 11)
        )),
        attempt,
    )
    .execute(tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Whether the attempt with this key (instance, expiry renewed, offset) was made already: if
/// so the caller must not charge again. The unique key stays the last line of defence: an
/// attempt written after this check by someone else makes [`insert_many`] fail.
pub async fn made(
    tx: &mut Tx,
    instance_id: &str,
    renews_expires_at: Timestamp,
    attempt_offset_days: i64,
) -> Result<bool, StoreError> {
    let row = query(
        "SELECT 1 AS made FROM deduction_attempts
         WHERE instance_id = $1 AND renews_expires_at = $2 AND attempt_offset_days = $3",
    )
    .bind(instance_id)
    .bind(to_seconds(renews_expires_at))
    .bind(attempt_offset_days)
    .fetch_optional(tx)
    .await?;
    Ok(row.is_some())
}

/// The keys `(instance, expiry renewed, offset)` of the attempts made for `instance_ids` to
/// renew an expiry at or after `renews_from`, in few queries: what a sweep batch checks its
/// attempts against instead of one [`made`] each.
pub async fn made_since(
    tx: &mut Tx,
    instance_ids: &[String],
    renews_from: Timestamp,
) -> Result<Vec<(String, Timestamp, i64)>, StoreError> {
    let mut keys = Vec::new();
    for chunk in chunks_of(instance_ids, ROWS_PER_INSERT) {
        let sql = format!(
            "SELECT instance_id, renews_expires_at, attempt_offset_days FROM deduction_attempts
             WHERE renews_expires_at >= $1 AND instance_id IN ({})",
            // `$1` is the time; the ids follow it.
            (2..chunk.len() + 2)
                .map(|number| format!("${number}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut select = query(&sql).bind(to_seconds(renews_from));
        for instance_id in chunk {
            select = select.bind(instance_id);
        }
        for row in select.fetch_all(tx).await? {
            keys.push((
                row.try_get("instance_id")?,
                from_seconds(row.try_get("renews_expires_at")?),
                row.try_get("attempt_offset_days")?,
            ));
        }
    }
    Ok(keys)
}

/// Records attempts in few statements. One whose key is taken fails the statement (and so
/// the caller's transaction): never two attempts, never two charges, for one key.
pub async fn insert_many(tx: &mut Tx, attempts: &[DeductionAttempt]) -> Result<(), StoreError> {
    execute_rows(
        tx,
        &format!("{{insert}} deduction_attempts ({COLUMNS}) VALUES {{values}}"),
        11,
        attempts,
        bind_row,
    )
    .await?;
    Ok(())
}

/// The attempts made to renew `renews_expires_at`, in schedule order.
pub async fn for_expiry(
    connection: &mut Connection,
    instance_id: &str,
    renews_expires_at: Timestamp,
) -> Result<Vec<DeductionAttempt>, StoreError> {
    let rows = query(&format!(
        "SELECT {COLUMNS} FROM deduction_attempts WHERE instance_id = $1 AND renews_expires_at = $2
         ORDER BY attempt_offset_days"
    ))
    .bind(instance_id)
    .bind(to_seconds(renews_expires_at))
    .fetch_all(connection)
    .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

fn from_row(row: &Row) -> Result<DeductionAttempt, DatabaseError> {
    Ok(DeductionAttempt {
        id: row.try_get("id")?,
        instance_id: row.try_get("instance_id")?,
        account_id: row.try_get("account_id")?,
        renews_expires_at: from_seconds(row.try_get("renews_expires_at")?),
        attempt_offset_days: row.try_get("attempt_offset_days")?,
        scheduled_at: from_seconds(row.try_get("scheduled_at")?),
        attempted_at: from_seconds(row.try_get("attempted_at")?),
        outcome: row.try_get("outcome")?,
        due_minor: row.try_get("due_minor")?,
        available_minor: row.try_get("available_minor")?,
        order_id: row.try_get("order_id")?,
    })
}
