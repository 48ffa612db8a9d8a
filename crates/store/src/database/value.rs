//! What goes into a statement ([`Argument`]) and what comes out of a row ([`Value`]).

/// A value bound to a placeholder. A null keeps its type, because PostgreSQL checks the type of
/// every bound value, nulls included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Argument {
    Integer(Option<i64>),
    Text(Option<String>),
}

/// A value read from a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Null,
    Integer(i64),
    Text(String),
}

impl From<i64> for Argument {
    fn from(value: i64) -> Self {
        Argument::Integer(Some(value))
    }
}

impl From<&i64> for Argument {
    fn from(value: &i64) -> Self {
        Argument::Integer(Some(*value))
    }
}

impl From<Option<i64>> for Argument {
    fn from(value: Option<i64>) -> Self {
        Argument::Integer(value)
    }
}

impl From<bool> for Argument {
    fn from(value: bool) -> Self {
        Argument::Integer(Some(i64::from(value)))
    }
}

impl From<String> for Argument {
    fn from(value: String) -> Self {
        Argument::Text(Some(value))
    }
}

impl From<&String> for Argument {
    fn from(value: &String) -> Self {
        Argument::Text(Some(value.clone()))
    }
}

impl From<&str> for Argument {
    fn from(value: &str) -> Self {
        Argument::Text(Some(value.to_string()))
    }
}

impl From<&&str> for Argument {
    fn from(value: &&str) -> Self {
        Argument::Text(Some(value.to_string()))
    }
}

impl From<Option<String>> for Argument {
    fn from(value: Option<String>) -> Self {
        Argument::Text(value)
    }
}

impl From<&Option<String>> for Argument {
    fn from(value: &Option<String>) -> Self {
        Argument::Text(value.clone())
    }
}

impl From<Option<&str>> for Argument {
    fn from(value: Option<&str>) -> Self {
        Argument::Text(value.map(str::to_string))
    }
}

impl From<Option<&String>> for Argument {
    fn from(value: Option<&String>) -> Self {
        Argument::Text(value.cloned())
    }
}
