//! Changes waiting for the operator: an upgrade of an edition that needs approval is stored here
//! as `pending` and priced only when approved. At most one is pending per instance (a unique
//! partial index says so as well as the engine).

use jiff::Timestamp;

use crate::connect::{StoreError, Tx};
use crate::database::{
    chunks_of, list_placeholders, query, Connection, DatabaseError, Row, ROWS_PER_INSERT,
};
use crate::time::{from_seconds, to_seconds};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    pub id: String,
    pub account_id: String,
    pub instance_id: String,
    /// `pending`, then `approved`, `rejected` or `cancelled`.
    pub status: String,
    /// `upgrade` (downgrades never wait).
    pub direction: String,
    pub from_edition_id: String,
    pub from_spec_id: String,
    pub to_edition_id: String,
    pub to_spec_id: String,
    /// How the customer chose to pay, applied when approved.
    pub pay_with: String,
    pub use_vouchers: bool,
    pub use_coupons: bool,
    /// The charge quoted when requested; the charge approved is priced at approval time.
    pub quoted_charge_minor: i64,
    pub requested_at: Timestamp,
    pub decided_at: Option<Timestamp>,
    /// The operator's reason for a decision.
    pub reason: Option<String>,
}

const COLUMNS: &str = "id, account_id, instance_id, status, direction, from_edition_id, from_spec_id, \
    to_edition_id, to_spec_id, pay_with, use_vouchers, use_coupons, quoted_charge_minor, requested_at, \
    decided_at, reason";

fn from_row(row: &Row) -> Result<Approval, DatabaseError> {
    Ok(Approval {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        instance_id: row.try_get("instance_id")?,
        status: row.try_get("status")?,
        direction: row.try_get("direction")?,
        from_edition_id: row.try_get("from_edition_id")?,
        from_spec_id: row.try_get("from_spec_id")?,
        to_edition_id: row.try_get("to_edition_id")?,
        to_spec_id: row.try_get("to_spec_id")?,
        pay_with: row.try_get("pay_with")?,
        use_vouchers: row.try_get::<i64>("use_vouchers")? != 0,
        use_coupons: row.try_get::<i64>("use_coupons")? != 0,
        quoted_charge_minor: row.try_get("quoted_charge_minor")?,
        requested_at: from_seconds(row.try_get("requested_at")?),
        decided_at: row.try_get::<Option<i64>>("decided_at")?.map(from_seconds),
        reason: row.try_get("reason")?,
    })
}

pub async fn insert(tx: &mut Tx, approval: &Approval) -> Result<(), StoreError> {
    query(&format!(
        "INSERT INTO approvals ({COLUMNS})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
    ))
    .bind(&approval.id)
    .bind(&approval.account_id)
    .bind(&approval.instance_id)
    .bind(&approval.status)
    .bind(&approval.direction)
    .bind(&approval.from_edition_id)
    .bind(&approval.from_spec_id)
    .bind(&approval.to_edition_id)
    .bind(&approval.to_spec_id)
    .bind(&approval.pay_with)
    .bind(i64::from(approval.use_vouchers))
    .bind(i64::from(approval.use_coupons))
    .bind(approval.quoted_charge_minor)
    .bind(to_seconds(approval.requested_at))
    .bind(approval.decided_at.map(to_seconds))
    .bind(&approval.reason)
    .execute(tx)
    .await?;
    Ok(())
}

pub async fn get(
    connection: &mut Connection,
    approval_id: &str,
) -> Result<Option<Approval>, StoreError> {
    let row = query(&format!("SELECT {COLUMNS} FROM approvals WHERE id = $1"))
        .bind(approval_id)
        .fetch_optional(connection)
        .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// Reads an approval and, on PostgreSQL, locks it until commit, so two decisions on one
/// approval are taken one after the other and the second sees the first.
pub async fn lock(tx: &mut Tx, approval_id: &str) -> Result<Option<Approval>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM approvals WHERE id = $1{}",
        tx.for_update()
    );
    let row = query(&sql).bind(approval_id).fetch_optional(tx).await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// The pending approval of an instance, if any.
pub async fn pending_for_instance(
    tx: &mut Tx,
    instance_id: &str,
) -> Result<Option<Approval>, StoreError> {
    let row = query(&format!(
        "SELECT {COLUMNS} FROM approvals WHERE instance_id = $1 AND status = 'pending'"
    ))
    .bind(instance_id)
    .fetch_optional(tx)
    .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// The pending approvals of `instance_ids` (at most one each), read in a query per hundred
/// ids: how the sweep learns which of a batch's instances have a change waiting.
pub async fn pending_of_instances(
    tx: &mut Tx,
    instance_ids: &[String],
) -> Result<Vec<Approval>, StoreError> {
    let mut pending = Vec::new();
    for chunk in chunks_of(instance_ids, ROWS_PER_INSERT) {
        let sql = format!(
            "SELECT {COLUMNS} FROM approvals WHERE status = 'pending' AND instance_id IN ({})",
            list_placeholders(chunk.len())
        );
        let mut select = query(&sql);
        for instance_id in chunk {
            select = select.bind(instance_id);
        }
        for row in select.fetch_all(tx).await? {
            pending.push(from_row(&row)?);
        }
    }
    Ok(pending)
}

/// Records a decision on a pending approval.
pub async fn decide(
    tx: &mut Tx,
    approval_id: &str,
    status: &str,
    decided_at: Timestamp,
    reason: Option<&str>,
) -> Result<(), StoreError> {
    let result = query(
        "UPDATE approvals SET status = $2, decided_at = $3, reason = $4
         WHERE id = $1 AND status = 'pending'",
    )
    .bind(approval_id)
    .bind(status)
    .bind(to_seconds(decided_at))
    .bind(reason)
    .execute(tx)
    .await?;
    assert_eq!(
        result.rows_affected(),
        1,
        "approval {approval_id} was pending under the caller's lock"
    );
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct ApprovalFilter {
    pub account_id: Option<String>,
    pub instance_id: Option<String>,
    pub status: Option<String>,
    pub after_id: Option<String>,
    pub limit: i64,
}

pub async fn list(
    connection: &mut Connection,
    filter: &ApprovalFilter,
) -> Result<Vec<Approval>, StoreError> {
    let filters = [
        ("account_id", &filter.account_id),
        ("instance_id", &filter.instance_id),
        ("status", &filter.status),
    ];
    let rows = crate::listing::fetch_page(
        connection,
        COLUMNS,
        "approvals",
        &filters,
        filter.after_id.as_deref(),
        filter.limit,
    )
    .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}
