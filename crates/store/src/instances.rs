//! Instances and the scheduler's index: `next_due_at` holds the time of the instance's next
//! lifecycle step, and due work is found through the partial index on it, never by a scan.

use jiff::Timestamp;
use tenure_core::catalog::Billing;
use tenure_core::lifecycle::{DeductionAttemptMark, Instance, InstanceStatus};

use crate::connect::{Dialect, StoreError, Tx};
use crate::database::{
    execute_rows, query, values_placeholders, Connection, DatabaseError, Query, Row,
};
use crate::time::{from_seconds, lower_bound_seconds, to_seconds};

const COLUMNS: &str = "id, account_id, product_id, edition_id, spec_id, region, billing, status, created_at, \
    expires_at, released_at, renewal_mode, auto_renew_period, subscription_period, reminded_for_expiry, \
    auto_renew_schedule, auto_renew_effective_from, deduction_renews_expires_at, deduction_attempt_offset_days, \
    next_due_at, last_active_at, activates_at, release_warned_for_expiry, domain_statuses, name, tags, name_folded";

/// An instance as stored, with the scheduler's due time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredInstance {
    pub instance: Instance,
    pub next_due_at: Option<Timestamp>,
}

/// Where the due query found an instance's row: its rowid on SQLite, for the sweep's update to
/// go straight to it instead of through the index on `id` (a B-tree descent on text that,
/// in a large fleet, reads pages nothing else in a sweep touches); nothing on PostgreSQL.
/// Good until the transaction that read it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowKey(Option<i64>);

fn parse<T: std::str::FromStr>(text: String) -> Result<T, DatabaseError>
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|error: T::Err| DatabaseError::decode(error.to_string()))
}

/// An instance from its row, the row's texts moved into it (the row is read once).
fn from_row(mut row: Row) -> Result<StoredInstance, DatabaseError> {
    fn optional_time(row: &mut Row, column: &str) -> Result<Option<Timestamp>, DatabaseError> {
        Ok(row.take::<Option<i64>>(column)?.map(from_seconds))
    }
    fn optional_parsed<T: std::str::FromStr>(
        row: &mut Row,
        column: &str,
    ) -> Result<Option<T>, DatabaseError>
    where
        T::Err: std::fmt::Display,
    {
        row.take::<Option<String>>(column)?.map(parse).transpose()
    }
    let row = &mut row;
    Ok(StoredInstance {
        instance: Instance {
            id: row.take("id")?,
            account_id: row.take("account_id")?,
            product_id: row.take("product_id")?,
            edition_id: row.take("edition_id")?,
            spec_id: row.take("spec_id")?,
            region: row.take("region")?,
            billing: parse(row.take("billing")?)?,
            status: parse(row.take("status")?)?,
            created_at: from_seconds(row.take("created_at")?),
            expires_at: optional_time(row, "expires_at")?,
            released_at: optional_time(row, "released_at")?,
            renewal_mode: parse(row.take("renewal_mode")?)?,
            auto_renew_period: optional_parsed(row, "auto_renew_period")?,
            subscription_period: optional_parsed(row, "subscription_period")?,
            reminded_for_expiry: optional_time(row, "reminded_for_expiry")?,
            auto_renew_schedule: optional_parsed(row, "auto_renew_schedule")?,
            auto_renew_effective_from: optional_time(row, "auto_renew_effective_from")?,
            last_deduction_attempt: match (
                optional_time(row, "deduction_renews_expires_at")?,
                row.take::<Option<i64>>("deduction_attempt_offset_days")?,
            ) {
                (Some(renews_expires_at), Some(attempt_offset_days)) => {
                    Some(DeductionAttemptMark {
                        renews_expires_at,
                        attempt_offset_days,
                    })
                }
                _ => None,
            },
            last_active_at: optional_time(row, "last_active_at")?,
            activates_at: optional_time(row, "activates_at")?,
            release_warned_for_expiry: optional_time(row, "release_warned_for_expiry")?,
            domain_statuses: row
                .take::<Option<String>>("domain_statuses")?
                .map(|text| text.split(',').map(str::to_string).collect())
                .unwrap_or_default(),
            name: row.take("name")?,
            tags: row
                .take::<Option<String>>("tags")?
                .map(|text| text.split(',').map(str::to_string).collect())
                .unwrap_or_default(),
        },
        next_due_at: optional_time(row, "next_due_at")?,
    })
}

