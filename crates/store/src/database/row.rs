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
        let index = self.index_of(column)?;
        T::from_value(&self.values[index]).map_err(|problem| decode_error(column, problem))
    }

    /// [`Row::try_get`], moving the value out instead of copying it (text is not copied):
    /// for a row read once, column by column. The column reads as null afterwards.
    pub fn take<T: FromValue>(&mut self, column: &str) -> Result<T, DatabaseError> {
        let index = self.index_of(column)?;
        let value = std::mem::replace(&mut self.values[index], Value::Null);
        T::from_owned(value).map_err(|problem| decode_error(column, problem))
    }

    fn index_of(&self, column: &str) -> Result<usize, DatabaseError> {
        self.columns
            .iter()
            .position(|name| name == column)
            .ok_or_else(|| decode_error(column, "no such column in the result".to_string()))
    }
}

fn decode_error(column: &str, problem: String) -> DatabaseError {
    DatabaseError::Decode {
        column: column.to_string(),
        problem,
    }
}

/// A Rust type a column value converts into.
pub trait FromValue: Sized {
    fn from_value(value: &Value) -> Result<Self, String>;

    /// The same from a value given up (text moves instead of being copied).
    fn from_owned(value: Value) -> Result<Self, String> {
        Self::from_value(&value)
    }
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

    fn from_owned(value: Value) -> Result<Self, String> {
        match value {
            Value::Text(text) => Ok(text),
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

    fn from_owned(value: Value) -> Result<Self, String> {
        match value {
            Value::Null => Ok(None),
            other => T::from_owned(other).map(Some),
        }
    }
}
