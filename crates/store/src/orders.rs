//! Orders: what was bought or renewed, for which service period, at what price, paid how.
//! The price actually paid is stored on the order, so refunds and changes never depend on
//! today's catalog.

use jiff::Timestamp;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use tenure_core::change::PaidPeriod;
use tenure_core::proration::PeriodValue;

use crate::connect::{StoreError, Tx};
use crate::time::{from_seconds, to_seconds};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Order {
    pub id: String,
    pub account_id: String,
    pub instance_id: String,
    /// `purchase`, `renewal`, `upgrade` or `downgrade`.
    pub kind: String,
    /// `paid` or `cancelled`.
    pub status: String,
    pub product_id: String,
    pub edition_id: String,
    pub spec_id: String,
    pub period: String,
    /// The service period this order pays for.
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub list_price_minor: i64,
    pub paid_voucher_minor: i64,
    pub paid_coupon_minor: i64,
    pub paid_balance_minor: i64,
    pub paid_external_minor: i64,
    pub external_method: Option<String>,
    pub created_at: Timestamp,
    /// The purchase or renewal order whose service period this order belongs to (itself for
    /// those); an upgrade or downgrade order adjusts that period's value.
    pub period_order_id: String,
    /// 0 for the order that opened the period, then one more for each change in it.
    pub period_revision: i64,
    /// What the period holds after this order, for the rest of it from `value_from_hours`
    /// (see `tenure_core::proration::PeriodValue`): the basis of the next change or refund.
    pub value_cash_minor: i64,
    pub value_voucher_minor: i64,
    pub value_from_hours: i64,
    /// Cash this order gave back (a downgrade), and where it went.
    pub refunded_minor: i64,
    pub refund_destination: Option<String>,
}

impl Order {
    /// The value this order leaves its period.
    pub fn period_value(&self) -> PeriodValue {
        PeriodValue {
            cash_minor: self.value_cash_minor,
            voucher_minor: self.value_voucher_minor,
            from_used_hours: self.value_from_hours,
        }
    }
}

const COLUMNS: &str = "id, account_id, instance_id, kind, status, product_id, edition_id, spec_id, period, \
    starts_at, ends_at, list_price_minor, paid_voucher_minor, paid_coupon_minor, paid_balance_minor, \
    paid_external_minor, external_method, created_at, period_order_id, period_revision, value_cash_minor, \
    value_voucher_minor, value_from_hours, refunded_minor, refund_destination";

fn from_row(row: &sqlx::any::AnyRow) -> Result<Order, sqlx::Error> {
    Ok(Order {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        instance_id: row.try_get("instance_id")?,
        kind: row.try_get("kind")?,
        status: row.try_get("status")?,
        product_id: row.try_get("product_id")?,
        edition_id: row.try_get("edition_id")?,
        spec_id: row.try_get("spec_id")?,
        period: row.try_get("period")?,
        starts_at: from_seconds(row.try_get("starts_at")?),
        ends_at: from_seconds(row.try_get("ends_at")?),
        list_price_minor: row.try_get("list_price_minor")?,
        paid_voucher_minor: row.try_get("paid_voucher_minor")?,
        paid_coupon_minor: row.try_get("paid_coupon_minor")?,
        paid_balance_minor: row.try_get("paid_balance_minor")?,
        paid_external_minor: row.try_get("paid_external_minor")?,
        external_method: row.try_get("external_method")?,
        created_at: from_seconds(row.try_get("created_at")?),
        period_order_id: row.try_get("period_order_id")?,
        period_revision: row.try_get("period_revision")?,
        value_cash_minor: row.try_get("value_cash_minor")?,
        value_voucher_minor: row.try_get("value_voucher_minor")?,
        value_from_hours: row.try_get("value_from_hours")?,
        refunded_minor: row.try_get("refunded_minor")?,
        refund_destination: row.try_get("refund_destination")?,
    })
}

