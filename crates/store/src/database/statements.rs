//! Running a statement on a SQLite connection: prepared once per connection and kept, its
//! values bound without a copy, its rows read as [`Value`]s.
//!
//! Below rusqlite's statement API, for one reason: rusqlite binds every text value with
//! `SQLITE_TRANSIENT`, which makes SQLite copy it into memory of its own, and clears the
//! bindings (freeing the copies) each time a cached statement is put back. Bound here with
//! `SQLITE_STATIC`, SQLite reads the text where it is, in the arguments, which outlive the
//! statement's run: `sqlite3_bind_text` and rusqlite's binding around it were 10% of a
//! simulated year's instructions. The connection itself, its settings and everything else
//! stay rusqlite's.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{c_char, c_int, CStr};
use std::ops::Deref;
use std::ptr::NonNull;
use std::sync::Arc;

use rusqlite::ffi;

use super::error::DatabaseError;
use super::row::Row;
use super::statement_times::StatementTimer;
use super::value::{Argument, Value};

/// Prepared statements kept per connection: every statement tenure runs, and the multi-row
/// ones in the few lengths they come in. Past it (never, in practice) they are all dropped
/// and prepared again as used.
const STATEMENTS_KEPT: usize = 1024;

/// A SQLite connection with the statements prepared on it.
pub(crate) struct SqliteConnection {
    /// Declared first, so dropped first: a statement must be finalized before its connection
    /// is closed.
    statements: RefCell<HashMap<Box<str>, Prepared, foldhash::fast::RandomState>>,
    connection: rusqlite::Connection,
}

impl SqliteConnection {
    pub(crate) fn new(connection: rusqlite::Connection) -> SqliteConnection {
        SqliteConnection {
            statements: RefCell::new(HashMap::default()),
            connection,
        }
    }

