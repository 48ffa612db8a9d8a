//! What the operator's overview and `/metrics` count across the fleet, each in one statement
//! over an index or a summary kept with the writes (`revenue_days`), never over the ledger's
//! whole history.

use jiff::Timestamp;

use crate::connect::StoreError;
use crate::database::{query, Connection};
use crate::ledger::SECONDS_PER_DAY;
use crate::time::to_seconds;

/// Revenue of one UTC day in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevenueDay {
    /// Days since the Unix epoch.
    pub day: i64,
    pub currency: String,
    /// Orders and bills paid that day.
    pub earned_minor: i64,
    /// Refunds given that day.
    pub refunded_minor: i64,
}

/// Revenue by day and currency from the day of `from` on, oldest first.
pub async fn revenue_by_day(
    connection: &mut Connection,
    from: Timestamp,
) -> Result<Vec<RevenueDay>, StoreError> {
    let rows = query(
        "SELECT r.day AS day, a.currency AS currency,
            CAST(SUM(r.earned_minor) AS BIGINT) AS earned_minor,
            CAST(SUM(r.refunded_minor) AS BIGINT) AS refunded_minor
         FROM revenue_days r JOIN accounts a ON a.id = r.account_id
         WHERE r.day >= $1
         GROUP BY r.day, a.currency
         ORDER BY r.day, a.currency",
    )
    .bind(to_seconds(from).div_euclid(SECONDS_PER_DAY))
    .fetch_all(connection)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(RevenueDay {
                day: row.try_get("day")?,
                currency: row.try_get("currency")?,
                earned_minor: row.try_get("earned_minor")?,
                refunded_minor: row.try_get("refunded_minor")?,
            })
        })
        .collect()
}

/// Revenue and refunds of all time, per currency: `/metrics`' counters.
pub async fn revenue_totals(
    connection: &mut Connection,
) -> Result<Vec<(String, i64, i64)>, StoreError> {
    let rows = query(
        "SELECT a.currency AS currency,
            CAST(SUM(r.earned_minor) AS BIGINT) AS earned_minor,
            CAST(SUM(r.refunded_minor) AS BIGINT) AS refunded_minor
         FROM revenue_days r JOIN accounts a ON a.id = r.account_id
         GROUP BY a.currency ORDER BY a.currency",
    )
    .fetch_all(connection)
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("currency")?,
                row.try_get("earned_minor")?,
                row.try_get("refunded_minor")?,
            ))
        })
        .collect()
}

/// How many instances of a product are in a status, and how many of those expire soon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceCount {
    pub product_id: String,
    pub status: String,
    pub instances: i64,
    /// Expiring after now and within 7 days.
    pub expiring_7_days: i64,
    /// Expiring after now and within 30 days.
    pub expiring_30_days: i64,
}

/// Instances by product and status, with those expiring in the next 7 and 30 days, in one pass.
pub async fn instances_by_product_and_status(
    connection: &mut Connection,
    now: Timestamp,
) -> Result<Vec<InstanceCount>, StoreError> {
    let now_seconds = to_seconds(now);
    let rows = query(
        "SELECT product_id, status, CAST(COUNT(*) AS BIGINT) AS instances,
            CAST(COALESCE(SUM(CASE WHEN expires_at > $1 AND expires_at <= $2 THEN 1 ELSE 0 END), 0) AS BIGINT) AS expiring_7_days,
            CAST(COALESCE(SUM(CASE WHEN expires_at > $1 AND expires_at <= $3 THEN 1 ELSE 0 END), 0) AS BIGINT) AS expiring_30_days
         FROM instances GROUP BY product_id, status ORDER BY product_id, status",
    )
    .bind(now_seconds)
    .bind(now_seconds + 7 * SECONDS_PER_DAY)
    .bind(now_seconds + 30 * SECONDS_PER_DAY)
    .fetch_all(connection)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(InstanceCount {
                product_id: row.try_get("product_id")?,
                status: row.try_get("status")?,
                instances: row.try_get("instances")?,
                expiring_7_days: row.try_get("expiring_7_days")?,
                expiring_30_days: row.try_get("expiring_30_days")?,
            })
        })
        .collect()
}