pub async fn insert(
    tx: &mut Tx,
    instance: &Instance,
    next_due_at: Option<Timestamp>,
) -> Result<(), StoreError> {
    bind_row(
        query(&format!(
            "INSERT INTO instances ({COLUMNS}) VALUES {}",
            values_placeholders(1, BOUND)
        )),
        instance,
        next_due_at,
    )
    .execute(tx)
    .await?;
    insert_tags(tx, &instance.id, &instance.tags).await
}

/// The values [`bind_row`] binds.
const BOUND: usize = 27;

/// Sets an instance's name and tags (both columns of its row and its `instance_tags` rows),
/// nothing else of it: the one write of them after its purchase. The caller holds its lock.
pub async fn set_labels(
    tx: &mut Tx,
    instance_id: &str,
    name: Option<&str>,
    tags: &[String],
) -> Result<(), StoreError> {
    let result = query("UPDATE instances SET name = $2, tags = $3, name_folded = $4 WHERE id = $1")
        .bind(instance_id)
        .bind(name)
        .bind(joined_tags(tags))
        .bind(name.map(folded))
        .execute(tx)
        .await?;
    assert_eq!(
        result.rows_affected(),
        1,
        "labelled instance {instance_id} exists"
    );
    query("DELETE FROM instance_tags WHERE instance_id = $1")
        .bind(instance_id)
        .execute(tx)
        .await?;
    insert_tags(tx, instance_id, tags).await
}

async fn insert_tags(tx: &mut Tx, instance_id: &str, tags: &[String]) -> Result<(), StoreError> {
    if tags.is_empty() {
        return Ok(());
    }
    // At most `label::MAX_TAGS` (20): one statement.
    let sql = format!(
        "INSERT INTO instance_tags (tag, instance_id) VALUES {}",
        values_placeholders(tags.len(), 2)
    );
    let mut insert = query(&sql);
    for tag in tags {
        insert = insert.bind(tag.as_str()).bind(instance_id);
    }
    insert.execute(tx).await?;
    Ok(())
}

/// Tags as the row keeps them: joined by commas (a tag holds none), none as null.
fn joined_tags(tags: &[String]) -> Option<String> {
    (!tags.is_empty()).then(|| tags.join(","))
}

/// Binds an instance's 27 values in the order of [`COLUMNS`].
fn bind_row<'a>(
    query: Query<'a>,
    instance: &'a Instance,
    next_due_at: Option<Timestamp>,
) -> Query<'a> {
    query
        .bind(&instance.id)
        .bind(&instance.account_id)
        .bind(&instance.product_id)
        .bind(&instance.edition_id)
        .bind(&instance.spec_id)
        .bind(&instance.region)
        .bind(instance.billing.as_str())
        .bind(instance.status.as_str())
        .bind(to_seconds(instance.created_at))
        .bind(instance.expires_at.map(to_seconds))
        .bind(instance.released_at.map(to_seconds))
        .bind(instance.renewal_mode.as_str())
        .bind(instance.auto_renew_period.map(|period| period.to_string()))
        .bind(
            instance
                .subscription_period
                .map(|period| period.to_string()),
        )
        .bind(instance.reminded_for_expiry.map(to_seconds))
        .bind(instance.auto_renew_schedule.map(|choice| choice.as_str()))
        .bind(instance.auto_renew_effective_from.map(to_seconds))
        .bind(deduction_renews_expires_at(instance))
        .bind(deduction_attempt_offset_days(instance))
        .bind(next_due_at.map(to_seconds))
        .bind(instance.last_active_at.map(to_seconds))
        .bind(instance.activates_at.map(to_seconds))
        .bind(instance.release_warned_for_expiry.map(to_seconds))
        // Statuses are EPP tokens (letters only), so a comma separates them unambiguously.
        .bind((!instance.domain_statuses.is_empty()).then(|| instance.domain_statuses.join(",")))
        // Bound for the insert; updates leave both alone (set_labels writes them).
        .bind(instance.name.as_deref())
        .bind(joined_tags(&instance.tags))
        .bind(instance.name.as_deref().map(folded))
}

/// A name as the filter by name compares it: lower-cased by Rust's rules, the same on both
/// databases (SQLite's `LOWER` folds ASCII letters only, PostgreSQL's every letter).
fn folded(name: &str) -> String {
    name.to_lowercase()
}

