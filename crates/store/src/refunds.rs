//! Refunds: one row per cancelled service period, keyed by the period's opening order (the
//! unique `order_id` makes a second refund of the same period impossible), with its type,
//! amounts, destination, status and arrival.

use jiff::Timestamp;
use serde_json::Value;
use tenure_core::refund::{RefundStatus, RefundType, ResourceKind};
use tenure_core::refund_destination::RefundDestination;

use crate::connect::{StoreError, Tx};
use crate::database::{query, Connection, DatabaseError, Row};
use crate::time::{from_seconds, to_seconds};

#[derive(Debug, Clone, PartialEq)]
pub struct Refund {
    pub id: String,
    /// The unsubscription that cancelled the order; one unsubscription may refund several
    /// orders (the current one and every pending renewal).
    pub unsubscription_id: String,
    pub account_id: String,
    pub instance_id: String,
    pub order_id: String,
    /// `regular` or `resource_plan`.
    pub resource_kind: ResourceKind,
    /// `partial_refund`, `nonrefundable`, `unactivated_subscription_refund` or
    /// `full_refund_for_unused_resources`.
    pub refund_type: RefundType,
    /// Cash paid into the period (opening order and upgrade charges).
    pub cash_paid_minor: i64,
    /// Cash already given back in the period by downgrades.
    pub refunded_before_minor: i64,
    /// The cash value the period's latest order left it: what the refund was computed from.
    pub value_cash_minor: i64,
    pub voucher_kept_minor: i64,
    pub kept_minor: i64,
    pub refund_minor: i64,
    pub to_coupons_minor: i64,
    pub to_balance_minor: i64,
    pub to_external_minor: i64,
    /// `balance`, `coupons`, `bank_card`, `paypal` or `alipay`.
    pub destination: RefundDestination,
    pub days_since_payment: i64,
    /// `processing` (an outside channel is paying it back) or `refunded`.
    pub status: RefundStatus,
    /// When the order was unsubscribed and the refund decided.
    pub created_at: Timestamp,
    pub expected_arrival_by: Timestamp,
    /// The refund time: when the money arrived where it goes.
    pub refunded_at: Option<Timestamp>,
    /// The itemised computation (rule, hours or quota used).
    pub details: Value,
}

const COLUMNS: &str = "id, unsubscription_id, account_id, instance_id, order_id, resource_kind, refund_type, \
    cash_paid_minor, refunded_before_minor, value_cash_minor, voucher_kept_minor, kept_minor, refund_minor, to_coupons_minor, to_balance_minor, \
    to_external_minor, destination, days_since_payment, status, created_at, expected_arrival_by, refunded_at, details";

fn from_row(row: &Row) -> Result<Refund, DatabaseError> {
    let details: String = row.try_get("details")?;
    Ok(Refund {
        id: row.try_get("id")?,
        unsubscription_id: row.try_get("unsubscription_id")?,
        account_id: row.try_get("account_id")?,
        instance_id: row.try_get("instance_id")?,
        order_id: row.try_get("order_id")?,
        resource_kind: row.try_parse("resource_kind")?,
        refund_type: row.try_parse("refund_type")?,
        cash_paid_minor: row.try_get("cash_paid_minor")?,
        refunded_before_minor: row.try_get("refunded_before_minor")?,
        value_cash_minor: row.try_get("value_cash_minor")?,
        voucher_kept_minor: row.try_get("voucher_kept_minor")?,
        kept_minor: row.try_get("kept_minor")?,
        refund_minor: row.try_get("refund_minor")?,
        to_coupons_minor: row.try_get("to_coupons_minor")?,
        to_balance_minor: row.try_get("to_balance_minor")?,
        to_external_minor: row.try_get("to_external_minor")?,
        destination: row.try_parse("destination")?,
        days_since_payment: row.try_get("days_since_payment")?,
        status: row.try_parse("status")?,
        created_at: from_seconds(row.try_get("created_at")?),
        expected_arrival_by: from_seconds(row.try_get("expected_arrival_by")?),
        refunded_at: row.try_get::<Option<i64>>("refunded_at")?.map(from_seconds),
        details: serde_json::from_str(&details).unwrap_or(Value::String(details)),
    })
}

pub async fn insert(tx: &mut Tx, refund: &Refund) -> Result<(), StoreError> {
    query(&format!(
        "INSERT INTO refunds ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
         $16, $17, $18, $19, $20, $21, $22, $23)"
    ))
    .bind(&refund.id)
    .bind(&refund.unsubscription_id)
    .bind(&refund.account_id)
    .bind(&refund.instance_id)
    .bind(&refund.order_id)
    .bind(refund.resource_kind.as_str())
    .bind(refund.refund_type.as_str())
    .bind(refund.cash_paid_minor)
    .bind(refund.refunded_before_minor)
    .bind(refund.value_cash_minor)
    .bind(refund.voucher_kept_minor)
    .bind(refund.kept_minor)
    .bind(refund.refund_minor)
    .bind(refund.to_coupons_minor)
    .bind(refund.to_balance_minor)
    .bind(refund.to_external_minor)
    .bind(refund.destination.as_str())
    .bind(refund.days_since_payment)
    .bind(refund.status.as_str())
    .bind(to_seconds(refund.created_at))
    .bind(to_seconds(refund.expected_arrival_by))
    .bind(refund.refunded_at.map(to_seconds))
    .bind(refund.details.to_string())
    .execute(tx)
    .await?;
    Ok(())
}

pub async fn get(
    connection: &mut Connection,
    refund_id: &str,
) -> Result<Option<Refund>, StoreError> {
    let row = query(&format!("SELECT {COLUMNS} FROM refunds WHERE id = $1"))
        .bind(refund_id)
        .fetch_optional(connection)
        .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// Reads a refund and, on PostgreSQL, locks it until commit.
pub async fn lock(tx: &mut Tx, refund_id: &str) -> Result<Option<Refund>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM refunds WHERE id = $1{}",
        tx.for_update()
    );
    let row = query(&sql).bind(refund_id).fetch_optional(tx).await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

pub async fn for_order(
    connection: &mut Connection,
    order_id: &str,
) -> Result<Option<Refund>, StoreError> {
    let row = query(&format!(
        "SELECT {COLUMNS} FROM refunds WHERE order_id = $1"
    ))
    .bind(order_id)
    .fetch_optional(connection)
    .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// Marks an outside refund as arrived.
pub async fn complete(tx: &mut Tx, refund_id: &str, at: Timestamp) -> Result<(), StoreError> {
    query("UPDATE refunds SET status = $3, refunded_at = $2 WHERE id = $1")
        .bind(refund_id)
        .bind(to_seconds(at))
        .bind(RefundStatus::Refunded.as_str())
        .execute(tx)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct RefundFilter {
    pub account_id: Option<String>,
    pub instance_id: Option<String>,
    pub order_id: Option<String>,
    pub unsubscription_id: Option<String>,
    pub status: Option<RefundStatus>,
    pub after_id: Option<String>,
    pub limit: i64,
}

pub async fn list(
    connection: &mut Connection,
    filter: &RefundFilter,
) -> Result<Vec<Refund>, StoreError> {
    let status = filter.status.map(|status| status.as_str().to_string());
    let filters = [
        ("account_id", &filter.account_id),
        ("instance_id", &filter.instance_id),
        ("order_id", &filter.order_id),
        ("unsubscription_id", &filter.unsubscription_id),
        ("status", &status),
    ];
    let rows = crate::listing::fetch_page(
        connection,
        COLUMNS,
        "refunds",
        &filters,
        filter.after_id.as_deref(),
        filter.limit,
    )
    .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}
