//! Version 13: an account's billing profile, the buyer its invoices and credit notes name
//! (legal name, postal address, country, tax id, where invoices go). One row per account, set
//! and replaced whole; an account without one is invoiced under its own name and email.

use super::{Migration, Step};
use crate::connect::Dialect;

pub(super) const MIGRATION: Migration = Migration {
    version: 13,
    name: "billing_profiles",
    steps,
};

fn steps(_dialect: Dialect) -> Vec<Step> {
    ["CREATE TABLE billing_profiles (
            account_id TEXT PRIMARY KEY REFERENCES accounts (id),
            legal_name TEXT NOT NULL,
            address_line1 TEXT NOT NULL,
            address_line2 TEXT,
            address_line3 TEXT,
            city TEXT NOT NULL,
            postal_code TEXT NOT NULL,
            country TEXT NOT NULL,
            tax_id TEXT,
            invoice_email TEXT,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL
        )"]
    .into_iter()
    .map(|sql| Step::Sql(sql.to_string()))
    .collect()
}
