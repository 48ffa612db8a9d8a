//! Bills: one per instance per hourly cycle (a unique pair in the schema). A bill is `open`
//! from its cycle's first usage record until `generate_at`; the scheduler finds bills to
//! generate through the partial index on `generate_at` of open bills, never by a scan. Once
//! generated it is `paid` or `unpaid` (the account's debt), and unpaid bills are found through
//! their own partial index.

use jiff::Timestamp;
use serde_json::Value;

use crate::connect::{StoreError, Tx};
use crate::database::{query, Connection, DatabaseError, Row};
use crate::time::{from_seconds, to_seconds};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BillStatus {
    /// Usage is still accumulating; not yet billed.
    Open,
    Paid,
    /// Generated, but the available credit did not cover it: debt.
    Unpaid,
}

impl BillStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BillStatus::Open => "open",
            BillStatus::Paid => "paid",
            BillStatus::Unpaid => "unpaid",
        }
    }

    pub fn parse(text: &str) -> Option<BillStatus> {
        [BillStatus::Open, BillStatus::Paid, BillStatus::Unpaid]
            .into_iter()
            .find(|status| status.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Bill {
    pub id: String,
    pub account_id: String,
    pub instance_id: String,
    pub product_id: String,
    pub edition_id: String,
    pub cycle_start: Timestamp,
    pub cycle_end: Timestamp,
    /// When the bill is (or was) generated: the cycle's end plus the product's bill delay.
    pub generate_at: Timestamp,
    pub status: BillStatus,
    pub amount_minor: i64,
    pub paid_balance_minor: i64,
    pub paid_coupon_minor: i64,
    /// The priced lines, a JSON array (empty while open).
    pub lines: Value,
    pub generated_at: Option<Timestamp>,
    pub paid_at: Option<Timestamp>,
}

const COLUMNS: &str = "id, account_id, instance_id, product_id, edition_id, cycle_start, cycle_end, \
    generate_at, status, amount_minor, paid_balance_minor, paid_coupon_minor, lines, generated_at, paid_at";

fn from_row(row: &Row) -> Result<Bill, DatabaseError> {
    let status: String = row.try_get("status")?;
    let lines: String = row.try_get("lines")?;
    let optional_time = |column: &str| -> Result<Option<Timestamp>, DatabaseError> {
        Ok(row.try_get::<Option<i64>>(column)?.map(from_seconds))
    };
    Ok(Bill {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        instance_id: row.try_get("instance_id")?,
        product_id: row.try_get("product_id")?,
        edition_id: row.try_get("edition_id")?,
        cycle_start: from_seconds(row.try_get("cycle_start")?),
        cycle_end: from_seconds(row.try_get("cycle_end")?),
        generate_at: from_seconds(row.try_get("generate_at")?),
        status: BillStatus::parse(&status)
            .ok_or_else(|| DatabaseError::decode(format!("bill status `{status}`")))?,
        amount_minor: row.try_get("amount_minor")?,
        paid_balance_minor: row.try_get("paid_balance_minor")?,
        paid_coupon_minor: row.try_get("paid_coupon_minor")?,
        lines: serde_json::from_str(&lines).unwrap_or(Value::String(lines)),
        generated_at: optional_time("generated_at")?,
        paid_at: optional_time("paid_at")?,
    })
}

/// Opens the bill of a cycle unless it exists (in any status).
pub async fn open(tx: &mut Tx, bill: &Bill) -> Result<(), StoreError> {
    query(&format!(
        "INSERT INTO bills ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', 0, 0, 0, '[]', NULL, NULL)
         ON CONFLICT (instance_id, cycle_start) DO NOTHING"
    ))
    .bind(&bill.id)
    .bind(&bill.account_id)
    .bind(&bill.instance_id)
    .bind(&bill.product_id)
    .bind(&bill.edition_id)
    .bind(to_seconds(bill.cycle_start))
    .bind(to_seconds(bill.cycle_end))
    .bind(to_seconds(bill.generate_at))
    .execute(tx)
    .await?;
    Ok(())
}

/// The status of a cycle's bill, locked until commit where the database can, so a usage
/// record and the bill's generation never cross.
pub async fn lock_cycle_status(
    tx: &mut Tx,
    instance_id: &str,
    cycle_start: Timestamp,
) -> Result<Option<(BillStatus, Timestamp)>, StoreError> {
    let sql = format!(
        "SELECT status, generate_at FROM bills WHERE instance_id = $1 AND cycle_start = $2{}",
        tx.for_update()
    );
    let row = query(&sql)
        .bind(instance_id)
        .bind(to_seconds(cycle_start))
        .fetch_optional(tx)
        .await?;
    row.map(|row| {
        let status: String = row.try_get("status")?;
        let status = BillStatus::parse(&status)
            .ok_or_else(|| DatabaseError::decode(format!("bill status `{status}`")))?;
        Ok((status, from_seconds(row.try_get("generate_at")?)))
    })
    .transpose()
}

pub async fn lock(tx: &mut Tx, bill_id: &str) -> Result<Option<Bill>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM bills WHERE id = $1{}",
        tx.for_update()
    );
    let row = query(&sql).bind(bill_id).fetch_optional(tx).await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// The open bills of an instance, oldest cycle first, locked where the database can: the
/// cycles a release closes.
pub async fn lock_open_of_instance(
    tx: &mut Tx,
    instance_id: &str,
) -> Result<Vec<Bill>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM bills WHERE instance_id = $1 AND status = 'open'
         ORDER BY cycle_start, id{}",
        tx.for_update()
    );
    let rows = query(&sql).bind(instance_id).fetch_all(tx).await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

