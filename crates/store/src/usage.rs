//! Usage records. The reporter's record id is the primary key, so a replayed record is not
//! inserted again; the bill of a cycle sums its records through the index on
//! `(instance_id, cycle_start, meter_id)`.

use jiff::Timestamp;

use crate::connect::{StoreError, Tx};
use crate::database::{query, Connection};
use crate::time::{from_seconds, to_seconds};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredUsage {
    pub record_id: String,
    pub account_id: String,
    pub instance_id: String,
    pub meter_id: String,
    pub quantity: i64,
    pub at: Timestamp,
    pub cycle_start: Timestamp,
    pub received_at: Timestamp,
}

const COLUMNS: &str =
    "record_id, account_id, instance_id, meter_id, quantity, at, cycle_start, received_at";

/// Inserts a record unless its id is already stored; answers whether it was inserted.
pub async fn insert(tx: &mut Tx, record: &StoredUsage) -> Result<bool, StoreError> {
    let inserted = query(&format!(
        "INSERT INTO usage_records ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (record_id) DO NOTHING"
    ))
    .bind(&record.record_id)
    .bind(&record.account_id)
    .bind(&record.instance_id)
    .bind(&record.meter_id)
    .bind(record.quantity)
    .bind(to_seconds(record.at))
    .bind(to_seconds(record.cycle_start))
    .bind(to_seconds(record.received_at))
    .execute(tx)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

pub async fn get(
    connection: &mut Connection,
    record_id: &str,
) -> Result<Option<StoredUsage>, StoreError> {
    let row = query(&format!(
        "SELECT {COLUMNS} FROM usage_records WHERE record_id = $1"
    ))
    .bind(record_id)
    .fetch_optional(connection)
    .await?;
    row.map(|row| {
        Ok(StoredUsage {
            record_id: row.try_get("record_id")?,
            account_id: row.try_get("account_id")?,
            instance_id: row.try_get("instance_id")?,
            meter_id: row.try_get("meter_id")?,
            quantity: row.try_get("quantity")?,
            at: from_seconds(row.try_get("at")?),
            cycle_start: from_seconds(row.try_get("cycle_start")?),
            received_at: from_seconds(row.try_get("received_at")?),
        })
    })
    .transpose()
}

/// The summed quantity per meter of one instance's cycle, by meter id.
pub async fn cycle_quantities(
    connection: &mut Connection,
    instance_id: &str,
    cycle_start: Timestamp,
) -> Result<Vec<(String, i64)>, StoreError> {
    let rows = query(
        "SELECT meter_id, CAST(SUM(quantity) AS BIGINT) AS quantity FROM usage_records
         WHERE instance_id = $1 AND cycle_start = $2 GROUP BY meter_id ORDER BY meter_id",
    )
    .bind(instance_id)
    .bind(to_seconds(cycle_start))
    .fetch_all(connection)
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("meter_id")?, row.try_get("quantity")?)))
        .collect()
}
