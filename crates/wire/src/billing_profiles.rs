//! An account's billing profile: the buyer its invoices and credit notes name.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// `PUT /v1/accounts/{id}/billing-profile`: the buyer's legal details, replacing any set before
/// whole (a field left out is gone, not kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("examples" = [
    {
        "legal_name": "Nuage SAS",
        "address_line1": "1 rue de la Paix",
        "city": "Paris",
        "postal_code": "75002",
        "country": "FR",
        "tax_id": "FR40303265045",
        "invoice_email": "compta@nuage.example"
    }
]))]
pub struct BillingProfileBody {
    #[schemars(
        length(min = 1, max = 200),
        regex(pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$")
    )]
    pub legal_name: String,
    /// The first street line.
    #[schemars(
        length(min = 1, max = 200),
        regex(pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$")
    )]
    pub address_line1: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(min = 1, max = 200),
        regex(pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$")
    )]
    pub address_line2: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(min = 1, max = 200),
        regex(pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$")
    )]
    pub address_line3: Option<String>,
    #[schemars(
        length(min = 1, max = 100),
        regex(pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$")
    )]
    pub city: String,
    #[schemars(
        length(min = 1, max = 20),
        regex(pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$")
    )]
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, upper case (`FR`, `US`): an assigned code, else 422
    /// `invalid_country` (`UK` is `GB`).
    #[schemars(regex(pattern = r"^[A-Z]{2}$"))]
    pub country: String,
    /// VAT or tax registration id (`FR40303265045`): letters, digits, dots and dashes, no
    /// spaces. A buyer with one is taken for a business (reverse charge, where the seller's
    /// rules apply it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[A-Za-z0-9.-]{2,30}$"))]
    pub tax_id: Option<String>,
    /// Where invoices are sent; the account's email when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(min = 3, max = 254),
        regex(pattern = r"^[^\x00-\x20\x7f@]+@[^\x00-\x20\x7f@]+$")
    )]
    pub invoice_email: Option<String>,
}

/// The buyer an account's invoices name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BillingProfile {
    pub account_id: String,
    pub legal_name: String,
    pub address_line1: String,
    pub address_line2: Option<String>,
    pub address_line3: Option<String>,
    pub city: String,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub tax_id: Option<String>,
    /// Where invoices are sent; null: the account's email.
    pub invoice_email: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[cfg(feature = "domain")]
mod from_domain {
    use super::*;

    impl From<tenure_store::billing_profiles::BillingProfile> for BillingProfile {
        fn from(profile: tenure_store::billing_profiles::BillingProfile) -> BillingProfile {
            let mut lines = profile.address_lines.into_iter();
            BillingProfile {
                account_id: profile.account_id,
                legal_name: profile.legal_name,
                address_line1: lines.next().unwrap_or_default(),
                address_line2: lines.next(),
                address_line3: lines.next(),
                city: profile.city,
                postal_code: profile.postal_code,
                country: profile.country,
                tax_id: profile.tax_id,
                invoice_email: profile.invoice_email,
                created_at: profile.created_at,
                updated_at: profile.updated_at,
            }
        }
    }
}
