use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, Postgres, Transaction};

use super::error::DatabaseError;
use super::row::Row;
use super::sqlite::SqliteHandle;
use super::value::Argument;
use super::{postgres, sqlite};

/// A connection to either database: for reads ([`crate::Store::read`]) or inside a write
/// transaction ([`crate::Tx`] dereferences to one).
pub struct Connection {
    pub(crate) inner: Inner,
    /// A statement failed with a deadlock or a serialization failure: the transaction cannot
    /// go on, and its work must run again in a new one (see `group_commit`).
    pub(crate) failed_retryably: bool,
    /// A statement failed because the database did (see [`DatabaseError::is_unavailable`]):
    /// why, for the store's count of failed writes.
    pub(crate) failed_unavailable: Option<String>,
}

pub(crate) enum Inner {
    Sqlite(SqliteHandle),
    PostgresRead(PoolConnection<Postgres>),
    PostgresTransaction(Transaction<'static, Postgres>),
    /// A transaction already committed: nothing may run on it.
    Finished,
}

impl Connection {
    pub(crate) fn new(inner: Inner) -> Connection {
        Connection {
            inner,
            failed_retryably: false,
            failed_unavailable: None,
        }
    }

    /// Which database this connection talks to (a finished transaction's was PostgreSQL's:
    /// SQLite's handle outlives its commits).
    pub(crate) fn dialect(&self) -> crate::Dialect {
        match self.inner {
            Inner::Sqlite(_) => crate::Dialect::Sqlite,
            _ => crate::Dialect::Postgres,
        }
    }

    /// How a plain insert of several rows begins here (see [`super::execute_rows`]).
    pub(crate) fn plain_insert(&self) -> &'static str {
        match self.inner {
            Inner::Sqlite(_) => "INSERT OR FAIL INTO",
            _ => "INSERT INTO",
        }
    }

    /// Notes a failure that calls for the transaction to run again.
    fn noted<T>(&mut self, result: Result<T, DatabaseError>) -> Result<T, DatabaseError> {
        if let Err(error) = &result {
            self.failed_retryably |= error.is_retryable();
            if error.is_unavailable() {
                self.failed_unavailable = Some(error.to_string());
            }
        }
        result
    }

    fn postgres(&mut self) -> Result<&mut PgConnection, DatabaseError> {
        match &mut self.inner {
            Inner::PostgresRead(connection) => Ok(&mut **connection),
            Inner::PostgresTransaction(transaction) => Ok(&mut **transaction),
            Inner::Sqlite(_) | Inner::Finished => Err(finished()),
        }
    }

    /// Runs a statement and returns at most `at_most` of its rows.
    pub(crate) async fn fetch(
        &mut self,
        sql: &str,
        arguments: &[Argument<'_>],
        at_most: usize,
    ) -> Result<Vec<Row>, DatabaseError> {
        match &self.inner {
            Inner::Sqlite(handle) => {
                let result = sqlite::fetch(handle, sql, arguments, at_most);
                self.noted(result)
            }
            Inner::Finished => Err(finished()),
            _ => {
                let result = postgres::fetch(self.postgres()?, sql, arguments, at_most).await;
                self.noted(result)
            }
        }
    }

    /// Runs a statement and returns how many rows it changed.
    pub(crate) async fn execute(
        &mut self,
        sql: &str,
        arguments: &[Argument<'_>],
    ) -> Result<u64, DatabaseError> {
        match &self.inner {
            Inner::Sqlite(handle) => {
                let result = sqlite::execute(handle, sql, arguments);
                self.noted(result)
            }
            Inner::Finished => Err(finished()),
            _ => {
                let result = postgres::execute(self.postgres()?, sql, arguments).await;
                self.noted(result)
            }
        }
    }
}

fn finished() -> DatabaseError {
    DatabaseError::Other("the transaction has already ended".to_string())
}
