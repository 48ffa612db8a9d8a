//! The seller as data: the legal details every invoice and credit note names, the prefixes of
//! their number series, and the tax rules ([`TaxRules`]) that [`crate::invoice::tax`] applies.
//! Built in from `catalog/seller.toml`; a catalog folder's own `seller.toml` replaces it
//! whole (a seller is one legal person: mixing two files' fields would name nobody).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::load::CatalogError;
use crate::country::{country_problem, is_country_code, is_eu_member};
use crate::invoice::document::Party;

/// The file name of a catalog folder's seller.
pub const SELLER_FILE: &str = "seller.toml";

const BUILTIN: &str = include_str!("../../../../catalog/seller.toml");

/// The most street lines an address keeps (EN 16931: BT-35, BT-36 and BT-162).
pub const MAX_ADDRESS_LINES: usize = 3;

/// The largest tax rate: 100 %, in hundredths of a percent.
pub const MAX_RATE_BASIS_POINTS: u32 = 10_000;

/// The seller: who issues invoices, and how they are taxed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seller {
    pub legal_name: String,
    /// Street lines, first to last; 1 to [`MAX_ADDRESS_LINES`].
    pub address_lines: Vec<String>,
    pub city: String,
    pub postcode: String,
    /// ISO 3166-1 alpha-2, upper case.
    pub country: String,
    /// VAT or tax registration id; needed to charge tax or to reverse charge.
    #[serde(default)]
    pub tax_id: Option<String>,
    /// Legal registration id (a company number), shown on every document: EN 16931 wants it
    /// of a seller who shows no VAT id (BR-CO-26).
    #[serde(default)]
    pub registration_id: Option<String>,
    /// The invoice series' prefix (`INV`).
    pub invoice_prefix: String,
    /// The credit note series' prefix (`CN`), never the invoices': each series is gap-free on
    /// its own.
    pub credit_note_prefix: String,
    /// No `[tax]` table: no tax at all.
    #[serde(default)]
    pub tax: TaxRules,
}

/// How the seller taxes what it sells, by the buyer (see [`crate::invoice::tax::tax_treatment`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxRules {
    /// Whether catalog prices are what the customer pays, tax included; else tax is added on
    /// top of them.
    #[serde(default)]
    pub prices_include_tax: bool,
    /// The rate of a buyer whose country has none in `rates`, in hundredths of a percent;
    /// `None`: no tax for them (category O).
    #[serde(default)]
    pub default_rate_basis_points: Option<u32>,
    /// Rates by the buyer's ISO country code, in hundredths of a percent (2000 = 20 %).
    #[serde(default)]
    pub rates: BTreeMap<String, u32>,
    /// A buyer with a tax id in another EU member state than the seller's is reverse charged
    /// (category AE, rate 0).
    #[serde(default)]
    pub reverse_charge_eu_business: bool,
}

impl TaxRules {
    /// Whether some buyer is charged tax above zero: a seller doing so needs a tax id.
    pub fn charges_tax(&self) -> bool {
        self.default_rate_basis_points.unwrap_or(0) > 0 || self.rates.values().any(|rate| *rate > 0)
    }
}

impl Seller {
    /// The seller of `catalog/seller.toml`, compiled in.
    pub fn builtin() -> Seller {
        parse_seller("catalog/seller.toml", BUILTIN).expect("the built-in seller is valid (tested)")
    }

    /// The seller as a document names it.
    pub fn party(&self) -> Party {
        Party {
            legal_name: self.legal_name.clone(),
            address_lines: self.address_lines.clone(),
            city: self.city.clone(),
            postcode: self.postcode.clone(),
            country_code: self.country.clone(),
            tax_id: self.tax_id.clone(),
            registration_id: self.registration_id.clone(),
            email: None,
        }
    }
}

/// Whether `file` (a path) is a folder's seller rather than a product.
pub(super) fn is_seller_file(file: &str) -> bool {
    file.rsplit(['/', '\\']).next() == Some(SELLER_FILE)
}

