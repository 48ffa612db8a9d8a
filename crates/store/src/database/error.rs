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
