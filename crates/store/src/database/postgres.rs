//! PostgreSQL through sqlx: statements are prepared and cached per connection by the driver.

use std::sync::Arc;

use sqlx::postgres::{PgArguments, PgPoolOptions, PgRow};
use sqlx::query::Query as SqlxQuery;
use sqlx::{Column, PgConnection, PgPool, Postgres, Row as _, TypeInfo};

use super::error::DatabaseError;
use super::row::Row;
use super::value::{Argument, Value};

pub(crate) type PostgresPool = PgPool;

pub(crate) async fn connect(url: &str, max_connections: u32) -> Result<PgPool, DatabaseError> {
    match pool(url, max_connections).await {
        Err(sqlx::Error::Database(error)) if error.code().as_deref() == Some("3D000") => {
            create_database(url).await?;
            Ok(pool(url, max_connections).await?)
        }
        connected => Ok(connected?),
    }
}

async fn pool(url: &str, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(std::time::Duration::from_secs(30))
        .connect(url)
        .await
}

/// Creates the database `url` names, connected to the server's `postgres` database as the
/// URL's user; when the server does not allow it, says how to create it.
async fn create_database(url: &str) -> Result<(), DatabaseError> {
    use sqlx::Connection;
    let (server, rest) = url.rsplit_once('/').ok_or_else(|| {
        DatabaseError::Other(format!(
            "`{url}` names no database (postgres://USER@HOST:PORT/DATABASE)"
        ))
    })?;
    let (name, options) = rest
        .split_once('?')
        .map_or((rest, ""), |(name, options)| (name, options));
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(DatabaseError::Other(format!(
            "database `{name}` does not exist; create it (CREATE DATABASE) and start again"
        )));
    }
    let maintenance = if options.is_empty() {
        format!("{server}/postgres")
    } else {
        format!("{server}/postgres?{options}")
    };
    let how =
        format!("create it with `createdb {name}` (or CREATE DATABASE \"{name}\") and start again");
    let mut connection = sqlx::PgConnection::connect(&maintenance).await.map_err(|error| {
        DatabaseError::Other(format!("database `{name}` does not exist, and tenure could not reach the server's `postgres` database to create it ({error}): {how}"))
    })?;
    match sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut connection)
        .await
    {
        Ok(_) => {}
        // Another node made it first.
        Err(sqlx::Error::Database(error)) if error.code().as_deref() == Some("42P04") => {}
        Err(error) => {
            return Err(DatabaseError::Other(format!(
                "database `{name}` does not exist and could not be created ({error}): {how}"
            )))
        }
    }
    tracing::info!(database = name, "created the PostgreSQL database");
    Ok(())
}

fn bind<'q>(sql: &'q str, arguments: &'q [Argument]) -> SqlxQuery<'q, Postgres, PgArguments> {
    let mut query = sqlx::query(sql);
    for argument in arguments {
        query = match argument {
            Argument::Integer(integer) => query.bind(*integer),
            Argument::Text(text) => query.bind(text.as_deref()),
        };
    }
    query
}

pub(crate) async fn fetch(
    connection: &mut PgConnection,
    sql: &str,
    arguments: &[Argument<'_>],
    at_most: usize,
) -> Result<Vec<Row>, DatabaseError> {
    let rows = if at_most == 1 {
        bind(sql, arguments)
            .fetch_optional(connection)
            .await?
            .into_iter()
            .collect()
    } else {
        bind(sql, arguments).fetch_all(connection).await?
    };
    let Some(first) = rows.first() else {
        return Ok(Vec::new());
    };
    let columns: Arc<[String]> = first
        .columns()
        .iter()
        .map(|column| column.name().to_string())
        .collect();
    rows.iter()
        .map(|row| Ok(Row::new(columns.clone(), values(row)?)))
        .collect()
}

pub(crate) async fn execute(
    connection: &mut PgConnection,
    sql: &str,
    arguments: &[Argument<'_>],
) -> Result<u64, DatabaseError> {
    Ok(bind(sql, arguments)
        .execute(connection)
        .await?
        .rows_affected())
}

/// A row's values, by the type PostgreSQL gives each column.
fn values(row: &PgRow) -> Result<Vec<Value>, DatabaseError> {
    row.columns()
        .iter()
        .enumerate()
        .map(|(index, column)| {
            let integer = |value: Option<i64>| value.map_or(Value::Null, Value::Integer);
            Ok(match column.type_info().name() {
                "INT8" => integer(row.try_get::<Option<i64>, _>(index)?),
                "INT4" => integer(row.try_get::<Option<i32>, _>(index)?.map(i64::from)),
                "INT2" => integer(row.try_get::<Option<i16>, _>(index)?.map(i64::from)),
                "BOOL" => integer(row.try_get::<Option<bool>, _>(index)?.map(i64::from)),
                "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" => row
                    .try_get::<Option<String>, _>(index)?
                    .map_or(Value::Null, Value::Text),
                "VOID" => Value::Null,
                other => {
                    return Err(DatabaseError::Decode {
                        column: column.name().to_string(),
                        problem: format!("unsupported PostgreSQL type {other}"),
                    })
                }
            })
        })
        .collect()
}