pub async fn get(connection: &mut Connection, bill_id: &str) -> Result<Option<Bill>, StoreError> {
    let row = query(&format!("SELECT {COLUMNS} FROM bills WHERE id = $1"))
        .bind(bill_id)
        .fetch_optional(connection)
        .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// Writes a generated bill: its lines, amount and status, and when its month's invoice is
/// due (none for a bill of nothing).
pub async fn generate(
    tx: &mut Tx,
    bill: &Bill,
    invoice_at: Option<Timestamp>,
) -> Result<(), StoreError> {
    let result = query(
        "UPDATE bills SET status = $2, amount_minor = $3, lines = $4, generated_at = $5, invoice_at = $6
         WHERE id = $1 AND status = 'open'",
    )
    .bind(&bill.id)
    .bind(bill.status.as_str())
    .bind(bill.amount_minor)
    .bind(bill.lines.to_string())
    .bind(bill.generated_at.map(to_seconds))
    .bind(invoice_at.map(to_seconds))
    .execute(tx)
    .await?;
    assert_eq!(result.rows_affected(), 1, "bill {} was open", bill.id);
    Ok(())
}

/// Marks an unpaid bill paid by the given shares.
pub async fn mark_paid(
    tx: &mut Tx,
    bill_id: &str,
    paid_balance_minor: i64,
    paid_coupon_minor: i64,
    paid_at: Timestamp,
) -> Result<(), StoreError> {
    let result = query(
        "UPDATE bills SET status = 'paid', paid_balance_minor = $2, paid_coupon_minor = $3, paid_at = $4
         WHERE id = $1 AND status = 'unpaid'",
    )
    .bind(bill_id)
    .bind(paid_balance_minor)
    .bind(paid_coupon_minor)
    .bind(to_seconds(paid_at))
    .execute(tx)
    .await?;
    assert_eq!(result.rows_affected(), 1, "bill {bill_id} was unpaid");
    Ok(())
}

/// The account's unpaid bills, oldest cycle first, locked where the database can.
pub async fn lock_unpaid(tx: &mut Tx, account_id: &str) -> Result<Vec<Bill>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM bills WHERE account_id = $1 AND status = 'unpaid'
         ORDER BY cycle_start, id{}",
        tx.for_update()
    );
    let rows = query(&sql).bind(account_id).fetch_all(tx).await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// What the account owes: the sum of its unpaid bills.
pub async fn debt_minor(connection: &mut Connection, account_id: &str) -> Result<i64, StoreError> {
    let row = query(
        "SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) AS debt_minor FROM bills
         WHERE account_id = $1 AND status = 'unpaid'",
    )
    .bind(account_id)
    .fetch_one(connection)
    .await?;
    Ok(row.try_get("debt_minor")?)
}

/// Ids of open bills due at or before `until` (and at or after `from` when given), earliest
/// first, a batch at a time ([`Tx::due_batch`]). On PostgreSQL rows another node holds are skipped (not waited for),
/// so nodes split the work.
/// The condition that keeps parked bills out of the due queries (`bills` unaliased): a probe of
/// the small `stuck_steps` table per due bill, which the index on `generate_at` has found.
pub(crate) const NOT_PARKED: &str = "NOT EXISTS (SELECT 1 FROM stuck_steps
    WHERE stuck_steps.work = 'bill' AND stuck_steps.item_id = bills.id
    AND stuck_steps.status = 'parked')";

pub async fn due_ids(
    tx: &mut Tx,
    from: Option<Timestamp>,
    until: Timestamp,
) -> Result<Vec<String>, StoreError> {
    let limit = tx.due_batch();
    let lock = match tx.dialect() {
        crate::Dialect::Sqlite => "",
        crate::Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
    };
    let sql = format!(
        "SELECT id FROM bills WHERE status = 'open' AND generate_at >= $3 AND generate_at <= $1
         AND {NOT_PARKED} ORDER BY generate_at, id LIMIT $2{lock}"
    );
    let rows = query(&sql)
        .bind(to_seconds(until))
        .bind(limit)
        .bind(crate::time::lower_bound_seconds(from))
        .fetch_all(tx)
        .await?;
    Ok(rows
        .iter()
        .map(|row| row.try_get("id"))
        .collect::<Result<_, _>>()?)
}

