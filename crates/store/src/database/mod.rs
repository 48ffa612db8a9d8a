//! The one way tenure talks to its database: a statement with `$1…$n` placeholders, values bound
//! to them, and rows of plain values read back by column name. The same SQL runs on both
//! backends:
//!
//! - **SQLite** through rusqlite, executed on the calling thread: a statement
//!   costs what SQLite costs, with no hop to a driver thread and back. One writer connection
//!   (SQLite has one writer anyway) and a small set of reader connections (WAL lets them read
//!   beside the writer).
//! - **PostgreSQL** through sqlx's asynchronous driver and its connection pool.
//!
//! Values are deliberately few: integers (`BIGINT`: times as Unix seconds, money as minor units)
//! and text. Both databases agree on them exactly.

mod connection;
mod error;
mod postgres;
mod query;
mod row;
mod sqlite;
pub mod statement_times;
mod statements;
mod value;

pub use connection::Connection;
pub(crate) use connection::Inner;
pub use error::DatabaseError;
pub(crate) use postgres::{connect as connect_postgres, PostgresPool};
pub use query::{
    chunks_of, execute_rows, list_placeholders, query, values_placeholders, Done, Query,
    ROWS_PER_INSERT,
};
pub use row::{FromValue, Row};
pub(crate) use sqlite::{
    commit as commit_sqlite, foreign_keys_resolved, open as open_sqlite_file,
    path_of as sqlite_path_of, rollback as rollback_sqlite, SqliteDatabase,
};
pub use value::{Argument, Value};

#[cfg(test)]
mod tests;
