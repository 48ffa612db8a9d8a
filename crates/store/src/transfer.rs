//! Moving every row from one database to another (`tenure export`, `tenure import`): the tables
//! in an order their references allow, each read a page at a time from one snapshot, and
//! written into an empty database of the same schema version in one transaction. What is
//! checked after an import (row counts, every account's funds summed from its postings) is
//! read from one snapshot too.

use crate::connect::{Dialect, Store, StoreError, Tx};
use crate::database::{query, Argument, Connection, DatabaseError, Value};

/// A table moved, and the columns that order its rows (its primary key, or a unique key).
#[derive(Debug, Clone, Copy)]
pub struct Table {
    pub name: &'static str,
    key: &'static [&'static str],
}

/// Every table but `schema_migrations` (an import's target is migrated by itself), each after
/// the tables it references.
pub const TABLES: &[Table] = &[
    table("accounts", &["id"]),
    table("ledger_entries", &["id"]),
    table("ledger_postings", &["id"]),
    table("account_funds", &["account_id"]),
    table("revenue_days", &["day", "account_id"]),
    table("instances", &["id"]),
    table("instance_tags", &["tag", "instance_id"]),
    table("orders", &["id"]),
    table("refunds", &["id"]),
    // Before the notices, which name the documents they bring.
    table("invoice_series", &["series"]),
    table("invoices", &["id"]),
    table("resource_plans", &["instance_id"]),
    table(
        "deduction_attempts",
        &["instance_id", "renews_expires_at", "attempt_offset_days"],
    ),
    table("approvals", &["id"]),
    table("events", &["seq"]),
    table("notifications", &["seq"]),
    table("api_keys", &["id"]),
    table("usage_records", &["record_id"]),
    table("bills", &["id"]),
    table("idempotency", &["scope", "key"]),
    table("stuck_steps", &["id"]),
    table("webhook_endpoints", &["id"]),
    table("deliveries", &["id"]),
    table("delivery_attempts", &["delivery_id", "number"]),
    table("simulated_clock", &["id"]),
    table("payment_customers", &["account_id"]),
    table("saved_cards", &["id"]),
    table("payments", &["id"]),
    table("provider_events", &["id"]),
    table("billing_profiles", &["account_id"]),
];

/// Tables that stay with their database. The console's session key is a secret of one
/// deployment, not data: exported, it would sit in a file that goes to other hands, and anyone
/// holding the file could sign console sessions (the operator's included) on the deployment
/// it came from. An imported database makes a key of its own at its first start, which ends
/// the sessions signed with the old one; the sessions signed out before are then moot too.
pub const UNMOVED: &[&str] = &["console_secrets", "console_sessions_ended"];

/// The columns numbered by the database (`BIGSERIAL` on PostgreSQL), whose sequence an import
/// moves past the rows it wrote.
const NUMBERED: &[(&str, &str)] = &[
    ("ledger_postings", "id"),
    ("events", "seq"),
    ("notifications", "seq"),
];

const fn table(name: &'static str, key: &'static [&'static str]) -> Table {
    Table { name, key }
}

/// What a column holds: tenure stores integers (`BIGINT`) and text, nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Integer,
    Text,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub column_type: ColumnType,
}

/// An account's funds as its postings sum them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSums {
    pub account_id: String,
    pub balance_minor: i64,
    pub coupons_minor: i64,
    pub vouchers_minor: i64,
}

/// A read-only transaction: every read through it sees the database as of its first read.
pub struct Snapshot {
    connection: Connection,
    dialect: Dialect,
}

impl Store {
    /// Begins a [`Snapshot`]. On SQLite, writes go on beside it (readers are not blocked by
    /// the writer, in WAL mode); on PostgreSQL it is a `REPEATABLE READ` transaction.
    pub async fn snapshot(&self) -> Result<Snapshot, StoreError> {
        let mut connection = self.read().await?;
        let begin = match self.dialect() {
            Dialect::Sqlite => "BEGIN",
            Dialect::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        };
        query(begin).execute(&mut connection).await?;
        Ok(Snapshot {
            connection,
            dialect: self.dialect(),
        })
    }
}

impl Snapshot {
    pub async fn columns(&mut self, table: &Table) -> Result<Vec<Column>, StoreError> {
        columns(&mut self.connection, self.dialect, table).await
    }

    pub async fn count(&mut self, table: &Table) -> Result<u64, StoreError> {
        count(&mut self.connection, table).await
    }