#[derive(Debug, Clone, Default)]
pub struct BillFilter {
    pub account_id: Option<String>,
    pub instance_id: Option<String>,
    pub status: Option<String>,
    pub after_id: Option<String>,
    pub limit: i64,
}

pub async fn list(
    connection: &mut Connection,
    filter: &BillFilter,
) -> Result<Vec<Bill>, StoreError> {
    let filters = [
        ("account_id", &filter.account_id),
        ("instance_id", &filter.instance_id),
        ("status", &filter.status),
    ];
    let rows = crate::listing::fetch_page(
        connection,
        COLUMNS,
        "bills",
        &filters,
        filter.after_id.as_deref(),
        filter.limit,
    )
    .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// Moves when an open bill is generated: how a sweep sets aside a bill whose generation failed,
/// so it neither blocks the others nor is forgotten.
/// Moves a bill's due work (its generation while open, its month's invoice once generated)
/// to `due_at`.
pub async fn postpone(tx: &mut Tx, bill_id: &str, due_at: Timestamp) -> Result<(), StoreError> {
    query(
        "UPDATE bills SET
            generate_at = CASE WHEN status = 'open' THEN $2 ELSE generate_at END,
            invoice_at = CASE WHEN invoice_at IS NULL THEN NULL ELSE $2 END
         WHERE id = $1",
    )
    .bind(bill_id)
    .bind(to_seconds(due_at))
    .execute(tx)
    .await?;
    Ok(())
}

/// Ids of generated bills whose month's invoice is due at or before `until` (and at or after
/// `from` when given), earliest first, a batch at a time: one bill stands for its account's
/// month, which the first of them invoices whole.
pub async fn due_for_invoice(
    tx: &mut Tx,
    from: Option<Timestamp>,
    until: Timestamp,
) -> Result<Vec<String>, StoreError> {
    let limit = tx.due_batch();
    let lock = match tx.dialect() {
        crate::Dialect::Sqlite => "",
        crate::Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
    };
    let sql = format!(
        "SELECT id FROM bills WHERE invoice_at IS NOT NULL AND invoice_at >= $3 AND invoice_at <= $1
         AND {NOT_PARKED} ORDER BY invoice_at, id LIMIT $2{lock}"
    );
    let rows = query(&sql)
        .bind(to_seconds(until))
        .bind(limit)
        .bind(crate::time::lower_bound_seconds(from))
        .fetch_all(tx)
        .await?;
    Ok(rows
        .iter()
        .map(|row| row.try_get("id"))
        .collect::<Result<_, _>>()?)
}

/// When a bill's month is due to be invoiced, and whose it is; none once invoiced.
pub async fn invoice_due(
    connection: &mut Connection,
    bill_id: &str,
) -> Result<Option<(String, Timestamp)>, StoreError> {
    let row =
        query("SELECT account_id, invoice_at FROM bills WHERE id = $1 AND invoice_at IS NOT NULL")
            .bind(bill_id)
            .fetch_optional(connection)
            .await?;
    row.map(|row| -> Result<_, StoreError> {
        Ok((
            row.try_get("account_id")?,
            from_seconds(row.try_get("invoice_at")?),
        ))
    })
    .transpose()
}

/// An account's bills of one month still to invoice (all due at `invoice_at`), locked where
/// the database can, oldest cycle first.
pub async fn lock_month_to_invoice(
    tx: &mut Tx,
    account_id: &str,
    invoice_at: Timestamp,
) -> Result<Vec<Bill>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM bills WHERE account_id = $1 AND invoice_at = $2
         ORDER BY instance_id, cycle_start, id{}",
        tx.for_update()
    );
    let rows = query(&sql)
        .bind(account_id)
        .bind(to_seconds(invoice_at))
        .fetch_all(tx)
        .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// Marks an account's month of bills invoiced by `invoice_id`: no longer due.
pub async fn mark_invoiced(
    tx: &mut Tx,
    account_id: &str,
    invoice_at: Timestamp,
    invoice_id: &str,
) -> Result<u64, StoreError> {
    let result = query(
        "UPDATE bills SET invoice_id = $3, invoice_at = NULL WHERE account_id = $1 AND invoice_at = $2",
    )
    .bind(account_id)
    .bind(to_seconds(invoice_at))
    .bind(invoice_id)
    .execute(tx)
    .await?;
    Ok(result.rows_affected())
}
