//! Version 3: a notice names the event it was sent for (`event_seq`), and an account's notices
//! are found through its events instead of through an index of their own.
//!
//! Every notice tenure writes goes with an event of the same account, instance, kind and time,
//! written in the same transaction. The index `notifications_by_account` put one entry for each
//! notice on a page of its own (a sweep's notices go to accounts all over the index); its
//! replacement, `notifications_by_event`, is ordered by `event_seq`, which only grows, so new
//! entries go on its last page. A month's steps at 1,000,000 instances ran about 10% faster
//! without the index by account (BENCHMARKS.md). Notices written before are linked to their
//! events here (`events::link_notices_to_events`).

use super::{Migration, Step};
use crate::connect::Dialect;

pub(super) const MIGRATION: Migration = Migration {
    version: 3,
    name: "notices_through_events",
    steps,
};

fn steps(dialect: Dialect) -> Vec<Step> {
    let index = match dialect {
        // SQLite's index entries end with the rowid (`seq`): the order notices are listed in.
        Dialect::Sqlite => "CREATE INDEX notifications_by_event ON notifications (event_seq)",
        Dialect::Postgres => {
            "CREATE INDEX notifications_by_event ON notifications (event_seq, seq)"
        }
    };
    vec![
        Step::Sql("ALTER TABLE notifications ADD COLUMN event_seq BIGINT".to_string()),
        Step::LinkNoticesToEvents,
        Step::Sql("DROP INDEX notifications_by_account".to_string()),
        Step::Sql(index.to_string()),
    ]
}