    /// Up to `limit` rows of `table`, in its key's order, after the row `after` (the last of
    /// the page before), each with the values of `columns` in their order.
    pub async fn page(
        &mut self,
        table: &Table,
        columns: &[Column],
        after: Option<&[Value]>,
        limit: usize,
    ) -> Result<Vec<Vec<Value>>, StoreError> {
        let names: Vec<&str> = columns.iter().map(|column| column.name.as_str()).collect();
        let key = table.key.join(", ");
        let condition = match after {
            None => String::new(),
            Some(_) => {
                let placeholders: Vec<String> =
                    (2..table.key.len() + 2).map(|n| format!("${n}")).collect();
                format!("WHERE ({key}) > ({})", placeholders.join(", "))
            }
        };
        let sql = format!(
            "SELECT {} FROM {} {condition} ORDER BY {key} LIMIT $1",
            names.join(", "),
            table.name
        );
        let mut statement = query(&sql).bind(limit as i64);
        if let Some(after) = after {
            for name in table.key {
                let index = names
                    .iter()
                    .position(|column| column == name)
                    .ok_or_else(|| missing_key(table, name))?;
                statement = statement.bind(argument(&after[index], columns[index].column_type));
            }
        }
        let rows = statement.fetch_all(&mut self.connection).await?;
        Ok(rows.into_iter().map(|row| row.into_values()).collect())
    }

    pub async fn account_sums(&mut self) -> Result<Vec<AccountSums>, StoreError> {
        account_sums(&mut self.connection).await
    }

    /// Checks what an import must leave true: every ledger entry sums to zero, and every
    /// account's running totals equal its postings' sums.
    pub async fn check_ledger(&mut self) -> Result<(), StoreError> {
        check_ledger(&mut self.connection).await
    }

    /// Ends the snapshot (it wrote nothing).
    pub async fn finish(mut self) -> Result<(), StoreError> {
        query("COMMIT").execute(&mut self.connection).await?;
        Ok(())
    }
}

fn missing_key(table: &Table, column: &str) -> StoreError {
    DatabaseError::Other(format!(
        "table {} has no column {column}, which orders its rows",
        table.name
    ))
    .into()
}

async fn columns(
    connection: &mut Connection,
    dialect: Dialect,
    table: &Table,
) -> Result<Vec<Column>, StoreError> {
    let sql = match dialect {
        Dialect::Sqlite => "SELECT name, type FROM pragma_table_info($1) ORDER BY cid",
        Dialect::Postgres => {
            "SELECT column_name AS name, data_type AS type FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position"
        }
    };
    let rows = query(sql).bind(table.name).fetch_all(connection).await?;
    let mut columns = Vec::with_capacity(rows.len());
    for row in rows {
        let declared: String = row.try_get("type")?;
        let column_type = if declared.to_ascii_uppercase().contains("INT") {
            ColumnType::Integer
        } else {
            ColumnType::Text
        };
        columns.push(Column {
            name: row.try_get("name")?,
            column_type,
        });
    }
    if columns.is_empty() {
        return Err(
            DatabaseError::Other(format!("the database has no table {}", table.name)).into(),
        );
    }
    Ok(columns)
}

/// The rows of `table`.
pub async fn count(connection: &mut Connection, table: &Table) -> Result<u64, StoreError> {
    let row = query(&format!("SELECT COUNT(*) AS n FROM {}", table.name))
        .fetch_one(connection)
        .await?;
    Ok(row.try_get::<i64>("n")? as u64)
}

/// Every account's funds summed from its postings, by account id.
pub async fn account_sums(connection: &mut Connection) -> Result<Vec<AccountSums>, StoreError> {
    let rows = query(&format!(
        "{} GROUP BY account_id ORDER BY account_id",
        crate::ledger::SUMMED_FUNDS
    ))
    .fetch_all(connection)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(AccountSums {
                account_id: row.try_get("account_id")?,
                balance_minor: row.try_get("balance_minor")?,
                coupons_minor: row.try_get("coupons_minor")?,
                vouchers_minor: row.try_get("vouchers_minor")?,
            })
        })
        .collect()
}

