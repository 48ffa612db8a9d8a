//! API keys of accounts: the owner's and its users'. Only a SHA-256 hash of a key is stored;
//! the key itself is shown once, when it is made.

use jiff::Timestamp;

use crate::connect::{StoreError, Tx};
use crate::database::{query, Connection, DatabaseError, Row};
use crate::time::{from_seconds, to_seconds};

/// A key as stored (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// Also the user's id.
    pub id: String,
    pub account_id: String,
    pub name: String,
    pub role: String,
    pub key_hash: String,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

const COLUMNS: &str = "id, account_id, name, role, key_hash, created_at, revoked_at";

fn from_row(row: &Row) -> Result<ApiKey, DatabaseError> {
    Ok(ApiKey {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        name: row.try_get("name")?,
        role: row.try_get("role")?,
        key_hash: row.try_get("key_hash")?,
        created_at: from_seconds(row.try_get("created_at")?),
        revoked_at: row.try_get::<Option<i64>>("revoked_at")?.map(from_seconds),
    })
}

pub async fn insert(tx: &mut Tx, key: &ApiKey) -> Result<(), StoreError> {
    query(&format!(
        "INSERT INTO api_keys ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, NULL)"
    ))
    .bind(&key.id)
    .bind(&key.account_id)
    .bind(&key.name)
    .bind(&key.role)
    .bind(&key.key_hash)
    .bind(to_seconds(key.created_at))
    .execute(tx)
    .await?;
    Ok(())
}

/// The live (not revoked) key with this hash.
pub async fn find_live(
    connection: &mut Connection,
    key_hash: &str,
) -> Result<Option<ApiKey>, StoreError> {
    let row = query(&format!(
        "SELECT {COLUMNS} FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL"
    ))
    .bind(key_hash)
    .fetch_optional(connection)
    .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// A page of the account's keys, revoked ones included, in id order after `after_id`.
pub async fn list(
    connection: &mut Connection,
    account_id: &str,
    after_id: Option<&str>,
    limit: i64,
) -> Result<Vec<ApiKey>, StoreError> {
    let account = Some(account_id.to_string());
    let rows = crate::listing::fetch_page(
        connection,
        COLUMNS,
        "api_keys",
        &[("account_id", &account)],
        after_id,
        limit,
    )
    .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// A key of `account_id`, live or revoked.
pub async fn get(
    connection: &mut Connection,
    account_id: &str,
    key_id: &str,
) -> Result<Option<ApiKey>, StoreError> {
    let row = query(&format!(
        "SELECT {COLUMNS} FROM api_keys WHERE account_id = $1 AND id = $2"
    ))
    .bind(account_id)
    .bind(key_id)
    .fetch_optional(connection)
    .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// The account's live keys of `role`, in id order.
pub async fn live_of_role(
    connection: &mut Connection,
    account_id: &str,
    role: &str,
) -> Result<Vec<ApiKey>, StoreError> {
    let rows = query(&format!(
        "SELECT {COLUMNS} FROM api_keys
         WHERE account_id = $1 AND role = $2 AND revoked_at IS NULL ORDER BY id"
    ))
    .bind(account_id)
    .bind(role)
    .fetch_all(connection)
    .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// How many live keys of the account have a role other than `role`.
pub async fn count_live_except_role(
    connection: &mut Connection,
    account_id: &str,
    role: &str,
) -> Result<i64, StoreError> {
    let row = query(
        "SELECT COUNT(*) AS count FROM api_keys
         WHERE account_id = $1 AND role <> $2 AND revoked_at IS NULL",
    )
    .bind(account_id)
    .bind(role)
    .fetch_one(connection)
    .await?;
    Ok(row.try_get("count")?)
}

/// Revokes a key of `account_id`; answers whether a live key was revoked.
pub async fn revoke(
    tx: &mut Tx,
    account_id: &str,
    key_id: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let result = query(
        "UPDATE api_keys SET revoked_at = $3 WHERE account_id = $1 AND id = $2 AND revoked_at IS NULL",
    )
    .bind(account_id)
    .bind(key_id)
    .bind(to_seconds(now))
    .execute(tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// The account that owns a row of `table` (`instances` or `orders`), for tenant isolation.
pub async fn owner_of(
    connection: &mut Connection,
    table: OwnedTable,
    id: &str,
) -> Result<Option<String>, StoreError> {
    let column = match table {
        OwnedTable::Accounts => "id",
        _ => "account_id",
    };
    let sql = format!(
        "SELECT {column} AS account_id FROM {} WHERE id = $1",
        table.name()
    );
    let row = query(&sql).bind(id).fetch_optional(connection).await?;
    Ok(row.map(|row| row.try_get("account_id")).transpose()?)
}

/// Tables whose rows belong to one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnedTable {
    Accounts,
    Instances,
    Orders,
    Approvals,
    Refunds,
    Bills,
    Invoices,
}

impl OwnedTable {
    fn name(self) -> &'static str {
        match self {
            OwnedTable::Accounts => "accounts",
            OwnedTable::Instances => "instances",
            OwnedTable::Orders => "orders",
            OwnedTable::Approvals => "approvals",
            OwnedTable::Refunds => "refunds",
            OwnedTable::Bills => "bills",
            OwnedTable::Invoices => "invoices",
        }
    }
}
