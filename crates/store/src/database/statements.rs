//! Running a statement on a SQLite connection through rusqlite's statement API: prepared once
//! per connection and kept in rusqlite's cache, its values bound by number, its rows read as
//! [`Value`]s.
//!
//! tenure writes one SQL text for both databases with PostgreSQL's `$1…$n` placeholders.
//! SQLite takes `$1` as it ships, as a *named* parameter, and numbers its parameters in the
//! order their names first appear: `$2` may be SQLite's parameter 1. So each statement's
//! parameters are mapped once, by their names, to the values they take ([`Shape`]), and
//! bound by SQLite's index (binding by name would search the names at every value, quadratic
//! over a multi-row insert's hundreds of placeholders).

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::types::ValueRef;

use super::error::DatabaseError;
use super::row::Row;
use super::statement_times::StatementTimer;
use super::value::{Argument, Value};

/// Prepared statements kept per connection: every statement tenure runs, and the multi-row
/// ones in the few lengths they come in.
const STATEMENTS_KEPT: usize = 1024;

/// A SQLite connection, and what is known of the statements run on it.
pub(crate) struct SqliteConnection {
    connection: rusqlite::Connection,
    shapes: RefCell<HashMap<Box<str>, Shape, foldhash::fast::RandomState>>,
}

/// A statement's parameters and result columns, read once from its first preparation.
struct Shape {
    /// For each of SQLite's parameters (its index minus one), the argument it takes (the `N`
    /// of its name `$N`, minus one).
    arguments: Vec<usize>,
    /// The result's column names.
    columns: Arc<[String]>,
}

