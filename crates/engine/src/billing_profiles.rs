//! An account's billing profile: the buyer its invoices and credit notes name. Set and
//! replaced whole (`PUT`), read back; [`buyer_party`] is what a document names, profile or not.

use serde_json::json;
use tenure_core::catalog::{tax_id_problem, MAX_ADDRESS_LINES};
use tenure_core::country::country_problem;
use tenure_core::event::EventKind;
use tenure_core::invoice::document::Party;
use tenure_store::accounts::{self, Account};
use tenure_store::billing_profiles::{self, BillingProfile};
use tenure_store::{Connection, Tx};

use crate::accounts::{check_email, check_text};
use crate::engine::Engine;
use crate::error::EngineError;

/// What a caller gives to set a billing profile (the API's `address_line1..3` and
/// `postal_code`, in the order a document prints them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingProfileInput {
    pub legal_name: String,
    /// One to [`MAX_ADDRESS_LINES`] street lines, first to last.
    pub address_lines: Vec<String>,
    pub city: String,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, upper case.
    pub country: String,
    pub tax_id: Option<String>,
    pub invoice_email: Option<String>,
}

/// A line a document prints: not blank, short enough, and one line (a line break or another
/// control character would be printed as it is).
fn check_line(field: &'static str, value: &str, max_chars: usize) -> Result<(), EngineError> {
    check_text(field, value, max_chars)?;
    if value.chars().any(char::is_control) {
        return Err(EngineError::invalid(
            "invalid_field",
            format!("`{field}` must be one line, without control characters"),
        ));
    }
    Ok(())
}

/// Every field checked, in the order of the body; the first problem is the refusal.
fn check(input: &BillingProfileInput) -> Result<(), EngineError> {
    check_line("legal_name", &input.legal_name, 200)?;
    if !(1..=MAX_ADDRESS_LINES).contains(&input.address_lines.len()) {
        return Err(EngineError::invalid(
            "invalid_field",
            format!("give 1 to {MAX_ADDRESS_LINES} street lines (`address_line1` first)"),
        ));
    }
    const LINE_FIELDS: [&str; MAX_ADDRESS_LINES] =
        ["address_line1", "address_line2", "address_line3"];
    for (field, line) in LINE_FIELDS.into_iter().zip(&input.address_lines) {
        check_line(field, line, 200)?;
    }
    check_line("city", &input.city, 100)?;
    check_line("postal_code", &input.postal_code, 20)?;
    if let Some(problem) = country_problem(&input.country) {
        return Err(EngineError::invalid(
            "invalid_country",
            format!("`country`: {problem}"),
        ));
    }
    if let Some(problem) = input.tax_id.as_deref().and_then(tax_id_problem) {
        return Err(EngineError::invalid(
            "invalid_tax_id",
            format!("`tax_id` {problem}"),
        ));
    }
    if let Some(email) = &input.invoice_email {
        check_email("invoice_email", email)?;
    }
    Ok(())
}

/// Where the account's invoices and credit notes are emailed: its billing profile's invoice
/// email when it gives one, else the account's own email.
pub fn invoice_email(account: &Account, profile: Option<&BillingProfile>) -> String {
    profile
        .and_then(|profile| profile.invoice_email.clone())
        .unwrap_or_else(|| account.email.clone())
}

/// The buyer a document names: the account's billing profile, or, for an account that set
/// none, its own name and email with no address. A document for such an account names a
/// buyer with an empty country: EN 16931 wants the buyer's country (BR-11), so whoever issues
/// documents should ask for a profile first, or leave the country to the seller's by its own
/// rule; no country is made up here.
pub fn buyer_party(account: &Account, profile: Option<&BillingProfile>) -> Party {
    match profile {
        Some(profile) => Party {
            legal_name: profile.legal_name.clone(),
            address_lines: profile.address_lines.clone(),
            city: profile.city.clone(),
            postcode: profile.postal_code.clone(),
            country_code: profile.country.clone(),
            tax_id: profile.tax_id.clone(),
            registration_id: None,
            email: Some(invoice_email(account, Some(profile))),
        },
        None => Party {
            legal_name: account.name.clone(),
            address_lines: Vec::new(),
            city: String::new(),
            postcode: String::new(),
            country_code: String::new(),
            tax_id: None,
            registration_id: None,
            email: Some(account.email.clone()),
        },
    }
}

impl Engine {
    /// Sets the account's billing profile, replacing any it had, and announces it
    /// (`billing_profile.updated`), in the caller's transaction.
    pub async fn set_billing_profile(
        &self,
        tx: &mut Tx,
        account_id: &str,
        input: BillingProfileInput,
    ) -> Result<BillingProfile, EngineError> {
        self.lock_account(tx, account_id).await?;
        // Checked after the account is found: a profile for no account is a 404 first.
        check(&input)?;
        let now = self.clock.now();
        let previous = billing_profiles::get(tx, account_id).await?;
        let profile = BillingProfile {
            account_id: account_id.to_string(),
            legal_name: input.legal_name.trim().to_string(),
            address_lines: input
                .address_lines
                .iter()
                .map(|line| line.trim().to_string())
                .collect(),
            city: input.city.trim().to_string(),
            postal_code: input.postal_code.trim().to_string(),
            country: input.country,
            tax_id: input.tax_id,
            invoice_email: input.invoice_email,
            created_at: previous
                .as_ref()
                .map_or(now, |previous| previous.created_at),
            updated_at: now,
        };
        billing_profiles::upsert(tx, &profile).await?;
        let data = json!({
            "legal_name": profile.legal_name,
            "country": profile.country,
            "tax_id": profile.tax_id,
            "replaced": previous.is_some(),
        });
        self.record_account_event(tx, account_id, EventKind::BillingProfileUpdated, data)
            .await?;
        Ok(profile)
    }

