//! The schema, as numbered migrations. A database records the versions it has taken in
//! `schema_migrations`; [`migrate`] applies the ones it lacks, in order, all in one transaction,
//! so a database is always at one version or the next, never half-way. A migration, once
//! released, is never edited: a change to the schema is a new migration at the end of
//! [`MIGRATIONS`].
//!
//! One text serves both databases where it can; where they differ (SQLite cannot drop a
//! constraint, and rebuilds the table instead), a migration says so by dialect.

mod account_freeze;
mod billing_profiles;
mod card_payments;
mod console_sessions;
mod deliveries;
mod event_actors;
mod initial;
mod instance_labels;
mod invoices;
mod lifecycle_marks;
mod lighter_writes;
mod notice_invoices;
mod notices_through_events;
mod payg_invoices;
mod revenue_days;
mod simulated_clock;
mod stuck_steps;
mod webhook_endpoints;
mod webhook_secret_rotation;

use crate::connect::{Dialect, Store, StoreError, Tx};
use crate::database::query;

/// One version of the schema.
pub struct Migration {
    pub version: i64,
    /// What it does, in a few words (recorded beside the version).
    pub name: &'static str,
    steps: fn(Dialect) -> Vec<Step>,
}

/// What a migration runs, in order.
enum Step {
    Sql(String),
    /// The running totals of a ledger written before they existed (version 1).
    FillRunningTotals,
    /// Each notice written before notices named their event linked to it (version 3).
    LinkNoticesToEvents,
}

/// Every migration, oldest first.
pub const MIGRATIONS: &[Migration] = &[
    initial::MIGRATION,
    lighter_writes::MIGRATION,
    notices_through_events::MIGRATION,
    stuck_steps::MIGRATION,
    lifecycle_marks::MIGRATION,
    webhook_endpoints::MIGRATION,
    deliveries::MIGRATION,
    simulated_clock::MIGRATION,
    account_freeze::MIGRATION,
    console_sessions::MIGRATION,
    webhook_secret_rotation::MIGRATION,
    card_payments::MIGRATION,
    billing_profiles::MIGRATION,
    invoices::MIGRATION,
    payg_invoices::MIGRATION,
    notice_invoices::MIGRATION,
    revenue_days::MIGRATION,
    instance_labels::MIGRATION,
    event_actors::MIGRATION,
];

/// The version a database is at once [`migrate`] has run.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |migration| migration.version)
}

/// Brings the database to the latest version.
pub async fn migrate(store: &Store) -> Result<(), StoreError> {
    migrate_to(store, latest_version()).await
}

/// The schema version a database is at: 0 when it has no tenure schema yet.
pub async fn current_version(store: &Store) -> Result<i64, StoreError> {
    let mut tx = store.begin().await?;
    let exists = match store.dialect() {
        Dialect::Postgres => query("SELECT to_regclass('schema_migrations') IS NOT NULL AS found")
            .fetch_one(&mut tx)
            .await?
            .try_get::<bool>("found")?,
        Dialect::Sqlite => {
            !query("SELECT name FROM sqlite_master WHERE name = 'schema_migrations'")
                .fetch_all(&mut tx)
                .await?
                .is_empty()
        }
    };
    let applied = if exists {
        applied_versions(&mut tx).await?
    } else {
        Vec::new()
    };
    Ok(applied.last().copied().unwrap_or(0))
}

/// Refuses, saying what to do, a database whose schema is not this tenure's version.
pub async fn check_current(store: &Store) -> Result<(), StoreError> {
    let at = current_version(store).await?;
    let latest = latest_version();
    let problem = if at == 0 {
        format!("the database has no tenure schema yet (this tenure's is version {latest}): run `tenure migrate --db URL` first")
    } else if at < latest {
        format!("the database is at schema version {at}, older than this tenure's ({latest}): run `tenure migrate --db URL` (it applies {} to {latest} in one transaction), then start again", at + 1)
    } else if at > latest {
        format!("the database is at schema version {at}, newer than this tenure knows ({latest}): run a newer tenure")
    } else {
        return Ok(());
    };
    Err(StoreError::Database(crate::DatabaseError::Other(problem)))
}