impl Shape {
    fn of(statement: &rusqlite::Statement<'_>) -> Result<Shape, DatabaseError> {
        let arguments = (1..=statement.parameter_count())
            .map(|index| {
                let name = statement.parameter_name(index).unwrap_or("?");
                name.strip_prefix('$')
                    .and_then(|number| number.parse::<usize>().ok())
                    .filter(|&number| number > 0)
                    .map(|number| number - 1)
                    .ok_or_else(|| {
                        DatabaseError::Other(format!(
                            "placeholder `{name}`: tenure's statements number theirs $1, $2, …"
                        ))
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(Shape {
            arguments,
            columns: column_names(statement),
        })
    }
}

fn column_names(statement: &rusqlite::Statement<'_>) -> Arc<[String]> {
    statement
        .column_names()
        .into_iter()
        .map(str::to_string)
        .collect()
}

impl SqliteConnection {
    pub(crate) fn new(connection: rusqlite::Connection) -> SqliteConnection {
        connection.set_prepared_statement_cache_capacity(STATEMENTS_KEPT);
        SqliteConnection {
            connection,
            shapes: RefCell::new(HashMap::default()),
        }
    }

    /// Runs `sql` with `arguments`, handing each row to `row` until it returns `false` or the
    /// statement is done.
    pub(crate) fn run(
        &self,
        sql: &str,
        arguments: &[Argument<'_>],
        mut row: impl FnMut(&Arc<[String]>, &rusqlite::Row<'_>) -> Result<bool, DatabaseError>,
    ) -> Result<(), DatabaseError> {
        let _timer = StatementTimer::start(sql);
        let mut statement = self.connection.prepare_cached(sql)?;
        let mut shapes = self.shapes.borrow_mut();
        let shape = match shapes.get_mut(sql) {
            Some(shape) => shape,
            None => {
                if shapes.len() >= STATEMENTS_KEPT {
                    shapes.clear();
                }
                shapes.entry(sql.into()).or_insert(Shape::of(&statement)?)
            }
        };
        for (index, &argument) in shape.arguments.iter().enumerate() {
            let value = arguments.get(argument).ok_or_else(|| {
                DatabaseError::Other(format!(
                    "placeholder ${} has no value ({} bound)",
                    argument + 1,
                    arguments.len()
                ))
            })?;
            match value {
                Argument::Integer(integer) => statement.raw_bind_parameter(index + 1, integer)?,
                Argument::Text(text) => statement.raw_bind_parameter(index + 1, text.as_deref())?,
            }
        }
        let mut columns = shape.columns.clone();
        drop(shapes);
        let mut rows = statement.raw_query();
        let mut first_row = true;
        while let Some(next) = rows.next()? {
            if first_row {
                first_row = false;
                // The first step is where SQLite prepares a statement again if the schema
                // changed under it, and a `SELECT *` then returns other columns.
                let statement: &rusqlite::Statement<'_> = next.as_ref();
                if statement.column_count() != columns.len() {
                    columns = column_names(statement);
                    if let Some(shape) = self.shapes.borrow_mut().get_mut(sql) {
                        shape.columns = columns.clone();
                    }
                }
            }
            if !row(&columns, next)? {
                break;
            }
        }
        Ok(())
    }
}

impl std::ops::Deref for SqliteConnection {
    type Target = rusqlite::Connection;
    fn deref(&self) -> &rusqlite::Connection {
        &self.connection
    }
}

/// A row's values, in column order.
fn values(columns: &[String], row: &rusqlite::Row<'_>) -> Result<Vec<Value>, DatabaseError> {
    (0..columns.len())
        .map(|index| match row.get_ref(index)? {
            ValueRef::Null => Ok(Value::Null),
            ValueRef::Integer(integer) => Ok(Value::Integer(integer)),
            ValueRef::Text(bytes) => Ok(Value::Text(
                std::str::from_utf8(bytes)
                    .map_err(DatabaseError::decode)?
                    .to_string(),
            )),
            ValueRef::Real(_) | ValueRef::Blob(_) => Err(DatabaseError::Decode {
                column: columns[index].clone(),
                problem: "tenure stores only integers and text".to_string(),
            }),
        })
        .collect()
}

/// Rows of `sql`, at most `at_most`.
pub(crate) fn fetch(
    connection: &SqliteConnection,
    sql: &str,
    arguments: &[Argument<'_>],
    at_most: usize,
) -> Result<Vec<Row>, DatabaseError> {
    let mut fetched = Vec::new();
    if at_most == 0 {
        return Ok(fetched);
    }
    connection.run(sql, arguments, |columns, row| {
        fetched.push(Row::new(columns.clone(), values(columns, row)?));
        Ok(fetched.len() < at_most)
    })?;
    Ok(fetched)
}

/// Runs `sql` to its end (so a statement that also returns rows, a PRAGMA or a SELECT run for
/// its effect, completes as well) and returns the rows it changed.
pub(crate) fn execute(
    connection: &SqliteConnection,
    sql: &str,
    arguments: &[Argument<'_>],
) -> Result<u64, DatabaseError> {
    connection.run(sql, arguments, |_, _| Ok(true))?;
    Ok(connection.changes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connection() -> (tempfile::TempDir, SqliteConnection) {
        let folder = tempfile::tempdir().unwrap();
        let connection =
            SqliteConnection::new(super::super::sqlite::open(&folder.path().join("t.db")).unwrap());
        (folder, connection)
    }

    /// A connection with a table `t` of numbered, nullable texts.
    fn connection_with_texts() -> (tempfile::TempDir, SqliteConnection) {
        let (folder, connection) = connection();
        execute(
            &connection,
            "CREATE TABLE t (n INTEGER PRIMARY KEY, body TEXT)",
            &[],
        )
        .unwrap();
        (folder, connection)
    }

    fn text(value: &str) -> Argument<'static> {
        Argument::Text(Some(value.to_string().into()))
    }

    fn texts(connection: &SqliteConnection, sql: &str) -> Vec<Option<String>> {
        fetch(connection, sql, &[], usize::MAX)
            .unwrap()
            .iter()
            .map(|row| row.try_get::<Option<String>>("body").unwrap())
            .collect()
    }

    #[test]
    fn texts_are_stored_whole_and_a_kept_statement_binds_anew_each_run() {
        let (_folder, connection) = connection_with_texts();
        let bodies = ["first", "", "é ünïcode ✓", &"long ".repeat(2_000)];
        for (n, body) in bodies.iter().enumerate() {
            let arguments = vec![Argument::Integer(Some(n as i64)), text(body)];
            assert_eq!(
                execute(
                    &connection,
                    "INSERT INTO t (n, body) VALUES ($1, $2)",
                    &arguments
                )
                .unwrap(),
                1
            );
        }
        execute(
            &connection,
            "INSERT INTO t (n, body) VALUES ($1, $2)",
            &[Argument::Integer(Some(9)), Argument::Text(None)],
        )
        .unwrap();
        let mut expected: Vec<Option<String>> =
            bodies.iter().map(|body| Some(body.to_string())).collect();
        expected.push(None);
        assert_eq!(
            texts(&connection, "SELECT body FROM t ORDER BY n"),
            expected
        );
    }

    #[test]
    fn a_kept_statement_given_too_few_values_is_refused_and_writes_nothing() {
        let (_folder, connection) = connection_with_texts();
        let insert = "INSERT INTO t (n, body) VALUES ($1, $2)";
        execute(
            &connection,
            insert,
            &[Argument::Integer(Some(1)), text("first")],
        )
        .unwrap();
        let error = execute(&connection, insert, &[Argument::Integer(Some(2))]).unwrap_err();
        assert!(error.to_string().contains("$2 has no value"), "{error}");
        assert_eq!(
            texts(&connection, "SELECT body FROM t ORDER BY n"),
            vec![Some("first".to_string())]
        );
    }

    #[test]
    fn a_placeholder_not_numbered_is_refused() {
        let (_folder, connection) = connection();
        let error = fetch(&connection, "SELECT :name AS n", &[text("x")], 1).unwrap_err();
        assert!(error.to_string().contains(":name"), "{error}");
    }

    #[test]
    fn a_fetch_that_stops_early_leaves_the_statement_ready_for_its_next_run() {
        let (_folder, connection) = connection();
        execute(&connection, "CREATE TABLE t (n INTEGER PRIMARY KEY)", &[]).unwrap();
        for n in 0..10 {
            execute(
                &connection,
                "INSERT INTO t (n) VALUES ($1)",
                &[Argument::Integer(Some(n))],
            )
            .unwrap();
        }
        let sql = "SELECT n FROM t WHERE n >= $1 ORDER BY n";
        let first = fetch(&connection, sql, &[Argument::Integer(Some(0))], 2).unwrap();
        assert_eq!(first.len(), 2);
        let rest = fetch(&connection, sql, &[Argument::Integer(Some(7))], usize::MAX).unwrap();
        let numbers: Vec<i64> = rest.iter().map(|row| row.try_get("n").unwrap()).collect();
        assert_eq!(numbers, vec![7, 8, 9]);
        // A write after a read left half-way is not refused as "statements in progress".
        execute(&connection, "BEGIN IMMEDIATE", &[]).unwrap();
        execute(&connection, "COMMIT", &[]).unwrap();
    }

    #[test]
    fn a_failed_statement_reports_sqlites_error_and_runs_again_afterwards() {
        let (_folder, connection) = connection();
        execute(
            &connection,
            "CREATE TABLE t (n INTEGER PRIMARY KEY, body TEXT NOT NULL)",
            &[],
        )
        .unwrap();
        let insert = "INSERT INTO t (n, body) VALUES ($1, $2)";
        let error = execute(
            &connection,
            insert,
            &[Argument::Integer(Some(1)), Argument::Text(None)],
        )
        .unwrap_err();
        assert!(
            matches!(
                &error,
                DatabaseError::Sqlite(rusqlite::Error::SqliteFailure(failure, Some(message)))
                    if failure.code == rusqlite::ErrorCode::ConstraintViolation
                        && message.contains("t.body")
            ),
            "{error:?}"
        );
        execute(
            &connection,
            insert,
            &[Argument::Integer(Some(1)), text("kept")],
        )
        .unwrap();
        assert_eq!(
            texts(&connection, "SELECT body FROM t"),
            vec![Some("kept".to_string())]
        );
    }

    #[test]
    fn a_kept_statement_sees_the_columns_a_schema_change_added() {
        let (_folder, connection) = connection();
        execute(&connection, "CREATE TABLE t (body TEXT)", &[]).unwrap();
        execute(&connection, "INSERT INTO t (body) VALUES ('a')", &[]).unwrap();
        let all = "SELECT * FROM t";
        assert_eq!(fetch(&connection, all, &[], 1).unwrap().len(), 1);
        execute(&connection, "ALTER TABLE t ADD COLUMN extra TEXT", &[]).unwrap();
        execute(&connection, "UPDATE t SET extra = 'b'", &[]).unwrap();
        let rows = fetch(&connection, all, &[], 1).unwrap();
        assert_eq!(rows[0].try_get::<String>("body").unwrap(), "a");
        assert_eq!(rows[0].try_get::<String>("extra").unwrap(), "b");
    }
}