/// Writes many instances read by [`lock_due`] in this transaction, with their next due times
/// (a sweep batch's): the same columns as [`update`] change. On PostgreSQL in few statements,
/// as an upsert on the id, which it takes in one multi-row statement (every row exists:
/// instances are never deleted, so each one updates); on SQLite one `UPDATE` each, by rowid
/// (see below).
pub async fn update_many(
    tx: &mut Tx,
    instances: &[(RowKey, Instance, Option<Timestamp>)],
) -> Result<(), StoreError> {
    if tx.dialect() == Dialect::Sqlite {
        // One `UPDATE` each. A multi-row upsert's `DO UPDATE` makes SQLite copy every page it
        // changes into a statement journal first (it always runs as `ABORT`), and an
        // instance's row is on a page of its own in a large fleet: statements one by one, with
        // no journal, cost less.
        //
        // In the table's order: the batch comes in due order, its rows anywhere in the table.
        let mut in_table_order: Vec<&(RowKey, Instance, Option<Timestamp>)> =
            instances.iter().collect();
        in_table_order.sort_by_key(|(row_key, _, _)| row_key.0);
        for (row_key, instance, next_due_at) in in_table_order {
            write_changes(tx, row_key.0, instance, *next_due_at).await?;
        }
        return Ok(());
    }
    execute_rows(
        tx,
        &format!(
            "INSERT INTO instances ({COLUMNS}) VALUES {{values}}
         ON CONFLICT (id) DO UPDATE SET spec_id = excluded.spec_id,
            edition_id = excluded.edition_id, status = excluded.status,
            expires_at = excluded.expires_at, released_at = excluded.released_at,
            renewal_mode = excluded.renewal_mode,
            auto_renew_period = excluded.auto_renew_period,
            reminded_for_expiry = excluded.reminded_for_expiry,
            next_due_at = excluded.next_due_at,
            auto_renew_schedule = excluded.auto_renew_schedule,
            auto_renew_effective_from = excluded.auto_renew_effective_from,
            deduction_renews_expires_at = excluded.deduction_renews_expires_at,
            deduction_attempt_offset_days = excluded.deduction_attempt_offset_days,
            billing = excluded.billing,
            subscription_period = excluded.subscription_period,
            last_active_at = excluded.last_active_at,
            release_warned_for_expiry = excluded.release_warned_for_expiry,
            domain_statuses = excluded.domain_statuses"
        ),
        BOUND,
        instances,
        |query, (_, instance, next_due_at)| bind_row(query, instance, *next_due_at),
    )
    .await?;
    Ok(())
}

fn deduction_renews_expires_at(instance: &Instance) -> Option<i64> {
    instance
        .last_deduction_attempt
        .map(|mark| to_seconds(mark.renews_expires_at))
}

fn deduction_attempt_offset_days(instance: &Instance) -> Option<i64> {
    instance
        .last_deduction_attempt
        .map(|mark| mark.attempt_offset_days)
}

/// The `UPDATE` of an instance's changing columns, without its `WHERE`. Its placeholders are
/// numbered as [`bind_row`] binds (the order of [`COLUMNS`]), so the values the update leaves
/// alone (`$2`, `$3`, `$6`, `$9`, and the name, tags and folded name, `$25` to `$27`) are bound and not used.
macro_rules! update_changes {
    () => {
        "UPDATE instances SET edition_id = $4, spec_id = $5, billing = $7, status = $8,
         expires_at = $10, released_at = $11, renewal_mode = $12, auto_renew_period = $13,
         subscription_period = $14, reminded_for_expiry = $15, auto_renew_schedule = $16,
         auto_renew_effective_from = $17, deduction_renews_expires_at = $18,
         deduction_attempt_offset_days = $19, next_due_at = $20, last_active_at = $21,
         activates_at = $22, release_warned_for_expiry = $23, domain_statuses = $24"
    };
}

/// Writes every mutable field of `instance` and its new due time.
pub async fn update(
    tx: &mut Tx,
    instance: &Instance,
    next_due_at: Option<Timestamp>,
) -> Result<(), StoreError> {
    write_changes(tx, None, instance, next_due_at).await
}

/// [`update`], its row found by `rowid` (SQLite's) when given, its id then checked rather than
/// looked up; by its id otherwise.
async fn write_changes(
    tx: &mut Tx,
    rowid: Option<i64>,
    instance: &Instance,
    next_due_at: Option<Timestamp>,
) -> Result<(), StoreError> {
    let statement = match rowid {
        Some(_) => concat!(update_changes!(), " WHERE rowid = $28 AND id = $1"),
        None => concat!(update_changes!(), " WHERE id = $1"),
    };
    let mut query = bind_row(query(statement), instance, next_due_at);
    if let Some(rowid) = rowid {
        query = query.bind(rowid);
    }
    let result = query.execute(tx).await?;
    assert_eq!(
        result.rows_affected(),
        1,
        "updated instance {} exists (at row {rowid:?})",
        instance.id
    );
    Ok(())
}