/// Brings the database to `version` (not past it): how a test builds a database as an older
/// tenure left it, to check what the newer migrations make of it.
pub async fn migrate_to(store: &Store, version: i64) -> Result<(), StoreError> {
    // SQLite rebuilds tables to change them; with foreign keys on, dropping the old table
    // would delete its rows, and the rows that refer to them would break. So they are off
    // while migrations run (a pragma that only takes effect outside a transaction) and
    // checked before the transaction commits.
    store.enforce_foreign_keys(false).await?;
    let migrated = migrate_in_one_transaction(store, version).await;
    store.enforce_foreign_keys(true).await?;
    migrated
}

async fn migrate_in_one_transaction(store: &Store, version: i64) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    if store.dialect() == Dialect::Postgres {
        // Two nodes starting at once must not both migrate.
        query("SELECT pg_advisory_xact_lock(7311)")
            .execute(&mut tx)
            .await?;
    }
    query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version BIGINT PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at BIGINT NOT NULL
        )",
    )
    .execute(&mut tx)
    .await?;
    let applied = applied_versions(&mut tx).await?;
    if let Some(newest) = applied.last().filter(|newest| **newest > latest_version()) {
        return Err(StoreError::Database(crate::DatabaseError::Other(format!(
            "the database is at schema version {newest}, newer than this tenure knows ({}): run a newer tenure",
            latest_version()
        ))));
    }
    let mut migrated = false;
    for migration in MIGRATIONS {
        if migration.version > version || applied.contains(&migration.version) {
            continue;
        }
        migrated = true;
        for step in (migration.steps)(store.dialect()) {
            match step {
                Step::Sql(statement) => {
                    query(&statement).execute(&mut tx).await?;
                }
                Step::FillRunningTotals => crate::ledger::fill_running_totals(&mut tx).await?,
                Step::LinkNoticesToEvents => crate::events::link_notices_to_events(&mut tx).await?,
            }
        }
        query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
            .bind(migration.version)
            .bind(migration.name)
            .bind(jiff::Timestamp::now().as_second())
            .execute(&mut tx)
            .await?;
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "schema migrated"
        );
    }
    // Only after a migration ran: the check reads every table with a foreign key, which on a
    // large database is not for every start.
    if migrated && store.dialect() == Dialect::Sqlite {
        let broken = query("PRAGMA foreign_key_check").fetch_all(&mut tx).await?;
        if !broken.is_empty() {
            return Err(StoreError::Database(crate::DatabaseError::Other(format!(
                "the migrated database has {} rows whose foreign keys point nowhere; nothing was changed",
                broken.len()
            ))));
        }
    }
    tx.commit().await
}

/// The versions the database has taken, oldest first.
pub async fn applied_versions(tx: &mut Tx) -> Result<Vec<i64>, StoreError> {
    let rows = query("SELECT version FROM schema_migrations ORDER BY version")
        .fetch_all(tx)
        .await?;
    Ok(rows
        .iter()
        .map(|row| row.try_get("version"))
        .collect::<Result<_, _>>()?)
}

/// SQLite's way to change a table's constraints: a new table with the new definition takes
/// the rows, the old one is dropped, and the new one takes its name (the steps of SQLite's
/// "making other kinds of table schema changes", with foreign keys off: see [`migrate_to`]).
/// The old table's indexes go with it; `indexes` are made on the new one.
fn rebuild_sqlite_table(table: &str, columns: &str, indexes: &[&str]) -> Vec<Step> {
    let rebuilt = format!("{table}_rebuilt");
    let mut steps = vec![
        Step::Sql(format!("CREATE TABLE {rebuilt} {columns}")),
        Step::Sql(format!("INSERT INTO {rebuilt} SELECT * FROM {table}")),
        Step::Sql(format!("DROP TABLE {table}")),
        Step::Sql(format!("ALTER TABLE {rebuilt} RENAME TO {table}")),
    ];
    steps.extend(indexes.iter().map(|index| Step::Sql(index.to_string())));
    steps
}
