//! The console's pages, a file per concept.

mod accounts;
mod balance;
mod billing_profile;
mod cards;
mod deliveries;
mod fleet;
mod forecast_chart;
mod instance_actions;
mod instances;
mod invoices;
mod notices;
mod operator;
mod overview;
mod records;
mod renewals;
mod unsubscribe;

use axum::Router;
use maud::{html, Markup};
use tenure_wire::catalog::{Product, Products};

use crate::console::api;
use crate::console::session::Session;
use crate::context::ApiContext;

pub fn router() -> Router<ApiContext> {
    Router::new()
        .merge(instances::router())
        .merge(instance_actions::router())
        .merge(balance::router())
        .merge(billing_profile::router())
        .merge(cards::router())
        .merge(renewals::router())
        .merge(unsubscribe::router())
        .merge(records::router())
        .merge(invoices::router())
        .merge(notices::router())
        .merge(operator::router())
        .merge(overview::router())
        .merge(deliveries::router())
        .merge(fleet::router())
        .merge(accounts::router())
}

/// An amount in its currency, as a reader sees it.
pub fn money(amount_minor: i64, currency: &str) -> String {
    tenure_core::money::format_minor(amount_minor, currency)
}

/// A time as the pages show it: the day and the minute, UTC; a dash for none.
pub fn when(time: impl Into<Option<jiff::Timestamp>>) -> String {
    match time.into() {
        Some(time) => time.strftime("%Y-%m-%d %H:%M UTC").to_string(),
        None => "—".to_string(),
    }
}

/// An enum of an answer as a reader sees it: its name on the wire, underscores as spaces
/// (`pending_renewal` reads "pending renewal").
pub fn label(value: &impl serde::Serialize) -> String {
    wire_name(value).replace('_', " ")
}

/// An enum of an answer by its name on the wire (`bank_card`).
pub fn wire_name(value: &impl serde::Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}

/// What a page shows when the signed-in caller has no account to show (the operator before
/// picking one).
pub fn pick_an_account() -> Markup {
    html! {
        p.notice { "Pick an account (its id, acct_…) in the box at the top to see its pages." }
    }
}

/// A query string from pairs, the empty ones left out.
pub fn query(pairs: &[(&str, &str)]) -> String {
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs {
        if !value.is_empty() {
            serializer.append_pair(key, value);
        }
    }
    serializer.finish()
}

/// The catalog's names of products, editions and specs, for the tables that hold their ids,
/// read once per page. A catalog that could not be read leaves the ids showing, and its refusal
/// for the page to say.
pub struct CatalogNames {
    products: Vec<Product>,
    refusal: Option<api::Refusal>,
}

impl CatalogNames {
    pub async fn read(context: &ApiContext, session: &Session) -> CatalogNames {
        let products: api::Reply<Products> = api::read(context, session, "/v1/products").await;
        match products {
            Ok(products) => CatalogNames {
                products: products.data,
                refusal: None,
            },
            Err(refusal) => CatalogNames {
                products: Vec::new(),
                refusal: Some(refusal),
            },
        }
    }

    /// The catalog's products (none when it could not be read).
    pub fn products(&self) -> &[Product] {
        &self.products
    }

    /// Why the catalog could not be read, if it could not.
    pub fn refusal(&self) -> Option<&api::Refusal> {
        self.refusal.as_ref()
    }

    fn find(&self, product_id: &str) -> Option<&Product> {
        self.products
            .iter()
            .find(|product| product.id == product_id)
    }

    pub fn product<'a>(&'a self, product_id: &'a str) -> &'a str {
        self.find(product_id)
            .map_or(product_id, |product| product.name.as_str())
    }

    /// "Edition / spec" by their names (a pay-as-you-go or free edition has no spec).
    pub fn configuration(&self, product_id: &str, edition_id: &str, spec_id: &str) -> String {
        let edition = self.find(product_id).and_then(|product| {
            product
                .editions
                .iter()
                .find(|edition| edition.id == edition_id)
        });
        let edition_name = edition.map_or(edition_id, |edition| edition.name.as_str());
        if spec_id.is_empty() {
            return edition_name.to_string();
        }
        let spec_name = edition
            .and_then(|edition| edition.specs.iter().find(|spec| spec.id == spec_id))
            .map_or(spec_id, |spec| spec.name.as_str());
        format!("{edition_name} / {spec_name}")
    }
}

/// A next-page link: `href` goes on from the page shown.
pub fn next_page_link(href: &str, label: &str) -> Markup {
    html! { p { a rel="next" href=(href) data-test="next-page" { (label) } } }
}

/// How many of the boxes named `name` are ticked, said as they change (by the console's
/// script), beside a bulk action's buttons.
pub fn selection_count(name: &str) -> Markup {
    html! {
        output.selection-count data-count-of=(name) aria-live="polite" { "None selected" }
    }
}

/// An instance as a table shows it: a link by its name with its id small beside it (by its id
/// when it has no name), and its tags under it.
pub fn instance_cell(id: &str, name: Option<&str>, tags: &[String]) -> Markup {
    html! {
        a href={"/console/instances/" (id)} {
            @match name {
                Some(name) => { (name) " " span.instance-id { (id) } }
                None => (id),
            }
        }
        @if !tags.is_empty() {
            ul.tags aria-label="Tags" { @for tag in tags { li.tag { (tag) } } }
        }
    }
}