pub async fn get(
    connection: &mut Connection,
    instance_id: &str,
) -> Result<Option<StoredInstance>, StoreError> {
    let row = query(&format!("SELECT {COLUMNS} FROM instances WHERE id = $1"))
        .bind(instance_id)
        .fetch_optional(connection)
        .await?;
    Ok(row.map(from_row).transpose()?)
}

/// Reads an instance and, on PostgreSQL, locks it until commit.
pub async fn lock(tx: &mut Tx, instance_id: &str) -> Result<Option<StoredInstance>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM instances WHERE id = $1{}",
        tx.for_update()
    );
    let row = query(&sql).bind(instance_id).fetch_optional(tx).await?;
    Ok(row.map(from_row).transpose()?)
}

/// Reads instances by id and, on PostgreSQL, locks them until commit, in id order. Ids that
/// do not exist are left out.
pub async fn lock_many(
    tx: &mut Tx,
    instance_ids: &[String],
) -> Result<Vec<StoredInstance>, StoreError> {
    let rows = crate::listing::lock_by_ids(tx, COLUMNS, "instances", instance_ids).await?;
    Ok(rows.into_iter().map(from_row).collect::<Result<_, _>>()?)
}

/// List filters; every field narrows the list.
#[derive(Debug, Clone, Default)]
pub struct InstanceFilter {
    pub account_id: Option<String>,
    pub product_id: Option<String>,
    pub region: Option<String>,
    pub status: Option<String>,
    pub renewal_mode: Option<String>,
    /// How they are paid for: `subscription`, `payg`, `free` or `resource_plan`.
    pub billing: Option<String>,
    /// Expiring after this time.
    pub expires_after: Option<Timestamp>,
    /// Expiring at or before this time.
    pub expires_before: Option<Timestamp>,
    /// Instances carrying this tag.
    pub tag: Option<String>,
    /// Instances whose name holds this text, whatever the case of its letters.
    pub name_contains: Option<String>,
    pub after_id: Option<String>,
    pub limit: i64,
}

/// A `LIKE` pattern matching folded names that hold `text` (folded alike): `%`, `_` and the escape character itself stand for themselves.
fn holding(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for character in folded(text).chars() {
        if matches!(character, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(character);
    }
    pattern.push('%');
    pattern
}

pub async fn list(
    connection: &mut Connection,
    filter: &InstanceFilter,
) -> Result<Vec<StoredInstance>, StoreError> {
    let name_pattern = filter.name_contains.as_deref().map(holding);
    let filters = [
        ("account_id", &filter.account_id),
        ("product_id", &filter.product_id),
        ("region", &filter.region),
        ("status", &filter.status),
        ("renewal_mode", &filter.renewal_mode),
        ("billing", &filter.billing),
        (
            "expires_at > CAST({value} AS BIGINT)",
            &filter.expires_after.map(|at| to_seconds(at).to_string()),
        ),
        (
            "expires_at <= CAST({value} AS BIGINT)",
            &filter.expires_before.map(|at| to_seconds(at).to_string()),
        ),
        // Through the tag's key, by index on both databases.
        (
            "id IN (SELECT instance_id FROM instance_tags WHERE tag = {value})",
            &filter.tag,
        ),
        // A scan of the account's (or the fleet's) rows: a substring has no index to use.
        ("name_folded LIKE {value} ESCAPE '\\'", &name_pattern),
    ];
    let rows = crate::listing::fetch_page(
        connection,
        COLUMNS,
        "instances",
        &filters,
        filter.after_id.as_deref(),
        filter.limit,
    )
    .await?;
    Ok(rows.into_iter().map(from_row).collect::<Result<_, _>>()?)
}

/// The instances due at or before `until` (and at or after `from` when given), earliest first
/// (ties in a fixed order, below), a batch at a time ([`Tx::due_batch`]), read whole, each with where its row is
/// (for [`update_many`]): what a sweep batch takes, in one query. On PostgreSQL the rows are
/// locked and rows another node holds are skipped, so several nodes split the due work without
/// waiting on each other.
pub async fn lock_due(
    tx: &mut Tx,
    from: Option<Timestamp>,
    until: Timestamp,
) -> Result<Vec<(StoredInstance, RowKey)>, StoreError> {
    let limit = tx.due_batch();
    // Ties in due time go in a fixed order: on SQLite the index's own (due time, then rowid,
    // the order instances were created in), so the rows come straight off the index; ordering
    // them by id instead made SQLite copy every due row, whole, into a temporary B-tree to
    // sort it. PostgreSQL orders by id.
    let (row_key, tie, lock) = match tx.dialect() {
        crate::Dialect::Sqlite => ("rowid AS row_key, ", "rowid", ""),
        crate::Dialect::Postgres => ("", "id", " FOR UPDATE SKIP LOCKED"),
    };
    let sql = format!(
        "SELECT {row_key}{COLUMNS} FROM instances
         WHERE next_due_at IS NOT NULL AND next_due_at >= $3 AND next_due_at <= $1
         ORDER BY next_due_at, {tie} LIMIT $2{lock}"
    );
    let rows = query(&sql)
        .bind(to_seconds(until))
        .bind(limit)
        .bind(lower_bound_seconds(from))
        .fetch_all(tx)
        .await?;
    // Sized at once: collected through `Result`, the vector would grow by doubling, moving
    // every instance read so far each time.
    let mut due = Vec::with_capacity(rows.len());
    for row in rows {
        let row_key = match tx.dialect() {
            crate::Dialect::Sqlite => RowKey(Some(row.try_get("row_key")?)),
            crate::Dialect::Postgres => RowKey(None),
        };
        due.push((from_row(row)?, row_key));
    }
    Ok(due)
}

/// The account's instances billed as `billing` in `status`, locked until commit where the
/// database can: what an account's overdue state changes.
pub async fn lock_of_account(
    tx: &mut Tx,
    account_id: &str,
    billing: Billing,
    status: InstanceStatus,
) -> Result<Vec<StoredInstance>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM instances WHERE account_id = $1 AND billing = $2 AND status = $3
         ORDER BY id{}",
        tx.for_update()
    );
    let rows = query(&sql)
        .bind(account_id)
        .bind(billing.as_str())
        .bind(status.as_str())
        .fetch_all(tx)
        .await?;
    Ok(rows.into_iter().map(from_row).collect::<Result<_, _>>()?)
}