    /// Runs `sql` with `arguments`, handing each row to `row` until it returns `false` or the
    /// statement is done. The statement is reset afterwards, whatever happened.
    pub(crate) fn run(
        &self,
        sql: &str,
        arguments: &[Argument<'_>],
        row: impl FnMut(&Arc<[String]>, &RowReader) -> Result<bool, DatabaseError>,
    ) -> Result<(), DatabaseError> {
        let mut statements = self.statements.borrow_mut();
        // A kept statement is found with one hash of its text (a multi-row insert's is
        // several kilobytes).
        if let Some(prepared) = statements.get_mut(sql) {
            return run_prepared(&self.connection, prepared, arguments, row);
        }
        if statements.len() >= STATEMENTS_KEPT {
            statements.clear();
        }
        let prepared = Prepared::new(&self.connection, &super::sqlite::for_sqlite(sql))?;
        let prepared = statements.entry(sql.into()).or_insert(prepared);
        run_prepared(&self.connection, prepared, arguments, row)
    }
}

/// Binds `arguments` to `prepared`, steps it, and hands each row to `row` (see
/// [`SqliteConnection::run`]).
fn run_prepared(
    connection: &rusqlite::Connection,
    prepared: &mut Prepared,
    arguments: &[Argument<'_>],
    mut row: impl FnMut(&Arc<[String]>, &RowReader) -> Result<bool, DatabaseError>,
) -> Result<(), DatabaseError> {
    let _timer = StatementTimer::start(prepared.statement);
    let running = Running::bind(connection, prepared.statement, arguments)?;
    let mut first_row = true;
    loop {
        // SAFETY: the statement is this connection's, prepared and bound above.
        match unsafe { ffi::sqlite3_step(running.statement.as_ptr()) } {
            ffi::SQLITE_ROW => {
                if first_row {
                    // The first step is where SQLite prepares it again if it must.
                    prepared.refresh_columns();
                    first_row = false;
                }
                let reader = RowReader {
                    statement: running.statement,
                    columns: &prepared.columns,
                };
                if !row(&prepared.columns, &reader)? {
                    return Ok(());
                }
            }
            ffi::SQLITE_DONE => return Ok(()),
            code => return Err(error(connection, code)),
        }
    }
}

impl Deref for SqliteConnection {
    type Target = rusqlite::Connection;
    fn deref(&self) -> &rusqlite::Connection {
        &self.connection
    }
}

/// The error SQLite reports for `code` on `connection`, as rusqlite would make it.
fn error(connection: &rusqlite::Connection, code: c_int) -> DatabaseError {
    // SAFETY: the connection is open; SQLite's message is copied before anything else runs on
    // it.
    let message = unsafe {
        let text = ffi::sqlite3_errmsg(connection.handle());
        (!text.is_null()).then(|| CStr::from_ptr(text).to_string_lossy().into_owned())
    };
    DatabaseError::Sqlite(rusqlite::Error::SqliteFailure(
        ffi::Error::new(code),
        message,
    ))
}

/// A prepared statement, finalized when dropped.
struct Prepared {
    statement: NonNull<ffi::sqlite3_stmt>,
    /// Its result's column names, read once.
    columns: Arc<[String]>,
}

// SAFETY: a statement is used only through its connection, which one thread uses at a time (the
// writer behind a lock, a reader checked out of its pool), and moves with it.
unsafe impl Send for Prepared {}

impl Prepared {
    fn new(connection: &rusqlite::Connection, sql: &str) -> Result<Prepared, DatabaseError> {
        let length = c_int::try_from(sql.len())
            .map_err(|_| DatabaseError::Other("statement text too long".to_string()))?;
        let mut statement = std::ptr::null_mut();
        // SAFETY: the text and its length are the caller's; SQLite writes the statement (or
        // null) into `statement`. Persistent: it is kept for the connection's life.
        let code = unsafe {
            ffi::sqlite3_prepare_v3(
                connection.handle(),
                sql.as_ptr() as *const c_char,
                length,
                ffi::SQLITE_PREPARE_PERSISTENT as _,
                &mut statement,
                std::ptr::null_mut(),
            )
        };
        if code != ffi::SQLITE_OK {
            return Err(error(connection, code));
        }
        let statement = NonNull::new(statement)
            .ok_or_else(|| DatabaseError::Other(format!("no statement in `{sql}`")))?;
        let mut prepared = Prepared {
            statement,
            columns: Arc::from(Vec::new()),
        };
        prepared.columns = prepared.read_columns();
        Ok(prepared)
    }

    fn read_columns(&self) -> Arc<[String]> {
        // SAFETY: a prepared statement; SQLite's names are copied at once.
        unsafe {
            let count = ffi::sqlite3_column_count(self.statement.as_ptr());
            (0..count)
                .map(|index| {
                    let name = ffi::sqlite3_column_name(self.statement.as_ptr(), index);
                    if name.is_null() {
                        String::new()
                    } else {
                        CStr::from_ptr(name).to_string_lossy().into_owned()
                    }
                })
                .collect()
        }
    }

    /// SQLite prepares a statement again when the schema changes under it, and a `SELECT *`
    /// then returns other columns.
    fn refresh_columns(&mut self) {
        // SAFETY: a prepared statement.
        let count = unsafe { ffi::sqlite3_column_count(self.statement.as_ptr()) } as usize;
        if count != self.columns.len() {
            self.columns = self.read_columns();
        }
    }
}

impl Drop for Prepared {
    fn drop(&mut self) {
        // SAFETY: the statement is finalized once, here, before its connection closes (see
        // `SqliteConnection::statements`).
        unsafe { ffi::sqlite3_finalize(self.statement.as_ptr()) };
    }
}

/// A statement with values bound, between its binding and its reset. The values are bound
/// without a copy (`SQLITE_STATIC`): they belong to the caller's arguments, which live longer
/// than this. Dropping it resets the statement but leaves the bindings: SQLite reads a bound
/// value only while the statement steps, and every run binds every parameter before its first
/// step ([`Running::bind`] refuses arguments that leave one out), so a pointer left from an
/// earlier run is never read. Clearing them after every run was 1% of a simulated year.
struct Running {
    statement: NonNull<ffi::sqlite3_stmt>,
}

impl Running {
    fn bind(
        connection: &rusqlite::Connection,
        statement: NonNull<ffi::sqlite3_stmt>,
        arguments: &[Argument<'_>],
    ) -> Result<Running, DatabaseError> {
        let running = Running { statement };
        // SAFETY: a prepared statement of `connection`.
        let expected = unsafe { ffi::sqlite3_bind_parameter_count(statement.as_ptr()) } as usize;
        if expected > arguments.len() {
            return Err(DatabaseError::Other(format!(
                "placeholder ${expected} has no value ({} bound)",
                arguments.len()
            )));
        }
        for (index, argument) in arguments.iter().enumerate().take(expected) {
            let position = index as c_int + 1;
            let pointer = statement.as_ptr();
            // SAFETY: `position` is one of the statement's parameters. A text is bound where it
            // is (`SQLITE_STATIC`): the arguments outlive `running`, whose drop clears it.
            let code = unsafe {
                match argument {
                    Argument::Integer(Some(integer)) => {
                        ffi::sqlite3_bind_int64(pointer, position, *integer)
                    }
                    Argument::Text(Some(text)) => {
                        let length = c_int::try_from(text.len()).map_err(|_| {
                            DatabaseError::Other("a text value too long for SQLite".to_string())
                        })?;
                        // An empty `String` points nowhere in particular; "" lives forever.
                        let start: &str = if text.is_empty() { "" } else { text };
                        ffi::sqlite3_bind_text(
                            pointer,
                            position,
                            start.as_ptr() as *const c_char,
                            length,
                            ffi::SQLITE_STATIC(),
                        )
                    }
                    Argument::Integer(None) | Argument::Text(None) => {
                        ffi::sqlite3_bind_null(pointer, position)
                    }
                }
            };
            if code != ffi::SQLITE_OK {
                return Err(error(connection, code));
            }
        }
        Ok(running)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // SAFETY: the statement is prepared and belongs to the connection the caller holds.
        // Its reset's code repeats the step's error, already reported.
        unsafe {
            ffi::sqlite3_reset(self.statement.as_ptr());
        }
    }
}

/// The current row of a running statement.
pub(crate) struct RowReader<'a> {
    statement: NonNull<ffi::sqlite3_stmt>,
    columns: &'a Arc<[String]>,
}

impl RowReader<'_> {
    /// The row's values, in column order.
    pub(crate) fn values(&self) -> Result<Vec<Value>, DatabaseError> {
        let pointer = self.statement.as_ptr();
        (0..self.columns.len())
            .map(|index| {
                let column = index as c_int;
                // SAFETY: the statement is on a row (`SQLITE_ROW`) with these columns; a text
                // is copied before the next call on the statement.
                unsafe {
                    match ffi::sqlite3_column_type(pointer, column) {
                        ffi::SQLITE_NULL => Ok(Value::Null),
                        ffi::SQLITE_INTEGER => {
                            Ok(Value::Integer(ffi::sqlite3_column_int64(pointer, column)))
                        }
                        ffi::SQLITE_TEXT => {
                            let text = ffi::sqlite3_column_text(pointer, column);
                            let length = ffi::sqlite3_column_bytes(pointer, column) as usize;
                            let bytes = if text.is_null() {
                                &[][..]
                            } else {
                                std::slice::from_raw_parts(text, length)
                            };
                            Ok(Value::Text(
                                std::str::from_utf8(bytes)
                                    .map_err(DatabaseError::decode)?
                                    .to_string(),
                            ))
                        }
                        _ => Err(DatabaseError::Decode {
                            column: self.columns[index].clone(),
                            problem: "tenure stores only integers and text".to_string(),
                        }),
                    }
                }
            })
            .collect()
    }
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
        fetched.push(Row::new(columns.clone(), row.values()?));
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
    fn texts_bound_in_place_are_stored_whole_and_the_statement_binds_anew_each_run() {
        let (_folder, connection) = connection_with_texts();
        let bodies = ["first", "", "é ünïcode ✓", &"long ".repeat(2_000)];
        for (n, body) in bodies.iter().enumerate() {
            // The arguments are dropped after each run, the statement kept and bound again.
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

    /// The bindings are left in place after a run (see [`Running`]): a run that would leave a
    /// parameter unbound is refused before it steps, so it cannot read the last run's value.
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
