use std::sync::Arc;

use super::error::DatabaseError;
use super::value::Value;

/// One row of a result: its values, read by column name.
#[derive(Debug, Clone)]
pub struct Row {
    columns: Arc<[String]>,
    values: Vec<Value>,
}

impl Row {
    pub(crate) fn new(columns: Arc<[String]>, values: Vec<Value>) -> Row {
        Row { columns, values }
    }

    /// The value of `column`, converted to `T`; an error names the column if it is missing or
    /// holds another type.
    pub fn try_get<T: FromValue>(&self, column: &str) -> Result<T, DatabaseError> {
        let index = self
            .columns
            .iter()
            .position(|name| name == column)
            .ok_or_else(|| DatabaseError::Decode {
                column: column.to_string(),
                problem: "no such column in the result".to_string(),
            })?;
        T::from_value(&self.values[index]).map_err(|problem| DatabaseError::Decode {
            column: column.to_string(),
            problem,
        })
    }
}

/// A Rust type a column value converts into.
pub trait FromValue: Sized {
    fn from_value(value: &Value) -> Result<Self, String>;
}

impl FromValue for i64 {
    fn from_value(value: &Value) -> Result<Self, String> {
        match value {
            Value::Integer(integer) => Ok(*integer),
            other => Err(format!("expected an integer, found {other:?}")),
        }
    }
}

impl FromValue for String {
    fn from_value(value: &Value) -> Result<Self, String> {
        match value {
            Value::Text(text) => Ok(text.clone()),
            other => Err(format!("expected text, found {other:?}")),
        }
    }
}

impl FromValue for bool {
    fn from_value(value: &Value) -> Result<Self, String> {
        i64::from_value(value).map(|integer| integer != 0)
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: &Value) -> Result<Self, String> {
        match value {
            Value::Null => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}
