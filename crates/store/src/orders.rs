//! Orders: what was bought or renewed, for which service period, at what price, paid how.
//! The price actually paid is stored on the order, so refunds and changes never depend on
//! today's catalog.

use jiff::Timestamp;

use tenure_core::change::PaidPeriod;
use tenure_core::order::{OrderKind, OrderStatus};
use tenure_core::payment::PaymentMethod;
use tenure_core::period::Period;
use tenure_core::proration::PeriodValue;
use tenure_core::refund_destination::RefundDestination;

use crate::connect::{StoreError, Tx};
use crate::database::{execute_rows, query, Connection, DatabaseError, Row};
use crate::time::{from_seconds, to_seconds};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: String,
    pub account_id: String,
    pub instance_id: String,
    /// `purchase`, `renewal`, `auto_renewal`, `upgrade` or `downgrade`.
    pub kind: OrderKind,
    /// `paid` or `cancelled`.
    pub status: OrderStatus,
    pub product_id: String,
    pub edition_id: String,
    pub spec_id: String,
    pub period: Period,
    /// The service period this order pays for.
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub list_price_minor: i64,
    pub paid_voucher_minor: i64,
    pub paid_coupon_minor: i64,
    pub paid_balance_minor: i64,
    pub paid_external_minor: i64,
    pub external_method: Option<PaymentMethod>,
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
    pub refund_destination: Option<RefundDestination>,
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

impl Order {
    /// How the order was paid, by source: the basis of where its refunds go.
    pub fn payment(&self) -> tenure_core::payment::PaymentPlan {
        tenure_core::payment::PaymentPlan {
            voucher_minor: self.paid_voucher_minor,
            coupon_minor: self.paid_coupon_minor,
            balance_minor: self.paid_balance_minor,
            external_minor: self.paid_external_minor,
            external_method: self.external_method,
        }
    }
}

const COLUMNS: &str = "id, account_id, instance_id, kind, status, product_id, edition_id, spec_id, period, \
    starts_at, ends_at, list_price_minor, paid_voucher_minor, paid_coupon_minor, paid_balance_minor, \
    paid_external_minor, external_method, created_at, period_order_id, period_revision, value_cash_minor, \
    value_voucher_minor, value_from_hours, refunded_minor, refund_destination";

fn from_row(row: &Row) -> Result<Order, DatabaseError> {
    Ok(Order {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        instance_id: row.try_get("instance_id")?,
        kind: row.try_parse("kind")?,
        status: row.try_parse("status")?,
        product_id: row.try_get("product_id")?,
        edition_id: row.try_get("edition_id")?,
        spec_id: row.try_get("spec_id")?,
        period: row.try_parse("period")?,
        starts_at: from_seconds(row.try_get("starts_at")?),
        ends_at: from_seconds(row.try_get("ends_at")?),
        list_price_minor: row.try_get("list_price_minor")?,
        paid_voucher_minor: row.try_get("paid_voucher_minor")?,
        paid_coupon_minor: row.try_get("paid_coupon_minor")?,
        paid_balance_minor: row.try_get("paid_balance_minor")?,
        paid_external_minor: row.try_get("paid_external_minor")?,
        external_method: row.try_parse_optional("external_method")?,
        created_at: from_seconds(row.try_get("created_at")?),
        period_order_id: row.try_get("period_order_id")?,
        period_revision: row.try_get("period_revision")?,
        value_cash_minor: row.try_get("value_cash_minor")?,
        value_voucher_minor: row.try_get("value_voucher_minor")?,
        value_from_hours: row.try_get("value_from_hours")?,
        refunded_minor: row.try_get("refunded_minor")?,
        refund_destination: row.try_parse_optional("refund_destination")?,
    })
}

pub async fn insert(tx: &mut Tx, order: &Order) -> Result<(), StoreError> {
    insert_many(tx, std::slice::from_ref(order)).await
}

