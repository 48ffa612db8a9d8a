use std::fmt::Display;
use std::str::FromStr;
use std::sync::Arc;

use super::error::DatabaseError;
use super::value::Value;

/// One row of a result: its values, read by column name.
#[derive(Debug, Clone)]
pub struct Row {
    columns: Arc<[String]>,
    values: Vec<Value>,
    /// Where the search for the next column name starts: the one after the last taken. Rows
    /// are read in the order their query names the columns, so each name is then found at
    /// the first comparison instead of after a scan of those before it (a sweep reads every
    /// instance's 21 columns: the scans were 2% of a simulated year).
    next_column: usize,
}

impl Row {
    pub(crate) fn new(columns: Arc<[String]>, values: Vec<Value>) -> Row {
        Row {
            columns,
            values,
            next_column: 0,
        }
    }

    /// The value of `column`, converted to `T`; an error names the column if it is missing or
    /// holds another type.
    pub fn try_get<T: FromValue>(&self, column: &str) -> Result<T, DatabaseError> {
        let index = self.index_of(column)?;
        T::from_value(&self.values[index]).map_err(|problem| decode_error(column, problem))
    }

    /// The text of `column` parsed into `T` (a stored enum, say): text that `T` refuses is an
    /// error naming the column, like a missing column or a value of another type.
    pub fn try_parse<T: FromStr>(&self, column: &str) -> Result<T, DatabaseError>
    where
        T::Err: Display,
    {
        let text: String = self.try_get(column)?;
        text.parse()
            .map_err(|error: T::Err| decode_error(column, error.to_string()))
    }

    /// [`Row::try_parse`] of a column that may be null.
    pub fn try_parse_optional<T: FromStr>(&self, column: &str) -> Result<Option<T>, DatabaseError>
    where
        T::Err: Display,
    {
        let text: Option<String> = self.try_get(column)?;
        text.map(|text| {
            text.parse()
                .map_err(|error: T::Err| decode_error(column, error.to_string()))
        })
        .transpose()
    }

    /// [`Row::try_get`], moving the value out instead of copying it (text is not copied):
    /// for a row read once, column by column. The column reads as null afterwards.
    pub fn take<T: FromValue>(&mut self, column: &str) -> Result<T, DatabaseError> {
        let index = self.index_of(column)?;
        self.next_column = index + 1;
        let value = std::mem::replace(&mut self.values[index], Value::Null);
        T::from_owned(value).map_err(|problem| decode_error(column, problem))
    }

    /// The row's values, in the order of its columns.
    pub fn into_values(self) -> Vec<Value> {
        self.values
    }

    /// The position of `column`, searched from `next_column` on, then from the start.
    fn index_of(&self, column: &str) -> Result<usize, DatabaseError> {
        let count = self.columns.len();
        (0..count)
            .map(|offset| (self.next_column + offset) % count)
            .find(|&index| self.columns[index] == column)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> Row {
        let columns: Arc<[String]> = ["id", "amount_minor", "memo"]
            .map(String::from)
            .into_iter()
            .collect();
        Row::new(
            columns,
            vec![
                Value::Text("ord_1".to_string()),
                Value::Integer(1250),
                Value::Null,
            ],
        )
    }

    /// Columns are found by name whatever order they are read in: in the query's order, out of
    /// it (the search starting after the last one taken wraps around), and again.
    #[test]
    fn columns_are_found_by_name_in_any_order() {
        let mut in_order = row();
        assert_eq!(in_order.take::<String>("id").unwrap(), "ord_1");
        assert_eq!(in_order.take::<i64>("amount_minor").unwrap(), 1250);
        assert_eq!(in_order.take::<Option<String>>("memo").unwrap(), None);

        let mut out_of_order = row();
        assert_eq!(out_of_order.take::<Option<String>>("memo").unwrap(), None);
        assert_eq!(out_of_order.take::<i64>("amount_minor").unwrap(), 1250);
        assert!(
            out_of_order.try_get::<i64>("amount_minor").is_err(),
            "taken: now null"
        );
        assert_eq!(out_of_order.try_get::<String>("id").unwrap(), "ord_1");
        assert_eq!(out_of_order.take::<String>("id").unwrap(), "ord_1");
        assert_eq!(out_of_order.take::<Option<String>>("id").unwrap(), None);

        let error = row().try_get::<i64>("missing").unwrap_err();
        assert!(error.to_string().contains("missing"), "{error}");
    }

    /// Text a type refuses is a decode error that names its column.
    #[test]
    fn parsed_columns_name_the_column_they_refuse() {
        let error = row().try_parse::<i64>("id").unwrap_err();
        assert!(
            matches!(&error, DatabaseError::Decode { column, .. } if column == "id"),
            "{error}"
        );
        assert_eq!(row().try_parse_optional::<i64>("memo").unwrap(), None);
        assert!(row().try_parse_optional::<i64>("id").is_err());
    }
}
