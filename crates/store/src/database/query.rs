use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use super::connection::Connection;
use super::error::DatabaseError;
use super::row::Row;
use super::value::Argument;

/// A statement and the values bound to its `$1…$n` placeholders, in order. It borrows its
/// text and the texts bound to it where the caller has them (see [`Argument`]), and owns
/// what was made for it (a multi-row statement's text, a number written as text).
#[must_use = "a query does nothing until it is executed or fetched"]
pub struct Query<'a> {
    sql: Cow<'a, str>,
    arguments: Vec<Argument<'a>>,
}

/// Starts a statement. Placeholders are `$1`, `$2`…; a number may appear more than once.
pub fn query(sql: &str) -> Query<'_> {
    Query {
        sql: Cow::Borrowed(sql),
        arguments: Vec::new(),
    }
}

/// Rows per multi-row INSERT: far below either database's limit on bound values.
pub const ROWS_PER_INSERT: usize = 100;

/// Splits `rows` into chunks for multi-row statements: as many of `largest` as fit, then the
/// rest in power-of-two chunks. Only a few statement lengths exist that way, and each stays
/// in the prepared-statement cache; a remainder of any length made close to a hundred
/// different statements per table, which pushed each other out of the cache and were
/// prepared again and again.
pub fn chunks_of<T>(rows: &[T], largest: usize) -> Vec<&[T]> {
    let mut chunks = Vec::new();
    let mut rest = rows;
    while !rest.is_empty() {
        let length = if rest.len() >= largest {
            largest
        } else {
            // The largest power of two not above what is left.
            1 << (usize::BITS - 1 - rest.len().leading_zeros())
        };
        let (chunk, after) = rest.split_at(length);
        chunks.push(chunk);
        rest = after;
    }
    chunks
}

/// `($1, $2, $3), ($4, $5, $6)`: the placeholders of a multi-row `VALUES` list of `rows` rows
/// of `columns` values each, numbered from `$1`. Built once per shape: a sweep batch asks for
/// the same few shapes thousands of times.
pub fn values_placeholders(rows: usize, columns: usize) -> Arc<str> {
    static BUILT: Mutex<BTreeMap<(usize, usize), Arc<str>>> = Mutex::new(BTreeMap::new());
    let mut built = BUILT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    built
        .entry((rows, columns))
        .or_insert_with(|| {
            (0..rows)
                .map(|row| {
                    let numbers: Vec<String> = (1..=columns)
                        .map(|column| format!("${}", row * columns + column))
                        .collect();
                    format!("({})", numbers.join(", "))
                })
                .collect::<Vec<_>>()
                .join(", ")
                .into()
        })
        .clone()
}

/// Runs `statement` over `rows`, one multi-row statement per chunk ([`chunks_of`]): the chunk's
/// `VALUES` list (`columns` values a row) goes where `statement` says `{values}`, and `bind`
/// binds one row's values in column order.
///
/// A plain insert is written `{insert} table (…)`: `INSERT INTO` on PostgreSQL, `INSERT OR FAIL
/// INTO` on SQLite. With SQLite's default (`ABORT`), a statement that could fail after its
/// first rows must be undone alone, so SQLite first copies every page a multi-row insert
/// changes into a statement journal; `FAIL` keeps the rows before the failure instead, which
/// tenure never relies on: a failed statement fails its use case, whose savepoint or
/// transaction is rolled back whole. (An upsert's `DO UPDATE` runs as `ABORT` whatever the
/// statement says: upserts are written `INSERT INTO`.)
pub async fn execute_rows<'a, T>(
    connection: &mut Connection,
    statement: &str,
    columns: usize,
    rows: &'a [T],
    bind: impl Fn(Query<'a>, &'a T) -> Query<'a>,
) -> Result<(), DatabaseError> {
    let insert = connection.plain_insert();
    for chunk in chunks_of(rows, ROWS_PER_INSERT) {
        let sql = multi_row_statement(statement, insert, chunk.len(), columns);
        let mut values = query("");
        for row in chunk {
            values = bind(values, row);
        }
        connection.execute(&sql, &values.arguments).await?;
    }
    Ok(())
}