pub async fn insert(tx: &mut Tx, order: &Order) -> Result<(), StoreError> {
    sqlx::query(&format!(
        "INSERT INTO orders ({COLUMNS})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
                 $19, $20, $21, $22, $23, $24, $25)"
    ))
    .bind(&order.id)
    .bind(&order.account_id)
    .bind(&order.instance_id)
    .bind(&order.kind)
    .bind(&order.status)
    .bind(&order.product_id)
    .bind(&order.edition_id)
    .bind(&order.spec_id)
    .bind(&order.period)
    .bind(to_seconds(order.starts_at))
    .bind(to_seconds(order.ends_at))
    .bind(order.list_price_minor)
    .bind(order.paid_voucher_minor)
    .bind(order.paid_coupon_minor)
    .bind(order.paid_balance_minor)
    .bind(order.paid_external_minor)
    .bind(&order.external_method)
    .bind(to_seconds(order.created_at))
    .bind(&order.period_order_id)
    .bind(order.period_revision)
    .bind(order.value_cash_minor)
    .bind(order.value_voucher_minor)
    .bind(order.value_from_hours)
    .bind(order.refunded_minor)
    .bind(&order.refund_destination)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn get(
    connection: &mut AnyConnection,
    order_id: &str,
) -> Result<Option<Order>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM orders WHERE id = $1"))
        .bind(order_id)
        .fetch_optional(connection)
        .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub account_id: Option<String>,
    pub instance_id: Option<String>,
    pub kind: Option<String>,
    pub status: Option<String>,
    pub after_id: Option<String>,
    pub limit: i64,
}

pub async fn list(
    connection: &mut AnyConnection,
    filter: &OrderFilter,
) -> Result<Vec<Order>, StoreError> {
    let mut conditions = vec!["id > $1".to_string()];
    let mut values = vec![filter.after_id.clone().unwrap_or_default()];
    for (column, value) in [
        ("account_id", &filter.account_id),
        ("instance_id", &filter.instance_id),
        ("kind", &filter.kind),
        ("status", &filter.status),
    ] {
        if let Some(value) = value {
            values.push(value.clone());
            conditions.push(format!("{column} = ${}", values.len()));
        }
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM orders WHERE {} ORDER BY id LIMIT ${}",
        conditions.join(" AND "),
        values.len() + 1
    );
    let mut query = sqlx::query(&sql);
    for value in values {
        query = query.bind(value);
    }
    let rows = query.bind(filter.limit).fetch_all(connection).await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// The instance's paid service periods that end after `now`, each with the value its latest
/// order left it: the basis a change or a refund is priced from. A period whose opening order
/// is no longer `paid` (cancelled by an unsubscription) is left out.
pub async fn paid_periods(
    tx: &mut Tx,
    instance_id: &str,
    now: Timestamp,
) -> Result<Vec<PaidPeriod>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM orders WHERE instance_id = $1 AND ends_at > $2
         ORDER BY period_order_id, period_revision"
    ))
    .bind(instance_id)
    .bind(to_seconds(now))
    .fetch_all(&mut **tx)
    .await?;
    let found: Vec<Order> = rows.iter().map(from_row).collect::<Result<_, _>>()?;
    let mut periods: Vec<PaidPeriod> = Vec::new();
    for order in found
        .iter()
        .filter(|order| order.id == order.period_order_id)
    {
        if order.status != "paid" {
            continue;
        }
        let latest = found
            .iter()
            .filter(|other| other.period_order_id == order.id)
            .max_by_key(|other| other.period_revision)
            .expect("the opening order belongs to its own period");
        let period = order
            .period
            .parse()
            .map_err(|error: tenure_core::period::PeriodError| {
                StoreError::Database(sqlx::Error::Decode(error.to_string().into()))
            })?;
        periods.push(PaidPeriod {
            period_order_id: order.id.clone(),
            period,
            starts_at: order.starts_at,
            ends_at: order.ends_at,
            value: latest.period_value(),
            revision: latest.period_revision,
        });
    }
    periods.sort_by_key(|period| period.starts_at);
    Ok(periods)
}
