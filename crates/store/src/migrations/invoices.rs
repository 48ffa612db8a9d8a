//! Version 14: invoices and credit notes. `invoices` holds each issued document whole (its
//! JSON, which never changes once written) beside the columns it is found by; `invoice_series`
//! the last number given in each series, taken and moved on in the issuing transaction, so
//! numbers are gap-free and never repeat, whatever the number of nodes.

use super::{Migration, Step};
use crate::connect::Dialect;

pub(super) const MIGRATION: Migration = Migration {
    version: 14,
    name: "invoices",
    steps,
};

fn steps(_dialect: Dialect) -> Vec<Step> {
    [
        "CREATE TABLE invoice_series (
            series TEXT PRIMARY KEY,
            last_sequence BIGINT NOT NULL
        )",
        "CREATE TABLE invoices (
            id TEXT PRIMARY KEY,
            number TEXT NOT NULL UNIQUE,
            series TEXT NOT NULL,
            sequence BIGINT NOT NULL,
            kind TEXT NOT NULL,
            account_id TEXT NOT NULL REFERENCES accounts (id),
            order_id TEXT REFERENCES orders (id),
            refund_id TEXT,
            corrects_id TEXT REFERENCES invoices (id),
            issued_at BIGINT NOT NULL,
            currency TEXT NOT NULL,
            gross_minor BIGINT NOT NULL,
            document TEXT NOT NULL,
            CONSTRAINT invoices_gap_free UNIQUE (series, sequence)
        )",
        "CREATE INDEX invoices_of_account ON invoices (account_id, id)",
        "CREATE INDEX invoices_of_order ON invoices (order_id)",
    ]
    .into_iter()
    .map(|sql| Step::Sql(sql.to_string()))
    .collect()
}
