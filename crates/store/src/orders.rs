//! Orders: what was bought or renewed, for which service period, at what price, paid how.
//! The price actually paid is stored on the order, so refunds and changes never depend on
//! today's catalog.

use jiff::Timestamp;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::connect::{StoreError, Tx};
use crate::time::{from_seconds, to_seconds};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Order {
    pub id: String,
    pub account_id: String,
    pub instance_id: String,
    /// `purchase` or `renewal`.
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
}

const COLUMNS: &str = "id, account_id, instance_id, kind, status, product_id, edition_id, spec_id, period, \
    starts_at, ends_at, list_price_minor, paid_voucher_minor, paid_coupon_minor, paid_balance_minor, \
    paid_external_minor, external_method, created_at";

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
    })
}

pub async fn insert(tx: &mut Tx, order: &Order) -> Result<(), StoreError> {
    sqlx::query(&format!(
        "INSERT INTO orders ({COLUMNS})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)"
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

/// The orders of an instance still paying for time after `now` (the current order and every
/// pending renewal), earliest first. In a use case, pass its transaction (after locking the
/// instance), so the orders cannot change underneath it.
pub async fn live_for_instance(
    connection: &mut AnyConnection,
    instance_id: &str,
    now: Timestamp,
) -> Result<Vec<Order>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM orders WHERE instance_id = $1 AND status = 'paid' AND ends_at > $2
         ORDER BY starts_at, id"
    ))
    .bind(instance_id)
    .bind(to_seconds(now))
    .fetch_all(connection)
    .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// Sets an order's status (`cancelled` when unsubscribed).
pub async fn set_status(tx: &mut Tx, order_id: &str, status: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE orders SET status = $2 WHERE id = $1")
        .bind(order_id)
        .bind(status)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Moves a pending renewal order to a new service period.
pub async fn redate(
    tx: &mut Tx,
    order_id: &str,
    starts_at: Timestamp,
    ends_at: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE orders SET starts_at = $2, ends_at = $3 WHERE id = $1")
        .bind(order_id)
        .bind(to_seconds(starts_at))
        .bind(to_seconds(ends_at))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Filters of the unsubscription lists.
#[derive(Debug, Clone, Default)]
pub struct UnsubscribableFilter {
    pub account_id: Option<String>,
    pub product_id: Option<String>,
    pub instance_id: Option<String>,
    /// Order time: when the order was placed, from (inclusive) and until (exclusive).
    pub ordered_from: Option<Timestamp>,
    pub ordered_until: Option<Timestamp>,
    pub after_id: Option<String>,
    pub limit: i64,
}

/// Paid orders of active instances, by order id. `pending = false`: the order each instance
/// runs on now (its period contains `now`), or the purchase of a resource plan that is not
/// activated yet. `pending = true`: renewal orders whose period starts after `now`.
pub async fn unsubscribable(
    connection: &mut AnyConnection,
    filter: &UnsubscribableFilter,
    now: Timestamp,
    pending: bool,
) -> Result<Vec<Order>, StoreError> {
    let period_condition = if pending {
        "o.kind = 'renewal' AND o.starts_at > $2"
    } else {
        "o.ends_at > $2 AND (o.starts_at <= $2 OR o.kind = 'purchase')"
    };
    let mut conditions = vec![
        "o.id > $1".to_string(),
        period_condition.to_string(),
        "o.status = 'paid'".to_string(),
        "i.status = 'active'".to_string(),
    ];
    let mut texts = Vec::new();
    for (column, value) in [
        ("o.account_id", &filter.account_id),
        ("o.product_id", &filter.product_id),
        ("o.instance_id", &filter.instance_id),
    ] {
        if let Some(value) = value {
            texts.push(value.clone());
            conditions.push(format!("{column} = ${}", texts.len() + 2));
        }
    }
    let mut times = Vec::new();
    for (condition, value) in [
        ("o.created_at >=", filter.ordered_from),
        ("o.created_at <", filter.ordered_until),
    ] {
        if let Some(value) = value {
            times.push(to_seconds(value));
            conditions.push(format!("{condition} ${}", texts.len() + times.len() + 2));
        }
    }
    let columns = COLUMNS
        .split(", ")
        .map(|column| format!("o.{column}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {columns} FROM orders o JOIN instances i ON i.id = o.instance_id
         WHERE {} ORDER BY o.id LIMIT ${}",
        conditions.join(" AND "),
        texts.len() + times.len() + 3
    );
    let mut query = sqlx::query(&sql)
        .bind(filter.after_id.clone().unwrap_or_default())
        .bind(to_seconds(now));
    for value in texts {
        query = query.bind(value);
    }
    for value in times {
        query = query.bind(value);
    }
    let rows = query.bind(filter.limit).fetch_all(connection).await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}
