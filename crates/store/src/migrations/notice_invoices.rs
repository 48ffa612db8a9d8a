//! Version 16: the invoice or credit note a notice brings to its buyer (`invoice_id`), whose
//! PDF the sender renders and attaches to the email; null for every other notice. The
//! document is named, not copied: it renders to the same bytes whenever it is asked for.

use super::{Migration, Step};
use crate::connect::Dialect;

pub(super) const MIGRATION: Migration = Migration {
    version: 16,
    name: "notice_invoices",
    steps,
};

fn steps(_dialect: Dialect) -> Vec<Step> {
    vec![Step::Sql(
        "ALTER TABLE notifications ADD COLUMN invoice_id TEXT REFERENCES invoices (id)".to_string(),
    )]
}
