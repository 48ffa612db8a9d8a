use super::connection::Connection;
use super::error::DatabaseError;
use super::row::Row;
use super::value::Argument;

/// A statement and the values bound to its `$1…$n` placeholders, in order.
#[must_use = "a query does nothing until it is executed or fetched"]
pub struct Query {
    sql: String,
    arguments: Vec<Argument>,
}

/// Starts a statement. Placeholders are `$1`, `$2`…; a number may appear more than once.
pub fn query(sql: &str) -> Query {
    Query {
        sql: sql.to_string(),
        arguments: Vec::new(),
    }
}

/// Rows per multi-row INSERT: far below either database's limit on bound values, and few
/// enough different statement lengths to stay in the prepared-statement cache.
pub const ROWS_PER_INSERT: usize = 100;

/// `($1, $2, $3), ($4, $5, $6)`: the placeholders of a multi-row `VALUES` list of `rows` rows
/// of `columns` values each, numbered from `$1`.
pub fn values_placeholders(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|row| {
            let numbers: Vec<String> = (1..=columns)
                .map(|column| format!("${}", row * columns + column))
                .collect();
            format!("({})", numbers.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
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

impl Query {
    /// Binds the next placeholder.
    pub fn bind(mut self, value: impl Into<Argument>) -> Query {
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