/// [`Snapshot::check_ledger`], in any transaction.
pub async fn check_ledger(connection: &mut Connection) -> Result<(), StoreError> {
    let unbalanced = query(
        "SELECT entry_id FROM ledger_postings GROUP BY entry_id HAVING SUM(amount_minor) <> 0
         LIMIT 1",
    )
    .fetch_optional(&mut *connection)
    .await?;
    if let Some(row) = unbalanced {
        let entry_id: String = row.try_get("entry_id")?;
        return Err(StoreError::LedgerUnbalanced(format!(
            "ledger entry {entry_id}: its postings do not sum to zero"
        )));
    }
    let differing = query(&format!(
        "SELECT summed.account_id FROM ({} GROUP BY account_id) AS summed
         LEFT JOIN account_funds AS running ON running.account_id = summed.account_id
         WHERE COALESCE(running.balance_minor, 0) <> summed.balance_minor
            OR COALESCE(running.coupons_minor, 0) <> summed.coupons_minor
            OR COALESCE(running.vouchers_minor, 0) <> summed.vouchers_minor
         LIMIT 1",
        crate::ledger::SUMMED_FUNDS
    ))
    .fetch_optional(connection)
    .await?;
    if let Some(row) = differing {
        let account_id: String = row.try_get("account_id")?;
        return Err(StoreError::LedgerUnbalanced(format!(
            "account {account_id}: running totals differ from its postings"
        )));
    }
    Ok(())
}

/// The table that holds a row already, if any: an import writes only into an empty database.
pub async fn first_table_with_rows(store: &Store) -> Result<Option<&'static str>, StoreError> {
    let mut connection = store.read().await?;
    for table in TABLES {
        let row = query(&format!("SELECT 1 AS found FROM {} LIMIT 1", table.name))
            .fetch_optional(&mut connection)
            .await?;
        if row.is_some() {
            return Ok(Some(table.name));
        }
    }
    Ok(None)
}

/// The columns of `table` in this database, to check an export's against.
pub async fn columns_here(store: &Store, table: &Table) -> Result<Vec<Column>, StoreError> {
    let mut connection = store.read().await?;
    columns(&mut connection, store.dialect(), table).await
}

/// Writes `rows` (values in the order of `columns`) into `table`.
pub async fn insert(
    tx: &mut Tx,
    table: &Table,
    columns: &[Column],
    rows: &[Vec<Value>],
) -> Result<(), StoreError> {
    let names: Vec<&str> = columns.iter().map(|column| column.name.as_str()).collect();
    let statement = format!(
        "{{insert}} {} ({}) VALUES {{values}}",
        table.name,
        names.join(", ")
    );
    crate::database::execute_rows(tx, &statement, columns.len(), rows, |mut query, row| {
        for (value, column) in row.iter().zip(columns) {
            query = query.bind(argument(value, column.column_type));
        }
        query
    })
    .await?;
    Ok(())
}

/// After an import on PostgreSQL, moves each numbering sequence past the numbers imported, so
/// that the next event, notice or posting is numbered after them. (SQLite numbers after the
/// largest by itself.)
pub async fn continue_numbering(tx: &mut Tx) -> Result<(), StoreError> {
    if tx.dialect() != Dialect::Postgres {
        return Ok(());
    }
    for (table, column) in NUMBERED {
        query(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', '{column}'),
                    COALESCE((SELECT MAX({column}) FROM {table}), 0) + 1, false)"
        ))
        .fetch_one(tx)
        .await?;
    }
    Ok(())
}

fn argument(value: &Value, column_type: ColumnType) -> Argument<'_> {
    match (value, column_type) {
        (Value::Integer(number), _) => Argument::Integer(Some(*number)),
        (Value::Text(text), _) => Argument::Text(Some(text.as_str().into())),
        (Value::Null, ColumnType::Integer) => Argument::Integer(None),
        (Value::Null, ColumnType::Text) => Argument::Text(None),
    }
}

#[cfg(test)]
mod tests {
    use super::{TABLES, UNMOVED};
    use crate::database::query;
    use crate::Store;

    /// A table a migration adds is moved too (or named in `UNMOVED`, with why), or this fails.
    #[tokio::test]
    async fn every_table_of_the_schema_is_moved() {
        let folder = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", folder.path().join("t.db").display());
        let store = Store::connect(&url).await.unwrap();
        let mut connection = store.read().await.unwrap();
        let rows = query(
            "SELECT name FROM sqlite_master WHERE type = 'table'
             AND name NOT IN ('schema_migrations', 'sqlite_sequence') ORDER BY name",
        )
        .fetch_all(&mut connection)
        .await
        .unwrap();
        let mut in_schema: Vec<String> = rows
            .iter()
            .map(|row| row.try_get::<String>("name").unwrap())
            .filter(|name| !UNMOVED.contains(&name.as_str()))
            .collect();
        let mut moved: Vec<String> = TABLES.iter().map(|table| table.name.to_string()).collect();
        in_schema.sort();
        moved.sort();
        assert_eq!(moved, in_schema);
    }
}
