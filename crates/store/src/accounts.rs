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

/// `limit` accounts after the account `after_id`, in id order (tools and tests; the API's
/// list is [`search`]).
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

/// The order of a list of accounts; each breaks ties by id, so a cursor is one place.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AccountOrder {
    /// By id, which sorts by creation time.
    #[default]
    Created,
    /// By name, ASCII letters folded to lower case ([`name_key`]), then code point order.
    Name,
    /// By balance (the `balance` fund alone), smallest first.
    Balance,
}

/// Where the previous page of a list of accounts ended: the last account's sort key and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountsAfter {
    Created { id: String },
    Name { key: String, id: String },
    Balance { balance_minor: i64, id: String },
}

/// Which accounts a list shows and in which order. Each filter left `None` does not narrow.
#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    /// A part of the name, email or mobile, or the start of the id; ASCII letters match either
    /// case, and `%`, `_` and `\` are plain characters.
    pub search: Option<String>,
    pub overdue: Option<bool>,
    pub frozen: Option<bool>,
    /// Available credit (balance and coupons) under the account's threshold, as the alert's
    /// rule (`tenure_core::low_balance::is_low`) says.
    pub low_balance: Option<bool>,
    pub order: AccountOrder,
    pub after: Option<AccountsAfter>,
    pub limit: i64,
}

/// An account of a list, with its running totals (no row yet: nothing moved, all zero). A
/// frozen account's totals are shown unchecked; its own page says why it is frozen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedAccount {
    pub account: Account,
    pub funds: tenure_core::payment::Funds,
}

/// The key a name sorts by: ASCII letters in lower case, everything else as it is. Both
/// databases fold this way (PostgreSQL's `lower` under the "C" collation, SQLite's own), so
/// a search and an order are the same on either; a folding that knew every alphabet would not
/// be.
pub fn name_key(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// `text` as a LIKE pattern matching itself, `\` escaping its wildcards.
fn like_literal(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    for character in text.chars() {
        if matches!(character, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(character);
    }
    pattern
}

/// The accounts `filter` asks for, with their totals, in one statement.
pub async fn search(
    connection: &mut Connection,
    filter: &AccountFilter,
) -> Result<Vec<ListedAccount>, StoreError> {
    let dialect = connection.dialect();
    let fold = |column: &str| match dialect {
        crate::Dialect::Sqlite => format!("LOWER({column})"),
        crate::Dialect::Postgres => format!("LOWER({column} COLLATE \"C\")"),
    };
    let balance = "COALESCE(f.balance_minor, 0)";
    let credit = "COALESCE(f.balance_minor, 0) + COALESCE(f.coupons_minor, 0)";
    let mut conditions: Vec<String> = Vec::new();
    let mut values: Vec<crate::database::Argument<'_>> = Vec::new();
    let mut next = |value: crate::database::Argument<'static>| {
        values.push(value);
        format!("${}", values.len())
    };
    if let Some(search) = &filter.search {
        let lowered = like_literal(&name_key(search));
        let inside = next(format!("%{lowered}%").into());
        let start = next(format!("{lowered}%").into());
        conditions.push(format!(
            "({name} LIKE {inside} ESCAPE '\\' OR {email} LIKE {inside} ESCAPE '\\' \
             OR {mobile} LIKE {inside} ESCAPE '\\' OR {id} LIKE {start} ESCAPE '\\')",
            name = fold("a.name"),
            email = fold("a.email"),
            mobile = fold("a.mobile"),
            id = fold("a.id"),
        ));
    }
    let flag = |wanted: Option<bool>, holds: &str| {
        wanted.map(|wanted| {
            if wanted {
                format!("({holds})")
            } else {
                format!("NOT ({holds})")
            }
        })
    };
    conditions.extend(flag(filter.overdue, "a.overdue_since IS NOT NULL"));
    conditions.extend(flag(filter.frozen, "a.frozen_reason IS NOT NULL"));
    conditions.extend(flag(
        filter.low_balance,
        &format!(
            "a.low_balance_threshold_minor IS NOT NULL AND {credit} < a.low_balance_threshold_minor"
        ),
    ));
    let name = fold("a.name");
    let order = match filter.order {
        AccountOrder::Created => "a.id".to_string(),
        AccountOrder::Name => format!("{name}, a.id"),
        AccountOrder::Balance => format!("{balance}, a.id"),
    };
    match &filter.after {
        None => {}
        Some(AccountsAfter::Created { id }) => {
            let id = next(id.clone().into());
            conditions.push(format!("a.id > {id}"));
        }
        Some(AccountsAfter::Name { key, id }) => {
            let key = next(key.clone().into());
            let id = next(id.clone().into());
            conditions.push(format!(
                "({name} > {key} OR ({name} = {key} AND a.id > {id}))"
            ));
        }
        Some(AccountsAfter::Balance { balance_minor, id }) => {
            let key = next((*balance_minor).into());
            let id = next(id.clone().into());
            conditions.push(format!(
                "({balance} > {key} OR ({balance} = {key} AND a.id > {id}))"
            ));
        }
    }
    let limit = next(filter.limit.into());
    let columns = COLUMNS
        .split(", ")
        .map(|column| format!("a.{}", column.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {columns}, {balance} AS balance_minor, \
            COALESCE(f.coupons_minor, 0) AS coupons_minor, \
            COALESCE(f.vouchers_minor, 0) AS vouchers_minor \
         FROM accounts a LEFT JOIN account_funds f ON f.account_id = a.id \
         WHERE {} ORDER BY {order} LIMIT {limit}",
        if conditions.is_empty() {
            "1 = 1".to_string()
        } else {
            conditions.join(" AND ")
        }
    );
    let mut statement = query(&sql);
    for value in values {
        statement = statement.bind(value);
    }
    let rows = statement.fetch_all(connection).await?;
    rows.into_iter()
        .map(|mut row| {
            let funds = tenure_core::payment::Funds {
                balance_minor: row.take("balance_minor")?,
                coupons_minor: row.take("coupons_minor")?,
                vouchers_minor: row.take("vouchers_minor")?,
            };
            Ok(ListedAccount {
                account: from_row(row)?,
                funds,
            })
        })
        .collect::<Result<_, DatabaseError>>()
        .map_err(StoreError::from)
}
