//! The one query shape of every list: rows after an id cursor, narrowed by equality filters,
//! in id order (ids sort by creation time), oldest or newest first, at most `limit`.

use crate::connect::Tx;
use crate::database::{chunks_of, list_placeholders, query, Connection, DatabaseError, Row};

/// Reads `columns` of `table` where `id > after_id` and every given filter holds.
/// `filters` pairs a column with the value it must equal, or a condition with `{value}` where
/// the value goes; `None` leaves it unfiltered.
pub async fn fetch_page(
    connection: &mut Connection,
    columns: &str,
    table: &str,
    filters: &[(&str, &Option<String>)],
    after_id: Option<&str>,
    limit: i64,
) -> Result<Vec<Row>, DatabaseError> {
    fetch_page_in(
        connection,
        columns,
        table,
        filters,
        after_id,
        limit,
        Direction::OldestFirst,
    )
    .await
}

/// The order a page is read in: by id, so by creation time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Direction {
    #[default]
    OldestFirst,
    /// The cursor goes on to older rows: `id < after_id`.
    NewestFirst,
}

/// [`fetch_page`] in `direction`.
pub async fn fetch_page_in(
    connection: &mut Connection,
    columns: &str,
    table: &str,
    filters: &[(&str, &Option<String>)],
    after_id: Option<&str>,
    limit: i64,
    direction: Direction,
) -> Result<Vec<Row>, DatabaseError> {
    let mut conditions = Vec::new();
    let mut values = Vec::new();
    match (direction, after_id) {
        // Every id is above the empty text: no cursor reads from the first row.
        (Direction::OldestFirst, after_id) => {
            values.push(after_id.unwrap_or_default().to_string());
            conditions.push("id > $1".to_string());
        }
        (Direction::NewestFirst, Some(after_id)) => {
            values.push(after_id.to_string());
            conditions.push("id < $1".to_string());
        }
        (Direction::NewestFirst, None) => conditions.push("1 = 1".to_string()),
    }
    for (column, value) in filters {
        if let Some(value) = value {
            values.push(value.clone());
            let placeholder = format!("${}", values.len());
            conditions.push(if column.contains("{value}") {
                column.replace("{value}", &placeholder)
            } else {
                format!("{column} = {placeholder}")
            });
        }
    }
    let order = match direction {
        Direction::OldestFirst => "id",
        Direction::NewestFirst => "id DESC",
    };
    let sql = format!(
        "SELECT {columns} FROM {table} WHERE {} ORDER BY {order} LIMIT ${}",
        conditions.join(" AND "),
        values.len() + 1
    );
    let mut query = query(&sql);
    for value in values {
        query = query.bind(value);
    }
    query.bind(limit).fetch_all(connection).await
}

/// Ids bound per `IN (…)` list: far below either database's limit on bound values.
const IDS_PER_QUERY: usize = 500;

/// Reads `columns` of the rows of `table` whose id is in `ids`, in few statements, locking them
/// until commit on PostgreSQL in id order (the one order in which every use case takes locks
/// of one table, so that two never wait on each other). Missing ids are left out; the rows
/// come in id order.
pub async fn lock_by_ids(
    tx: &mut Tx,
    columns: &str,
    table: &str,
    ids: &[String],
) -> Result<Vec<Row>, DatabaseError> {
    lock_by_keys(tx, columns, table, "id", ids).await
}

/// [`lock_by_ids`] with another unique column than `id`.
pub async fn lock_by_keys(
    tx: &mut Tx,
    columns: &str,
    table: &str,
    key_column: &str,
    ids: &[String],
) -> Result<Vec<Row>, DatabaseError> {
    let mut sorted = ids.to_vec();
    sorted.sort();
    let mut rows = Vec::with_capacity(ids.len());
    for chunk in chunks_of(&sorted, IDS_PER_QUERY) {
        let sql = format!(
            "SELECT {columns} FROM {table} WHERE {key_column} IN ({}) ORDER BY {key_column}{}",
            list_placeholders(chunk.len()),
            tx.for_update()
        );
        let mut query = query(&sql);
        for id in chunk {
            query = query.bind(id);
        }
        rows.extend(query.fetch_all(tx).await?);
    }
    Ok(rows)
}
