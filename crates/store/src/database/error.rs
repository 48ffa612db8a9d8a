#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("postgres: {0}")]
    Postgres(#[from] sqlx::Error),
    /// A column missing from a row, or holding a value of another type than asked for.
    #[error("reading column `{column}`: {problem}")]
    Decode { column: String, problem: String },
    /// A statement that must return a row returned none.
    #[error("no row returned")]
    RowNotFound,
    #[error("{0}")]
    Other(String),
}

impl DatabaseError {
    /// A stored value that does not parse into what the code expects.
    pub fn decode(problem: impl std::fmt::Display) -> DatabaseError {
        DatabaseError::Decode {
            column: String::new(),
            problem: problem.to_string(),
        }
    }
}

/// PostgreSQL's codes for a transaction that lost to another and may simply run again:
/// `serialization_failure` and `deadlock_detected`.
const RETRYABLE_SQLSTATES: [&str; 2] = ["40001", "40P01"];

impl DatabaseError {
    /// Whether the transaction failed only because another one ran beside it: run again, it
    /// would succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            DatabaseError::Postgres(sqlx::Error::Database(error)) => error
                .code()
                .is_some_and(|code| RETRYABLE_SQLSTATES.contains(&code.as_ref())),
            _ => false,
        }
    }
}

/// PostgreSQL's classes and codes of a server that is gone or refuses writes for now, not of a
/// wrong request: `08` connection exceptions, `53` insufficient resources (a full disk, out of
/// memory, too many connections), `57P01`–`57P03` an administrator's shutdown or termination,
/// a crash shutdown, a server that cannot connect now, and `25006` a read-only transaction (a
/// standby after a failover, or writes switched off).
const UNAVAILABLE_SQLSTATE_CLASSES: [&str; 2] = ["08", "53"];
const UNAVAILABLE_SQLSTATES: [&str; 5] = ["57P01", "57P02", "57P03", "57P05", "25006"];

impl DatabaseError {
    /// Whether the database, not the request or tenure, failed: the connection was lost or
    /// could not be had, or the database cannot write now (a full disk, an I/O error, read
    /// only, locked past the busy timeout). The request changed nothing and may be sent again
    /// (answered 503 `busy`, never 500).
    pub fn is_unavailable(&self) -> bool {
        match self {
            DatabaseError::Postgres(error) => match error {
                sqlx::Error::Io(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed
                | sqlx::Error::Tls(_)
                | sqlx::Error::Protocol(_) => true,
                sqlx::Error::Database(error) => error.code().is_some_and(|code| {
                    UNAVAILABLE_SQLSTATES.contains(&code.as_ref())
                        || UNAVAILABLE_SQLSTATE_CLASSES
                            .iter()
                            .any(|class| code.starts_with(class))
                }),
                _ => false,
            },
            DatabaseError::Sqlite(rusqlite::Error::SqliteFailure(error, _)) => matches!(
                error.code,
                rusqlite::ErrorCode::DiskFull
                    | rusqlite::ErrorCode::SystemIoFailure
                    | rusqlite::ErrorCode::ReadOnly
                    | rusqlite::ErrorCode::DatabaseBusy
                    | rusqlite::ErrorCode::DatabaseLocked
                    | rusqlite::ErrorCode::CannotOpen
                    | rusqlite::ErrorCode::OutOfMemory
            ),
            _ => false,
        }
    }
}