/// Counts of what needs the operator: accounts overdue and frozen, deliveries retrying and
/// given up, lifecycle steps retrying and parked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attention {
    pub accounts: i64,
    pub accounts_overdue: i64,
    pub accounts_frozen: i64,
    pub deliveries_pending: i64,
    /// Pending after at least one failed attempt.
    pub deliveries_retrying: i64,
    /// Given up on.
    pub deliveries_failed: i64,
    pub steps_retrying: i64,
    pub steps_parked: i64,
}

pub async fn attention(connection: &mut Connection) -> Result<Attention, StoreError> {
    let row = query(
        "SELECT
            (SELECT CAST(COUNT(*) AS BIGINT) FROM accounts) AS accounts,
            (SELECT CAST(COUNT(*) AS BIGINT) FROM accounts WHERE overdue_since IS NOT NULL) AS accounts_overdue,
            (SELECT CAST(COUNT(*) AS BIGINT) FROM accounts WHERE frozen_at IS NOT NULL) AS accounts_frozen,
            (SELECT CAST(COUNT(*) AS BIGINT) FROM deliveries WHERE status = 'pending') AS deliveries_pending,
            (SELECT CAST(COUNT(*) AS BIGINT) FROM deliveries WHERE status = 'pending' AND attempts > 0) AS deliveries_retrying,
            (SELECT CAST(COUNT(*) AS BIGINT) FROM deliveries WHERE status = 'failed') AS deliveries_failed,
            (SELECT CAST(COUNT(*) AS BIGINT) FROM stuck_steps WHERE status = 'retrying') AS steps_retrying,
            (SELECT CAST(COUNT(*) AS BIGINT) FROM stuck_steps WHERE status = 'parked') AS steps_parked",
    )
    .fetch_one(connection)
    .await?;
    Ok(Attention {
        accounts: row.try_get("accounts")?,
        accounts_overdue: row.try_get("accounts_overdue")?,
        accounts_frozen: row.try_get("accounts_frozen")?,
        deliveries_pending: row.try_get("deliveries_pending")?,
        deliveries_retrying: row.try_get("deliveries_retrying")?,
        deliveries_failed: row.try_get("deliveries_failed")?,
        steps_retrying: row.try_get("steps_retrying")?,
        steps_parked: row.try_get("steps_parked")?,
    })
}

/// What pays an account's auto-renewals, with what names it: every account that has money
/// or coupons, or auto-renewing instances, is in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountMoney {
    pub account_id: String,
    pub name: String,
    pub email: String,
    pub currency: String,
    pub balance_minor: i64,
    pub coupons_minor: i64,
}

/// The accounts named, with their funds, in one query per thousand.
pub async fn accounts_money(
    connection: &mut Connection,
    account_ids: &[String],
) -> Result<Vec<AccountMoney>, StoreError> {
    let mut found = Vec::with_capacity(account_ids.len());
    for chunk in account_ids.chunks(1000) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|at| format!("${at}")).collect();
        let sql = format!(
            "SELECT a.id AS id, a.name AS name, a.email AS email, a.currency AS currency,
                CAST(COALESCE(f.balance_minor, 0) AS BIGINT) AS balance_minor,
                CAST(COALESCE(f.coupons_minor, 0) AS BIGINT) AS coupons_minor
             FROM accounts a LEFT JOIN account_funds f ON f.account_id = a.id
             WHERE a.id IN ({}) ORDER BY a.id",
            placeholders.join(", ")
        );
        let mut statement = query(&sql);
        for account_id in chunk {
            statement = statement.bind(account_id.as_str());
        }
        for row in statement.fetch_all(connection).await? {
            found.push(AccountMoney {
                account_id: row.try_get("id")?,
                name: row.try_get("name")?,
                email: row.try_get("email")?,
                currency: row.try_get("currency")?,
                balance_minor: row.try_get("balance_minor")?,
                coupons_minor: row.try_get("coupons_minor")?,
            });
        }
    }
    Ok(found)
}
