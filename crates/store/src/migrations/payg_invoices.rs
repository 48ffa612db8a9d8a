//! Version 15: a month's pay-as-you-go bills gathered in one invoice. A generated bill of
//! something is due to be invoiced (`invoice_at`, the first moment of the month after the one
//! it was generated in); the sweep finds those due through the first index, gathers an
//! account's month through the second, issues one invoice for them and marks each with it
//! (`invoice_id`, and no longer due).

use super::{Migration, Step};
use crate::connect::Dialect;

pub(super) const MIGRATION: Migration = Migration {
    version: 15,
    name: "payg_invoices",
    steps,
};

fn steps(_dialect: Dialect) -> Vec<Step> {
    [
        "ALTER TABLE bills ADD COLUMN invoice_at BIGINT",
        "ALTER TABLE bills ADD COLUMN invoice_id TEXT REFERENCES invoices (id)",
        "CREATE INDEX bills_to_invoice_by_time ON bills (invoice_at, id) WHERE invoice_at IS NOT NULL",
        "CREATE INDEX bills_to_invoice_by_account ON bills (account_id, invoice_at) WHERE invoice_at IS NOT NULL",
    ]
    .into_iter()
    .map(|sql| Step::Sql(sql.to_string()))
    .collect()
}