/// Parses and checks a seller file; every problem at once.
pub fn parse_seller(file: &str, text: &str) -> Result<Seller, Vec<CatalogError>> {
    let seller: Seller = toml::from_str(text).map_err(|parse_error| {
        let field = match parse_error.span() {
            Some(span) => {
                let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                format!("line {line}")
            }
            None => "-".into(),
        };
        vec![problem_in(file, &field, parse_error.message())]
    })?;
    let errors = check_seller(file, &seller);
    if errors.is_empty() {
        Ok(seller)
    } else {
        Err(errors)
    }
}

fn problem_in(file: &str, field: &str, problem: impl Into<String>) -> CatalogError {
    CatalogError {
        file: file.to_string(),
        field: field.to_string(),
        problem: problem.into(),
    }
}

/// A line of text a document prints: not blank, at most `max_chars`, no control characters
/// (a renderer would print them as they are).
fn text_problem(value: &str, max_chars: usize) -> Option<String> {
    if value.trim().is_empty() || value.chars().count() > max_chars {
        Some(format!("must be 1 to {max_chars} characters"))
    } else if value.chars().any(char::is_control) {
        Some("must not hold control characters (such as a line break)".into())
    } else {
        None
    }
}

/// A series prefix: what an invoice number starts with, so characters any file name, URL and
/// accounting system keeps as they are.
fn prefix_problem(prefix: &str) -> Option<String> {
    let well_formed = (1..=16).contains(&prefix.len())
        && prefix
            .bytes()
            .all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit() || byte == b'-');
    (!well_formed).then(|| {
        format!("`{prefix}` must be 1 to 16 upper-case letters, digits or dashes ([A-Z0-9-])")
    })
}

/// A tax id as registries write them: letters, digits, and the dots and dashes some countries
/// use (`CHE-123.456.789`); no spaces, which people add and registries do not keep.
pub fn tax_id_problem(tax_id: &str) -> Option<String> {
    let well_formed = (2..=30).contains(&tax_id.len())
        && tax_id
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'.');
    (!well_formed).then(|| {
        "must be 2 to 30 letters, digits, dots or dashes, without spaces (such as FR40303265045)"
            .to_string()
    })
}

