//! The account's billing profile, on the balance page (the account's page): the buyer its
//! invoices name, shown, and set by a form that sends it whole to
//! `PUT /v1/accounts/{id}/billing-profile`.

use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use maud::{html, Markup};
use serde_json::{json, Map, Value};
use tenure_core::access::Permission;
use tenure_wire::billing_profiles::BillingProfile;

use crate::console::api;
use crate::console::form::Fields;
use crate::console::layout::message;
use crate::console::session::{random_token, Session};
use crate::console::SignedForm;
use crate::context::ApiContext;

pub fn router() -> Router<ApiContext> {
    Router::new().route("/console/balance/billing-profile", post(set))
}

/// The form's fields: `(name, label, required, autocomplete)`, in the body's order and names.
const FIELDS: [(&str, &str, bool, &str); 9] = [
    ("legal_name", "Legal name", true, "organization"),
    ("address_line1", "Address", true, "address-line1"),
    ("address_line2", "Address, line 2", false, "address-line2"),
    ("address_line3", "Address, line 3", false, "address-line3"),
    ("city", "City", true, "address-level2"),
    ("postal_code", "Postal code", true, "postal-code"),
    ("country", "Country (ISO code, such as FR)", true, "country"),
    ("tax_id", "VAT or tax id", false, "off"),
    ("invoice_email", "Invoice email", false, "email"),
];

/// The body the form's fields make: every field typed, trimmed; an optional one left empty is
/// left out (so the profile has none), a required one is sent as typed, for the API to refuse.
fn body_of(fields: &Fields) -> Value {
    let mut body = Map::new();
    for (name, _, required, _) in FIELDS {
        let typed = fields.one(name).unwrap_or("").trim();
        if required || !typed.is_empty() {
            body.insert(name.to_string(), json!(typed));
        }
    }
    Value::Object(body)
}

/// Sets the profile from the form; the balance page again, with what the API said.
async fn set(
    State(context): State<ApiContext>,
    SignedForm { session, fields }: SignedForm,
) -> Response {
    let Some(account_id) = session.account_id.clone() else {
        return super::balance::balance_page(&context, &session, "", html! {}).await;
    };
    let set: api::Reply<BillingProfile> = api::send(
        &context,
        &session,
        Method::PUT,
        &format!("/v1/accounts/{account_id}/billing-profile"),
        body_of(&fields),
        Some(fields.one("idempotency_key").unwrap_or("")),
    )
    .await;
    let top = match set {
        Ok(profile) => message(
            "good",
            &format!("Invoices now name {}.", profile.legal_name),
        ),
        Err(refusal) => message("bad", &refusal.message),
    };
    super::balance::balance_page(&context, &session, "", top).await
}

/// The section of the balance page: the profile (or that none is set) and, for a key that may
/// set it, the form, filled with the profile.
pub async fn section(context: &ApiContext, session: &Session, account_id: &str) -> Markup {
    let profile: api::Reply<BillingProfile> = api::read(
        context,
        session,
        &format!("/v1/accounts/{account_id}/billing-profile"),
    )
    .await;
    let (profile, problem) = match profile {
        Ok(profile) => (Some(profile), None),
        // None set yet: the form is empty, and nothing is wrong.
        Err(refusal) if refusal.status == StatusCode::NOT_FOUND => (None, None),
        Err(refusal) => (None, Some(refusal.message)),
    };
    let value_of = |name: &str| -> String {
        let Some(profile) = &profile else {
            return String::new();
        };
        let value = match name {
            "legal_name" => Some(&profile.legal_name),
            "address_line1" => Some(&profile.address_line1),
            "address_line2" => profile.address_line2.as_ref(),
            "address_line3" => profile.address_line3.as_ref(),
            "city" => Some(&profile.city),
            "postal_code" => Some(&profile.postal_code),
            "country" => Some(&profile.country),
            "tax_id" => profile.tax_id.as_ref(),
            "invoice_email" => profile.invoice_email.as_ref(),
            _ => None,
        };
        value.cloned().unwrap_or_default()
    };
    html! {
        h2 id="billing-profile" { "Billing profile" }
        @if let Some(problem) = &problem {
            (message("bad", problem))
        }
        @match &profile {
            Some(profile) => {
                p.muted { "The buyer the account's invoices and credit notes name." }
                dl.facts data-test="billing-profile" {
                    dt { "Legal name" } dd { (profile.legal_name) }
                    dt { "Address" } dd {
                        (profile.address_line1)
                        @for line in profile.address_line2.iter().chain(&profile.address_line3) {
                            br; (line)
                        }
                        br; (profile.postal_code) " " (profile.city)
                        br; (profile.country)
                    }
                    dt { "VAT or tax id" } dd { (profile.tax_id.as_deref().unwrap_or("none")) }
                    dt { "Invoice email" } dd { (profile.invoice_email.as_deref().unwrap_or("the account's email")) }
                }
            }
            None if problem.is_none() => {
                p.muted data-test="billing-profile" { "None set: invoices name the account's own name and email." }
            }
            None => {}
        }
        @if session.allows(Permission::Billing) {
            form.stacked method="post" action="/console/balance/billing-profile" data-test="billing-profile-form" {
                input type="hidden" name="csrf" value=(session.csrf);
                input type="hidden" name="idempotency_key" value=(random_token());
                @for (name, label, required, autocomplete) in FIELDS {
                    @let id = format!("billing-{}", name.replace('_', "-"));
                    label for=(id) { (label) @if !required { " (optional)" } }
                    input id=(id) name=(name) value=(value_of(name)) autocomplete=(autocomplete) required[required];
                }
                button type="submit" { "Save the billing profile" }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_optional_fields_are_left_out_and_required_ones_sent() {
        let fields = Fields::parse(
            "legal_name=+Nuage+SAS+&address_line1=1+rue&address_line2=&city=Paris\
             &postal_code=75002&country=FR&tax_id=&invoice_email=&csrf=x",
        );
        assert_eq!(
            body_of(&fields),
            json!({ "legal_name": "Nuage SAS", "address_line1": "1 rue", "city": "Paris",
                    "postal_code": "75002", "country": "FR" })
        );
        let empty = body_of(&Fields::parse(""));
        assert_eq!(empty["legal_name"], "");
        assert!(empty.get("tax_id").is_none());
    }
}
