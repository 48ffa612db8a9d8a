//! Version 2: fewer index entries for what the sweep and the purchase path write, and on SQLite
//! foreign keys checked at commit on the tables written in multi-row statements.
//!
//! - Events and notices lose the unique index on `id`: nothing looks one up by id (lists go by
//!   account and sequence), and the id generator makes them unique. One B-tree entry less per
//!   event and per notice.
//! - A deduction attempt loses its primary key on `id`: it is found by its unique key
//!   (instance, cycle, offset), which stays, and is the guard against charging a cycle twice.
//! - Orders lose `orders_by_account`: an account's orders are listed through its instances
//!   (`orders_by_instance`), so an order costs one random index entry less.
//! - SQLite only: the foreign keys of instances, orders, ledger entries and postings, running
//!   totals and deduction attempts become `DEFERRABLE INITIALLY DEFERRED`. A multi-row `INSERT`
//!   that can fail half-way needs a statement journal to undo its first rows, and SQLite copies
//!   every page the statement changes into it; an immediate foreign key is such a failure
//!   point. Checked at commit, a broken reference still refuses the whole transaction, so it
//!   remains the last line of defence it was (and the store's group commit asks SQLite after
//!   each write whether one is left, to undo that write alone). PostgreSQL has no statement journal, and keeps its keys as they were.

use super::{initial, rebuild_sqlite_table, Migration, Step};
use crate::connect::Dialect;

pub(super) const MIGRATION: Migration = Migration {
    version: 2,
    name: "lighter_writes",
    steps,
};

fn steps(dialect: Dialect) -> Vec<Step> {
    match dialect {
        Dialect::Postgres => [
            "ALTER TABLE events DROP CONSTRAINT IF EXISTS events_id_key",
            "ALTER TABLE notifications DROP CONSTRAINT IF EXISTS notifications_id_key",
            "ALTER TABLE deduction_attempts DROP CONSTRAINT IF EXISTS deduction_attempts_pkey",
            "DROP INDEX IF EXISTS orders_by_account",
        ]
        .into_iter()
        .map(|statement| Step::Sql(statement.to_string()))
        .collect(),
        Dialect::Sqlite => sqlite_steps(),
    }
}

fn sqlite_steps() -> Vec<Step> {
    let unique_id = ("id TEXT NOT NULL UNIQUE,", "id TEXT NOT NULL,");
    [
        (
            "events",
            changed(&initial::sqlite_columns("events"), unique_id),
            vec!["CREATE INDEX events_by_account ON events (account_id, seq)"],
        ),
        (
            "notifications",
            changed(&initial::sqlite_columns("notifications"), unique_id),
            vec!["CREATE INDEX notifications_by_account ON notifications (account_id, seq)"],
        ),
        (
            "deduction_attempts",
            deferred(&changed(
                &initial::sqlite_columns("deduction_attempts"),
                ("id TEXT PRIMARY KEY,", "id TEXT NOT NULL,"),
            )),
            vec![],
        ),
        (
            "orders",
            deferred(&initial::sqlite_columns("orders")),
            vec!["CREATE INDEX orders_by_instance ON orders (instance_id, starts_at)"],
        ),
        (
            "ledger_entries",
            deferred(&initial::sqlite_columns("ledger_entries")),
            vec!["CREATE INDEX ledger_entries_by_account ON ledger_entries (account_id, at)"],
        ),
        (
            "ledger_postings",
            deferred(&initial::sqlite_columns("ledger_postings")),
            vec!["CREATE INDEX ledger_postings_by_entry ON ledger_postings (entry_id)"],
        ),
        (
            "account_funds",
            deferred(&initial::sqlite_columns("account_funds")),
            vec![],
        ),
        (
            "instances",
            deferred(&initial::sqlite_columns("instances")),
            vec![
                "CREATE INDEX instances_by_next_due ON instances (next_due_at) WHERE next_due_at IS NOT NULL",
                "CREATE INDEX instances_by_account ON instances (account_id, created_at)",
            ],
        ),
    ]
    .into_iter()
    .flat_map(|(table, columns, indexes)| rebuild_sqlite_table(table, &columns, &indexes))
    .collect()
}

/// `columns` with one piece of text replaced, which must be there.
fn changed(columns: &str, (from, to): (&str, &str)) -> String {
    assert!(columns.contains(from), "`{from}` is not in {columns}");
    columns.replacen(from, to, 1)
}

/// `columns` with every `REFERENCES table (column)` checked at commit.
fn deferred(columns: &str) -> String {
    let mut result = String::with_capacity(columns.len() + 64);
    let mut rest = columns;
    while let Some(start) = rest.find("REFERENCES ") {
        let end = start
            + rest[start..]
                .find(')')
                .expect("a reference names its column")
            + 1;
        result.push_str(&rest[..end]);
        result.push_str(" DEFERRABLE INITIALLY DEFERRED");
        rest = &rest[end..];
    }
    assert!(result.contains("DEFERRED"), "no foreign key in {columns}");
    result.push_str(rest);
    result
}