    /// The account's billing profile; `NotFound` (404) when none was set, as for a missing
    /// account: a buyer without a profile is invoiced by [`buyer_party`]'s fallback.
    pub async fn billing_profile(
        &self,
        connection: &mut Connection,
        account_id: &str,
    ) -> Result<BillingProfile, EngineError> {
        accounts::get(connection, account_id)
            .await?
            .ok_or_else(|| EngineError::not_found("account", account_id))?;
        billing_profiles::get(connection, account_id)
            .await?
            .ok_or_else(|| EngineError::not_found("billing profile of account", account_id))
    }

    /// The buyer a document for the account names (see [`buyer_party`]), read in the caller's
    /// connection or transaction.
    pub async fn buyer_of(
        &self,
        connection: &mut Connection,
        account_id: &str,
    ) -> Result<Party, EngineError> {
        let account = accounts::get(connection, account_id)
            .await?
            .ok_or_else(|| EngineError::not_found("account", account_id))?;
        let profile = billing_profiles::get(connection, account_id).await?;
        Ok(buyer_party(&account, profile.as_ref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> BillingProfileInput {
        BillingProfileInput {
            legal_name: "Nuage SAS".into(),
            address_lines: vec!["1 rue de la Paix".into()],
            city: "Paris".into(),
            postal_code: "75002".into(),
            country: "FR".into(),
            tax_id: Some("FR40303265045".into()),
            invoice_email: Some("compta@nuage.example".into()),
        }
    }

    fn refusal(input: BillingProfileInput) -> (&'static str, String) {
        let error = check(&input).unwrap_err();
        (error.code(), error.to_string())
    }

    #[test]
    fn a_complete_profile_passes_and_each_field_is_checked() {
        assert!(check(&input()).is_ok());
        let (code, message) = refusal(BillingProfileInput {
            country: "France".into(),
            ..input()
        });
        assert_eq!(code, "invalid_country");
        assert!(message.contains("`France`"), "{message}");
        let (code, _) = refusal(BillingProfileInput {
            tax_id: Some("FR 403".into()),
            ..input()
        });
        assert_eq!(code, "invalid_tax_id");
        let (_, message) = refusal(BillingProfileInput {
            invoice_email: Some("compta".into()),
            ..input()
        });
        assert!(message.contains("`invoice_email`"), "{message}");
        let (_, message) = refusal(BillingProfileInput {
            address_lines: vec!["a".into(), "b".into(), "c".into(), "d".into()],
            ..input()
        });
        assert!(message.contains("1 to 3 street lines"), "{message}");
        let (_, message) = refusal(BillingProfileInput {
            address_lines: vec!["a".into(), "b\nc".into()],
            ..input()
        });
        assert!(message.contains("`address_line2`"), "{message}");
        let (_, message) = refusal(BillingProfileInput {
            legal_name: " ".into(),
            ..input()
        });
        assert!(message.contains("`legal_name`"), "{message}");
    }

    fn account() -> Account {
        Account {
            id: "acct_000001".into(),
            name: "Ada Lovelace".into(),
            email: "ada@example.com".into(),
            mobile: "+15550100".into(),
            currency: "USD".into(),
            low_balance_threshold_minor: None,
            created_at: jiff::Timestamp::UNIX_EPOCH,
            overdue_since: None,
            low_balance_alerted: false,
            frozen_reason: None,
            frozen_at: None,
        }
    }

    #[test]
    fn the_buyer_is_the_profile_or_else_the_account() {
        let fallback = buyer_party(&account(), None);
        assert_eq!(fallback.legal_name, "Ada Lovelace");
        assert_eq!(fallback.email.as_deref(), Some("ada@example.com"));
        assert_eq!(fallback.country_code, "");
        let input = input();
        let profile = BillingProfile {
            account_id: "acct_000001".into(),
            legal_name: input.legal_name,
            address_lines: input.address_lines,
            city: input.city,
            postal_code: input.postal_code,
            country: input.country,
            tax_id: input.tax_id,
            invoice_email: None,
            created_at: jiff::Timestamp::UNIX_EPOCH,
            updated_at: jiff::Timestamp::UNIX_EPOCH,
        };
        let buyer = buyer_party(&account(), Some(&profile));
        assert_eq!(buyer.legal_name, "Nuage SAS");
        assert_eq!(buyer.postcode, "75002");
        assert_eq!(buyer.country_code, "FR");
        assert_eq!(buyer.tax_id.as_deref(), Some("FR40303265045"));
        assert_eq!(
            buyer.email.as_deref(),
            Some("ada@example.com"),
            "no invoice email: the account's"
        );
    }
}
