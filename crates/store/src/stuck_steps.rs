//! Lifecycle steps that failed: retried, then parked until an operator retries them
//! (`tenure_core::lifecycle::failed_step` decides which). One row per item, found by
//! (`work`, `item_id`); a parked instance is out of the scheduler's index (`next_due_at` is
//! null), a parked bill is skipped by the due queries of bills (`bills::due_ids`,
//! `due_work::earliest`).

use jiff::Timestamp;
use tenure_core::lifecycle::failed_step::{StepWork, StuckStatus};

use crate::connect::{StoreError, Tx};
use crate::database::{chunks_of, list_placeholders, query, Connection, DatabaseError, Row};
use crate::time::{from_seconds, to_seconds};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StuckStep {
    pub id: String,
    pub work: StepWork,
    /// The instance or the bill whose step failed.
    pub item_id: String,
    pub account_id: String,
    pub instance_id: Option<String>,
    pub status: StuckStatus,
    /// Failed attempts since the step was first set aside (or last retried by an operator).
    pub attempts: i64,
    /// The last failure's machine code and sentence.
    pub last_code: String,
    pub last_error: String,
    pub first_failed_at: Timestamp,
    pub last_failed_at: Timestamp,
    /// When it is tried again (while retrying).
    pub retry_at: Option<Timestamp>,
    pub parked_at: Option<Timestamp>,
}

const COLUMNS: &str = "id, work, item_id, account_id, instance_id, status, attempts, last_code, \
    last_error, first_failed_at, last_failed_at, retry_at, parked_at";

fn from_row(row: &Row) -> Result<StuckStep, DatabaseError> {
    let optional_time = |column: &str| -> Result<Option<Timestamp>, DatabaseError> {
        Ok(row.try_get::<Option<i64>>(column)?.map(from_seconds))
    };
    Ok(StuckStep {
        id: row.try_get("id")?,
        work: row.try_parse("work")?,
        item_id: row.try_get("item_id")?,
        account_id: row.try_get("account_id")?,
        instance_id: row.try_get("instance_id")?,
        status: row.try_parse("status")?,
        attempts: row.try_get("attempts")?,
        last_code: row.try_get("last_code")?,
        last_error: row.try_get("last_error")?,
        first_failed_at: from_seconds(row.try_get("first_failed_at")?),
        last_failed_at: from_seconds(row.try_get("last_failed_at")?),
        retry_at: optional_time("retry_at")?,
        parked_at: optional_time("parked_at")?,
    })
}

/// The stuck step of an item, if it has one.
pub async fn for_item(
    connection: &mut Connection,
    work: StepWork,
    item_id: &str,
) -> Result<Option<StuckStep>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM stuck_steps WHERE work = $1 AND item_id = $2");
    let row = query(&sql)
        .bind(work.as_str())
        .bind(item_id)
        .fetch_optional(connection)
        .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

pub async fn get(connection: &mut Connection, id: &str) -> Result<Option<StuckStep>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM stuck_steps WHERE id = $1");
    let row = query(&sql).bind(id).fetch_optional(connection).await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// Writes `step`, new or an update of the item's row (its id kept).
pub async fn save(tx: &mut Tx, step: &StuckStep) -> Result<(), StoreError> {
    query(
        "INSERT INTO stuck_steps (id, work, item_id, account_id, instance_id, status, attempts,
             last_code, last_error, first_failed_at, last_failed_at, retry_at, parked_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (work, item_id) DO UPDATE SET status = excluded.status,
             attempts = excluded.attempts, last_code = excluded.last_code,
             last_error = excluded.last_error, last_failed_at = excluded.last_failed_at,
             retry_at = excluded.retry_at, parked_at = excluded.parked_at",
    )
    .bind(&step.id)
    .bind(step.work.as_str())
    .bind(&step.item_id)
    .bind(&step.account_id)
    .bind(step.instance_id.as_deref())
    .bind(step.status.as_str())
    .bind(step.attempts)
    .bind(&step.last_code)
    .bind(&step.last_error)
    .bind(to_seconds(step.first_failed_at))
    .bind(to_seconds(step.last_failed_at))
    .bind(step.retry_at.map(to_seconds))
    .bind(step.parked_at.map(to_seconds))
    .execute(tx)
    .await?;
    Ok(())
}

/// Forgets the stuck steps of `item_ids`, whose steps were just taken.
pub async fn resolve(tx: &mut Tx, work: StepWork, item_ids: &[String]) -> Result<(), StoreError> {
    for chunk in chunks_of(item_ids, 500) {
        // `work` is one of two fixed words, written into the text so the ids are $1…$n.
        let sql = format!(
            "DELETE FROM stuck_steps WHERE work = '{}' AND item_id IN ({})",
            work.as_str(),
            list_placeholders(chunk.len())
        );
        let mut query = query(&sql);
        for id in chunk {
            query = query.bind(id);
        }
        query.execute(&mut *tx).await?;
    }
    Ok(())
}

/// Whether any step is stuck: when none is, a sweep has nothing to forget when it takes steps.
pub async fn any(connection: &mut Connection) -> Result<bool, StoreError> {
    let row = query(
        "SELECT CAST(COUNT(*) AS BIGINT) AS stuck FROM (SELECT 1 FROM stuck_steps LIMIT 1) AS one",
    )
    .fetch_one(connection)
    .await?;
    Ok(row.try_get::<i64>("stuck")? > 0)
}

/// How many steps are parked.
pub async fn count_parked(connection: &mut Connection) -> Result<i64, StoreError> {
    let row =
        query("SELECT CAST(COUNT(*) AS BIGINT) AS parked FROM stuck_steps WHERE status = 'parked'")
            .fetch_one(connection)
            .await?;
    Ok(row.try_get("parked")?)
}

/// A page of stuck steps, in id order, after `after_id`.
pub async fn list(
    connection: &mut Connection,
    after_id: Option<&str>,
    limit: i64,
) -> Result<Vec<StuckStep>, StoreError> {
    let rows = crate::listing::fetch_page(connection, COLUMNS, "stuck_steps", &[], after_id, limit)
        .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}
