//! Version 12: money that moves through a payment provider. `payment_customers` is an account's
//! customer at the provider; `saved_cards` the cards saved under it (the provider's payment
//! method id and what it says of the card, never its number); `payments` every call tenure
//! makes that moves money (a charge or a refund), committed before the call with its own id,
//! which goes to the provider as the idempotency key and in its metadata, then settled with
//! the provider's outcome (`created_at` on tenure's clock, as every record; `started_at_ms` in
//! real Unix milliseconds, the clock the call runs on, which says when it may still be in
//! flight); `provider_events` the provider's webhook events already applied,
//! so an event sent twice is applied once.

use super::{Migration, Step};
use crate::connect::Dialect;

pub(super) const MIGRATION: Migration = Migration {
    version: 12,
    name: "card_payments",
    steps,
};

fn steps(_dialect: Dialect) -> Vec<Step> {
    [
        "CREATE TABLE payment_customers (
            account_id TEXT PRIMARY KEY REFERENCES accounts (id),
            provider TEXT NOT NULL,
            provider_customer_id TEXT NOT NULL,
            created_at BIGINT NOT NULL
        )",
        "CREATE TABLE saved_cards (
            id TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts (id),
            provider TEXT NOT NULL,
            provider_payment_method TEXT NOT NULL,
            brand TEXT NOT NULL,
            last4 TEXT NOT NULL,
            exp_month BIGINT NOT NULL,
            exp_year BIGINT NOT NULL,
            is_default BIGINT NOT NULL,
            created_at BIGINT NOT NULL,
            removed_at BIGINT,
            CONSTRAINT saved_cards_once UNIQUE (provider, provider_payment_method)
        )",
        "CREATE INDEX saved_cards_of_account ON saved_cards (account_id, id)",
        "CREATE TABLE payments (
            id TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts (id),
            provider TEXT NOT NULL,
            kind TEXT NOT NULL,
            purpose TEXT NOT NULL,
            amount_minor BIGINT NOT NULL,
            currency TEXT NOT NULL,
            card_id TEXT REFERENCES saved_cards (id),
            refunds_payment_id TEXT REFERENCES payments (id),
            refund_id TEXT,
            order_id TEXT REFERENCES orders (id),
            request_scope TEXT,
            request_key TEXT,
            status TEXT NOT NULL,
            provider_id TEXT,
            failure_code TEXT,
            failure_message TEXT,
            created_at BIGINT NOT NULL,
            started_at_ms BIGINT NOT NULL,
            settled_at BIGINT,
            CONSTRAINT payments_one_per_request UNIQUE (request_scope, request_key)
        )",
        "CREATE INDEX payments_of_account ON payments (account_id, id)",
        "CREATE INDEX payments_by_status ON payments (status, started_at_ms)",
        "CREATE TABLE provider_events (
            id TEXT PRIMARY KEY,
            provider TEXT NOT NULL,
            kind TEXT NOT NULL,
            received_at BIGINT NOT NULL
        )",
    ]
    .into_iter()
    .map(|sql| Step::Sql(sql.to_string()))
    .collect()
}
