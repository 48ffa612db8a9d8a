//! Customer accounts. Money is not here: balances are sums of the ledger (see [`crate::ledger`]).

use jiff::Timestamp;

use crate::connect::{StoreError, Tx};
use crate::database::{query, Connection, DatabaseError, Row};
use crate::time::{from_seconds, to_seconds};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub email: String,
    pub mobile: String,
    pub currency: String,
    pub low_balance_threshold_minor: Option<i64>,
    pub created_at: Timestamp,
    /// Since when the account has an unpaid bill; `None` when it owes nothing.
    pub overdue_since: Option<Timestamp>,
    /// The low-balance SMS went out and the credit has not risen above the threshold since.
    pub low_balance_alerted: bool,
    /// Why the account's writes are stopped: its ledger failed a check (see [`freeze`]).
    pub frozen_reason: Option<String>,
    pub frozen_at: Option<Timestamp>,
}

const COLUMNS: &str =
    "id, name, email, mobile, currency, low_balance_threshold_minor, created_at, \
    overdue_since, low_balance_alerted, frozen_reason, frozen_at";

/// An account from its row, the row's texts moved into it.
fn from_row(mut row: Row) -> Result<Account, DatabaseError> {
    Ok(Account {
        id: row.take("id")?,
        name: row.take("name")?,
        email: row.take("email")?,
        mobile: row.take("mobile")?,
        currency: row.take("currency")?,
        low_balance_threshold_minor: row.take("low_balance_threshold_minor")?,
        created_at: from_seconds(row.take("created_at")?),
        overdue_since: row.take::<Option<i64>>("overdue_since")?.map(from_seconds),
        low_balance_alerted: row.take::<i64>("low_balance_alerted")? != 0,
        frozen_reason: row.take("frozen_reason")?,
        frozen_at: row.take::<Option<i64>>("frozen_at")?.map(from_seconds),
    })
}

pub async fn insert(tx: &mut Tx, account: &Account) -> Result<(), StoreError> {
    query(
        "INSERT INTO accounts (id, name, email, mobile, currency, low_balance_threshold_minor, created_at,
            overdue_since, low_balance_alerted)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&account.id)
    .bind(&account.name)
    .bind(&account.email)
    .bind(&account.mobile)
    .bind(&account.currency)
    .bind(account.low_balance_threshold_minor)
    .bind(to_seconds(account.created_at))
    .bind(account.overdue_since.map(to_seconds))
    .bind(i64::from(account.low_balance_alerted))
    .execute(tx)
    .await?;
    Ok(())
}

pub async fn get(
    connection: &mut Connection,
    account_id: &str,
) -> Result<Option<Account>, StoreError> {
    let row = query(&format!("SELECT {COLUMNS} FROM accounts WHERE id = $1"))
        .bind(account_id)
        .fetch_optional(connection)
        .await?;
    Ok(row.map(from_row).transpose()?)
}

/// Reads an account and, on PostgreSQL, locks it until commit: every use case that moves an
/// account's money takes this lock first, so two payments never spend the same balance.
pub async fn lock(tx: &mut Tx, account_id: &str) -> Result<Option<Account>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM accounts WHERE id = $1{}",
        tx.for_update()
    );
    let row = query(&sql).bind(account_id).fetch_optional(tx).await?;
    Ok(row.map(from_row).transpose()?)
}

pub async fn list(
    connection: &mut Connection,
    limit: i64,
    after_id: Option<&str>,
) -> Result<Vec<Account>, StoreError> {
    let rows = query(&format!(
        "SELECT {COLUMNS} FROM accounts WHERE id > $1 ORDER BY id LIMIT $2"
    ))
    .bind(after_id.unwrap_or(""))
    .bind(limit)
    .fetch_all(connection)
    .await?;
    Ok(rows.into_iter().map(from_row).collect::<Result<_, _>>()?)
}

/// Since when the account is overdue; `None` when it owes nothing.
pub async fn set_overdue_since(
    tx: &mut Tx,
    account_id: &str,
    overdue_since: Option<Timestamp>,
) -> Result<(), StoreError> {
    query("UPDATE accounts SET overdue_since = $2 WHERE id = $1")
        .bind(account_id)
        .bind(overdue_since.map(to_seconds))
        .execute(tx)
        .await?;
    Ok(())
}

pub async fn set_low_balance_alerted(
    tx: &mut Tx,
    account_id: &str,
    alerted: bool,
) -> Result<(), StoreError> {
    query("UPDATE accounts SET low_balance_alerted = $2 WHERE id = $1")
        .bind(account_id)
        .bind(i64::from(alerted))
        .execute(tx)
        .await?;
    Ok(())
}

pub async fn set_low_balance_threshold(
    tx: &mut Tx,
    account_id: &str,
    threshold_minor: Option<i64>,
) -> Result<(), StoreError> {
    query("UPDATE accounts SET low_balance_threshold_minor = $2 WHERE id = $1")
        .bind(account_id)
        .bind(threshold_minor)
        .execute(tx)
        .await?;
    Ok(())
}

/// Reads many accounts by id in one statement and, on PostgreSQL, locks them until commit.
/// Ids that do not exist are left out; the rows come in id order, not the order of `ids`.
pub async fn lock_many(tx: &mut Tx, ids: &[String]) -> Result<Vec<Account>, StoreError> {
    let rows = crate::listing::lock_by_ids(tx, COLUMNS, "accounts", ids).await?;
    Ok(rows.into_iter().map(from_row).collect::<Result<_, _>>()?)
}

/// Stops the account's writes, saying why; whether it was not frozen already.
pub async fn freeze(
    tx: &mut Tx,
    account_id: &str,
    reason: &str,
    at: Timestamp,
) -> Result<bool, StoreError> {
    let done = query(
        "UPDATE accounts SET frozen_reason = $2, frozen_at = $3
         WHERE id = $1 AND frozen_reason IS NULL",
    )
    .bind(account_id)
    .bind(reason)
    .bind(to_seconds(at))
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Lets the account write again.
pub async fn unfreeze(tx: &mut Tx, account_id: &str) -> Result<(), StoreError> {
    query("UPDATE accounts SET frozen_reason = NULL, frozen_at = NULL WHERE id = $1")
        .bind(account_id)
        .execute(tx)
        .await?;
    Ok(())
}
