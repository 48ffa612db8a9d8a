//! Version 7: the delivery outbox. A delivery is one message to one recipient on one channel
//! (a notice's email or SMS, an event's webhook message to one endpoint), written in the same
//! transaction as the notice or event it carries, so that nothing is sent for a change that
//! rolled back and nothing committed is lost. Its times are real time in milliseconds
//! (`…_ms`): messages leave in real time whatever clock the lifecycle runs on, and retries
//! are seconds apart. A sender claims a due delivery with a lease (`lease_until_ms`, with the
//! claim's `lease_token`) and records every attempt in `delivery_attempts`.
//!
//! Notices gain the reason they were not sent (`status_reason`: with status `undeliverable`, the
//! code of a `tenure_core::delivery::Undeliverable`; with `failed`, the last error): those
//! written before this version are marked so, rather than sent days late. An endpoint
//! records since when it has failed (`failing_since_ms`), to be disabled after days of it.

use super::{Migration, Step};
use crate::connect::Dialect;

pub(super) const MIGRATION: Migration = Migration {
    version: 7,
    name: "deliveries",
    steps,
};

fn steps(_dialect: Dialect) -> Vec<Step> {
    [
        "CREATE TABLE deliveries (
            id TEXT PRIMARY KEY,
            message_id TEXT NOT NULL,
            channel TEXT NOT NULL,
            account_id TEXT NOT NULL,
            notice_id TEXT,
            event_id TEXT,
            endpoint_id TEXT,
            recipient TEXT NOT NULL,
            status TEXT NOT NULL,
            created_at_ms BIGINT NOT NULL,
            due_at_ms BIGINT,
            lease_until_ms BIGINT,
            lease_token TEXT,
            attempts BIGINT NOT NULL,
            last_error TEXT,
            sent_at_ms BIGINT
        )",
        // What the senders look for: only the pending ones are in it.
        "CREATE INDEX deliveries_due ON deliveries (due_at_ms) WHERE status = 'pending'",
        "CREATE INDEX deliveries_by_account ON deliveries (account_id, id)",
        "CREATE INDEX deliveries_by_notice ON deliveries (notice_id) WHERE notice_id IS NOT NULL",
        "CREATE INDEX deliveries_by_event ON deliveries (event_id) WHERE event_id IS NOT NULL",
        "CREATE INDEX deliveries_by_endpoint ON deliveries (endpoint_id, id) WHERE endpoint_id IS NOT NULL",
        "CREATE TABLE delivery_attempts (
            delivery_id TEXT NOT NULL REFERENCES deliveries (id),
            number BIGINT NOT NULL,
            at_ms BIGINT NOT NULL,
            duration_ms BIGINT NOT NULL,
            answer_code BIGINT,
            error TEXT,
            PRIMARY KEY (delivery_id, number)
        )",
        "ALTER TABLE notifications ADD COLUMN status_reason TEXT",
        "UPDATE notifications SET status = 'undeliverable',
            status_reason = 'written_before_delivery'
         WHERE status = 'stored'",
        "ALTER TABLE webhook_endpoints ADD COLUMN failing_since_ms BIGINT",
    ]
    .into_iter()
    .map(|statement| Step::Sql(statement.to_string()))
    .collect()
}