/// Inserts many orders in few statements.
pub async fn insert_many(tx: &mut Tx, orders: &[Order]) -> Result<(), StoreError> {
    execute_rows(
        tx,
        &format!("{{insert}} orders ({COLUMNS}) VALUES {{values}}"),
        25,
        orders,
        |query, order| {
            query
                .bind(&order.id)
                .bind(&order.account_id)
                .bind(&order.instance_id)
                .bind(order.kind.as_str())
                .bind(order.status.as_str())
                .bind(&order.product_id)
                .bind(&order.edition_id)
                .bind(&order.spec_id)
                .bind(order.period.to_string())
                .bind(to_seconds(order.starts_at))
                .bind(to_seconds(order.ends_at))
                .bind(order.list_price_minor)
                .bind(order.paid_voucher_minor)
                .bind(order.paid_coupon_minor)
                .bind(order.paid_balance_minor)
                .bind(order.paid_external_minor)
                .bind(order.external_method.map(PaymentMethod::as_str))
                .bind(to_seconds(order.created_at))
                .bind(&order.period_order_id)
                .bind(order.period_revision)
                .bind(order.value_cash_minor)
                .bind(order.value_voucher_minor)
                .bind(order.value_from_hours)
                .bind(order.refunded_minor)
                .bind(order.refund_destination.map(RefundDestination::as_str))
        },
    )
    .await?;
    Ok(())
}

pub async fn get(connection: &mut Connection, order_id: &str) -> Result<Option<Order>, StoreError> {
    let row = query(&format!("SELECT {COLUMNS} FROM orders WHERE id = $1"))
        .bind(order_id)
        .fetch_optional(connection)
        .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub account_id: Option<String>,
    pub instance_id: Option<String>,
    /// The kind and status as the API was asked for them, compared with the stored texts (the
    /// server refuses one that is no [`OrderKind`] or [`OrderStatus`] before it gets here).
    pub kind: Option<String>,
    pub status: Option<String>,
    pub after_id: Option<String>,
    pub limit: i64,
}

pub async fn list(
    connection: &mut Connection,
    filter: &OrderFilter,
) -> Result<Vec<Order>, StoreError> {
    let filters = [
        // Through the account's instances: an index of orders by account would be one more
        // B-tree entry, on a page of its own, for every order written.
        (
            "instance_id IN (SELECT id FROM instances WHERE account_id = {value})
             AND account_id = {value}",
            &filter.account_id,
        ),
        ("instance_id", &filter.instance_id),
        ("kind", &filter.kind),
        ("status", &filter.status),
    ];
    let rows = crate::listing::fetch_page(
        connection,
        COLUMNS,
        "orders",
        &filters,
        filter.after_id.as_deref(),
        filter.limit,
    )
    .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// One service period with every order in it: the opening order (purchase or renewal) first,
/// then its upgrades and downgrades by revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodOrders {
    pub orders: Vec<Order>,
}

impl PeriodOrders {
    /// The purchase or renewal that opened the period: its payment decides where a refund goes.
    pub fn opening(&self) -> &Order {
        &self.orders[0]
    }

    /// The order that last set the period's value.
    pub fn latest(&self) -> &Order {
        self.orders.last().expect("a period has its opening order")
    }

    pub fn paid_period(&self) -> PaidPeriod {
        let opening = self.opening();
        let latest = self.latest();
        PaidPeriod {
            period_order_id: opening.id.clone(),
            period: opening.period,
            starts_at: opening.starts_at,
            ends_at: opening.ends_at,
            value: latest.period_value(),
            revision: latest.period_revision,
        }
    }
}