/// How many of the account's instances of `product_id` billed as `billing` are in each status:
/// what the purchase rule counts open instances from (`tenure_core::purchase_credit`). Read
/// under the account's lock, which every purchase takes, so two purchases never count the same
/// place.
pub async fn count_of_account_by_status(
    connection: &mut Connection,
    account_id: &str,
    product_id: &str,
    billing: Billing,
) -> Result<Vec<(InstanceStatus, i64)>, StoreError> {
    let rows = query(
        "SELECT status, COUNT(*) AS count FROM instances
         WHERE account_id = $1 AND product_id = $2 AND billing = $3 GROUP BY status",
    )
    .bind(account_id)
    .bind(product_id)
    .bind(billing.as_str())
    .fetch_all(connection)
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_parse("status")?, row.try_get("count")?)))
        .collect()
}

/// Moves an instance's due time, without touching its state: how a sweep sets aside an instance
/// whose step failed, so it neither blocks the others nor is forgotten.
pub async fn postpone(
    tx: &mut Tx,
    instance_id: &str,
    next_due_at: Timestamp,
) -> Result<(), StoreError> {
    query("UPDATE instances SET next_due_at = $2 WHERE id = $1")
        .bind(instance_id)
        .bind(to_seconds(next_due_at))
        .execute(tx)
        .await?;
    Ok(())
}

/// Takes an instance out of the scheduler's index: how a step that failed every attempt is
/// parked until an operator retries it (`stuck_steps`).
pub async fn park(tx: &mut Tx, instance_id: &str) -> Result<(), StoreError> {
    query("UPDATE instances SET next_due_at = NULL WHERE id = $1")
        .bind(instance_id)
        .execute(tx)
        .await?;
    Ok(())
}

/// Every instance in auto-renewal mode that may still renew (active or expired) and expires
/// before `before`: what the fleet forecast prices, read whole in one query (no page: the
/// forecast needs all of them, and `before` bounds them to the coming weeks' expiries).
pub async fn auto_renewing_expiring_before(
    connection: &mut Connection,
    before: Timestamp,
) -> Result<Vec<StoredInstance>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM instances
         WHERE renewal_mode = 'auto' AND status IN ('active', 'expired')
            AND expires_at IS NOT NULL AND expires_at < $1
         ORDER BY id"
    );
    let rows = query(&sql)
        .bind(to_seconds(before))
        .fetch_all(connection)
        .await?;
    Ok(rows.into_iter().map(from_row).collect::<Result<_, _>>()?)
}
