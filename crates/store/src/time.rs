use jiff::Timestamp;

/// Times are stored as whole Unix seconds.
pub fn to_seconds(timestamp: Timestamp) -> i64 {
    timestamp.as_second()
}

pub fn from_seconds(seconds: i64) -> Timestamp {
    Timestamp::from_second(seconds).expect("stored times are valid Unix seconds")
}

/// The seconds of `from`, or the least there are. Due queries take a lower bound because on
/// PostgreSQL an index entry a transaction has moved (a step sets the next due time) stays in
/// the index until the transaction ends, and a scan from the start of the index visits each
/// one: a simulated clock taking thousands of moments in one transaction spent milliseconds
/// per moment walking over the moments already taken. (SQLite moves the entry at once.)
pub fn lower_bound_seconds(from: Option<Timestamp>) -> i64 {
    from.map(to_seconds).unwrap_or(i64::MIN)
}