/// The instance's paid service periods that end after `now`, earliest first, each with all its
/// orders. A period whose opening order is no longer `paid` (cancelled by an unsubscription)
/// is left out. In a use case, pass its transaction (after locking the instance), so the
/// orders cannot change underneath it.
pub async fn periods(
    connection: &mut Connection,
    instance_id: &str,
    now: Timestamp,
) -> Result<Vec<PeriodOrders>, StoreError> {
    let rows = query(&format!(
        "SELECT {COLUMNS} FROM orders WHERE instance_id = $1 AND ends_at > $2
         ORDER BY period_order_id, period_revision"
    ))
    .bind(instance_id)
    .bind(to_seconds(now))
    .fetch_all(connection)
    .await?;
    let found: Vec<Order> = rows.iter().map(from_row).collect::<Result<_, _>>()?;
    let mut periods: Vec<PeriodOrders> = found
        .iter()
        .filter(|order| order.id == order.period_order_id && order.status == OrderStatus::Paid)
        .map(|opening| PeriodOrders {
            orders: found
                .iter()
                .filter(|other| other.period_order_id == opening.id)
                .cloned()
                .collect(),
        })
        .collect();
    periods.sort_by_key(|period| period.opening().starts_at);
    Ok(periods)
}

/// The instance's paid service periods that end after `now`, each with the value its latest
/// order left it: the basis a change or a refund is priced from. A period whose opening order
/// is no longer `paid` (cancelled by an unsubscription) is left out.
pub async fn paid_periods(
    tx: &mut Tx,
    instance_id: &str,
    now: Timestamp,
) -> Result<Vec<PaidPeriod>, StoreError> {
    Ok(periods(tx, instance_id, now)
        .await?
        .iter()
        .map(PeriodOrders::paid_period)
        .collect())
}

/// Cancels a service period (an unsubscription): its opening order and every change in it
/// become `cancelled`, so [`paid_periods`] leaves the period out from now on. The instance
/// finds the period's orders through the instance's index (a period belongs to one instance):
/// no index of its own to keep up on every order.
pub async fn cancel_period(
    tx: &mut Tx,
    instance_id: &str,
    period_order_id: &str,
) -> Result<(), StoreError> {
    query("UPDATE orders SET status = $3 WHERE instance_id = $1 AND period_order_id = $2")
        .bind(instance_id)
        .bind(period_order_id)
        .bind(OrderStatus::Cancelled.as_str())
        .execute(tx)
        .await?;
    Ok(())
}

/// Moves a pending renewal's service period, with every order in it, to new dates.
pub async fn redate(
    tx: &mut Tx,
    instance_id: &str,
    period_order_id: &str,
    starts_at: Timestamp,
    ends_at: Timestamp,
) -> Result<(), StoreError> {
    query("UPDATE orders SET starts_at = $3, ends_at = $4 WHERE instance_id = $1 AND period_order_id = $2")
        .bind(instance_id)
        .bind(period_order_id)
        .bind(to_seconds(starts_at))
        .bind(to_seconds(ends_at))
        .execute(tx)
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

/// Paid orders that opened a service period of an active instance, by order id.
/// `pending = false`: the period each instance runs in now (it contains `now`), or the purchase
/// of a resource plan that is not activated yet. `pending = true`: renewals (manual or
/// automatic) whose period starts after `now`.
pub async fn unsubscribable(
    connection: &mut Connection,
    filter: &UnsubscribableFilter,
    now: Timestamp,
    pending: bool,
) -> Result<Vec<Order>, StoreError> {
    // The enums' own texts, written into the statement: constants, never the caller's input.
    let period_condition = if pending {
        let renewals = OrderKind::RENEWALS
            .map(|kind| format!("'{kind}'"))
            .join(", ");
        format!("o.kind IN ({renewals}) AND o.starts_at > $2")
    } else {
        format!(
            "o.ends_at > $2 AND (o.starts_at <= $2 OR o.kind = '{}')",
            OrderKind::Purchase
        )
    };
    let mut conditions = vec![
        "o.id > $1".to_string(),
        period_condition,
        "o.id = o.period_order_id".to_string(),
        format!("o.status = '{}'", OrderStatus::Paid),
        "i.status IN ('active', 'unactivated')".to_string(),
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
    let mut query = query(&sql)
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