/// `statement` with the `VALUES` list of `rows` rows of `columns` values where it says
/// `{values}`. Built once per statement and length and kept: every HTTP order writes five
/// tables through [`execute_rows`], and making the text anew each time (a search, a copy, an
/// allocation) was about 5% of an order's instructions in its use case. Every text is
/// kept for the life of the process: callers pass the few fixed statements of the store.
fn multi_row_statement(
    statement: &str,
    insert: &'static str,
    rows: usize,
    columns: usize,
) -> Arc<str> {
    /// Finished texts by their statement, for one shape (insert verb, rows, columns).
    type Texts = BTreeMap<String, Arc<str>>;
    type Shape = (&'static str, usize, usize);
    static BUILT: Mutex<BTreeMap<Shape, Texts>> = Mutex::new(BTreeMap::new());
    let mut built = BUILT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let texts = built.entry((insert, rows, columns)).or_default();
    if let Some(sql) = texts.get(statement) {
        return sql.clone();
    }
    let sql: Arc<str> = statement
        .replace("{insert}", insert)
        .replace("{values}", &values_placeholders(rows, columns))
        .into();
    texts.insert(statement.to_string(), sql.clone());
    sql
}

/// `$1, $2, $3`: the placeholders of an `IN (…)` list of `count` values.
pub fn list_placeholders(count: usize) -> Arc<str> {
    // The same text as one row of `count` columns, without its parentheses.
    let row = values_placeholders(1, count);
    row[1..row.len() - 1].into()
}

/// What a statement that returns no rows did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Done {
    rows_affected: u64,
}

impl Done {
    pub fn rows_affected(&self) -> u64 {
        self.rows_affected
    }
}

impl<'a> Query<'a> {
    /// Binds the next placeholder.
    pub fn bind(mut self, value: impl Into<Argument<'a>>) -> Query<'a> {
        self.arguments.push(value.into());
        self
    }

    pub async fn execute(self, connection: &mut Connection) -> Result<Done, DatabaseError> {
        let rows_affected = connection.execute(&self.sql, &self.arguments).await?;
        Ok(Done { rows_affected })
    }

    pub async fn fetch_all(self, connection: &mut Connection) -> Result<Vec<Row>, DatabaseError> {
        connection
            .fetch(&self.sql, &self.arguments, usize::MAX)
            .await
    }

    pub async fn fetch_optional(
        self,
        connection: &mut Connection,
    ) -> Result<Option<Row>, DatabaseError> {
        let rows = connection.fetch(&self.sql, &self.arguments, 1).await?;
        Ok(rows.into_iter().next())
    }

    pub async fn fetch_one(self, connection: &mut Connection) -> Result<Row, DatabaseError> {
        self.fetch_optional(connection)
            .await?
            .ok_or(DatabaseError::RowNotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::multi_row_statement;
    use std::sync::Arc;

    #[test]
    fn a_multi_row_statement_is_built_once_per_statement_and_shape() {
        let statement = "INSERT INTO t (a, b) VALUES {values} ON CONFLICT DO NOTHING";
        let two_rows = multi_row_statement(statement, "INSERT INTO", 2, 2);
        assert_eq!(
            &*two_rows,
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4) ON CONFLICT DO NOTHING"
        );
        assert!(Arc::ptr_eq(
            &two_rows,
            &multi_row_statement(statement, "INSERT INTO", 2, 2)
        ));
        assert_eq!(
            &*multi_row_statement(statement, "INSERT INTO", 1, 2),
            "INSERT INTO t (a, b) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        );
        assert_eq!(
            &*multi_row_statement(
                "{insert} u (a) VALUES {values}",
                "INSERT OR FAIL INTO",
                2,
                2
            ),
            "INSERT OR FAIL INTO u (a) VALUES ($1, $2), ($3, $4)"
        );
    }
}