fn check_seller(file: &str, seller: &Seller) -> Vec<CatalogError> {
    let mut errors = Vec::new();
    let mut problem = |field: &str, text: String| errors.push(problem_in(file, field, text));
    if let Some(text) = text_problem(&seller.legal_name, 200) {
        problem("legal_name", text);
    }
    if !(1..=MAX_ADDRESS_LINES).contains(&seller.address_lines.len()) {
        problem(
            "address_lines",
            format!("list 1 to {MAX_ADDRESS_LINES} street lines"),
        );
    }
    for (index, line) in seller.address_lines.iter().enumerate() {
        if let Some(text) = text_problem(line, 200) {
            problem(&format!("address_lines[{index}]"), text);
        }
    }
    if let Some(text) = text_problem(&seller.city, 100) {
        problem("city", text);
    }
    if let Some(text) = text_problem(&seller.postcode, 20) {
        problem("postcode", text);
    }
    if let Some(text) = country_problem(&seller.country) {
        problem("country", text);
    }
    if let Some(text) = seller.tax_id.as_deref().and_then(tax_id_problem) {
        problem("tax_id", text);
    }
    for (field, prefix) in [
        ("invoice_prefix", &seller.invoice_prefix),
        ("credit_note_prefix", &seller.credit_note_prefix),
    ] {
        if let Some(text) = prefix_problem(prefix) {
            problem(field, text);
        }
    }
    if seller.invoice_prefix == seller.credit_note_prefix {
        problem(
            "credit_note_prefix",
            "must differ from invoice_prefix: each series is numbered gap-free on its own".into(),
        );
    }
    let tax = &seller.tax;
    if let Some(rate) = tax.default_rate_basis_points {
        if rate > MAX_RATE_BASIS_POINTS {
            problem(
                "tax.default_rate_basis_points",
                format!("{rate} is outside 0..={MAX_RATE_BASIS_POINTS} (hundredths of a percent)"),
            );
        }
    }
    for (country, rate) in &tax.rates {
        let field = format!("tax.rates.{country}");
        if !is_country_code(country) {
            problem(&field, country_problem(country).unwrap_or_default());
        }
        if *rate > MAX_RATE_BASIS_POINTS {
            problem(
                &field,
                format!("{rate} is outside 0..={MAX_RATE_BASIS_POINTS} (hundredths of a percent)"),
            );
        }
    }
    // EN 16931 BR-S-02: a document charging tax names the seller's VAT id.
    if tax.charges_tax() && seller.tax_id.is_none() {
        problem(
            "tax_id",
            "a seller that charges tax (a rate above 0) needs its tax_id on every invoice".into(),
        );
    }
    // Orders charge the catalog's prices as they are: tax added on top would be charged to no
    // one and shown as due on every invoice. Until orders charge it, a seller that taxes
    // prices them tax included.
    if tax.charges_tax() && !tax.prices_include_tax {
        problem(
            "tax.prices_include_tax",
            "a seller that charges tax (a rate above 0) sets prices_include_tax = true: orders \
             charge the catalog's prices as they are, so prices must include the tax (tax \
             added on top of them is not charged yet)"
                .into(),
        );
    }
    // EN 16931 BR-O-02: a document "not subject to tax" (category O) shows no seller VAT id,
    // and a buyer no rate covers gets category O.
    if seller.tax_id.is_some() && tax.default_rate_basis_points.is_none() {
        problem(
            "tax.default_rate_basis_points",
            "a seller with a tax_id sets a default rate (0 for none): a buyer no rate covers \
             would get category O (not subject to tax), whose invoices must not show a VAT id"
                .into(),
        );
    }
    if tax.reverse_charge_eu_business {
        if !is_eu_member(&seller.country) {
            problem(
                "tax.reverse_charge_eu_business",
                format!(
                    "reverse charge is between EU member states, and `{}` is not one",
                    seller.country
                ),
            );
        }
        if seller.tax_id.is_none() {
            problem(
                "tax.reverse_charge_eu_business",
                "a reverse-charged invoice names the seller's VAT id: set tax_id".into(),
            );
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRENCH: &str = r#"
legal_name = "Nuage SAS"
address_lines = ["1 rue de la Paix"]
city = "Paris"
postcode = "75002"
country = "FR"
tax_id = "FR40303265045"
invoice_prefix = "F"
credit_note_prefix = "AV-1"

[tax]
prices_include_tax = true
default_rate_basis_points = 2000
rates = { DE = 1900, LU = 1700 }
reverse_charge_eu_business = true
"#;

    fn fields(errors: &[CatalogError]) -> Vec<&str> {
        errors.iter().map(|error| error.field.as_str()).collect()
    }

    #[test]
    fn a_seller_that_charges_tax_prices_with_tax_included() {
        let net_prices = FRENCH.replace("prices_include_tax = true", "prices_include_tax = false");
        let errors = parse_seller("seller.toml", &net_prices).unwrap_err();
        assert_eq!(fields(&errors), ["tax.prices_include_tax"]);
        let untaxed = net_prices
            .replace(
                "default_rate_basis_points = 2000",
                "default_rate_basis_points = 0",
            )
            .replace("rates = { DE = 1900, LU = 1700 }", "rates = {}");
        assert!(parse_seller("seller.toml", &untaxed).is_ok());
    }

    #[test]
    fn the_builtin_seller_charges_no_tax_and_shows_no_tax_id() {
        let seller = Seller::builtin();
        assert_eq!(seller.tax, TaxRules::default());
        assert_eq!(seller.tax_id, None);
        assert_eq!(
            (
                seller.invoice_prefix.as_str(),
                seller.credit_note_prefix.as_str()
            ),
            ("INV", "CN")
        );
        assert_eq!(seller.party().country_code, "US");
    }

    #[test]
    fn a_taxing_seller_loads() {
        let seller = parse_seller("mine/seller.toml", FRENCH).unwrap();
        assert!(seller.tax.prices_include_tax);
        assert_eq!(seller.tax.rates.get("DE"), Some(&1900));
        assert_eq!(seller.tax.default_rate_basis_points, Some(2000));
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let text = FRENCH
            .replace("country = \"FR\"", "country = \"fr\"")
            .replace("invoice_prefix = \"F\"", "invoice_prefix = \"inv 1\"")
            .replace("DE = 1900", "DE = 10001, UK = 2000")
            .replace("city = \"Paris\"", "city = \" \"")
            .replace("[\"1 rue de la Paix\"]", "[\"a\", \"b\", \"c\", \"d\"]");
        let errors = parse_seller("mine/seller.toml", &text).unwrap_err();
        assert!(errors.iter().all(|error| error.file == "mine/seller.toml"));
        assert_eq!(
            fields(&errors),
            [
                "address_lines",
                "city",
                "country",
                "invoice_prefix",
                "tax.rates.DE",
                "tax.rates.UK",
                // A seller outside the EU (`fr` is no member) cannot reverse charge.
                "tax.reverse_charge_eu_business",
            ]
        );
        assert!(errors[4].problem.contains("10001"), "{}", errors[4].problem);
    }

    #[test]
    fn the_rules_must_make_sense_together() {
        let no_tax_id = FRENCH.replace("tax_id = \"FR40303265045\"\n", "");
        let errors = parse_seller("seller.toml", &no_tax_id).unwrap_err();
        assert_eq!(
            fields(&errors),
            ["tax_id", "tax.reverse_charge_eu_business"]
        );

        let outside_the_eu = FRENCH.replace("country = \"FR\"", "country = \"CH\"");
        let errors = parse_seller("seller.toml", &outside_the_eu).unwrap_err();
        assert_eq!(fields(&errors), ["tax.reverse_charge_eu_business"]);
        assert!(errors[0].problem.contains("`CH`"), "{}", errors[0].problem);

        let tax_id_without_default = FRENCH.replace("default_rate_basis_points = 2000\n", "");
        let errors = parse_seller("seller.toml", &tax_id_without_default).unwrap_err();
        assert_eq!(fields(&errors), ["tax.default_rate_basis_points"]);

        let same_series = FRENCH.replace(
            "credit_note_prefix = \"AV-1\"",
            "credit_note_prefix = \"F\"",
        );
        let errors = parse_seller("seller.toml", &same_series).unwrap_err();
        assert_eq!(fields(&errors), ["credit_note_prefix"]);

        let zero_rates_only = no_tax_id
            .replace(
                "default_rate_basis_points = 2000",
                "default_rate_basis_points = 0",
            )
            .replace("rates = { DE = 1900, LU = 1700 }", "rates = { DE = 0 }")
            .replace("reverse_charge_eu_business = true", "");
        assert!(parse_seller("seller.toml", &zero_rates_only).is_ok());
    }

    #[test]
    fn unknown_fields_and_syntax_name_the_line() {
        let text = FRENCH.replace("city = \"Paris\"", "city = \"Paris\"\nvat = \"x\"");
        let errors = parse_seller("seller.toml", &text).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(errors[0].field.starts_with("line "), "{:?}", errors[0]);
        assert!(errors[0].problem.contains("vat"), "{:?}", errors[0]);
        let negative = FRENCH.replace("DE = 1900", "DE = -5");
        assert!(parse_seller("seller.toml", &negative).is_err());
    }

    #[test]
    fn tax_ids_and_prefixes_are_well_formed() {
        assert_eq!(tax_id_problem("FR40303265045"), None);
        assert_eq!(tax_id_problem("CHE-123.456.789"), None);
        assert!(tax_id_problem("FR 403").is_some());
        assert!(tax_id_problem("").is_some());
        assert_eq!(prefix_problem("INV-2"), None);
        assert!(prefix_problem("").is_some());
        assert!(prefix_problem("inv").is_some());
        assert!(prefix_problem("INV/").is_some());
    }
}
