//! An account's billing profile (see the version 13 migration): the buyer its invoices name.

use jiff::Timestamp;

use crate::connect::{StoreError, Tx};
use crate::database::{query, Connection, DatabaseError, Row};
use crate::time::{from_seconds, to_seconds};

/// The buyer an account's invoices name, as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingProfile {
    pub account_id: String,
    pub legal_name: String,
    /// One to three street lines, first to last (kept as three columns).
    pub address_lines: Vec<String>,
    pub city: String,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub tax_id: Option<String>,
    /// Where invoices go; the account's email when `None`.
    pub invoice_email: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

const COLUMNS: &str = "account_id, legal_name, address_line1, address_line2, address_line3, \
    city, postal_code, country, tax_id, invoice_email, created_at, updated_at";

fn from_row(row: &Row) -> Result<BillingProfile, DatabaseError> {
    let mut address_lines = vec![row.try_get::<String>("address_line1")?];
    for column in ["address_line2", "address_line3"] {
        address_lines.extend(row.try_get::<Option<String>>(column)?);
    }
    Ok(BillingProfile {
        account_id: row.try_get("account_id")?,
        legal_name: row.try_get("legal_name")?,
        address_lines,
        city: row.try_get("city")?,
        postal_code: row.try_get("postal_code")?,
        country: row.try_get("country")?,
        tax_id: row.try_get("tax_id")?,
        invoice_email: row.try_get("invoice_email")?,
        created_at: from_seconds(row.try_get("created_at")?),
        updated_at: from_seconds(row.try_get("updated_at")?),
    })
}

/// The account's billing profile, if one was set.
pub async fn get(
    connection: &mut Connection,
    account_id: &str,
) -> Result<Option<BillingProfile>, StoreError> {
    let row = query(&format!(
        "SELECT {COLUMNS} FROM billing_profiles WHERE account_id = $1"
    ))
    .bind(account_id)
    .fetch_optional(connection)
    .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// Sets the account's billing profile, replacing the one it had whole; a replaced profile
/// keeps its `created_at`. The caller has locked the account.
///
/// # Panics
/// If `profile` has no street line or more than three: the engine checks them first.
pub async fn upsert(tx: &mut Tx, profile: &BillingProfile) -> Result<(), StoreError> {
    assert!(
        (1..=3).contains(&profile.address_lines.len()),
        "a billing profile keeps one to three street lines"
    );
    let line = |index: usize| profile.address_lines.get(index).map(String::as_str);
    query(&format!(
        "INSERT INTO billing_profiles ({COLUMNS})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (account_id) DO UPDATE SET
            legal_name = excluded.legal_name,
            address_line1 = excluded.address_line1,
            address_line2 = excluded.address_line2,
            address_line3 = excluded.address_line3,
            city = excluded.city,
            postal_code = excluded.postal_code,
            country = excluded.country,
            tax_id = excluded.tax_id,
            invoice_email = excluded.invoice_email,
            updated_at = excluded.updated_at"
    ))
    .bind(profile.account_id.as_str())
    .bind(profile.legal_name.as_str())
    .bind(profile.address_lines[0].as_str())
    .bind(line(1))
    .bind(line(2))
    .bind(profile.city.as_str())
    .bind(profile.postal_code.as_str())
    .bind(profile.country.as_str())
    .bind(profile.tax_id.as_deref())
    .bind(profile.invoice_email.as_deref())
    .bind(to_seconds(profile.created_at))
    .bind(to_seconds(profile.updated_at))
    .execute(tx)
    .await?;
    Ok(())
}
