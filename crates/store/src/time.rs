use jiff::Timestamp;

/// Times are stored as whole Unix seconds.
pub fn to_seconds(timestamp: Timestamp) -> i64 {
    timestamp.as_second()
}

pub fn from_seconds(seconds: i64) -> Timestamp {
    Timestamp::from_second(seconds).expect("stored times are valid Unix seconds")
}
