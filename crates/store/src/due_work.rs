//! When the scheduler's next work is due, across its sources: instances' lifecycle steps
//! (`instances.next_due_at`), open bills' generation (`bills.generate_at`) and the monthly
//! invoice of generated ones (`bills.invoice_at`), each found through its own index.

use jiff::Timestamp;

use crate::connect::StoreError;
use crate::database::{query, Connection};
use crate::time::{from_seconds, lower_bound_seconds, to_seconds};

/// The earliest time at or before `until`, and at or after `from` when given
/// (`time::lower_bound_seconds`), at which anything is due: an instance's next lifecycle step, an
/// open bill's generation or a month's invoice. One statement, three index lookups: the simulated clock asks at every
/// moment it takes, and on PostgreSQL each statement is a round trip.
pub async fn earliest(
    connection: &mut Connection,
    from: Option<Timestamp>,
    until: Timestamp,
) -> Result<Option<Timestamp>, StoreError> {
    let sql = format!(
        "SELECT
            (SELECT next_due_at FROM instances
             WHERE next_due_at IS NOT NULL AND next_due_at >= $2 AND next_due_at <= $1
             ORDER BY next_due_at LIMIT 1) AS instance_due,
            (SELECT generate_at FROM bills
             WHERE status = 'open' AND generate_at >= $2 AND generate_at <= $1
             AND {not_parked} ORDER BY generate_at LIMIT 1) AS bill_due,
            (SELECT invoice_at FROM bills
             WHERE invoice_at IS NOT NULL AND invoice_at >= $2 AND invoice_at <= $1
             AND {not_parked} ORDER BY invoice_at LIMIT 1) AS invoice_due",
        not_parked = crate::bills::NOT_PARKED
    );
    let row = query(&sql)
        .bind(to_seconds(until))
        .bind(lower_bound_seconds(from))
        .fetch_one(connection)
        .await?;
    let instance_due = row.try_get::<Option<i64>>("instance_due")?;
    let bill_due = row.try_get::<Option<i64>>("bill_due")?;
    let invoice_due = row.try_get::<Option<i64>>("invoice_due")?;
    Ok(instance_due
        .into_iter()
        .chain(bill_due)
        .chain(invoice_due)
        .min()
        .map(from_seconds))
}
